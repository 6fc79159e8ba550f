//! Sync through an untrusted relay.
//!
//! The relay stores and orders events; this module never believes it. Every pulled event goes
//! through [`TeamState::check`] with signature verification before anything is stored, on a state
//! rebuilt from the events the relay had already confirmed. The client remembers the highest
//! confirmed `(seq, hash)`: a relay head below it is a rollback, a first event whose `prev` is not
//! that hash is a fork, and either is refused with the local state untouched and an alert kept
//! for `hush team status`.
//!
//! Appending is a compare-and-swap on the relay's head. When another device got there first, the
//! client pulls and verifies, drops its outbox from the local log, and rebuilds each pending change
//! on the new head through the same builders the commands use — which re-checks permissions and
//! key epochs at the position where the change will land — then pushes again.
//!
//! The rooms: this one runs a sync (pull, verify, store, push); `rebase` rebuilds the outbox on a
//! new head; `join` is a joining device's first sync and a manager's fetch of join requests. The
//! relay's HTTP client is [`crate::relay_client`].

mod join;
mod rebase;

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::event::{KeyScope, SignedEvent};
use crate::identity::DeviceIdentity;
use crate::relay_proto;
use crate::replay::{Replay, replay};
use crate::session::Session;
use crate::state::TeamState;

use crate::relay_client::relay_lied;
pub use crate::relay_client::{Appended, ChangeWait, RelayClient};

use rebase::PendingChange;

/// What a sync did.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SyncReport {
    /// Team.
    pub team: String,
    /// Events received.
    pub pulled: usize,
    /// Events sent.
    pub pushed: usize,
    /// Pending changes that could not be replayed on the new head, and why: writes of this
    /// device that were lost. A front end must fail the sync when this is not empty.
    pub dropped: Vec<String>,
    /// Pulled events that broke a rule and had no effect (position, author, why). They stay in
    /// the log and stop nobody; a front end reports them and fails this sync.
    #[serde(default)]
    pub rejected: Vec<String>,
    /// Join requests waiting for `hush admit`.
    pub pending_joins: usize,
    /// Things a person should know: join requests that did not authenticate, and similar.
    pub alerts: Vec<String>,
    /// True while this device waits to be admitted.
    pub waiting_for_admission: bool,
    /// Team state code after the sync.
    pub state_code: String,
}

/// What a pull flagged: events without effect, and things this device could not open.
#[derive(Default)]
struct NewlyFlagged {
    rejected: Vec<String>,
    damaged: Vec<String>,
}

/// A verified event ready to store: (seq, hash, bytes).
type PulledRow = (u64, [u8; 32], Vec<u8>);

/// Verifies pulled events in order on `base` (which they then extend), returning the rows to
/// store. The first must extend the last event this device verified from the relay.
fn verify_pulled(
    base: &mut TeamState,
    confirmed: Option<(u64, [u8; 32])>,
    pulled: Vec<Vec<u8>>,
    me: &DeviceIdentity,
) -> Result<Vec<PulledRow>> {
    let mut rows = Vec::with_capacity(pulled.len());
    for (i, bytes) in pulled.into_iter().enumerate() {
        let ev = SignedEvent::decode(&bytes)
            .map_err(|e| relay_lied(format!("malformed event ({e})")))?;
        if i == 0
            && let Some((cseq, chash)) = confirmed
            && ev.envelope.seq == cseq + 1
            && ev.envelope.prev != chash
        {
            return Err(relay_lied(format!(
                "its event {} does not extend event {cseq} that this device verified (hash chain broken: tampered or forked history)",
                ev.envelope.seq
            )));
        }
        base.apply(&ev, me, true).map_err(relay_lied)?;
        rows.push((ev.envelope.seq, ev.hash(), bytes));
    }
    Ok(rows)
}

impl Session {
    pub(crate) fn client_for(&self, tid: Uuid) -> Result<RelayClient> {
        let t = self.team_ref(tid)?;
        let relay = t.settings.relay.as_deref().ok_or_else(|| {
            Error::Invalid(format!("team `{}` has no relay", self.team_label(tid)))
        })?;
        RelayClient::new(relay, t.settings.allow_http)
    }

