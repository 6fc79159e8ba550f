//! Parser for dotenv files, as read by `hush run --env-file FILE` and `hush import dotenv`.
//!
//! # The reference: dotenvx
//!
//! A `.env` file reads here exactly as dotenvx (`@dotenvx/dotenvx`, the successor of the `dotenv`
//! npm package) reads it when it overrides the environment (`--overload`, hush's precedence: the
//! file wins over the process environment, which is only a lookup for expansion).
//! `tests/dotenvx.rs` runs the real dotenvx on a corpus of files and compares every key.
//!
//! - **Lines.** An assignment is `[export ]KEY=value` or `KEY: value` (a colon and at least one
//!   blank). KEY is `[A-Za-z0-9_.-]+`. Anything else — a line without `=`, `KEY:value` — is not an
//!   assignment: it is skipped and reported in [`Parsed::warnings`] with its line number; it
//!   never fails the file. Names that are not environment variable names (`1KEY`, `MY-KEY`) are
//!   parsed like dotenvx does; the caller decides (`hush run` skips them with a warning).
//! - **Values.** `'single'`, `"double"` and `` `backtick` `` quotes may span lines. A value that
//!   is not one quoted string followed only by blanks or a `# comment` is read unquoted, to the
//!   end of its line or the first `#` (`K=a#b` is `a`; `K="a"b` is `"a"b`), and trimmed. A quote
//!   that is never closed is part of an unquoted value (`K="abc` is `"abc`).
//! - **Escapes.** In single quotes `\'` is `'`, everything else is literal. In double quotes
//!   `\n`, `\r` and `\t` become newline, carriage return and tab; other backslashes stay (`"\""`
//!   is `\"`). Unquoted and backtick values keep backslashes, except `\$`.
//! - **Expansion** (not in single quotes): `$NAME` and `${NAME}` take the value of an earlier
//!   line, else the environment, else nothing; `${NAME:-default}` (unset or empty),
//!   `${NAME-default}` (unset), `${NAME:+alternate}` (set and not empty), `${NAME+alternate}`
//!   (set). Defaults may nest (`${A:-${B:-c}}`, innermost first) and an expanded value is
//!   expanded again. `\$` keeps a `$` literal. A `$` that starts neither form is literal.
//! - **Command substitution** `$(command)`, which dotenvx runs, is never run: an environment file
//!   must not execute anything. The text stays as written and a warning names the line.
//! - A later duplicate key overrides the earlier value (the entry keeps its first position).
//!   CRLF and CR line endings become LF first; a leading byte order mark is skipped.
//!
//! Warnings and errors carry line numbers and fixed text, never text from the file: a value must
//! not reach a terminal or a log through a message. Buffers that hold values are zeroized.

use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use zeroize::Zeroizing;

/// One `KEY=value` assignment, with the value the hook returned.
#[derive(Clone)]
pub struct Entry {
    /// The variable name.
    pub key: String,
    /// The value after quote removal, escapes, expansion and the caller's hook.
    pub value: Zeroizing<String>,
    /// 1-based line where the (last) assignment of this key starts.
    pub line: usize,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .field("line", &self.line)
            .finish()
    }
}

/// Something in the file that was skipped or kept as written; it does not fail the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// Fixed text (and at most a key name), never text from a value.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed file: the entries in order of first appearance, one per key, and what was skipped.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The entries.
    pub entries: Vec<Entry>,
    /// Lines skipped or kept as written, in line order.
    pub warnings: Vec<Warning>,
}

/// Why a dotenv file could not be read.
///
/// Messages name a line (and, for [`DotenvError::Hook`], a key) but never contain a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DotenvError {
    /// A value's expansion does not end (a variable whose value keeps reintroducing itself,
    /// such as `A=x$A` with `A` set to `$A`: dotenvx loops forever on it).
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number of the assignment.
        line: usize,
        /// What is wrong; fixed text, never taken from the file.
        message: String,
    },
    /// The caller's hook refused a value (for example, a `hush://` reference did not resolve).
    #[error("line {line}: could not resolve the value of {key}")]
    Hook {
        /// 1-based line number where the assignment starts.
        line: usize,
        /// The variable whose value was refused.
        key: String,
        /// The hook's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

/// JavaScript's `\s`, which dotenvx's patterns use (Rust's `\s` differs: it has U+0085 and
/// lacks U+FEFF).
const JS_SPACE: &str = r"[\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}]";

/// dotenvx's line pattern, with JavaScript's classes spelled out. Rust's engine reports the same
/// leftmost-first match and groups a backtracking engine does for this pattern.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r#"(?m)^S*(?:exportS+)?([A-Za-z0-9_.-]+)(?:S*=S*?|:S+?)(S*'(?:\\'|[^'])*'|S*"(?:\\"|[^"])*"|S*`(?:\\`|[^`])*`|[^#\r\n]+)?S*(?:#[^\n\r\u{2028}\u{2029}]*)?$"#
        .replace('S', JS_SPACE);
    Regex::new(&pattern).expect("the dotenv line pattern compiles")
});

