//! End-to-end tests of `hush run` and `hush inject`: the real binary, in separate processes,
//! driven the way scripts and shells drive it.
//!
//! Secret values are set through stdin (never on a command line) and are unique to each test,
//! so that scanning every process's command line cannot be confused by another test running in
//! parallel. Nothing here sleeps to let something happen: tests wait for a line on a pipe or
//! for a process to exit, each with a deadline after which the test fails instead of hanging.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hush_tests::{Device, PASSWORD, assert_clean_error, bin, contains_bytes};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// What a masked secret looks like in `hush run --mask` output (part of the CLI contract).
const CONCEALED: &str = "<concealed by hush>";

/// How long a test waits for a condition before it fails: a hang is a failure, not a stall.
const PATIENCE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A value no other test (and no other process) uses.
fn unique(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An initialised device with one vault holding `secrets`.
fn device_with(vault: &str, secrets: &[(&str, &str)]) -> Device {
    let d = Device::init("runner");
    add_vault(&d, vault, secrets);
    d
}

/// Creates `vault` and sets each secret, passing the value on stdin.
fn add_vault(d: &Device, vault: &str, secrets: &[(&str, &str)]) {
    d.hush(&["vault", "create", vault]).assert().success();
    for &(name, value) in secrets {
        set(d, &format!("{vault}/{name}"), value);
    }
}

fn set(d: &Device, address: &str, value: &str) {
    d.hush(&["set", address])
        .write_stdin(value)
        .timeout(PATIENCE)
        .assert()
        .success();
}

/// Runs a prepared `hush` command to completion.
fn output(mut cmd: assert_cmd::Command) -> Output {
    cmd.timeout(PATIENCE).output().expect("run hush")
}

/// Runs `hush ARGS` with the password.
fn hush(d: &Device, args: &[&str]) -> Output {
    output(d.hush(args))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

/// Asserts that `hush` exited with `code` and returns its stdout.
fn expect_code(o: &Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "status {:?}; stdout: {}; stderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Asserts that `hush` failed with one clean error line and returns that line.
fn expect_error(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "hush unexpectedly succeeded: {}",
        stdout(o)
    );
    assert!(o.status.code().is_some(), "hush died: {:?}", o.status);
    let err = stderr(o);
    assert_clean_error(&err);
    err.lines()
        .find(|l| l.starts_with("hush: error:"))
        .expect("an error line")
        .to_owned()
}

/// Neither stream of `o` contains `value`.
fn assert_not_shown(o: &Output, value: &str) {
    assert!(
        !contains_bytes(&o.stdout, value.as_bytes()),
        "the value leaked to stdout: {}",
        stdout(o)
    );
    assert!(
        !contains_bytes(&o.stderr, value.as_bytes()),
        "the value leaked to stderr: {}",
        stderr(o)
    );
}

/// `hush` with no password in the environment and no terminal to prompt on, so that a locked
/// store fails instead of waiting for someone to type (when the tests run in a terminal).
fn hush_without_password_or_terminal(d: &Device, args: &[&str]) -> assert_cmd::Command {
    if std::fs::File::open("/dev/tty").is_err() {
        return d.hush_no_password(args);
    }
    let mut c = assert_cmd::Command::new("setsid");
    c.arg("--wait")
        .arg(bin("hush"))
        .env_remove("HUSH_PASSWORD")
        .env_remove("HUSH_SERVICE_TOKEN")
        .env("HUSH_HOME", d.home())
        .args(args);
    c
}

/// A `hush` process running in the background: stdin piped, stdout read line by line,
/// stderr collected. It runs in its own process group, so that a test that gives up can kill
/// hush and the command it started together.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stdout: Vec<String>,
    stderr: Option<JoinHandle<String>>,
    done: bool,
}

/// How a [`Running`] process ended.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Running {
    /// Starts `hush ARGS`, with the test password in its environment if `password`.
    fn start(d: &Device, args: &[&str], password: bool) -> Self {
        let mut cmd = std::process::Command::new(bin("hush"));
        cmd.env_remove("HUSH_PASSWORD")
            .env_remove("HUSH_SERVICE_TOKEN")
            .env("HUSH_HOME", d.home())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if password {
            cmd.env("HUSH_PASSWORD", PASSWORD);
        }
        let mut child = cmd.spawn().expect("start hush");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            stdout: Vec::new(),
            stderr: Some(stderr),
            done: false,
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits in i32"))
    }

    /// Reads stdout until a line equal to `want`, and returns the lines before it.
    fn wait_for_line(&mut self, want: &str) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let first = self.stdout.len();
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    let found = line == want;
                    self.stdout.push(line);
                    if found {
                        let before = self.stdout.len() - 1;
                        return self.stdout[first..before].to_vec();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.abort(&format!("no line {want:?} on stdout within {PATIENCE:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.abort(&format!("stdout ended before the line {want:?}"))
                }
            }
        }
    }

    /// Writes a line to hush's stdin (which the command inherits).
    fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").expect("write to hush's stdin");
        stdin.flush().expect("flush hush's stdin");
    }

    /// Sends `signal` to the hush process (only to it, not to its command).
    fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).expect("signal hush");
    }

    /// Closes stdin and waits for hush to exit (hush holds its stdout open until it exits, so
    /// the end of stdout means hush is gone or about to be).
    fn finish(mut self) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.stdout.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.abort(&format!("hush did not exit within {PATIENCE:?}"))
                }
            }
        }
        let status = self.child.wait().expect("wait for hush");
        self.done = true;
        let stderr = self
            .stderr
            .take()
            .expect("stderr reader")
            .join()
            .expect("stderr reader thread");
        let mut stdout = self.stdout.join("\n");
        stdout.push('\n');
        Finished {
            status,
            stdout,
            stderr,
        }
    }

    /// Kills hush and its command, then fails the test with what was seen so far.
    fn abort(&mut self, why: &str) -> ! {
        self.kill_group();
        let _ = self.child.wait();
        self.done = true;
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        panic!("{why}\nstdout so far: {:?}\nstderr: {stderr}", self.stdout);
    }

    fn kill_group(&self) {
        let _ = killpg(self.pid(), Signal::SIGKILL);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion between start and finish must not leave a command looping.
        if !self.done {
            self.kill_group();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn exit_code_of_the_command_is_passed_through() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    for (script, code) in [("exit 7", 7), ("exit 0", 0), ("exit 255", 255)] {
        let o = hush(&d, &["run", "--vault", "app", "--", "sh", "-c", script]);
        expect_code(&o, code);
        let o = hush(
            &d,
            &["run", "--vault", "app", "--mask", "--", "sh", "-c", script],
        );
        expect_code(&o, code);
    }
}

#[test]
fn death_by_signal_is_128_plus_the_signal() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    for (script, code) in [("kill -KILL $$", 137), ("kill -TERM $$", 143)] {
        for mask in [false, true] {
            let mut args = vec!["run", "--vault", "app"];
            if mask {
                args.push("--mask");
            }
            args.extend(["--", "sh", "-c", script]);
            let o = hush(&d, &args);
            expect_code(&o, code);
            // hush itself exits normally, with a code; it does not die by the signal.
            assert_eq!(o.status.signal(), None);
        }
    }
}

