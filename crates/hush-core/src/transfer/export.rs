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

/// Renders secrets as a dotenv file that [`crate::dotenv::parse`] (and dotenvx) reads back
/// exactly. Secrets left out are returned as (name, reason): a name that is not a dotenv key, or
/// a value no dotenv quoting holds exactly.
pub fn render_dotenv(secrets: &[ExportedSecret]) -> (Zeroizing<String>, Vec<(String, String)>) {
    let mut out = Zeroizing::new(String::new());
    let mut left_out = Vec::new();
    for s in secrets {
        if !is_dotenv_key(&s.name) {
            left_out.push((
                s.name.clone(),
                "its name is not a dotenv variable name".to_owned(),
            ));
            continue;
        }
        match quote_for_dotenv(s.value.expose()) {
            Some(quoted) => {
                out.push_str(&s.name);
                out.push('=');
                out.push_str(&quoted);
                out.push('\n');
            }
            None => left_out.push((
                s.name.clone(),
                "no dotenv quoting holds its value exactly (it has ' \\ and \" or ` or $ together, or a carriage return with a backslash); export it as JSON".to_owned(),
            )),
        }
    }
    (out, left_out)
}

/// The value in the first quoting that reads back exactly, by dotenvx's rules: single quotes
/// (literal; `\'` for a quote when the value has no backslash), backticks (literal when there is
/// nothing to expand), double quotes (`\$`, `\r` escaped; only without backslashes and double
/// quotes). A carriage return survives only escaped: line endings are normalised first.
fn quote_for_dotenv(v: &str) -> Option<Zeroizing<String>> {
    let mut q = Zeroizing::new(String::with_capacity(v.len() + 2));
    let has = |c: char| v.contains(c);
    if !has('\r') && !has('\'') && !v.ends_with('\\') {
        q.push('\'');
        q.push_str(v);
        q.push('\'');
    } else if !has('\r') && !has('\\') {
        q.push('\'');
        for c in v.chars() {
            if c == '\'' {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('\'');
    } else if !has('\r') && !has('`') && !has('$') && !v.ends_with('\\') {
        q.push('`');
        q.push_str(v);
        q.push('`');
    } else if !has('\\') && !has('"') {
        q.push('"');
        for c in v.chars() {
            match c {
                '$' => q.push_str("\\$"),
                '\r' => q.push_str("\\r"),
                c => q.push(c),
            }
        }
        q.push('"');
    } else {
        return None;
    }
    Some(q)
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
        assert_eq!(left_out.len(), 1);
        assert_eq!(left_out[0].0, "not-a-key");
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
        // A line that is not an assignment is skipped with its line; the rest still imports.
        let p = parse(ImportFormat::Dotenv, "A=1\nnot an assignment\nB=2\n").expect("parse");
        assert_eq!(p.items.len(), 2);
        assert_eq!(
            reasons(&p),
            vec![("line 2".into(), "not KEY=value: skipped".into())]
        );
    }

    /// Every value of up to four characters from the ones quoting cares about either reads back
    /// exactly or is left out with a reason; none is changed on the way.
    #[test]
    fn every_short_tricky_value_reads_back_exactly_or_is_left_out() {
        const ALPHABET: [char; 12] = [
            'a', ' ', '\'', '"', '`', '\\', '$', '{', '\n', '\r', '#', '=',
        ];
        let mut values = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for v in &frontier {
                for c in ALPHABET {
                    next.push(format!("{v}{c}"));
                }
            }
            values.extend(next.iter().cloned());
            frontier = next;
        }
        let mut exported = 0;
        for v in &values {
            let Some(q) = quote_for_dotenv(v) else {
                // Only a value with a backslash or a carriage return may need to be left out.
                assert!(v.contains(['\\', '\r']), "{v:?} was left out");
                continue;
            };
            exported += 1;
            let text = format!("K={}\nNEXT=1\n", q.as_str());
            let back =
                crate::dotenv::parse(&text, |_| None, |_, v| Ok::<_, std::convert::Infallible>(v))
                    .expect("parses");
            let got: Vec<(&str, &str)> = back
                .entries
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str()))
                .collect();
            assert_eq!(got, [("K", v.as_str()), ("NEXT", "1")], "{text:?}");
            assert!(back.warnings.is_empty(), "{text:?}: {:?}", back.warnings);
        }
        // Even over this alphabet of troublemakers, most values have a quoting.
        assert!(
            exported * 4 > values.len() * 3,
            "{exported} of {}",
            values.len()
        );
    }
}
