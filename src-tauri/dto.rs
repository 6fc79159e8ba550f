//! The shapes of docs/DESKTOP-IPC.md: camelCase JSON built from the core's types.
//!
//! The core's types serialize with snake_case fields for the agent protocol; the web view gets
//! these instead, so a change inside the core cannot silently change the contract. None of
//! them can hold a secret value (`reveal_secret` returns [`crate::sensitive::Revealed`]).
//!
//! The web view's TypeScript types are generated from these (`ts_rs::TS`) into
//! `ui/src/lib/ipc.gen.ts`; a test fails when that file is out of date (see `ipc_types.rs`).

use hush_core::anomaly::Alert;
use hush_core::audit::ActivityEntry;
use hush_core::event::{PutKind, TeamRole, VaultRole};
use hush_core::membership::{
    AccessInfo, ConflictInfo, ExposedInfo, InviteOut, JoinOut, MemberInfo, TeamStatus,
};
use hush_core::session::{RotationState, SecretInfo, TeamInfo, VaultInfo, VersionInfo, WhoAmI};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `app_state`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStateDto {
    /// A store exists in the data directory.
    pub initialized: bool,
    /// A session is open.
    pub unlocked: bool,
    /// The data directory.
    pub home: String,
    /// Desktop settings.
    pub settings: Settings,
}

/// Desktop settings (stored unencrypted in `desktop.json` in the data directory: they hold no
/// secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Seconds before a copied value is cleared from the clipboard.
    pub clipboard_clear_secs: u32,
    /// Minutes without input before the app locks.
    pub auto_lock_mins: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clipboard_clear_secs: 30,
            auto_lock_mins: 10,
        }
    }
}

impl Settings {
    /// Allowed ranges: 5 s to 10 min for the clipboard, 1 min to 24 h for auto-lock.
    pub fn validate(&self) -> Result<(), String> {
        if !(5..=600).contains(&self.clipboard_clear_secs) {
            return Err("clipboardClearSecs must be between 5 and 600".into());
        }
        if !(1..=1440).contains(&self.auto_lock_mins) {
            return Err("autoLockMins must be between 1 and 1440".into());
        }
        Ok(())
    }
}

/// `WhoAmI`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIDto {
    /// Display name.
    pub name: String,
    /// Device id.
    pub device_id: Uuid,
    /// Safety number.
    pub fingerprint: String,
}

impl From<WhoAmI> for WhoAmIDto {
    fn from(w: WhoAmI) -> Self {
        Self {
            name: w.name,
            device_id: w.device_id,
            fingerprint: w.fingerprint,
        }
    }
}

/// `TeamInfo`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamDto {
    /// The team's handle in this contract: its name (unique on a device), which is also what
    /// `SecretRow.team` and `VaultDto.team` carry and what commands take as `team`. While
    /// joining (no name known yet) it is the team's UUID, which commands also accept.
    pub id: String,
    /// Name; while joining, the local join label.
    pub name: String,
    /// The team's UUID: stable across admission, when `id` and `name` change to the real name.
    pub uuid: Uuid,
    /// Relay URL.
    pub relay: Option<String>,
    /// Selected team.
    pub selected: bool,
    /// Readable vaults.
    pub vaults: usize,
    /// This device asked to join and waits to be admitted.
    pub joining: bool,
    /// While joining: the safety code the inviter must hear before admitting this device.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub safety_code: Option<String>,
}

impl TeamDto {
    /// A team as listed; `label` and `safety_code` come from the session for a team that is
    /// still waiting for admission (its name is empty until then).
    pub fn new(t: TeamInfo, label: String, safety_code: Option<String>) -> Self {
        let joining = safety_code.is_some() || t.name.is_empty();
        let (id, name) = if joining {
            (t.id.to_string(), label)
        } else {
            (t.name.clone(), t.name)
        };
        Self {
            id,
            name,
            uuid: t.id,
            relay: t.relay,
            selected: t.selected,
            vaults: t.vaults,
            joining,
            safety_code,
        }
    }
}

impl From<TeamInfo> for TeamDto {
    fn from(t: TeamInfo) -> Self {
        let label = t.name.clone();
        Self::new(t, label, None)
    }
}

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

/// `MemberInfo`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    /// Name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Team role.
    pub role: TeamRole,
    /// `active`, `pending` or `removed`.
    pub status: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// For pending joins.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub safety_code: Option<String>,
}

impl From<MemberInfo> for MemberDto {
    fn from(m: MemberInfo) -> Self {
        Self {
            name: m.name,
            id: m.id,
            role: m.role,
            status: m.status,
            fingerprint: m.fingerprint,
            safety_code: m.safety_code,
        }
    }
}

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

/// `remove_member`'s answer.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RemovedDto {
    /// The removed member.
    pub member: MemberDto,
    /// Secrets to rotate.
    pub exposed: Vec<ExposedDto>,
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

/// `invite`'s answer.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct InviteDto {
    /// The one-line code to send.
    pub code: String,
    /// Expiry.
    pub expires_ms: i64,
}

impl From<InviteOut> for InviteDto {
    fn from(i: InviteOut) -> Self {
        Self {
            code: i.code,
            expires_ms: i.expires_ms,
        }
    }
}

/// `join_team`'s answer.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct JoinDto {
    /// Team id.
    pub team_id: Uuid,
    /// Code to compare with the inviter.
    pub safety_code: String,
}

impl From<JoinOut> for JoinDto {
    fn from(j: JoinOut) -> Self {
        Self {
            team_id: j.team_id,
            safety_code: j.safety_code,
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

/// `hush://locked`'s reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// No input for the auto-lock period.
    Idle,
    /// The system is going to sleep, or the screen locked.
    Sleep,
    /// The person (or `hush lock`) asked.
    User,
}
