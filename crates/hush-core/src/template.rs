//! Templates for `hush inject`: `{{ hush://VAULT/NAME }}` placeholders replaced by values.
//!
//! Rendering is all-or-nothing: every reference is collected and validated first, the caller
//! resolves them all, and only then is output produced, so an unknown reference never leaves a
//! half-written file behind. Placeholders whose content does not start with `hush://` are left
//! alone (other template languages use `{{ }}` too).

use std::collections::HashMap;

use crate::address::{Address, REF_PREFIX};
use crate::error::{Error, Result};
use crate::secret::SecretString;

/// A placeholder found in a template.
struct Placeholder<'a> {
    start: usize,
    end: usize,
    reference: &'a str,
}

fn placeholders(template: &str) -> Result<Vec<Placeholder<'_>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(open) = template[pos..].find("{{") {
        let start = pos + open;
        let Some(close) = template[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + close + 2;
        let inner = template[start + 2..end - 2].trim();
        if inner.starts_with(REF_PREFIX) {
            let line = template[..start].matches('\n').count() + 1;
            Address::parse_reference(inner)
                .map_err(|e| Error::Invalid(format!("line {line}: {e}")))?;
            out.push(Placeholder {
                start,
                end,
                reference: inner,
            });
        }
        pos = end;
    }
    Ok(out)
}

/// The distinct references used by a template, in order of first use.
pub fn references(template: &str) -> Result<Vec<String>> {
    let mut seen = Vec::<String>::new();
    for p in placeholders(template)? {
        if !seen.iter().any(|s| s == p.reference) {
            seen.push(p.reference.to_owned());
        }
    }
    Ok(seen)
}

/// Renders a template with resolved values. Every reference must be in `values`.
pub fn render(
    template: &str,
    values: &HashMap<String, SecretString>,
) -> Result<zeroize::Zeroizing<String>> {
    let mut out = zeroize::Zeroizing::new(String::with_capacity(template.len()));
    let mut last = 0;
    for p in placeholders(template)? {
        let v = values
            .get(p.reference)
            .ok_or_else(|| Error::NotFound(format!("reference `{}`", p.reference)))?;
        out.push_str(&template[last..p.start]);
        out.push_str(v.expose());
        last = p.end;
    }
    out.push_str(&template[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_renders() {
        let t =
            "a={{ hush://prod/A }}\nb={{hush://t/prod/B}} c={{ hush://prod/A }} keep={{ other }}";
        assert_eq!(
            references(t).ok(),
            Some(vec![
                "hush://prod/A".to_owned(),
                "hush://t/prod/B".to_owned()
            ])
        );
        let mut m = HashMap::new();
        m.insert("hush://prod/A".to_owned(), SecretString::new("1".into()));
        m.insert("hush://t/prod/B".to_owned(), SecretString::new("2".into()));
        assert_eq!(
            render(t, &m).ok().as_deref().map(String::as_str),
            Some("a=1\nb=2 c=1 keep={{ other }}")
        );
        m.remove("hush://t/prod/B");
        assert!(render(t, &m).is_err());
    }

    #[test]
    fn malformed_reference_names_the_line() {
        let err = references("ok\n{{ hush://no-name }}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("line 2") && err.contains("hush://no-name"),
            "{err}"
        );
        assert_eq!(references("unterminated {{ hush://a/b").ok(), Some(vec![]));
    }
}
