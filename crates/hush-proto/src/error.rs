//! The core's error type.
//!
//! Errors are typed and each has a stable [`Error::code`] ([`ErrorCode`], the one list of codes
//! every front end shares; the desktop UI never matches message strings). Messages never name a
//! command to run: an error that knows the next step carries a [`Hint`], and each front end words
//! it for its people (the CLI as a `hush` command, the app in plain words). Decryption failures are deliberately coarse: whether a key was
//! wrong or a ciphertext was altered, the answer is the same integrity error, so nothing about the
//! plaintext or the key leaks through error detail. No message ever contains a secret value.

use std::path::PathBuf;

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The master password did not unlock the store.
    #[error("wrong master password (or the store header was altered)")]
    WrongPassword,
    /// No password source was available.
    #[error("a master password is needed")]
    PasswordRequired,
    /// Stored or received data failed authentication or structural checks.
    #[error("integrity check failed: {0}; the data was corrupted or tampered with")]
    Integrity(String),
    /// The key-derivation parameters in a header are below the enforced floor.
    #[error("key-derivation parameters below the safe minimum ({0}); refusing to open")]
    WeakKdf(String),
    /// No store exists at the given home.
    #[error("no Hush store at {}", .0.display())]
    NotInitialized(PathBuf),
    /// A store already exists.
    #[error("a Hush store already exists at {}", .0.display())]
    AlreadyInitialized(PathBuf),
    /// A named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A name matched more than one thing.
    #[error("{0}")]
    Ambiguous(String),
    /// A named thing already exists.
    #[error("{0} already exists")]
    Exists(String),
    /// Input failed validation (an address, a name, a date...).
    #[error("{0}")]
    Invalid(String),
    /// An operation is not allowed for this identity.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The agent could not be reached or answered badly.
    #[error("agent: {0}")]
    Agent(String),
    /// The relay could not be reached.
    #[error("relay unreachable: {0}; your changes are kept locally and will sync later")]
    Offline(String),
    /// The relay answered with an error.
    #[error("relay: {0}")]
    Relay(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// An error that crossed a process boundary (agent protocol), with its original code.
    #[error("{message}")]
    Remote {
        /// The original [`Error::code`].
        code: ErrorCode,
        /// The original message.
        message: String,
        /// The original [`Error::hint`].
        hint: Option<Hint>,
    },
    /// An error with a next step for the person ([`Error::with_hint`]); its code and message
    /// are the inner error's.
    #[error("{error}")]
    Hinted {
        /// The error.
        error: Box<Error>,
        /// What to do next.
        hint: Hint,
    },
    /// A witness the team requires could not be reached or is overloaded: sync fails closed.
    #[error(
        "witness unreachable: {0}; this team requires its co-signature, so nothing was stored or pushed; your changes are kept locally and will sync once it answers"
    )]
    WitnessUnavailable(String),
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// A stable, machine-readable error code: the one list shared by the core, the agent protocol,
/// the desktop shell and (generated from this enum) the web UI. Serialized in `snake_case`.
///
/// Most codes are [`Error`]'s; the last three are the desktop shell's and the web UI's own (no core
/// error has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// [`Error::WrongPassword`].
    WrongPassword,
    /// [`Error::PasswordRequired`].
    PasswordRequired,
    /// [`Error::Integrity`].
    Integrity,
    /// [`Error::WeakKdf`].
    WeakKdf,
    /// [`Error::NotInitialized`].
    NotInitialized,
    /// [`Error::AlreadyInitialized`].
    AlreadyInitialized,
    /// [`Error::NotFound`].
    NotFound,
    /// [`Error::Ambiguous`].
    Ambiguous,
    /// [`Error::Exists`].
    Exists,
    /// [`Error::Invalid`].
    Invalid,
    /// [`Error::Forbidden`].
    Forbidden,
    /// [`Error::Agent`]; also any code an older or newer peer sent that this build does not know.
    Agent,
    /// [`Error::Offline`].
    Offline,
    /// [`Error::Relay`].
    Relay,
    /// [`Error::WitnessUnavailable`].
    WitnessUnavailable,
    /// [`Error::Database`].
    Database,
    /// [`Error::Io`]; in the desktop shell also: its settings could not be saved.
    Io,
    /// Desktop shell: no session is open (unlock first).
    Locked,
    /// Desktop shell: the clipboard could not be written (e.g. no display); nothing was copied.
    Clipboard,
    /// Web UI: a rejection that was not a command's error (e.g. the shell refused the arguments).
    Internal,
}

impl ErrorCode {
    /// Every code, in the documented order.
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::WrongPassword,
        ErrorCode::PasswordRequired,
        ErrorCode::Integrity,
        ErrorCode::WeakKdf,
        ErrorCode::NotInitialized,
        ErrorCode::AlreadyInitialized,
        ErrorCode::NotFound,
        ErrorCode::Ambiguous,
        ErrorCode::Exists,
        ErrorCode::Invalid,
        ErrorCode::Forbidden,
        ErrorCode::Agent,
        ErrorCode::Offline,
        ErrorCode::Relay,
        ErrorCode::WitnessUnavailable,
        ErrorCode::Database,
        ErrorCode::Io,
        ErrorCode::Locked,
        ErrorCode::Clipboard,
        ErrorCode::Internal,
    ];

    /// The code as it appears on the wire (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::WrongPassword => "wrong_password",
            ErrorCode::PasswordRequired => "password_required",
            ErrorCode::Integrity => "integrity",
            ErrorCode::WeakKdf => "weak_kdf",
            ErrorCode::NotInitialized => "not_initialized",
            ErrorCode::AlreadyInitialized => "already_initialized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Ambiguous => "ambiguous",
            ErrorCode::Exists => "exists",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Agent => "agent",
            ErrorCode::Offline => "offline",
            ErrorCode::Relay => "relay",
            ErrorCode::WitnessUnavailable => "witness_unavailable",
            ErrorCode::Database => "database",
            ErrorCode::Io => "io",
            ErrorCode::Locked => "locked",
            ErrorCode::Clipboard => "clipboard",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code for a wire string; `None` for a code this build does not know.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(c: ErrorCode) -> String {
        c.as_str().to_owned()
    }
}

