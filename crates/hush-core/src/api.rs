//! The request/response API every front end speaks.
//!
//! The CLI builds a [`Request`] and either handles it in-process ([`handle`] on a [`Session`] it
//! unlocked itself) or sends it to the agent, which calls the same [`handle`]. The desktop shell
//! does the same. So there is one implementation of every operation, and the agent protocol is just
//! this enum serialized as JSON over a Unix socket.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::PutKind;
use crate::secret::{SecretString, expose_serde};
use crate::session::{
    MetaUpdate, SearchHit, SecretInfo, Session, TeamInfo, VaultInfo, VersionInfo, WhoAmI,
};

/// An operation on an unlocked store.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Request {
    /// Liveness check.
    Ping,
    /// Who this device is.
    Whoami,
    /// Create a team.
    TeamCreate {
        /// Team name.
        name: String,
        /// Relay URL.
        relay: Option<String>,
    },
    /// List teams.
    TeamList,
    /// Select a team.
    TeamUse {
        /// Team name.
        name: String,
    },
    /// Create a vault.
    VaultCreate {
        /// Team override.
        team: Option<String>,
        /// Vault name.
        name: String,
    },
    /// List vaults.
    VaultList {
        /// Team override.
        team: Option<String>,
    },
    /// Set a secret.
    Set {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// Value.
        #[serde(with = "expose_serde")]
        value: SecretString,
        /// Metadata changes.
        update: MetaUpdate,
        /// Set or rotation.
        kind: PutKind,
    },
    /// Read a secret's value.
    Get {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
    },
    /// List secrets.
    List {
        /// Team override.
        team: Option<String>,
        /// Vault filter.
        vault: Option<String>,
    },
    /// Search secrets.
    Search {
        /// Query.
        query: String,
        /// Maximum hits.
        limit: usize,
    },
    /// Version history.
    History {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// Include values.
        reveal: bool,
    },
    /// Delete a secret.
    Remove {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
    },
    /// Resolve `hush://` references, all or nothing.
    Resolve {
        /// Team override.
        team: Option<String>,
        /// References.
        references: Vec<String>,
    },
    /// Every value of a vault.
    VaultValues {
        /// Team override.
        team: Option<String>,
        /// Vault name.
        vault: String,
    },
    /// Verify signatures, chains and checkpoints of the local store.
    Verify,
    /// Stop the agent (only meaningful to the agent).
    Lock,
}

/// A name and its value.
#[derive(Debug, Serialize, Deserialize)]
pub struct NamedValue {
    /// Name or reference.
    pub name: String,
    /// Value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
}

/// The answer to a [`Request`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Response {
    /// Done, nothing to return.
    Ok,
    /// Identity.
    Whoami(WhoAmI),
    /// One team.
    Team(TeamInfo),
    /// Teams.
    Teams(Vec<TeamInfo>),
    /// One vault.
    Vault(VaultInfo),
    /// Vaults.
    Vaults(Vec<VaultInfo>),
    /// A new version number.
    Version(u32),
    /// A value.
    Value {
        /// The value.
        #[serde(with = "expose_serde")]
        value: SecretString,
    },
    /// Secrets.
    Secrets(Vec<SecretInfo>),
    /// Search hits.
    Hits(Vec<SearchHit>),
    /// History.
    History(Vec<VersionInfo>),
    /// Named values.
    Values(Vec<NamedValue>),
    /// A count.
    Count(u64),
    /// An error that crossed the socket.
    Error {
        /// Stable code.
        code: String,
        /// Human-readable message.
        message: String,
    },
}

impl Response {
    /// Turns an error response back into an error.
    pub fn into_result(self) -> Result<Response> {
        match self {
            Response::Error { code, message } => Err(Error::from_code(&code, message)),
            other => Ok(other),
        }
    }
}

/// A response of an unexpected shape (a protocol bug, never user error).
pub fn unexpected(r: &Response) -> Error {
    let kind = serde_json::to_value(r)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default();
    Error::Agent(format!("unexpected response `{kind}`"))
}

/// Executes a request against an unlocked session.
pub async fn handle(s: &mut Session, req: Request) -> Result<Response> {
    Ok(match req {
        Request::Ping | Request::Lock => Response::Ok,
        Request::Whoami => Response::Whoami(s.whoami()),
        Request::TeamCreate { name, relay } => Response::Team(s.team_create(&name, relay).await?),
        Request::TeamList => Response::Teams(s.team_list()),
        Request::TeamUse { name } => Response::Team(s.team_use(&name).await?),
        Request::VaultCreate { team, name } => {
            Response::Vault(s.vault_create(team.as_deref(), &name).await?)
        }
        Request::VaultList { team } => Response::Vaults(s.vault_list(team.as_deref())?),
        Request::Set {
            team,
            address,
            value,
            update,
            kind,
        } => Response::Version(
            s.set(team.as_deref(), &address, &value, update, kind)
                .await?,
        ),
        Request::Get { team, address } => Response::Value {
            value: s.get(team.as_deref(), &address)?,
        },
        Request::List { team, vault } => {
            Response::Secrets(s.list(team.as_deref(), vault.as_deref())?)
        }
        Request::Search { query, limit } => Response::Hits(s.search(&query, limit)),
        Request::History {
            team,
            address,
            reveal,
        } => Response::History(s.history(team.as_deref(), &address, reveal)?),
        Request::Remove { team, address } => {
            s.remove(team.as_deref(), &address).await?;
            Response::Ok
        }
        Request::Resolve { team, references } => {
            let mut out = Vec::with_capacity(references.len());
            for r in references {
                let value = s.resolve_reference(team.as_deref(), &r)?;
                out.push(NamedValue { name: r, value });
            }
            Response::Values(out)
        }
        Request::VaultValues { team, vault } => Response::Values(
            s.vault_values(team.as_deref(), &vault)?
                .into_iter()
                .map(|(name, value)| NamedValue { name, value })
                .collect(),
        ),
        Request::Verify => Response::Count(s.verify().await?),
    })
}
