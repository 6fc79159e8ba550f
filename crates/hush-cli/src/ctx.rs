//! What every command shares: the context (runtime, data directory, team, output mode), one
//! backend per command, reading a value from its argument or stdin, and writing to stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use hush_core::address::Address;
use hush_core::agent::AgentClient;
use hush_core::api;
use hush_core::secret::{SecretBuf, SecretString};
use tokio::runtime::Runtime;

use crate::backend::{self, Backend};

/// Context shared by commands.
pub(crate) struct Ctx {
    pub(crate) rt: Runtime,
    pub(crate) home: PathBuf,
    pub(crate) team: Option<String>,
    pub(crate) json: bool,
}

impl Ctx {
    /// Opens a backend, runs `f` on it, and closes it whatever `f` returned.
    pub(crate) fn with_backend<T>(&self, f: impl FnOnce(&mut Backend) -> Result<T>) -> Result<T> {
        with_backend(&self.rt, &self.home, f)
    }

    /// Opens a backend, runs one operation, closes.
    pub(crate) fn one<O: api::Op>(&self, op: O) -> Result<O::Output> {
        one(&self.rt, &self.home, op)
    }

    /// Opens a backend (asking for the password first), then reads a secret's value from
    /// `value` (with a warning on stderr: an argument is visible to other processes), or from
    /// stdin when it is omitted or "-" (a hidden prompt on a terminal), and runs the operation
    /// `op` makes of it.
    pub(crate) fn with_value<O: api::Op>(
        &self,
        address: &Address,
        value: Option<&str>,
        op: impl FnOnce(SecretString) -> O,
    ) -> Result<O::Output> {
        if value.is_some_and(|v| v != "-") {
            eprintln!("hush: warning: {ARGV_VALUE_WARNING}");
        }
        self.with_backend(|b| {
            let value = match value {
                None | Some("-") => read_value_from_stdin(address)?,
                Some(v) => SecretString::new(v.to_owned()),
            };
            self.rt.block_on(b.call(op(value)))
        })
    }

    /// The running agent of this data directory, if there is one.
    pub(crate) fn agent(&self) -> Option<AgentClient> {
        self.rt.block_on(AgentClient::connect(&self.home))
    }

    pub(crate) fn print_json(&self, v: &impl serde::Serialize) -> Result<()> {
        print_json(v)
    }
}

/// Says on stderr that `what` (VAULT/NAME) is this person's override, not the team's value.
pub(crate) fn override_note(what: &str) {
    eprintln!(
        "hush: note: {what} is your personal override, not the team's value (hush override rm {what} to use the team's again)"
    );
}

/// Why a value belongs on stdin, not in argv (`hush set`/`hush rotate` with a VALUE argument).
pub(crate) const ARGV_VALUE_WARNING: &str = "a value given as an argument is visible to other processes on this machine (ps, /proc/PID/cmdline) and may be kept in your shell history; leave VALUE out to be prompted for it, or pipe it on stdin";

/// Opens a backend for `home`, runs `f` on it, and closes it whatever `f` returned.
pub(crate) fn with_backend<T>(
    rt: &Runtime,
    home: &Path,
    f: impl FnOnce(&mut Backend) -> Result<T>,
) -> Result<T> {
    let mut b = rt.block_on(Backend::open(home))?;
    let r = f(&mut b);
    rt.block_on(b.close());
    r
}

/// Opens a backend for `home`, runs one operation, closes.
pub(crate) fn one<O: api::Op>(rt: &Runtime, home: &Path, op: O) -> Result<O::Output> {
    with_backend(rt, home, |b| rt.block_on(b.call(op)))
}

/// Prints `v` as pretty JSON on stdout (`--json`).
pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<()> {
    let s = serde_json::to_string_pretty(v).context("cannot encode JSON")?;
    println!("{s}");
    Ok(())
}

/// Writes `parts` to stdout as they are and flushes: values, tokens and rendered files, which
/// must not pass through a formatting buffer.
pub(crate) fn write_stdout(parts: &[&[u8]]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for part in parts {
        out.write_all(part)?;
    }
    out.flush()?;
    Ok(())
}

/// The error for an output file that exists when `--force` was not given.
pub(crate) fn exists_without_force(path: &Path) -> anyhow::Error {
    anyhow!(
        "{} already exists; pass --force to overwrite it",
        path.display()
    )
}

/// The current time in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    (hush_core::session::system_clock())()
}

/// A secret's value from stdin (a hidden prompt on a terminal), without its final newline.
fn read_value_from_stdin(address: &Address) -> Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return backend::prompt_hidden(&format!("Value for {address}: "));
    }
    // A buffer that leaves no copy of the value behind when it grows.
    let mut buf = SecretBuf::new();
    buf.read_to_end(stdin.lock())
        .context("cannot read the value from stdin")?;
    if buf.last() == Some(b'\n') {
        buf.truncate(buf.len() - 1);
        if buf.last() == Some(b'\r') {
            buf.truncate(buf.len() - 1);
        }
    }
    SecretString::from_utf8(buf.into_zeroizing())
        .ok_or_else(|| anyhow!("the value on stdin is not valid UTF-8"))
}
