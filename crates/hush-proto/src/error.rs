//! The core's error type.
//!
//! Errors are typed and each has a stable [`Error::code`] that front ends match on (the desktop UI
//! never matches message strings). Decryption failures are deliberately coarse: whether a key was
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
    #[error(
        "a master password is needed: unlock the Hush app or run `hush unlock` first, set HUSH_PASSWORD (for scripts), or run in a terminal"
    )]
    PasswordRequired,
    /// Stored or received data failed authentication or structural checks.
    #[error("integrity check failed: {0}; the data was corrupted or tampered with")]
    Integrity(String),
    /// The key-derivation parameters in a header are below the enforced floor.
    #[error("key-derivation parameters below the safe minimum ({0}); refusing to open")]
    WeakKdf(String),
    /// No store exists at the given home.
    #[error("no Hush store at {}; run `hush init --name NAME` first", .0.display())]
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
        code: &'static str,
        /// The original message.
        message: String,
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

impl Error {
    /// A stable, machine-readable code for front ends.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassword => "wrong_password",
            Error::PasswordRequired => "password_required",
            Error::Integrity(_) => "integrity",
            Error::WeakKdf(_) => "weak_kdf",
            Error::NotInitialized(_) => "not_initialized",
            Error::AlreadyInitialized(_) => "already_initialized",
            Error::NotFound(_) => "not_found",
            Error::Ambiguous(_) => "ambiguous",
            Error::Exists(_) => "exists",
            Error::Invalid(_) => "invalid",
            Error::Forbidden(_) => "forbidden",
            Error::Agent(_) => "agent",
            Error::Offline(_) => "offline",
            Error::Relay(_) => "relay",
            Error::Database(_) => "database",
            Error::Remote { code, .. } => code,
            Error::Io { .. } => "io",
            Error::WitnessUnavailable(_) => "witness_unavailable",
        }
    }

    /// Builds an [`Error::Io`] with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Rebuilds an error from a code and message that crossed a process boundary.
    pub fn from_code(code: &str, message: String) -> Self {
        const CODES: &[&str] = &[
            "wrong_password",
            "password_required",
            "integrity",
            "weak_kdf",
            "not_initialized",
            "already_initialized",
            "not_found",
            "ambiguous",
            "exists",
            "invalid",
            "forbidden",
            "agent",
            "database",
            "io",
            "offline",
            "relay",
            "witness_unavailable",
        ];
        let code = CODES
            .iter()
            .copied()
            .find(|c| *c == code)
            .unwrap_or("agent");
        Error::Remote { code, message }
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
