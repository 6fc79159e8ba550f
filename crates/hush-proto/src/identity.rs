//! Device identities.
//!
//! Each installation is a device with a random id, an Ed25519 signing key and an X25519 encryption
//! key. The signing key certifies the encryption key (and the display name) in a [`DeviceCert`], so
//! a key substituted in transit fails verification. The [`fingerprint`] of a device is derived from
//! both public keys and is shown as digits that two people can read to each other.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::crypto::{self, HpkeSecret};
use crate::error::{Error, Result};

/// Longest display name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// A device's private identity. Never leaves the device except wrapped under the account key.
pub struct DeviceIdentity {
    /// Random device id (v4 UUID; the relay sees it).
    pub device_id: Uuid,
    /// Display name chosen by the person.
    pub name: String,
    signing: SigningKey,
    encryption: HpkeSecret,
    relay_auth: SigningKey,
}

impl DeviceIdentity {
    /// Creates a fresh identity.
    pub fn generate(name: &str) -> Result<Self> {
        validate_display_name(name)?;
        Ok(Self {
            device_id: Uuid::new_v4(),
            name: name.to_owned(),
            signing: SigningKey::from_bytes(&crypto::random_array()),
            encryption: crypto::hpke_generate(),
            relay_auth: SigningKey::from_bytes(&crypto::random_array()),
        })
    }

    /// The public, self-signed certificate of this device.
    pub fn cert(&self) -> DeviceCert {
        let sign_pk = self.signing.verifying_key().to_bytes();
        let enc_pk = self.encryption.public();
        let auth_pk = self.relay_auth.verifying_key().to_bytes();
        let msg =
            DeviceCert::signed_bytes(&self.device_id, &sign_pk, &enc_pk, &auth_pk, &self.name);
        DeviceCert {
            device_id: self.device_id,
            name: self.name.clone(),
            sign_pk,
            enc_pk,
            auth_pk,
            sig: self.signing.sign(&msg).to_bytes(),
        }
    }

    /// Signs a relay request with the relay-auth key (a key separate from the event-signing key,
    /// so that what authenticates transport can never sign team history).
    pub fn sign_relay_request(&self, msg: &[u8]) -> [u8; 64] {
        self.relay_auth.sign(msg).to_bytes()
    }

    /// Signs a message with the device key.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The HPKE recipient secret of this device.
    pub fn encryption_secret(&self) -> &HpkeSecret {
        &self.encryption
    }

    /// Canonical encoding of the private identity (to be encrypted before storage).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.u8(1)
            .raw(self.device_id.as_bytes())
            .str(&self.name)
            .raw(&self.signing.to_bytes())
            .raw(self.encryption.expose_bytes())
            .raw(&self.relay_auth.to_bytes());
        w.into_zeroizing()
    }

    /// Decodes [`DeviceIdentity::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "device identity");
        if r.u8()? != 1 {
            return Err(Error::Integrity("unknown device identity version".into()));
        }
        let device_id = Uuid::from_bytes(r.array()?);
        let name = r.str(MAX_NAME_LEN)?.to_owned();
        let sign = Zeroizing::new(r.array::<32>()?);
        let enc = Zeroizing::new(r.array::<32>()?);
        let auth = Zeroizing::new(r.array::<32>()?);
        r.finish()?;
        Ok(Self {
            device_id,
            name,
            signing: SigningKey::from_bytes(&sign),
            encryption: HpkeSecret::from_bytes(*enc),
            relay_auth: SigningKey::from_bytes(&auth),
        })
    }
}

/// A device's public keys, certified by its own signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCert {
    /// Device id.
    pub device_id: Uuid,
    /// Display name.
    pub name: String,
    /// Ed25519 public key.
    pub sign_pk: [u8; 32],
    /// X25519 public key (HPKE recipient).
    pub enc_pk: [u8; 32],
    /// Ed25519 public key that authenticates this device's requests to a relay.
    pub auth_pk: [u8; 32],
    /// Ed25519 signature by `sign_pk` over the other fields.
    pub sig: [u8; 64],
}

