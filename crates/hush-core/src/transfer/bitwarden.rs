//! The unencrypted Bitwarden JSON export (`{"encrypted":false,"folders":[...],"items":[...]}`):
//! logins (type 1), secure notes (2) and SSH keys (5); cards (3) and identities (4) are
//! skipped. Hidden custom fields become secrets of their own. An encrypted export is refused.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::Parsed;
use super::entry::{Entry, push};
use super::names::vault_name_from_folder;
use crate::error::{Error, Result};

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

#[derive(Default, Deserialize)]
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

pub(super) fn parse(text: &str) -> Result<Parsed> {
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
                let login = item.login.unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use crate::transfer::testing::{names, reasons};
    use crate::transfer::{ImportFormat, parse};

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
}
