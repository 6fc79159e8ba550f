//! `hush run --watch`: the command starts with its values and starts again when one of them
//! changes.
//!
//! The command runs on its own thread (`run_child` with [`Restarts`]: signals forwarded, the
//! child reaped there). This thread watches: it asks the session (the agent, or the session this
//! process unlocked) for signed long-polls, one per team with a relay, and waits on the relays
//! itself, so the agent is never held by a 30-second request. When a relay has news it waits a
//! moment for more (a teammate's change often comes as several events), syncs, builds the
//! command's environment again from the same `--vault`s and `--env-file`, and asks for a restart
//! if a variable was added, removed or changed, naming them (never a value). A relay that cannot
//! be reached is retried every few seconds; the command keeps running meanwhile. When the
//! command ends without a restart pending, hush ends with its exit code.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use hush_core::api;
use nix::sys::signal::Signal;

use super::child::{RunOptions, run_child};
use super::env::{Injected, inject_all};
use super::restart::{Restart, Restarts};
use crate::backend::Backend;
use crate::cli::RunArgs;
use crate::ctx::Ctx;

/// How long one long-poll waits on the relay.
const LONG_POLL_MS: u64 = 25_000;
/// How long to wait after news for more of it before syncing.
const DEBOUNCE: Duration = Duration::from_millis(400);
/// How long to wait before trying a relay that failed again.
const RETRY: Duration = Duration::from_secs(5);

/// `hush run --watch [--restart-signal SIG] ... -- CMD [ARGS...]`.
pub(crate) fn run_watch(ctx: &Ctx, args: RunArgs) -> Result<i32> {
    let signal = parse_signal(&args.restart_signal)?;
    let (program, rest) = args
        .command
        .split_first()
        .map(|(p, r)| (p.clone(), r.to_vec()))
        .ok_or_else(|| anyhow!("no command given: use hush run --watch -- CMD [ARGS...]"))?;
    let mut b = ctx.rt.block_on(Backend::open(&ctx.home))?;
    let result = watch(ctx, &mut b, &args, signal, program, rest);
    ctx.rt.block_on(b.close());
    result
}

fn watch(
    ctx: &Ctx,
    b: &mut Backend,
    args: &RunArgs,
    signal: Signal,
    program: std::ffi::OsString,
    rest: Vec<std::ffi::OsString>,
) -> Result<i32> {
    let Injected { env, conceal } = inject_all(ctx, b, args)?;
    let mut current = names_and_values(&env);
    let restarts = Arc::new(Restarts::new(signal));
    let opts = RunOptions {
        mask: args.mask,
        conceal,
        restarts: Some(restarts.clone()),
    };
    // A restart is announced with SIGUSR2 (`Restarts::request`). Give it a handler now, before
    // the command's thread installs its signal loop: its default action would end hush.
    signal_hook::flag::register(
        signal_hook::consts::signal::SIGUSR2,
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )
    .context("cannot install hush's signal handlers")?;
    let (done_tx, mut done) = tokio::sync::oneshot::channel::<()>();
    let runner = std::thread::spawn(move || {
        let r = run_child(&program, &rest, env, &opts);
        let _ = done_tx.send(());
        r
    });
    let mut failing = false;
    loop {
        let waits = ctx.rt.block_on(b.call(api::ChangeWaits {
            timeout_ms: LONG_POLL_MS,
        }));
        let news = match waits {
            Ok(waits) if waits.is_empty() => {
                super::warn(
                    "--watch: no team of this device syncs through a relay; the command runs without watching",
                );
                break;
            }
            Ok(waits) => ctx.rt.block_on(async {
                let polls = waits
                    .into_iter()
                    .map(|w| Box::pin(async { w.send().await.map_err(anyhow::Error::from) }));
                tokio::select! {
                    _ = &mut done => None,
                    r = first_of(polls) => Some(r),
                }
            }),
            Err(e) => Some(Err(e.context("cannot sign the relay long-poll"))),
        };
        let Some(news) = news else { break };
        match news {
            Ok(false) => continue,
            Ok(true) => failing = false,
            Err(e) => {
                if !failing {
                    super::warn(&format!(
                        "--watch: {e}; retrying every {} s",
                        RETRY.as_secs()
                    ));
                    failing = true;
                }
                if pause(ctx, &mut done, RETRY) {
                    break;
                }
                continue;
            }
        }
        if pause(ctx, &mut done, DEBOUNCE) {
            break;
        }
        if let Err(e) = ctx.rt.block_on(b.call(api::Sync {
            team: None,
            all: true,
        })) {
            super::warn(&format!("--watch: sync failed: {e}"));
            continue;
        }
        let next = match inject_all(ctx, b, args) {
            Ok(next) => next,
            Err(e) => {
                super::warn(&format!(
                    "--watch: cannot read the values again: {e}; the command keeps its old ones"
                ));
                continue;
            }
        };
        let now = names_and_values(&next.env);
        let changed = changed_names(&current, &now);
        if changed.is_empty() {
            continue;
        }
        current = now;
        restarts.request(Restart {
            env: next.env,
            conceal: next.conceal,
            why: format!("{} changed", changed.join(", ")),
        })?;
    }
    runner
        .join()
        .map_err(|_| anyhow!("the thread running the command panicked"))?
}

