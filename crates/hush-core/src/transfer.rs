//! Import and export: reading other tools' export files, writing vaults out, and what a backup
//! carries in plaintext.
//!
//! # Importing
//!
//! [`parse`] turns an export file into [`ImportItem`]s (and [`Skipped`] entries with a reason);
//! [`Session::import_items`] writes them. Four formats, each read from its documented layout:
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

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::event::{Body, Envelope, SignedEvent};
use crate::event::{KeyScope, Payload, Public, PutKind, VaultRole};
use crate::item::{ItemMeta, MAX_NAME_LEN, MAX_NOTE_LEN, MAX_VALUE_LEN};
use crate::replay::{Replay, replay};
use crate::secret::{SecretString, expose_serde};
use crate::session::{Session, checkpoint_mac};
use crate::state::TeamState;
use crate::store::Append;

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
        ImportFormat::Dotenv => parse_dotenv(text),
        ImportFormat::OnePassword => parse_1password(text),
        ImportFormat::Bitwarden => parse_bitwarden(text),
        ImportFormat::Keepassxc => parse_keepassxc(text),
    }
}

/// The runs of characters that `keep` accepts, each written by `write`, joined by one `sep`
/// (nothing before the first run or after the last).
fn join_runs(
    text: &str,
    keep: impl Fn(char) -> bool,
    sep: char,
    write: impl Fn(char, &mut String),
) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if keep(c) {
            if gap && !out.is_empty() {
                out.push(sep);
            }
            gap = false;
            write(c, &mut out);
        } else {
            gap = true;
        }
    }
    out
}

/// A title as a secret name: upper snake case over ASCII letters and digits, a leading `_` when
/// it would start with a digit, at most 128 bytes. `None` when nothing usable is left.
pub fn secret_name_from_title(title: &str) -> Option<String> {
    let mut out = join_runs(
        title,
        |c| c.is_ascii_alphanumeric(),
        '_',
        |c, o| {
            o.push(c.to_ascii_uppercase());
        },
    );
    if out.is_empty() {
        return None;
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(MAX_NAME_LEN);
    while out.ends_with('_') && out.len() > 1 {
        out.pop();
    }
    Some(out)
}

/// A folder, group or vault name as a vault name: lower case, letters and digits (any script),
/// other runs of characters as one `-`, at most 128 bytes. `None` when nothing usable is left.
pub fn vault_name_from_folder(folder: &str) -> Option<String> {
    let mut out = join_runs(folder, char::is_alphanumeric, '-', |c, o| {
        o.extend(c.to_lowercase());
    });
    if out.len() > MAX_NAME_LEN {
        let mut end = MAX_NAME_LEN;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        while out.ends_with('-') {
            out.pop();
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The fields of a password-manager entry, before they become an [`ImportItem`].
#[derive(Default)]
struct Entry {
    position: u64,
    source: String,
    title: String,
    password: Zeroizing<String>,
    /// What the value is, for the skip reason ("no password", "empty note").
    missing: &'static str,
    username: String,
    urls: Vec<String>,
    notes: String,
    extra: Vec<String>,
    tags: Vec<String>,
    vault: Option<String>,
    warnings: Vec<String>,
}

impl Entry {
    fn skip(&self, reason: impl Into<String>) -> Skipped {
        Skipped {
            position: self.position,
            source: self.source.clone(),
            title: self.title.clone(),
            reason: reason.into(),
        }
    }

    fn into_item(self) -> std::result::Result<ImportItem, Skipped> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(self.skip("no title to name the secret after"));
        }
        let Some(name) = secret_name_from_title(title) else {
            return Err(self.skip(
                "the title has no ASCII letter or digit to name the secret after; rename it and import again",
            ));
        };
        if self.password.trim().is_empty() {
            return Err(self.skip(self.missing));
        }
        if self.password.len() > MAX_VALUE_LEN {
            return Err(self.skip("the value is larger than 1 MiB"));
        }
        let mut warnings = self.warnings;
        let mut urls = self.urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty());
        let mut url = urls.next().map(str::to_owned);
        if url.as_ref().is_some_and(|u| u.len() > MAX_URL_LEN) {
            url = None;
            warnings.push("URL longer than 4096 bytes not imported".into());
        }
        let more_urls: Vec<&str> = urls.collect();
        let mut head = Vec::new();
        if title != name {
            head.push(title.to_owned());
        }
        if !self.username.trim().is_empty() {
            head.push(format!("username: {}", self.username.trim()));
        }
        head.extend(self.extra);
        if !more_urls.is_empty() {
            head.push(format!("more URLs: {}", more_urls.join(" ")));
        }
        let mut note = head.join("\n");
        let notes = self.notes.trim_end();
        if !notes.is_empty() {
            if !note.is_empty() {
                note.push_str("\n\n");
            }
            note.push_str(notes);
        }
        if note.len() > MAX_NOTE_LEN {
            let mut end = MAX_NOTE_LEN;
            while !note.is_char_boundary(end) {
                end -= 1;
            }
            note.truncate(end);
            warnings.push("note cut to 64 KiB".into());
        }
        Ok(ImportItem {
            position: self.position,
            source: self.source,
            title: title.to_owned(),
            vault: self.vault,
            name,
            value: SecretString::from(self.password),
            note,
            url,
            tags: clean_tags(&self.tags),
            warnings,
        })
    }
}

/// Tags a person typed elsewhere, kept only when they are valid here.
fn clean_tags(raw: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    raw.iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= MAX_NAME_LEN && !t.chars().any(char::is_control))
        .filter(|t| seen.insert(t.to_string()))
        .take(64)
        .map(str::to_owned)
        .collect()
}

