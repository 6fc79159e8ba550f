//! Ranked fuzzy search over secret names, notes and tags, for `hush search QUERY` and the
//! desktop app's search-as-you-type.
//!
//! Matching is `nucleo-matcher`'s fzf-style scoring with fzf's query syntax: words are matched
//! separately and must all match; `'word` matches a substring, `^word` a prefix, `word$` a
//! suffix, `!word` excludes; matching is smart-case (a query with an uppercase letter is
//! case-sensitive) and `a` matches `ä`.
//!
//! # Ranking
//!
//! Each query word is scored against every field of a document and keeps its best field. A match
//! in the name counts [`NAME_WEIGHT`] times a match in a note or tag, and a word that equals the
//! whole name, or its last `/` segment, scores again on top, so typing a secret's exact name puts
//! it first. A document's score is the sum over the words. `!word` excludes a document if it
//! matches any field. Ties are broken by ascending id, so results are deterministic.
//!
//! Search does not allocate per document: ASCII text is matched in place and other text is
//! converted into one reused buffer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// How many times a name match counts compared with a note or tag match.
pub const NAME_WEIGHT: u32 = 2;

/// One searchable item: a secret's address and its metadata. Never its value.
#[derive(Debug, Clone)]
pub struct SearchDoc<'a, T = &'a str> {
    /// The caller's identifier, returned in [`Hit::id`] and used to break ties.
    pub id: usize,
    /// The primary field, an address such as `vault/NAME`.
    pub name: &'a str,
    /// A free-text note (empty if none).
    pub note: &'a str,
    /// Tags; anything that is `AsRef<str>`, such as `&str` or `String`.
    pub tags: &'a [T],
}

/// A matching document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hit {
    /// The [`SearchDoc::id`] of the document.
    pub id: usize,
    /// Higher is better; only comparable between hits of the same query.
    pub score: u32,
}

/// A reusable searcher: holds the matcher's scratch memory (about 135 KB) and buffers, so keep
/// one around rather than creating one per keystroke.
#[derive(Debug)]
pub struct Searcher {
    matcher: Matcher,
    /// Converted text of the field being matched, for non-ASCII text.
    chars: Vec<char>,
    /// Best score so far of each query word for the current document.
    best: Vec<Option<u32>>,
    /// The best `limit` hits so far, worst on top.
    top: BinaryHeap<Reverse<Rank>>,
}

/// Orders hits from worst to best: lower score, then higher id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    score: u32,
    id: Reverse<usize>,
}

impl Default for Searcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Searcher {
    /// Creates a searcher.
    pub fn new() -> Self {
        Self {
            matcher: Matcher::new(Config::DEFAULT),
            chars: Vec::new(),
            best: Vec::new(),
            top: BinaryHeap::new(),
        }
    }

    /// Returns the best `limit` documents matching `query`, best first, ties by ascending id.
    ///
    /// An empty (or all-blank) query matches everything and returns the `limit` lowest ids in
    /// ascending order, each with score 0.
    pub fn search<'a, T: AsRef<str> + 'a>(
        &mut self,
        query: &str,
        docs: impl IntoIterator<Item = SearchDoc<'a, T>>,
        limit: usize,
    ) -> Vec<Hit> {
        self.top.clear();
        if limit == 0 {
            return Vec::new();
        }
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        for doc in docs {
            let score = if pattern.atoms.is_empty() {
                Some(0)
            } else {
                self.score(&pattern, &doc)
            };
            if let Some(score) = score {
                self.offer(
                    Rank {
                        score,
                        id: Reverse(doc.id),
                    },
                    limit,
                );
            }
        }
        let mut hits: Vec<Hit> = self
            .top
            .drain()
            .map(|Reverse(rank)| Hit {
                id: rank.id.0,
                score: rank.score,
            })
            .collect();
        hits.sort_unstable_by_key(|hit| (Reverse(hit.score), hit.id));
        hits
    }

    fn offer(&mut self, rank: Rank, limit: usize) {
        if self.top.len() < limit {
            self.top.push(Reverse(rank));
        } else if let Some(mut worst) = self.top.peek_mut()
            && rank > worst.0
        {
            *worst = Reverse(rank);
        }
    }