#[test]
fn a_command_that_cannot_start_is_named_in_the_error() {
    let value = unique("token");
    let d = device_with("app", &[("TOKEN", &value)]);
    let o = hush(
        &d,
        &["run", "--vault", "app", "--", "hush-test-no-such-program"],
    );
    let err = expect_error(&o);
    assert!(err.contains("hush-test-no-such-program"), "{err}");
    assert_not_shown(&o, &value);
}

// ---------------------------------------------------------------------------------------------
// 2. Signals sent to hush reach the command
// ---------------------------------------------------------------------------------------------

/// Starts a command that traps `trap` and exits with `code`, waits until it is ready, sends
/// `signal` to hush, and checks that the trap ran and its code came back through hush.
fn signal_is_forwarded(signal: Signal, trap: &str, code: i32, mask: bool) {
    let value = unique("forwarded");
    let d = device_with("app", &[("TOKEN", &value)]);
    let script = format!(
        "trap 'echo got-{trap}; exit {code}' {trap}; echo ready; while :; do sleep 0.05; done"
    );
    let mut args = vec!["run", "--vault", "app"];
    if mask {
        args.push("--mask");
    }
    args.extend(["--", "sh", "-c", &script]);
    let mut run = Running::start(&d, &args, true);
    run.wait_for_line("ready");
    run.signal(signal);
    let done = run.finish();
    assert_eq!(
        done.status.code(),
        Some(code),
        "{signal} (mask: {mask}): status {:?}, stdout {:?}, stderr {:?}",
        done.status,
        done.stdout,
        done.stderr
    );
    assert_eq!(done.stdout, format!("ready\ngot-{trap}\n"), "mask: {mask}");
    assert!(!done.stderr.contains("hush: error"), "{}", done.stderr);
}