fn push(out: &mut Parsed, entry: Entry) {
    match entry.into_item() {
        Ok(item) => out.items.push(item),
        Err(s) => out.skipped.push(s),
    }
}

fn parse_dotenv(text: &str) -> Result<Parsed> {
    let entries = crate::dotenv::parse(text, |_| None, |_, v| Ok::<_, std::convert::Infallible>(v))
        .map_err(|e| Error::Invalid(format!("not a valid dotenv file: {e}")))?;
    let mut out = Parsed::default();
    for (i, e) in entries.into_iter().enumerate() {
        let position = i as u64 + 1;
        let skip = |reason: &str| Skipped {
            position,
            source: format!("entry {position}"),
            title: e.key.clone(),
            reason: reason.to_owned(),
        };
        if crate::item::validate_name(&e.key, "secret").is_err() {
            out.skipped
                .push(skip("the key is not a valid secret name (1 to 128 bytes)"));
        } else if e.value.is_empty() {
            out.skipped.push(skip("empty value"));
        } else if e.value.starts_with(crate::address::REF_PREFIX) {
            out.skipped
                .push(skip("the value is a hush:// reference, not a secret"));
        } else if e.value.len() > MAX_VALUE_LEN {
            out.skipped.push(skip("the value is larger than 1 MiB"));
        } else {
            out.items.push(ImportItem {
                position,
                source: format!("entry {position}"),
                title: e.key.clone(),
                vault: None,
                name: e.key,
                value: SecretString::from(e.value),
                note: String::new(),
                url: None,
                tags: Vec::new(),
                warnings: Vec::new(),
            });
        }
    }
    Ok(out)
}

/// A CSV file with a header row: fields by lower-cased column name.
struct CsvTable {
    header: Vec<String>,
    /// (line, fields)
    rows: Vec<(u64, Vec<Zeroizing<String>>)>,
}

impl CsvTable {
    fn read(text: &str, what: &str) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        loop {
            let more = rdr.read_byte_record(&mut rec).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::Invalid(format!("{what}: line {line}: malformed CSV"))
            })?;
            if !more {
                break;
            }
            let line = rec.position().map_or(0, |p| p.line());
            let mut fields = Vec::with_capacity(rec.len());
            for f in rec.iter() {
                let s = std::str::from_utf8(f)
                    .map_err(|_| Error::Invalid(format!("{what}: line {line}: not valid UTF-8")))?;
                fields.push(Zeroizing::new(s.to_owned()));
            }
            match &header {
                None => {
                    header = Some(fields.iter().map(|f| f.trim().to_lowercase()).collect());
                }
                Some(h) => {
                    // A line of its own with nothing on it is not an entry.
                    if fields.len() == 1 && fields[0].is_empty() {
                        continue;
                    }
                    if fields.len() != h.len() {
                        return Err(Error::Invalid(format!(
                            "{what}: line {line}: {} fields where the header has {}; the file is malformed",
                            fields.len(),
                            h.len()
                        )));
                    }
                    rows.push((line, fields));
                }
            }
        }
        // Overwrite what csv kept of the last record.
        rec.clear();
        let header = header.ok_or_else(|| Error::Invalid(format!("{what}: the file is empty")))?;
        Ok(Self { header, rows })
    }

    fn col(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h == n))
    }

    fn require(&self, names: &[&str], what: &str) -> Result<usize> {
        self.col(names).ok_or_else(|| {
            Error::Invalid(format!(
                "the header row has no {} column: is this a {what} export?",
                names[0]
            ))
        })
    }
}

fn field(row: &[Zeroizing<String>], col: Option<usize>) -> &str {
    col.and_then(|c| row.get(c)).map_or("", |f| f.as_str())
}

