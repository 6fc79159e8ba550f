//! A session's vaults: creating and listing them, and finding the one a command names.

use uuid::Uuid;

use super::{Session, VaultInfo};
use crate::crypto;
use crate::error::{Error, Hint, Result};
use crate::event::{GrantedKey, KeyBundle, KeyScope, Payload, Public};
use crate::item::vault_name_ad;
use crate::secret::Key32;
use crate::state::{TeamState, VaultState};

impl Session {
    /// Creates a vault in the active team.
    pub async fn vault_create(&mut self, team: Option<&str>, name: &str) -> Result<VaultInfo> {
        crate::item::validate_name(name, "vault")?;
        let team_id = self.active_team(team)?;
        let t = &self.teams[&team_id];
        if t.state
            .vaults
            .values()
            .any(|v| v.name.as_deref() == Some(name))
        {
            return Err(Error::Exists(format!(
                "vault `{name}` in team `{}`",
                t.state.name
            )));
        }
        let (payload, public, vault_id) =
            self.build_vault_create(&self.team_ref(team_id)?.state, name)?;
        self.append(team_id, payload, public).await?;
        self.vault_info(team_id, vault_id)
    }

    /// The payload of a new vault (its key goes to this device in a bundle).
    pub(crate) fn build_vault_create(
        &self,
        st: &TeamState,
        name: &str,
    ) -> Result<(Payload, Public, Uuid)> {
        let tid = st.team_id;
        let vault_id = Uuid::new_v4();
        let vault_key = Key32::random();
        let name_ct = crypto::seal(
            &vault_key,
            &vault_name_ad(&tid, &vault_id, 0),
            name.as_bytes(),
        );
        let key_commit = st.commit_to(KeyScope::Vault(vault_id), 0, &vault_key);
        let bundle = KeyBundle::seal(
            &st.bundle_place(self.identity.device_id),
            &self.identity.cert(),
            &[GrantedKey {
                scope: KeyScope::Vault(vault_id),
                epoch: 0,
                key: vault_key,
            }],
        )?;
        let payload = Payload::VaultCreate {
            vault_id,
            key_epoch: 0,
            name_ct,
            key_commit,
        };
        Ok((payload, Public::bundles(vec![bundle]), vault_id))
    }

    fn vault_info(&self, team_id: Uuid, vault_id: Uuid) -> Result<VaultInfo> {
        let t = &self.teams[&team_id];
        let v = t
            .state
            .vaults
            .get(&vault_id)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        Ok(VaultInfo {
            team: t.state.name.clone(),
            id: vault_id,
            name: v.name.clone().unwrap_or_default(),
            secrets: v.live_items().len(),
        })
    }

    /// Vaults of the active team, by name.
    pub fn vault_list(&self, team: Option<&str>) -> Result<Vec<VaultInfo>> {
        let team_id = self.active_team(team)?;
        let mut v: Vec<VaultInfo> = self.teams[&team_id]
            .state
            .vaults
            .values()
            .filter(|v| v.readable())
            .filter_map(|v| self.vault_info(team_id, v.id).ok())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// Finds a vault: in the named team, else in the active team, else in exactly one other team.
    pub(crate) fn locate_vault(
        &self,
        team: Option<&str>,
        explicit_team: Option<&str>,
        vault: &str,
    ) -> Result<(Uuid, Uuid)> {
        let by_id = Uuid::parse_str(vault).ok();
        let in_team = |tid: Uuid| -> Option<Uuid> {
            self.teams[&tid]
                .state
                .vaults
                .values()
                .filter(|v| v.readable())
                .find(|v| v.name.as_deref() == Some(vault) || Some(v.id) == by_id)
                .map(|v| v.id)
        };
        if let Some(t) = explicit_team {
            let tid = self.team_by_name(t)?;
            return in_team(tid)
                .map(|v| (tid, v))
                .ok_or_else(|| Error::NotFound(format!("vault `{vault}` in team `{t}`")));
        }
        if let Ok(tid) = self.active_team(team) {
            if let Some(v) = in_team(tid) {
                return Ok((tid, v));
            }
            if team.is_some() {
                return Err(Error::NotFound(format!(
                    "vault `{vault}` in team `{}`",
                    self.teams[&tid].state.name
                )));
            }
        }
        let hits: Vec<(Uuid, Uuid)> = self
            .teams
            .keys()
            .filter_map(|tid| in_team(*tid).map(|v| (*tid, v)))
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::NotFound(format!("vault `{vault}`")).with_hint(Hint::Vaults)),
            many => Err(Error::Ambiguous(format!(
                "vault `{vault}` exists in teams {}; use TEAM/{vault}/NAME",
                many.iter()
                    .map(|(t, _)| format!("`{}`", self.teams[t].state.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    pub(crate) fn vault_ref(&self, team_id: Uuid, vault_id: Uuid) -> (&TeamState, &VaultState) {
        let st = &self.teams[&team_id].state;
        (st, &st.vaults[&vault_id])
    }
}
