//! The KeePassXC CSV export (`Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,
//! Created`). The group path, less its root group, names the vault; the recycle bin is skipped.

use super::Parsed;
use super::csv_table::{CsvTable, EntryColumns, field};
use super::entry::{Entry, push};
use super::names::vault_name_from_folder;
use crate::error::Result;

pub(super) fn parse(text: &str) -> Result<Parsed> {
    const WHAT: &str = "KeePassXC CSV";
    let t = CsvTable::read(text, WHAT)?;
    let cols = EntryColumns {
        title: t.require(&["title"], WHAT)?,
        password: t.require(&["password"], WHAT)?,
        username: t.col(&["username", "user name"]),
        url: t.col(&["url"]),
        notes: t.col(&["notes"]),
    };
    let group = t.col(&["group"]);
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
            vault: vault_name_from_folder(&below_root.join("-")),
            ..cols.entry(*line, row)
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

#[cfg(test)]
mod tests {
    use crate::transfer::testing::{names, reasons};
    use crate::transfer::{ImportFormat, parse};

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
}
