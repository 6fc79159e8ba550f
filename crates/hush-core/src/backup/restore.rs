//! Restoring a backup: putting its store in place of (or where there is no) store, checking
//! that it opens, and putting the previous state back if it does not.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive::Opened;
use super::files::{RemoveOnDrop, create_private, random_suffix};
use super::{BackupError, Result};
use crate::error::Error;
use crate::store::Store;

/// What [`restore`] did.
#[derive(Clone, Debug, Serialize)]
pub struct Restored {
    /// The data directory restored into.
    pub home: PathBuf,
    /// How many secrets the backup listed.
    pub secrets: usize,
    /// When the backup was made (ms since the Unix epoch).
    pub backup_created_ms: i64,
    /// Where the store that was there before now is (renamed aside, never deleted).
    pub previous_store: Option<PathBuf>,
}

/// Refuses an existing store in `home` unless `replace`; returns whether one exists. The part of
/// [`check_target`] a front end that serves the store itself (the app, with its own agent socket)
/// checks before it locks.
pub fn refuse_existing(home: &Path, replace: bool) -> Result<bool> {
    let existed = Store::exists(home);
    if existed && !replace {
        return Err(BackupError::StoreExists(home.to_owned()));
    }
    Ok(existed)
}

/// Whether a backup may be restored into `home`: refuses an existing store unless `replace`,
/// and a store an agent is serving (its keys and open database would outlive the swap). Returns
/// whether a store exists. The caller's own session, if any, must be closed first.
pub async fn check_target(home: &Path, replace: bool) -> Result<bool> {
    let existed = refuse_existing(home, replace)?;
    if existed && crate::agent::AgentClient::connect(home).await.is_some() {
        return Err(BackupError::AgentRunning(home.to_owned()));
    }
    Ok(existed)
}

/// Puts the store of an opened backup in place in `home` (mode 0600, in a 0700 directory). An
/// existing store (only with `replace`) is renamed to `hush.db.before-restore-STAMP`, its time
/// taken from `now_ms`. The restored store must open and pass SQLite's integrity check, else the
/// previous state is put back and the error returned.
pub async fn restore(home: &Path, backup: Opened, replace: bool, now_ms: i64) -> Result<Restored> {
    let existed = check_target(home, replace).await?;
    crate::store::ensure_private_dir(home)?;
    let tmp = home.join(format!(".restore-{}.db", random_suffix()));
    let mut cleanup = RemoveOnDrop::new(&tmp);
    {
        let mut f = create_private(&tmp)?;
        f.write_all(&backup.db)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    }
    let aside = if existed {
        let stamp = crate::item::format_time_ms(now_ms)
            .replace([' ', ':'], "")
            .replace('-', "");
        let suffix = format!(".before-restore-{stamp}");
        move_store(home, "", &suffix)?;
        Some(suffix)
    } else {
        None
    };
    let db = Store::db_path(home);
    let placed = match std::fs::rename(&tmp, &db) {
        Err(e) => Err(Error::io(format!("cannot write {}", db.display()), e)),
        Ok(()) => {
            cleanup.disarm();
            opens(home)
                .await
                .map_err(|e| Error::Invalid(format!("the restored store does not open: {e}")))
        }
    };
    if let Err(e) = placed {
        // Put things back as they were.
        for f in db_files(home) {
            let _ = std::fs::remove_file(f);
        }
        if let Some(suffix) = &aside {
            move_store(home, suffix, "")?;
        }
        return Err(e.into());
    }
    Ok(Restored {
        home: home.to_owned(),
        secrets: backup.manifest.secrets,
        backup_created_ms: backup.manifest.created_ms,
        previous_store: aside.map(|s| append_to_name(&db, &s)),
    })
}

/// Whether the store in `home` opens and passes SQLite's integrity check.
async fn opens(home: &Path) -> crate::Result<()> {
    let store = Store::open(home).await?;
    let r = async {
        store.header().await?;
        store.integrity_check().await
    }
    .await;
    store.close().await;
    r
}

/// The database file and its SQLite companions.
fn db_files(home: &Path) -> [PathBuf; 3] {
    let db = Store::db_path(home);
    let name = db.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut n = name.clone();
        n.push(suffix);
        PathBuf::from(n)
    };
    [db.clone(), with("-wal"), with("-shm")]
}

/// Renames the database (and its -wal/-shm) to `hush.db.SUFFIX` (and `-wal`/`-shm`).
fn move_store(home: &Path, suffix_from: &str, suffix_to: &str) -> crate::Result<()> {
    for f in db_files(home) {
        let from = append_to_name(&f, suffix_from);
        let to = append_to_name(&f, suffix_to);
        if from.exists() {
            std::fs::rename(&from, &to).map_err(|e| {
                Error::io(
                    format!("cannot move {} to {}", from.display(), to.display()),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

/// `hush.db-wal` + `.x` → `hush.db.x-wal`: SQLite finds a WAL by appending `-wal` to the
/// database path, so the suffix goes before it.
fn append_to_name(path: &Path, suffix: &str) -> PathBuf {
    if suffix.is_empty() {
        return path.to_owned();
    }
    let s = path.as_os_str().to_string_lossy();
    for companion in ["-wal", "-shm"] {
        if let Some(base) = s.strip_suffix(companion) {
            return PathBuf::from(format!("{base}{suffix}{companion}"));
        }
    }
    PathBuf::from(format!("{s}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companions_keep_their_suffix_last() {
        let db = Path::new("/h/hush.db");
        assert_eq!(append_to_name(db, ".x"), Path::new("/h/hush.db.x"));
        assert_eq!(
            append_to_name(Path::new("/h/hush.db-wal"), ".x"),
            Path::new("/h/hush.db.x-wal")
        );
        assert_eq!(append_to_name(db, ""), db);
    }
}
