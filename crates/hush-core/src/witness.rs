//! Witnesses: a second server that keeps the relay honest about a team's history.
//!
//! # The attack
//!
//! A relay colluding with a removed member can keep serving a teammate the log as it was before
//! the removal. The teammate's client verifies every event it is shown, but it cannot know about
//! events it is never shown: it keeps writing values under the old log and vault keys, which the
//! removed member can read. Without a witness only people comparing team state codes notice.
//!
//! # The defence
//!
//! A team manager adds a witness (`WitnessAdd` in the signed log, so every member's client
//! requires it from then on). The witness ([`crate::witness_proto`]) remembers the chain of event
//! hashes it accepted for the team and co-signs a head only if it extends the last one. For a
//! team that requires witnesses, a sync:
//!
//! 1. after pulling, and **before storing** anything, asks each witness for its signed head
//!    (signature checked against the key pinned in the log) and compares it with the chain the
//!    relay served ([`Session::witness_check_pull`]): a witness head beyond the relay's head means
//!    the relay withholds history others have seen; a different hash at a position both know is a
//!    fork. Either is an [`Error::Integrity`] naming the witness, kept as the team's relay alert,
//!    and nothing is stored;
//! 2. **before pushing** anything, does the same against the stored, relay-confirmed chain and
//!    extends the witness with the events it lacks, so the witness co-signs the head the client
//!    builds on ([`Session::witness_settle`]); a refusal stops the push;
//! 3. after pushing, extends the witness with the pushed events.
//!
//! A witness that cannot be reached fails closed: [`Error::WitnessUnavailable`], nothing stored or
//! pushed, local changes kept in the outbox until the witness answers again. Teams without
//! witnesses sync exactly as before.
//!
//! The witness sees what the relay sees of the events (it never keeps their bytes), and nothing
//! more.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::error::{Error, Hint, Result};
use crate::event::{Payload, Public, SignedEvent};
use crate::identity::DeviceIdentity;
use crate::relay_client::RelayClient;
use crate::relay_proto::{self, ErrorBody};
use crate::session::Session;
use crate::witness_proto::{self, CoSigned, WitnessFork, WitnessHead, WitnessKey};

/// Soft cap on the bytes of one extend request (the witness accepts up to
/// [`witness_proto::MAX_EXTEND_BODY`]).
const EXTEND_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// An HTTP client for one witness. Same URL rules as the relay: `https://`, or plain `http://`
/// only to loopback (or with the team's `allow_http`).
pub struct WitnessClient {
    url: String,
    http: RelayClient,
}

/// What a witness answered to an extend.
#[derive(Debug)]
pub enum Extended {
    /// It co-signed this head.
    Head(WitnessHead),
    /// The events do not extend what it accepted: its own signed head and its words.
    Fork(WitnessHead, String),
}

/// One required witness as `hush team witness list` and `hush team status` show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessInfo {
    /// URL.
    pub url: String,
    /// Public key, hex.
    pub key: String,
    /// Key fingerprint (30 digits).
    pub fingerprint: String,
    /// Highest position this device saw it co-sign.
    pub last_seq: Option<u64>,
    /// Whether it co-signed the head of this device's last sync.
    pub co_signed: bool,
}

/// What `hush team witness add` reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessAdded {
    /// The witness now required.
    pub witness: WitnessInfo,
}

