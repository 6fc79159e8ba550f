//! Conversions between SQLite columns and Rust values: sequence numbers are `INTEGER` (signed),
//! ids and hashes are `BLOB`s of a fixed length. A stored value that does not convert is an
//! integrity failure; a sequence number too large to store is invalid input.

use uuid::Uuid;

use crate::error::{Error, Result};

/// A stored sequence number.
pub(super) fn u64_col(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Integrity("negative sequence number in store".into()))
}

/// A sequence number to store.
pub(super) fn i64_col(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Invalid("sequence number out of range".into()))
}

/// A stored id.
pub(super) fn uuid_col(b: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(b).map_err(|_| Error::Integrity("malformed id in store".into()))
}

/// A stored 32-byte hash; `what` names it in the error (`"malformed {what}"`).
pub(super) fn hash_col(b: Vec<u8>, what: &str) -> Result<[u8; 32]> {
    b.try_into()
        .map_err(|_| Error::Integrity(format!("malformed {what}")))
}
