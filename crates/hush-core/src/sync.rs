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

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::event::{KeyScope, Payload, Public, SignedEvent};
use crate::identity::DeviceIdentity;
use crate::invite;
use crate::relay_proto;
use crate::replay::{Replay, replay};
use crate::session::Session;
use crate::state::TeamState;

use crate::relay_client::relay_lied;
pub use crate::relay_client::{Appended, ChangeWait, RelayClient};

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

/// A change waiting in the outbox, with what was sealed in it already opened.
enum PendingChange {
    /// A new version of a secret.
    Put {
        vault_id: Uuid,
        item_id: Uuid,
        base_version: u32,
        kind: crate::event::PutKind,
        meta: crate::item::ItemMeta,
        value: crate::secret::SecretString,
    },
    /// A leak report with its note.
    Leaked {
        vault_id: Uuid,
        item_id: Uuid,
        version: u32,
        note: String,
    },
    /// Anything else: rebuilt from the payload by the builders.
    Other(Payload, Public),
}

impl PendingChange {
    fn open(st: &TeamState, payload: Payload, public: Public) -> Result<Self> {
        // The slot of a sealed item version and the key that opens it.
        let sealed = |vault_id: Uuid, item_id: Uuid, version: u32, key_epoch: u32| {
            let slot = st.item_slot(vault_id, item_id, version, key_epoch);
            let key = st.slot_key(&slot).ok_or_else(|| {
                Error::Forbidden("a pending change: this device holds no key for its vault".into())
            })?;
            Ok::<_, Error>((slot, key))
        };
        Ok(match payload {
            Payload::SecretPut {
                vault_id,
                item_id,
                version,
                base_version,
                key_epoch,
                kind,
                meta_ct,
                value_ct,
            } => {
                let (slot, key) = sealed(vault_id, item_id, version, key_epoch)?;
                PendingChange::Put {
                    vault_id,
                    item_id,
                    base_version,
                    kind,
                    meta: slot.open_meta(key, &meta_ct)?,
                    value: slot.open_value(key, &value_ct)?,
                }
            }
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => {
                let (slot, key) = sealed(vault_id, item_id, version, key_epoch)?;
                PendingChange::Leaked {
                    vault_id,
                    item_id,
                    version,
                    note: crate::item::open_leak_note(&slot, key, &note_ct)?,
                }
            }
            other => PendingChange::Other(other, public),
        })
    }
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
            let pending: Vec<_> = self
                .store
                .events(tid, confirmed.map(|c| c.0))
                .await?
                .into_iter()
                .filter(|r| r.pending)
                .collect();
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
    async fn integrate(
        &mut self,
        tid: Uuid,
        confirmed: Option<(u64, [u8; 32])>,
        pulled: Vec<Vec<u8>>,
    ) -> Result<(Vec<String>, NewlyFlagged)> {
        let pending_rows: Vec<_> = self
            .store
            .events(tid, confirmed.map(|c| c.0))
            .await?
            .into_iter()
            .filter(|r| r.pending)
            .collect();
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

    /// Rebuilds one pending change on the current head.
    /// `time_ms` is the original event's time (kept for usage records: when a key was read).
    async fn rebase_one(&mut self, tid: Uuid, change: PendingChange, time_ms: i64) -> Result<()> {
        let (payload, public) = match change {
            PendingChange::Put {
                vault_id,
                item_id,
                base_version,
                kind,
                meta,
                value,
            } => {
                return self
                    .rebase_put(tid, vault_id, item_id, base_version, kind, &meta, &value)
                    .await;
            }
            PendingChange::Leaked {
                vault_id,
                item_id,
                version,
                note,
            } => {
                return self
                    .rebase_leaked(tid, vault_id, item_id, version, &note)
                    .await;
            }
            PendingChange::Other(payload, public) => (payload, public),
        };
        match payload {
            Payload::TeamCreate { .. } => {
                Err(relay_lied("it holds a different first event for this team"))
            }
            Payload::VaultCreate { vault_id, .. }
            | Payload::InviteCreate {
                invite_id: vault_id,
                ..
            } if self.team_ref(tid)?.state.vaults.contains_key(&vault_id) => Ok(()),
            p @ (Payload::VaultCreate { .. } | Payload::InviteCreate { .. }) => {
                self.append(tid, p, public).await
            }
            Payload::SecretPut { .. } | Payload::Leaked { .. } => Err(Error::Integrity(
                "a pending change was not opened before the rebase".into(),
            )),
            Payload::SecretDelete {
                vault_id, item_id, ..
            } => {
                let st = &self.team_ref(tid)?.state;
                let Some(item) = st.vaults.get(&vault_id).and_then(|v| v.items.get(&item_id))
                else {
                    return Ok(());
                };
                if item.deleted {
                    return Ok(());
                }
                let payload = Payload::SecretDelete {
                    vault_id,
                    item_id,
                    version: item.current().version,
                };
                self.append(tid, payload, Public::default()).await
            }
            Payload::Admit {
                invite_id,
                member,
                role,
                proof,
            } => {
                let (p, pubs) = self.build_admit(tid, invite_id, &member, role, proof)?;
                self.append(tid, p, pubs).await
            }
            Payload::Remove { device_id, .. } => {
                if self
                    .team_ref(tid)?
                    .state
                    .active_member(&device_id)
                    .is_none()
                {
                    return Ok(());
                }
                let (p, pubs) = self.build_remove(tid, device_id)?;
                self.append(tid, p, pubs).await
            }
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => {
                let (p, pubs) = self.build_grant(tid, vault_id, device_id, role)?;
                self.append(tid, p, pubs).await
            }
            Payload::Revoke {
                vault_id,
                device_id,
                ..
            } => {
                let has = self
                    .team_ref(tid)?
                    .state
                    .vaults
                    .get(&vault_id)
                    .is_some_and(|v| v.access.contains_key(&device_id));
                if !has {
                    return Ok(());
                }
                let (p, pubs) = self.build_revoke(tid, vault_id, device_id)?;
                self.append(tid, p, pubs).await
            }
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => {
                if self
                    .team_ref(tid)?
                    .state
                    .members
                    .contains_key(&member.device_id)
                {
                    return Ok(());
                }
                let (p, pubs) = self.build_service(tid, &member, &vaults, expires_ms)?;
                self.append(tid, p, pubs).await
            }
            Payload::Usage {
                vault_id,
                action,
                items,
            } => {
                self.rebase_usage(tid, vault_id, action, items, time_ms)
                    .await
            }
            p @ (Payload::WitnessAdd { .. } | Payload::WitnessRemove { .. }) => {
                self.rebase_witness(tid, p).await
            }
        }
    }

    /// Rebuilds a pending write on the current head, sealed under the vault's current key.
    #[allow(clippy::too_many_arguments)]
    async fn rebase_put(
        &mut self,
        tid: Uuid,
        vault_id: Uuid,
        item_id: Uuid,
        base_version: u32,
        kind: crate::event::PutKind,
        meta: &crate::item::ItemMeta,
        value: &crate::secret::SecretString,
    ) -> Result<()> {
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vault_id)
            .ok_or_else(|| Error::NotFound("the vault of a pending edit".into()))?;
        // A secret created offline on two devices under one name becomes one secret with a
        // conflict, not two secrets with the same name.
        let (target, base) = if v.items.contains_key(&item_id) {
            (item_id, base_version)
        } else if let Some(existing) = v.find(&meta.name) {
            (existing.id, 0)
        } else {
            (item_id, 0)
        };
        self.put_item(tid, vault_id, target, base, meta, value, kind)
            .await
            .map(|_| ())
            .map_err(|e| {
                Error::Forbidden(format!(
                    "a pending edit of `{}` was dropped: {e}",
                    meta.name
                ))
            })
    }