/// What a person can do next about an error. The core never words it as a command: each front
/// end renders it its own way (the CLI as the `hush` command to run, the app in words for people
/// without a terminal). Serialized in `snake_case` (the agent protocol and the desktop IPC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// No store yet: create an identity.
    Init,
    /// No master password available: unlock first.
    Unlock,
    /// The relay may have what is missing, or has not got this change yet: sync, then try again.
    Sync,
    /// Look at the team's members (names and device ids).
    Members,
    /// Choose a team to work in.
    SelectTeam,
    /// Look at the team's vaults.
    Vaults,
    /// Look at the team's required witnesses.
    Witnesses,
    /// The secret does not exist yet: create it (set a value) instead.
    CreateSecret,
    /// An alert about a service identity: revoke it (its subject) if the use was not yours.
    RevokeService,
    /// An alert about a device: remove it (its subject) from the team if it is gone.
    RemoveMember,
}

impl Error {
    /// A stable, machine-readable code for front ends.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WrongPassword => ErrorCode::WrongPassword,
            Error::PasswordRequired => ErrorCode::PasswordRequired,
            Error::Integrity(_) => ErrorCode::Integrity,
            Error::WeakKdf(_) => ErrorCode::WeakKdf,
            Error::NotInitialized(_) => ErrorCode::NotInitialized,
            Error::AlreadyInitialized(_) => ErrorCode::AlreadyInitialized,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Ambiguous(_) => ErrorCode::Ambiguous,
            Error::Exists(_) => ErrorCode::Exists,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::Agent(_) => ErrorCode::Agent,
            Error::Offline(_) => ErrorCode::Offline,
            Error::Relay(_) => ErrorCode::Relay,
            Error::Database(_) => ErrorCode::Database,
            Error::Remote { code, .. } => *code,
            Error::Io { .. } => ErrorCode::Io,
            Error::WitnessUnavailable(_) => ErrorCode::WitnessUnavailable,
            Error::Hinted { error, .. } => error.code(),
        }
    }

    /// What the person can do next, if the error knows.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::PasswordRequired => Some(Hint::Unlock),
            Error::NotInitialized(_) => Some(Hint::Init),
            Error::Remote { hint, .. } => *hint,
            Error::Hinted { hint, .. } => Some(*hint),
            _ => None,
        }
    }

    /// This error with a next step for the person (see [`Hint`]).
    pub fn with_hint(self, hint: Hint) -> Self {
        match self {
            Error::Hinted { error, .. } => Error::Hinted { error, hint },
            error => Error::Hinted {
                error: Box::new(error),
                hint,
            },
        }
    }

    /// Builds an [`Error::Io`] with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Rebuilds an error from a code, message and hint that crossed a process boundary. A code
    /// this build does not know becomes [`ErrorCode::Agent`].
    pub fn from_code(code: &str, message: String, hint: Option<Hint>) -> Self {
        let code = ErrorCode::parse(code).unwrap_or(ErrorCode::Agent);
        Error::Remote {
            code,
            message,
            hint,
        }
    }
}

#[cfg(feature = "sqlx")]
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // sqlx errors carry SQL text and driver detail, never row values we bind: our rows hold
        // only ciphertext and ids. Keep the message short anyway.
        match e {
            sqlx::Error::Database(db) => Error::Database(db.message().to_owned()),
            other => Error::Database(other.to_string()),
        }
    }
}

#[cfg(feature = "sqlx")]
impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Database(format!("migration failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_wire_string_and_parses_back() {
        for c in ErrorCode::ALL {
            let json = serde_json::to_string(&c).expect("serialize");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn a_remote_error_keeps_code_message_and_hint_and_unknown_codes_become_agent() {
        let e = Error::from_code(
            "not_found",
            "vault `x` not found".into(),
            Some(Hint::Vaults),
        );
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.hint(), Some(Hint::Vaults));
        assert_eq!(e.to_string(), "vault `x` not found");
        let e = Error::from_code("from_the_future", "m".into(), None);
        assert_eq!((e.code(), e.hint()), (ErrorCode::Agent, None));
    }

    #[test]
    fn a_hint_keeps_the_code_and_message_and_no_message_names_a_command() {
        let e = Error::NotFound("member `x`".into()).with_hint(Hint::Members);
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.hint(), Some(Hint::Members));
        assert_eq!(e.to_string(), "member `x` not found");
        let e = e.with_hint(Hint::Sync);
        assert_eq!(
            e.hint(),
            Some(Hint::Sync),
            "the newer hint replaces the older"
        );
        assert!(
            matches!(e, Error::Hinted { ref error, .. } if matches!(**error, Error::NotFound(_)))
        );
        for e in [
            Error::PasswordRequired,
            Error::NotInitialized(PathBuf::from("/h")),
        ] {
            assert!(e.hint().is_some(), "{e}");
            assert!(!e.to_string().contains("hush "), "{e}");
        }
    }
}
