//! Removing a member: the log key and the key of every vault it could read rotate, and the new
//! keys go to everyone who stays.

use uuid::Uuid;

use super::{ExposedInfo, MemberInfo, find_member};
use crate::error::{Error, Result};
use crate::event::{AclChange, GrantedKey, KeyBundle, KeyScope, Payload, Public};
use crate::secret::Key32;
use crate::session::Session;

impl Session {
    pub(crate) fn build_remove(&self, tid: Uuid, device: Uuid) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        self.require_manager(st)?;
        if device == self.identity.device_id {
            return Err(Error::Invalid(
                "you cannot remove this device; ask another admin".into(),
            ));
        }
        let now = (self.clock)();
        let new_log_epoch = st.log_epoch + 1;
        let new_log_key = Key32::random();
        let log_commit = st.commit_to(KeyScope::Log, new_log_epoch, &new_log_key);
        let place = st.bundle_place(self.identity.device_id);
        let mut rekeyed = Vec::new();
        let mut new_vault_keys = Vec::new();
        for v in st
            .vaults
            .values()
            .filter(|v| v.access.contains_key(&device))
        {
            let key = Key32::random();
            rekeyed.push((
                v.id,
                v.key_epoch + 1,
                st.commit_to(KeyScope::Vault(v.id), v.key_epoch + 1, &key),
            ));
            new_vault_keys.push((v.id, v.key_epoch + 1, key));
        }
        let mut bundles = Vec::new();
        for m in st
            .members
            .values()
            .filter(|m| m.is_live(now) && m.cert.device_id != device)
        {
            let mut keys = vec![GrantedKey {
                scope: KeyScope::Log,
                epoch: new_log_epoch,
                key: new_log_key.clone(),
            }];
            for (vid, epoch, key) in &new_vault_keys {
                if st.vaults[vid].access.contains_key(&m.cert.device_id) {
                    keys.push(GrantedKey {
                        scope: KeyScope::Vault(*vid),
                        epoch: *epoch,
                        key: key.clone(),
                    });
                }
            }
            bundles.push(KeyBundle::seal(&place, &m.cert, &keys)?);
        }
        Ok((
            Payload::Remove {
                device_id: device,
                new_log_epoch,
                log_commit,
                rekeyed,
            },
            Public {
                bundles,
                acl: vec![AclChange::Remove { device_id: device }],
            },
        ))
    }

    /// Removes a member: one event that re-keys the log and every vault they could read.
    /// Returns the secrets to rotate at their providers.
    pub async fn remove_member(
        &mut self,
        team: Option<&str>,
        query: &str,
    ) -> Result<(MemberInfo, Vec<ExposedInfo>)> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let device = find_member(st, query, true)?;
        let (payload, public) = self.build_remove(tid, device)?;
        self.append(tid, payload, public).await?;
        let info = self
            .members(Some(&self.team_ref(tid)?.state.name.clone()))?
            .into_iter()
            .find(|m| m.id == device)
            .ok_or_else(|| Error::Integrity("removed member missing".into()))?;
        let exposed = self
            .exposed()
            .into_iter()
            .filter(|e| e.reason.starts_with(&info.name))
            .collect();
        Ok((info, exposed))
    }
}
