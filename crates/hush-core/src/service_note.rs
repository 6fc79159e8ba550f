//! The head a service identity last verified, kept on the relay's side of the token.
//!
//! A member's device remembers the highest `(seq, hash)` it verified from the relay and refuses
//! a lower or different head (a rollback or a fork). A CI job cannot: it starts from nothing on
//! every run, so a relay could serve it yesterday's log (a secret before its rotation, a vault
//! before a revocation) and it would verify. So the service keeps that memory *on the relay*,
//! where the job can find it again, in a form the relay cannot forge: after it has verified a
//! log, it stores a note `(team_id, device_id, seq, head_hash)` signed with its own event-signing
//! key (`PUT /v1/teams/{team}/devices/me/note`, an authenticated request); the next run fetches
//! it first, verifies the signature with the key in its token, and refuses a log whose head is
//! below `seq`, or whose event at `seq` has another hash.
//!
//! What this does not stop: the relay stores the note, so it can withhold it (the run then
//! behaves like a first run) or replay an *older* note it kept, and then serve the log as of
//! that note. It cannot make the job accept a log older than the newest note the relay chooses
//! to show, and it cannot invent a note for a head the service never verified. Closing the
//! remaining gap needs a second party that remembers heads (a witness).
//!
//! ```text
//! note = version:u8(=1) team_id(16) device_id(16) seq:u64 head_hash(32) sig(64)
//! sig  = Ed25519(service sign_sk, "hush/v1/service-head-note" || every byte before sig)
//! ```

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity::{DeviceIdentity, verify_signature};
use crate::relay_client::RelayClient;
use crate::relay_proto;

const NOTE_VERSION: u8 = 1;
const NOTE_LABEL: &[u8] = b"hush/v1/service-head-note";

/// The head a service identity verified, as stored on the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadNote {
    /// Team.
    pub team_id: Uuid,
    /// The service identity that verified it.
    pub device_id: Uuid,
    /// Position of the head.
    pub seq: u64,
    /// Hash of the event at `seq`.
    pub hash: [u8; 32],
}

impl HeadNote {
    fn unsigned(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(NOTE_VERSION)
            .raw(self.team_id.as_bytes())
            .raw(self.device_id.as_bytes())
            .u64(self.seq)
            .raw(&self.hash);
        w.into_vec()
    }

    fn signed_message(unsigned: &[u8]) -> Vec<u8> {
        [NOTE_LABEL, unsigned].concat()
    }

    /// The note's bytes, signed with `me`'s event-signing key.
    pub fn sign(&self, me: &DeviceIdentity) -> Vec<u8> {
        let mut bytes = self.unsigned();
        let sig = me.sign(&Self::signed_message(&bytes));
        bytes.extend_from_slice(&sig);
        bytes
    }

    /// Decodes a note the relay returned and checks that `me` signed it for `team_id`. Anything
    /// else (malformed, another version, another team or device, a bad signature) is an
    /// integrity error: the relay cannot forge a note.
    pub fn open(bytes: &[u8], me: &DeviceIdentity, team_id: &Uuid) -> Result<Self> {
        let bad = |why: &str| {
            Error::Integrity(format!(
                "the head note the relay returned {why}; a relay cannot forge this service's notes"
            ))
        };
        let mut r = Reader::new(bytes, "head note");
        if r.u8()? != NOTE_VERSION {
            return Err(bad("has an unknown version"));
        }
        let note = HeadNote {
            team_id: Uuid::from_bytes(r.array()?),
            device_id: Uuid::from_bytes(r.array()?),
            seq: r.u64()?,
            hash: r.array()?,
        };
        let signed_len = r.position();
        let sig: [u8; 64] = r.array()?;
        r.finish()?;
        verify_signature(
            &me.cert().sign_pk,
            &Self::signed_message(&bytes[..signed_len]),
            &sig,
        )
        .map_err(|_| bad("is not signed by this service identity"))?;
        if note.team_id != *team_id || note.device_id != me.device_id {
            return Err(bad("belongs to another team or identity"));
        }
        Ok(note)
    }

    /// Checks a verified log against this note: `head` is the log's last `(seq, hash)`, and
    /// `hash_at(seq)` the hash of its event at `seq`. A head below the note is a rollback, another
    /// hash at the note's position a fork; both are integrity errors naming the positions.
    pub fn check(
        &self,
        head: (u64, [u8; 32]),
        hash_at: impl Fn(u64) -> Option<[u8; 32]>,
    ) -> Result<()> {
        if head.0 < self.seq {
            return Err(Error::Integrity(format!(
                "the relay serves this service identity an older log (up to event {}) than it \
                 verified on an earlier run (event {}): a rolled-back relay; refusing to use it",
                head.0, self.seq
            )));
        }
        match hash_at(self.seq) {
            Some(h) if crypto::ct_eq(&h, &self.hash) => Ok(()),
            _ => Err(Error::Integrity(format!(
                "the relay's log differs at event {} from the one this service identity verified \
                 on an earlier run: a forked history; refusing to use it",
                self.seq
            ))),
        }
    }
}

