//! Export: a vault's (or every readable) secret with its value and metadata, and the dotenv
//! rendering `hush export --format dotenv` prints, which reads back exactly.

use std::io::Write;

use serde::Serialize;
use zeroize::Zeroizing;

use super::ExportedSecret;
use crate::error::{Error, Result};
use crate::event::UsageAction;
use crate::session::Session;
use crate::state::{Item, TeamState, VaultState};

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

/// Counts bytes, to size a buffer before writing secrets into it.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Pretty JSON (for `hush export --format json` and a backup's `secrets.json`) in a zeroizing
/// buffer allocated once at its final size, with room for one more byte (a final newline): a
/// growing `Vec` would leave copies of the plaintext behind in freed memory.
pub fn json_exact(v: &impl Serialize) -> Result<Zeroizing<Vec<u8>>> {
    let encode = |_| Error::Invalid("cannot encode JSON".into());
    let mut counter = Counter(0);
    serde_json::to_writer_pretty(&mut counter, v).map_err(encode)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(counter.0 + 1));
    serde_json::to_writer_pretty(&mut *buf, v).map_err(encode)?;
    Ok(buf)
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

    /// Every live secret this device can read, in every team, for a backup: leaves a usage
    /// record of each (action `backup`), as `hush get` does for one.
    pub async fn backup_export(&mut self) -> Result<Vec<ExportedSecret>> {
        let exported = self.export_all()?;
        self.record_all_reads(UsageAction::Backup).await;
        Ok(exported)
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
}

fn exported(st: &TeamState, v: &VaultState, i: &Item) -> Result<ExportedSecret> {
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
    use crate::item::ItemMeta;
    use crate::secret::SecretString;
    use crate::transfer::testing::reasons;
    use crate::transfer::{ImportFormat, parse};

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
}
