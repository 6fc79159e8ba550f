//! Runtime injection: `hush run` starts a command with secrets in its environment, `hush inject`
//! renders a template with them.
//!
//! One module per part: `env` builds the environment of `hush run` (and the values `--mask`
//! conceals), `inject` renders templates, `child` starts the command and turns its end into
//! hush's exit code, `signals` passes signals on to it and reaps it, `mask` conceals secret
//! values in a byte stream, `relay` pipes the command's output through the masker, `watch`
//! starts the command again when a value changes (`--watch`), through `restart`.

mod child;
mod env;
mod inject;
mod mask;
mod relay;
mod restart;
mod signals;
mod watch;

use std::io::{self, Write};

pub use child::{RunOptions, SCRUBBED_ENV, run_child};
pub(crate) use inject::inject;
pub use mask::{CONCEALED, MIN_MASKED_LEN, mask_stream};
pub use restart::{Restart, Restarts};

/// `hush run`: once (`env`), or again whenever a value changes (`watch`, with `--watch`).
pub(crate) fn run(ctx: &crate::ctx::Ctx, args: crate::cli::RunArgs) -> anyhow::Result<i32> {
    if args.watch {
        watch::run_watch(ctx, args)
    } else {
        env::run(ctx, args)
    }
}

/// Writes a one-line warning to stderr. A failure to write it is ignored: there is nowhere
/// else to report it.
fn warn(message: &str) {
    say(&format!("warning: {message}"));
}

/// Writes one `hush: …` line to stderr (a failure to write it is ignored, as for [`warn`]).
fn say(line: &str) {
    let _ = writeln!(io::stderr(), "hush: {line}");
}

/// A (name, value) pair as [`run_child`] takes them.
#[cfg(test)]
fn secret(name: &str, value: &str) -> (String, zeroize::Zeroizing<String>) {
    (name.to_owned(), zeroize::Zeroizing::new(value.to_owned()))
}