    /// Collects join requests for the invites this device issued.
    async fn fetch_joins(&mut self, tid: Uuid, client: &RelayClient) -> Result<Vec<String>> {
        let t = self.team_ref(tid)?;
        let mut alerts = Vec::new();
        if t.settings.invites.is_empty() {
            return Ok(alerts);
        }
        let now = (self.clock)();
        let requests = client.joins(&self.identity, &tid, now).await?;
        let mut found = Vec::new();
        for r in requests {
            let Some(inv) = t
                .settings
                .invites
                .iter()
                .find(|i| i.invite_id == r.invite_id)
            else {
                continue;
            };
            let Some(blob) = relay_proto::unhex(&r.blob) else {
                continue;
            };
            // A request that does not open with the invite secret was not made with the code:
            // the relay or someone else tried to substitute keys. Never admit it; say so.
            let Ok(cert) = invite::open_join(&inv.secret, &tid, &inv.invite_id, &blob) else {
                alerts.push(format!(
                    "a join request for invite {} does not authenticate with the invite's secret (substituted keys?); it was ignored: issue a new invite",
                    r.invite_id
                ));
                continue;
            };
            if t.state.members.contains_key(&cert.device_id) {
                continue;
            }
            found.push(crate::settings::PendingJoin {
                invite_id: r.invite_id,
                cert,
                received_ms: r.received_ms,
            });
        }
        if let Some(t) = self.teams.get_mut(&tid) {
            for f in found {
                if !t
                    .settings
                    .pending_joins
                    .iter()
                    .any(|p| p.invite_id == f.invite_id)
                {
                    t.settings.pending_joins.push(f);
                }
            }
            if !alerts.is_empty() {
                t.settings.relay_alert = Some(alerts.join("; "));
            }
        }
        Ok(alerts)
    }

