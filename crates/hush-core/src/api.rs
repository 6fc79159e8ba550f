//! The request/response API every front end speaks.
//!
//! The CLI builds a [`Request`] and either handles it in-process ([`handle`] on a [`Session`] it
//! unlocked itself) or sends it to the agent, which calls the same [`handle`]. The desktop shell
//! does the same. So there is one implementation of every operation, and the agent protocol is just
//! this enum serialized as JSON over a Unix socket.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::audit::{ActivityEntry, ActivityFilter, VerifyReport};
use crate::error::{Error, Result};
use crate::event::{PutKind, TeamRole, UsageAction, VaultRole};
use crate::lifecycle::{LeakReport, StatusReport};
use crate::membership::{
    AccessInfo, ConflictInfo, ExposedInfo, InviteOut, JoinOut, MemberInfo, TeamStatus,
};
use crate::secret::{SecretString, expose_serde};
use crate::session::{
    MetaUpdate, SearchHit, SecretInfo, Session, TeamInfo, VaultInfo, VersionInfo, WhoAmI,
};
use crate::sync::SyncReport;

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
        /// Allow plain http:// to a non-loopback relay.
        #[serde(default)]
        allow_http: bool,
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
        /// What the values are for, as recorded in usage events (default: inject).
        #[serde(default)]
        usage: Option<UsageAction>,
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
    /// Push and pull one team (or all teams with a relay).
    Sync {
        /// Team override; all teams when absent and `all`.
        team: Option<String>,
        /// Every team with a relay.
        all: bool,
    },
    /// Sync status of a team.
    TeamStatus {
        /// Team override.
        team: Option<String>,
    },
    /// Records that a teammate read the same team state code (answered with the team's status).
    TeamCompared {
        /// Team override.
        team: Option<String>,
    },
    /// Issue an invite.
    Invite {
        /// Team override.
        team: Option<String>,
        /// Role for the invitee.
        role: TeamRole,
        /// Lifetime in milliseconds.
        ttl_ms: i64,
    },
    /// Join with an invite code.
    Join {
        /// The code.
        code: String,
        /// Local label until admitted.
        label: Option<String>,
        /// Relay URL overriding the code's.
        #[serde(default)]
        relay: Option<String>,
        /// Allow plain http:// to a non-loopback relay.
        allow_http: bool,
    },
    /// List members.
    Members {
        /// Team override.
        team: Option<String>,
    },
    /// Admit a pending member.
    Admit {
        /// Team override.
        team: Option<String>,
        /// Name or id prefix.
        member: String,
    },
    /// Remove a member (re-keys).
    RemoveMember {
        /// Team override.
        team: Option<String>,
        /// Name or id prefix.
        member: String,
    },
    /// Grant vault access.
    Grant {
        /// Team override.
        team: Option<String>,
        /// Vault.
        vault: String,
        /// Name or id prefix.
        member: String,
        /// Role.
        role: VaultRole,
    },
    /// Revoke vault access (re-keys the vault).
    Revoke {
        /// Team override.
        team: Option<String>,
        /// Vault.
        vault: String,
        /// Name or id prefix.
        member: String,
    },
    /// Who has access to a vault.
    Access {
        /// Team override.
        team: Option<String>,
        /// Vault.
        vault: String,
    },
    /// Secrets to rotate.
    Exposed,
    /// Secrets in conflict.
    Conflicts,
    /// Secrets due, overdue, expired or exposed; conflicts; alerts (all teams, or `team`).
    KeyStatus {
        /// Only this team.
        team: Option<String>,
    },
    /// Record a new value of an existing secret as a rotation.
    Rotate {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// The new value.
        #[serde(with = "expose_serde")]
        value: SecretString,
        /// New expiry date (`YYYY-MM-DD`), else the old one is kept.
        #[serde(default)]
        expires: Option<String>,
    },
    /// Report a secret's current value as leaked.
    Leaked {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// What happened (sealed under the vault key).
        #[serde(default)]
        note: String,
    },
    /// The signed timeline, filtered (`hush audit`).
    Audit {
        /// Team override.
        team: Option<String>,
        /// Filters.
        #[serde(default)]
        filter: ActivityFilter,
        /// Most entries, newest first.
        limit: usize,
    },
    /// Re-verify the local logs; report each team's head and state code (`hush audit verify`).
    AuditVerify,
    /// Record that a person revealed or copied a secret (the desktop shell's reveal and copy);
    /// best-effort: answers `Count(0)` when nothing was recorded.
    RecordUsage {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// How it was read.
        action: UsageAction,
    },
    /// Resolve a conflict.
    ResolveConflict {
        /// Team override.
        team: Option<String>,
        /// Address.
        address: Address,
        /// Version to keep.
        keep: u32,
    },
    /// Create a read-only, expiring service identity (returns its token once).
    ServiceCreate {
        /// Team override.
        team: Option<String>,
        /// Service name.
        name: String,
        /// Vaults it may read.
        vaults: Vec<String>,
        /// Expiry, ms since the Unix epoch.
        expires_ms: i64,
    },
    /// The team's service identities.
    ServiceList {
        /// Team override.
        team: Option<String>,
    },
    /// Revoke a service identity (re-keys).
    ServiceRevoke {
        /// Team override.
        team: Option<String>,
        /// Service name or id.
        name: String,
    },
    /// The relay's per-device usage table (managers).
    DeviceActivity {
        /// Team override.
        team: Option<String>,
    },
    /// Alerts from relay usage (managers).
    DeviceAlerts {
        /// Team override.
        team: Option<String>,
    },
    /// Write secrets read from an export file, all or nothing (`hush import`).
    Import {
        /// Team override.
        team: Option<String>,
        /// Vault for every item (else each item's own, else `imported`).
        vault: Option<String>,
        /// The items.
        items: Vec<crate::transfer::ImportItem>,
        /// Entries the parser skipped (returned in the report, in file order).
        #[serde(default)]
        skipped: Vec<crate::transfer::Skipped>,
        /// Write a new version over an existing secret instead of skipping it.
        #[serde(default)]
        overwrite: bool,
    },
    /// Every live secret of a vault with values and metadata (`hush export`).
    Export {
        /// Team override.
        team: Option<String>,
        /// Vault name.
        vault: String,
    },
    /// Every live secret this device can read, in every team (`hush backup`).
    ExportAll,
    /// Every value this device can decrypt, all versions, deleted items too (`hush scan`).
    KnownValues,
    /// Require a witness for the team (owners and admins).
    WitnessAdd {
        /// Team override.
        team: Option<String>,
        /// Witness URL.
        url: String,
        /// Expected key (hex): refuse a witness presenting another.
        key: Option<String>,
    },
    /// Witnesses the team requires.
    WitnessList {
        /// Team override.
        team: Option<String>,
    },
    /// Stop requiring a witness (owners and admins).
    WitnessRemove {
        /// Team override.
        team: Option<String>,
        /// Its URL or key (hex).
        witness: String,
    },
}

