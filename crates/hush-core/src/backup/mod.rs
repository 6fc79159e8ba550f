//! Backups: one file that holds the whole store and, for the day Hush itself is not at hand,
//! every readable secret in plaintext; and putting such a file's store back.
//!
//! Every front end makes and restores backups through this module (`hush backup`/`hush restore`
//! and the desktop app's Backup section); each renders [`BackupError`] in its own words.
//!
//! # The file
//!
//! An [age](https://age-encryption.org) file encrypted to a passphrase (the scrypt recipient,
//! work factor 2^18 as the `age` tool uses), so the stock `age` tool opens it. Inside, a tar
//! archive:
//!
//! | entry | what |
//! |---|---|
//! | `README.txt` | what this file is and how to use it |
//! | `manifest.json` | `{"format":"hush-backup","version":1,...}` |
//! | `store/hush.db` | a consistent copy of the encrypted store (SQLite `VACUUM INTO`) |
//! | `secrets.json` | every readable secret in plaintext: team, vault, name, value, metadata |
//!
//! [`write`] streams the archive straight into the age encryptor and from there to a temporary
//! file next to the target (renamed into place when complete): no plaintext ever reaches the
//! disk. `secrets.json` is built in a zeroizing buffer sized up front so it never moves.
//! [`open`] decrypts a file and reads its manifest and store (never `secrets.json`);
//! [`restore`] puts the store back, moving an existing one aside, and rolls back if the
//! restored store does not open.

mod archive;
mod files;
mod restore;
mod write;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::secret::SecretString;

pub use archive::{Opened, open};
pub use restore::{Restored, check_target, refuse_existing, restore};
pub use write::{Contents, Written, snapshot, write};

/// Shortest passphrase accepted for a new backup, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The `format` of a backup's manifest.
pub const BACKUP_FORMAT: &str = "hush-backup";
/// The backup format version this Hush writes and reads.
pub const BACKUP_VERSION: u32 = 1;

/// A backup's `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`BACKUP_FORMAT`].
    pub format: String,
    /// [`BACKUP_VERSION`] when written.
    pub version: u32,
    /// When the backup was made (ms since the Unix epoch).
    pub created_ms: i64,
    /// The version of Hush that wrote it.
    pub hush_version: String,
    /// How many secrets `secrets.json` holds.
    pub secrets: usize,
}

/// What can go wrong making or restoring a backup. The variants a front end words differently
/// (a CLI flag, a command to run) are their own; everything else is a core [`Error`] whose
/// message is the same everywhere.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file exists and overwriting was not asked for.
    #[error("{} already exists", .0.display())]
    FileExists(PathBuf),
    /// A store exists where a backup was to be restored, and replacing it was not asked for.
    #[error("a Hush store already exists at {}", .0.display())]
    StoreExists(PathBuf),
    /// An agent (the CLI's, or another app) is serving the store a backup was to replace.
    #[error("another Hush process is using the store at {}: lock it first", .0.display())]
    AgentRunning(PathBuf),
    /// A new backup's passphrase is too short.
    #[error(
        "the backup passphrase must be at least {MIN_PASSPHRASE_CHARS} characters: it is all that protects the plaintext copy of your secrets inside the backup"
    )]
    PassphraseTooShort,
    /// No passphrase was given to open a backup.
    #[error("the backup passphrase is empty")]
    PassphraseEmpty,
    /// The file is not a passphrase-encrypted age file holding a Hush backup.
    #[error("{} is not a Hush backup (not a passphrase-encrypted age file)", .0.display())]
    NotABackup(PathBuf),
    /// The passphrase does not open the file.
    #[error("wrong backup passphrase for {} (or the file is damaged)", .0.display())]
    WrongPassphrase(PathBuf),
    /// A backup of a format version this Hush does not read.
    #[error(
        "{} is a version {version} backup; this version of Hush reads version {BACKUP_VERSION}: update Hush",
        file.display()
    )]
    UnknownVersion {
        /// The backup file.
        file: PathBuf,
        /// Its format version.
        version: u32,
    },
    /// Anything else (files, the store, a damaged archive).
    #[error(transparent)]
    Core(#[from] Error),
}

impl From<BackupError> for Error {
    /// A core error with the same message, for front ends that show core errors as they are.
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::FileExists(p) => Error::Exists(p.display().to_string()),
            BackupError::StoreExists(home) => Error::AlreadyInitialized(home),
            BackupError::Core(e) => e,
            other => Error::Invalid(other.to_string()),
        }
    }
}

/// Result of the backup functions.
pub type Result<T, E = BackupError> = std::result::Result<T, E>;

