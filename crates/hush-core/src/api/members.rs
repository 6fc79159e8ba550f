//! Operations on membership and access: invites, joins, admission, removal, vault grants.

use serde::{Deserialize, Serialize};

use super::{Op, Removed};
use crate::error::Result;
use crate::event::{TeamRole, VaultRole};
use crate::membership::{AccessInfo, ExposedInfo, InviteOut, JoinOut, MemberInfo};
use crate::session::Session;

/// Issue an invite.
#[derive(Debug, Serialize, Deserialize)]
pub struct Invite {
    /// Team override.
    pub team: Option<String>,
    /// Role for the invitee.
    pub role: TeamRole,
    /// Lifetime in milliseconds.
    pub ttl_ms: i64,
}

impl Op for Invite {
    type Output = InviteOut;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.invite(self.team.as_deref(), self.role, self.ttl_ms).await
    }
}

/// Join with an invite code.
#[derive(Debug, Serialize, Deserialize)]
pub struct Join {
    /// The code.
    pub code: String,
    /// Local label until admitted.
    pub label: Option<String>,
    /// Relay URL overriding the code's.
    #[serde(default)]
    pub relay: Option<String>,
    /// Allow plain http:// to a non-loopback relay.
    pub allow_http: bool,
}

impl Op for Join {
    type Output = JoinOut;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.join(
            &self.code,
            self.label.as_deref(),
            self.relay.as_deref(),
            self.allow_http,
        )
        .await
    }
}

/// List members.
#[derive(Debug, Serialize, Deserialize)]
pub struct Members {
    /// Team override.
    pub team: Option<String>,
}

impl Op for Members {
    type Output = Vec<MemberInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.members(self.team.as_deref())
    }
}

/// Admit a pending member.
#[derive(Debug, Serialize, Deserialize)]
pub struct Admit {
    /// Team override.
    pub team: Option<String>,
    /// Name or id prefix.
    pub member: String,
}

impl Op for Admit {
    type Output = MemberInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.admit(self.team.as_deref(), &self.member).await
    }
}

/// Remove a member (re-keys).
#[derive(Debug, Serialize, Deserialize)]
pub struct RemoveMember {
    /// Team override.
    pub team: Option<String>,
    /// Name or id prefix.
    pub member: String,
}

impl Op for RemoveMember {
    type Output = Removed;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let (member, exposed) = s.remove_member(self.team.as_deref(), &self.member).await?;
        Ok(Removed { member, exposed })
    }
}

/// Grant vault access.
#[derive(Debug, Serialize, Deserialize)]
pub struct Grant {
    /// Team override.
    pub team: Option<String>,
    /// Vault.
    pub vault: String,
    /// Name or id prefix.
    pub member: String,
    /// Role.
    pub role: VaultRole,
}

impl Op for Grant {
    type Output = AccessInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.grant(self.team.as_deref(), &self.vault, &self.member, self.role)
            .await
    }
}

/// Revoke vault access (re-keys the vault).
#[derive(Debug, Serialize, Deserialize)]
pub struct Revoke {
    /// Team override.
    pub team: Option<String>,
    /// Vault.
    pub vault: String,
    /// Name or id prefix.
    pub member: String,
}

impl Op for Revoke {
    type Output = Vec<ExposedInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.revoke(self.team.as_deref(), &self.vault, &self.member)
            .await
    }
}

/// Who has access to a vault.
#[derive(Debug, Serialize, Deserialize)]
pub struct Access {
    /// Team override.
    pub team: Option<String>,
    /// Vault.
    pub vault: String,
}

impl Op for Access {
    type Output = Vec<AccessInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.access(self.team.as_deref(), &self.vault)
    }
}
