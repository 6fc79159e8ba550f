//! The whole event: sealing and signing it, parsing its bytes, its hash, and checking it.

use super::body::Body;
use super::envelope::Envelope;
use super::public::Public;
use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::secret::Key32;

/// Largest event accepted, in bytes.
pub const MAX_EVENT_LEN: usize = 4 * 1024 * 1024;

/// Prefixes the associated data of the sealed body.
const BODY_LABEL: &[u8] = b"hush/v1/event-body";
/// Prefixes the message the author signs.
const SIG_LABEL: &[u8] = b"hush/v1/event-sig";
/// Prefixes the bytes an event's hash is taken over.
const HASH_LABEL: &[u8] = b"hush/v1/event-hash";

/// `label || bytes`: the associated data of the body (over header and public section) and the
/// message the author signs (over every byte before the signature).
fn labelled(label: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + bytes.len());
    out.extend_from_slice(label);
    out.extend_from_slice(bytes);
    out
}

/// A structurally valid event (not yet verified against team state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEvent {
    /// The header.
    pub envelope: Envelope,
    /// Key bundles and ACL changes.
    pub public: Public,
    /// Sealed body.
    pub body: Vec<u8>,
    /// Author's signature.
    pub sig: [u8; 64],
    bytes: Vec<u8>,
    signed_len: usize,
    body_ad_len: usize,
    hash: [u8; 32],
}

impl SignedEvent {
    /// Seals and signs a new event.
    pub fn seal(
        envelope: Envelope,
        public: Public,
        body: &Body,
        log_key: &Key32,
        author: &DeviceIdentity,
    ) -> Result<Self> {
        Self::seal_with(
            envelope,
            public,
            body,
            log_key,
            author,
            &crypto::random_array(),
        )
    }

    /// [`SignedEvent::seal`] with a fixed body nonce (test vectors only).
    pub fn seal_with(
        envelope: Envelope,
        public: Public,
        body: &Body,
        log_key: &Key32,
        author: &DeviceIdentity,
        nonce: &[u8; crypto::NONCE_LEN],
    ) -> Result<Self> {
        if envelope.author != author.device_id {
            return Err(Error::Invalid(
                "event author is not the signing device".into(),
            ));
        }
        let mut w = Writer::new();
        envelope.encode(&mut w);
        let mut pw = Writer::new();
        public.encode(&mut pw)?;
        w.bytes(pw.as_slice());
        let ad = labelled(BODY_LABEL, w.as_slice());
        let sealed = crypto::seal_with_nonce(log_key, nonce, &ad, &crypto::pad(&body.encode()));
        w.bytes(&sealed);
        let signed_len = w.len();
        let sig = author.sign(&labelled(SIG_LABEL, w.as_slice()));
        w.raw(&sig);
        let bytes = w.into_vec();
        if bytes.len() > MAX_EVENT_LEN {
            return Err(Error::Invalid("event too large".into()));
        }
        Self::decode(&bytes).and_then(|e| {
            if e.signed_len == signed_len {
                Ok(e)
            } else {
                Err(Error::Integrity("event encoding mismatch".into()))
            }
        })
    }

    /// Parses event bytes, refusing malformed or oversized input. Verifies nothing cryptographic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_EVENT_LEN {
            return Err(Error::Integrity("event too large".into()));
        }
        let mut r = Reader::new(bytes, "event");
        let envelope = Envelope::decode(&mut r)?;
        let public = Public::decode(r.bytes(MAX_EVENT_LEN)?)?;
        let body_ad_len = r.position();
        let body = r.bytes(MAX_EVENT_LEN)?.to_vec();
        let signed_len = r.position();
        let sig = r.array::<64>()?;
        r.finish()?;
        Ok(Self {
            envelope,
            public,
            body,
            sig,
            bytes: bytes.to_vec(),
            signed_len,
            body_ad_len,
            hash: crypto::hash(HASH_LABEL, &[bytes]),
        })
    }

    /// The canonical bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `SHA-256("hush/v1/event-hash" || bytes)`: what the next event's `prev` must equal.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Verifies the author's signature against `sign_pk` (strict Ed25519).
    pub fn verify_signature(&self, sign_pk: &[u8; 32]) -> Result<()> {
        let msg = labelled(SIG_LABEL, &self.bytes[..self.signed_len]);
        crate::identity::verify_signature(sign_pk, &msg, &self.sig).map_err(|_| {
            Error::Integrity(format!(
                "event {} of team {} has an invalid signature",
                self.envelope.seq, self.envelope.team_id
            ))
        })
    }

    /// Decrypts and decodes the body under the log key of the envelope's epoch.
    pub fn open_body(&self, log_key: &Key32) -> Result<Body> {
        let ad = labelled(BODY_LABEL, &self.bytes[..self.body_ad_len]);
        let what = format!("event {} body", self.envelope.seq);
        let padded = crypto::open(log_key, &ad, &self.body, &what)?;
        Body::decode(crypto::unpad(&padded)?)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::event::{
        BundlePlace, GrantedKey, HEADER_LEN, KeyBundle, KeyScope, Payload, key_commit,
    };

    fn sample(id: &DeviceIdentity, key: &Key32) -> SignedEvent {
        let env = Envelope {
            team_id: Uuid::from_bytes([1; 16]),
            seq: 0,
            prev: [0; 32],
            epoch: 0,
            author: id.device_id,
        };
        let bundle = KeyBundle::seal(
            &BundlePlace::of(&env),
            &id.cert(),
            &[GrantedKey {
                scope: KeyScope::Log,
                epoch: 0,
                key: key.clone(),
            }],
        )
        .expect("bundle");
        let body = Body {
            time_ms: 1_700_000_000_000,
            payload: Payload::TeamCreate {
                name: "personal".into(),
                creator: id.cert(),
                log_commit: key_commit(&env.team_id, KeyScope::Log, 0, key),
            },
        };
        SignedEvent::seal(env, Public::bundles(vec![bundle]), &body, key, id).expect("seal")
    }

    #[test]
    fn seal_decode_verify_open() {
        let id = DeviceIdentity::generate("alice").expect("id");
        let key = Key32::random();
        let ev = sample(&id, &key);
        let back = SignedEvent::decode(ev.bytes()).expect("decode");
        assert_eq!(back, ev);
        back.verify_signature(&id.cert().sign_pk).expect("sig");
        let body = back.open_body(&key).expect("body");
        assert!(matches!(body.payload, Payload::TeamCreate { ref name, .. } if name == "personal"));
        let keys = back.public.bundles[0]
            .open(&BundlePlace::of(&back.envelope), id.encryption_secret())
            .expect("bundle");
        assert_eq!(keys[0].key.expose_bytes(), key.expose_bytes());
    }

    #[test]
    fn every_byte_flip_is_detected() {
        let id = DeviceIdentity::generate("alice").expect("id");
        let key = Key32::random();
        let ev = sample(&id, &key);
        let pk = id.cert().sign_pk;
        for i in 0..ev.bytes().len() {
            let mut b = ev.bytes().to_vec();
            b[i] ^= 0x01;
            let ok = SignedEvent::decode(&b)
                .and_then(|e| e.verify_signature(&pk).map(|_| e))
                .and_then(|e| e.open_body(&key));
            assert!(ok.is_err(), "flip at byte {i} went unnoticed");
        }
        let mut longer = ev.bytes().to_vec();
        longer.push(0);
        assert!(SignedEvent::decode(&longer).is_err());
        for cut in [0, 1, HEADER_LEN, ev.bytes().len() - 1] {
            assert!(SignedEvent::decode(&ev.bytes()[..cut]).is_err());
        }
    }
}
