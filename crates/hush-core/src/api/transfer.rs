//! Operations that move secrets in and out: import, export, backup.

use serde::{Deserialize, Serialize};

use super::Op;
use crate::error::Result;
use crate::event::UsageAction;
use crate::session::Session;
use crate::transfer::{ExportedSecret, ImportItem, ImportReport, Skipped};

/// Write secrets read from an export file, all or nothing (`hush import`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Import {
    /// Team override.
    pub team: Option<String>,
    /// Vault for every item (else each item's own, else `imported`).
    pub vault: Option<String>,
    /// The items.
    pub items: Vec<ImportItem>,
    /// Entries the parser skipped (returned in the report, in file order).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Write a new version over an existing secret instead of skipping it.
    #[serde(default)]
    pub overwrite: bool,
}

impl Op for Import {
    type Output = ImportReport;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        s.import_items(
            self.team.as_deref(),
            self.vault.as_deref(),
            self.items,
            self.skipped,
            self.overwrite,
        )
        .await
    }
}

/// Every live secret of a vault with values and metadata (`hush export`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Export {
    /// Team override.
    pub team: Option<String>,
    /// Vault name.
    pub vault: String,
}

impl Op for Export {
    type Output = Vec<ExportedSecret>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        // An export reads every value it returns, for a person: it leaves a usage record as
        // `hush get` does, with its own action.
        let exported = s.export_vault(self.team.as_deref(), &self.vault)?;
        s.record_vault_read(self.team.as_deref(), &self.vault, UsageAction::Export)
            .await;
        Ok(exported)
    }
}

/// Every live secret this device can read, in every team (`hush backup`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportAll {}

impl Op for ExportAll {
    type Output = Vec<ExportedSecret>;

    async fn run(self, s: &mut Session) -> Result<Self::Output> {
        // A backup reads every value, for a person: it leaves a usage record, as an export does.
        s.backup_export().await
    }
}
