//! Operations on secrets: write, read, list, search, history, references, conflicts, rotation and leaks.

use serde::{Deserialize, Serialize};

use super::{NamedValue, Op, Revealed};
use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::{PutKind, UsageAction};
use crate::lifecycle::{LeakReport, StatusReport};
use crate::membership::{ConflictInfo, ExposedInfo};
use crate::secret::{SecretString, expose_serde};
use crate::session::{MetaUpdate, SearchHit, SecretInfo, Session, VersionInfo};

/// Set a secret.
#[derive(Debug, Serialize, Deserialize)]
pub struct Set {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// Value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// Metadata changes.
    pub update: MetaUpdate,
    /// Set or rotation.
    pub kind: PutKind,
}

impl Op for Set {
    type Output = u32;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.set(
            self.team.as_deref(),
            &self.address,
            &self.value,
            self.update,
            self.kind,
        )
        .await
    }
}

/// Read a secret's value.
#[derive(Debug, Serialize, Deserialize)]
pub struct Get {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
}

impl Op for Get {
    type Output = Revealed;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        // This person's override wins; it reads no team value, so it records no use.
        if let Some(value) = s.override_value(self.team.as_deref(), &self.address) {
            return Ok(Revealed {
                value,
                overridden: true,
            });
        }
        let value = s.get(self.team.as_deref(), &self.address)?;
        s.record_reads(
            self.team.as_deref(),
            std::slice::from_ref(&self.address),
            UsageAction::Get,
            false,
        )
        .await;
        Ok(Revealed {
            value,
            overridden: false,
        })
    }
}

/// List secrets.
#[derive(Debug, Serialize, Deserialize)]
pub struct List {
    /// Team override.
    pub team: Option<String>,
    /// Vault filter.
    pub vault: Option<String>,
}

impl Op for List {
    type Output = Vec<SecretInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.list(self.team.as_deref(), self.vault.as_deref())
    }
}

/// Search secrets.
#[derive(Debug, Serialize, Deserialize)]
pub struct Search {
    /// Query.
    pub query: String,
    /// Maximum hits.
    pub limit: usize,
}

impl Op for Search {
    type Output = Vec<SearchHit>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.search(&self.query, self.limit))
    }
}

/// Version history.
#[derive(Debug, Serialize, Deserialize)]
pub struct History {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// Include values.
    pub reveal: bool,
}

impl Op for History {
    type Output = Vec<VersionInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let versions = s.history(self.team.as_deref(), &self.address, self.reveal)?;
        if self.reveal {
            s.record_reads(
                self.team.as_deref(),
                std::slice::from_ref(&self.address),
                UsageAction::History,
                true,
            )
            .await;
        }
        Ok(versions)
    }
}

/// Delete a secret.
#[derive(Debug, Serialize, Deserialize)]
pub struct Remove {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
}

impl Op for Remove {
    type Output = ();

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.remove(self.team.as_deref(), &self.address).await
    }
}

/// Resolve `hush://` references, all or nothing.
#[derive(Debug, Serialize, Deserialize)]
pub struct Resolve {
    /// Team override.
    pub team: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// What the values are for, as recorded in usage events (default: inject).
    #[serde(default)]
    pub usage: Option<UsageAction>,
}

impl Op for Resolve {
    type Output = Vec<NamedValue>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let mut out = Vec::with_capacity(self.references.len());
        let mut read = Vec::with_capacity(self.references.len());
        for r in self.references {
            let addr = Address::parse_reference(&r).ok();
            if let Some(value) = addr
                .as_ref()
                .and_then(|a| s.override_value(self.team.as_deref(), a))
            {
                out.push(NamedValue {
                    name: r,
                    value,
                    overridden: true,
                });
                continue;
            }
            let value = s.resolve_reference(self.team.as_deref(), &r)?;
            read.extend(addr);
            out.push(NamedValue {
                name: r,
                value,
                overridden: false,
            });
        }
        s.record_reads(
            self.team.as_deref(),
            &read,
            self.usage.unwrap_or(UsageAction::Inject),
            false,
        )
        .await;
        Ok(out)
    }
}

/// Every value of a vault.
#[derive(Debug, Serialize, Deserialize)]
pub struct VaultValues {
    /// Team override.
    pub team: Option<String>,
    /// Vault name.
    pub vault: String,
}

impl Op for VaultValues {
    type Output = Vec<NamedValue>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let values = s.vault_values(self.team.as_deref(), &self.vault)?;
        s.record_vault_read(self.team.as_deref(), &self.vault, UsageAction::Run)
            .await;
        let overrides = s.vault_overrides(self.team.as_deref(), &self.vault)?;
        let mut out: Vec<NamedValue> = values
            .into_iter()
            .filter(|(name, _)| !overrides.iter().any(|(o, _)| o == name))
            .map(|(name, value)| NamedValue {
                name,
                value,
                overridden: false,
            })
            .collect();
        out.extend(overrides.into_iter().map(|(name, value)| NamedValue {
            name,
            value,
            overridden: true,
        }));
        Ok(out)
    }
}

/// Record that a person revealed or copied a secret (the desktop shell's reveal and copy);
/// best-effort: answers `Count(0)` when nothing was recorded.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordUsage {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// How it was read.
    pub action: UsageAction,
}

impl Op for RecordUsage {
    type Output = u64;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        // The address must name a secret; recording itself is best-effort.
        if s.lookup(self.team.as_deref(), &self.address)?.2.is_none() {
            return Err(Error::NotFound(format!("secret `{}`", self.address)));
        }
        let n = s
            .record_reads(
                self.team.as_deref(),
                std::slice::from_ref(&self.address),
                self.action,
                false,
            )
            .await;
        Ok(n as u64)
    }
}

