//! Hush leak scanning: find secrets in files, in what is staged for commit, and in git history.
//!
//! Two kinds of detector run over each buffer:
//!
//! * **Known values**: every value the user can decrypt, current and past versions, compiled into
//!   one Aho-Corasick automaton (leftmost-longest, so a value that contains another is reported
//!   as the longer one). This finds keys with no recognisable shape, which no pattern can.
//!   Values shorter than [`MIN_VALUE_LEN`] bytes are skipped (see there why).
//! * **Rules**: regular expressions for well-known provider key shapes ([`rules`]), gated by a
//!   keyword pass so that a buffer with no candidate costs one linear scan.
//!
//! A [`Finding`] says where (line, byte column) and what (the value's label, e.g.
//! `acme/payments/STRIPE_KEY v3`, or the rule id) and never carries the secret's bytes, so no
//! report, log or error built from findings can leak a value.
//!
//! This crate is a pure engine: it knows nothing of sessions, agents or the vault. The CLI turns
//! the values its backend returns into [`KnownValue`]s. Files are walked with the `ignore` crate
//! ([`walk`]), git content is read by running the `git` binary ([`git`]).
//!
//! Memory: the [`KnownValue`]s are zeroized when [`Scanner::new`] returns, but the automaton
//! built from them encodes the values and is an ordinary allocation of the `aho-corasick` crate,
//! which offers no zeroizing; it lives as long as the [`Scanner`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod git;
pub mod rules;
mod scanner;
pub mod walk;

use std::path::PathBuf;

pub use rules::RuleInfo;
pub use scanner::{Content, Finding, KnownValue, MIN_VALUE_LEN, Scanner, What, is_binary};

/// Default largest file or blob scanned, in bytes (64 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 64 * 1024 * 1024;

/// Errors that stop a scan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The matcher could not be built (a size limit; the message never contains a value).
    #[error("cannot build the matcher: {0}")]
    Build(String),
    /// A path given to scan cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Running git failed.
    #[error("git: {0}")]
    Git(String),
}

/// Something a scan skipped: reported so that a clean result is never silently partial.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// Larger than the size cap.
    TooLarge {
        /// Path (or `COMMIT:path`).
        what: String,
        /// Its size in bytes.
        size: u64,
        /// The cap in bytes.
        cap: u64,
    },
    /// Could not be read.
    Unreadable {
        /// Path (or `COMMIT:path`); may be empty when the reason names it.
        what: String,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::TooLarge { what, size, cap } => write!(
                f,
                "skipped {what}: {} is larger than the {} cap (--max-size)",
                human_bytes(*size),
                human_bytes(*cap)
            ),
            Note::Unreadable { what, reason } if what.is_empty() => {
                write!(f, "could not read: {reason}")
            }
            Note::Unreadable { what, reason } => write!(f, "could not read {what}: {reason}"),
        }
    }
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_read_well() {
        let n = Note::TooLarge {
            what: "a.bin".into(),
            size: 3 * 1024 * 1024,
            cap: 1024 * 1024,
        };
        assert_eq!(
            n.to_string(),
            "skipped a.bin: 3.0 MiB is larger than the 1.0 MiB cap (--max-size)"
        );
        assert_eq!(human_bytes(12), "12 B");
    }
}
