//! The roles a member holds: in the team, and in each vault.

use crate::error::{Error, Result};

/// A member's role in a team.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Created the team; cannot be removed by admins.
    Owner,
    /// Invites, admits and removes members.
    Admin,
    /// Ordinary member.
    Member,
    /// A non-human (CI/CD) identity: read-only on the vaults it was created for, never writes,
    /// expires. Created by [`Payload::ServiceCreate`](super::Payload::ServiceCreate), never
    /// through an invite.
    Service,
}

wire_codes!(TeamRole, pub(super), "team role", {
    Owner = 0,
    Admin = 1,
    Member = 2,
    Service = 3,
});

impl TeamRole {
    /// Owners and admins manage membership.
    pub fn is_manager(self) -> bool {
        matches!(self, TeamRole::Owner | TeamRole::Admin)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Admin => "admin",
            TeamRole::Member => "member",
            TeamRole::Service => "service",
        }
    }
}

/// A member's access to one vault.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VaultRole {
    /// Can decrypt the vault's secrets.
    Read,
    /// Can also change them.
    Write,
    /// Can also grant and revoke access.
    Admin,
}

wire_codes!(VaultRole, pub(super), "vault role", {
    Read = 1,
    Write = 2,
    Admin = 3,
});

impl VaultRole {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            VaultRole::Read => "read",
            VaultRole::Write => "write",
            VaultRole::Admin => "admin",
        }
    }

    /// Parses `read`, `write` or `admin`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "read" => Ok(VaultRole::Read),
            "write" => Ok(VaultRole::Write),
            "admin" => Ok(VaultRole::Admin),
            _ => Err(Error::Invalid(format!(
                "unknown vault role {s:?}: use read, write or admin"
            ))),
        }
    }
}
