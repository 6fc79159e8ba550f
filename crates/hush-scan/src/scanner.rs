//! The scanner: known values and rules over one byte buffer.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};
use zeroize::Zeroizing;

use crate::Error;
use crate::rules::{RuleInfo, RuleMatch, Rules};

/// Values shorter than this are not searched for.
///
/// A short value (`true`, `8080`, `admin`, a 6-digit PIN) occurs by chance all over any source
/// tree, so every scan would report it and people would learn to ignore the scanner. Eight bytes
/// is where a value stops looking like a word or a small number. Short values are counted and
/// reported as skipped, never silently dropped.
pub const MIN_VALUE_LEN: usize = 8;

/// How many leading bytes decide whether a buffer is binary (the heuristic git uses).
const BINARY_SNIFF: usize = 8000;

/// A value the user can decrypt, and how to name it in a finding.
pub struct KnownValue {
    /// What to print instead of the value, e.g. `acme/payments/STRIPE_KEY v3`.
    pub label: String,
    /// The value; zeroized when dropped.
    pub value: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for KnownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownValue")
            .field("label", &self.label)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// What a finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A value from the vault: its label(s), e.g. `acme/payments/STRIPE_KEY v3` (several,
    /// comma-separated, when the same value is stored under more than one address or version).
    Known(String),
    /// A provider key shape.
    Rule(RuleInfo),
}

/// One finding in a buffer. It locates the secret; it never holds its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, counted in bytes (not characters) from the start of the line.
    pub col: usize,
    /// Byte offset in the buffer.
    pub offset: usize,
    /// Which value or rule.
    pub what: What,
}

/// What kind of content a buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Decide from the first bytes (a NUL byte means binary).
    Sniff,
    /// Text: known values and rules.
    Text,
    /// Binary: known values only (rule matches in binary data are mostly noise).
    Binary,
}

/// Known values and rules, compiled once, used for many buffers (and threads: it is `Sync`).
pub struct Scanner {
    known: Option<KnownSet>,
    /// Label of each distinct value (pattern index).
    labels: Vec<String>,
    rules: Rules,
    short: usize,
}

impl Scanner {
    /// Compiles the rules and an automaton over `values`.
    ///
    /// Values shorter than [`MIN_VALUE_LEN`] are skipped (see [`Scanner::skipped_short`]). Equal
    /// values are searched for once and reported with every label. The inputs are dropped
    /// (zeroized) before this returns; the automaton itself necessarily encodes the values and
    /// lives as long as the scanner.
    pub fn new(values: Vec<KnownValue>) -> Result<Self, Error> {
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut labels: Vec<Vec<&str>> = Vec::new();
        let mut short = 0;
        for v in &values {
            if v.value.len() < MIN_VALUE_LEN {
                short += 1;
                continue;
            }
            let i = *index.entry(&v.value[..]).or_insert_with(|| {
                patterns.push(&v.value[..]);
                labels.push(Vec::new());
                patterns.len() - 1
            });
            if !labels[i].contains(&v.label.as_str()) {
                labels[i].push(&v.label);
            }
        }
        let known = if patterns.is_empty() {
            None
        } else {
            Some(KnownSet::new(&patterns)?)
        };
        let labels = labels.into_iter().map(|l| l.join(", ")).collect();
        drop(index);
        drop(patterns);
        drop(values);
        Ok(Self {
            known,
            labels,
            rules: Rules::compile()?,
            short,
        })
    }

    /// A scanner with the rules only.
    pub fn rules_only() -> Result<Self, Error> {
        Self::new(Vec::new())
    }

    /// How many distinct values are searched for.
    pub fn known_count(&self) -> usize {
        self.labels.len()
    }

    /// How many values were too short to search for.
    pub fn skipped_short(&self) -> usize {
        self.short
    }

    /// Every finding in `buf`, ordered by position.
    ///
    /// A known value wins over a rule that matches overlapping bytes (the address says more than
    /// the rule name), and an earlier rule wins over a later one.
    pub fn scan(&self, buf: &[u8], content: Content) -> Vec<Finding> {
        let binary = match content {
            Content::Sniff => is_binary(buf),
            Content::Text => false,
            Content::Binary => true,
        };
        // start -> (end, what); spans never overlap.
        let mut kept: BTreeMap<usize, (usize, Hit)> = BTreeMap::new();
        if let Some(known) = &self.known {
            known.find(buf, |start, end, pattern| {
                kept.insert(start, (end, Hit::Known(pattern)));
            });
        }
        if !binary {
            let mut matches: Vec<RuleMatch> = Vec::new();
            self.rules.find(buf, &mut matches);
            for m in matches {
                if !overlaps(&kept, m.start, m.end) {
                    kept.insert(m.start, (m.end, Hit::Rule(m.rule)));
                }
            }
        }
        let mut lines = LineCounter::new(buf);
        kept.into_iter()
            .map(|(start, (_, hit))| {
                let (line, col) = lines.locate(start);
                Finding {
                    line,
                    col,
                    offset: start,
                    what: match hit {
                        Hit::Known(i) => What::Known(self.labels[i].clone()),
                        Hit::Rule(r) => What::Rule(self.rules.info(r)),
                    },
                }
            })
            .collect()
    }
}