/// One team's sync result.
#[derive(Debug, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// Team.
    pub team: String,
    /// The report, when it succeeded.
    pub report: Option<SyncReport>,
    /// The error code and message, when it failed.
    pub error: Option<(String, String)>,
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
    /// Sync results.
    Synced(Vec<SyncOutcome>),
    /// Team status.
    Status(TeamStatus),
    /// An invite.
    Invited(InviteOut),
    /// A join request sent.
    Joined(JoinOut),
    /// Members.
    Members(Vec<MemberInfo>),
    /// One member.
    Member(MemberInfo),
    /// A removal and the secrets it exposed.
    Removed {
        /// The member.
        member: MemberInfo,
        /// Secrets to rotate.
        exposed: Vec<ExposedInfo>,
    },
    /// Vault access.
    Access(Vec<AccessInfo>),
    /// Exposed secrets.
    Exposed(Vec<ExposedInfo>),
    /// Conflicts.
    Conflicts(Vec<ConflictInfo>),
    /// Secrets that need a person, and alerts.
    KeyStatus(StatusReport),
    /// A recorded leak report.
    Leaked(LeakReport),
    /// Timeline entries.
    Activity(Vec<ActivityEntry>),
    /// A verified store.
    Verified(VerifyReport),
    /// A new service identity and its token.
    ServiceCreated(crate::service::ServiceCreated),
    /// Service identities.
    Services(Vec<crate::service::ServiceInfo>),
    /// A revoked service identity and the secrets it could read.
    ServiceRevoked {
        /// The service.
        service: crate::service::ServiceInfo,
        /// Secrets to rotate if its token may have leaked.
        exposed: Vec<ExposedInfo>,
    },
    /// Per-device usage seen by the relay.
    DeviceActivity(Vec<crate::relay_usage::DeviceActivity>),
    /// Alerts from relay usage.
    DeviceAlerts(Vec<crate::relay_usage::DeviceAlert>),
    /// An error that crossed the socket.
    Error {
        /// Stable code.
        code: String,
        /// Human-readable message.
        message: String,
        /// What the person can do next (each front end words it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<crate::error::Hint>,
    },
    /// What an import wrote and skipped.
    Imported(crate::transfer::ImportReport),
    /// Secrets with values and metadata.
    Exported(Vec<crate::transfer::ExportedSecret>),
    /// Every decryptable value with its address and version.
    KnownValues(Vec<crate::known::KnownValue>),
    /// A witness now required.
    WitnessAdded(crate::witness::WitnessAdded),
    /// Required witnesses.
    Witnesses(Vec<crate::witness::WitnessInfo>),
}

