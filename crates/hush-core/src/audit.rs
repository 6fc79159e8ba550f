//! The activity timeline: the signed log read back as "who did what, when".
//!
//! Every entry comes from an event this device verified (signature, chain, author's role at that
//! position), so the timeline cannot be edited without breaking the chain. Names are shown only
//! where this device can read them; changes in vaults it cannot read appear without names.

use uuid::Uuid;

use crate::error::Result;
use crate::event::{KeyScope, Payload, PutKind, SignedEvent};
use crate::session::Session;
use crate::state::TeamState;

/// One line of the timeline.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ActivityEntry {
    /// Log position.
    pub seq: u64,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author's display name.
    pub actor: String,
    /// Machine-readable action: created_team, created_vault, set, rotated, deleted, invited,
    /// admitted, removed, granted, revoked.
    pub action: String,
    /// What it acted on (`vault/NAME`, a member, a vault), when readable.
    pub target: String,
}

fn vault_name(st: &TeamState, id: &Uuid) -> String {
    st.vaults
        .get(id)
        .and_then(|v| v.name.clone())
        .unwrap_or_else(|| "(a vault you cannot read)".into())
}

fn item_name(st: &TeamState, vault: &Uuid, item: &Uuid, version: u32) -> String {
    let v = st.vaults.get(vault);
    let name = v
        .and_then(|v| v.items.get(item))
        .and_then(|i| i.versions.iter().find(|x| x.version == version))
        .and_then(|x| x.meta.as_ref())
        .map(|m| m.name.clone());
    match (v.and_then(|v| v.name.clone()), name) {
        (Some(vn), Some(n)) => format!("{vn}/{n}"),
        _ => "(a secret you cannot read)".into(),
    }
}

impl Session {
    /// The team's activity, newest first (at most `limit` entries).
    pub async fn activity(&self, team: Option<&str>, limit: usize) -> Result<Vec<ActivityEntry>> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let rows = self.store.events(tid, None).await?;
        let mut out = Vec::new();
        for row in rows.iter().rev() {
            if out.len() >= limit {
                break;
            }
            let ev = SignedEvent::decode(&row.bytes)?;
            let Some(key) = st.key(KeyScope::Log, ev.envelope.epoch) else {
                continue;
            };
            let body = ev.open_body(key)?;
            let name = |d: &Uuid| st.display_name(d);
            let (action, target) = match &body.payload {
                Payload::TeamCreate { name, .. } => ("created_team", name.clone()),
                Payload::VaultCreate { vault_id, .. } => {
                    ("created_vault", vault_name(st, vault_id))
                }
                Payload::SecretPut {
                    vault_id,
                    item_id,
                    version,
                    kind,
                    ..
                } => (
                    match kind {
                        PutKind::Set => "set",
                        PutKind::Rotation => "rotated",
                    },
                    item_name(st, vault_id, item_id, *version),
                ),
                Payload::SecretDelete {
                    vault_id,
                    item_id,
                    version,
                } => ("deleted", item_name(st, vault_id, item_id, *version)),
                Payload::InviteCreate { role, .. } => {
                    ("invited", format!("a new {}", role.as_str()))
                }
                Payload::Admit { member, role, .. } => {
                    ("admitted", format!("{} as {}", member.name, role.as_str()))
                }
                Payload::Remove { device_id, .. } => ("removed", name(device_id)),
                Payload::Grant {
                    vault_id,
                    device_id,
                    role,
                } => (
                    "granted",
                    format!(
                        "{} {} on {}",
                        name(device_id),
                        role.as_str(),
                        vault_name(st, vault_id)
                    ),
                ),
                Payload::Revoke {
                    vault_id,
                    device_id,
                    ..
                } => (
                    "revoked",
                    format!("{} from {}", name(device_id), vault_name(st, vault_id)),
                ),
            };
            out.push(ActivityEntry {
                seq: ev.envelope.seq,
                time_ms: body.time_ms,
                actor: name(&ev.envelope.author),
                action: action.into(),
                target,
            });
        }
        Ok(out)
    }
}
