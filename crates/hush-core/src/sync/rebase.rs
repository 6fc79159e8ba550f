//! Rebasing the outbox: each change waiting to be pushed is opened with the keys it was sealed
//! under, then built again on the new head through the same builders the commands use, which
//! re-checks permissions and key epochs where the change will land.

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::event::{Payload, Public};
use crate::relay_client::relay_lied;
use crate::session::Session;
use crate::state::TeamState;

/// A change waiting in the outbox, with what was sealed in it already opened.
pub(super) enum PendingChange {
    /// A new version of a secret.
    Put {
        vault_id: Uuid,
        item_id: Uuid,
        base_version: u32,
        kind: crate::event::PutKind,
        meta: crate::item::ItemMeta,
        value: crate::secret::SecretString,
    },
    /// A leak report with its note.
    Leaked {
        vault_id: Uuid,
        item_id: Uuid,
        version: u32,
        note: String,
    },
    /// Anything else: rebuilt from the payload by the builders.
    Other(Payload, Public),
}

impl PendingChange {
    pub(super) fn open(st: &TeamState, payload: Payload, public: Public) -> Result<Self> {
        // The slot of a sealed item version and the key that opens it.
        let sealed = |vault_id: Uuid, item_id: Uuid, version: u32, key_epoch: u32| {
            let slot = st.item_slot(vault_id, item_id, version, key_epoch);
            let key = st.slot_key(&slot).ok_or_else(|| {
                Error::Forbidden("a pending change: this device holds no key for its vault".into())
            })?;
            Ok::<_, Error>((slot, key))
        };
        Ok(match payload {
            Payload::SecretPut {
                vault_id,
                item_id,
                version,
                base_version,
                key_epoch,
                kind,
                meta_ct,
                value_ct,
            } => {
                let (slot, key) = sealed(vault_id, item_id, version, key_epoch)?;
                PendingChange::Put {
                    vault_id,
                    item_id,
                    base_version,
                    kind,
                    meta: slot.open_meta(key, &meta_ct)?,
                    value: slot.open_value(key, &value_ct)?,
                }
            }
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => {
                let (slot, key) = sealed(vault_id, item_id, version, key_epoch)?;
                PendingChange::Leaked {
                    vault_id,
                    item_id,
                    version,
                    note: crate::item::open_leak_note(&slot, key, &note_ct)?,
                }
            }
            other => PendingChange::Other(other, public),
        })
    }
}

impl Session {
    /// Rebuilds one pending change on the current head.
    /// `time_ms` is the original event's time (kept for usage records: when a key was read).
    pub(super) async fn rebase_one(
        &mut self,
        tid: Uuid,
        change: PendingChange,
        time_ms: i64,
    ) -> Result<()> {
        let (payload, public) = match change {
            PendingChange::Put {
                vault_id,
                item_id,
                base_version,
                kind,
                meta,
                value,
            } => {
                return self
                    .rebase_put(tid, vault_id, item_id, base_version, kind, &meta, &value)
                    .await;
            }
            PendingChange::Leaked {
                vault_id,
                item_id,
                version,
                note,
            } => {
                return self
                    .rebase_leaked(tid, vault_id, item_id, version, &note)
                    .await;
            }
            PendingChange::Other(payload, public) => (payload, public),
        };
        match payload {
            Payload::TeamCreate { .. } => {
                Err(relay_lied("it holds a different first event for this team"))
            }
            Payload::VaultCreate { vault_id, .. }
            | Payload::InviteCreate {
                invite_id: vault_id,
                ..
            } if self.team_ref(tid)?.state.vaults.contains_key(&vault_id) => Ok(()),
            p @ (Payload::VaultCreate { .. } | Payload::InviteCreate { .. }) => {
                self.append(tid, p, public).await
            }
            Payload::SecretPut { .. } | Payload::Leaked { .. } => Err(Error::Integrity(
                "a pending change was not opened before the rebase".into(),
            )),
            Payload::SecretDelete {
                vault_id, item_id, ..
            } => {
                let st = &self.team_ref(tid)?.state;
                let Some(item) = st.vaults.get(&vault_id).and_then(|v| v.items.get(&item_id))
                else {
                    return Ok(());
                };
                if item.deleted {
                    return Ok(());
                }
                let payload = Payload::SecretDelete {
                    vault_id,
                    item_id,
                    version: item.current().version,
                };
                self.append(tid, payload, Public::default()).await
            }
            Payload::Admit {
                invite_id,
                member,
                role,
                proof,
            } => {
                let (p, pubs) = self.build_admit(tid, invite_id, &member, role, proof)?;
                self.append(tid, p, pubs).await
            }
            Payload::Remove { device_id, .. } => {
                if self
                    .team_ref(tid)?
                    .state
                    .active_member(&device_id)
                    .is_none()
                {
                    return Ok(());
                }
                let (p, pubs) = self.build_remove(tid, device_id)?;
                self.append(tid, p, pubs).await
            }
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => {
                let (p, pubs) = self.build_grant(tid, vault_id, device_id, role)?;
                self.append(tid, p, pubs).await
            }
            Payload::Revoke {
                vault_id,
                device_id,
                ..
            } => {
                let has = self
                    .team_ref(tid)?
                    .state
                    .vaults
                    .get(&vault_id)
                    .is_some_and(|v| v.access.contains_key(&device_id));
                if !has {
                    return Ok(());
                }
                let (p, pubs) = self.build_revoke(tid, vault_id, device_id)?;
                self.append(tid, p, pubs).await
            }
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => {
                if self
                    .team_ref(tid)?
                    .state
                    .members
                    .contains_key(&member.device_id)
                {
                    return Ok(());
                }
                let (p, pubs) = self.build_service(tid, &member, &vaults, expires_ms)?;
                self.append(tid, p, pubs).await
            }
            Payload::Usage {
                vault_id,
                action,
                items,
            } => {
                self.rebase_usage(tid, vault_id, action, items, time_ms)
                    .await
            }
            p @ (Payload::WitnessAdd { .. } | Payload::WitnessRemove { .. }) => {
                self.rebase_witness(tid, p).await
            }
        }
    }

    /// Rebuilds a pending write on the current head, sealed under the vault's current key.
    #[allow(clippy::too_many_arguments)]
    async fn rebase_put(
        &mut self,
        tid: Uuid,
        vault_id: Uuid,
        item_id: Uuid,
        base_version: u32,
        kind: crate::event::PutKind,
        meta: &crate::item::ItemMeta,
        value: &crate::secret::SecretString,
    ) -> Result<()> {
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vault_id)
            .ok_or_else(|| Error::NotFound("the vault of a pending edit".into()))?;
        // A secret created offline on two devices under one name becomes one secret with a
        // conflict, not two secrets with the same name.
        let (target, base) = if v.items.contains_key(&item_id) {
            (item_id, base_version)
        } else if let Some(existing) = v.find(&meta.name) {
            (existing.id, 0)
        } else {
            (item_id, 0)
        };
        self.put_item(tid, vault_id, target, base, meta, value, kind)
            .await
            .map(|_| ())
            .map_err(|e| {
                Error::Forbidden(format!(
                    "a pending edit of `{}` was dropped: {e}",
                    meta.name
                ))
            })
    }
}
