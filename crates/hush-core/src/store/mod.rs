//! The encrypted local store: SQLite through sqlx.
//!
//! The store knows rows, not meaning: it holds the header, per-team settings and checkpoints, and
//! the raw event logs. All of it is either ciphertext or ids. Writes that must be atomic (an event
//! plus its checkpoint) happen in one `BEGIN IMMEDIATE` transaction; the `(team_id, seq)` primary
//! key makes appending a compare-and-swap on the head, so two processes writing at once cannot
//! fork the local log. WAL with `synchronous = FULL`: an acknowledged write survives a crash.
//!
//! The header also carries a MAC-protected commitment to every team's head, which catches a team
//! deleted or rolled back as a whole (see `commitment.rs`).
//!
//! The rooms: `open` creates and opens the database file (and runs the migrations); `header` is
//! the one header row; `commitment` is the header's commitment to the teams' heads; `teams` is
//! the team rows (sealed settings, checkpoints); `events` is the event logs, appending and the
//! outbox; `columns` converts SQLite columns to Rust values. This file holds the handle and what
//! concerns the whole database (backup copy, integrity check, closing).

mod columns;
mod commitment;
mod events;
mod header;
mod open;
mod teams;

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqlitePool;

use crate::error::{Error, Result};
use crate::secret::Key32;

pub use commitment::{
    TEAMS_KEY_LABEL, TeamHead, decode_team_heads, encode_team_heads, team_heads_mac,
};
pub use events::{Append, EventRow};
pub use header::{FORMAT, Header};
pub use open::{DB_FILE, ensure_private_dir};
pub use teams::TeamRow;

/// An open store.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    home: PathBuf,
    /// The key of the team commitment, once the account key is known.
    teams_key: std::sync::Arc<std::sync::Mutex<Option<Key32>>>,
}

impl Store {
    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Writes a consistent copy of the whole database to `dest` (SQLite `VACUUM INTO`), for
    /// backups. `dest` must not exist or be an empty file (create it first with the mode you
    /// want). The copy holds exactly what the store holds: ciphertext and ids.
    pub async fn snapshot_into(&self, dest: &Path) -> Result<()> {
        let path = dest
            .to_str()
            .ok_or_else(|| Error::Invalid(format!("{} is not valid UTF-8", dest.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Runs SQLite's own integrity check.
    pub async fn integrity_check(&self) -> Result<()> {
        let res: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        if res == "ok" {
            Ok(())
        } else {
            Err(Error::Integrity(format!("SQLite integrity check: {res}")))
        }
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
