//! Team membership and vault access: invites, joins, admission, removal with re-keying, grants,
//! revocations, the exposed-keys checklist and conflicts.
//!
//! Every change here is a signed event built from the current state; the same builders run again
//! when a pending change is rebased onto events that arrived from the relay first
//! (see [`crate::sync`]), so permissions and key epochs are always re-checked at the position
//! where the event finally lands.
//!
//! The rooms: this one finds members and lists them; `joining` (invites, joins, admission),
//! `removal`, `access` (vault grants and revocations) and `status` (a team's status, the
//! exposed-keys checklist and conflicts).

mod access;
mod joining;
mod removal;
mod status;

use uuid::Uuid;

use crate::error::{Error, Hint, Result};
use crate::event::TeamRole;
use crate::invite;
use crate::session::{Session, Team};
use crate::state::TeamState;

pub use access::AccessInfo;
pub use joining::{InviteOut, JoinOut};
pub use status::{ConflictInfo, ExposedInfo, TeamStatus};

/// A member as listed by `hush members`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MemberInfo {
    /// Display name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Role.
    pub role: TeamRole,
    /// `active`, `pending` or `removed`.
    pub status: String,
    /// The device's fingerprint.
    pub fingerprint: String,
    /// For pending joins: the code both people compare before admission.
    pub safety_code: Option<String>,
}

/// Finds a member by unique display name, else by device-id prefix.
pub(crate) fn find_member(st: &TeamState, query: &str, active_only: bool) -> Result<Uuid> {
    let pool = st.members.values().filter(|m| m.active || !active_only);
    let by_name: Vec<Uuid> = pool
        .clone()
        .filter(|m| m.cert.name == query)
        .map(|m| m.cert.device_id)
        .collect();
    if by_name.len() == 1 {
        return Ok(by_name[0]);
    }
    let q = query.to_lowercase();
    let by_id: Vec<Uuid> = pool
        .filter(|m| q.len() >= 4 && m.cert.device_id.to_string().starts_with(&q))
        .map(|m| m.cert.device_id)
        .collect();
    match (by_name.len(), by_id.as_slice()) {
        (_, [one]) => Ok(*one),
        (0, []) => Err(Error::NotFound(format!("member `{query}`")).with_hint(Hint::Members)),
        _ => Err(Error::Ambiguous(format!(
            "`{query}` matches several members; use a device id prefix instead of the name"
        ))
        .with_hint(Hint::Members)),
    }
}

impl Session {
    /// The id of a team by name (or the selected one).
    pub fn team_id(&self, team: Option<&str>) -> Result<Uuid> {
        self.active_team(team)
    }

    /// Resolves a member query (used by the CLI before destructive commands).
    pub fn member_id(&self, team: Option<&str>, query: &str) -> Result<Uuid> {
        let tid = self.active_team(team)?;
        find_member(&self.team_ref(tid)?.state, query, false)
    }

    pub(crate) fn team_ref(&self, tid: Uuid) -> Result<&Team> {
        self.teams
            .get(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))
    }

    pub(crate) async fn save_settings(&mut self, tid: Uuid) -> Result<()> {
        let key = crate::crypto::subkey(&self.account, b"hush/v1/settings");
        let sealed =
            crate::crypto::seal(&key, tid.as_bytes(), &self.team_ref(tid)?.settings.encode());
        self.store.update_team_settings(tid, &sealed).await
    }

    pub(super) fn my_team_role(&self, st: &TeamState) -> Result<TeamRole> {
        st.active_member(&self.identity.device_id)
            .map(|m| m.role)
            .ok_or_else(|| {
                Error::Forbidden("this device is not an active member of the team".into())
            })
    }

    pub(super) fn require_manager(&self, st: &TeamState) -> Result<()> {
        if self.my_team_role(st)?.is_manager() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only team owners and admins can do that".into(),
            ))
        }
    }

    /// Members (active, removed) and pending joins.
    pub fn members(&self, team: Option<&str>) -> Result<Vec<MemberInfo>> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let mut out: Vec<MemberInfo> = t
            .state
            .members
            .values()
            .map(|m| MemberInfo {
                name: m.cert.name.clone(),
                id: m.cert.device_id,
                role: m.role,
                status: if m.active { "active" } else { "removed" }.into(),
                fingerprint: m.cert.fingerprint(),
                safety_code: None,
            })
            .collect();
        for p in &t.settings.pending_joins {
            let Some(inv) = t
                .settings
                .invites
                .iter()
                .find(|i| i.invite_id == p.invite_id)
            else {
                continue;
            };
            out.push(MemberInfo {
                name: p.cert.name.clone(),
                id: p.cert.device_id,
                role: inv.role,
                status: "pending".into(),
                fingerprint: p.cert.fingerprint(),
                safety_code: Some(invite::safety_code(&inv.secret, &p.cert)),
            });
        }
        Ok(out)
    }

    /// A team's name, or its join label while joining.
    pub fn team_label(&self, tid: Uuid) -> String {
        match self.teams.get(&tid) {
            Some(t) if !t.state.name.is_empty() => t.state.name.clone(),
            Some(t) => t
                .settings
                .joining
                .as_ref()
                .map_or_else(|| tid.to_string(), |j| j.label.clone()),
            None => tid.to_string(),
        }
    }
}