impl Response {
    /// Turns an error response back into an error.
    pub fn into_result(self) -> Result<Response> {
        match self {
            Response::Error {
                code,
                message,
                hint,
            } => Err(Error::from_code(&code, message, hint)),
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
        Request::TeamCreate {
            name,
            relay,
            allow_http,
        } => {
            if let Some(r) = &relay {
                crate::relay_client::RelayClient::new(r, allow_http)?;
            }
            Response::Team(s.team_create(&name, relay, allow_http).await?)
        }
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
        Request::Get { team, address } => {
            let value = s.get(team.as_deref(), &address)?;
            s.record_reads(
                team.as_deref(),
                std::slice::from_ref(&address),
                UsageAction::Get,
                false,
            )
            .await;
            Response::Value { value }
        }
        Request::List { team, vault } => {
            Response::Secrets(s.list(team.as_deref(), vault.as_deref())?)
        }
        Request::Search { query, limit } => Response::Hits(s.search(&query, limit)),
        Request::History {
            team,
            address,
            reveal,
        } => {
            let versions = s.history(team.as_deref(), &address, reveal)?;
            if reveal {
                s.record_reads(
                    team.as_deref(),
                    std::slice::from_ref(&address),
                    UsageAction::History,
                    true,
                )
                .await;
            }
            Response::History(versions)
        }
        Request::Remove { team, address } => {
            s.remove(team.as_deref(), &address).await?;
            Response::Ok
        }
        Request::Resolve {
            team,
            references,
            usage,
        } => {
            let mut out = Vec::with_capacity(references.len());
            let mut read = Vec::with_capacity(references.len());
            for r in references {
                let value = s.resolve_reference(team.as_deref(), &r)?;
                read.extend(Address::parse_reference(&r).ok());
                out.push(NamedValue { name: r, value });
            }
            s.record_reads(
                team.as_deref(),
                &read,
                usage.unwrap_or(UsageAction::Inject),
                false,
            )
            .await;
            Response::Values(out)
        }
        Request::VaultValues { team, vault } => {
            let values = s.vault_values(team.as_deref(), &vault)?;
            s.record_vault_read(team.as_deref(), &vault, UsageAction::Run)
                .await;
            Response::Values(
                values
                    .into_iter()
                    .map(|(name, value)| NamedValue { name, value })
                    .collect(),
            )
        }
        Request::Verify => Response::Count(s.verify().await?),
        Request::Sync { team, all } => {
            let results = if all && team.is_none() {
                s.sync_all().await
            } else {
                let tid = s.active_team(team.as_deref())?;
                let r = s.sync_team(tid).await;
                vec![(s.team_label(tid), r)]
            };
            Response::Synced(
                results
                    .into_iter()
                    .map(|(team, r)| match r {
                        Ok(report) => SyncOutcome {
                            team,
                            report: Some(report),
                            error: None,
                        },
                        Err(e) => SyncOutcome {
                            team,
                            report: None,
                            error: Some((e.code().into(), e.to_string())),
                        },
                    })
                    .collect(),
            )
        }
        Request::TeamStatus { team } => Response::Status(s.team_status(team.as_deref()).await?),
        Request::TeamCompared { team } => {
            Response::Status(s.mark_state_compared(team.as_deref()).await?)
        }
        Request::Invite { team, role, ttl_ms } => {
            Response::Invited(s.invite(team.as_deref(), role, ttl_ms).await?)
        }
        Request::Join {
            code,
            label,
            relay,
            allow_http,
        } => Response::Joined(
            s.join(&code, label.as_deref(), relay.as_deref(), allow_http)
                .await?,
        ),
        Request::Members { team } => Response::Members(s.members(team.as_deref())?),
        Request::Admit { team, member } => {
            Response::Member(s.admit(team.as_deref(), &member).await?)
        }
        Request::RemoveMember { team, member } => {
            let (member, exposed) = s.remove_member(team.as_deref(), &member).await?;
            Response::Removed { member, exposed }
        }
        Request::Grant {
            team,
            vault,
            member,
            role,
        } => Response::Access(vec![s.grant(team.as_deref(), &vault, &member, role).await?]),
        Request::Revoke {
            team,
            vault,
            member,
        } => Response::Exposed(s.revoke(team.as_deref(), &vault, &member).await?),
        Request::Access { team, vault } => Response::Access(s.access(team.as_deref(), &vault)?),
        Request::Exposed => Response::Exposed(s.exposed()),
        Request::Conflicts => Response::Conflicts(s.conflicts()),
        Request::KeyStatus { team } => {
            let mut report = s.key_status(team.as_deref())?;
            report.alerts.extend(s.relay_alerts(team.as_deref()).await);
            Response::KeyStatus(report)
        }
        Request::Rotate {
            team,
            address,
            value,
            expires,
        } => Response::Version(s.rotate(team.as_deref(), &address, &value, expires).await?),
        Request::Leaked {
            team,
            address,
            note,
        } => Response::Leaked(s.report_leak(team.as_deref(), &address, &note).await?),
        Request::Audit {
            team,
            filter,
            limit,
        } => Response::Activity(s.activity_filtered(team.as_deref(), &filter, limit).await?),
        Request::AuditVerify => Response::Verified(s.verify_log().await?),
        Request::RecordUsage {
            team,
            address,
            action,
        } => {
            // The address must name a secret; recording itself is best-effort.
            if s.lookup(team.as_deref(), &address)?.2.is_none() {
                return Err(Error::NotFound(format!("secret `{address}`")));
            }
            let n = s
                .record_reads(
                    team.as_deref(),
                    std::slice::from_ref(&address),
                    action,
                    false,
                )
                .await;
            Response::Count(n as u64)
        }
        Request::ResolveConflict {
            team,
            address,
            keep,
        } => Response::Version(s.resolve(team.as_deref(), &address, keep).await?),
        Request::ServiceCreate {
            team,
            name,
            vaults,
            expires_ms,
        } => Response::ServiceCreated(
            s.service_create(team.as_deref(), &name, &vaults, expires_ms)
                .await?,
        ),
        Request::ServiceList { team } => Response::Services(s.service_list(team.as_deref())?),
        Request::ServiceRevoke { team, name } => {
            let (service, exposed) = s.service_revoke(team.as_deref(), &name).await?;
            Response::ServiceRevoked { service, exposed }
        }
        Request::DeviceActivity { team } => {
            Response::DeviceActivity(s.device_activity(team.as_deref()).await?)
        }
        Request::DeviceAlerts { team } => {
            Response::DeviceAlerts(s.device_alerts(team.as_deref()).await?)
        }
        Request::Import {
            team,
            vault,
            items,
            skipped,
            overwrite,
        } => Response::Imported(
            s.import_items(team.as_deref(), vault.as_deref(), items, skipped, overwrite)
                .await?,
        ),
        // An export or a backup reads every value it returns, for a person: it leaves a usage
        // record as `hush get` does, with its own action.
        Request::Export { team, vault } => {
            let exported = s.export_vault(team.as_deref(), &vault)?;
            s.record_vault_read(team.as_deref(), &vault, UsageAction::Export)
                .await;
            Response::Exported(exported)
        }
        Request::ExportAll => {
            let exported = s.export_all()?;
            s.record_all_reads(UsageAction::Backup).await;
            Response::Exported(exported)
        }
        Request::KnownValues => Response::KnownValues(s.known_values()),
        Request::WitnessAdd { team, url, key } => {
            Response::WitnessAdded(s.witness_add(team.as_deref(), &url, key.as_deref()).await?)
        }
        Request::WitnessList { team } => Response::Witnesses(s.witnesses(team.as_deref())?),
        Request::WitnessRemove { team, witness } => {
            s.witness_remove(team.as_deref(), &witness).await?;
            Response::Ok
        }
    })
}
