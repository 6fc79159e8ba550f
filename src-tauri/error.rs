//! Errors as they cross to the web view: `{ code, message, hint? }`.
//!
//! `code` is the core's stable [`ErrorCode`] (the one list, shared with the UI through the
//! generated `ui/src/lib/ipc.gen.ts`; the UI matches codes, never messages), `locked` when a
//! command needs an unlocked store and there is none. Messages come from the core's `Display`,
//! which never contains a secret value nor a CLI command: `hint` says what to do next, and the
//! UI words it for people without a terminal.

use hush_core::{ErrorCode, Hint};
use serde::Serialize;

/// A command's error, serialized as `{ code, message, hint? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CmdError {
    /// Stable, machine-readable code.
    pub code: ErrorCode,
    /// What happened, for a person.
    pub message: String,
    /// What the person can do next, when known (the UI words it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hint: Option<Hint>,
}

/// A command's result.
pub type CmdResult<T> = Result<T, CmdError>;

impl CmdError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// The store is locked.
    pub fn locked() -> Self {
        Self::new(
            ErrorCode::Locked,
            "Hush is locked: unlock it with your master password",
        )
    }

    /// Input the contract does not allow.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }
}

impl From<hush_core::Error> for CmdError {
    fn from(e: hush_core::Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            hint: e.hint(),
        }
    }
}
