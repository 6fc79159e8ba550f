//! A password-manager entry (1Password, Bitwarden, KeePassXC) on its way to an [`ImportItem`]:
//! the one place that decides the secret's name, value, note, URL and tags, and why an entry is
//! skipped.

use std::collections::HashSet;

use zeroize::Zeroizing;

use super::names::secret_name_from_title;
use super::{ImportItem, MAX_URL_LEN, Parsed, Skipped};
use crate::item::{MAX_NAME_LEN, MAX_NOTE_LEN, MAX_VALUE_LEN};
use crate::secret::SecretString;

/// The fields of a password-manager entry, before they become an [`ImportItem`].
#[derive(Default)]
pub(super) struct Entry {
    pub position: u64,
    pub source: String,
    pub title: String,
    pub password: Zeroizing<String>,
    /// What the value is, for the skip reason ("no password", "empty note").
    pub missing: &'static str,
    pub username: String,
    pub urls: Vec<String>,
    pub notes: String,
    /// Lines for the note (`name: value` of custom fields).
    pub extra: Vec<String>,
    pub tags: Vec<String>,
    pub vault: Option<String>,
    pub warnings: Vec<String>,
}

impl Entry {
    /// This entry, skipped for `reason`.
    pub fn skip(&self, reason: impl Into<String>) -> Skipped {
        Skipped::new(self.position, &self.source, &self.title, reason)
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

/// Adds `entry` to what was read: as an item, or as skipped with the reason.
pub(super) fn push(out: &mut Parsed, entry: Entry) {
    match entry.into_item() {
        Ok(item) => out.items.push(item),
        Err(s) => out.skipped.push(s),
    }
}
