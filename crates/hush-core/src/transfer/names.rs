//! Names for what an import creates: a title as a secret name, a folder as a vault name.

use crate::item::MAX_NAME_LEN;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