fn parse_1password(text: &str) -> Result<Parsed> {
    const WHAT: &str = "1Password CSV";
    let t = CsvTable::read(text, WHAT)?;
    let title = t.require(&["title", "name"], WHAT)?;
    let password = t.require(&["password", "login_password"], WHAT)?;
    let url = t.col(&["url", "website", "urls", "login_url", "login url"]);
    let username = t.col(&["username", "login_username"]);
    let notes = t.col(&["notes", "notesplain", "notes_plain", "note"]);
    let tags = t.col(&["tags"]);
    let vault = t.col(&["vault", "folder"]);
    let otp = t.col(&["otpauth", "one-time password", "otp"]);
    let archived = t.col(&["archived"]);
    let mut out = Parsed::default();
    for (line, row) in &t.rows {
        let mut e = Entry {
            position: *line,
            source: format!("line {line}"),
            title: field(row, Some(title)).to_owned(),
            password: Zeroizing::new(field(row, Some(password)).to_owned()),
            missing: "no password",
            username: field(row, username).to_owned(),
            urls: vec![field(row, url).to_owned()],
            notes: field(row, notes).to_owned(),
            tags: field(row, tags)
                .split([';', ','])
                .map(str::to_owned)
                .collect(),
            vault: vault_name_from_folder(field(row, vault)),
            ..Entry::default()
        };
        if field(row, archived).eq_ignore_ascii_case("true") {
            out.skipped.push(e.skip("archived in 1Password"));
            continue;
        }
        if !field(row, otp).trim().is_empty() {
            e.warnings
                .push("one-time password seed not imported".into());
        }
        push(&mut out, e);
    }
    Ok(out)
}

fn parse_keepassxc(text: &str) -> Result<Parsed> {
    const WHAT: &str = "KeePassXC CSV";
    let t = CsvTable::read(text, WHAT)?;
    let title = t.require(&["title"], WHAT)?;
    let password = t.require(&["password"], WHAT)?;
    let group = t.col(&["group"]);
    let username = t.col(&["username", "user name"]);
    let url = t.col(&["url"]);
    let notes = t.col(&["notes"]);
    let totp = t.col(&["totp"]);
    let mut out = Parsed::default();
    for (line, row) in &t.rows {
        // The group path starts with the root group, whatever the database calls it.
        let path: Vec<&str> = field(row, group)
            .split('/')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let below_root = path.get(1..).unwrap_or(&[]);
        let mut e = Entry {
            position: *line,
            source: format!("line {line}"),
            title: field(row, Some(title)).to_owned(),
            password: Zeroizing::new(field(row, Some(password)).to_owned()),
            missing: "no password",
            username: field(row, username).to_owned(),
            urls: vec![field(row, url).to_owned()],
            notes: field(row, notes).to_owned(),
            vault: vault_name_from_folder(&below_root.join("-")),
            ..Entry::default()
        };
        if below_root.first() == Some(&"Recycle Bin") {
            out.skipped.push(e.skip("in the KeePassXC recycle bin"));
            continue;
        }
        if !field(row, totp).trim().is_empty() {
            e.warnings.push("TOTP seed not imported".into());
        }
        push(&mut out, e);
    }
    Ok(out)
}

/// The unencrypted Bitwarden export, as documented: only the fields Hush maps.
#[derive(Deserialize)]
struct BwExport {
    #[serde(default)]
    encrypted: bool,
    #[serde(default, rename = "passwordProtected")]
    password_protected: bool,
    #[serde(default)]
    folders: Vec<BwFolder>,
    #[serde(default)]
    collections: Vec<BwFolder>,
    items: Option<Vec<BwItem>>,
}