/// The known values: an Aho-Corasick automaton, and a filter of where a value can start.
///
/// Why the filter: with thousands of random-looking values, aho-corasick's own prefilters turn
/// themselves off (too many distinct first bytes), and on source text the automaton sits a few
/// states deep after almost every byte, so an unanchored search ran at 20–60 MB/s here (176 MB/s
/// as a 178 MB DFA). Every value is at least [`MIN_VALUE_LEN`] = 8 bytes, so each one starts
/// with an 8-byte window; a bitmap of hashes of those windows (about 1% full) rejects ~99% of the
/// positions in a buffer with one load, one multiplication and one bit test, and only the rest
/// run an *anchored* leftmost-longest search of the automaton. Jumping past each match keeps the
/// automaton's semantics (leftmost-first position, longest value there, no overlaps), so the
/// automaton stays the single authority on what matches; the filter only skips positions where
/// nothing can. Together: 400–450 MB/s on the same data (see `benches/scan.rs`).
struct KnownSet {
    ac: AhoCorasick,
    filter: Vec<u64>,
    shift: u32,
}

/// Fibonacci hashing multiplier (2^64 / golden ratio, odd).
const HASH_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl KnownSet {
    fn new(patterns: &[&[u8]]) -> Result<Self, Error> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(patterns)
            // The error names a limit, never a pattern.
            .map_err(|e| Error::Build(format!("known values: {e}")))?;
        // About 64 bits per value keeps the bitmap ~1.5% full; 2^16..2^24 bits (8 KiB..2 MiB).
        let bits = (patterns.len() * 64)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(16, 24);
        let shift = 64 - bits;
        let mut filter = vec![0u64; 1 << (bits - 6)];
        for p in patterns {
            if let Some(w) = p.first_chunk::<8>() {
                let h = window_hash(w, shift);
                filter[h >> 6] |= 1 << (h & 63);
            }
        }
        Ok(Self { ac, filter, shift })
    }

    /// Calls `f(start, end, pattern)` for each leftmost-longest, non-overlapping match.
    fn find(&self, buf: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        let mut i = 0;
        while let Some(w) = buf.get(i..).and_then(|t| t.first_chunk::<8>()) {
            let h = window_hash(w, self.shift);
            if self.filter[h >> 6] & (1 << (h & 63)) != 0
                && let Some(m) = self
                    .ac
                    .find(Input::new(buf).range(i..).anchored(Anchored::Yes))
            {
                f(m.start(), m.end(), m.pattern().as_usize());
                i = m.end();
                continue;
            }
            i += 1;
        }
    }
}

fn window_hash(w: &[u8; 8], shift: u32) -> usize {
    (u64::from_le_bytes(*w).wrapping_mul(HASH_MUL) >> shift) as usize
}

#[derive(Clone, Copy)]
enum Hit {
    Known(usize),
    Rule(usize),
}

/// True when some kept span overlaps `start..end`.
fn overlaps(kept: &BTreeMap<usize, (usize, Hit)>, start: usize, end: usize) -> bool {
    // Kept spans are disjoint, so only the last one starting before `end` can reach `start`.
    kept.range(..end)
        .next_back()
        .is_some_and(|(_, (e, _))| *e > start)
}

/// True when the buffer looks binary: a NUL byte among its first 8000 bytes.
pub fn is_binary(buf: &[u8]) -> bool {
    memchr::memchr(0, &buf[..buf.len().min(BINARY_SNIFF)]).is_some()
}