    /// First sync of a joining device: pull the whole log and accept it only if it contains the
    /// event the inviter pinned and an admission of this device proven with the invite secret.
    async fn sync_join(
        &mut self,
        tid: Uuid,
        client: &RelayClient,
        mut report: SyncReport,
    ) -> Result<SyncReport> {
        let ticket = self
            .team_ref(tid)?
            .settings
            .joining
            .clone()
            .ok_or_else(|| Error::Invalid("not joining".into()))?;
        let now = (self.clock)();
        let head = match client.head(&self.identity, &tid, now).await {
            Ok(h) => h,
            Err(Error::Relay(_)) => {
                report.waiting_for_admission = true;
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        let Some(until) = head.seq else {
            report.waiting_for_admission = true;
            return Ok(report);
        };
        let pulled = match client.pull(&self.identity, &tid, None, until, now).await {
            Ok(p) => p,
            Err(Error::Relay(_)) => {
                report.waiting_for_admission = true;
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        let events: Vec<SignedEvent> = pulled
            .iter()
            .map(|b| SignedEvent::decode(b))
            .collect::<Result<_>>()
            .map_err(|e| relay_lied(format!("malformed event ({e})")))?;
        let me = self.identity.cert();
        let admitted = events
            .iter()
            .any(|e| e.public.bundles.iter().any(|b| b.recipient == me.device_id));
        if !admitted {
            report.waiting_for_admission = true;
            return Ok(report);
        }
        let mut st = TeamState::new(tid);
        st.preload_keys(crate::state::bundled_keys(&events, &self.identity));
        let mut proven = false;
        let mut pinned_ok = false;
        let mut rows = Vec::with_capacity(events.len());
        for (ev, bytes) in events.iter().zip(pulled) {
            let checked = st.check(ev, &self.identity, true).map_err(relay_lied)?;
            // Only an admission that is valid at its place in the log counts.
            if checked.rejection().is_none()
                && let Some(crate::event::Body {
                    payload:
                        Payload::Admit {
                            invite_id,
                            member,
                            proof,
                            ..
                        },
                    ..
                }) = checked.body()
                && member.device_id == me.device_id
            {
                let want = invite::admit_proof(&ticket.secret, &tid, &ticket.invite_id, &me);
                proven = *invite_id == ticket.invite_id
                    && crate::crypto::ct_eq(&want, proof)
                    && *member == me;
            }
            if ev.envelope.seq == ticket.pinned_seq {
                pinned_ok = crate::crypto::ct_eq(&ev.hash(), &ticket.pinned_hash);
            }
            st.commit(checked);
            rows.push((ev.envelope.seq, ev.hash(), bytes));
        }
        if !pinned_ok {
            return Err(relay_lied(
                "the team log it shows does not contain the event pinned in the invite",
            ));
        }
        if !proven {
            return Err(relay_lied(
                "this device's admission is not proven with the invite secret",
            ));
        }
        let head = st.head.map(|(s, h)| {
            (
                s,
                h,
                crate::session::checkpoint_mac(&self.account, &tid, s, &h),
            )
        });
        self.store.store_pulled(tid, &rows, head).await?;
        report.pulled = rows.len();
        report.state_code = st.state_code();
        report.team = st.name.clone();
        if let Some(t) = self.teams.get_mut(&tid) {
            t.state = st;
            t.settings.joining = None;
        }
        Ok(report)
    }

    /// Waits until the relay has news for a team (for background sync); false on timeout.
    pub async fn wait_for_changes(&self, tid: Uuid, timeout_ms: u64) -> Result<bool> {
        let client = self.client_for(tid)?;
        let head = self.team_ref(tid)?.state.head.map(|h| h.0);
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
    pub fn change_wait(&self, tid: Uuid, timeout_ms: u64) -> Result<ChangeWait> {
        let client = self.client_for(tid)?;
        let after = self.team_ref(tid)?.state.head.map(|h| h.0);
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

    /// Every secret value this device's keys can open in a list of raw events (for example a
    /// copy of a relay's database). Used to show what a removed member can still read.
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
            if let Payload::SecretPut {
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