#[test]
fn sigterm_is_forwarded_and_the_trap_exit_code_returned() {
    signal_is_forwarded(Signal::SIGTERM, "TERM", 42, false);
    signal_is_forwarded(Signal::SIGTERM, "TERM", 42, true);
}

#[test]
fn sighup_is_forwarded_and_the_trap_exit_code_returned() {
    signal_is_forwarded(Signal::SIGHUP, "HUP", 43, false);
    signal_is_forwarded(Signal::SIGHUP, "HUP", 43, true);
}

#[test]
fn sigint_sent_by_another_process_is_forwarded() {
    // A kill(2) from a process, unlike a Ctrl-C typed at a terminal, only reaches hush.
    signal_is_forwarded(Signal::SIGINT, "INT", 44, false);
    signal_is_forwarded(Signal::SIGINT, "INT", 44, true);
}

#[test]
fn a_forwarded_signal_that_kills_the_command_gives_128_plus_n() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    let script = "echo ready; while :; do sleep 0.05; done";
    let mut run = Running::start(
        &d,
        &["run", "--vault", "app", "--", "sh", "-c", script],
        true,
    );
    run.wait_for_line("ready");
    run.signal(Signal::SIGTERM);
    let done = run.finish();
    assert_eq!(done.status.code(), Some(143), "{}", done.stderr);
}

// ---------------------------------------------------------------------------------------------
// 3. --vault
// ---------------------------------------------------------------------------------------------

#[test]
fn vault_secrets_become_environment_variables_named_after_them() {
    let api = unique("api-key");
    let under = unique("under");
    let dashed = unique("dashed-value");
    let d = device_with(
        "app",
        &[("API_KEY", &api), ("_under9", &under), ("my-key", &dashed)],
    );
    let o = hush(
        &d,
        &[
            "run",
            "--vault",
            "app",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s\n' "$API_KEY" "$_under9"; env"#,
        ],
    );
    let out = expect_code(&o, 0);
    assert_eq!(out.lines().next(), Some(format!("{api}|{under}").as_str()));
    assert!(out.lines().any(|l| l == format!("API_KEY={api}")), "{out}");
    // `my-key` is not a valid variable name: skipped under no name at all, with a warning.
    let err = stderr(&o);
    let warning = err
        .lines()
        .find(|l| l.starts_with("hush: warning:") && l.contains("my-key"))
        .unwrap_or_else(|| panic!("no warning naming my-key: {err}"));
    assert!(warning.contains("app/my-key"), "{warning}");
    assert_not_shown(&o, &dashed);
}

#[test]
fn several_vaults_are_injected_together() {
    let a = unique("from-backend");
    let b = unique("from-payments");
    let d = device_with("backend", &[("DB_URL", &a)]);
    add_vault(&d, "payments", &[("STRIPE_KEY", &b)]);
    let o = hush(
        &d,
        &[
            "run",
            "--vault",
            "backend",
            "--vault",
            "payments",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s' "$DB_URL" "$STRIPE_KEY""#,
        ],
    );
    assert_eq!(expect_code(&o, 0), format!("{a}|{b}"));
    // With one vault, the other's secret is not there.
    let o = hush(
        &d,
        &[
            "run",
            "--vault",
            "backend",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s' "$DB_URL" "$STRIPE_KEY""#,
        ],
    );
    assert_eq!(expect_code(&o, 0), format!("{a}|"));
}

#[test]
fn an_unknown_vault_is_an_error_and_the_command_does_not_run() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    let marker = d.dir.path().join("ran");
    let marker_arg = marker.to_str().expect("utf-8 path");
    let o = hush(
        &d,
        &["run", "--vault", "nosuchvault", "--", "touch", marker_arg],
    );
    let err = expect_error(&o);
    assert!(err.contains("nosuchvault"), "{err}");
    assert!(!marker.exists(), "the command ran");
}

