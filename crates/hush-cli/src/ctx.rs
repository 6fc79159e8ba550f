//! What every command shares: the context (runtime, data directory, team, output mode), reading
//! a value from stdin, and the duration syntax of the CLI's flags.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use hush_core::address::Address;
use hush_core::api;
use hush_core::secret::{SecretBuf, SecretString};

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