#[derive(Deserialize)]
struct BwFolder {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct BwItem {
    #[serde(rename = "type")]
    kind: Option<i64>,
    name: Option<String>,
    notes: Option<String>,
    #[serde(rename = "folderId")]
    folder_id: Option<String>,
    #[serde(default, rename = "collectionIds")]
    collection_ids: Option<Vec<String>>,
    login: Option<BwLogin>,
    #[serde(default)]
    fields: Option<Vec<BwField>>,
    #[serde(rename = "sshKey")]
    ssh_key: Option<BwSshKey>,
}

#[derive(Deserialize)]
struct BwLogin {
    username: Option<String>,
    password: Option<String>,
    #[serde(default)]
    uris: Option<Vec<BwUri>>,
    totp: Option<String>,
}

#[derive(Deserialize)]
struct BwUri {
    uri: Option<String>,
}

#[derive(Deserialize)]
struct BwField {
    name: Option<String>,
    value: Option<String>,
    #[serde(rename = "type")]
    kind: Option<i64>,
}

#[derive(Deserialize)]
struct BwSshKey {
    #[serde(rename = "privateKey")]
    private_key: Option<String>,
}

fn parse_bitwarden(text: &str) -> Result<Parsed> {
    let export: BwExport = serde_json::from_str(text).map_err(|e| {
        // serde_json's own messages may quote the input: give the place and a fixed text.
        let what = match e.classify() {
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Eof => "unexpected end of file",
            serde_json::error::Category::Data => "unexpected structure",
            serde_json::error::Category::Io => "read error",
        };
        Error::Invalid(format!(
            "Bitwarden JSON: line {} column {}: {what}; is this an unencrypted Bitwarden .json export?",
            e.line(),
            e.column()
        ))
    })?;
    if export.encrypted || export.password_protected {
        return Err(Error::Invalid(
            "this Bitwarden export is encrypted: export again choosing the unencrypted .json format (and delete that file once imported)".into(),
        ));
    }
    let items = export.items.ok_or_else(|| {
        Error::Invalid(
            "Bitwarden JSON: no \"items\" list; is this an unencrypted Bitwarden .json export?"
                .into(),
        )
    })?;
    let folder_names: HashMap<String, String> = export
        .folders
        .iter()
        .chain(&export.collections)
        .filter_map(|f| Some((f.id.clone()?, f.name.clone()?)))
        .collect();
    let mut out = Parsed::default();
    for (i, item) in items.into_iter().enumerate() {
        let position = i as u64 + 1;
        let folder = item
            .folder_id
            .as_ref()
            .or_else(|| item.collection_ids.as_ref().and_then(|c| c.first()))
            .and_then(|id| folder_names.get(id));
        let mut e = Entry {
            position,
            source: format!("item {position}"),
            title: item.name.clone().unwrap_or_default(),
            missing: "no password",
            vault: folder.and_then(|f| vault_name_from_folder(f)),
            ..Entry::default()
        };
        let mut hidden = Vec::new();
        for f in item.fields.unwrap_or_default() {
            let name = f.name.unwrap_or_default();
            let value = Zeroizing::new(f.value.unwrap_or_default());
            match f.kind {
                Some(1) => hidden.push((name, value)),
                Some(0 | 2) if !value.is_empty() => e.extra.push(format!("{name}: {}", *value)),
                _ => {}
            }
        }
        match item.kind {
            Some(1) => {
                let login = item.login.unwrap_or(BwLogin {
                    username: None,
                    password: None,
                    uris: None,
                    totp: None,
                });
                e.password = Zeroizing::new(login.password.unwrap_or_default());
                e.username = login.username.unwrap_or_default();
                e.urls = login
                    .uris
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|u| u.uri)
                    .collect();
                e.notes = item.notes.unwrap_or_default();
                if login.totp.is_some_and(|t| !t.trim().is_empty()) {
                    e.warnings.push("TOTP seed not imported".into());
                }
            }
            Some(2) => {
                e.password = Zeroizing::new(item.notes.unwrap_or_default());
                e.missing = "empty secure note";
            }
            Some(5) => {
                e.password =
                    Zeroizing::new(item.ssh_key.and_then(|k| k.private_key).unwrap_or_default());
                e.missing = "no private key";
                e.notes = item.notes.unwrap_or_default();
            }
            Some(3) => {
                out.skipped.push(e.skip("payment card (not imported)"));
                continue;
            }
            Some(4) => {
                out.skipped.push(e.skip("identity (not imported)"));
                continue;
            }
            other => {
                let kind = other.map_or_else(|| "none".to_owned(), |k| k.to_string());
                out.skipped
                    .push(e.skip(format!("unknown item type {kind} (not imported)")));
                continue;
            }
        }
        // Hidden custom fields hold keys more often than not: each becomes a secret of its own.
        let subs: Vec<Entry> = hidden
            .into_iter()
            .map(|(field_name, value)| Entry {
                position,
                source: format!("item {position} field {field_name:?}"),
                title: format!("{} {field_name}", e.title),
                password: value,
                missing: "empty hidden field",
                vault: e.vault.clone(),
                ..Entry::default()
            })
            .collect();
        push(&mut out, e);
        for sub in subs {
            push(&mut out, sub);
        }
    }
    Ok(out)
}

/// Renders secrets as a dotenv file that [`crate::dotenv::parse`] reads back exactly. Secrets whose
/// name is not a dotenv key are left out; their names are returned.
pub fn render_dotenv(secrets: &[ExportedSecret]) -> (Zeroizing<String>, Vec<String>) {
    let mut out = Zeroizing::new(String::new());
    let mut left_out = Vec::new();
    for s in secrets {
        if !is_dotenv_key(&s.name) {
            left_out.push(s.name.clone());
            continue;
        }
        let v = s.value.expose();
        out.push_str(&s.name);
        out.push('=');
        if !v.contains('\'') && !v.contains('\r') {
            // Single quotes: literal, no escapes, may span lines.
            out.push('\'');
            out.push_str(v);
            out.push('\'');
        } else {
            out.push('"');
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '$' => out.push_str("\\$"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('\n');
    }
    (out, left_out)
}

/// Keys [`crate::dotenv::parse`] accepts: `[A-Za-z_][A-Za-z0-9_.]*`.
fn is_dotenv_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c == '.' || c.is_ascii_alphanumeric())
}