// ---------------------------------------------------------------------------------------------
// 4. --env-file
// ---------------------------------------------------------------------------------------------

/// Writes `text` to a file in the device's directory and returns its path as a string.
fn write_file(d: &Device, name: &str, text: &str) -> String {
    let path = d.dir.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn env_file_values_references_and_expansion() {
    let api = unique("api");
    let db = unique("db");
    let d = device_with("app", &[("API_KEY", &api), ("DB_PASS", &db)]);
    let env = write_file(
        &d,
        "app.env",
        "# a comment\n\
         PLAIN=plain value\n\
         SINGLE='single $NOT expanded'\n\
         DOUBLE=\"double \\\"quoted\\\"\"\n\
         API=hush://app/API_KEY\n\
         export DB=\"hush://personal/app/DB_PASS\"\n\
         URL=postgres://app:${DB}@db/${API}\n",
    );
    let o = hush(
        &d,
        &[
            "run",
            "--env-file",
            &env,
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s|%s|%s|%s|%s' "$PLAIN" "$SINGLE" "$DOUBLE" "$API" "$DB" "$URL""#,
        ],
    );
    assert_eq!(
        expect_code(&o, 0),
        format!(
            // dotenvx keeps the backslashes of `\"` in double quotes (only \n \r \t are escapes).
            "plain value|single $NOT expanded|double \\\"quoted\\\"|{api}|{db}|postgres://app:{db}@db/{api}"
        )
    );
}

#[test]
fn env_file_and_vault_together() {
    let a = unique("vault-value");
    let b = unique("file-value");
    let d = device_with("app", &[("FROM_VAULT", &a), ("OTHER", &b)]);
    let env = write_file(&d, "app.env", "FROM_FILE=hush://app/OTHER\n");
    let o = hush(
        &d,
        &[
            "run",
            "--vault",
            "app",
            "--env-file",
            &env,
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s' "$FROM_VAULT" "$FROM_FILE""#,
        ],
    );
    assert_eq!(expect_code(&o, 0), format!("{a}|{b}"));
}

#[test]
fn env_file_unknown_reference_is_an_error_and_the_command_does_not_run() {
    let value = unique("known");
    let d = device_with("app", &[("KNOWN", &value)]);
    let env = write_file(&d, "app.env", "A=hush://app/KNOWN\nB=hush://app/MISSING\n");
    let marker = d.dir.path().join("ran");
    let o = hush(
        &d,
        &[
            "run",
            "--env-file",
            &env,
            "--",
            "touch",
            marker.to_str().expect("utf-8 path"),
        ],
    );
    let err = expect_error(&o);
    assert!(err.contains("hush://app/MISSING"), "{err}");
    assert!(!marker.exists(), "the command ran");
    assert_not_shown(&o, &value);
}

#[test]
fn env_file_malformed_reference_is_named() {
    let d = device_with("app", &[("KNOWN", &unique("known"))]);
    let env = write_file(&d, "app.env", "A=hush://nope\n");
    let marker = d.dir.path().join("ran");
    let o = hush(
        &d,
        &[
            "run",
            "--env-file",
            &env,
            "--",
            "touch",
            marker.to_str().expect("utf-8 path"),
        ],
    );
    let err = expect_error(&o);
    assert!(err.contains("hush://nope"), "{err}");
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn missing_env_file_is_named() {
    let d = device_with("app", &[("KNOWN", &unique("known"))]);
    let missing = d.dir.path().join("no-such.env");
    let missing = missing.to_str().expect("utf-8 path");
    let o = hush(&d, &["run", "--env-file", missing, "--", "true"]);
    let err = expect_error(&o);
    assert!(err.contains(missing), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 5. --mask
// ---------------------------------------------------------------------------------------------

/// Prints the secret whole, inside other text, to stderr, and split over two writes.
const LEAKY: &str = r#"echo "$SECRET"; echo "before $SECRET after"; echo "err $SECRET" >&2; printf '%s' "${SECRET%????}"; sleep 0; printf '%s\n' "${SECRET#${SECRET%????}}"; exit 3"#;

#[test]
fn mask_conceals_the_value_even_split_across_writes() {
    let value = unique("masked-secret");
    let d = device_with("app", &[("SECRET", &value)]);
    let o = hush(
        &d,
        &["run", "--vault", "app", "--mask", "--", "sh", "-c", LEAKY],
    );
    let out = expect_code(&o, 3);
    assert_eq!(
        out,
        format!("{CONCEALED}\nbefore {CONCEALED} after\n{CONCEALED}\n")
    );
    assert!(
        stderr(&o).contains(&format!("err {CONCEALED}")),
        "{}",
        stderr(&o)
    );
    assert_not_shown(&o, &value);
}

#[test]
fn without_mask_the_value_is_printed() {
    // The control for the test above: the same command shows the value when not masked.
    let value = unique("masked-secret");
    let d = device_with("app", &[("SECRET", &value)]);
    let o = hush(&d, &["run", "--vault", "app", "--", "sh", "-c", LEAKY]);
    let out = expect_code(&o, 3);
    assert_eq!(out, format!("{value}\nbefore {value} after\n{value}\n"));
    assert!(stderr(&o).contains(&format!("err {value}")));
}

#[test]
fn mask_conceals_values_from_the_env_file() {
    let value = unique("file-secret");
    let d = device_with("app", &[("OTHER", &value)]);
    let env = write_file(&d, "app.env", "SECRET=hush://app/OTHER\n");
    let o = hush(
        &d,
        &["run", "--env-file", &env, "--mask", "--", "sh", "-c", LEAKY],
    );
    let out = expect_code(&o, 3);
    assert_eq!(
        out,
        format!("{CONCEALED}\nbefore {CONCEALED} after\n{CONCEALED}\n")
    );
    assert_not_shown(&o, &value);
}

#[test]
fn mask_warns_by_name_about_values_too_short_to_conceal() {
    let d = device_with("app", &[("PIN", "q7z"), ("LONG_ONE", &unique("long"))]);
    let o = hush(
        &d,
        &[
            "run", "--vault", "app", "--mask", "--", "sh", "-c", "exit 0",
        ],
    );
    expect_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("hush: warning:") && l.contains("PIN")),
        "{err}"
    );
    assert!(!err.contains("q7z"), "{err}");
    assert!(!err.contains("LONG_ONE"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 6. Secrets are never on a command line
// ---------------------------------------------------------------------------------------------

/// The command line of every process this user can read, as (pid, raw bytes).
#[cfg(target_os = "linux")]
fn all_command_lines() -> Vec<(i32, Vec<u8>)> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, std::fs::read(format!("/proc/{pid}/cmdline")).ok()?)))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn secrets_are_not_on_any_command_line() {
    let from_vault = unique("argv-vault");
    let from_file = unique("argv-file");
    let d = device_with("app", &[("FROM_VAULT", &from_vault), ("OTHER", &from_file)]);
    let env = write_file(&d, "app.env", "FROM_FILE=hush://app/OTHER\n");
    // The command shows its own command line and its parent's (hush), then waits until the
    // test has looked at every process on the machine.
    let script = r#"echo "pid $$"; echo "self $(tr '\0' ' ' < /proc/$$/cmdline)"; echo "parent $(tr '\0' ' ' < /proc/$PPID/cmdline)"; echo ready; read _; echo "args $0 $*""#;
    let mut run = Running::start(
        &d,
        &[
            "run",
            "--vault",
            "app",
            "--env-file",
            &env,
            "--",
            "sh",
            "-c",
            script,
            "sh",
            "plain-arg",
        ],
        true,
    );
    let shown = run.wait_for_line("ready");
    let sh_pid: i32 = shown[0]
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid line: {shown:?}"));

    // Every command line on the machine, while hush and its command are both alive.
    let lines = all_command_lines();
    let hush_pid = run.pid().as_raw();
    let seen = |pid: i32| lines.iter().any(|(p, l)| *p == pid && !l.is_empty());
    assert!(seen(hush_pid), "hush's command line was not read");
    assert!(seen(sh_pid), "the command's command line was not read");
    for value in [&from_vault, &from_file] {
        for (pid, line) in &lines {
            assert!(
                !contains_bytes(line, value.as_bytes()),
                "a secret is on the command line of process {pid}: {}",
                String::from_utf8_lossy(line)
            );
        }
        // The control: the value is where it should be, in the command's environment.
        let environ = std::fs::read(format!("/proc/{sh_pid}/environ")).expect("read environ");
        assert!(contains_bytes(&environ, value.as_bytes()));
    }

    run.send_line("go");
    let done = run.finish();
    assert_eq!(done.status.code(), Some(0), "{}", done.stderr);
    assert!(
        done.stdout
            .lines()
            .any(|l| l.starts_with("parent ") && l.contains(" run ") && l.contains("--vault")),
        "the parent's command line is hush's: {}",
        done.stdout
    );
    assert!(done.stdout.contains("args sh plain-arg"), "{}", done.stdout);
    for value in [&from_vault, &from_file] {
        assert!(!done.stdout.contains(value.as_str()), "{}", done.stdout);
    }
}

/// `hush run` gives the command the secrets it asked for, not the key to all of them: a
/// `HUSH_PASSWORD` in hush's environment must not reach the command.
#[test]
fn regression_master_password_is_not_passed_to_the_command() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    let o = hush(
        &d,
        &[
            "run",
            "--vault",
            "app",
            "--",
            "sh",
            "-c",
            r#"printf '%s' "${HUSH_PASSWORD-unset}""#,
        ],
    );
    assert_eq!(expect_code(&o, 0), "unset");
}

// ---------------------------------------------------------------------------------------------
// 7. hush inject
// ---------------------------------------------------------------------------------------------

const TEMPLATE: &str = "# config\n\
                        a={{ hush://app/A }}\n\
                        b={{hush://app/B}}\n\
                        team={{ hush://personal/app/A }}\n\
                        keep={{ other }}\n";

fn rendered(a: &str, b: &str) -> String {
    format!("# config\na={a}\nb={b}\nteam={a}\nkeep={{{{ other }}}}\n")
}

/// A device with secrets A and B, and a directory holding the template.
fn inject_setup() -> (Device, String, String, PathBuf) {
    let a = unique("inject-a");
    let b = unique("inject-b");
    let d = device_with("app", &[("A", &a), ("B", &b)]);
    let work = d.dir.path().join("work");
    std::fs::create_dir(&work).expect("create work dir");
    std::fs::write(work.join("config.tpl"), TEMPLATE).expect("write template");
    (d, a, b, work)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn inject_writes_a_private_file_and_refuses_to_overwrite_without_force() {
    let (d, a, b, work) = inject_setup();
    let tpl = work.join("config.tpl");
    let out = work.join("config.env");
    let (tpl_arg, out_arg) = (tpl.to_str().expect("utf-8"), out.to_str().expect("utf-8"));

    let o = hush(&d, &["inject", "-i", tpl_arg, "-o", out_arg]);
    assert_eq!(expect_code(&o, 0), "", "the values go to the file only");
    assert_not_shown(&o, &a);
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        rendered(&a, &b)
    );
    assert_eq!(mode(&out), 0o600);

    // Again without --force: refused, file unchanged.
    std::fs::write(&out, "hand edited\n").expect("edit");
    let o = hush(&d, &["inject", "-i", tpl_arg, "-o", out_arg]);
    let err = expect_error(&o);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "hand edited\n"
    );

    // With --force, after a change of value and of the file's mode: overwritten, 0600 again.
    let a2 = unique("inject-a2");
    set(&d, "app/A", &a2);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = hush(&d, &["inject", "-i", tpl_arg, "-o", out_arg, "--force"]);
    expect_code(&o, 0);
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        rendered(&a2, &b)
    );
    assert_eq!(mode(&out), 0o600);
    assert_eq!(names_in(&work), ["config.env", "config.tpl"]);
}

