//! A person's own values for team secrets (`hush override`): kept in this device's sealed team
//! settings, never synced, never a version of the secret, and used by this person's `get`, `run`
//! and `inject` instead of the team's value (each front end says so when it does).

use uuid::Uuid;

use super::Session;
use crate::address::Address;
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::settings::Override;

/// An override, as listed (never with its value).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverrideInfo {
    /// Team name.
    pub team: String,
    /// Vault name.
    pub vault: String,
    /// Secret name.
    pub name: String,
    /// When it was set.
    pub set_ms: i64,
    /// Whether the team has a value under this name (an override may add a name).
    pub team_value: bool,
}

impl Session {
    /// Sets (or replaces) this person's override of `addr`. The vault must be one this device
    /// reads; the secret need not exist in it.
    pub async fn override_set(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        value: SecretString,
    ) -> Result<OverrideInfo> {
        crate::item::validate_name(&addr.name, "secret")?;
        if value.expose().len() > crate::item::MAX_VALUE_LEN {
            return Err(Error::Invalid("the value is larger than 1 MiB".into()));
        }
        let (tid, vid) = self.locate_vault(team, addr.team.as_deref(), &addr.vault)?;
        let now = (self.clock)();
        let t = self
            .teams
            .get_mut(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        t.settings
            .overrides
            .retain(|o| !(o.vault_id == vid && o.name == addr.name));
        t.settings.overrides.push(Override {
            vault_id: vid,
            name: addr.name.clone(),
            value,
            set_ms: now,
        });
        self.save_settings(tid).await?;
        self.override_info(tid, vid, &addr.name, now)
    }

    /// Removes this person's override of `addr`; false when there was none.
    pub async fn override_remove(&mut self, team: Option<&str>, addr: &Address) -> Result<bool> {
        let (tid, vid) = self.locate_vault(team, addr.team.as_deref(), &addr.vault)?;
        let t = self
            .teams
            .get_mut(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let before = t.settings.overrides.len();
        t.settings
            .overrides
            .retain(|o| !(o.vault_id == vid && o.name == addr.name));
        if t.settings.overrides.len() == before {
            return Ok(false);
        }
        self.save_settings(tid).await?;
        Ok(true)
    }

    /// This person's overrides, in every team (or one), sorted by team, vault and name.
    pub fn override_list(&self, team: Option<&str>) -> Result<Vec<OverrideInfo>> {
        let teams: Vec<Uuid> = match team {
            Some(_) => vec![self.active_team(team)?],
            None => self.teams.keys().copied().collect(),
        };
        let mut out = Vec::new();
        for tid in teams {
            for o in &self.team_ref(tid)?.settings.overrides {
                out.push(self.override_info(tid, o.vault_id, &o.name, o.set_ms)?);
            }
        }
        out.sort_by(|a, b| (&a.team, &a.vault, &a.name).cmp(&(&b.team, &b.vault, &b.name)));
        Ok(out)
    }

    /// The override of `addr`, if this person set one.
    pub fn override_value(&self, team: Option<&str>, addr: &Address) -> Option<SecretString> {
        let (tid, vid) = self
            .locate_vault(team, addr.team.as_deref(), &addr.vault)
            .ok()?;
        self.overrides_of(tid, vid)
            .find(|o| o.name == addr.name)
            .map(|o| o.value.clone())
    }

    /// The overrides of one vault, as (name, value).
    pub fn vault_overrides(
        &self,
        team: Option<&str>,
        vault: &str,
    ) -> Result<Vec<(String, SecretString)>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        Ok(self
            .overrides_of(tid, vid)
            .map(|o| (o.name.clone(), o.value.clone()))
            .collect())
    }

    fn overrides_of(&self, tid: Uuid, vid: Uuid) -> impl Iterator<Item = &Override> {
        self.teams
            .get(&tid)
            .into_iter()
            .flat_map(|t| t.settings.overrides.iter())
            .filter(move |o| o.vault_id == vid)
    }

    fn override_info(&self, tid: Uuid, vid: Uuid, name: &str, set_ms: i64) -> Result<OverrideInfo> {
        let st = &self.team_ref(tid)?.state;
        let v = st.vaults.get(&vid);
        Ok(OverrideInfo {
            team: st.name.clone(),
            vault: v
                .and_then(|v| v.name.clone())
                .unwrap_or_else(|| vid.to_string()),
            name: name.to_owned(),
            set_ms,
            team_value: v
                .is_some_and(|v| v.live_items().into_iter().any(|i| i.name() == Some(name))),
        })
    }
}
