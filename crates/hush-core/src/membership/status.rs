//! A team's status (sync bookkeeping, state code, outbox, witnesses, rejected events), the
//! exposed-keys checklist and conflicting versions to resolve.

use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::PutKind;
use crate::session::Session;
use crate::state::Item;

/// A secret that must be rotated at its provider.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ExposedInfo {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// Why.
    pub reason: String,
    /// Since when.
    pub since_ms: i64,
}

/// A secret with unresolved concurrent edits.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ConflictInfo {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// The competing versions; the last is current.
    pub versions: Vec<u32>,
}

/// Output of `hush team status`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamStatus {
    /// Team name.
    pub team: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Last successful sync.
    pub last_sync_ms: Option<i64>,
    /// Head sequence number.
    pub head_seq: Option<u64>,
    /// Short code of the head to compare with teammates.
    pub state_code: String,
    /// Events waiting to be pushed.
    pub outbox: u64,
    /// Secrets in conflict.
    pub conflicts: usize,
    /// Set while joining: waiting for admission.
    pub joining: bool,
    /// Last relay misbehaviour detected.
    pub relay_alert: Option<String>,
    /// Signed events that broke a rule and had no effect, with their authors.
    #[serde(default)]
    pub rejected: Vec<String>,
    /// When a person last confirmed a teammate read the same state code, if ever.
    #[serde(default)]
    pub compared_ms: Option<i64>,
    /// The head event at that comparison.
    #[serde(default)]
    pub compared_seq: Option<u64>,
    /// Witnesses the team requires, and whether each co-signed the last sync's head.
    #[serde(default)]
    pub witnesses: Vec<crate::witness::WitnessInfo>,
}

impl Session {
    /// Every exposed secret this device can read, across teams.
    pub fn exposed(&self) -> Vec<ExposedInfo> {
        self.sorted_by_address(|team, address, i| {
            i.exposed.as_ref().map(|e| ExposedInfo {
                team: team.to_owned(),
                address,
                reason: e.reason.clone(),
                since_ms: e.since_ms,
            })
        })
    }

    /// Every secret in conflict, across teams.
    pub fn conflicts(&self) -> Vec<ConflictInfo> {
        self.sorted_by_address(|team, address, i| {
            (!i.conflict.is_empty()).then(|| ConflictInfo {
                team: team.to_owned(),
                address,
                versions: i.conflict.clone(),
            })
        })
    }

    /// `pick(team, "VAULT/NAME", item)` over every live secret of every team, sorted by team and
    /// address (both lists above are checklists people read in that order).
    fn sorted_by_address<T>(&self, pick: impl Fn(&str, String, &Item) -> Option<T>) -> Vec<T> {
        let mut out = Vec::new();
        for t in self.teams.values() {
            for v in t.state.vaults.values() {
                for i in v.live_items() {
                    let address = format!(
                        "{}/{}",
                        v.name.as_deref().unwrap_or("?"),
                        i.name().unwrap_or("?")
                    );
                    if let Some(row) = pick(&t.state.name, address.clone(), i) {
                        out.push(((t.state.name.as_str(), address), row));
                    }
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, row)| row).collect()
    }

    /// Resolves a conflict by making the kept version's value (and metadata) current.
    pub async fn resolve(&mut self, team: Option<&str>, addr: &Address, keep: u32) -> Result<u32> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let item_id = item.ok_or_else(|| Error::NotFound(format!("secret `{addr}`")))?;
        let (st, v) = self.vault_ref(tid, vid);
        let it = &v.items[&item_id];
        if it.conflict.is_empty() {
            return Err(Error::Invalid(format!(
                "`{addr}` has no conflict to resolve"
            )));
        }
        let kept = it
            .versions
            .iter()
            .find(|x| x.version == keep)
            .ok_or_else(|| Error::NotFound(format!("version {keep} of `{addr}`")))?;
        let value = st.open_value(v, it, kept)?;
        let meta = kept
            .meta
            .clone()
            .ok_or_else(|| Error::Forbidden("that version cannot be read on this device".into()))?;
        let base = it.current().version;
        self.put_item(tid, vid, item_id, base, &meta, &value, PutKind::Set)
            .await
    }

    /// Records that a person compared the team state code with a teammate's and they matched
    /// (both have verified the same history up to the current head).
    pub async fn mark_state_compared(&mut self, team: Option<&str>) -> Result<TeamStatus> {
        let tid = self.active_team(team)?;
        let now = (self.clock)();
        let t = self
            .teams
            .get_mut(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let (seq, hash) = t.state.head.ok_or_else(|| {
            Error::Invalid("the team has no history yet: there is no state code to compare".into())
        })?;
        t.settings.compared = Some((seq, hash, now));
        self.save_settings(tid).await?;
        self.team_status(team).await
    }

    /// Sync and membership status of a team.
    pub async fn team_status(&self, team: Option<&str>) -> Result<TeamStatus> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let outbox = self.store.pending_count(tid).await?;
        Ok(TeamStatus {
            team: self.team_label(tid),
            relay: t.settings.relay.clone(),
            last_sync_ms: t.settings.last_sync_ms,
            head_seq: t.state.head.map(|h| h.0),
            state_code: t.state.state_code(),
            outbox,
            conflicts: self
                .conflicts()
                .iter()
                .filter(|c| c.team == t.state.name)
                .count(),
            joining: t.settings.joining.is_some(),
            relay_alert: t.settings.relay_alert.clone(),
            compared_ms: t.settings.compared.map(|c| c.2),
            compared_seq: t.settings.compared.map(|c| c.0),
            rejected: t
                .state
                .rejected
                .iter()
                .map(|f| {
                    format!(
                        "event {} by {}: {}",
                        f.seq,
                        t.state.display_name(&f.author),
                        f.reason
                    )
                })
                .collect(),
            witnesses: self.witness_infos(tid),
        })
    }
}