    /// Syncs every team that has a relay.
    pub async fn sync_all(&mut self) -> Vec<(String, Result<SyncReport>)> {
        let ids: Vec<Uuid> = self
            .teams
            .iter()
            .filter(|(_, t)| t.settings.relay.is_some())
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            let r = self.sync_team(id).await;
            out.push((self.team_label(id), r));
        }
        out
    }

    /// Pushes the outbox and pulls new events of one team.
    pub async fn sync_team(&mut self, tid: Uuid) -> Result<SyncReport> {
        let result = self.sync_team_inner(tid).await;
        let now = (self.clock)();
        if let Some(t) = self.teams.get_mut(&tid) {
            match &result {
                Ok(report) => {
                    t.settings.last_sync_ms = Some(now);
                    // A clean sync clears an old alert, unless this sync raised a new one.
                    t.settings.relay_alert =
                        Some(report.alerts.join("; ")).filter(|a| !a.is_empty());
                }
                Err(Error::Integrity(m)) => t.settings.relay_alert = Some(m.clone()),
                Err(_) => {}
            }
        }
        if self.teams.contains_key(&tid) {
            self.save_settings(tid).await?;
        }
        result
    }

    async fn sync_team_inner(&mut self, tid: Uuid) -> Result<SyncReport> {
        let client = self.client_for(tid)?;
        let mut report = SyncReport {
            team: self.team_label(tid),
            ..SyncReport::default()
        };
        if self.team_ref(tid)?.settings.joining.is_some() {
            return self.sync_join(tid, &client, report).await;
        }
        let mut rounds = 0;
        'sync: loop {
            rounds += 1;
            if rounds > 20 {
                return Err(Error::Relay(
                    "the team changes too fast to catch up; try again".into(),
                ));
            }
            let now = (self.clock)();
            let confirmed = self.store.confirmed_head(tid).await?;
            let head = client.head(&self.identity, &tid, now).await?;
            if let Some((cseq, chash)) = confirmed {
                match head.seq {
                    None => return Err(relay_lied("it lost the whole team log")),
                    Some(s) if s < cseq => {
                        return Err(relay_lied(format!(
                            "it rolled the log back from event {cseq} to {s}"
                        )));
                    }
                    Some(s) if s == cseq => {
                        let theirs = head.hash.as_deref().and_then(relay_proto::unhex);
                        if theirs.as_deref() != Some(chash.as_slice()) {
                            return Err(relay_lied(format!(
                                "its event {cseq} differs from the one this device verified (forked history)"
                            )));
                        }
                    }
                    Some(_) => {}
                }
            }
            if head.seq.is_some() && head.seq != confirmed.map(|c| c.0) {
                let until = head.seq.unwrap_or_default();
                let pulled = client
                    .pull(&self.identity, &tid, confirmed.map(|c| c.0), until, now)
                    .await?;
                report.pulled += pulled.len();
                self.witness_check_pull(tid, confirmed, &pulled).await?;
                let (dropped, flagged) = self.integrate(tid, confirmed, pulled).await?;
                report.dropped.extend(dropped);
                report.rejected.extend(flagged.rejected);
                report.alerts.extend(flagged.damaged);
            }
            if self.witness_settle(tid).await? {
                continue 'sync;
            }
            // Push the outbox in order.
            let confirmed = self.store.confirmed_head(tid).await?;
            let pending = self.outbox(tid, confirmed).await?;
            for row in pending {
                let now = (self.clock)();
                if row.seq == 0 {
                    client
                        .put_team(&self.identity, &tid, &row.bytes, now)
                        .await?;
                } else {
                    match client.append(&self.identity, &tid, &row.bytes, now).await? {
                        Appended::Ok => {}
                        Appended::Conflict => continue 'sync,
                    }
                }
                self.store.mark_confirmed(tid, row.seq).await?;
                report.pushed += 1;
            }
            if report.pushed > 0 && self.witness_settle(tid).await? {
                continue 'sync;
            }
            break;
        }
        report.alerts.extend(self.fetch_joins(tid, &client).await?);
        let t = self.team_ref(tid)?;
        report.pending_joins = t.settings.pending_joins.len();
        report.state_code = t.state.state_code();
        report.team = self.team_label(tid);
        Ok(report)
    }

    /// Rebuilds a team's state from stored events (all, or only those the relay confirmed).
    async fn rebuild(&self, tid: Uuid, confirmed_only: bool) -> Result<TeamState> {
        let how = if confirmed_only {
            Replay::CONFIRMED
        } else {
            Replay::STORED
        };
        Ok(replay(&self.store, tid, &self.identity, how).await?)
    }

    /// Verifies pulled events on top of the confirmed state, stores them, and rebases the outbox.
    /// This device's events after the relay-confirmed head that still wait to be pushed, in order.
    async fn outbox(
        &self,
        tid: Uuid,
        confirmed: Option<(u64, [u8; 32])>,
    ) -> Result<Vec<crate::store::EventRow>> {
        let rows = self.store.events(tid, confirmed.map(|c| c.0)).await?;
        Ok(rows.into_iter().filter(|r| r.pending).collect())
    }

    async fn integrate(
        &mut self,
        tid: Uuid,
        confirmed: Option<(u64, [u8; 32])>,
        pulled: Vec<Vec<u8>>,
    ) -> Result<(Vec<String>, NewlyFlagged)> {
        let pending_rows = self.outbox(tid, confirmed).await?;
        // The changes waiting in the outbox, opened — values, notes and all — with the keys the
        // current state holds, *before* that state is replaced: a pending removal or revocation
        // is rebuilt with fresh keys for the same epochs, so a pending write sealed under the
        // old pending keys could not be opened afterwards (the rotated key would be lost).
        let mut pending = Vec::new();
        {
            let st = &self.team_ref(tid)?.state;
            for row in &pending_rows {
                let ev = SignedEvent::decode(&row.bytes)?;
                let key = st
                    .key(KeyScope::Log, ev.envelope.epoch)
                    .ok_or_else(|| Error::Integrity("no key for a pending event".into()))?;
                let body = ev.open_body(key)?;
                let change = PendingChange::open(st, body.payload, ev.public.clone())?;
                pending.push((ev.hash(), change, body.time_ms));
            }
        }
        // Without an outbox the current state is the confirmed state: verify on it directly
        // (rebuilt from the store only if something fails). With an outbox, verify on a state
        // rebuilt from relay-confirmed events.
        let in_place = pending_rows.is_empty();
        let mut base = if in_place {
            let t = self
                .teams
                .get_mut(&tid)
                .ok_or_else(|| Error::NotFound("team".into()))?;
            std::mem::replace(&mut t.state, TeamState::new(tid))
        } else {
            self.rebuild(tid, true).await?
        };
        let (rejected_before, damaged_before) = (base.rejected.len(), base.damaged.len());
        let rows = match verify_pulled(&mut base, confirmed, pulled, &self.identity) {
            Ok(rows) => rows,
            Err(e) => {
                if in_place {
                    let fresh = self.rebuild(tid, false).await?;
                    if let Some(t) = self.teams.get_mut(&tid) {
                        t.state = fresh;
                    }
                }
                return Err(e);
            }
        };
        let describe = |f: &crate::state::Flagged| {
            format!(
                "event {} by {} had no effect: {}",
                f.seq,
                base.display_name(&f.author),
                f.reason
            )
        };
        let flagged = NewlyFlagged {
            rejected: base.rejected[rejected_before..]
                .iter()
                .map(describe)
                .collect(),
            damaged: base.damaged[damaged_before..]
                .iter()
                .map(|f| {
                    format!(
                        "event {} by {}: {}",
                        f.seq,
                        base.display_name(&f.author),
                        f.reason
                    )
                })
                .collect(),
        };
        let head = base.head.map(|(s, h)| {
            (
                s,
                h,
                crate::session::checkpoint_mac(&self.account, &tid, s, &h),
            )
        });
        let stored = self.store.store_pulled(tid, &rows, head).await;
        if let Some(t) = self.teams.get_mut(&tid) {
            t.state = base;
        }
        if let Err(e) = stored {
            // Memory ran ahead of the store: bring it back to what is stored.
            let fresh = self.rebuild(tid, false).await?;
            if let Some(t) = self.teams.get_mut(&tid) {
                t.state = fresh;
            }
            return Err(e);
        }
        // An outbox event the relay already holds (it stored the append, but the answer never
        // reached us) arrived in the pull: it is confirmed now, and rebuilding it would add it twice.
        let delivered: std::collections::HashSet<[u8; 32]> = rows.iter().map(|r| r.1).collect();
        let mut dropped = Vec::new();
        for (hash, change, time_ms) in pending {
            if delivered.contains(&hash) {
                continue;
            }
            if let Err(e) = self.rebase_one(tid, change, time_ms).await {
                dropped.push(e.to_string());
            }
        }
        Ok((dropped, flagged))
    }

    /// Waits until the relay has news for a team (for background sync); false on timeout.
    pub async fn wait_for_changes(&self, tid: Uuid, timeout_ms: u64) -> Result<bool> {
        let client = self.client_for(tid)?;
        // The relay-confirmed head: the state's head counts this device's unpushed events too,
        // and a teammate's event at the same seq would never wake the wait.
        let head = self.store.confirmed_head(tid).await?.map(|h| h.0);
        let now = (self.clock)();
        Ok(client
            .wait(&self.identity, &tid, head, timeout_ms, now)
            .await?
            .is_some())
    }

    /// A long-poll for a team, signed now so that it can be sent without the session (a
    /// background task waits on the relay for up to `timeout_ms` without holding the lock that
    /// commands need). It holds no key material: only the request's signature headers, which
    /// the relay accepts once (nonce) and only within its clock window.
    pub async fn change_wait(&self, tid: Uuid, timeout_ms: u64) -> Result<ChangeWait> {
        let client = self.client_for(tid)?;
        // After the relay-confirmed head, not the state's: that one counts this device's
        // unpushed events (a usage record, say), and a teammate's event at one of their seqs
        // would never wake the wait.
        let after = self.store.confirmed_head(tid).await?.map(|h| h.0);
        let path = RelayClient::wait_path(&tid, after, timeout_ms);
        let headers =
            relay_proto::sign_request(&self.identity, "GET", &path, &tid, &[], (self.clock)());
        Ok(ChangeWait {
            client,
            team: tid,
            path,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        })
    }

    /// A signed long-poll for every team that syncs through a relay (teams still waiting to be
    /// admitted are left out), to be sent without the session.
    pub async fn signed_waits(&self, timeout_ms: u64) -> Vec<crate::relay_client::SignedWait> {
        let mut out = Vec::new();
        for (tid, t) in &self.teams {
            let Some(relay) = t.settings.relay.clone() else {
                continue;
            };
            if t.settings.joining.is_some() {
                continue;
            }
            if let Ok(w) = self.change_wait(*tid, timeout_ms).await {
                out.push(crate::relay_client::SignedWait {
                    relay,
                    allow_http: t.settings.allow_http,
                    team: w.team,
                    path: w.path,
                    headers: w.headers,
                });
            }
        }
        out
    }

    /// Every secret value this device's keys can open in a list of raw events (for example a
    /// copy of a relay's database). Used to show what a removed member can still read. Returns
    /// plaintext as plain strings: a test-only API (`test-support` feature).
    #[cfg(any(test, feature = "test-support"))]
    pub fn decryptable_values(&self, tid: Uuid, events: &[Vec<u8>]) -> Vec<String> {
        let Ok(t) = self.team_ref(tid) else {
            return Vec::new();
        };
        let st = &t.state;
        let mut out = Vec::new();
        for bytes in events {
            let Ok(ev) = SignedEvent::decode(bytes) else {
                continue;
            };
            let Some(log_key) = st.key(KeyScope::Log, ev.envelope.epoch) else {
                continue;
            };
            let Ok(body) = ev.open_body(log_key) else {
                continue;
            };
            if let crate::event::Payload::SecretPut {
                vault_id,
                item_id,
                version,
                key_epoch,
                value_ct,
                ..
            } = body.payload
                && let Some(k) = st.key(KeyScope::Vault(vault_id), key_epoch)
                && let Ok(v) = st
                    .item_slot(vault_id, item_id, version, key_epoch)
                    .open_value(k, &value_ct)
            {
                out.push(v.expose().to_owned());
            }
        }
        out
    }
}