#[test]
fn inject_relative_output_path() {
    let (d, a, b, work) = inject_setup();
    let mut cmd = d.hush(&["inject", "--in", "config.tpl", "--out", "out.env"]);
    cmd.current_dir(&work);
    expect_code(&output(cmd), 0);
    let out = work.join("out.env");
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        rendered(&a, &b)
    );
    assert_eq!(mode(&out), 0o600);
    assert_eq!(names_in(&work), ["config.tpl", "out.env"]);
}

#[test]
fn inject_from_stdin_to_stdout() {
    let (d, a, b, _) = inject_setup();
    let mut cmd = d.hush(&["inject"]);
    cmd.write_stdin(TEMPLATE);
    assert_eq!(expect_code(&output(cmd), 0), rendered(&a, &b));
}

#[test]
fn inject_unknown_reference_writes_nothing() {
    let (d, a, _, work) = inject_setup();
    let tpl = work.join("bad.tpl");
    std::fs::write(
        &tpl,
        "a={{ hush://app/A }}\nmissing={{ hush://app/MISSING }}\n",
    )
    .expect("write template");
    let out = work.join("bad.env");
    let (tpl_arg, out_arg) = (tpl.to_str().expect("utf-8"), out.to_str().expect("utf-8"));

    let o = hush(&d, &["inject", "-i", tpl_arg, "-o", out_arg]);
    let err = expect_error(&o);
    assert!(err.contains("hush://app/MISSING"), "{err}");
    assert_not_shown(&o, &a);
    assert!(!out.exists(), "an output file was created");
    assert_eq!(names_in(&work), ["bad.tpl", "config.tpl"], "stray files");

    // Over an existing file with --force: the file is left as it was.
    std::fs::write(&out, "previous\n").expect("write");
    let o = hush(&d, &["inject", "-i", tpl_arg, "-o", out_arg, "--force"]);
    let err = expect_error(&o);
    assert!(err.contains("hush://app/MISSING"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "previous\n");
    assert_eq!(names_in(&work), ["bad.env", "bad.tpl", "config.tpl"]);

    // To stdout: nothing is printed, not even the part before the unknown reference.
    let mut cmd = d.hush(&["inject", "-i", tpl_arg]);
    cmd.current_dir(&work);
    let o = output(cmd);
    expect_error(&o);
    assert_eq!(stdout(&o), "");
}

#[test]
fn inject_malformed_reference_is_named() {
    let (d, _, _, work) = inject_setup();
    let mut cmd = d.hush(&["inject", "-o", "x.env"]);
    cmd.current_dir(&work)
        .write_stdin("ok\nbad={{ hush://nope }}\n");
    let err = expect_error(&output(cmd));
    assert!(err.contains("hush://nope"), "{err}");
    assert!(!work.join("x.env").exists());
}

// ---------------------------------------------------------------------------------------------
// 8. With the agent
// ---------------------------------------------------------------------------------------------

#[test]
fn agent_serves_run_and_inject_without_a_password_until_locked() {
    let (d, a, b, work) = inject_setup();
    let marker = work.join("ran");
    let marker_arg = marker.to_str().expect("utf-8").to_owned();
    let run_args = [
        "run",
        "--vault",
        "app",
        "--",
        "sh",
        "-c",
        r#"touch "$0"; printf '%s|%s|%s' "$A" "$B" "${HUSH_PASSWORD-no password}""#,
        &marker_arg,
    ];

    // Locked and no password: a clear error, and the command does not run.
    let before = output(hush_without_password_or_terminal(&d, &run_args));
    let err = expect_error(&before);
    assert!(
        err.contains("hush unlock") || err.contains("HUSH_PASSWORD"),
        "{err}"
    );
    assert!(!marker.exists());

    expect_code(&hush(&d, &["unlock", "--timeout", "10m"]), 0);

    // The agent's command line carries no password either.
    #[cfg(target_os = "linux")]
    {
        let home = d.home();
        let home = home.to_str().expect("utf-8 home").as_bytes();
        let lines = all_command_lines();
        assert!(
            lines
                .iter()
                .any(|(_, l)| contains_bytes(l, home) && contains_bytes(l, b"agent")),
            "no agent process found"
        );
        for (pid, line) in &lines {
            assert!(
                !contains_bytes(line, PASSWORD.as_bytes()),
                "the password is on the command line of process {pid}"
            );
        }
    }

    let o = output(d.hush_no_password(&run_args));
    assert_eq!(expect_code(&o, 0), format!("{a}|{b}|no password"));
    assert!(marker.exists());
    std::fs::remove_file(&marker).expect("remove marker");

    let mut inject = d.hush_no_password(&["inject"]);
    inject.write_stdin(TEMPLATE);
    assert_eq!(expect_code(&output(inject), 0), rendered(&a, &b));

    // Errors still come through the agent as one clean line naming the reference.
    let env = write_file(&d, "bad.env", "X=hush://app/MISSING\n");
    let o = output(d.hush_no_password(&["run", "--env-file", &env, "--", "touch", &marker_arg]));
    let err = expect_error(&o);
    assert!(err.contains("hush://app/MISSING"), "{err}");
    assert!(!marker.exists());

    let o = output(d.hush_no_password(&["lock"]));
    expect_code(&o, 0);
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));

    // Locked again: the same commands fail the same clear way.
    let o = output(hush_without_password_or_terminal(&d, &run_args));
    let err = expect_error(&o);
    assert!(
        err.contains("hush unlock") || err.contains("HUSH_PASSWORD"),
        "{err}"
    );
    assert!(!marker.exists());
    let mut inject = hush_without_password_or_terminal(&d, &["inject"]);
    inject.write_stdin(TEMPLATE);
    let o = output(inject);
    let err = expect_error(&o);
    assert!(
        err.contains("hush unlock") || err.contains("HUSH_PASSWORD"),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
}