impl Session {
    /// Every live secret of a vault, with value and metadata.
    pub fn export_vault(&self, team: Option<&str>, vault: &str) -> Result<Vec<ExportedSecret>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let (st, v) = self.vault_ref(tid, vid);
        v.live_items()
            .into_iter()
            .map(|i| exported(st, v, i))
            .collect()
    }

    /// Every live secret this device can read, in every team (for backups).
    pub fn export_all(&self) -> Result<Vec<ExportedSecret>> {
        let mut out = Vec::new();
        let mut teams: Vec<&TeamState> = self.teams.values().map(|t| &t.state).collect();
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        for st in teams {
            let mut vaults: Vec<_> = st.vaults.values().filter(|v| v.readable()).collect();
            vaults.sort_by(|a, b| a.name.cmp(&b.name));
            for v in vaults {
                for i in v.live_items() {
                    out.push(exported(st, v, i)?);
                }
            }
        }
        Ok(out)
    }

    /// Writes imported items into the active (or named) team, all or nothing: every event is
    /// prepared and checked first, then all are stored in one transaction. `vault` overrides the
    /// vault each item names (default [`DEFAULT_VAULT`]); missing vaults are created in the
    /// same transaction. A name that exists already (or twice in the import) is skipped unless
    /// `overwrite`, which writes a new version of the existing secret instead.
    pub async fn import_items(
        &mut self,
        team: Option<&str>,
        vault: Option<&str>,
        mut items: Vec<ImportItem>,
        mut skipped: Vec<Skipped>,
        overwrite: bool,
    ) -> Result<ImportReport> {
        if let Some(v) = vault {
            crate::item::validate_name(v, "vault")?;
        }
        let tid = self.active_team(team)?;
        let mut st = self.working_state(tid).await?;
        let me = self.identity.device_id;
        let mut events: Vec<(u64, [u8; 32], Vec<u8>)> = Vec::new();
        let mut created = Vec::new();
        let mut imported = Vec::new();
        let mut first_seen: HashMap<(String, String), String> = HashMap::new();
        items.sort_by_key(|i| i.position);
        for item in items {
            let vname = vault
                .map(str::to_owned)
                .or_else(|| item.vault.clone())
                .unwrap_or_else(|| DEFAULT_VAULT.to_owned());
            crate::item::validate_name(&vname, "vault")?;
            if item.value.len() > MAX_VALUE_LEN {
                return Err(Error::Invalid(format!(
                    "{}: the value is larger than 1 MiB",
                    item.source
                )));
            }
            let skip = |reason: String| Skipped {
                position: item.position,
                source: item.source.clone(),
                title: item.title.clone(),
                reason,
            };
            let key = (vname.clone(), item.name.clone());
            if let Some(first) = first_seen.get(&key) {
                skipped.push(skip(format!(
                    "{vname}/{} is also the name of an earlier entry of this file ({first})",
                    item.name
                )));
                continue;
            }
            first_seen.insert(key, item.source.clone());

            let vid = match st
                .vaults
                .values()
                .find(|v| v.name.as_deref() == Some(vname.as_str()))
            {
                Some(v) => v.id,
                None => {
                    let (payload, public, vid) = self.build_vault_create(&st, &vname)?;
                    self.seal_onto(&mut st, payload, public, &mut events)?;
                    created.push(vname.clone());
                    vid
                }
            };
            let v = &st.vaults[&vid];
            if !matches!(v.access.get(&me), Some(VaultRole::Write | VaultRole::Admin)) {
                return Err(Error::Forbidden(format!(
                    "you have read-only access to vault `{vname}`; nothing was imported"
                )));
            }
            let (item_id, base_version, mut meta) = match v.find(&item.name) {
                Some(_) if !overwrite => {
                    skipped.push(skip(format!(
                        "{vname}/{} already exists (--overwrite writes a new version)",
                        item.name
                    )));
                    continue;
                }
                Some(existing) => {
                    let cur = existing.current();
                    (
                        existing.id,
                        cur.version,
                        cur.meta.clone().unwrap_or_default(),
                    )
                }
                None => match v
                    .items
                    .values()
                    .find(|i| i.deleted && i.name() == Some(item.name.as_str()))
                {
                    // A deleted secret of the same name is revived with its history, as `set` does.
                    Some(dead) => (
                        dead.id,
                        dead.current().version,
                        dead.meta().cloned().unwrap_or_default(),
                    ),
                    None => (Uuid::new_v4(), 0, ItemMeta::default()),
                },
            };
            meta.name = item.name.clone();
            if !item.note.is_empty() || base_version == 0 {
                meta.note = item.note.clone();
            }
            if item.url.is_some() {
                meta.url = item.url.clone();
            }
            if !item.tags.is_empty() {
                meta.tags = item.tags.clone();
            }
            meta.validate()?;
            if meta.url.as_ref().is_some_and(|u| u.len() > MAX_URL_LEN) {
                return Err(Error::Invalid(format!(
                    "{}: the URL is longer than 4096 bytes",
                    item.source
                )));
            }
            let (payload, version) = crate::session::seal_put(
                &st,
                v,
                item_id,
                base_version,
                PutKind::Set,
                &meta,
                &item.value,
            )?;
            self.seal_onto(&mut st, payload, Public::default(), &mut events)?;
            imported.push(Imported {
                source: item.source,
                title: item.title,
                vault: vname,
                name: item.name,
                version,
                warnings: item.warnings,
            });
        }
        skipped.sort_by_key(|s| s.position);
        let report = ImportReport {
            team: st.name.clone(),
            created_vaults: created,
            imported,
            skipped,
        };
        let Some((seq, hash, _)) = events.last() else {
            return Ok(report);
        };
        let mac = checkpoint_mac(&self.account, &tid, *seq, hash);
        let pending = self.teams[&tid].settings.relay.is_some();
        match self.store.append_many(tid, &events, pending, &mac).await? {
            Append::Done => {
                if let Some(t) = self.teams.get_mut(&tid) {
                    t.state = st;
                }
                Ok(report)
            }
            Append::Conflict => {
                self.refresh().await?;
                Err(Error::Agent(
                    "another process changed this team at the same moment; nothing was imported, run the command again"
                        .into(),
                ))
            }
        }
    }

    /// A private copy of a team's state, rebuilt from the store, to build a batch of events on.
    async fn working_state(&mut self, tid: Uuid) -> Result<TeamState> {
        for _ in 0..2 {
            let st = replay(&self.store, tid, &self.identity, Replay::STORED).await?;
            // The copy must be the state this session verified (checkpoint included); another
            // process may have written since: reload (which verifies) and build again.
            if self.teams.get(&tid).map(|t| t.state.head) == Some(st.head) {
                return Ok(st);
            }
            self.refresh().await?;
        }
        Err(Error::Agent(
            "another process keeps changing this team; run the command again".into(),
        ))
    }

    /// Seals and signs an event at the head of `st`, checks it exactly as a received event would
    /// be checked, applies it to `st` and queues its bytes.
    fn seal_onto(
        &self,
        st: &mut TeamState,
        payload: Payload,
        public: Public,
        events: &mut Vec<(u64, [u8; 32], Vec<u8>)>,
    ) -> Result<()> {
        let (seq, prev) = st.next_position();
        let epoch = st.log_epoch;
        let log_key = st
            .key(KeyScope::Log, epoch)
            .cloned()
            .ok_or_else(|| Error::Forbidden("this device holds no key for the team log".into()))?;
        let body = Body {
            time_ms: (self.clock)(),
            payload,
        };
        let ev = SignedEvent::seal(
            Envelope {
                team_id: st.team_id,
                seq,
                prev,
                epoch,
                author: self.identity.device_id,
            },
            public,
            &body,
            &log_key,
            &self.identity,
        )?;
        let checked = st.check_own(&ev, &self.identity)?;
        st.commit(checked);
        events.push((seq, ev.hash(), ev.bytes().to_vec()));
        Ok(())
    }
}

