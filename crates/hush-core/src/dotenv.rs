//! Parser for dotenv files, as read by `hush run --env-file FILE`.
//!
//! # Why not `dotenvy`
//!
//! `dotenvy` 0.15 parses the same syntax, but it cannot serve `hush run`:
//!
//! - Values may be `hush://` references that the caller resolves, and a later `${VAR}` must expand
//!   to the *resolved* value. `dotenvy` keeps its expansion table private and fills it with the
//!   raw text, so there is no point between two lines where a hook could run.
//! - Its expansion consults the process environment *before* the file and reads it directly;
//!   here the file wins and the environment is a lookup the caller passes in (no hidden globals).
//! - Its parse error prints the whole offending line, which is how a secret ends up in a terminal
//!   or a log. [`DotenvError`] carries a line number and a fixed message, never text from the
//!   file.
//! - Its intermediate buffers are plain `String`s; ours are zeroized.
//!
//! # Syntax
//!
//! The syntax follows `dotenvy` and the original Ruby `dotenv`:
//!
//! - `KEY=value`, one per line; keys match `[A-Za-z_][A-Za-z0-9_.]*`; blanks around `=` are
//!   ignored; an optional `export ` prefix is ignored (`export=1` is a key called `export`).
//! - Blank lines and lines starting with `#` are skipped. In unquoted text, `#` starts a comment
//!   at the start of the value or after a blank (`K=a#b` is `a#b`, `K=a #b` is `a`).
//! - Unquoted values are trimmed and keep inner blanks (`K= a b ` is `a b`). A backslash takes
//!   the next character literally, for `\\ \' \" \$ \# \ ` only.
//! - `'single quotes'` are literal: no escapes, no expansion.
//! - `"double quotes"` understand `\n \t \r \\ \" \' \$` and expand variables.
//! - Quoted values may span lines. Quoted and unquoted pieces concatenate, shell-style:
//!   `K='it'\''s'` is `it's`.
//! - `$NAME` (`[A-Za-z_][A-Za-z0-9_]*`) and `${NAME}` (which may contain dots) expand, in
//!   unquoted and double-quoted text, to the value stored by an earlier line, else to the caller's
//!   lookup, else to nothing. A `$` not followed by a name or `{` is literal.
//! - A later duplicate key overrides the earlier value (the entry keeps its first position).
//! - CRLF line endings are accepted, and a CRLF inside a quoted value becomes `\n`. A leading
//!   byte order mark is skipped.
//!
//! Unknown escapes, `${VAR:-default}` and other shell modifiers, and `$(command)` are not
//! supported: the first two are errors rather than guesses, because implementations disagree on
//! them; `$(` is literal text, because an environment file must never run a command.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;

use zeroize::Zeroizing;

/// One `KEY=value` assignment, with the value the hook returned.
#[derive(Clone)]
pub struct Entry {
    /// The variable name.
    pub key: String,
    /// The value after quote removal, escapes, expansion and the caller's hook.
    pub value: Zeroizing<String>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Why a dotenv file could not be parsed.
///
/// Messages name a line (and, for [`DotenvError::Hook`], a key) but never contain a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DotenvError {
    /// The file is not valid dotenv syntax.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number; for an unterminated quote, the line where the quote opened.
        line: usize,
        /// What is wrong and how to fix it; fixed text, never taken from the file.
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

impl DotenvError {
    /// Only fixed text may become a message, so no value can leak into one.
    fn syntax(line: usize, message: &'static str) -> Self {
        Self::Syntax {
            line,
            message: message.to_owned(),
        }
    }
}

/// Parses a dotenv file.
///
/// Each value is passed to `hook(key, raw_value)` as soon as its line is parsed; what the hook
/// returns is stored, and is what later `${KEY}` expansions see. An error from the hook aborts
/// parsing. `lookup` is consulted for variables not defined earlier in the file (usually the
/// process environment).
///
/// Returns the entries in order of first appearance, one per key.
///
/// # Errors
///
/// [`DotenvError::Syntax`] if the file is malformed, [`DotenvError::Hook`] if the hook fails.
pub fn parse<L, H, E>(input: &str, lookup: L, mut hook: H) -> Result<Vec<Entry>, DotenvError>
where
    L: Fn(&str) -> Option<String>,
    H: FnMut(&str, Zeroizing<String>) -> Result<Zeroizing<String>, E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut parser = Parser {
        cur: Cursor {
            rest: input.strip_prefix('\u{feff}').unwrap_or(input),
            line: 1,
        },
        lookup: &lookup,
        entries: Vec::new(),
        index: HashMap::new(),
    };
    while let Some((line, key)) = parser.assignment_start()? {
        let raw = parser.value()?;
        let value = hook(key, raw).map_err(|e| DotenvError::Hook {
            line,
            key: key.to_owned(),
            source: e.into(),
        })?;
        parser.store(key, value);
    }
    Ok(parser.entries)
}