    /// Scores one document, or `None` if it does not match.
    fn score<T: AsRef<str>>(&mut self, pattern: &Pattern, doc: &SearchDoc<'_, T>) -> Option<u32> {
        self.best.clear();
        self.best.resize(pattern.atoms.len(), None);

        let name = Utf32Str::new(doc.name, &mut self.chars);
        let last_segment = name.slice(last_segment_start(name)..);
        for (atom, best) in pattern.atoms.iter().zip(&mut self.best) {
            let score = atom.score(name, &mut self.matcher);
            if atom.negative {
                score?;
                continue;
            }
            if let Some(score) = score {
                // `atom.score` has just set the matcher's case and normalisation for this atom.
                let needle = atom.needle_text();
                let exact = self
                    .matcher
                    .exact_match(last_segment, needle)
                    .or_else(|| self.matcher.exact_match(name, needle))
                    .unwrap_or(0);
                let weighted = (u32::from(score) + u32::from(exact)) * NAME_WEIGHT;
                *best = (*best).max(Some(weighted));
            }
        }

        let secondary = std::iter::once(doc.note).chain(doc.tags.iter().map(AsRef::as_ref));
        for text in secondary {
            if text.is_empty() {
                continue;
            }
            let haystack = Utf32Str::new(text, &mut self.chars);
            for (atom, best) in pattern.atoms.iter().zip(&mut self.best) {
                let score = atom.score(haystack, &mut self.matcher);
                if atom.negative {
                    score?;
                } else if let Some(score) = score {
                    *best = (*best).max(Some(u32::from(score)));
                }
            }
        }

        pattern
            .atoms
            .iter()
            .zip(&self.best)
            .filter(|(atom, _)| !atom.negative)
            .try_fold(0u32, |sum, (_, best)| Some(sum.saturating_add((*best)?)))
    }
}

