//! Creating and opening the database: the private data directory, the file created with mode
//! 0600, the connection settings (WAL, `synchronous = FULL`, `secure_delete`), the migrations,
//! and the in-memory store of a service identity's session. Explains a directory that cannot be
//! written, which SQLite reports only as "unable to open database file".

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Header, Store};
use crate::error::{Error, Result};
use crate::secret::Key32;

/// File name of the database inside the home directory.
pub const DB_FILE: &str = "hush.db";

/// Creates `dir` (and parents) with mode 0700, and tightens an existing one.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("cannot restrict {}", dir.display()), e))
}

/// Why a store could not be opened, when the reason is that its directory cannot be written:
/// SQLite in WAL mode writes `hush.db-shm` and `hush.db-wal` next to the database even to read,
/// and on its own only says "unable to open database file". Probed by creating a file, which is
/// what SQLite needs (permissions, `chattr +i` and read-only mounts all show).
fn not_writable(home: &Path) -> Option<Error> {
    let probe = home.join(format!(".hush-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
        Err(e) => Some(Error::io(
            format!(
                "the data directory {} is not writable (Hush writes its store there, even to read it)",
                home.display()
            ),
            e,
        )),
    }
}

impl Store {
    /// The database path under `home`.
    pub fn db_path(home: &Path) -> PathBuf {
        home.join(DB_FILE)
    }

    /// True when a store exists under `home`.
    pub fn exists(home: &Path) -> bool {
        Self::db_path(home).exists()
    }

    /// A store on `pool`, its commitment key not known yet.
    fn on_pool(pool: SqlitePool, home: PathBuf) -> Self {
        Self {
            pool,
            home,
            teams_key: Default::default(),
        }
    }

    async fn connect(home: &Path, create: bool) -> Result<Self> {
        let path = Self::db_path(home);
        if create {
            ensure_private_dir(home)?;
            // Create the file ourselves with mode 0600; SQLite gives -wal/-shm the same mode.
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Error::AlreadyInitialized(home.to_owned()),
                    _ => Error::io(format!("cannot create {}", path.display()), e),
                })?;
        } else if !path.exists() {
            return Err(Error::NotInitialized(home.to_owned()));
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(Error::from)?
            .filename(&path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref d) if d.message().contains("not a database") => {
                    Error::Integrity(format!("{} is not a Hush database", path.display()))
                }
                other => not_writable(home).unwrap_or_else(|| Error::from(other)),
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| not_writable(home).unwrap_or_else(|| Error::from(e)))?;
        Ok(Self::on_pool(pool, home.to_owned()))
    }

    /// Hands a new store its commitment key and writes its header.
    async fn initialize(self, header: &Header, teams_key: Key32) -> Result<Self> {
        self.set_teams_key(teams_key);
        self.write_header(header).await?;
        Ok(self)
    }

    /// Creates a new store under `home` and writes its header, committing to an empty set of
    /// teams under `teams_key` (the account subkey [`super::TEAMS_KEY_LABEL`]).
    pub async fn create(home: &Path, header: &Header, teams_key: Key32) -> Result<Self> {
        Self::connect(home, true)
            .await?
            .initialize(header, teams_key)
            .await
    }

    /// A store that lives only in this process's memory (a service identity's session in CI:
    /// nothing reaches the disk). One connection that never idles out, so the data lives as
    /// long as the store.
    pub async fn create_in_memory(header: &Header, teams_key: Key32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(Error::from)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Self::on_pool(pool, PathBuf::new())
            .initialize(header, teams_key)
            .await
    }

    /// Opens the existing store under `home`.
    pub async fn open(home: &Path) -> Result<Self> {
        Self::connect(home, false).await
    }
}