/// Resolve a conflict.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResolveConflict {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// Version to keep.
    pub keep: u32,
}

impl Op for ResolveConflict {
    type Output = u32;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.resolve(self.team.as_deref(), &self.address, self.keep)
            .await
    }
}

/// Record a new value of an existing secret as a rotation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rotate {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// The new value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// New expiry date (`YYYY-MM-DD`), else the old one is kept.
    #[serde(default)]
    pub expires: Option<String>,
}

impl Op for Rotate {
    type Output = u32;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.rotate(
            self.team.as_deref(),
            &self.address,
            &self.value,
            self.expires,
        )
        .await
    }
}

/// Report a secret's current value as leaked.
#[derive(Debug, Serialize, Deserialize)]
pub struct Leaked {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// What happened (sealed under the vault key).
    #[serde(default)]
    pub note: String,
}

impl Op for Leaked {
    type Output = LeakReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.report_leak(self.team.as_deref(), &self.address, &self.note)
            .await
    }
}

/// Secrets to rotate.
#[derive(Debug, Serialize, Deserialize)]
pub struct Exposed {}

impl Op for Exposed {
    type Output = Vec<ExposedInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.exposed())
    }
}

/// Secrets in conflict.
#[derive(Debug, Serialize, Deserialize)]
pub struct Conflicts {}

impl Op for Conflicts {
    type Output = Vec<ConflictInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.conflicts())
    }
}

/// Secrets due, overdue, expired or exposed; conflicts; alerts (all teams, or `team`).
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyStatus {
    /// Only this team.
    pub team: Option<String>,
}

impl Op for KeyStatus {
    type Output = StatusReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let mut report = s.key_status(self.team.as_deref())?;
        report
            .alerts
            .extend(s.relay_alerts(self.team.as_deref()).await);
        Ok(report)
    }
}

/// Every readable live secret of every team this device belongs to (teams still waiting for
/// admission have none), never with values: the app's list.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListAll {}

impl Op for ListAll {
    type Output = Vec<SecretInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let mut rows = Vec::new();
        for t in named_teams(s) {
            rows.extend(s.list(Some(&t), None)?);
        }
        Ok(rows)
    }
}

/// The secrets of every team that need a person: exposed, in conflict, or due, overdue or
/// expired now ([`SecretInfo::needs_attention`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct Attention {}

impl Op for Attention {
    type Output = Vec<SecretInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let now = (s.clock)();
        let mut rows = ListAll {}.run(s).await?;
        rows.retain(|r| r.needs_attention(now));
        Ok(rows)
    }
}

/// Teams that have a name, as their ids (a team still waiting for admission has no name and
/// nothing to list; an id is never ambiguous where a team name is taken).
pub fn named_teams(s: &Session) -> Vec<String> {
    s.team_list()
        .into_iter()
        .filter(|t| !t.name.is_empty())
        .map(|t| t.id.to_string())
        .collect()
}

/// Why a person reads a value in a front end (recorded in the team's usage log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFor {
    /// Shown on screen.
    Reveal,
    /// Put on the clipboard.
    Copy,
}

/// A person reads a value — the current one, or the value at `version` — on screen or onto the
/// clipboard. The read leaves a usage record (`reveal`, `copy`, or `history` for an older
/// version), best-effort: the value is returned even if recording fails.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reveal {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// A version other than the current one.
    #[serde(default)]
    pub version: Option<u32>,
    /// What the person does with it.
    pub purpose: ReadFor,
}

/// A value read by a person, and whether that read was recorded (then there is an event to push).
#[derive(Debug, Serialize, Deserialize)]
pub struct RevealedValue {
    /// The value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// A usage event was appended.
    pub recorded: bool,
}

impl Op for Reveal {
    type Output = RevealedValue;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let team = self.team.as_deref();
        let value = match self.version {
            None => s.get(team, &self.address)?,
            Some(v) => s
                .history(team, &self.address, true)?
                .into_iter()
                .find(|h| h.version == v)
                .and_then(|h| h.value)
                .ok_or_else(|| Error::NotFound(format!("version {v} of `{}`", self.address)))?,
        };
        let action = match (self.version, self.purpose) {
            (Some(_), _) => UsageAction::History,
            (None, ReadFor::Reveal) => UsageAction::Reveal,
            (None, ReadFor::Copy) => UsageAction::Copy,
        };
        let n = s
            .record_reads(team, std::slice::from_ref(&self.address), action, false)
            .await;
        Ok(RevealedValue {
            value,
            recorded: n > 0,
        })
    }
}

/// How to name a secret without its value: a `hush://` reference or a `NAME=hush://…` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameForm {
    /// `hush://[team/]vault/NAME`.
    Reference,
    /// `NAME=hush://[team/]vault/NAME`.
    EnvLine,
}

/// A secret's name as a reference or an env-file line, for copying. The secret must exist and
/// be readable; the team is named only when it is not the selected one.
#[derive(Debug, Serialize, Deserialize)]
pub struct NameAs {
    /// Team (name or id); the selected team when absent.
    pub team: Option<String>,
    /// Address.
    pub address: Address,
    /// The form.
    pub form: NameForm,
}

impl Op for NameAs {
    type Output = String;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let team = self.team.as_deref();
        s.history(team, &self.address, false)?; // it exists and is readable
        let tid = s.active_team(team)?;
        let selected = s.team_list().into_iter().any(|t| t.selected && t.id == tid);
        let address = Address {
            team: (!selected).then(|| s.team_label(tid)),
            ..self.address
        };
        match self.form {
            NameForm::Reference => Ok(address.to_reference()),
            NameForm::EnvLine => address.to_env_line(),
        }
    }
}
