//! The sync indicator: each team's sync state and the overall status (`sync_status`,
//! `hush://sync`).

use hush_core::membership::TeamStatus;
use serde::Serialize;

/// One team's sync state (`TeamStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatusDto {
    /// Team.
    pub team: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Last successful sync.
    pub last_sync_ms: Option<i64>,
    /// Head sequence number.
    pub head_seq: Option<u64>,
    /// Short code of the head to compare with teammates.
    pub state_code: String,
    /// Events waiting to be pushed.
    pub outbox: u64,
    /// Secrets in conflict.
    pub conflicts: usize,
    /// Waiting for admission.
    pub joining: bool,
    /// Last relay misbehaviour detected.
    pub relay_alert: Option<String>,
    /// When a person last confirmed a teammate read the same state code.
    pub compared_ms: Option<i64>,
    /// The head event at that comparison.
    pub compared_seq: Option<u64>,
    /// Signed events that broke a rule and had no effect, with their authors.
    pub rejected: Vec<String>,
}

impl From<TeamStatus> for TeamStatusDto {
    fn from(t: TeamStatus) -> Self {
        Self {
            team: t.team,
            relay: t.relay,
            last_sync_ms: t.last_sync_ms,
            head_seq: t.head_seq,
            state_code: t.state_code,
            outbox: t.outbox,
            conflicts: t.conflicts,
            joining: t.joining,
            relay_alert: t.relay_alert,
            compared_ms: t.compared_ms,
            compared_seq: t.compared_seq,
            rejected: t.rejected,
        }
    }
}

/// The sync indicator's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Every team with a relay synced.
    Online,
    /// A relay could not be reached.
    Offline,
    /// A sync is running.
    Syncing,
    /// No team has a relay.
    Local,
    /// A relay lied (rollback, fork, bad events): syncing stopped.
    Misbehaving,
    /// A relay answered but refused: this device was removed from the team (or its access
    /// expired), the request was rate limited, or the clocks disagree. `alert` says which team
    /// and why.
    Refused,
}

/// `SyncStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Overall state.
    pub state: SyncState,
    /// Most recent successful sync of any team.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_sync_ms: Option<i64>,
    /// Secrets in conflict, all teams.
    pub conflicts: usize,
    /// Events waiting to be pushed, all teams.
    pub outbox: u64,
    /// What a person should know (relay misbehaviour, refusal).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alert: Option<String>,
    /// Per team.
    pub teams: Vec<TeamStatusDto>,
}
