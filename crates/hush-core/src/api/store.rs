//! Operations on the device, its teams and vaults: identity, team and vault lists, sync, verification, the agent.

use serde::{Deserialize, Serialize};

use super::{Op, SyncOutcome};
use crate::error::Result;
use crate::session::{Session, TeamInfo, VaultInfo, WhoAmI};

/// Liveness check.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ping {}

impl Op for Ping {
    type Output = ();

    async fn run(self, _s: &mut Session) -> Result<Self::Output> {
        Ok(())
    }
}

/// Stop the agent (only meaningful to the agent).
#[derive(Debug, Serialize, Deserialize)]
pub struct Lock {}

impl Op for Lock {
    type Output = ();

    async fn run(self, _s: &mut Session) -> Result<Self::Output> {
        Ok(())
    }
}

/// Who this device is.
#[derive(Debug, Serialize, Deserialize)]
pub struct Whoami {}

impl Op for Whoami {
    type Output = WhoAmI;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.whoami())
    }
}

/// Create a team.
#[derive(Debug, Serialize, Deserialize)]
pub struct TeamCreate {
    /// Team name.
    pub name: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Allow plain http:// to a non-loopback relay.
    #[serde(default)]
    pub allow_http: bool,
}

impl Op for TeamCreate {
    type Output = TeamInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        if let Some(r) = &self.relay {
            crate::relay_client::RelayClient::new(r, self.allow_http)?;
        }
        s.team_create(&self.name, self.relay, self.allow_http).await
    }
}

/// List teams.
#[derive(Debug, Serialize, Deserialize)]
pub struct TeamList {}

impl Op for TeamList {
    type Output = Vec<TeamInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.team_list())
    }
}

/// Select a team.
#[derive(Debug, Serialize, Deserialize)]
pub struct TeamUse {
    /// Team name.
    pub name: String,
}

impl Op for TeamUse {
    type Output = TeamInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.team_use(&self.name).await
    }
}

/// Create a vault.
#[derive(Debug, Serialize, Deserialize)]
pub struct VaultCreate {
    /// Team override.
    pub team: Option<String>,
    /// Vault name.
    pub name: String,
}

impl Op for VaultCreate {
    type Output = VaultInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.vault_create(self.team.as_deref(), &self.name).await
    }
}

/// List vaults.
#[derive(Debug, Serialize, Deserialize)]
pub struct VaultList {
    /// Team override.
    pub team: Option<String>,
}

impl Op for VaultList {
    type Output = Vec<VaultInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.vault_list(self.team.as_deref())
    }
}

/// Verify signatures, chains and checkpoints of the local store.
#[derive(Debug, Serialize, Deserialize)]
pub struct Verify {}

impl Op for Verify {
    type Output = u64;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.verify().await
    }
}

/// Push and pull one team (or all teams with a relay).
#[derive(Debug, Serialize, Deserialize)]
pub struct Sync {
    /// Team override; all teams when absent and `all`.
    pub team: Option<String>,
    /// Every team with a relay.
    pub all: bool,
}

impl Op for Sync {
    type Output = Vec<SyncOutcome>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let results = if self.all && self.team.is_none() {
            s.sync_all().await
        } else {
            let tid = s.active_team(self.team.as_deref())?;
            let r = s.sync_team(tid).await;
            vec![(s.team_label(tid), r)]
        };
        Ok(results
            .into_iter()
            .map(|(team, r)| match r {
                Ok(report) => SyncOutcome {
                    team,
                    report: Some(report),
                    error: None,
                    hint: None,
                },
                Err(e) => SyncOutcome {
                    team,
                    report: None,
                    error: Some((e.code().into(), e.to_string())),
                    hint: e.hint(),
                },
            })
            .collect())
    }
}

/// Sync status of a team.
#[derive(Debug, Serialize, Deserialize)]
pub struct TeamStatus {
    /// Team override.
    pub team: Option<String>,
}

impl Op for TeamStatus {
    type Output = crate::membership::TeamStatus;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.team_status(self.team.as_deref()).await
    }
}

/// Records that a teammate read the same team state code (answered with the team's status).
#[derive(Debug, Serialize, Deserialize)]
pub struct TeamCompared {
    /// Team override.
    pub team: Option<String>,
}

impl Op for TeamCompared {
    type Output = crate::membership::TeamStatus;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.mark_state_compared(self.team.as_deref()).await
    }
}