/// Index of the first character after the last `/`, or 0.
fn last_segment_start(name: Utf32Str<'_>) -> usize {
    let slash = match name {
        Utf32Str::Ascii(bytes) => bytes.iter().rposition(|&b| b == b'/'),
        Utf32Str::Unicode(chars) => chars.iter().rposition(|&c| c == '/'),
    };
    slash.map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(id: usize, name: &'a str, note: &'a str, tags: &'a [&'a str]) -> SearchDoc<'a> {
        SearchDoc {
            id,
            name,
            note,
            tags,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<usize> {
        hits.iter().map(|hit| hit.id).collect()
    }

    fn corpus() -> Vec<SearchDoc<'static>> {
        vec![
            doc(
                0,
                "prod/STRIPE_KEY",
                "live payments",
                &["payments", "billing"],
            ),
            doc(1, "prod/STRIPE", "", &[]),
            doc(2, "prod/s-t-r-i-p-e", "", &[]),
            doc(3, "dev/DATABASE_URL", "postgres for local dev", &["db"]),
            doc(4, "prod/GITHUB_TOKEN", "CI deploys", &["ci"]),
            doc(
                5,
                "prod/AWS_SECRET",
                "rotated monthly by stripe webhook",
                &[],
            ),
            doc(6, "ops/PAGER", "", &["oncall", "pagerduty"]),
        ]
    }

    #[test]
    fn exact_name_beats_substring_and_fuzzy() {
        let hits = Searcher::new().search("stripe", corpus(), 10);
        assert_eq!(ids(&hits)[..3], [1, 0, 2], "{hits:?}");
        assert!(hits[0].score > hits[1].score && hits[1].score > hits[2].score);
    }

    #[test]
    fn full_address_counts_as_exact() {
        let hits = Searcher::new().search("prod/stripe", corpus(), 1);
        assert_eq!(ids(&hits), [1]);
    }

    #[test]
    fn name_match_beats_note_only_match() {
        // Doc 5 mentions stripe only in its note.
        let hits = Searcher::new().search("stripe", corpus(), 10);
        assert_eq!(ids(&hits).last(), Some(&5), "{hits:?}");

        // Same text, once as a name and once as a note.
        let docs = [
            doc(0, "x/OTHER", "deploy key", &[]),
            doc(1, "x/deploy key", "", &[]),
        ];
        assert_eq!(ids(&Searcher::new().search("deploy", docs, 10)), [1, 0]);
    }

    #[test]
    fn tag_match_is_found() {
        let hits = Searcher::new().search("pagerduty", corpus(), 10);
        assert_eq!(ids(&hits), [6]);
        let hits = Searcher::new().search("billing", corpus(), 10);
        assert_eq!(ids(&hits), [0]);
    }

    #[test]
    fn words_may_match_different_fields() {
        let hits = Searcher::new().search("database postgres", corpus(), 10);
        assert_eq!(ids(&hits), [3]);
    }

    #[test]
    fn no_match_is_empty() {
        assert!(Searcher::new().search("zzzqqq", corpus(), 10).is_empty());
        assert!(
            Searcher::new()
                .search("stripe", Vec::<SearchDoc>::new(), 10)
                .is_empty()
        );
    }

    #[test]
    fn smart_case() {
        let mut searcher = Searcher::new();
        assert_eq!(ids(&searcher.search("github", corpus(), 10)), [4]);
        assert_eq!(ids(&searcher.search("GITHUB", corpus(), 10)), [4]);
        assert!(searcher.search("GitHub", corpus(), 10).is_empty());
    }

    #[test]
    fn fzf_syntax() {
        let mut searcher = Searcher::new();
        assert_eq!(ids(&searcher.search("^dev/", corpus(), 10)), [3]);
        assert_eq!(
            ids(&searcher.search("'stripe !payments", corpus(), 10)),
            [1, 5]
        );
    }

    #[test]
    fn unicode_and_normalisation() {
        let docs = [
            doc(0, "team/CAFÉ_KEY", "", &[]),
            doc(1, "team/OTHER", "", &["naïve"]),
        ];
        let mut searcher = Searcher::new();
        assert_eq!(ids(&searcher.search("cafe", docs.clone(), 10)), [0]);
        assert_eq!(ids(&searcher.search("naive", docs, 10)), [1]);
    }

    #[test]
    fn ties_are_ordered_by_id_whatever_the_input_order() {
        let names = ["a/TOKEN", "b/TOKEN", "c/TOKEN", "d/TOKEN", "e/TOKEN"];
        let forward: Vec<_> = (0..names.len())
            .map(|id| doc(id, names[id], "", &[]))
            .collect();
        let backward: Vec<_> = forward.iter().rev().cloned().collect();
        let mut searcher = Searcher::new();
        let a = searcher.search("token", forward, 3);
        let b = searcher.search("token", backward, 3);
        assert_eq!(a, b);
        assert_eq!(ids(&a), [0, 1, 2]);
        assert!(a.iter().all(|hit| hit.score == a[0].score));
    }

    #[test]
    fn limit_keeps_the_best() {
        let hits = Searcher::new().search("stripe", corpus(), 1);
        assert_eq!(ids(&hits), [1]);
        assert!(Searcher::new().search("stripe", corpus(), 0).is_empty());
    }

    #[test]
    fn empty_query_lists_the_first_docs_by_id() {
        let mut docs = corpus();
        docs.reverse();
        let mut searcher = Searcher::new();
        let hits = searcher.search("", docs.clone(), 3);
        assert_eq!(ids(&hits), [0, 1, 2]);
        assert!(hits.iter().all(|hit| hit.score == 0));
        assert_eq!(
            ids(&searcher.search("   ", docs, 100)),
            [0, 1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn owned_tags_are_accepted() {
        let tags = ["prod".to_owned(), "payments".to_owned()];
        let docs = [SearchDoc {
            id: 7,
            name: "v/KEY",
            note: "",
            tags: &tags[..],
        }];
        assert_eq!(ids(&Searcher::new().search("payments", docs, 10)), [7]);
    }

    #[test]
    fn searcher_is_reusable_across_queries() {
        let mut searcher = Searcher::new();
        let first = searcher.search("stripe", corpus(), 10);
        searcher.search("database postgres", corpus(), 10);
        assert_eq!(searcher.search("stripe", corpus(), 10), first);
    }
}
