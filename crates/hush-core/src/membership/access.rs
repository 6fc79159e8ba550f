//! Vault access: grants (a new member of a vault gets every key of it) and revocations (the vault
//! key rotates for everyone who keeps access).

use uuid::Uuid;

use super::{ExposedInfo, find_member};
use crate::error::{Error, Result};
use crate::event::{GrantedKey, KeyBundle, KeyScope, Payload, Public, VaultRole};
use crate::secret::Key32;
use crate::session::Session;
use crate::state::{TeamState, VaultState};

/// Who has which role on a vault.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AccessInfo {
    /// Member name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Role.
    pub role: VaultRole,
}

impl Session {
    /// A team's state and one of its vaults, if this device is an admin of that vault (the only
    /// ones who may `verb` access to it).
    fn vault_as_admin(
        &self,
        tid: Uuid,
        vid: Uuid,
        verb: &str,
    ) -> Result<(&TeamState, &VaultState)> {
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vid)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        if v.access.get(&self.identity.device_id) != Some(&VaultRole::Admin) {
            return Err(Error::Forbidden(format!(
                "only admins of vault `{}` can {verb} access",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        Ok((st, v))
    }

    pub(crate) fn build_grant(
        &self,
        tid: Uuid,
        vid: Uuid,
        device: Uuid,
        role: VaultRole,
    ) -> Result<(Payload, Public)> {
        let (st, v) = self.vault_as_admin(tid, vid, "grant")?;
        let member = st
            .active_member(&device)
            .ok_or_else(|| Error::NotFound("active member".into()))?;
        if member.is_service() && role != VaultRole::Read {
            return Err(Error::Forbidden(
                "a service identity can only be given read access".into(),
            ));
        }
        let mut bundles = Vec::new();
        if !v.access.contains_key(&device) {
            let keys = st.keys_for(KeyScope::Vault(vid));
            bundles.push(KeyBundle::seal(
                &st.bundle_place(self.identity.device_id),
                &member.cert,
                &keys,
            )?);
        }
        Ok((
            Payload::Grant {
                vault_id: vid,
                device_id: device,
                role,
            },
            Public::bundles(bundles),
        ))
    }

    /// Grants (or changes) a member's access to a vault. Cost is one key bundle, whatever the
    /// number of secrets in the vault.
    pub async fn grant(
        &mut self,
        team: Option<&str>,
        vault: &str,
        query: &str,
        role: VaultRole,
    ) -> Result<AccessInfo> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let device = find_member(&self.team_ref(tid)?.state, query, true)?;
        let (payload, public) = self.build_grant(tid, vid, device, role)?;
        self.append(tid, payload, public).await?;
        let st = &self.team_ref(tid)?.state;
        Ok(AccessInfo {
            name: st.display_name(&device),
            id: device,
            role,
        })
    }

    pub(crate) fn build_revoke(
        &self,
        tid: Uuid,
        vid: Uuid,
        device: Uuid,
    ) -> Result<(Payload, Public)> {
        let (st, v) = self.vault_as_admin(tid, vid, "revoke")?;
        if !v.access.contains_key(&device) {
            return Err(Error::NotFound(format!(
                "{} has no access to that vault",
                st.display_name(&device)
            )));
        }
        if device == self.identity.device_id
            && v.access
                .values()
                .filter(|r| **r == VaultRole::Admin)
                .count()
                == 1
        {
            return Err(Error::Invalid(
                "you are the vault's only admin; grant admin to someone else first".into(),
            ));
        }
        let new_epoch = v.key_epoch + 1;
        let key = Key32::random();
        let key_commit = st.commit_to(KeyScope::Vault(vid), new_epoch, &key);
        let place = st.bundle_place(self.identity.device_id);
        let mut bundles = Vec::new();
        // Expired service identities get no new keys: they are dead even before removal.
        let now = (self.clock)();
        for d in v.access.keys().filter(|d| **d != device) {
            if let Some(m) = st.active_member(d).filter(|m| m.is_live(now)) {
                bundles.push(KeyBundle::seal(
                    &place,
                    &m.cert,
                    &[GrantedKey {
                        scope: KeyScope::Vault(vid),
                        epoch: new_epoch,
                        key: key.clone(),
                    }],
                )?);
            }
        }
        Ok((
            Payload::Revoke {
                vault_id: vid,
                device_id: device,
                new_epoch,
                key_commit,
            },
            Public::bundles(bundles),
        ))
    }

    /// Revokes a member's access to a vault: the vault key rotates; its secrets become exposed.
    pub async fn revoke(
        &mut self,
        team: Option<&str>,
        vault: &str,
        query: &str,
    ) -> Result<Vec<ExposedInfo>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let device = find_member(&self.team_ref(tid)?.state, query, false)?;
        let (payload, public) = self.build_revoke(tid, vid, device)?;
        self.append(tid, payload, public).await?;
        let st = &self.team_ref(tid)?.state;
        let vname = st.vaults[&vid].name.clone().unwrap_or_default();
        Ok(self
            .exposed()
            .into_iter()
            .filter(|e| e.address.starts_with(&format!("{vname}/")))
            .collect())
    }

    /// Who has which role on a vault.
    pub fn access(&self, team: Option<&str>, vault: &str) -> Result<Vec<AccessInfo>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let st = &self.team_ref(tid)?.state;
        Ok(st.vaults[&vid]
            .access
            .iter()
            .map(|(d, r)| AccessInfo {
                name: st.display_name(d),
                id: *d,
                role: *r,
            })
            .collect())
    }
}
