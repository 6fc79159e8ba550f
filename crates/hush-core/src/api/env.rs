//! Vaults as environments: which names one vault has and another lacks, which values differ
//! (`hush env diff`), and which names an example file expects that a vault lacks
//! (`hush env check`). Answers carry names and counts, never a value. And the signed long-polls
//! `hush run --watch` sends itself to learn that a vault changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Op;
use crate::error::Result;
use crate::secret::SecretString;
use crate::session::Session;

/// Compare two vaults (`hush env diff LEFT RIGHT`): both must be readable.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnvDiff {
    /// Team override.
    pub team: Option<String>,
    /// The first vault.
    pub left: String,
    /// The second vault.
    pub right: String,
}

/// What differs between two vaults, by name; sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvDiffReport {
    /// Names only the first vault has.
    pub only_left: Vec<String>,
    /// Names only the second vault has.
    pub only_right: Vec<String>,
    /// Names both have, with different values.
    pub differ: Vec<String>,
    /// How many names both have with equal values.
    pub same: usize,
}

impl EnvDiffReport {
    /// The vaults hold the same names and values.
    pub fn is_empty(&self) -> bool {
        self.only_left.is_empty() && self.only_right.is_empty() && self.differ.is_empty()
    }
}

impl Op for EnvDiff {
    type Output = EnvDiffReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        // Values are compared here and dropped (zeroized); none leaves the session. The diff
        // discloses no value, so it leaves no usage record.
        let by_name = |v: &str| -> Result<BTreeMap<String, SecretString>> {
            Ok(s.export_vault(self.team.as_deref(), v)?
                .into_iter()
                .map(|e| (e.name, e.value))
                .collect())
        };
        let left = by_name(&self.left)?;
        let mut right = by_name(&self.right)?;
        let mut report = EnvDiffReport::default();
        // Both maps are sorted by name, so every list comes out sorted.
        for (name, value) in left {
            match right.remove(&name) {
                None => report.only_left.push(name),
                Some(r) if r.expose() != value.expose() => report.differ.push(name),
                Some(_) => report.same += 1,
            }
        }
        report.only_right = right.into_keys().collect();
        Ok(report)
    }
}

/// Which of `names` a vault lacks (`hush env check VAULT --example FILE`).
#[derive(Debug, Serialize, Deserialize)]
pub struct EnvCheck {
    /// Team override.
    pub team: Option<String>,
    /// The vault.
    pub vault: String,
    /// The names expected (from the example file).
    pub names: Vec<String>,
}

/// The names a vault lacks, in the order asked, and how many it has.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvCheckReport {
    /// Expected names the vault does not hold.
    pub missing: Vec<String>,
    /// Expected names it holds.
    pub present: usize,
}

impl Op for EnvCheck {
    type Output = EnvCheckReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let held: BTreeSet<String> = s
            .list(self.team.as_deref(), Some(&self.vault))?
            .into_iter()
            .map(|h| h.name)
            .collect();
        let mut report = EnvCheckReport::default();
        let mut asked = BTreeSet::new();
        for n in self.names {
            if !asked.insert(n.clone()) {
                continue;
            }
            if held.contains(&n) {
                report.present += 1;
            } else {
                report.missing.push(n);
            }
        }
        Ok(report)
    }
}

/// Signed long-polls for every team with a relay (`hush run --watch` sends them itself).
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeWaits {
    /// How long each may wait on the relay, in milliseconds.
    pub timeout_ms: u64,
}

impl Op for ChangeWaits {
    type Output = Vec<crate::relay_client::SignedWait>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.signed_waits(self.timeout_ms).await)
    }
}

/// Set this person's own value for a secret (`hush override set`): local, never synced.
#[derive(Debug, Serialize, Deserialize)]
pub struct OverrideSet {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: crate::address::Address,
    /// The value.
    #[serde(with = "crate::secret::expose_serde")]
    pub value: crate::secret::SecretString,
}

impl Op for OverrideSet {
    type Output = crate::session::OverrideInfo;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.override_set(self.team.as_deref(), &self.address, self.value)
            .await
    }
}

/// Remove this person's override (`hush override rm`); false when there was none.
#[derive(Debug, Serialize, Deserialize)]
pub struct OverrideRemove {
    /// Team override.
    pub team: Option<String>,
    /// Address.
    pub address: crate::address::Address,
}

impl Op for OverrideRemove {
    type Output = bool;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.override_remove(self.team.as_deref(), &self.address).await
    }
}

/// This person's overrides, never with values (`hush override ls`).
#[derive(Debug, Serialize, Deserialize)]
pub struct OverrideList {
    /// Only this team.
    pub team: Option<String>,
}

impl Op for OverrideList {
    type Output = Vec<crate::session::OverrideInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.override_list(self.team.as_deref())
    }
}