struct Parser<'a, 'l> {
    cur: Cursor<'a>,
    lookup: &'l dyn Fn(&str) -> Option<String>,
    entries: Vec<Entry>,
    /// Position in `entries` of each key seen so far.
    index: HashMap<String, usize>,
}

impl<'a> Parser<'a, '_> {
    /// Skips blank and comment lines, then reads `[export] KEY =` and the blanks after it.
    /// Returns the line number and the key, or `None` at the end of the input.
    fn assignment_start(&mut self) -> Result<Option<(usize, &'a str)>, DotenvError> {
        loop {
            self.cur.skip_blanks();
            match self.cur.peek() {
                None => return Ok(None),
                Some('\n') => {
                    self.cur.bump();
                }
                Some('#') => self.cur.skip_to_line_end(),
                Some(_) => break,
            }
        }
        let line = self.cur.line;
        let expected_key = "expected a variable name (letters, digits, `_` or `.`, \
                            not starting with a digit) or a `#` comment";
        let mut key = self
            .cur
            .name(true)
            .ok_or_else(|| DotenvError::syntax(line, expected_key))?;
        self.cur.skip_blanks();
        if key == "export" && self.cur.peek() != Some('=') {
            key = self
                .cur
                .name(true)
                .ok_or_else(|| DotenvError::syntax(line, expected_key))?;
            self.cur.skip_blanks();
        }
        if !self.cur.eat('=') {
            return Err(DotenvError::syntax(
                line,
                "expected `=` after the variable name (write KEY=value)",
            ));
        }
        self.cur.skip_blanks();
        Ok(Some((line, key)))
    }

    /// Reads a value up to the end of its (last) line, leaving the newline unread.
    fn value(&mut self) -> Result<Zeroizing<String>, DotenvError> {
        let mut out = Zeroizing::new(String::with_capacity(64));
        // Length of `out` without trailing unquoted blanks, which are trimmed.
        let mut keep = 0;
        // Whether a `#` here starts a comment.
        let mut after_blank = true;
        while let Some(c) = self.cur.peek() {
            match c {
                '\n' => break,
                '#' if after_blank => {
                    self.cur.skip_to_line_end();
                    break;
                }
                '\'' => self.single_quoted(&mut out)?,
                '"' => self.double_quoted(&mut out)?,
                '\\' => {
                    let line = self.cur.line;
                    self.cur.bump();
                    match self.cur.bump() {
                        Some(c @ ('\\' | '\'' | '"' | '$' | '#' | ' ')) => push(&mut out, c),
                        _ => {
                            return Err(DotenvError::syntax(
                                line,
                                "unsupported escape sequence in an unquoted value \
                                 (put the value in single quotes to keep backslashes)",
                            ));
                        }
                    }
                }
                '$' => {
                    self.cur.bump();
                    self.expand(&mut out)?;
                }
                c if c.is_whitespace() => {
                    self.cur.bump();
                    push(&mut out, c);
                    after_blank = true;
                    continue;
                }
                c => {
                    self.cur.bump();
                    push(&mut out, c);
                }
            }
            keep = out.len();
            after_blank = false;
        }
        out.truncate(keep);
        Ok(out)
    }

    fn single_quoted(&mut self, out: &mut Zeroizing<String>) -> Result<(), DotenvError> {
        let open = self.cur.line;
        self.cur.bump();
        loop {
            match self.cur.bump() {
                None => {
                    return Err(DotenvError::syntax(
                        open,
                        "unterminated single-quoted value (add the closing ')",
                    ));
                }
                Some('\'') => return Ok(()),
                Some(c) => push(out, c),
            }
        }
    }

    fn double_quoted(&mut self, out: &mut Zeroizing<String>) -> Result<(), DotenvError> {
        let open = self.cur.line;
        let unterminated = || {
            DotenvError::syntax(
                open,
                "unterminated double-quoted value (add the closing \")",
            )
        };
        self.cur.bump();
        loop {
            match self.cur.bump() {
                None => return Err(unterminated()),
                Some('"') => return Ok(()),
                Some('$') => self.expand(out)?,
                Some('\\') => {
                    let line = self.cur.line;
                    let c = match self.cur.bump() {
                        None => return Err(unterminated()),
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some(c @ ('\\' | '"' | '\'' | '$')) => c,
                        Some(_) => {
                            return Err(DotenvError::syntax(
                                line,
                                "unsupported escape sequence in a double-quoted value \
                                 (use \\n \\t \\r \\\\ \\\" \\' \\$, or single quotes)",
                            ));
                        }
                    };
                    push(out, c);
                }
                Some(c) => push(out, c),
            }
        }
    }

    /// Expands the variable after a `$` (already consumed) into `out`.
    fn expand(&mut self, out: &mut Zeroizing<String>) -> Result<(), DotenvError> {
        let line = self.cur.line;
        let name = if self.cur.eat('{') {
            match self.cur.name(true) {
                Some(name) if self.cur.eat('}') => name,
                _ => {
                    return Err(DotenvError::syntax(
                        line,
                        "malformed or unsupported ${...} expansion (only ${NAME} is \
                         supported: no defaults or other modifiers)",
                    ));
                }
            }
        } else if let Some(name) = self.cur.name(false) {
            name
        } else {
            push(out, '$');
            return Ok(());
        };
        if let Some(entry) = self.index.get(name).and_then(|&i| self.entries.get(i)) {
            push_str(out, &entry.value);
        } else if let Some(value) = (self.lookup)(name) {
            let value = Zeroizing::new(value);
            push_str(out, &value);
        }
        Ok(())
    }

    fn store(&mut self, key: &str, value: Zeroizing<String>) {
        if let Some(entry) = self.index.get(key).and_then(|&i| self.entries.get_mut(i)) {
            entry.value = value;
        } else {
            self.index.insert(key.to_owned(), self.entries.len());
            self.entries.push(Entry {
                key: key.to_owned(),
                value,
            });
        }
    }
}

