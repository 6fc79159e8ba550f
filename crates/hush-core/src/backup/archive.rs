//! Opening a backup: decrypting the age file and reading its manifest and store. `secrets.json`
//! is for people with only `age` at hand; nothing here reads it.

use std::io::{BufReader, Read};
use std::path::Path;

use super::write::{ENTRY_MANIFEST, ENTRY_STORE};
use super::{
    BACKUP_FORMAT, BACKUP_VERSION, BackupError, Manifest, Result, age_passphrase, check_passphrase,
};
use crate::error::Error;
use crate::secret::SecretString;

/// Largest store accepted from a backup.
const MAX_STORE_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// A backup decrypted and checked: its manifest and the store it holds (ciphertext).
pub struct Opened {
    pub(super) db: Vec<u8>,
    /// The backup's manifest.
    pub manifest: Manifest,
}

/// Decrypts the backup `file` with `passphrase` and reads its manifest and store, checking that
/// it is a Hush backup of a version this Hush reads. Blocking (scrypt and file I/O).
pub fn open(file: &Path, passphrase: &SecretString) -> Result<Opened> {
    check_passphrase(passphrase)?;
    let invalid =
        |what: &str| BackupError::Core(Error::Invalid(format!("{}{what}", file.display())));
    let read_error = |io: std::io::Error| {
        BackupError::Core(Error::io(format!("cannot read {}", file.display()), io))
    };
    let not_ours = || BackupError::NotABackup(file.to_owned());
    let f = std::fs::File::open(file).map_err(read_error)?;
    let decryptor = age::Decryptor::new(BufReader::new(f)).map_err(|e| match e {
        age::DecryptError::Io(io) => read_error(io),
        _ => not_ours(),
    })?;
    if !decryptor.is_scrypt() {
        return Err(not_ours());
    }
    let identity = age::scrypt::Identity::new(age_passphrase(passphrase));
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::ExcessiveWork { .. } => invalid(
                ": its passphrase work factor is far above what this machine takes about a second for; refusing",
            ),
            age::DecryptError::Io(io) => read_error(io),
            _ => BackupError::WrongPassphrase(file.to_owned()),
        })?;
    let damaged = || invalid(" is damaged or was altered (it failed to decrypt part-way)");
    let mut archive = tar::Archive::new(reader);
    let mut db = None;
    let mut manifest = None;
    for entry in archive.entries().map_err(|_| damaged())? {
        let mut entry = entry.map_err(|_| damaged())?;
        let path = entry
            .path()
            .map_err(|_| damaged())?
            .to_string_lossy()
            .into_owned();
        match path.as_str() {
            ENTRY_STORE => {
                let size = entry.size();
                if size > MAX_STORE_BYTES {
                    return Err(invalid(": the store inside is implausibly large"));
                }
                let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                entry.read_to_end(&mut buf).map_err(|_| damaged())?;
                db = Some(buf);
            }
            ENTRY_MANIFEST => {
                let mut buf = Vec::new();
                (&mut entry)
                    .take(MAX_MANIFEST_BYTES)
                    .read_to_end(&mut buf)
                    .map_err(|_| damaged())?;
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&buf)
                        .map_err(|_| invalid(": malformed manifest.json"))?,
                );
            }
            // secrets.json is for people with only `age`; restore never reads it.
            _ => {}
        }
        if db.is_some() && manifest.is_some() {
            break;
        }
    }
    let manifest = manifest.ok_or_else(not_ours)?;
    if manifest.format != BACKUP_FORMAT {
        return Err(not_ours());
    }
    if manifest.version != BACKUP_VERSION {
        return Err(BackupError::UnknownVersion {
            file: file.to_owned(),
            version: manifest.version,
        });
    }
    let db = db.ok_or_else(|| invalid(": the backup holds no store"))?;
    if !db.starts_with(b"SQLite format 3\0") {
        return Err(invalid(": the store inside is not a database"));
    }
    Ok(Opened { db, manifest })
}
