//! Leak reports: the `Leaked` event (the reporter's note sealed under the vault key), its rebase,
//! and who could read the reported version since it was written.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{seal_leak_note, validate_leak_note};
use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::{KeyScope, Payload, Public, SignedEvent, VaultRole};
use crate::session::Session;

/// Someone who could read a reported version.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Reader {
    /// Display name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// `has access`, `access revoked` or `removed from the team`.
    pub status: String,
    /// Current role on the vault, if any.
    pub role: Option<VaultRole>,
}

/// The answer of `hush leaked`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LeakReport {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// The version reported.
    pub version: u32,
    /// The exposure reason now recorded.
    pub reason: String,
    /// Where the key is managed, when the metadata says.
    pub url: Option<String>,
    /// Everyone who could read that version since it was written.
    pub readers: Vec<Reader>,
}

impl Session {
    /// Builds a leak report of `version` of an item, sealing the note at the vault's epoch.
    pub(crate) fn build_leaked(
        &self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        version: u32,
        note: &str,
    ) -> Result<Payload> {
        validate_leak_note(note)?;
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vid)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        if !v.access.contains_key(&self.identity.device_id) {
            return Err(Error::Forbidden(format!(
                "you no longer have access to vault `{}`",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        let current = v
            .items
            .get(&item_id)
            .map(|i| i.current().version)
            .ok_or_else(|| Error::NotFound("secret".into()))?;
        if version == 0 || version > current {
            return Err(Error::NotFound(format!("version {version} of the secret")));
        }
        let key_epoch = v.key_epoch;
        let key = st
            .key(KeyScope::Vault(vid), key_epoch)
            .ok_or_else(|| Error::Forbidden("this device holds no key for the vault".into()))?;
        let slot = st.item_slot(vid, item_id, version, key_epoch);
        Ok(Payload::Leaked {
            vault_id: vid,
            item_id,
            version,
            key_epoch,
            note_ct: seal_leak_note(&slot, key, note),
        })
    }

    /// Reports a secret's current value as leaked: records a signed `Leaked` event (the secret
    /// becomes exposed on every member's device once synced) and returns who could read it.
    pub async fn report_leak(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        note: &str,
    ) -> Result<LeakReport> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let item_id = item.ok_or_else(|| Error::NotFound(format!("secret `{addr}`")))?;
        let (version, written_at, url) = {
            let (_, v) = self.vault_ref(tid, vid);
            let cur = v.items[&item_id].current();
            (
                cur.version,
                cur.seq,
                cur.meta.as_ref().and_then(|m| m.url.clone()),
            )
        };
        let payload = self.build_leaked(tid, vid, item_id, version, note)?;
        self.append(tid, payload, Public::default()).await?;
        let readers = self.readers_since(tid, vid, written_at).await?;
        let (st, v) = self.vault_ref(tid, vid);
        let it = &v.items[&item_id];
        Ok(LeakReport {
            team: st.name.clone(),
            address: format!(
                "{}/{}",
                v.name.as_deref().unwrap_or("?"),
                it.name().unwrap_or("?")
            ),
            version,
            reason: it
                .exposed
                .as_ref()
                .map(|e| e.reason.clone())
                .unwrap_or_default(),
            url,
            readers,
        })
    }

    /// Every device that held read access to a vault at some point from log position
    /// `since_seq` on (they could have read anything written at `since_seq`), replayed from the
    /// signed log: present members, members whose access was revoked, removed members.
    pub async fn readers_since(&self, tid: Uuid, vid: Uuid, since_seq: u64) -> Result<Vec<Reader>> {
        let st = &self.team_ref(tid)?.state;
        let mut access: BTreeSet<Uuid> = BTreeSet::new();
        let mut readers: BTreeSet<Uuid> = BTreeSet::new();
        for row in self.store.events(tid, None).await? {
            let ev = SignedEvent::decode(&row.bytes)?;
            let Some(key) = st.key(KeyScope::Log, ev.envelope.epoch) else {
                continue;
            };
            match ev.open_body(key)?.payload {
                Payload::VaultCreate { vault_id, .. } if vault_id == vid => {
                    access.insert(ev.envelope.author);
                }
                Payload::Grant {
                    vault_id,
                    device_id,
                    ..
                } if vault_id == vid => {
                    access.insert(device_id);
                }
                Payload::ServiceCreate { member, vaults, .. } if vaults.contains(&vid) => {
                    access.insert(member.device_id);
                }
                Payload::Revoke {
                    vault_id,
                    device_id,
                    ..
                } if vault_id == vid => {
                    access.remove(&device_id);
                }
                Payload::Remove { device_id, .. } => {
                    access.remove(&device_id);
                }
                _ => {}
            }
            if ev.envelope.seq >= since_seq {
                readers.extend(access.iter().copied());
            }
        }
        let v = st.vaults.get(&vid);
        let mut out: Vec<Reader> = readers
            .into_iter()
            .map(|id| {
                let role = v.and_then(|v| v.access.get(&id).copied());
                let active = st.active_member(&id).is_some();
                let status = match (active, role) {
                    (false, _) => "removed from the team".to_owned(),
                    (true, None) => "access revoked".to_owned(),
                    (true, Some(r)) => format!("has {} access", r.as_str()),
                };
                Reader {
                    name: st.display_name(&id),
                    id,
                    status,
                    role,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.role.is_none(), &a.name, a.id).cmp(&(b.role.is_none(), &b.name, b.id))
        });
        Ok(out)
    }

    /// Rebuilds a pending leak report on the current head (the note re-sealed at the vault's
    /// current epoch).
    pub(crate) async fn rebase_leaked(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        version: u32,
        note: &str,
    ) -> Result<()> {
        let payload = self
            .build_leaked(tid, vid, item_id, version, note)
            .map_err(|e| Error::Forbidden(format!("a pending leak report was dropped: {e}")))?;
        self.append(tid, payload, Public::default()).await
    }
}