/// `--mask` conceals secrets, not ordinary settings: plain env-file values stay readable.
#[test]
fn mask_leaves_plain_env_file_settings_readable() {
    let d = device_with("app", &[("TOKEN", &unique("token"))]);
    let env_file = d.dir.path().join("plain.env");
    std::fs::write(
        &env_file,
        "NODE_ENV=production\nPORT=8080\nT=hush://app/TOKEN\n",
    )
    .expect("write env file");
    let o = hush(
        &d,
        &[
            "run",
            "--mask",
            "--env-file",
            env_file.to_str().expect("utf-8 path"),
            "--",
            "sh",
            "-c",
            "echo \"mode $NODE_ENV port $PORT token $T\"",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "mode production port 8080 token <concealed by hush>\n"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. --watch
// ---------------------------------------------------------------------------------------------

/// Waits until `path` holds `want` (the command appends a line at every start), or fails after a
/// minute with what it holds.
fn wait_for_file(path: &Path, want: &str, stderr: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = std::fs::read_to_string(path).unwrap_or_default();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} holds {got:?}, not {want:?}; hush said: {}",
            path.display(),
            std::fs::read_to_string(stderr).unwrap_or_default()
        );
        // Polling a file the child writes: the condition, checked every 50 ms.
        thread::sleep(Duration::from_millis(50));
    }
}

