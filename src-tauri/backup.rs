//! Backups from the app: `create_backup` and `restore_backup` (docs/DESKTOP-IPC.md). The same
//! file as `hush backup`/`hush restore`, made and read by `hush_core::backup`; see
//! docs/TRANSFER.md for what it holds.
//!
//! The person types the file's path: the app has no file-dialog plugin and grants the web view
//! no filesystem access, so the path is a string checked here (absolute, or under `~/`). The
//! passphrase arrives as [`Sensitive`] (zeroized on drop, never serialized or logged) and stays
//! in Rust. scrypt and the file I/O run on a blocking thread, not on the async runtime.

use std::path::{Path, PathBuf};

use hush_core::backup::{self, BackupError, Contents};
use serde::Serialize;
use tauri::State;

use crate::dto::LockReason;
use crate::error::{CmdError, CmdResult};
use crate::sensitive::Sensitive;
use crate::state::Desktop;

/// What `create_backup` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupDto {
    /// The backup file.
    pub file: String,
    /// How many secrets it holds (in plaintext, under the backup passphrase).
    pub secrets: usize,
    /// When it was made.
    pub created_ms: i64,
}

/// What `restore_backup` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RestoreDto {
    /// How many secrets the backup listed.
    pub secrets: usize,
    /// When the backup was made: its master password of that day unlocks the restored store.
    pub backup_created_ms: i64,
    /// Where the store that was there before now is (renamed aside, never deleted).
    pub previous_store: Option<String>,
}

fn backup_error(e: BackupError) -> CmdError {
    hush_core::Error::from(e).into()
}

/// A path the person typed: absolute, or `~/…` under their home directory.
fn backup_path(path: &str) -> CmdResult<PathBuf> {
    let path = path.trim();
    let full = match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(rest)),
        None => Some(PathBuf::from(path)),
    };
    match full {
        Some(p) if p.is_absolute() && p.file_name().is_some() => Ok(p),
        _ => Err(CmdError::invalid(
            "give the backup file's full path, such as /home/you/hush-backup.age or ~/hush-backup.age",
        )),
    }
}

/// Runs blocking backup work (scrypt, file I/O) off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> backup::Result<T> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|_| {
            CmdError::new(
                hush_core::ErrorCode::Io,
                "the backup was interrupted; try again",
            )
        })?
        .map_err(backup_error)
}

#[tauri::command]
pub async fn create_backup(
    d: State<'_, Desktop>,
    path: String,
    passphrase: Sensitive,
    overwrite: bool,
) -> CmdResult<BackupDto> {
    let file = backup_path(&path)?;
    // Refused before reading anything, so a refusal leaves no usage record.
    backup::check_new_passphrase(&passphrase.0).map_err(backup_error)?;
    if file.exists() && !overwrite {
        return Err(backup_error(BackupError::FileExists(file)));
    }
    let home = d.home().to_owned();
    // Reading every value leaves the `backup` usage record, pushed by the next sync.
    let contents = d
        .write(|s| Box::pin(async move { Contents::gather(s, &home).await }))
        .await?;
    let written =
        blocking(move || backup::write(&file, &passphrase.0, contents, overwrite)).await?;
    Ok(BackupDto {
        file: written.file.display().to_string(),
        secrets: written.secrets,
        created_ms: written.created_ms,
    })
}

#[tauri::command]
pub async fn restore_backup(
    d: State<'_, Desktop>,
    path: String,
    passphrase: Sensitive,
    replace: bool,
) -> CmdResult<RestoreDto> {
    let file = backup_path(&path)?;
    let home = d.home().to_owned();
    backup::refuse_existing(&home, replace).map_err(backup_error)?;
    // Decrypt and check the file first: a wrong passphrase or a file that is not a backup
    // leaves the app as it was, unlocked or not.
    let opened = blocking(move || backup::open(&file, &passphrase.0)).await?;
    // The app's own session and agent socket must be gone before their store is replaced.
    if d.is_unlocked() {
        d.lock(LockReason::User).await;
    }
    let restored = backup::restore(&home, opened, replace, d.now_ms())
        .await
        .map_err(backup_error)?;
    Ok(RestoreDto {
        secrets: restored.secrets,
        backup_created_ms: restored.backup_created_ms,
        previous_store: restored
            .previous_store
            .as_deref()
            .map(Path::display)
            .map(|p| p.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_absolute_or_under_home() {
        assert_eq!(
            backup_path(" /tmp/b.age ").expect("absolute"),
            PathBuf::from("/tmp/b.age")
        );
        if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            assert_eq!(
                backup_path("~/b.age").expect("home"),
                PathBuf::from(h).join("b.age")
            );
        }
        for bad in ["b.age", "", "./b.age", "~", "/"] {
            assert_eq!(
                backup_path(bad).expect_err(bad).code,
                hush_core::ErrorCode::Invalid,
                "{bad:?} was accepted"
            );
        }
    }
}
