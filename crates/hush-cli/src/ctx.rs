//! What every command shares: the context (runtime, data directory, team, output mode), reading
//! a value from stdin, and the duration syntax of the CLI's flags.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use hush_core::address::Address;
use hush_core::api;
use hush_core::secret::SecretString;
use zeroize::Zeroizing;

use crate::backend::{self, Backend};

/// Context shared by commands.
pub(crate) struct Ctx {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) home: PathBuf,
    pub(crate) team: Option<String>,
    pub(crate) json: bool,
}

impl Ctx {
    pub(crate) fn backend(&self) -> Result<Backend> {
        self.rt.block_on(Backend::open(&self.home))
    }

    /// Opens a backend, runs one operation, closes.
    pub(crate) fn one<O: api::Op>(&self, op: O) -> Result<O::Output> {
        let mut b = self.backend()?;
        let r = self.rt.block_on(b.call(op));
        self.rt.block_on(b.close());
        r
    }

    pub(crate) fn print_json(&self, v: &impl serde::Serialize) -> Result<()> {
        let s = serde_json::to_string_pretty(v).context("cannot encode JSON")?;
        println!("{s}");
        Ok(())
    }
}

/// A secret's value from stdin (a hidden prompt on a terminal), without its final newline.
pub(crate) fn read_value_from_stdin(address: &Address) -> Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return backend::prompt_hidden(&format!("Value for {address}: "));
    }
    let mut buf = Zeroizing::new(Vec::new());
    stdin
        .lock()
        .read_to_end(&mut buf)
        .context("cannot read the value from stdin")?;
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    SecretString::from_utf8(buf).ok_or_else(|| anyhow!("the value on stdin is not valid UTF-8"))
}

/// Parses a duration such as `30s`, `10m`, `2h` or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || anyhow!("invalid duration {s:?}: use e.g. 30s, 10m or 2h");
    let (num, mult) = match s.chars().last() {
        Some('s') => (&s[..s.len() - 1], 1),
        Some('m') => (&s[..s.len() - 1], 60),
        Some('h') => (&s[..s.len() - 1], 3600),
        Some('d') => (&s[..s.len() - 1], 86_400),
        Some(c) if c.is_ascii_digit() => (s, 1),
        _ => return Err(bad()),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = n.checked_mul(mult).filter(|v| *v > 0).ok_or_else(bad)?;
    Ok(Duration::from_secs(secs))
}