/// Reads characters, turning CRLF into `\n` and counting lines.
struct Cursor<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        let mut chars = self.rest.chars();
        match chars.next()? {
            '\r' if chars.next() == Some('\n') => Some('\n'),
            c => Some(c),
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        let len = if c == '\n' && self.rest.starts_with('\r') {
            2
        } else {
            c.len_utf8()
        };
        self.rest = self.rest.get(len..).unwrap_or_default();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        let found = self.peek() == Some(expected);
        if found {
            self.bump();
        }
        found
    }

    /// Skips blanks other than the line end.
    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(|c| c != '\n' && c.is_whitespace()) {
            self.bump();
        }
    }

    fn skip_to_line_end(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// Reads `[A-Za-z_][A-Za-z0-9_]*`, also allowing `.` after the first character if `dots`.
    fn name(&mut self, dots: bool) -> Option<&'a str> {
        let rest = self.rest;
        let first = rest.chars().next()?;
        if !(first == '_' || first.is_ascii_alphabetic()) {
            return None;
        }
        let len = rest
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric() || (dots && c == '.')))
            .unwrap_or(rest.len());
        let (name, tail) = rest.split_at(len);
        self.rest = tail;
        Some(name)
    }
}

fn push(out: &mut Zeroizing<String>, c: char) {
    reserve(out, c.len_utf8());
    out.push(c);
}

fn push_str(out: &mut Zeroizing<String>, s: &str) {
    reserve(out, s.len());
    out.push_str(s);
}