/// A reference to expand, as dotenvx tests a single-quoted value for one.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*").expect("the reference pattern compiles")
});

fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Most substitutions one value's expansion may make before it counts as endless.
const MAX_SUBSTITUTIONS: usize = 10_000;
/// Longest an expanded value may grow.
const MAX_EXPANDED: usize = 16 * 1024 * 1024;

/// Parses a dotenv file.
///
/// Each value is passed to `hook(key, value)` once its line is read and expanded; what the hook
/// returns is stored, and is what later `${KEY}` expansions see. An error from the hook aborts
/// parsing. `lookup` is consulted for variables not defined earlier in the file (usually the
/// process environment).
///
/// # Errors
///
/// [`DotenvError::Hook`] if the hook fails, [`DotenvError::Syntax`] if an expansion never ends.
pub fn parse<L, H, E>(input: &str, lookup: L, mut hook: H) -> Result<Parsed, DotenvError>
where
    L: Fn(&str) -> Option<String>,
    H: FnMut(&str, Zeroizing<String>) -> Result<Zeroizing<String>, E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut text = Zeroizing::new(String::with_capacity(input.len()));
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            text.push('\n');
        } else {
            text.push(c);
        }
    }
    let mut lines = Lines {
        text: &text,
        offset: 0,
        line: 1,
    };

    let mut out = Parsed::default();
    // Position in `out.entries` of each key so far: expansions see those values (after the
    // hook) before the environment.
    let mut index: HashMap<String, usize> = HashMap::new();
    // Keys whose last single-quoted value reads like a reference: an expansion that reaches one
    // stops there (as in dotenvx, which keeps single-quoted values literal).
    let mut literal_refs: HashSet<String> = HashSet::new();
    let mut covered_to = 0; // end of the last assignment, as a byte offset
    for caps in LINE.captures_iter(&text) {
        let whole = caps.get(0).expect("group 0");
        let key_match = caps.get(1).expect("the key group");
        warn_skipped(&mut lines, covered_to, whole.start(), &mut out.warnings);
        let line = lines.at(key_match.start());
        covered_to = whole.end();
        let key = key_match.as_str();
        let raw = caps.get(2).map_or("", |m| m.as_str());
        let (quote, mut value) = unquote(raw);
        if quote != Some('\'') {
            if value.contains("$(") {
                out.warnings.push(Warning {
                    line,
                    message: format!(
                        "{key}: $(…) command substitution is not run; the text is kept as written"
                    ),
                });
            }
            let earlier = |name: &str| index.get(name).map(|&i| out.entries[i].value.clone());
            let stops = |name: &str| literal_refs.contains(name);
            value = expand(&value, &earlier, &stops, &lookup).ok_or_else(|| {
                DotenvError::Syntax {
                    line,
                    message: format!("the expansion of {key} never ends (a variable that keeps bringing itself back)"),
                }
            })?;
        }
        let value = hook(key, value).map_err(|e| DotenvError::Hook {
            line,
            key: key.to_owned(),
            source: e.into(),
        })?;
        if quote == Some('\'') {
            if REFERENCE.is_match(&value) {
                literal_refs.insert(key.to_owned());
            } else {
                literal_refs.remove(key);
            }
        }
        match index.get(key) {
            Some(&i) => {
                out.entries[i].value = value;
                out.entries[i].line = line;
            }
            None => {
                index.insert(key.to_owned(), out.entries.len());
                out.entries.push(Entry {
                    key: key.to_owned(),
                    value,
                    line,
                });
            }
        }
    }
    warn_skipped(&mut lines, covered_to, text.len(), &mut out.warnings);
    Ok(out)
}

/// Line numbers of byte offsets asked for in increasing order (one pass over the text).
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        debug_assert!(offset >= self.offset, "offsets come in order");
        if offset > self.offset {
            self.line += self.text.as_bytes()[self.offset..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = offset;
        }
        self.line
    }
}

/// Warns about each line between `from` and `to` (byte offsets) that holds something other than
/// blanks or a `#` comment: it is not an assignment and was skipped.
fn warn_skipped(lines: &mut Lines<'_>, from: usize, to: usize, warnings: &mut Vec<Warning>) {
    let text = lines.text;
    let mut offset = from;
    for part in text[from..to].split_inclusive('\n') {
        let t = part.trim_matches(is_js_space);
        if !t.is_empty() && !t.starts_with('#') {
            let message = match t.find('=') {
                None => "not KEY=value: skipped",
                Some(_) => {
                    "not a KEY=value line (a key holds only letters, digits, `_`, `.` and `-`): skipped"
                }
            };
            warnings.push(Warning {
                line: lines.at(offset),
                message: message.to_owned(),
            });
        }
        offset += part.len();
    }
}

