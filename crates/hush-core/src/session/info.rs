//! What a session reports to front ends: who this device is, teams, vaults, secrets with their
//! rotation state, versions, search hits, and the metadata changes a front end asks for.

use uuid::Uuid;

use crate::event::PutKind;
use crate::item::ItemMeta;
use crate::secret::SecretString;

/// Who this device is.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WhoAmI {
    /// Display name.
    pub name: String,
    /// Device id.
    pub device_id: Uuid,
    /// Safety number.
    pub fingerprint: String,
}

/// A team, as listed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamInfo {
    /// Team id.
    pub id: Uuid,
    /// Team name.
    pub name: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Whether it is selected.
    pub selected: bool,
    /// Number of readable vaults.
    pub vaults: usize,
}

/// A vault, as listed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VaultInfo {
    /// Team name.
    pub team: String,
    /// Vault id.
    pub id: Uuid,
    /// Vault name.
    pub name: String,
    /// Number of live secrets.
    pub secrets: usize,
}

/// A secret, as listed (never with its value).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SecretInfo {
    /// Team name.
    pub team: String,
    /// Vault name.
    pub vault: String,
    /// Secret name.
    pub name: String,
    /// Current version.
    pub version: u32,
    /// Time of the current version.
    pub updated_ms: i64,
    /// Metadata of the current version.
    pub meta: ItemMeta,
    /// Set when the value must be rotated (a member who could read it lost access).
    #[serde(default)]
    pub exposed: Option<crate::state::Exposure>,
    /// Versions in conflict (empty when none).
    #[serde(default)]
    pub conflict: Vec<u32>,
}

/// A secret with a rotation period is due this many days before its deadline.
pub const ROTATION_DUE_DAYS: i64 = 7;
/// A secret with an expiry date is due this many days before it.
pub const EXPIRY_DUE_DAYS: i64 = 14;

/// Where a secret stands against its rotation period and expiry date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RotationState {
    /// No period and no expiry set.
    None,
    /// Within its period and far from expiry.
    Ok,
    /// Within [`ROTATION_DUE_DAYS`] of its rotation deadline or [`EXPIRY_DUE_DAYS`] of its expiry.
    Due,
    /// Past its rotation period.
    Overdue,
    /// Past its expiry date.
    Expired,
}

const DAY_MS: i64 = 86_400_000;

/// When a secret's rotation and expiry fall due: the one place the thresholds live (the list's
/// rotation state and the lifecycle's key status both read them from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The expiry date as a day number (days since 1970-01-01), if one is set and valid.
    pub expiry_day: Option<i64>,
    /// When the rotation period runs out (last update + period), if a period is set.
    pub deadline_ms: Option<i64>,
}

impl Schedule {
    /// From when (exclusive) a rotation counts as due: [`ROTATION_DUE_DAYS`] before the deadline.
    pub fn rotation_due_after_ms(&self) -> Option<i64> {
        self.deadline_ms.map(|dl| dl - ROTATION_DUE_DAYS * DAY_MS)
    }

    /// From when (inclusive) an expiry counts as due: the start of the day [`EXPIRY_DUE_DAYS`]
    /// - 1 days before the expiry day.
    pub fn expiry_due_from_ms(&self) -> Option<i64> {
        self.expiry_day.map(|e| (e - EXPIRY_DUE_DAYS + 1) * DAY_MS)
    }

    /// The rotation deadline is near (or passed).
    pub fn rotation_due(&self, now_ms: i64) -> bool {
        self.rotation_due_after_ms().is_some_and(|t| now_ms > t)
    }

    /// The expiry day is near (or passed).
    pub fn expiry_due(&self, now_ms: i64) -> bool {
        self.expiry_due_from_ms().is_some_and(|t| now_ms >= t)
    }

    /// Past the expiry day (the day itself is still usable).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expiry_day
            .is_some_and(|e| now_ms.div_euclid(DAY_MS) > e)
    }

    /// Past the rotation deadline.
    pub fn overdue(&self, now_ms: i64) -> bool {
        self.deadline_ms.is_some_and(|dl| now_ms > dl)
    }
}

impl SecretInfo {
    /// When this secret's rotation and expiry fall due.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            expiry_day: self
                .meta
                .expires
                .as_deref()
                .and_then(|d| crate::item::parse_date(d).ok()),
            deadline_ms: self
                .meta
                .rotate_every_days
                .map(|d| self.updated_ms + i64::from(d) * DAY_MS),
        }
    }

    /// The rotation state at `now_ms`.
    pub fn rotation_state(&self, now_ms: i64) -> RotationState {
        let s = self.schedule();
        if s.expired(now_ms) {
            RotationState::Expired
        } else if s.overdue(now_ms) {
            RotationState::Overdue
        } else if s.expiry_day.is_none() && s.deadline_ms.is_none() {
            RotationState::None
        } else if s.rotation_due(now_ms) || s.expiry_due(now_ms) {
            RotationState::Due
        } else {
            RotationState::Ok
        }
    }
}

/// One version in a history listing.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VersionInfo {
    /// Version number.
    pub version: u32,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author's display name (or device id when unknown).
    pub author: String,
    /// Set or rotation.
    pub kind: PutKind,
    /// The value, only when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_secret")]
    pub value: Option<SecretString>,
}

mod opt_secret {
    use crate::secret::SecretString;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(v.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(SecretString::new))
    }
}

/// Changes to a secret's metadata; `None` keeps the previous value.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct MetaUpdate {
    /// New note.
    pub note: Option<String>,
    /// New tags (replace the old set).
    pub tags: Option<Vec<String>>,
    /// New URL.
    pub url: Option<String>,
    /// New scope note.
    pub scope: Option<String>,
    /// New expiry date (`YYYY-MM-DD`).
    pub expires: Option<String>,
    /// New rotation period in days.
    pub rotate_every_days: Option<u32>,
}

/// A search result.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SearchHit {
    /// The secret.
    pub secret: SecretInfo,
    /// Match score (higher is better).
    pub score: u32,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A secret `t/v/K` at version 1 with a rotation period and an expiry.
    pub(crate) fn info(updated_ms: i64, rotate: Option<u32>, expires: Option<&str>) -> SecretInfo {
        SecretInfo {
            team: "t".into(),
            vault: "v".into(),
            name: "K".into(),
            version: 1,
            updated_ms,
            meta: ItemMeta {
                name: "K".into(),
                rotate_every_days: rotate,
                expires: expires.map(str::to_owned),
                ..ItemMeta::default()
            },
            exposed: None,
            conflict: Vec::new(),
        }
    }

    #[test]
    fn rotation_states() {
        const DAY: i64 = 86_400_000;
        let t0 = crate::item::parse_date("2030-01-01").expect("date") * DAY;
        assert_eq!(info(t0, None, None).rotation_state(t0), RotationState::None);
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 10 * DAY),
            RotationState::Ok
        );
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 85 * DAY),
            RotationState::Due
        );
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 91 * DAY),
            RotationState::Overdue
        );
        let exp = Some("2030-02-01");
        assert_eq!(info(t0, None, exp).rotation_state(t0), RotationState::Ok);
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 25 * DAY),
            RotationState::Due
        );
        // The expiry day itself is still usable.
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 31 * DAY),
            RotationState::Due
        );
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 32 * DAY),
            RotationState::Expired
        );
    }
}