/// Grows `out` by copying into a new buffer and zeroizing the old one, instead of letting
/// `String` reallocate and leave a copy of the value in freed memory.
fn reserve(out: &mut Zeroizing<String>, additional: usize) {
    if out.capacity() - out.len() >= additional {
        return;
    }
    let capacity = (out.len() + additional).max(out.capacity() * 2);
    let mut bigger = Zeroizing::new(String::with_capacity(capacity));
    bigger.push_str(out);
    std::mem::swap(out, &mut bigger);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// The caller's environment in every test.
    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/u".to_owned()),
            "PATH" => Some("/bin".to_owned()),
            _ => None,
        }
    }

    fn parse_plain(input: &str) -> Result<Vec<(String, String)>, DotenvError> {
        let entries = parse(input, env, |_, v| Ok::<_, Infallible>(v))?;
        Ok(entries
            .into_iter()
            .map(|e| (e.key, e.value.as_str().to_owned()))
            .collect())
    }

    /// What is tested, the input, and the expected entries in order.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    const CASES: &[Case] = &[
        ("basic", "A=1\nB=two", &[("A", "1"), ("B", "two")]),
        ("empty input", "", &[]),
        ("only blanks and comments", "\n  \n# c\n   # c\n", &[]),
        (
            "full-line comments",
            "# c\nA=1\n  # indented\nB=2\n",
            &[("A", "1"), ("B", "2")],
        ),
        (
            "inline comment after blank",
            "A=value # comment",
            &[("A", "value")],
        ),
        (
            "inline comment after tab",
            "A=value\t# comment",
            &[("A", "value")],
        ),
        ("hash without blank is text", "A=v#x", &[("A", "v#x")]),
        (
            "hash at value start is a comment",
            "A=#x\nB= # x",
            &[("A", ""), ("B", "")],
        ),
        ("hash in double quotes", "A=\"a # b\"", &[("A", "a # b")]),
        ("hash in single quotes", "A='a # b'", &[("A", "a # b")]),
        (
            "comment after quoted value",
            "A=\"x\" # c\nB='y'   # c",
            &[("A", "x"), ("B", "y")],
        ),
        (
            "empty values",
            "A=\nB=   \nC=''\nD=\"\"",
            &[("A", ""), ("B", ""), ("C", ""), ("D", "")],
        ),
        (
            "export prefix",
            "export A=1\nexport\tB=2",
            &[("A", "1"), ("B", "2")],
        ),
        ("export as a key", "export=x\nexport =y", &[("export", "y")]),
        (
            "blanks around =",
            "A =1\nB= 2\n  C  =  3  ",
            &[("A", "1"), ("B", "2"), ("C", "3")],
        ),
        (
            "unquoted is trimmed, inner blanks kept",
            "A=  foo  bar  ",
            &[("A", "foo  bar")],
        ),
        (
            "quoted keeps blanks",
            "A=\"  x  \"\nB='  y  '",
            &[("A", "  x  "), ("B", "  y  ")],
        ),
        (
            "single quotes are literal",
            r"A='$HOME ${HOME} \n \\ \$'",
            &[("A", r"$HOME ${HOME} \n \\ \$")],
        ),
        (
            "double-quote escapes",
            r#"A="n\n t\t r\r b\\ q\" s\' d\$HOME""#,
            &[("A", "n\n t\t r\r b\\ q\" s' d$HOME")],
        ),
        (
            "unquoted escapes",
            r#"A=my\ cool\ value\#1 \\ \$HOME \' \","#,
            &[("A", "my cool value#1 \\ $HOME ' \",")],
        ),
        (
            "multi-line double quotes",
            "A=\"l1\nl2\"\nB=3",
            &[("A", "l1\nl2"), ("B", "3")],
        ),
        (
            "multi-line single quotes",
            "A='l1\n\nl3'\nB=3",
            &[("A", "l1\n\nl3"), ("B", "3")],
        ),
        (
            "quoted pieces concatenate",
            r"A='it'\''s'",
            &[("A", "it's")],
        ),
        (
            "quoted and unquoted concatenate",
            "A=a\"b c\"'d'e",
            &[("A", "ab cde")],
        ),
        (
            "expansion of earlier lines",
            "A=x\nB=$A\nC=${A}y\nD=\"${A}-$A\"",
            &[("A", "x"), ("B", "x"), ("C", "xy"), ("D", "x-x")],
        ),
        (
            "$NAME includes underscores",
            "A=1\nA_B=2\nC=$A_B",
            &[("A", "1"), ("A_B", "2"), ("C", "2")],
        ),
        (
            "$NAME stops at other characters",
            "A=1\nB=$A-$A.$A/",
            &[("A", "1"), ("B", "1-1.1/")],
        ),
        (
            "${NAME} may contain dots",
            "a.b=1\nC=${a.b}",
            &[("a.b", "1"), ("C", "1")],
        ),
        (
            "undefined expands to nothing",
            "A=>${NOPE}<>$NOPE<",
            &[("A", "><><")],
        ),
        (
            "lookup fills the rest",
            "A=${HOME}/x\nB=\"$HOME\"",
            &[("A", "/home/u/x"), ("B", "/home/u")],
        ),
        (
            "the file wins over lookup",
            "HOME=/f\nA=$HOME",
            &[("HOME", "/f"), ("A", "/f")],
        ),
        (
            "self reference uses lookup",
            "PATH=${PATH}:/x",
            &[("PATH", "/bin:/x")],
        ),
        (
            "a later line is not visible",
            "A=$B\nB=1",
            &[("A", ""), ("B", "1")],
        ),
        (
            "lone $ is literal",
            "A=cost $5, $ and $",
            &[("A", "cost $5, $ and $")],
        ),
        ("$( is literal", "A=$(whoami)", &[("A", "$(whoami)")]),
        (
            "escaped $ does not expand",
            r#"A=\$HOME\${HOME}"#,
            &[("A", "$HOME${HOME}")],
        ),
        (
            "escaped $ in double quotes",
            r#"A="\$HOME\${HOME}""#,
            &[("A", "$HOME${HOME}")],
        ),
        (
            "duplicate key overrides",
            "A=1\nB=2\nA=3",
            &[("A", "3"), ("B", "2")],
        ),
        (
            "duplicate sees earlier value",
            "A=1\nA=${A}2",
            &[("A", "12")],
        ),
        (
            "keys",
            "_a=1\nA.b_2=2\nz9=3",
            &[("_a", "1"), ("A.b_2", "2"), ("z9", "3")],
        ),
        (
            "CRLF",
            "A=1\r\nB=2 # c\r\n\r\nC='3'\r\n",
            &[("A", "1"), ("B", "2"), ("C", "3")],
        ),
        (
            "CRLF inside quotes",
            "A=\"x\r\ny\"\r\nB='x\r\ny'",
            &[("A", "x\ny"), ("B", "x\ny")],
        ),
        ("byte order mark", "\u{feff}A=1", &[("A", "1")]),
        (
            "unicode values",
            "A=ünï ✓\nB=\"é$A\"",
            &[("A", "ünï ✓"), ("B", "éünï ✓")],
        ),
        (
            "value with = and :",
            "URL=postgres://u:p@h/db?a=b",
            &[("URL", "postgres://u:p@h/db?a=b")],
        ),
    ];

    #[test]
    fn documented_behaviour() {
        for &(what, input, expected) in CASES {
            let got = parse_plain(input).unwrap_or_else(|e| panic!("{what}: {e}"));
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(got, expected, "{what}: {input:?}");
        }
    }

    /// (what, input, line); every input holds `s3cr3t`, which no message may show.
    const ERRORS: &[(&str, &str, usize)] = &[
        ("unterminated double quote", "A=1\nB=\"s3cr3t\nC=2", 2),
        ("unterminated single quote", "A='s3cr3t", 1),
        ("unterminated after escape", "A=\"s3cr3t\\", 1),
        ("line with no =", "A=1\n\ns3cr3tJUSTTEXT\n", 3),
        ("key then blank then text", "KEY s3cr3t", 1),
        ("export without key", "export\n", 1),
        ("export with bad key", "export 9s3cr3t=1", 1),
        ("key starting with a digit", "1A=s3cr3t", 1),
        ("missing key", "=s3cr3t", 1),
        ("hyphen in key", "MY-KEY=s3cr3t", 1),
        ("unknown escape in double quotes", "A=\"s3cr3t\\q\"", 1),
        ("unknown escape unquoted", "A=C:\\s3cr3t", 1),
        ("backslash at end of line", "A=s3cr3t\\\nB=1", 1),
        ("unterminated ${", "A=${s3cr3t", 1),
        ("empty ${}", "A=${}s3cr3t", 1),
        ("default value", "A=${B:-s3cr3t}", 1),
        ("alternative value", "A=\"${B-s3cr3t}\"", 1),
        ("line after a multi-line value", "A=\"s3cr3t\ny\"\nB\n", 3),
        ("CRLF counts lines once", "A=1\r\nB=2\r\ns3cr3t\r\n", 3),
    ];

    #[test]
    fn malformed_input_is_a_syntax_error_without_values() {
        for &(what, input, expected_line) in ERRORS {
            let err = parse_plain(input).expect_err(what);
            let DotenvError::Syntax { line, .. } = err else {
                panic!("{what}: not a syntax error: {err}");
            };
            assert_eq!(line, expected_line, "{what}");
            assert!(
                err.to_string().starts_with(&format!("line {line}: ")),
                "{what}"
            );
            assert!(!err.to_string().contains("s3cr3t"), "{what}: {err}");
            assert!(!format!("{err:?}").contains("s3cr3t"), "{what}: {err:?}");
        }
    }

    #[test]
    fn hook_sees_the_raw_value_after_quotes_and_expansion() {
        let mut seen = Vec::new();
        let entries = parse(
            "A=hush://v/a\nB='hush://v/$b'\nC=\"${HOME}\" # c\n",
            env,
            |k, v| {
                seen.push((k.to_owned(), v.as_str().to_owned()));
                Ok::<_, Infallible>(Zeroizing::new(format!("<{}>", v.as_str())))
            },
        )
        .expect("valid input");
        let seen: Vec<(&str, &str)> = seen.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            seen,
            [("A", "hush://v/a"), ("B", "hush://v/$b"), ("C", "/home/u")]
        );
        let stored: Vec<&str> = entries.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(stored, ["<hush://v/a>", "<hush://v/$b>", "</home/u>"]);
    }

    #[test]
    fn later_expansion_sees_the_hooked_value() {
        let mut raw_b = String::new();
        let entries = parse("A=hush://v/a\nB=${A}-x", env, |k, v| {
            if k == "B" {
                raw_b = v.as_str().to_owned();
            }
            Ok::<_, Infallible>(if v.as_str() == "hush://v/a" {
                Zeroizing::new("RESOLVED".to_owned())
            } else {
                v
            })
        })
        .expect("valid input");
        assert_eq!(raw_b, "RESOLVED-x");
        let b = entries.iter().find(|e| e.key == "B").expect("B is parsed");
        assert_eq!(b.value.as_str(), "RESOLVED-x");
    }

    #[test]
    fn hook_error_aborts_with_line_and_key_but_no_value() {
        let mut calls = Vec::new();
        let err = parse("A=1\n\nB=\"hush://v/s3cr3t\"\nC=3", env, |k, v| {
            calls.push(k.to_owned());
            if v.starts_with("hush://") {
                Err("no such secret")
            } else {
                Ok(v)
            }
        })
        .expect_err("the hook fails on B");
        assert_eq!(calls, ["A", "B"], "parsing stops at the failing line");
        let DotenvError::Hook { line, key, source } = &err else {
            panic!("not a hook error: {err}");
        };
        assert_eq!((*line, key.as_str()), (3, "B"));
        assert_eq!(source.to_string(), "no such secret");
        assert_eq!(err.to_string(), "line 3: could not resolve the value of B");
        assert!(!format!("{err:?}").contains("s3cr3t"));
    }

    #[test]
    fn hook_runs_for_every_duplicate() {
        let mut calls = 0;
        let entries = parse("A=1\nA=2", env, |_, v| {
            calls += 1;
            Ok::<_, Infallible>(v)
        })
        .expect("valid input");
        assert_eq!(calls, 2);
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn syntax_error_after_a_hooked_line_still_aborts() {
        let err = parse_plain("A=1\nB='x").expect_err("unterminated quote");
        assert!(matches!(err, DotenvError::Syntax { line: 2, .. }));
    }

    #[test]
    fn entry_debug_redacts_the_value() {
        let entry = parse("A=s3cr3t", env, |_, v| Ok::<_, Infallible>(v)).expect("valid input");
        let debug = format!("{entry:?}");
        assert!(debug.contains("\"A\""));
        assert!(!debug.contains("s3cr3t"));
    }

    #[test]
    fn long_values_survive_buffer_growth() {
        let long = "x".repeat(1000);
        let input = format!("A={long}\nB=\"$A$A\"");
        let entries = parse_plain(&input).expect("valid input");
        assert_eq!(entries[0].1, long);
        assert_eq!(entries[1].1.len(), 2000);
    }
}
