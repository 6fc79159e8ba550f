//! Runtime injection: `hush run` starts a command with secrets in its environment, `hush inject`
//! renders a template with them.
//!
//! One module per part: `env` builds the environment of `hush run` (and the values `--mask`
//! conceals), `inject` renders templates, `child` starts the command and turns its end into
//! hush's exit code, `signals` passes signals on to it and reaps it, `mask` conceals secret
//! values in a byte stream, and `relay` pipes the command's output through the masker.

mod child;
mod env;
mod inject;
mod mask;
mod relay;
mod signals;
mod watch;

use std::io::{self, Write};

pub use child::{Restart, Restarts, RunOptions, SCRUBBED_ENV, run_child};
pub(crate) use env::run;
pub(crate) use inject::inject;
pub use mask::{CONCEALED, MIN_MASKED_LEN, mask_stream};

/// Writes a one-line warning to stderr. A failure to write it is ignored: there is nowhere
/// else to report it.
fn warn(message: &str) {
    let _ = writeln!(io::stderr(), "hush: warning: {message}");
}

/// A (name, value) pair as [`run_child`] takes them.
#[cfg(test)]
fn secret(name: &str, value: &str) -> (String, zeroize::Zeroizing<String>) {
    (name.to_owned(), zeroize::Zeroizing::new(value.to_owned()))
}