fn refused() -> Error {
    Error::Forbidden(
        "the relay refused this service identity's head note: it was revoked or has expired".into(),
    )
}

/// The note endpoint, through the same signed requests (and URL rules) as sync.
impl RelayClient {
    /// The head note `me` stored for `team`, if any (the relay answers 404 when there is none).
    pub(crate) async fn head_note(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        now_ms: i64,
    ) -> Result<Option<Vec<u8>>> {
        let (status, body) = self
            .signed(
                me,
                reqwest::Method::GET,
                &note_path(team),
                team,
                Vec::new(),
                now_ms,
            )
            .await?;
        match status.as_u16() {
            200 if body.len() <= relay_proto::MAX_NOTE => Ok(Some(body)),
            200 => Err(Error::Integrity(
                "the head note the relay returned is too large".into(),
            )),
            404 => Ok(None),
            401 | 403 => Err(refused()),
            s => Err(Error::Relay(format!(
                "the relay answered {s} when asked for this service identity's head note"
            ))),
        }
    }

    /// Stores `note` (signed bytes) as `me`'s head note for `team`.
    pub(crate) async fn put_head_note(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        note: Vec<u8>,
        now_ms: i64,
    ) -> Result<()> {
        let (status, _) = self
            .signed(
                me,
                reqwest::Method::PUT,
                &note_path(team),
                team,
                note,
                now_ms,
            )
            .await?;
        match status.as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(refused()),
            404 => Err(Error::Relay(
                "the relay does not keep head notes (it is older than this client); upgrade it"
                    .into(),
            )),
            s => Err(Error::Relay(format!(
                "the relay answered {s} when storing this service identity's head note"
            ))),
        }
    }
}

fn note_path(team: &Uuid) -> String {
    crate::relay_proto::paths::note(team)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(me: &DeviceIdentity, team: Uuid, seq: u64) -> HeadNote {
        HeadNote {
            team_id: team,
            device_id: me.device_id,
            seq,
            hash: [seq as u8; 32],
        }
    }

    #[test]
    fn a_note_opens_only_for_its_signer_and_team() {
        let me = DeviceIdentity::generate("ci").expect("identity");
        let other = DeviceIdentity::generate("relay").expect("identity");
        let team = Uuid::new_v4();
        let n = note(&me, team, 7);
        let bytes = n.sign(&me);
        assert_eq!(HeadNote::open(&bytes, &me, &team).expect("opens"), n);

        // Another key (the relay's own, say) cannot make a note this identity accepts.
        let forged = HeadNote {
            device_id: me.device_id,
            ..note(&other, team, 9)
        }
        .sign(&other);
        let e = HeadNote::open(&forged, &me, &team).expect_err("forged");
        assert!(e.to_string().contains("not signed by this service"), "{e}");

        // Another team's note, and every flipped byte, are refused.
        assert!(HeadNote::open(&bytes, &me, &Uuid::new_v4()).is_err());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 1;
            assert!(
                matches!(HeadNote::open(&b, &me, &team), Err(Error::Integrity(_))),
                "byte {i}"
            );
        }
        // Truncated and extended notes are refused without a panic.
        assert!(HeadNote::open(&bytes[..bytes.len() - 1], &me, &team).is_err());
        assert!(HeadNote::open(&[bytes.clone(), vec![0]].concat(), &me, &team).is_err());
        assert!(HeadNote::open(&[], &me, &team).is_err());
    }

    #[test]
    fn an_older_or_different_log_is_refused() {
        let me = DeviceIdentity::generate("ci").expect("identity");
        let n = note(&me, Uuid::new_v4(), 5);
        let log = |seq: u64| Some([seq as u8; 32]);
        // The same head, and a newer one that extends it, are fine.
        n.check((5, [5; 32]), log).expect("same head");
        n.check((9, [9; 32]), log).expect("newer head");
        // A rollback names both positions.
        let e = n.check((4, [4; 32]), log).expect_err("rollback");
        assert!(
            e.to_string().contains("up to event 4") && e.to_string().contains("(event 5)"),
            "{e}"
        );
        // A fork: the event at the note's position has another hash.
        let e = n
            .check((9, [9; 32]), |_| Some([0xee; 32]))
            .expect_err("fork");
        assert!(e.to_string().contains("forked history"), "{e}");
    }
}