/// Turns increasing offsets into (line, column), counting newlines once.
struct LineCounter<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn locate(&mut self, offset: usize) -> (usize, usize) {
        for nl in memchr::memchr_iter(b'\n', &self.buf[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + nl + 1;
        }
        self.pos = offset;
        (self.line, offset - self.line_start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(label: &str, value: &str) -> KnownValue {
        KnownValue {
            label: label.into(),
            value: Zeroizing::new(value.as_bytes().to_vec()),
        }
    }

    fn labels(f: &[Finding]) -> Vec<(usize, usize, String)> {
        f.iter()
            .map(|f| {
                let w = match &f.what {
                    What::Known(l) => l.clone(),
                    What::Rule(r) => r.id.to_owned(),
                };
                (f.line, f.col, w)
            })
            .collect()
    }

    #[test]
    fn finds_known_values_with_line_and_column() {
        let s = Scanner::new(vec![
            kv("t/v/A v1", "alpha-value-123"),
            kv("t/v/B v2", "bravo-value-456"),
        ])
        .expect("scanner");
        let buf = b"first line\nx = \"alpha-value-123\"\n\n  bravo-value-456 and alpha-value-123\n";
        assert_eq!(
            labels(&s.scan(buf, Content::Sniff)),
            vec![
                (2, 6, "t/v/A v1".to_owned()),
                (4, 3, "t/v/B v2".to_owned()),
                (4, 23, "t/v/A v1".to_owned()),
            ]
        );
    }

    #[test]
    fn short_values_are_skipped_and_counted() {
        let s = Scanner::new(vec![
            kv("t/v/PIN v1", "1234567"),
            kv("t/v/OK v1", "12345678"),
        ])
        .expect("scanner");
        assert_eq!(s.skipped_short(), 1);
        assert_eq!(s.known_count(), 1);
        let f = s.scan(b"1234567 ", Content::Text);
        assert!(f.is_empty());
        assert_eq!(
            labels(&s.scan(b"12345678", Content::Text))[0].2,
            "t/v/OK v1"
        );
    }

    #[test]
    fn equal_values_report_every_label_once() {
        let s = Scanner::new(vec![
            kv("t/a/K v1", "same-value-xyz"),
            kv("t/b/K v3", "same-value-xyz"),
            kv("t/a/K v1", "same-value-xyz"),
        ])
        .expect("scanner");
        assert_eq!(s.known_count(), 1);
        assert_eq!(
            labels(&s.scan(b"same-value-xyz", Content::Text))[0].2,
            "t/a/K v1, t/b/K v3"
        );
    }

    #[test]
    fn longest_value_wins_when_one_contains_another() {
        let s = Scanner::new(vec![
            kv("short v1", "abcdefgh"),
            kv("long v1", "abcdefghijkl"),
        ])
        .expect("scanner");
        assert_eq!(
            labels(&s.scan(b"..abcdefghijkl..abcdefgh", Content::Text)),
            vec![(1, 3, "long v1".to_owned()), (1, 17, "short v1".to_owned())]
        );
    }

    #[test]
    fn a_known_value_hides_the_rule_it_also_matches() {
        let token = format!("ghp_{}", "aZ09bY18cX27".repeat(3));
        let s = Scanner::new(vec![kv("t/gh/TOKEN v2", &token)]).expect("scanner");
        let other = format!("ghp_{}", "Zz09bY18cX27".repeat(3));
        let buf = format!("a={token}\nb={other}\n");
        assert_eq!(
            labels(&s.scan(buf.as_bytes(), Content::Text)),
            vec![
                (1, 3, "t/gh/TOKEN v2".to_owned()),
                (2, 3, "github-token".to_owned())
            ]
        );
    }

    #[test]
    fn binary_buffers_are_scanned_for_known_values_only() {
        let token = format!("ghp_{}", "aZ09bY18cX27".repeat(3));
        let s = Scanner::new(vec![kv("t/v/BIN v1", "binary-secret-1")]).expect("scanner");
        let mut buf = vec![0u8, 1, 2, 3];
        buf.extend_from_slice(token.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(b"binary-secret-1");
        assert!(is_binary(&buf));
        assert_eq!(
            labels(&s.scan(&buf, Content::Sniff)),
            vec![(2, 1, "t/v/BIN v1".to_owned())]
        );
        assert_eq!(s.scan(&buf, Content::Text).len(), 2);
    }

    #[test]
    fn columns_are_bytes_and_crlf_does_not_shift_them() {
        let s = Scanner::new(vec![kv("v", "secret-value")]).expect("scanner");
        let f = s.scan("é=secret-value\r\nxsecret-value".as_bytes(), Content::Text);
        assert_eq!(
            labels(&f),
            vec![(1, 4, "v".to_owned()), (2, 2, "v".to_owned())]
        );
    }

    #[test]
    fn the_filtered_search_equals_a_plain_leftmost_longest_search() {
        // Values that share prefixes, contain each other and overlap, over a small alphabet so
        // that they collide often; compared with aho-corasick's own unanchored search.
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let mut rnd = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let alphabet = b"ab-c";
        let mut values: Vec<Vec<u8>> = Vec::new();
        for _ in 0..300 {
            let len = 8 + rnd(10);
            values.push((0..len).map(|_| alphabet[rnd(alphabet.len())]).collect());
        }
        let refs: Vec<&[u8]> = values.iter().map(|v| &v[..]).collect();
        let mut dedup = refs.clone();
        dedup.sort();
        dedup.dedup();
        let set = KnownSet::new(&dedup).expect("set");
        let plain = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&dedup)
            .expect("plain");
        for round in 0..50 {
            let mut buf = Vec::new();
            while buf.len() < 2000 {
                if rnd(3) == 0 {
                    buf.extend_from_slice(&values[rnd(values.len())]);
                } else {
                    buf.push(alphabet[rnd(alphabet.len())]);
                }
            }
            let mut got = Vec::new();
            set.find(&buf, |s, e, p| got.push((s, e, p)));
            let want: Vec<(usize, usize, usize)> = plain
                .find_iter(&buf)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect();
            assert!(!want.is_empty());
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn debug_redacts_values() {
        let v = kv("t/v/K v1", "do-not-print-me");
        assert!(!format!("{v:?}").contains("do-not-print-me"));
    }

    #[test]
    fn empty_input_and_no_values() {
        let s = Scanner::rules_only().expect("scanner");
        assert_eq!(s.known_count(), 0);
        assert!(s.scan(b"", Content::Sniff).is_empty());
        assert!(s.scan(b"nothing to see here\n", Content::Sniff).is_empty());
    }
}