/// Checks a passphrase for a new backup: at least [`MIN_PASSPHRASE_CHARS`] characters.
pub fn check_new_passphrase(p: &SecretString) -> Result<()> {
    if p.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(BackupError::PassphraseTooShort);
    }
    Ok(())
}

/// Checks a passphrase given to open a backup: not empty.
pub fn check_passphrase(p: &SecretString) -> Result<()> {
    if p.is_empty() {
        return Err(BackupError::PassphraseEmpty);
    }
    Ok(())
}

fn age_passphrase(p: &SecretString) -> age::secrecy::SecretString {
    age::secrecy::SecretString::from(p.expose().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::crypto::KdfParams;
    use crate::event::PutKind;
    use crate::session::{MetaUpdate, Session, system_clock};
    use crate::store::Store;
    use std::path::Path;

    const PASSPHRASE: &str = "a long backup passphrase";

    fn pass(p: &str) -> SecretString {
        SecretString::new(p.into())
    }

    #[tokio::test]
    async fn a_backup_restores_the_store_and_refuses_what_it_should() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let pw = pass("correct horse battery");
        let mut s = Session::init(&home, "alice", &pw, KdfParams::DEFAULT, system_clock())
            .await
            .expect("init");
        s.vault_create(None, "prod").await.expect("vault");
        let addr = Address::parse("prod/API_KEY").expect("addr");
        s.set(
            None,
            &addr,
            &pass("value-in-the-backup"),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");

        let file = dir.path().join("b.age");
        let contents = Contents::gather(&mut s, &home).await.expect("gather");
        assert!(matches!(
            write(&file, &pass("too short"), contents, false),
            Err(BackupError::PassphraseTooShort)
        ));
        assert!(!file.exists());
        let contents = Contents::gather(&mut s, &home).await.expect("gather");
        let written = write(&file, &pass(PASSPHRASE), contents, false).expect("write");
        assert_eq!(written.secrets, 1);
        let bytes = std::fs::read(&file).expect("read");
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
        assert!(!bytes.windows(19).any(|w| w == b"value-in-the-backup"));
        let contents = Contents::gather(&mut s, &home).await.expect("gather");
        assert!(matches!(
            write(&file, &pass(PASSPHRASE), contents, false),
            Err(BackupError::FileExists(_))
        ));
        // Only the backup is left: no temporary file next to it or in the data directory.
        let names = |d: &Path| -> Vec<String> {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .expect("ls")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(dir.path()), vec!["b.age", "home"]);
        assert!(names(&home).iter().all(|n| n.starts_with("hush.db")));
        s.close().await;

        assert!(matches!(
            open(&file, &pass("not the passphrase")),
            Err(BackupError::WrongPassphrase(_))
        ));
        assert!(matches!(
            open(&file, &pass("")),
            Err(BackupError::PassphraseEmpty)
        ));
        let junk = dir.path().join("junk");
        std::fs::write(&junk, b"this is not an age file").expect("write");
        assert!(matches!(
            open(&junk, &pass(PASSPHRASE)),
            Err(BackupError::NotABackup(_))
        ));

        // Into an empty data directory.
        let fresh = dir.path().join("fresh");
        let opened = open(&file, &pass(PASSPHRASE)).expect("open");
        assert_eq!(opened.manifest.secrets, 1);
        let r = restore(&fresh, opened, false, 0).await.expect("restore");
        assert_eq!((r.secrets, r.previous_store), (1, None));
        let s = Session::unlock(&fresh, &pw, system_clock())
            .await
            .expect("unlock the restored store");
        assert_eq!(
            s.get(None, &addr).expect("get").expose(),
            "value-in-the-backup"
        );
        s.close().await;

        // Over a store: only when asked, and the old one is kept.
        let opened = open(&file, &pass(PASSPHRASE)).expect("open");
        assert!(matches!(
            restore(&fresh, opened, false, 0).await,
            Err(BackupError::StoreExists(_))
        ));
        let opened = open(&file, &pass(PASSPHRASE)).expect("open");
        let r = restore(&fresh, opened, true, 0).await.expect("replace");
        let kept = r.previous_store.expect("kept aside");
        assert!(kept.exists(), "{}", kept.display());
        assert!(Store::exists(&fresh));
    }

    #[test]
    fn front_end_neutral_errors_map_to_core_codes() {
        let p = PathBuf::from("/x/b.age");
        assert_eq!(
            Error::from(BackupError::FileExists(p.clone())).code(),
            crate::ErrorCode::Exists
        );
        assert_eq!(
            Error::from(BackupError::StoreExists(p.clone())).code(),
            crate::ErrorCode::AlreadyInitialized
        );
        let e = Error::from(BackupError::NotABackup(p));
        assert_eq!(e.code(), crate::ErrorCode::Invalid);
        assert!(!e.to_string().contains("hush "), "{e}");
    }
}
