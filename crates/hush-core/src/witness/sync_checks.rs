//! What a sync does with a team's required witnesses: before storing pulled events, every
//! witness's head must agree with the relay's chain; before pushing (and after a push), every
//! witness must agree with the stored relay-confirmed chain and is extended with the events it
//! lacks. A witness ahead of the relay but consistent with it makes the sync read the relay's
//! head again: either another member pushed meanwhile, or the relay withholds history.

use uuid::Uuid;

use super::check::{Required, ahead_but_consistent, check_heads, compare, withholding};
use super::client::Extended;
use crate::error::{Error, Result};
use crate::event::SignedEvent;
use crate::session::Session;

/// Soft cap on the bytes of one extend request (the witness accepts up to
/// [`crate::witness_proto::MAX_EXTEND_BODY`]).
const EXTEND_CHUNK_BYTES: usize = 8 * 1024 * 1024;

impl Session {
    fn required_witnesses(&self, tid: Uuid) -> Result<Vec<Required>> {
        let t = self.team_ref(tid)?;
        Required::all(&t.state.witnesses, t.settings.allow_http)
    }

    /// Before storing pulled events: every required witness's head must be consistent with the
    /// relay's chain (`confirmed` followed by `pulled`). See the module documentation of
    /// [`crate::witness`].
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
            Err(withholding(url, seq, head.seq))
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
        let mut seen = std::collections::BTreeMap::new();
        for w in &required {
            let url = w.client.url();
            let now = (self.clock)();
            let head = w
                .client
                .head(&self.identity, &w.key, &tid, Some(tip), now)
                .await?;
            if let Some(h) = &head {
                if ahead_but_consistent(h, tip, hash_at) {
                    self.relay_reached(tid, h.seq, url).await?;
                    return Ok(true);
                }
                compare(url, h, Some(tip), hash_at)?;
            }
            let next = head.map_or(0, |h| h.seq + 1);
            if next <= tip {
                self.extend_witness(w, tid, next, tip, hash_at).await?;
            }
            seen.insert(w.key, tip);
        }
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings.witness_seen.extend(seen);
        }
        Ok(false)
    }

    /// Sends a witness the confirmed events `next..=tip` it lacks (the outbox follows them; it
    /// is not sent), in requests of about [`EXTEND_CHUNK_BYTES`], checking each co-signed head
    /// against this device's chain.
    async fn extend_witness(
        &self,
        w: &Required,
        tid: Uuid,
        mut next: u64,
        tip: u64,
        hash_at: impl Fn(u64) -> Option<[u8; 32]> + Copy,
    ) -> Result<()> {
        let url = w.client.url();
        // The witness only lets an active device extend: the first request must reach the event
        // that admitted this device.
        let joined = self
            .team_ref(tid)?
            .state
            .members
            .get(&self.identity.device_id)
            .map_or(0, |m| m.joined_seq);
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
                if !batch.is_empty() && bytes + row.bytes.len() > EXTEND_CHUNK_BYTES && end > joined
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
                    // Another member may have extended it meanwhile: its head may be past what
                    // this request sent, but never off this device's chain.
                    let signed = w.check_answer(&h, &tid, tip, hash_at)?;
                    if signed.seq + 1 < end {
                        return Err(Error::Integrity(format!(
                            "the witness {url} co-signed a head behind the events this device sent"
                        )));
                    }
                    end = end.max(signed.seq + 1);
                }
                Extended::Fork(h, words) => {
                    let signed = w.check_answer(&h, &tid, tip, hash_at)?;
                    return Err(Error::Integrity(format!(
                        "the witness {url} refused to co-sign this device's log ({words}; its head is event {}); nothing was pushed",
                        signed.seq
                    )));
                }
            }
            next = end;
        }
        Ok(())
    }
}
