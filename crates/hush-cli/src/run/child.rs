//! Starting the command of `hush run` with the injected variables, waiting for it, and the exit
//! code hush ends with.
//!
//! # What the child sees
//!
//! The child inherits hush's environment plus the injected variables. Secrets travel only
//! through the environment, never on a command line, where `ps` would show them to every user
//! of the machine. Without `--mask`, stdin, stdout and stderr are the very descriptors hush was
//! given, so a terminal stays a terminal. With `--mask`, stdout and stderr go through pipes and
//! two relay threads copy them to hush's own stdout and stderr, concealing every occurrence of
//! every secret value of at least [`MIN_MASKED_LEN`](super::MIN_MASKED_LEN) bytes (see the
//! `mask` and `relay` modules). stdin stays attached in both modes.
//!
//! # How it ends
//!
//! hush stays alive until the child has ended and exits with the child's status: its exit
//! code, or 128 plus the signal that killed it. The signals hush receives meanwhile go to the
//! child (see the `signals` module).

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use nix::errno::Errno;
use signal_hook::consts::signal::{SIGCHLD, SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use zeroize::Zeroizing;

use super::mask::masker_for;
use super::relay::Relays;
use super::restart::Restarts;
use super::signals::supervise;

/// Variables hush reads that a child must never inherit: the master password and the
/// credentials of a machine identity would open every vault, not just the injected secrets.
pub const SCRUBBED_ENV: &[&str] = &["HUSH_PASSWORD", "HUSH_NEW_PASSWORD", "HUSH_SERVICE_TOKEN"];

/// Options for running a child with injected secrets.
#[derive(Default)]
pub struct RunOptions {
    /// Pipe the child's stdout and stderr through hush and conceal secret values in them.
    pub mask: bool,
    /// The secret values to conceal with `mask` (name for warnings, value): values that came
    /// from a vault or a `hush://` reference, not plain settings from an env file.
    pub conceal: Vec<(String, Zeroizing<String>)>,
    /// `--watch`: another thread may ask for the command to be started again with new values.
    pub restarts: Option<Arc<Restarts>>,
}

/// Runs `program` with `args`, adding `env` (name, value) to the inherited environment.
/// Returns the exit code hush should exit with: the child's code, or 128+signal if it died by a signal.
///
/// SIGINT, SIGTERM and SIGHUP received meanwhile are forwarded to the child (see the `signals`
/// module for the one exception). The handlers stay installed, doing nothing, after this
/// returns, so hush should exit soon after.
///
/// # Errors
///
/// Fails if the program cannot be started (the message names it and says what to check), or if
/// hush cannot set up signal handling or the masking pipes. Values of `env` never appear in
/// errors or warnings.
pub fn run_child(
    program: &OsStr,
    args: &[OsString],
    env: Vec<(String, Zeroizing<String>)>,
    opts: &RunOptions,
) -> anyhow::Result<i32> {
    // Installed before the child exists: from here on, these signals no longer kill hush.
    let mut wanted = vec![SIGINT, SIGTERM, SIGHUP, SIGCHLD];
    if opts.restarts.is_some() {
        wanted.push(signal_hook::consts::signal::SIGUSR2);
    }
    let mut signals =
        SignalsInfo::<WithOrigin>::new(wanted).context("cannot install hush's signal handlers")?;
    let mut env = env;
    let mut conceal = std::borrow::Cow::Borrowed(opts.conceal.as_slice());
    loop {
        let masker = if opts.mask {
            Some(Arc::new(masker_for(&conceal)?))
        } else {
            None
        };
        let restarts = opts.restarts.as_deref();
        let status = run_once(program, args, env, masker, &mut signals, restarts)?;
        match restarts.and_then(Restarts::take) {
            Some(next) => {
                super::say(&format!(
                    "restarting `{}`: {}",
                    program.to_string_lossy(),
                    next.why
                ));
                env = next.env;
                conceal = std::borrow::Cow::Owned(next.conceal);
            }
            None => return exit_code(status),
        }
    }
}

/// Starts the command once and waits for it (forwarding signals).
fn run_once(
    program: &OsStr,
    args: &[OsString],
    env: Vec<(String, Zeroizing<String>)>,
    masker: Option<Arc<super::mask::Masker>>,
    signals: &mut SignalsInfo<WithOrigin>,
    restarts: Option<&Restarts>,
) -> anyhow::Result<ExitStatus> {
    let mut command = Command::new(program);
    // The child gets the secrets it asked for, never the keys to all of them.
    for var in SCRUBBED_ENV {
        command.env_remove(var);
    }
    command
        .args(args)
        .envs(env.iter().map(|(name, value)| (name, value.as_str())));
    let relays = match &masker {
        Some(masker) => Some(Relays::start(&mut command, masker)?),
        None => None,
    };
    let spawned = command.spawn();
    // Dropping the command closes hush's copies of the pipes' write ends, so the relays see
    // end-of-file once the child (and anything it started) has closed them.
    drop(command);
    drop(env);
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            if let Some(relays) = relays {
                relays.finish();
            }
            return Err(spawn_error(program, &err));
        }
    };

    let status = supervise(signals, &mut child, restarts)?;
    if let Some(relays) = relays {
        relays.finish();
    }
    Ok(status)
}

/// The code hush exits with for a child that ended with `status`.
fn exit_code(status: ExitStatus) -> anyhow::Result<i32> {
    if let Some(code) = status.code() {
        Ok(code)
    } else if let Some(signal) = status.signal() {
        Ok(128 + signal)
    } else {
        bail!("the command ended without an exit code or a signal")
    }
}

