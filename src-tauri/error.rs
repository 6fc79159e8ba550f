//! Errors as they cross to the web view: `{ code, message }`.
//!
//! `code` is the core's stable [`hush_core::Error::code`] (the UI matches codes, never
//! messages), plus `locked` when a command needs an unlocked store and there is none. Messages
//! come from the core's `Display`, which never contains a secret value.

use serde::Serialize;

/// A command's error, serialized as `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CmdError {
    /// Stable, machine-readable code.
    pub code: String,
    /// What happened and what to do next, for a person.
    pub message: String,
}

/// A command's result.
pub type CmdResult<T> = Result<T, CmdError>;

impl CmdError {
    /// An error with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The store is locked.
    pub fn locked() -> Self {
        Self::new(
            "locked",
            "Hush is locked: unlock it with your master password",
        )
    }

    /// Input the contract does not allow.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }
}

impl From<hush_core::Error> for CmdError {
    fn from(e: hush_core::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}
