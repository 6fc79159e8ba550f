//! dotenv files, in the [`crate::dotenv`] syntax: the key is the secret name, as written.
//! `${VAR}` expands to earlier keys only, never the environment; empty values and `hush://`
//! references are skipped.

use super::{ImportItem, Parsed, Skipped};
use crate::error::{Error, Result};
use crate::item::MAX_VALUE_LEN;
use crate::secret::SecretString;

pub(super) fn parse(text: &str) -> Result<Parsed> {
    let parsed = crate::dotenv::parse(text, |_| None, |_, v| Ok::<_, std::convert::Infallible>(v))
        .map_err(|e| Error::Invalid(format!("not a valid dotenv file: {e}")))?;
    let entries = parsed.entries;
    let mut out = Parsed::default();
    // A line that is not an assignment is reported as skipped; a note about a line that is one
    // (its `$(…)` kept as written) goes with its item.
    let mut notes: Vec<crate::dotenv::Warning> = Vec::new();
    for w in parsed.warnings {
        if entries.iter().any(|e| e.line == w.line) {
            notes.push(w);
        } else {
            let source = format!("line {}", w.line);
            out.skipped
                .push(Skipped::new(w.line as u64, &source, "", w.message));
        }
    }
    for (i, e) in entries.into_iter().enumerate() {
        let position = i as u64 + 1;
        let source = format!("entry {position}");
        let skip = |reason: &str| Skipped::new(position, &source, &e.key, reason);
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
                source,
                title: e.key.clone(),
                vault: None,
                name: e.key,
                value: SecretString::from(e.value),
                note: String::new(),
                url: None,
                tags: Vec::new(),
                warnings: notes
                    .iter()
                    .filter(|w| w.line == e.line)
                    .map(|w| w.message.clone())
                    .collect(),
            });
        }
    }
    Ok(out)
}
