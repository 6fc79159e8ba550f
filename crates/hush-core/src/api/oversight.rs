//! Operations for leads and tooling: the audit timeline, relay usage, service identities, witnesses, known values.

use serde::{Deserialize, Serialize};

use super::{Op, ServiceRevoked};
use crate::audit::{ActivityEntry, ActivityFilter, VerifyReport};
use crate::error::Result;
use crate::known::KnownValue;
use crate::service::{ServiceCreated, ServiceInfo};
use crate::session::Session;
use crate::witness::{WitnessAdded, WitnessInfo};

/// The signed timeline, filtered (`hush audit`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Audit {
    /// Team override.
    pub team: Option<String>,
    /// Filters.
    #[serde(default)]
    pub filter: ActivityFilter,
    /// Most entries, newest first.
    pub limit: usize,
}

impl Op for Audit {
    type Output = Vec<ActivityEntry>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.activity_filtered(self.team.as_deref(), &self.filter, self.limit)
            .await
    }
}

/// Re-verify the local logs; report each team's head and state code (`hush audit verify`).
#[derive(Debug, Serialize, Deserialize)]
pub struct AuditVerify {}

impl Op for AuditVerify {
    type Output = VerifyReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.verify_log().await
    }
}

/// The relay's per-device usage table (managers).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceActivity {
    /// Team override.
    pub team: Option<String>,
}

impl Op for DeviceActivity {
    type Output = Vec<crate::relay_usage::DeviceActivity>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.device_activity(self.team.as_deref()).await
    }
}

/// Alerts from relay usage (managers).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceAlerts {
    /// Team override.
    pub team: Option<String>,
}

impl Op for DeviceAlerts {
    type Output = Vec<crate::relay_usage::DeviceAlert>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.device_alerts(self.team.as_deref()).await
    }
}

/// Create a read-only, expiring service identity (returns its token once).
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceCreate {
    /// Team override.
    pub team: Option<String>,
    /// Service name.
    pub name: String,
    /// Vaults it may read.
    pub vaults: Vec<String>,
    /// Expiry, ms since the Unix epoch.
    pub expires_ms: i64,
}

impl Op for ServiceCreate {
    type Output = ServiceCreated;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.service_create(
            self.team.as_deref(),
            &self.name,
            &self.vaults,
            self.expires_ms,
        )
        .await
    }
}

/// The team's service identities.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceList {
    /// Team override.
    pub team: Option<String>,
}

impl Op for ServiceList {
    type Output = Vec<ServiceInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.service_list(self.team.as_deref())
    }
}

/// Revoke a service identity (re-keys).
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRevoke {
    /// Team override.
    pub team: Option<String>,
    /// Service name or id.
    pub name: String,
}

impl Op for ServiceRevoke {
    type Output = ServiceRevoked;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        let (service, exposed) = s.service_revoke(self.team.as_deref(), &self.name).await?;
        Ok(ServiceRevoked { service, exposed })
    }
}

/// Require a witness for the team (owners and admins).
#[derive(Debug, Serialize, Deserialize)]
pub struct WitnessAdd {
    /// Team override.
    pub team: Option<String>,
    /// Witness URL.
    pub url: String,
    /// Expected key (hex): refuse a witness presenting another.
    pub key: Option<String>,
}

impl Op for WitnessAdd {
    type Output = WitnessAdded;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.witness_add(self.team.as_deref(), &self.url, self.key.as_deref())
            .await
    }
}

/// Witnesses the team requires.
#[derive(Debug, Serialize, Deserialize)]
pub struct WitnessList {
    /// Team override.
    pub team: Option<String>,
}

impl Op for WitnessList {
    type Output = Vec<WitnessInfo>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.witnesses(self.team.as_deref())
    }
}

/// Stop requiring a witness (owners and admins).
#[derive(Debug, Serialize, Deserialize)]
pub struct WitnessRemove {
    /// Team override.
    pub team: Option<String>,
    /// Its URL or key (hex).
    pub witness: String,
}

impl Op for WitnessRemove {
    type Output = ();

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.witness_remove(self.team.as_deref(), &self.witness).await
    }
}

/// Every value this device can decrypt, all versions, deleted items too (`hush scan`).
#[derive(Debug, Serialize, Deserialize)]
pub struct KnownValues {}

impl Op for KnownValues {
    type Output = Vec<KnownValue>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        Ok(s.known_values())
    }
}
