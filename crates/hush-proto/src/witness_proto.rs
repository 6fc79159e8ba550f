//! The witness protocol, shared by the client (`hush_core::witness`) and `hush-relay --witness`.
//!
//! A witness is a second, independently run server that remembers, per team, the chain of event
//! hashes it has accepted and co-signs a team head only if it extends the last head it co-signed
//! (the way Certificate Transparency and sigsum witnesses keep a log honest). A relay that shows
//! one member a stale or forked log cannot also show it to the witness: the member's client
//! compares the relay's log with the witness's signed head before storing or pushing anything.
//!
//! ```text
//! GET  /v1/witness                                   -> 200 WitnessKey                  (no auth)
//! GET  /v1/witness/teams/{team}/head[?at=SEQ]        -> 200 WitnessHead | 404 (team unknown)
//! POST /v1/witness/teams/{team}/extend  body: event list (relay_proto) -> 200 WitnessHead
//!                                                    | 409 WitnessFork (does not extend its chain)
//! ```
//!
//! Head and extend requests are signed exactly like relay requests
//! ([`crate::relay_proto::sign_request`], the device's relay-auth key): the witness follows the
//! relay-visible ACL entries of the events it accepts, the same way the relay does, and answers
//! only active devices of the team. An extend must be signed by a device that is active and not
//! read-only once the batch is applied.
//!
//! The head signature is Ed25519 with the witness key over [`head_message`]:
//!
//! ```text
//! "hush/v2/witness-head" || team_id(16) || seq:u64 || hash(32)
//! ```
//!
//! The witness never stores event bytes: it decodes each event of an extend, checks `seq`
//! continuity and that `prev` is the hash it accepted at `seq - 1` (an event it already holds must
//! have the same hash), applies the ACL changes, and keeps only `(seq, hash)`.

use ed25519_dalek::{Signer, SigningKey};
use uuid::Uuid;

use crate::codec::Writer;
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity::{digit_groups, verify_signature};
use crate::relay_proto::{hex, unhex};

/// Domain label of a co-signed head.
pub const HEAD_LABEL: &[u8] = b"hush/v2/witness-head";
/// Path of the witness's public key.
pub const KEY_PATH: &str = "/v1/witness";
/// Route template of a team's co-signed head (axum syntax).
pub const HEAD_ROUTE: &str = "/v1/witness/teams/{team}/head";
/// Route template of an extend (axum syntax).
pub const EXTEND_ROUTE: &str = "/v1/witness/teams/{team}/extend";
/// Most events one extend carries (a client sends longer logs in several requests).
pub const MAX_EXTEND_EVENTS: usize = 100_000;
/// Largest extend body the witness accepts.
pub const MAX_EXTEND_BODY: usize = 16 * 1024 * 1024;

/// Path of a team's head, optionally asking for the hash accepted at `at`.
pub fn head_path(team: &Uuid, at: Option<u64>) -> String {
    match at {
        Some(s) => format!("/v1/witness/teams/{team}/head?at={s}"),
        None => format!("/v1/witness/teams/{team}/head"),
    }
}

/// Path of a team's extend.
pub fn extend_path(team: &Uuid) -> String {
    format!("/v1/witness/teams/{team}/extend")
}

/// The bytes a witness signs for a team head.
pub fn head_message(team: &Uuid, seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(HEAD_LABEL).raw(team.as_bytes()).u64(seq).raw(hash);
    w.into_vec()
}

/// Decodes an extend body: the event list of [`crate::relay_proto::encode_event_list`], with at
/// most [`MAX_EXTEND_EVENTS`] events of at most [`crate::event::MAX_EVENT_LEN`] bytes, no trailing
/// bytes.
pub fn decode_extend(bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut r = crate::codec::Reader::new(bytes, "witness extend");
    let n = r.u32()? as usize;
    if n == 0 || n > MAX_EXTEND_EVENTS {
        return Err(Error::Invalid(format!(
            "an extend carries 1 to {MAX_EXTEND_EVENTS} events"
        )));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(r.bytes(crate::event::MAX_EVENT_LEN)?);
    }
    r.finish()?;
    Ok(out)
}

/// A witness key's fingerprint: 30 digits people can compare with the operator's.
pub fn key_fingerprint(key: &[u8; 32]) -> String {
    digit_groups(&crypto::hash(b"hush/v2/witness-key", &[key]))
}

/// Checks the shape of a witness URL as it appears in the log: `http://` or `https://`, a host,
/// at most [`crate::event::MAX_WITNESS_URL`] bytes, no whitespace or control characters. (Whether
/// plain `http://` may be used is decided when connecting: only to loopback.)
pub fn validate_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = url.len() <= crate::event::MAX_WITNESS_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{url:?} is not a witness URL: use https://HOST[:PORT]"
        )))
    }
}

/// `GET /v1/witness`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessKey {
    /// Ed25519 public key, hex.
    pub key: String,
}

impl WitnessKey {
    /// The key bytes.
    pub fn decode(&self) -> Result<[u8; 32]> {
        parse_key(&self.key)
    }
}

