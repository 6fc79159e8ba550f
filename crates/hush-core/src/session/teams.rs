//! A session's teams: finding one by name, the selected one, creating and listing them.

use uuid::Uuid;

use super::{Session, Team, TeamInfo, TeamSettings};
use crate::crypto;
use crate::error::{Error, Hint, Result};
use crate::event::{AclChange, GrantedKey, KeyBundle, KeyScope, Payload, Public};
use crate::secret::Key32;
use crate::state::TeamState;

impl Session {
    pub(crate) fn team_by_name(&self, name: &str) -> Result<Uuid> {
        // Front ends that list teams may refer to them by id.
        if let Ok(id) = Uuid::parse_str(name)
            && self.teams.contains_key(&id)
        {
            return Ok(id);
        }
        let found: Vec<Uuid> = self
            .teams
            .iter()
            .filter(|(_, t)| t.state.name == name)
            .map(|(id, _)| *id)
            .collect();
        match found.as_slice() {
            [id] => Ok(*id),
            [] => Err(Error::NotFound(format!("team `{name}`"))),
            _ => Err(Error::Ambiguous(format!(
                "more than one team is named `{name}`"
            ))),
        }
    }

    /// The team a command acts on: the named one, else the selected one.
    pub fn active_team(&self, team: Option<&str>) -> Result<Uuid> {
        match team {
            Some(name) => self.team_by_name(name),
            None => self
                .selected
                .filter(|id| self.teams.contains_key(id))
                .ok_or_else(|| Error::NotFound("selected team".into()).with_hint(Hint::SelectTeam)),
        }
    }

    /// Creates a team (with this device as owner) and selects it.
    pub async fn team_create(
        &mut self,
        name: &str,
        relay: Option<String>,
        allow_http: bool,
    ) -> Result<TeamInfo> {
        crate::item::validate_name(name, "team")?;
        if self.teams.values().any(|t| t.state.name == name) {
            return Err(Error::Exists(format!("team `{name}`")));
        }
        let team_id = Uuid::new_v4();
        let settings = TeamSettings {
            relay,
            allow_http,
            ..TeamSettings::default()
        };
        let settings_key = crypto::subkey(&self.account, b"hush/v1/settings");
        self.store
            .insert_team(
                team_id,
                &crypto::seal(&settings_key, team_id.as_bytes(), &settings.encode()),
            )
            .await?;
        self.teams.insert(
            team_id,
            Team {
                state: TeamState::new(team_id),
                settings,
            },
        );
        let log_key = Key32::random();
        let genesis = TeamState::new(team_id);
        let bundle = KeyBundle::seal(
            &genesis.bundle_place(self.identity.device_id),
            &self.identity.cert(),
            &[GrantedKey {
                scope: KeyScope::Log,
                epoch: 0,
                key: log_key.clone(),
            }],
        )?;
        let payload = Payload::TeamCreate {
            name: name.to_owned(),
            creator: self.identity.cert(),
            log_commit: genesis.commit_to(KeyScope::Log, 0, &log_key),
        };
        let cert = self.identity.cert();
        let public = Public {
            bundles: vec![bundle],
            acl: vec![AclChange::Add {
                device_id: cert.device_id,
                auth_pk: cert.auth_pk,
                manager: true,
            }],
        };
        self.append_with_key(team_id, payload, public, Some(&log_key))
            .await?;
        self.team_use_id(team_id).await?;
        self.team_info(team_id)
    }

    pub(crate) fn team_info(&self, id: Uuid) -> Result<TeamInfo> {
        let t = self
            .teams
            .get(&id)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        Ok(TeamInfo {
            id,
            name: t.state.name.clone(),
            relay: t.settings.relay.clone(),
            selected: self.selected == Some(id),
            vaults: t.state.vaults.values().filter(|v| v.readable()).count(),
        })
    }

    /// All teams, by name.
    pub fn team_list(&self) -> Vec<TeamInfo> {
        let mut v: Vec<TeamInfo> = self
            .teams
            .keys()
            .filter_map(|id| self.team_info(*id).ok())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// While this device waits to be admitted to a team it asked to join: the safety code to
    /// read to the inviter (the one `join` printed). `None` for any other team.
    pub fn join_safety_code(&self, team_id: Uuid) -> Option<String> {
        let ticket = self.teams.get(&team_id)?.settings.joining.as_ref()?;
        Some(crate::invite::safety_code(
            &ticket.secret,
            &self.identity.cert(),
        ))
    }

    /// Selects a team by name.
    pub async fn team_use(&mut self, name: &str) -> Result<TeamInfo> {
        let id = self.team_by_name(name)?;
        self.team_use_id(id).await?;
        self.team_info(id)
    }

    async fn team_use_id(&mut self, id: Uuid) -> Result<()> {
        self.store.select_team(id).await?;
        self.selected = Some(id);
        Ok(())
    }
}