fn exported(
    st: &TeamState,
    v: &crate::state::VaultState,
    i: &crate::state::Item,
) -> Result<ExportedSecret> {
    let cur = i.current();
    Ok(ExportedSecret {
        team: st.name.clone(),
        vault: v.name.clone().unwrap_or_default(),
        name: i.name().unwrap_or_default().to_owned(),
        value: st.open_value(v, i, cur)?,
        version: cur.version,
        updated_ms: cur.time_ms,
        meta: cur.meta.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::crypto::KdfParams;
    use crate::session::{MetaUpdate, system_clock};

    fn names(p: &Parsed) -> Vec<(String, Option<String>, String)> {
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

    fn reasons(p: &Parsed) -> Vec<(String, String)> {
        p.skipped
            .iter()
            .map(|s| (s.source.clone(), s.reason.clone()))
            .collect()
    }

    #[test]
    fn titles_become_secret_names_and_folders_vault_names() {
        let n = |t: &str| secret_name_from_title(t);
        assert_eq!(
            n("Stripe API key (live)").as_deref(),
            Some("STRIPE_API_KEY_LIVE")
        );
        assert_eq!(n("  github-token  ").as_deref(), Some("GITHUB_TOKEN"));
        assert_eq!(n("1st key").as_deref(), Some("_1ST_KEY"));
        assert_eq!(n("Café").as_deref(), Some("CAF"));
        assert_eq!(n("Ключ ✓"), None);
        assert_eq!(n(""), None);
        let long = "a".repeat(300);
        assert_eq!(n(&long).map(|s| s.len()), Some(MAX_NAME_LEN));
        for t in ["x", "A b", "a__b", "-x-"] {
            let name = n(t).expect("name");
            assert!(crate::address::is_env_name(&name), "{name}");
        }
        let v = |t: &str| vault_name_from_folder(t);
        assert_eq!(v("Payments / Prod").as_deref(), Some("payments-prod"));
        assert_eq!(v("Ключи").as_deref(), Some("ключи"));
        assert_eq!(v(" / "), None);
        let long = "é".repeat(100);
        let lv = v(&long).expect("vault");
        assert!(lv.len() <= MAX_NAME_LEN && crate::item::validate_name(&lv, "vault").is_ok());
    }

    const ONEPASSWORD: &str = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n\
GitHub token,https://github.com,octocat,ghp_one,,false,false,dev;ci,\"Fine-grained, repo scope\"\n\
\"Stripe, live\",https://dashboard.stripe.com,,\"sk_a,b\"\"c\",otpauth://totp/x,true,false,,\"two\nlines\"\n\
Wi-Fi,,,,,false,false,,no password\n\
Old,,,old_value,,false,true,,\n";

    #[test]
    fn onepassword_csv() {
        let p = parse(ImportFormat::OnePassword, ONEPASSWORD).expect("parse");
        assert_eq!(
            names(&p),
            vec![
                ("line 2".into(), None, "GITHUB_TOKEN=ghp_one".into()),
                ("line 3".into(), None, "STRIPE_LIVE=sk_a,b\"c".into()),
            ]
        );
        assert_eq!(
            reasons(&p),
            vec![
                ("line 5".into(), "no password".into()),
                ("line 6".into(), "archived in 1Password".into()),
            ]
        );
        let gh = &p.items[0];
        assert_eq!(
            gh.note,
            "GitHub token\nusername: octocat\n\nFine-grained, repo scope"
        );
        assert_eq!(gh.url.as_deref(), Some("https://github.com"));
        assert_eq!(gh.tags, vec!["dev".to_owned(), "ci".to_owned()]);
        assert_eq!(
            p.items[1].warnings,
            vec!["one-time password seed not imported".to_owned()]
        );
        assert!(p.items[1].note.ends_with("two\nlines"));
    }

    #[test]
    fn malformed_csv_names_the_line_never_a_value() {
        let bad = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n\
ok,,,pw_ok,,false,false,,\n\
broken,,hunter2-secret\n";
        let err = parse(ImportFormat::OnePassword, bad)
            .expect_err("malformed")
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse(ImportFormat::OnePassword, "Name,Secret\nx,y\n")
            .expect_err("no password column")
            .to_string();
        assert!(err.contains("password"), "{err}");
        assert!(parse(ImportFormat::Keepassxc, "").is_err());
    }

    #[test]
    fn keepassxc_csv() {
        let text = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\
\"Root\",\"AWS root\",\"admin\",\"aws/Key+1\",\"\",\"\",\"\",\"0\",\"\",\"\"\n\
\"Root/Internet/Email\",\"Mail\",\"\",\"p, w\",\"smtp://m\",\"a\nb\",\"otpauth://x\",\"0\",\"\",\"\"\n\
\"Root/Recycle Bin\",\"Old\",\"\",\"gone\",\"\",\"\",\"\",\"0\",\"\",\"\"\n";
        let p = parse(ImportFormat::Keepassxc, text).expect("parse");
        assert_eq!(
            names(&p),
            vec![
                ("line 2".into(), None, "AWS_ROOT=aws/Key+1".into()),
                (
                    "line 3".into(),
                    Some("internet-email".into()),
                    "MAIL=p, w".into()
                ),
            ]
        );
        assert_eq!(
            p.items[1].warnings,
            vec!["TOTP seed not imported".to_owned()]
        );
        assert_eq!(
            reasons(&p),
            vec![("line 5".into(), "in the KeePassXC recycle bin".into())]
        );
    }

    #[test]
    fn bitwarden_json() {
        let text = r#"{"encrypted": false,
          "folders": [{"id": "f1", "name": "Payments / Prod"}],
          "items": [
            {"type": 1, "name": "Stripe live", "folderId": "f1", "notes": "n",
             "fields": [{"name": "acct", "value": "a_1", "type": 0},
                        {"name": "webhook", "value": "whsec_1", "type": 1}],
             "login": {"username": "ops", "password": "sk_bw",
                       "uris": [{"uri": "https://a"}, {"uri": "https://b"}], "totp": null}},
            {"type": 2, "name": "Note", "notes": "note-secret", "secureNote": {"type": 0}},
            {"type": 3, "name": "Card", "card": {"number": "4111"}},
            {"type": 1, "name": "Empty", "login": {"password": null}}
          ]}"#;
        let p = parse(ImportFormat::Bitwarden, text).expect("parse");
        let pp = Some("payments-prod".to_owned());
        assert_eq!(
            names(&p),
            vec![
                ("item 1".into(), pp.clone(), "STRIPE_LIVE=sk_bw".into()),
                (
                    "item 1 field \"webhook\"".into(),
                    pp,
                    "STRIPE_LIVE_WEBHOOK=whsec_1".into()
                ),
                ("item 2".into(), None, "NOTE=note-secret".into()),
            ]
        );
        assert_eq!(
            p.items[0].note,
            "Stripe live\nusername: ops\nacct: a_1\nmore URLs: https://b\n\nn"
        );
        assert_eq!(
            reasons(&p),
            vec![
                ("item 3".into(), "payment card (not imported)".into()),
                ("item 4".into(), "no password".into()),
            ]
        );
        let err = parse(
            ImportFormat::Bitwarden,
            r#"{"encrypted": true, "data": "x"}"#,
        )
        .expect_err("encrypted")
        .to_string();
        assert!(err.contains("encrypted"), "{err}");
        let err = parse(
            ImportFormat::Bitwarden,
            r#"{"items": [{"type": "hunter2-secret"}]}"#,
        )
        .expect_err("bad type")
        .to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn dotenv_round_trips_through_render() {
        let values = [
            ("PLAIN", "abc"),
            ("QUOTE", "it's \"quoted\""),
            ("MULTI", "line1\nline2\n"),
            ("DOLLAR", "$HOME and ${X} \\n"),
            ("CR", "a\r\nb"),
            ("SPACES", "  padded  "),
        ];
        let secrets: Vec<ExportedSecret> = values
            .iter()
            .map(|(n, v)| ExportedSecret {
                team: "t".into(),
                vault: "v".into(),
                name: (*n).into(),
                value: SecretString::new((*v).into()),
                version: 1,
                updated_ms: 0,
                meta: ItemMeta::default(),
            })
            .chain(std::iter::once(ExportedSecret {
                team: "t".into(),
                vault: "v".into(),
                name: "not-a-key".into(),
                value: SecretString::new("x".into()),
                version: 1,
                updated_ms: 0,
                meta: ItemMeta::default(),
            }))
            .collect();
        let (text, left_out) = render_dotenv(&secrets);
        assert_eq!(left_out, vec!["not-a-key".to_owned()]);
        let p = parse(ImportFormat::Dotenv, &text).expect("parse back");
        let back: Vec<(String, String)> = p
            .items
            .iter()
            .map(|i| (i.name.clone(), i.value.expose().to_owned()))
            .collect();
        let want: Vec<(String, String)> = values
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(back, want);
        let p = parse(ImportFormat::Dotenv, "A=\nB=hush://v/K\nC=1\n").expect("parse");
        assert_eq!(
            reasons(&p),
            vec![
                ("entry 1".into(), "empty value".into()),
                (
                    "entry 2".into(),
                    "the value is a hush:// reference, not a secret".into()
                ),
            ]
        );
        let err = parse(ImportFormat::Dotenv, "A='unterminated\n")
            .expect_err("bad dotenv")
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    fn item(position: u64, vault: Option<&str>, name: &str, value: &str) -> ImportItem {
        ImportItem {
            position,
            source: format!("line {position}"),
            title: name.into(),
            vault: vault.map(str::to_owned),
            name: name.into(),
            value: SecretString::new(value.into()),
            note: format!("note {position}"),
            url: None,
            tags: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[tokio::test]
    async fn import_is_all_or_nothing_and_skips_collisions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let pw = SecretString::new("correct horse battery".into());
        let mut s = Session::init(&home, "alice", &pw, KdfParams::DEFAULT, system_clock())
            .await
            .expect("init");
        s.vault_create(None, "prod").await.expect("vault");
        let addr = Address::parse("prod/EXISTING").expect("addr");
        s.set(
            None,
            &addr,
            &SecretString::new("old".into()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        let before = s.store.heads().await.expect("heads");

        // A bad item after good ones (and after a new vault): nothing lands.
        let bad = vec![
            item(1, Some("new-vault"), "GOOD", "v1"),
            item(2, Some("prod"), "ALSO_GOOD", "v2"),
            item(3, Some("prod"), "bad/name", "v3"),
        ];
        assert!(
            s.import_items(None, None, bad, Vec::new(), false)
                .await
                .is_err()
        );
        assert_eq!(s.store.heads().await.expect("heads"), before);
        assert!(s.vault_list(None).expect("vaults").len() == 1);
        assert_eq!(s.list(None, None).expect("list").len(), 1);

        let items = vec![
            item(1, None, "A", "a-value"),
            item(2, Some("prod"), "EXISTING", "new"),
            item(3, None, "A", "again"),
            item(4, Some("prod"), "B", "b-value"),
        ];
        let parse_skip = Skipped {
            position: 2,
            source: "line 2b".into(),
            title: "t".into(),
            reason: "no password".into(),
        };
        let r = s
            .import_items(None, None, items, vec![parse_skip], false)
            .await
            .expect("import");
        assert_eq!(r.created_vaults, vec![DEFAULT_VAULT.to_owned()]);
        let done: Vec<String> = r
            .imported
            .iter()
            .map(|i| format!("{}/{}", i.vault, i.name))
            .collect();
        assert_eq!(done, vec!["imported/A", "prod/B"]);
        let skipped: Vec<&str> = r.skipped.iter().map(|k| k.source.as_str()).collect();
        // Parse-time skips first among equal positions (the order is stable).
        assert_eq!(skipped, vec!["line 2b", "line 2", "line 3"]);
        assert!(r.skipped[1].reason.contains("already exists"));
        assert!(r.skipped[2].reason.contains("(line 1)"));
        let get = |s: &Session, a: &str| {
            s.get(None, &Address::parse(a).expect("addr"))
                .expect("get")
                .expose()
                .to_owned()
        };
        assert_eq!(get(&s, "imported/A"), "a-value");
        assert_eq!(get(&s, "prod/EXISTING"), "old");

        // --overwrite: a new version of the existing secret.
        let r = s
            .import_items(
                None,
                Some("prod"),
                vec![item(1, None, "EXISTING", "new")],
                Vec::new(),
                true,
            )
            .await
            .expect("overwrite");
        assert_eq!(r.imported[0].version, 2);
        assert_eq!(get(&s, "prod/EXISTING"), "new");

        // What memory says is what the disk says.
        s.close().await;
        let s = Session::unlock(&home, &pw, system_clock())
            .await
            .expect("unlock");
        assert_eq!(get(&s, "prod/B"), "b-value");
        assert_eq!(get(&s, "prod/EXISTING"), "new");
        assert!(s.verify().await.expect("verify") > 0);
        let all = s.export_all().expect("export");
        assert_eq!(all.len(), 3);
        assert_eq!(s.export_vault(None, "prod").expect("vault").len(), 2);
    }
}