impl WitnessClient {
    /// A client for `url`.
    pub fn new(url: &str, allow_http: bool) -> Result<Self> {
        witness_proto::validate_url(url)?;
        let http = RelayClient::new(url, allow_http).map_err(|e| match e {
            Error::Invalid(m) => Error::Invalid(format!("witness {url}: {m}")),
            other => other,
        })?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn unavailable(&self, e: Error) -> Error {
        match e {
            Error::Offline(m) => Error::WitnessUnavailable(format!("{} ({m})", self.url)),
            other => other,
        }
    }

    fn refused(&self, s: reqwest::StatusCode, b: &[u8]) -> Error {
        let detail = serde_json::from_slice::<ErrorBody>(b)
            .map(|e| crate::relay_client::relay_words(&e.message))
            .unwrap_or_else(|_| s.to_string());
        if s.is_server_error() || s.as_u16() == 429 {
            Error::WitnessUnavailable(format!("{} answered {} ({detail})", self.url, s.as_u16()))
        } else {
            Error::Relay(format!(
                "the witness {} refused this device: {} ({detail})",
                self.url,
                s.as_u16()
            ))
        }
    }

    /// The witness's public key (unauthenticated: compare its fingerprint out of band, or pin it
    /// with `--key`).
    pub async fn key(&self) -> Result<[u8; 32]> {
        let (s, b) = self
            .http
            .send(
                None,
                reqwest::Method::GET,
                witness_proto::KEY_PATH,
                &Uuid::nil(),
                Vec::new(),
                &[],
                0,
            )
            .await
            .map_err(|e| self.unavailable(e))?;
        if !s.is_success() {
            return Err(self.refused(s, &b));
        }
        serde_json::from_slice::<WitnessKey>(&b)
            .map_err(|_| {
                Error::Invalid(format!(
                    "{} did not answer like a Hush witness (is it running with --witness?)",
                    self.url
                ))
            })?
            .decode()
    }

    /// Its signed head of `team` (with the hash it accepted at `at`), `None` while it knows
    /// nothing of the team. The signature is checked against `key`.
    pub async fn head(
        &self,
        me: &DeviceIdentity,
        key: &[u8; 32],
        team: &Uuid,
        at: Option<u64>,
        now_ms: i64,
    ) -> Result<Option<CoSigned>> {
        let path = witness_proto::head_path(team, at);
        let (s, b) = self
            .http
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await
            .map_err(|e| self.unavailable(e))?;
        if s.as_u16() == 404 {
            return Ok(None);
        }
        if !s.is_success() {
            return Err(self.refused(s, &b));
        }
        let head: WitnessHead = serde_json::from_slice(&b).map_err(|_| self.malformed())?;
        head.verify(key, team).map(Some).map_err(|e| self.bad(e))
    }

    fn malformed(&self) -> Error {
        Error::Integrity(format!("the witness {} sent a malformed answer", self.url))
    }

    fn bad(&self, e: Error) -> Error {
        match e {
            Error::Integrity(m) => Error::Integrity(format!("witness {}: {m}", self.url)),
            other => other,
        }
    }

    /// Sends events that continue the witness's chain.
    pub async fn extend(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        events: &[&[u8]],
        now_ms: i64,
    ) -> Result<Extended> {
        let path = witness_proto::extend_path(team);
        let body = relay_proto::encode_event_list(events.iter().copied());
        let (s, b) = self
            .http
            .signed(me, reqwest::Method::POST, &path, team, body, now_ms)
            .await
            .map_err(|e| self.unavailable(e))?;
        match s.as_u16() {
            200 => Ok(Extended::Head(
                serde_json::from_slice(&b).map_err(|_| self.malformed())?,
            )),
            409 => {
                let fork =
                    serde_json::from_slice::<WitnessFork>(&b).map_err(|_| self.malformed())?;
                Ok(Extended::Fork(
                    fork.head,
                    crate::relay_client::relay_words(&fork.message),
                ))
            }
            _ => Err(self.refused(s, &b)),
        }
    }
}

/// A required witness of a team: key, URL and client.
struct Required {
    key: [u8; 32],
    client: WitnessClient,
}

/// Compares a witness's head with the chain this device is about to accept, which ends at `tip`;
/// `hash_at` gives this device's hash at a position (`None` beyond what it knows).
fn compare(
    url: &str,
    head: &CoSigned,
    tip: Option<u64>,
    hash_at: impl Fn(u64) -> Option<[u8; 32]>,
) -> Result<()> {
    let fork = |seq: u64| {
        Error::Integrity(format!(
            "the witness {url} co-signed a different event {seq} than the relay served (forked history); nothing was stored or pushed"
        ))
    };
    if let Some((seq, theirs)) = head.at
        && hash_at(seq).is_some_and(|ours| ours != theirs)
    {
        return Err(fork(seq));
    }
    match tip {
        Some(t) if head.seq <= t => match hash_at(head.seq) {
            Some(ours) if ours == head.hash => Ok(()),
            Some(_) => Err(fork(head.seq)),
            None => Ok(()),
        },
        _ => Err(withholding(&format!("the witness {url}"), head.seq, tip)),
    }
}

/// A witness head past `tip` that agrees with this device's chain at `tip`: either the relay
/// withholds what follows, or another member pushed (and had it co-signed) between this device's
/// read of the relay's head and its read of the witness. Only the relay's head, read again, tells.
fn ahead_but_consistent(
    head: &CoSigned,
    tip: u64,
    hash_at: impl Fn(u64) -> Option<[u8; 32]>,
) -> bool {
    head.seq > tip && hash_at(tip).is_some_and(|ours| head.at == Some((tip, ours)))
}

/// Reads every witness's head and compares it with a chain ending at `tip`. `Ok(Some((seq,
/// url)))`: a witness is ahead at `seq` but agrees up to `tip` (see [`ahead_but_consistent`]).
async fn check_heads(
    required: &[Required],
    me: &DeviceIdentity,
    tid: Uuid,
    tip: u64,
    hash_at: impl Fn(u64) -> Option<[u8; 32]> + Copy,
    clock: &crate::session::Clock,
) -> Result<Option<(u64, String)>> {
    let mut ahead: Option<(u64, String)> = None;
    for w in required {
        if let Some(head) = w.client.head(me, &w.key, &tid, Some(tip), clock()).await? {
            if ahead_but_consistent(&head, tip, hash_at) {
                if ahead.as_ref().is_none_or(|(s, _)| head.seq > *s) {
                    ahead = Some((head.seq, w.client.url().to_owned()));
                }
                continue;
            }
            compare(w.client.url(), &head, Some(tip), hash_at)?;
        }
    }
    Ok(ahead)
}

/// For a read-only session that pulled and verified a team's whole log (a service token): every
/// witness the log requires must agree with it, or the job refuses the relay's answer.
pub(crate) async fn check_whole_log(
    witnesses: &BTreeMap<[u8; 32], String>,
    allow_http: bool,
    me: &DeviceIdentity,
    tid: Uuid,
    hashes: &[[u8; 32]],
    clock: &crate::session::Clock,
) -> Result<()> {
    let Some(tip) = hashes.len().checked_sub(1) else {
        return Ok(());
    };
    let required = witnesses
        .iter()
        .map(|(key, url)| {
            Ok(Required {
                key: *key,
                client: WitnessClient::new(url, allow_http)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let hash_at = |seq: u64| hashes.get(usize::try_from(seq).ok()?).copied();
    match check_heads(&required, me, tid, tip as u64, hash_at, clock).await? {
        None => Ok(()),
        Some((seq, url)) => Err(withholding(
            &format!("the witness {url}"),
            seq,
            Some(tip as u64),
        )),
    }
}

fn withholding(who: &str, witnessed: u64, tip: Option<u64>) -> Error {
    Error::Integrity(format!(
        "{who} has co-signed the team log up to event {witnessed}, but the relay served it only up to {}: the relay is withholding history (a removal, new keys?); nothing was stored or pushed; tell a team admin and compare team state codes",
        tip.map_or_else(|| "nothing".to_owned(), |t| format!("event {t}"))
    ))
}

impl Session {
    fn required_witnesses(&self, tid: Uuid) -> Result<Vec<Required>> {
        let t = self.team_ref(tid)?;
        t.state
            .witnesses
            .iter()
            .map(|(key, url)| {
                Ok(Required {
                    key: *key,
                    client: WitnessClient::new(url, t.settings.allow_http)?,
                })
            })
            .collect()
    }

    /// Before storing pulled events: every required witness's head must be consistent with the
    /// relay's chain (`confirmed` followed by `pulled`). See the module documentation.
    pub(crate) async fn witness_check_pull(
        &mut self,
        tid: Uuid,
        confirmed: Option<(u64, [u8; 32])>,
        pulled: &[Vec<u8>],
    ) -> Result<()> {
        let required = self.required_witnesses(tid)?;
        if required.is_empty() || pulled.is_empty() {
            return Ok(());
        }
        let first = confirmed.map_or(0, |c| c.0 + 1);
        let mut hashes = Vec::with_capacity(pulled.len());
        for b in pulled {
            match SignedEvent::decode(b) {
                Ok(ev) => hashes.push(ev.hash()),
                // Malformed events are rejected by the verification that follows.
                Err(_) => return Ok(()),
            }
        }
        let tip = first + hashes.len() as u64 - 1;
        let stored = self.store.confirmed_hashes(tid).await?;
        let hash_at = |seq: u64| -> Option<[u8; 32]> {
            if seq >= first {
                hashes.get(usize::try_from(seq - first).ok()?).copied()
            } else {
                stored.get(usize::try_from(seq).ok()?).copied()
            }
        };
        if let Some((seq, url)) =
            check_heads(&required, &self.identity, tid, tip, hash_at, &self.clock).await?
        {
            // Storing this verified prefix is safe if the relay really has more now; the check
            // before pushing runs again on what is stored.
            self.relay_reached(tid, seq, &url).await?;
        }
        Ok(())
    }

    /// Whether the relay's head, read now, reaches `seq` (a witness was ahead of the head read
    /// earlier in this sync): if not, the relay withholds history the witness co-signed.
    async fn relay_reached(&self, tid: Uuid, seq: u64, url: &str) -> Result<()> {
        let now = (self.clock)();
        let head = self
            .client_for(tid)?
            .head(&self.identity, &tid, now)
            .await?;
        if head.seq.is_some_and(|s| s >= seq) {
            Ok(())
        } else {
            Err(withholding(&format!("the witness {url}"), seq, head.seq))
        }
    }

    /// Before pushing (and after a push): every required witness's head must be consistent with
    /// the stored relay-confirmed chain, and is extended with the events it lacks. `Ok(true)`:
    /// the team moved on meanwhile (a witness co-signed events the relay now also has): pull
    /// again before pushing.
    pub(crate) async fn witness_settle(&mut self, tid: Uuid) -> Result<bool> {
        let required = self.required_witnesses(tid)?;
        if required.is_empty() {
            return Ok(false);
        }
        let Some((tip, _)) = self.store.confirmed_head(tid).await? else {
            return Ok(false);
        };
        // Hashes only: the event bytes are read below for what a witness lacks, not on every sync.
        let hashes = self.store.confirmed_hashes(tid).await?;
        let hash_at =
            |seq: u64| -> Option<[u8; 32]> { hashes.get(usize::try_from(seq).ok()?).copied() };
        // The witness only lets an active device extend: the first request must reach the event
        // that admitted this device.
        let joined = self
            .team_ref(tid)?
            .state
            .members
            .get(&self.identity.device_id)
            .map_or(0, |m| m.joined_seq);
        let mut seen = BTreeMap::new();
        for w in &required {
            let url = w.client.url().to_owned();
            let now = (self.clock)();
            let head = w
                .client
                .head(&self.identity, &w.key, &tid, Some(tip), now)
                .await?;
            if let Some(h) = &head {
                if ahead_but_consistent(h, tip, hash_at) {
                    self.relay_reached(tid, h.seq, &url).await?;
                    return Ok(true);
                }
                compare(&url, h, Some(tip), hash_at)?;
            }
            let mut next = head.map_or(0, |h| h.seq + 1);
            if next > tip {
                seen.insert(w.key, tip);
                continue;
            }
            // The confirmed events from `next` on (the outbox follows them; it is not sent).
            let start = next;
            let rows = self.store.events(tid, next.checked_sub(1)).await?;
            while next <= tip {
                let mut end = next;
                let mut bytes = 0usize;
                let mut batch: Vec<&[u8]> = Vec::new();
                while end <= tip {
                    let Some(row) = usize::try_from(end - start)
                        .ok()
                        .and_then(|i| rows.get(i))
                        .filter(|r| r.seq == end && !r.pending)
                    else {
                        return Err(Error::Integrity(
                            "the local log has a gap below its confirmed head".into(),
                        ));
                    };
                    if !batch.is_empty()
                        && bytes + row.bytes.len() > EXTEND_CHUNK_BYTES
                        && end > joined
                    {
                        break;
                    }
                    bytes += row.bytes.len();
                    batch.push(&row.bytes);
                    end += 1;
                }
                let now = (self.clock)();
                match w.client.extend(&self.identity, &tid, &batch, now).await? {
                    Extended::Head(h) => {
                        // Another member may have extended it meanwhile: its head may be past
                        // what this request sent, but never off this device's chain.
                        let signed = h.verify(&w.key, &tid).map_err(|e| w.client.bad(e))?;
                        compare(&url, &signed, Some(tip), hash_at)?;
                        if signed.seq + 1 < end {
                            return Err(Error::Integrity(format!(
                                "the witness {url} co-signed a head behind the events this device sent"
                            )));
                        }
                        end = end.max(signed.seq + 1);
                    }
                    Extended::Fork(h, words) => {
                        let signed = h.verify(&w.key, &tid).map_err(|e| w.client.bad(e))?;
                        compare(&url, &signed, Some(tip), hash_at)?;
                        return Err(Error::Integrity(format!(
                            "the witness {url} refused to co-sign this device's log ({words}; its head is event {}); nothing was pushed",
                            signed.seq
                        )));
                    }
                }
                next = end;
            }
            seen.insert(w.key, tip);
        }
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings.witness_seen.extend(seen);
        }
        Ok(false)
    }

    /// Rebuilds a pending witness change on a new head (skipped when it already holds).
    pub(crate) async fn rebase_witness(&mut self, tid: Uuid, payload: Payload) -> Result<()> {
        let st = &self.team_ref(tid)?.state;
        let done = match &payload {
            Payload::WitnessAdd { key, .. } => st.witnesses.contains_key(key),
            Payload::WitnessRemove { key } => !st.witnesses.contains_key(key),
            _ => false,
        };
        if done {
            return Ok(());
        }
        self.append(tid, payload, Public::default()).await
    }

    /// The witnesses a team requires, with what this device last saw of them.
    pub fn witnesses(&self, team: Option<&str>) -> Result<Vec<WitnessInfo>> {
        let tid = self.active_team(team)?;
        Ok(self.witness_infos(tid))
    }

    pub(crate) fn witness_infos(&self, tid: Uuid) -> Vec<WitnessInfo> {
        let Ok(t) = self.team_ref(tid) else {
            return Vec::new();
        };
        let head = t.state.head.map(|h| h.0);
        t.state
            .witnesses
            .iter()
            .map(|(key, url)| {
                let last_seq = t.settings.witness_seen.get(key).copied();
                WitnessInfo {
                    url: url.clone(),
                    key: relay_proto::hex(key),
                    fingerprint: witness_proto::key_fingerprint(key),
                    last_seq,
                    co_signed: last_seq.is_some() && last_seq == head,
                }
            })
            .collect()
    }

    /// Requires a witness for the team (owners and admins): fetches its key (or checks it against
    /// `pinned`), appends `WitnessAdd` and, for a team with a relay, syncs so the witness learns
    /// the log at once.
    pub async fn witness_add(
        &mut self,
        team: Option<&str>,
        url: &str,
        pinned: Option<&str>,
    ) -> Result<WitnessAdded> {
        let tid = self.active_team(team)?;
        let url = url.trim_end_matches('/').to_owned();
        let allow_http = self.team_ref(tid)?.settings.allow_http;
        let client = WitnessClient::new(&url, allow_http)?;
        let key = client.key().await?;
        if let Some(p) = pinned {
            let want = witness_proto::parse_key(p)?;
            if !crate::crypto::ct_eq(&want, &key) {
                return Err(Error::Integrity(format!(
                    "the witness at {url} presents key {} (fingerprint {}), not the one given with --key (fingerprint {}); not added",
                    relay_proto::hex(&key),
                    witness_proto::key_fingerprint(&key),
                    witness_proto::key_fingerprint(&want)
                )));
            }
        }
        let st = &self.team_ref(tid)?.state;
        if st.witnesses.contains_key(&key) {
            return Err(Error::Exists(format!("witness {url}")));
        }
        if !st
            .active_member(&self.identity.device_id)
            .is_some_and(|m| m.role.is_manager())
        {
            return Err(Error::Forbidden(
                "only owners and admins may require a witness".into(),
            ));
        }
        self.append(
            tid,
            Payload::WitnessAdd {
                url: url.clone(),
                key,
            },
            Public::default(),
        )
        .await?;
        if self.team_ref(tid)?.settings.relay.is_some() {
            self.sync_team(tid).await?;
        }
        let witness = self
            .witness_infos(tid)
            .into_iter()
            .find(|w| w.key == relay_proto::hex(&key))
            .ok_or_else(|| Error::NotFound("the witness just added".into()))?;
        Ok(WitnessAdded { witness })
    }

    /// Stops requiring a witness (owners and admins), by URL or key (hex).
    pub async fn witness_remove(&mut self, team: Option<&str>, which: &str) -> Result<()> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let which_t = which.trim_end_matches('/');
        let key = st
            .witnesses
            .iter()
            .find(|(k, u)| {
                u.trim_end_matches('/') == which_t
                    || relay_proto::hex(k.as_slice()) == which_t.to_lowercase()
            })
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                Error::NotFound(format!("witness {which}")).with_hint(Hint::Witnesses)
            })?;
        self.append(tid, Payload::WitnessRemove { key }, Public::default())
            .await?;
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings.witness_seen.remove(&key);
        }
        self.save_settings(tid).await?;
        if self.team_ref(tid)?.settings.relay.is_some() {
            self.sync_team(tid).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: u64, hash: u8, at: Option<(u64, u8)>) -> CoSigned {
        CoSigned {
            seq,
            hash: [hash; 32],
            at: at.map(|(s, h)| (s, [h; 32])),
        }
    }

    #[test]
    fn a_witness_ahead_of_the_relay_or_on_another_branch_is_refused() {
        // Our chain: event n has hash n.
        let ours = |s: u64| (s <= 5).then_some([s as u8; 32]);
        // Behind or level, same hashes: fine.
        assert!(compare("w", &head(3, 3, None), Some(5), ours).is_ok());
        assert!(compare("w", &head(5, 5, Some((5, 5))), Some(5), ours).is_ok());
        // Ahead of what the relay served: withholding.
        let e = compare("w", &head(7, 7, Some((5, 5))), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("withholding"), "{e}");
        assert!(e.to_string().contains("witness w"), "{e}");
        // Ahead, and even its hash at our tip differs: a fork.
        let e = compare("w", &head(7, 7, Some((5, 9))), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("forked"), "{e}");
        // Same position, another hash: a fork.
        let e = compare("w", &head(4, 9, None), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("forked"), "{e}");
        // Nothing from the relay while the witness knows the team.
        assert!(compare("w", &head(0, 0, None), None, ours).is_err());
        // Ahead but agreeing at our tip: a race with another member's push, or withholding;
        // the caller asks the relay again. Disagreeing at the tip is never that.
        assert!(ahead_but_consistent(&head(7, 7, Some((5, 5))), 5, ours));
        assert!(!ahead_but_consistent(&head(7, 7, Some((5, 9))), 5, ours));
        assert!(!ahead_but_consistent(&head(7, 7, None), 5, ours));
        assert!(!ahead_but_consistent(&head(5, 5, Some((5, 5))), 5, ours));
    }
}