/// Waits `d`, or less if the command ends meanwhile (true then).
fn pause(ctx: &Ctx, done: &mut tokio::sync::oneshot::Receiver<()>, d: Duration) -> bool {
    ctx.rt.block_on(async {
        tokio::select! {
            _ = done => true,
            () = tokio::time::sleep(d) => false,
        }
    })
}

/// The output of whichever of several futures finishes first.
async fn first_of<F, T>(futures: impl IntoIterator<Item = F>) -> T
where
    F: std::future::Future<Output = T> + Unpin,
{
    let mut futures: Vec<F> = futures.into_iter().collect();
    std::future::poll_fn(move |cx| {
        for f in &mut futures {
            if let std::task::Poll::Ready(v) = std::pin::Pin::new(f).poll(cx) {
                return std::task::Poll::Ready(v);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// (name, SHA-256 of the value): enough to see a change without keeping a second copy.
fn names_and_values(
    env: &[(String, zeroize::Zeroizing<String>)],
) -> std::collections::BTreeMap<String, [u8; 32]> {
    env.iter()
        .map(|(n, v)| {
            (
                n.clone(),
                hush_core::crypto::hash(b"hush/v1/watch", &[v.as_bytes()]),
            )
        })
        .collect()
}

/// Names added, removed or changed, sorted.
fn changed_names(
    old: &std::collections::BTreeMap<String, [u8; 32]>,
    new: &std::collections::BTreeMap<String, [u8; 32]>,
) -> Vec<String> {
    let mut out: Vec<String> = new
        .iter()
        .filter(|(n, h)| old.get(*n) != Some(h))
        .map(|(n, _)| n.clone())
        .chain(old.keys().filter(|n| !new.contains_key(*n)).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `TERM`, `SIGTERM`, `term`, or a number.
fn parse_signal(s: &str) -> Result<Signal> {
    let upper = s.trim().to_ascii_uppercase();
    if let Ok(n) = upper.parse::<i32>() {
        let sig = Signal::try_from(n).with_context(|| format!("no signal number {n}"))?;
        return parse_signal(sig.as_str());
    }
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    match name.parse::<Signal>() {
        // Stopped, the command would never end, so it would never start again.
        Ok(Signal::SIGSTOP | Signal::SIGTSTP) => {
            bail!("--restart-signal: {name} only pauses the command")
        }
        Ok(sig) => Ok(sig),
        Err(_) => {
            bail!("--restart-signal: `{s}` is not a signal name (TERM, INT, HUP, QUIT, USR1, …)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_name_or_number() {
        assert_eq!(parse_signal("TERM").ok(), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("sigint").ok(), Some(Signal::SIGINT));
        assert_eq!(parse_signal("1").ok(), Some(Signal::SIGHUP));
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("999").is_err());
    }

    #[test]
    fn changes_are_named() {
        let env = |pairs: &[(&str, &str)]| {
            names_and_values(
                &pairs
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), zeroize::Zeroizing::new((*v).to_owned())))
                    .collect::<Vec<_>>(),
            )
        };
        let old = env(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let new = env(&[("A", "1"), ("B", "changed"), ("D", "4")]);
        assert_eq!(changed_names(&old, &new), ["B", "C", "D"]);
        assert!(changed_names(&old, &old).is_empty());
    }
}