/// Trims, takes off one pair of matching quotes, and applies the quote's escapes. Returns the
/// quote the raw value started with.
fn unquote(raw: &str) -> (Option<char>, Zeroizing<String>) {
    let v = raw.trim_matches(is_js_space);
    let quote = v.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'));
    let mut value = Zeroizing::new(String::with_capacity(v.len()));
    match quote {
        Some(q) => {
            // dotenvx: v.replace(/^(['"`])([\s\S]*)\1$/mg, '$2'): the last matching quote that
            // ends a line (or the value) closes the first.
            let close = v
                .char_indices()
                .skip(1)
                .filter(|&(i, c)| {
                    c == q && {
                        let after = &v[i + c.len_utf8()..];
                        after.is_empty() || after.starts_with(['\n', '\u{2028}', '\u{2029}'])
                    }
                })
                .map(|(i, _)| i)
                .last();
            match close {
                Some(k) => {
                    value.push_str(&v[1..k]);
                    value.push_str(&v[k + 1..]);
                }
                None => value.push_str(v),
            }
        }
        None => value.push_str(v),
    }
    match quote {
        Some('\'') => value = replace_all(&value, &[("\\'", "'")]),
        Some('"') => value = replace_all(&value, &[("\\n", "\n"), ("\\r", "\r"), ("\\t", "\t")]),
        _ => {}
    }
    (quote, value)
}

/// Each `(from, to)` replacement in turn over the whole string (like chained `String.replace`
/// with global patterns), into zeroizing buffers.
fn replace_all(s: &str, pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let mut cur = Zeroizing::new(s.to_owned());
    for (from, to) in pairs {
        if cur.contains(from) {
            let mut next = Zeroizing::new(String::with_capacity(cur.len()));
            let mut rest = cur.as_str();
            while let Some(i) = rest.find(from) {
                next.push_str(&rest[..i]);
                next.push_str(to);
                rest = &rest[i + from.len()..];
            }
            next.push_str(rest);
            cur = next;
        }
    }
    cur
}

/// The first `${…}` or `$NAME` in `s` not preceded by a backslash: (start, end, inner text).
fn next_reference(s: &str) -> Option<(usize, usize, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = s[i..].find('$') {
        let p = i + off;
        i = p + 1;
        if p > 0 && b[p - 1] == b'\\' {
            continue;
        }
        if b.get(p + 1) == Some(&b'{') {
            // `\$\{([^{}]+)\}`
            let inner = &s[p + 2..];
            if let Some(end) = inner.find(['{', '}'])
                && end > 0
                && inner.as_bytes()[end] == b'}'
            {
                return Some((p, p + 2 + end + 1, &inner[..end]));
            }
        } else if b
            .get(p + 1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            let len = s[p + 1..]
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            return Some((p, p + 1 + len, &s[p + 1..p + 1 + len]));
        }
    }
    None
}

/// dotenvx's expansion of one value, then `\$` → `$`. `None` when it does not end.
fn expand(
    value: &str,
    earlier: &dyn Fn(&str) -> Option<Zeroizing<String>>,
    stops: &dyn Fn(&str) -> bool,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<Zeroizing<String>> {
    let get = |name: &str| earlier(name).or_else(|| lookup(name).map(Zeroizing::new));
    let mut cur = Zeroizing::new(value.to_owned());
    let mut substitutions = 0;
    while let Some((start, end, inner)) = next_reference(&cur) {
        substitutions += 1;
        if substitutions > MAX_SUBSTITUTIONS || cur.len() > MAX_EXPANDED {
            return None;
        }
        // The first of `:+`, `+`, `:-`, `-` splits the name from the word after it.
        let op = [":+", "+", ":-", "-"]
            .iter()
            .filter_map(|op| inner.find(op).map(|i| (i, *op)))
            .min_by_key(|&(i, op)| (i, std::cmp::Reverse(op.len())));
        let (name, op, word) = match op {
            Some((i, op)) => (&inner[..i], Some(op), &inner[i + op.len()..]),
            None => (inner, None, ""),
        };
        let name = Zeroizing::new(name.to_owned());
        let word = Zeroizing::new(word.to_owned());
        let found = get(&name);
        let set_nonempty = found.as_ref().is_some_and(|v| !v.is_empty());
        let replacement: Zeroizing<String> = match op {
            Some(":-") if set_nonempty => found.clone().unwrap_or_default(),
            Some(":-") => word.clone(),
            Some("-") => found.clone().unwrap_or_else(|| word.clone()),
            Some(":+") if set_nonempty => word.clone(),
            Some("+") if found.is_some() => word.clone(),
            Some(_) => Zeroizing::new(String::new()),
            None => found.clone().unwrap_or_default(),
        };
        // dotenvx replaces the first occurrence of the matched text, which may sit earlier than
        // the match (behind a backslash).
        let matched = cur[start..end].to_owned();
        let at = cur.find(&matched).unwrap_or(start);
        let mut next = Zeroizing::new(String::with_capacity(cur.len() + replacement.len()));
        next.push_str(&cur[..at]);
        next.push_str(&replacement);
        next.push_str(&cur[at + matched.len()..]);
        cur = next;
        let stop_at_self = found.as_ref().is_some_and(|v| **v == *cur);
        if stop_at_self || stops(&name) {
            break;
        }
    }
    Some(replace_all(&cur, &[("\\$", "$")]))
}

#[cfg(test)]
mod tests;
