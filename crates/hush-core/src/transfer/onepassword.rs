//! The 1Password CSV export (1Password 8: `Title,Url,Username,Password,OTPAuth,Favorite,
//! Archived,Tags,Notes`; older exports name columns differently, so columns are found by header
//! name). The Vault or Folder column, when there is one, names the vault.

use super::Parsed;
use super::csv_table::{CsvTable, EntryColumns, field};
use super::entry::{Entry, push};
use super::names::vault_name_from_folder;
use crate::error::Result;

pub(super) fn parse(text: &str) -> Result<Parsed> {
    const WHAT: &str = "1Password CSV";
    let t = CsvTable::read(text, WHAT)?;
    let cols = EntryColumns {
        title: t.require(&["title", "name"], WHAT)?,
        password: t.require(&["password", "login_password"], WHAT)?,
        url: t.col(&["url", "website", "urls", "login_url", "login url"]),
        username: t.col(&["username", "login_username"]),
        notes: t.col(&["notes", "notesplain", "notes_plain", "note"]),
    };
    let tags = t.col(&["tags"]);
    let vault = t.col(&["vault", "folder"]);
    let otp = t.col(&["otpauth", "one-time password", "otp"]);
    let archived = t.col(&["archived"]);
    let mut out = Parsed::default();
    for (line, row) in &t.rows {
        let mut e = Entry {
            tags: field(row, tags)
                .split([';', ','])
                .map(str::to_owned)
                .collect(),
            vault: vault_name_from_folder(field(row, vault)),
            ..cols.entry(*line, row)
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

#[cfg(test)]
mod tests {
    use crate::transfer::testing::{names, reasons};
    use crate::transfer::{ImportFormat, parse};

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
}
