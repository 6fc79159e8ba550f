//! Import and export: reading other tools' export files, writing vaults out, and what a backup
//! carries in plaintext.
//!
//! One file per job: the shared types and [`parse`] here; one parser per format
//! (`dotenv`, `onepassword`, `bitwarden`, `keepassxc`) over the helpers they share
//! (`names` for secret and vault names, `entry` for a password-manager entry, `csv_table` for
//! CSV with a header row); the all-or-nothing write in `import`; export (and the plaintext a
//! backup carries) in `export`. The backup file itself is [`crate::backup`].
//!
//! # Importing
//!
//! [`parse`] turns an export file into [`ImportItem`]s (and [`Skipped`] entries with a reason);
//! [`crate::session::Session::import_items`] writes them. Four formats, each read from its
//! documented layout:
//!
//! - **dotenv**: the [`crate::dotenv`] syntax. The key is the secret name, as written.
//! - **1Password CSV** (1Password 8: `Title,Url,Username,Password,OTPAuth,Favorite,Archived,
//!   Tags,Notes`; older exports name columns differently, so columns are found by header name).
//! - **Bitwarden JSON**, the unencrypted export (`{"encrypted":false,"folders":[...],"items":
//!   [...]}`): logins (type 1), secure notes (2) and SSH keys (5); cards (3) and identities (4)
//!   are skipped. Hidden custom fields become secrets of their own.
//! - **KeePassXC CSV** (`Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,
//!   Created`); the group path, less its root group, names the vault.
//!
//! A title becomes a secret name in upper snake case over ASCII letters and digits
//! (`Stripe API key (live)` → `STRIPE_API_KEY_LIVE`), so that every imported secret can be an
//! environment variable in `hush run`. A folder, group or vault becomes a lower-case vault name
//! with dashes (`Payments / Prod` → `payments-prod`). The value is the password (or the note of a
//! secure note, or the private key of an SSH key); the URL goes into the URL field; the username,
//! text fields, extra URLs and notes go into the note.
//!
//! # All or nothing
//!
//! A file that does not parse is an error before anything is written. Writing prepares every
//! event first (new vaults included) on a private copy of the team state, checking each one as a
//! received event would be checked, then stores them in one SQLite transaction
//! ([`crate::store::Store::append_many`]). If any step fails, nothing is stored and the
//! session's state is unchanged.
//!
//! # What never happens
//!
//! Error messages about a file name a line or an item number and a fixed text, never a value:
//! CSV and JSON parser messages (which may quote the input) are not passed on.

mod bitwarden;
mod csv_table;
mod dotenv;
mod entry;
mod export;
mod import;
mod keepassxc;
mod names;
mod onepassword;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::item::ItemMeta;
use crate::secret::{SecretString, expose_serde};

pub use export::{json_exact, render_dotenv};
pub use names::{secret_name_from_title, vault_name_from_folder};

/// The vault imported items land in when neither `--vault` nor the file names one.
pub const DEFAULT_VAULT: &str = "imported";
/// Longest URL an item's metadata can hold.
pub const MAX_URL_LEN: usize = 4096;

/// A file format `hush import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// A dotenv file.
    Dotenv,
    /// A 1Password CSV export.
    OnePassword,
    /// A Bitwarden unencrypted JSON export.
    Bitwarden,
    /// A KeePassXC CSV export.
    Keepassxc,
}

impl ImportFormat {
    /// The name people know the format by.
    pub fn label(self) -> &'static str {
        match self {
            ImportFormat::Dotenv => "dotenv",
            ImportFormat::OnePassword => "1Password CSV",
            ImportFormat::Bitwarden => "Bitwarden JSON",
            ImportFormat::Keepassxc => "KeePassXC CSV",
        }
    }
}

/// One secret read from an export file, ready to be written.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportItem {
    /// Position in the file (line or item number), to keep the summary in file order.
    pub position: u64,
    /// Where it came from, for people: `line 4`, `item 3`, `entry 2`.
    pub source: String,
    /// The title (or key) as the file has it.
    pub title: String,
    /// The vault the file puts it in (already a valid vault name), if any.
    pub vault: Option<String>,
    /// Secret name.
    pub name: String,
    /// The value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// Note (username, notes, extra fields).
    pub note: String,
    /// URL.
    pub url: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// What of the item was not imported.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// An entry of the file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Position in the file.
    pub position: u64,
    /// Where it came from, for people.
    pub source: String,
    /// The title (or key) as the file has it.
    pub title: String,
    /// Why it was skipped.
    pub reason: String,
}

impl Skipped {
    /// An entry skipped for `reason`.
    pub fn new(position: u64, source: &str, title: &str, reason: impl Into<String>) -> Self {
        Self {
            position,
            source: source.to_owned(),
            title: title.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What [`parse`] read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Items to write.
    pub items: Vec<ImportItem>,
    /// Entries skipped while reading.
    pub skipped: Vec<Skipped>,
}

/// A secret written by an import.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Imported {
    /// Where it came from.
    pub source: String,
    /// The title as the file has it.
    pub title: String,
    /// Vault.
    pub vault: String,
    /// Secret name.
    pub name: String,
    /// The version written.
    pub version: u32,
    /// What of the item was not imported.
    pub warnings: Vec<String>,
}

/// The outcome of an import.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportReport {
    /// Team written to.
    pub team: String,
    /// Vaults the import created.
    pub created_vaults: Vec<String>,
    /// Secrets written, in file order.
    pub imported: Vec<Imported>,
    /// Entries not written, in file order.
    pub skipped: Vec<Skipped>,
}

/// A secret with its value and metadata, as exported (and as a backup's `secrets.json` lists it).
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportedSecret {
    /// Team name.
    pub team: String,
    /// Vault name.
    pub vault: String,
    /// Secret name.
    pub name: String,
    /// The value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// Current version.
    pub version: u32,
    /// Time of the current version (ms since the Unix epoch).
    pub updated_ms: i64,
    /// Note, tags, URL, scope, expiry, rotation period.
    pub meta: ItemMeta,
}

/// Reads an export file. Fails on a malformed file (naming the line or item, never a value);
/// entries that are well-formed but cannot become a secret are returned as [`Skipped`].
pub fn parse(format: ImportFormat, text: &str) -> Result<Parsed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        ImportFormat::Dotenv => dotenv::parse(text),
        ImportFormat::OnePassword => onepassword::parse(text),
        ImportFormat::Bitwarden => bitwarden::parse(text),
        ImportFormat::Keepassxc => keepassxc::parse(text),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the parsers' tests compare.
    use super::Parsed;

    /// (source, vault, `NAME=value`) of each item.
    pub fn names(p: &Parsed) -> Vec<(String, Option<String>, String)> {
        p.items
            .iter()
            .map(|i| {
                (
                    i.source.clone(),
                    i.vault.clone(),
                    format!("{}={}", i.name, i.value.expose()),
                )
            })
            .collect()
    }

    /// (source, reason) of each skipped entry.
    pub fn reasons(p: &Parsed) -> Vec<(String, String)> {
        p.skipped
            .iter()
            .map(|s| (s.source.clone(), s.reason.clone()))
            .collect()
    }
}