/// Why `program` could not be started, and what to check.
fn spawn_error(program: &OsStr, err: &io::Error) -> anyhow::Error {
    let reason = match err.raw_os_error() {
        Some(code) => Errno::from_raw(code).desc().to_owned(),
        None => err.to_string(),
    };
    let advice = match err.kind() {
        io::ErrorKind::NotFound => "check the command name and PATH",
        io::ErrorKind::PermissionDenied => "check that the file is an executable program",
        _ => "check the command",
    };
    anyhow!(
        "cannot start `{}`: {reason}; {advice}",
        program.to_string_lossy()
    )
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::BufRead;
    use std::sync::{Mutex, MutexGuard};
    use std::thread;

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    use super::*;
    use crate::run::secret;

    /// Every test that calls `run_child` holds this: one of them signals the whole test
    /// process, and every `run_child` running at that moment would forward the signal.
    static RUN_LOCK: Mutex<()> = Mutex::new(());

    fn run_lock() -> MutexGuard<'static, ()> {
        RUN_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sh(script: &str, env: Vec<(String, Zeroizing<String>)>) -> anyhow::Result<i32> {
        let args = [OsString::from("-c"), OsString::from(script)];
        run_child(OsStr::new("sh"), &args, env, &RunOptions::default())
    }

    #[test]
    fn exit_code_is_passed_through() -> anyhow::Result<()> {
        let _lock = run_lock();
        assert_eq!(sh("exit 7", Vec::new())?, 7);
        assert_eq!(sh("exit 0", Vec::new())?, 0);
        Ok(())
    }

    #[test]
    fn death_by_signal_is_128_plus_signal() -> anyhow::Result<()> {
        let _lock = run_lock();
        assert_eq!(sh("kill -TERM $$", Vec::new())?, 143);
        Ok(())
    }

    #[test]
    fn exit_code_of_status() -> anyhow::Result<()> {
        // Raw wait statuses: exit code in the second byte, terminating signal in the first.
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8))?, 7);
        assert_eq!(exit_code(ExitStatus::from_raw(9))?, 137);
        Ok(())
    }

    #[test]
    fn injected_variables_reach_the_child() -> anyhow::Result<()> {
        let _lock = run_lock();
        let script = r#"test "$HUSH_T" = expected && test "$HUSH_U" = 'two words'"#;
        let env = vec![secret("HUSH_T", "expected"), secret("HUSH_U", "two words")];
        assert_eq!(sh(script, env)?, 0);
        let wrong = vec![secret("HUSH_T", "other"), secret("HUSH_U", "two words")];
        assert_eq!(sh(script, wrong)?, 1);
        Ok(())
    }

    #[test]
    fn the_inherited_environment_is_kept() -> anyhow::Result<()> {
        let _lock = run_lock();
        // The test process has a PATH (cargo needs one); the child must see it next to the
        // injected variable.
        assert_eq!(sh(r#"test -n "$PATH""#, vec![secret("HUSH_T", "x")])?, 0);
        Ok(())
    }

    #[test]
    fn a_missing_program_is_named_in_the_error() {
        let _lock = run_lock();
        let program = OsStr::new("hush-test-no-such-program");
        let result = run_child(
            program,
            &[],
            vec![secret("HUSH_T", "s3cr3t-value")],
            &RunOptions::default(),
        );
        let message = match result {
            Ok(code) => panic!("expected an error, the program ran and exited with {code}"),
            Err(err) => format!("{err:#}"),
        };
        assert!(message.contains("`hush-test-no-such-program`"), "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
        assert!(message.contains("PATH"), "{message}");
        assert!(!message.contains("s3cr3t-value"), "{message}");
    }

    #[test]
    fn masked_run_reports_the_exit_code() -> anyhow::Result<()> {
        let _lock = run_lock();
        let args = [
            OsString::from("-c"),
            OsString::from("echo masked-run-check; exit 3"),
        ];
        let env = vec![secret("HUSH_T", "masked-run-check"), secret("HUSH_U", "ab")];
        let opts = RunOptions {
            mask: true,
            conceal: env.clone(),
            restarts: None,
        };
        assert_eq!(run_child(OsStr::new("sh"), &args, env, &opts)?, 3);
        Ok(())
    }

    #[test]
    fn a_signal_from_another_process_is_forwarded() -> anyhow::Result<()> {
        let _lock = run_lock();
        let fifo = std::env::temp_dir().join(format!("hush-run-test-{}.fifo", std::process::id()));
        let _ = std::fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU)?;
        // The child says it is ready through the FIFO, then waits; `wait` returns as soon as
        // a trapped signal arrives.
        let script = r#"trap 'kill $p; exit 42' TERM; sleep 30 & p=$!; echo ready > "$FIFO"; wait $p; exit 1"#;
        let sender = {
            let fifo = fifo.clone();
            thread::spawn(move || -> io::Result<()> {
                let mut line = String::new();
                io::BufReader::new(File::open(&fifo)?).read_line(&mut line)?;
                assert_eq!(line, "ready\n");
                kill(Pid::this(), Signal::SIGTERM).map_err(io::Error::from)
            })
        };
        let env = vec![(
            "FIFO".to_owned(),
            Zeroizing::new(fifo.to_string_lossy().into_owned()),
        )];
        let code = sh(script, env);
        let _ = std::fs::remove_file(&fifo);
        assert_eq!(code?, 42);
        match sender.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Ok(())
    }
}
