//! Making a backup: gathering what it holds ([`Contents`]) and writing the encrypted file
//! ([`write`]).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::files::{RemoveOnDrop, create_private, random_suffix};
use super::{
    BACKUP_FORMAT, BACKUP_VERSION, BackupError, Manifest, Result, age_passphrase,
    check_new_passphrase,
};
use crate::error::Error;
use crate::secret::SecretString;
use crate::session::Session;
use crate::store::Store;
use crate::transfer::{ExportedSecret, json_exact};

/// scrypt work factor of a backup: N = 2^18, as the `age` tool uses.
const SCRYPT_LOG_N: u8 = 18;
pub(super) const ENTRY_README: &str = "README.txt";
pub(super) const ENTRY_MANIFEST: &str = "manifest.json";
pub(super) const ENTRY_STORE: &str = "store/hush.db";
const ENTRY_SECRETS: &str = "secrets.json";

/// What a backup holds.
pub struct Contents {
    /// Every secret this device can read, with value and metadata (`secrets.json`).
    pub secrets: Vec<ExportedSecret>,
    /// A consistent copy of the store's database file ([`snapshot`]).
    pub store: Vec<u8>,
    /// When the backup is made (ms since the Unix epoch).
    pub created_ms: i64,
}

impl Contents {
    /// Everything an unlocked session can put in a backup of the store in `home`: every readable
    /// secret (leaving a usage record of each, action `backup`) and a snapshot of the store.
    pub async fn gather(session: &mut Session, home: &Path) -> crate::Result<Self> {
        let secrets = session.backup_export().await?;
        let store = snapshot(&session.store, home).await?;
        Ok(Self {
            secrets,
            store,
            created_ms: (session.clock)(),
        })
    }
}

/// What [`write`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct Written {
    /// The backup file.
    pub file: PathBuf,
    /// How many secrets it holds in plaintext.
    pub secrets: usize,
    /// When it was made (ms since the Unix epoch).
    pub created_ms: i64,
}

/// A consistent copy of the database file of `store` (ciphertext and ids only), made through a
/// 0600 temporary file in the data directory `home` that is deleted as soon as it is read.
pub async fn snapshot(store: &Store, home: &Path) -> crate::Result<Vec<u8>> {
    let tmp = home.join(format!(".backup-{}.db", random_suffix()));
    create_private(&tmp)?;
    let _cleanup = RemoveOnDrop::new(&tmp);
    store.snapshot_into(&tmp).await?;
    std::fs::read(&tmp).map_err(|e| Error::io(format!("cannot read {}", tmp.display()), e))
}

fn readme(created_ms: i64) -> String {
    format!(
        "This is a Hush backup, written by Hush on {} UTC.

It is an age file (https://age-encryption.org) encrypted with the backup passphrase, holding a
tar archive:

  README.txt     this file
  manifest.json  format and version of this backup, date, number of secrets
  store/hush.db  a copy of the encrypted Hush store: `hush restore FILE` puts it back, and the
                 master password the store had on the day of the backup unlocks it
  secrets.json   every secret this device could read, IN PLAINTEXT (team, vault, name, value,
                 metadata), for an emergency where only the `age` tool is at hand

In an emergency, with only age and tar:

  age -d -o hush-backup.tar FILE
  tar -xf hush-backup.tar secrets.json

The backup passphrase is the only protection of secrets.json. Delete the extracted files as soon
as you are done with them.
",
        crate::item::format_time_ms(created_ms)
    )
}

#[derive(Serialize)]
struct SecretsFile<'a> {
    format: &'static str,
    version: u32,
    created_ms: i64,
    secrets: &'a [ExportedSecret],
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    data: &[u8],
    mtime_s: u64,
) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(mtime_s);
    h.set_cksum();
    tar.append_data(&mut h, path, data)
}

/// Writes `contents` to `file` as a backup encrypted to `passphrase` (at least
/// [`super::MIN_PASSPHRASE_CHARS`] characters). Refuses an existing `file` unless `overwrite`.
/// Blocking (scrypt and file I/O): async callers run it on a blocking thread.
pub fn write(
    file: &Path,
    passphrase: &SecretString,
    contents: Contents,
    overwrite: bool,
) -> Result<Written> {
    check_new_passphrase(passphrase)?;
    if file.exists() && !overwrite {
        return Err(BackupError::FileExists(file.to_owned()));
    }
    let Contents {
        secrets,
        store,
        created_ms,
    } = contents;
    let count = secrets.len();
    let mtime = u64::try_from(created_ms / 1000).unwrap_or(0);
    let manifest = Manifest {
        format: BACKUP_FORMAT.into(),
        version: BACKUP_VERSION,
        created_ms,
        hush_version: env!("CARGO_PKG_VERSION").into(),
        secrets: count,
    };
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|_| Error::Invalid("cannot encode JSON".into()))?;
    let plain = json_exact(&SecretsFile {
        format: "hush-backup-secrets",
        version: BACKUP_VERSION,
        created_ms,
        secrets: &secrets,
    })?;
    drop(secrets);

    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{} is not a file path", file.display())))?;
    let tmp = dir.join(format!(
        ".{}.hush-tmp-{}",
        name.to_string_lossy(),
        random_suffix()
    ));
    let out = create_private(&tmp)?;
    let mut cleanup = RemoveOnDrop::new(&tmp);
    let mut recipient = age::scrypt::Recipient::new(age_passphrase(passphrase));
    // A fixed work factor (the `age` tool's default) rather than one timed on this machine: a
    // slow or busy machine must not write a weaker backup.
    recipient.set_work_factor(SCRYPT_LOG_N);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| Error::Invalid(format!("cannot encrypt: {e}")))?;
    let write = || -> std::io::Result<std::fs::File> {
        let sink = encryptor.wrap_output(BufWriter::new(out))?;
        let mut tar = tar::Builder::new(sink);
        append_file(&mut tar, ENTRY_README, readme(created_ms).as_bytes(), mtime)?;
        append_file(&mut tar, ENTRY_MANIFEST, &manifest, mtime)?;
        append_file(&mut tar, ENTRY_STORE, &store, mtime)?;
        append_file(&mut tar, ENTRY_SECRETS, &plain, mtime)?;
        let sink = tar.into_inner()?;
        let buffered = sink.finish()?;
        let f = buffered.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        Ok(f)
    };
    write().map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    drop(plain);
    if file.exists() && !overwrite {
        return Err(BackupError::FileExists(file.to_owned()));
    }
    std::fs::rename(&tmp, file)
        .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
    cleanup.disarm();
    Ok(Written {
        file: file.to_owned(),
        secrets: count,
        created_ms,
    })
}