/// `hush run --watch` starts the command again when a teammate changes a value it was given
/// (through the relay), says which variable changed (never the value), and passes the command's
/// end on as usual.
#[test]
fn watch_restarts_the_command_when_a_teammate_changes_a_value() {
    let relay = hush_tests::Relay::start();
    let (ada, bob) = hush_tests::owner_and_writer(&relay.url, "API_KEY", "first-value-1");
    ada.out(&["unlock"]);
    let set = |d: &Device, addr: &str, value: &str| d.set_from_stdin(&["set", addr], value);

    let out = ada.dir.path().join("starts.txt");
    let errors = ada.dir.path().join("watch.stderr");
    let mut watch = std::process::Command::new(bin("hush"))
        .env("HUSH_HOME", ada.home())
        .env_remove("HUSH_PASSWORD")
        .args(["run", "--watch", "--vault", "prod", "--", "sh", "-c"])
        .arg(format!(
            "printf '%s\\n' \"$API_KEY\" >> '{}'; exec sleep 600",
            out.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&errors).expect("stderr file"))
        .spawn()
        .expect("start hush run --watch");
    wait_for_file(&out, "first-value-1\n", &errors);

    // Bob changes the value on his laptop; ada's command starts again with the new one.
    set(&bob, "prod/API_KEY", "second-value-2");
    bob.out(&["sync"]);
    wait_for_file(&out, "first-value-1\nsecond-value-2\n", &errors);
    // A new variable counts as a change too.
    set(&bob, "prod/NEW_FLAG", "on");
    bob.out(&["sync"]);
    wait_for_file(
        &out,
        "first-value-1\nsecond-value-2\nsecond-value-2\n",
        &errors,
    );

    // SIGTERM to hush reaches the command; hush ends with its status.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(watch.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = watch.wait().expect("wait");
    assert_eq!(status.code(), Some(128 + 15), "{status:?}");
    let stderr = std::fs::read_to_string(&errors).expect("stderr");
    assert!(
        stderr.contains("hush: restarting `sh`: API_KEY changed"),
        "{stderr}"
    );
    assert!(stderr.contains("NEW_FLAG changed"), "{stderr}");
    assert!(!stderr.contains("value-"), "a value was printed: {stderr}");
}
