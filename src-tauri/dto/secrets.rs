//! Vaults and secrets as the lists and the detail view show them: rows, versions, who can read
//! a secret, and `copy_secret`'s answer. Never a value.

use hush_core::event::{PutKind, VaultRole};
use hush_core::membership::AccessInfo;
use hush_core::session::{RotationState, SecretInfo, VaultInfo, VersionInfo};
use serde::Serialize;
use uuid::Uuid;

/// `VaultInfo`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultDto {
    /// Team name.
    pub team: String,
    /// The vault's handle in this contract: its name (unique in its team), as in `SecretRow.vault`.
    pub id: String,
    /// Vault name.
    pub name: String,
    /// Live secrets.
    pub secrets: usize,
    /// This device's role on the vault (`read` cannot add, edit or delete secrets).
    pub role: Option<VaultRole>,
}

impl VaultDto {
    /// A vault as listed, with this device's role on it.
    pub fn new(v: VaultInfo, role: Option<VaultRole>) -> Self {
        Self {
            team: v.team,
            id: v.name.clone(),
            name: v.name,
            secrets: v.secrets,
            role,
        }
    }
}

/// Why and since when a secret must be rotated.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExposureDto {
    /// Why.
    pub reason: String,
    /// Since when.
    pub since_ms: i64,
}

/// `SecretRow` (never a value).
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    /// Team.
    pub team: String,
    /// Vault.
    pub vault: String,
    /// Name.
    pub name: String,
    /// Current version.
    pub version: u32,
    /// Time of the current version.
    pub updated_ms: i64,
    /// Note.
    pub note: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Provider URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub url: Option<String>,
    /// Scope note.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub scope: Option<String>,
    /// Expiry date.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expires: Option<String>,
    /// Rotation period.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rotate_every_days: Option<u32>,
    /// Set when it must be rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub exposed: Option<ExposureDto>,
    /// Concurrent versions to resolve.
    pub conflict: bool,
    /// Rotation state now.
    pub rotation: RotationState,
}

impl SecretRow {
    /// A row from the core's listing, with the rotation state at `now_ms`.
    pub fn new(s: SecretInfo, now_ms: i64) -> Self {
        let rotation = s.rotation_state(now_ms);
        Self {
            team: s.team,
            vault: s.vault,
            name: s.name,
            version: s.version,
            updated_ms: s.updated_ms,
            note: s.meta.note,
            tags: s.meta.tags,
            url: s.meta.url,
            scope: s.meta.scope,
            expires: s.meta.expires,
            rotate_every_days: s.meta.rotate_every_days,
            exposed: s.exposed.map(|e| ExposureDto {
                reason: e.reason,
                since_ms: e.since_ms,
            }),
            conflict: !s.conflict.is_empty(),
            rotation,
        }
    }
}

/// `VersionRow` (never a value).
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionRow {
    /// Version.
    pub version: u32,
    /// Author's time.
    pub time_ms: i64,
    /// Author.
    pub author: String,
    /// `set` or `rotation`.
    pub kind: PutKind,
}

impl From<VersionInfo> for VersionRow {
    fn from(v: VersionInfo) -> Self {
        // `v.value` is dropped (and zeroized) here; history is always asked for without values.
        Self {
            version: v.version,
            time_ms: v.time_ms,
            author: v.author,
            kind: v.kind,
        }
    }
}

/// `AccessRow`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessRow {
    /// Member name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Role on the vault.
    pub role: VaultRole,
}

impl From<AccessInfo> for AccessRow {
    fn from(a: AccessInfo) -> Self {
        Self {
            name: a.name,
            id: a.id,
            role: a.role,
        }
    }
}

/// `SecretDetail`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretDetail {
    /// The row.
    pub row: SecretRow,
    /// Versions, newest first.
    pub history: Vec<VersionRow>,
    /// Who can read it.
    pub access: Vec<AccessRow>,
}

/// `copy_secret`'s answer: no value, only how long it stays on the clipboard.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CopyOut {
    /// Seconds until cleared; 0 for formats that hold no secret (`reference`), which are not
    /// cleared.
    pub clear_after_secs: u32,
}
