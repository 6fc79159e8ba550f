//! What happened and what a person should look at: the activity log, security alerts, secrets
//! to rotate, and secrets in conflict.

use hush_core::anomaly::Alert;
use hush_core::audit::ActivityEntry;
use hush_core::membership::{ConflictInfo, ExposedInfo};
use serde::Serialize;

/// `ExposedInfo`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExposedDto {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// Why.
    pub reason: String,
    /// Since when.
    pub since_ms: i64,
}

impl From<ExposedInfo> for ExposedDto {
    fn from(e: ExposedInfo) -> Self {
        Self {
            team: e.team,
            address: e.address,
            reason: e.reason,
            since_ms: e.since_ms,
        }
    }
}

/// `ConflictInfo`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ConflictDto {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// Competing versions; the last is current.
    pub versions: Vec<u32>,
}

impl From<ConflictInfo> for ConflictDto {
    fn from(c: ConflictInfo) -> Self {
        Self {
            team: c.team,
            address: c.address,
            versions: c.versions,
        }
    }
}

/// `security_alerts`: something a person should look at. Names, addresses and counts only,
/// never a value.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AlertDto {
    /// `service_new_ip`, `usage_spike`, `device_unseen` or `relay` (the UI shows others as
    /// they come).
    pub kind: String,
    /// Team.
    pub team: String,
    /// Who or what it is about: a member, a service identity, the relay.
    pub subject: String,
    /// One line for a person: what happened and what to do.
    pub detail: String,
    /// Since when, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub since_ms: Option<i64>,
    /// The next step about `subject` (the UI words it; `detail` names no command).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hint: Option<hush_core::Hint>,
}

impl From<Alert> for AlertDto {
    fn from(a: Alert) -> Self {
        Self {
            kind: a.kind,
            team: a.team,
            subject: a.subject,
            detail: a.detail,
            since_ms: a.since_ms,
            hint: a.hint,
        }
    }
}

/// `ActivityEntry`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDto {
    /// Log position.
    pub seq: u64,
    /// Author's time.
    pub time_ms: i64,
    /// Who.
    pub actor: String,
    /// What (machine-readable).
    pub action: String,
    /// On what.
    pub target: String,
    /// The vault it concerns, when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vault: Option<String>,
    /// For `used`: how (get, run, inject, reveal, copy, history); for `leaked`: the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
}

impl From<ActivityEntry> for ActivityDto {
    fn from(a: ActivityEntry) -> Self {
        Self {
            seq: a.seq,
            time_ms: a.time_ms,
            actor: a.actor,
            action: a.action,
            target: a.target,
            vault: a.vault,
            detail: a.detail,
        }
    }
}
