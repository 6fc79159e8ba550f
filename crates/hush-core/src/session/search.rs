//! Ranked fuzzy search across every team, over an index rebuilt only when a team's head moves.

use uuid::Uuid;

use super::{SearchHit, SecretInfo, Session};

/// Every team's head: (team id, (seq, hash)).
pub(super) type Heads = Vec<(Uuid, Option<(u64, [u8; 32])>)>;

/// What search runs over, valid for the team heads it was built at.
pub(super) struct SearchIndex {
    heads: Heads,
    entries: Vec<(String, SecretInfo)>,
}

impl Session {
    /// Ranked fuzzy search over vault names, secret names, notes and tags, across all teams.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<SearchHit> {
        let heads: Heads = self
            .teams
            .iter()
            .map(|(id, t)| (*id, t.state.head))
            .collect();
        // The index (addresses, notes, tags of every readable live secret) is rebuilt only when
        // some team's head moved, not on every keystroke.
        if self.search_index.as_ref().map(|ix| &ix.heads) != Some(&heads) {
            let mut entries = Vec::new();
            for t in self.teams.values() {
                for v in t.state.vaults.values() {
                    for i in v.live_items() {
                        let info = Self::secret_info(&t.state, v, i);
                        entries.push((format!("{}/{}", info.vault, info.name), info));
                    }
                }
            }
            self.search_index = Some(SearchIndex { heads, entries });
        }
        let Some(index) = &self.search_index else {
            return Vec::new();
        };
        let docs =
            index
                .entries
                .iter()
                .enumerate()
                .map(|(id, (address, s))| crate::search::SearchDoc {
                    id,
                    name: address,
                    note: &s.meta.note,
                    tags: &s.meta.tags,
                });
        self.searcher
            .search(query, docs, limit)
            .into_iter()
            .map(|h| SearchHit {
                secret: index.entries[h.id].1.clone(),
                score: h.score,
            })
            .collect()
    }
}