/// Parses a witness key given in hex (64 digits).
pub fn parse_key(s: &str) -> Result<[u8; 32]> {
    unhex(s.trim())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| Error::Invalid("a witness key is 64 hex digits".into()))
}

/// The hash a witness accepted at one position (`?at=`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Accepted {
    /// Position.
    pub seq: u64,
    /// Hash, hex.
    pub hash: String,
}

/// A witness's signed head of one team.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessHead {
    /// Highest position it accepted.
    pub seq: u64,
    /// Its hash, hex.
    pub hash: String,
    /// Ed25519 over [`head_message`], hex.
    pub sig: String,
    /// With `?at=SEQ` (and `SEQ <= seq`): the hash it accepted there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Accepted>,
}

/// Body of a `409` answer to an extend: the batch does not extend what the witness accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessFork {
    /// Always `"fork"`.
    pub error: String,
    /// What differed.
    pub message: String,
    /// The witness's own signed head.
    pub head: WitnessHead,
}

/// A head whose signature verified against a pinned witness key. Only
/// [`WitnessHead::verify`] builds one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoSigned {
    /// Highest position the witness accepted.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
    /// With `?at=`: the hash accepted there.
    pub at: Option<(u64, [u8; 32])>,
}

fn hash32(s: &str, what: &str) -> Result<[u8; 32]> {
    unhex(s)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| Error::Integrity(format!("the witness sent a malformed {what}")))
}

impl WitnessHead {
    /// Builds a signed head.
    pub fn sign(signer: &WitnessSigner, team: &Uuid, seq: u64, hash: &[u8; 32]) -> Self {
        Self {
            seq,
            hash: hex(hash),
            sig: hex(&signer.sign_head(team, seq, hash)),
            at: None,
        }
    }

    /// Checks the signature with the pinned `key` for `team`. The `at` hash is not signed: it is
    /// only compared with a hash the client already verified.
    pub fn verify(&self, key: &[u8; 32], team: &Uuid) -> Result<CoSigned> {
        let hash = hash32(&self.hash, "head hash")?;
        let sig: [u8; 64] = unhex(&self.sig)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| Error::Integrity("the witness sent a malformed signature".into()))?;
        verify_signature(key, &head_message(team, self.seq, &hash), &sig).map_err(|_| {
            Error::Integrity(
                "the witness's head signature does not verify with its pinned key".into(),
            )
        })?;
        let at = match &self.at {
            Some(a) if a.seq <= self.seq => Some((a.seq, hash32(&a.hash, "hash")?)),
            Some(_) => {
                return Err(Error::Integrity(
                    "the witness answered for a position beyond its head".into(),
                ));
            }
            None => None,
        };
        Ok(CoSigned {
            seq: self.seq,
            hash,
            at,
        })
    }
}

/// A witness's signing key. `Debug` redacts; the seed leaves only through
/// [`WitnessSigner::expose_seed`] (to be stored by the witness).
pub struct WitnessSigner(SigningKey);

impl WitnessSigner {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        Self(SigningKey::from_bytes(&crypto::random_array()))
    }

    /// The key with this seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The seed, for storage by the witness only.
    pub fn expose_seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs a team head.
    pub fn sign_head(&self, team: &Uuid, seq: u64, hash: &[u8; 32]) -> [u8; 64] {
        self.0.sign(&head_message(team, seq, hash)).to_bytes()
    }
}

impl std::fmt::Debug for WitnessSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WitnessSigner(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_verifies_only_with_its_key_team_seq_and_hash() {
        let w = WitnessSigner::generate();
        let team = Uuid::new_v4();
        let h = [9u8; 32];
        let head = WitnessHead::sign(&w, &team, 4, &h);
        let ok = head.verify(&w.public(), &team).expect("verifies");
        assert_eq!((ok.seq, ok.hash), (4, h));
        assert!(
            head.verify(&WitnessSigner::generate().public(), &team)
                .is_err()
        );
        assert!(head.verify(&w.public(), &Uuid::new_v4()).is_err());
        let mut other = head.clone();
        other.seq = 5;
        assert!(other.verify(&w.public(), &team).is_err());
        let mut other = head.clone();
        other.hash = hex(&[8u8; 32]);
        assert!(other.verify(&w.public(), &team).is_err());
        let mut other = head.clone();
        other.at = Some(Accepted {
            seq: 5,
            hash: hex(&h),
        });
        assert!(
            other.verify(&w.public(), &team).is_err(),
            "at beyond the head"
        );
        // The seed round-trips.
        let again = WitnessSigner::from_seed(&w.expose_seed());
        assert_eq!(again.public(), w.public());
        assert_eq!(format!("{w:?}"), "WitnessSigner(<redacted>)");
    }

    #[test]
    fn the_signed_message_is_labelled_and_fixed() {
        let team = Uuid::from_bytes([0x11; 16]);
        let m = head_message(&team, 1, &[0x22; 32]);
        assert!(m.starts_with(b"hush/v2/witness-head"));
        assert_eq!(m.len(), HEAD_LABEL.len() + 16 + 8 + 32);
        assert_eq!(
            &m[HEAD_LABEL.len() + 16..HEAD_LABEL.len() + 24],
            &1u64.to_be_bytes()
        );
    }
}