impl DeviceCert {
    fn signed_bytes(
        device_id: &Uuid,
        sign_pk: &[u8; 32],
        enc_pk: &[u8; 32],
        auth_pk: &[u8; 32],
        name: &str,
    ) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(b"hush/v1/device-cert")
            .raw(device_id.as_bytes())
            .raw(sign_pk)
            .raw(enc_pk)
            .raw(auth_pk)
            .str(name);
        w.into_vec()
    }

    /// Checks the self-signature (strict Ed25519 verification).
    pub fn verify(&self) -> Result<()> {
        let msg = Self::signed_bytes(
            &self.device_id,
            &self.sign_pk,
            &self.enc_pk,
            &self.auth_pk,
            &self.name,
        );
        verify_signature(&self.sign_pk, &msg, &self.sig)
            .map_err(|_| Error::Integrity("device certificate signature is invalid".into()))
    }

    /// Appends the canonical encoding.
    pub fn encode(&self, w: &mut Writer) {
        w.raw(self.device_id.as_bytes())
            .str(&self.name)
            .raw(&self.sign_pk)
            .raw(&self.enc_pk)
            .raw(&self.auth_pk)
            .raw(&self.sig);
    }

    /// Decodes and verifies a certificate.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let cert = DeviceCert {
            device_id: Uuid::from_bytes(r.array()?),
            name: r.str(MAX_NAME_LEN)?.to_owned(),
            sign_pk: r.array()?,
            enc_pk: r.array()?,
            auth_pk: r.array()?,
            sig: r.array()?,
        };
        cert.verify()?;
        Ok(cert)
    }

    /// The safety number of this device.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.sign_pk, &self.enc_pk)
    }
}

/// Verifies an Ed25519 signature with `verify_strict` (rejects malleable and small-order forms).
pub fn verify_signature(public: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<()> {
    let vk = VerifyingKey::from_bytes(public)
        .map_err(|_| Error::Integrity("malformed signing key".into()))?;
    vk.verify_strict(msg, &Signature::from_bytes(sig))
        .map_err(|_| Error::Integrity("bad signature".into()))
}

/// A safety number: 30 digits in six groups of five, from an iterated hash of both public keys.
///
/// Iterating (1024 rounds of SHA-256, as Signal iterates SHA-512) makes grinding for a key pair
/// whose number collides with someone else's more expensive, while 30 decimal digits (~99 bits)
/// are still easy to read aloud.
pub fn fingerprint(sign_pk: &[u8; 32], enc_pk: &[u8; 32]) -> String {
    let mut h = crypto::hash(b"hush/v1/fingerprint", &[sign_pk, enc_pk]);
    for _ in 0..1024 {
        h = crypto::hash(b"hush/v1/fingerprint-round", &[&h, sign_pk]);
    }
    digit_groups(&h)
}

/// Formats the first 30 bytes of a digest as six groups of five decimal digits.
pub fn digit_groups(h: &[u8; 32]) -> String {
    h[..30]
        .chunks(5)
        .map(|c| {
            let v = c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            format!("{:05}", v % 100_000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a display name: 1–128 bytes, no control characters, no surrounding whitespace.
pub fn validate_display_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::Invalid(format!(
            "a name must be 1 to {MAX_NAME_LEN} bytes long"
        )));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "a name must not contain control characters or surrounding spaces".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_verifies_and_detects_substitution() {
        let id = DeviceIdentity::generate("alice").expect("identity");
        let cert = id.cert();
        assert!(cert.verify().is_ok());
        let mut swapped = cert.clone();
        swapped.enc_pk = crypto::hpke_generate().public();
        assert!(swapped.verify().is_err());
        let mut renamed = cert.clone();
        renamed.name = "mallory".into();
        assert!(renamed.verify().is_err());
    }

    #[test]
    fn secret_bytes_round_trip() {
        let id = DeviceIdentity::generate("bob").expect("identity");
        let back = DeviceIdentity::from_secret_bytes(&id.to_secret_bytes()).expect("decode");
        assert_eq!(back.cert(), id.cert());
    }

    #[test]
    fn fingerprint_shape() {
        let fp = fingerprint(&[1; 32], &[2; 32]);
        assert_eq!(fp.len(), 35);
        assert!(
            fp.split(' ')
                .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_digit()))
        );
        assert_ne!(fp, fingerprint(&[1; 32], &[3; 32]));
    }
}
