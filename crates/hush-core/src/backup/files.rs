//! Private files for a backup's temporary copies: created 0600 and never over an existing file,
//! removed on every exit path unless renamed into place.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Twelve random hex digits, for temporary file names.
pub(super) fn random_suffix() -> String {
    let nonce: [u8; 6] = crate::crypto::random_array();
    crate::relay_proto::hex(&nonce)
}

/// Creates `path` empty with mode 0600, failing if it exists.
pub(super) fn create_private(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

/// Removes a file when dropped (temporary files on every exit path), unless disarmed.
pub(super) struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    pub fn new(path: &Path) -> Self {
        Self(Some(path.to_owned()))
    }

    /// The file was renamed into place: nothing to remove.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}
