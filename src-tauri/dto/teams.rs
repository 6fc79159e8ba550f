//! Teams and their members: the team list, members, removing one, invites and joining.

use hush_core::event::TeamRole;
use hush_core::membership::{InviteOut, JoinOut, MemberInfo};
use hush_core::session::TeamInfo;
use serde::Serialize;
use uuid::Uuid;

use super::activity::ExposedDto;

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

/// `remove_member`'s answer.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RemovedDto {
    /// The removed member.
    pub member: MemberDto,
    /// Secrets to rotate.
    pub exposed: Vec<ExposedDto>,
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
