//! Cryptographic building blocks, composed from audited RustCrypto / dalek / hpke crates.
//!
//! Nothing here is a new primitive. This module fixes *how* Hush uses them:
//! - **AEAD**: XChaCha20-Poly1305 with a random 192-bit nonce per message, stored as
//!   `nonce || ciphertext || tag`. Random nonces are safe at this size even across devices that
//!   share a key (no counters to coordinate). Every call takes associated data that names the slot
//!   the ciphertext belongs to, so a ciphertext moved elsewhere fails to open.
//! - **Password KDF**: Argon2id with parameters stored beside the salt and bound as associated data
//!   of the account-key wrap. [`KdfParams::check_floor`] refuses headers below 64 MiB / t=3.
//! - **Key wrapping to devices**: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256),
//!   HKDF-SHA256, ChaCha20-Poly1305. HPKE does not authenticate the sender, so every wrap travels
//!   inside a signed event.
//! - **Hashing**: SHA-256 with a domain-separation label in front of every input.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Key32;

type HpkeKem = hpke::kem::X25519HkdfSha256;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::ChaCha20Poly1305;

/// XChaCha20-Poly1305 nonce length.
pub const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;
/// Length of an HPKE X25519 encapsulated key.
pub const HPKE_ENC_LEN: usize = 32;

// Random bytes come from `secret`, where the key types that need them live.
pub use crate::secret::random_array;

/// Encrypts `plaintext` under `key`, binding `ad`. Output: `nonce || ciphertext || tag`.
pub fn seal(key: &Key32, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    seal_with_nonce(key, &random_array::<NONCE_LEN>(), ad, plaintext)
}

/// [`seal`] with a caller-chosen nonce. Only for test vectors: reusing a nonce breaks security.
pub fn seal_with_nonce(
    key: &Key32,
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(&(*key.expose_bytes()).into());
    let nonce_arr = XNonce::from(*nonce);
    #[allow(clippy::expect_used)]
    let ct = cipher
        .encrypt(
            &nonce_arr,
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for inputs under 256 GiB");
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    out
}

/// Decrypts the output of [`seal`]. Any failure is a coarse [`Error::Integrity`] naming `what`.
pub fn open(key: &Key32, ad: &[u8], sealed: &[u8], what: &str) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(Error::Integrity(format!("{what} is truncated")));
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(&(*key.expose_bytes()).into());
    let mut nonce_arr = [0u8; NONCE_LEN];
    nonce_arr.copy_from_slice(nonce);
    cipher
        .decrypt(&XNonce::from(nonce_arr), Payload { msg: ct, aad: ad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Integrity(format!("{what} could not be decrypted")))
}

/// SHA-256 over a domain label and the given parts.
pub fn hash(label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// HMAC-SHA256.
pub fn mac(key: &Key32, parts: &[&[u8]]) -> [u8; 32] {
    #[allow(clippy::expect_used)]
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose_bytes())
        .expect("HMAC accepts any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Constant-time equality for MACs, tokens and hashes of secrets.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Derives an independent subkey from `key` for the purpose named by `label` (HKDF-SHA256).
pub fn subkey(key: &Key32, label: &[u8]) -> Key32 {
    let hk = hkdf::Hkdf::<Sha256>::new(None, key.expose_bytes());
    let mut out = [0u8; 32];
    #[allow(clippy::expect_used)]
    hk.expand(label, &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    Key32::from_bytes(out)
}

/// Argon2id parameters, stored in the store header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The defaults for new stores: 64 MiB, t=3, p=4 (RFC 9106's second recommended setting).
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// Refuses parameters below the floor (so a tampered header cannot downgrade them) or so
    /// large that opening the store would exhaust the machine (so it cannot be used to hang us).
    pub fn check_floor(&self) -> Result<()> {
        if self.m_kib < 64 * 1024 || self.t < 3 || self.p < 1 {
            return Err(Error::WeakKdf(format!(
                "m={} KiB, t={}, p={}; minimum is m=65536 KiB, t=3, p=1",
                self.m_kib, self.t, self.p
            )));
        }
        if self.m_kib > 4 * 1024 * 1024 || self.t > 64 || self.p > 64 {
            return Err(Error::Integrity(
                "key-derivation parameters are implausibly large".into(),
            ));
        }
        Ok(())
    }

    /// Derives a 32-byte key from a password and salt. Checks the floor first.
    pub fn derive(&self, password: &[u8], salt: &[u8]) -> Result<Key32> {
        self.check_floor()?;
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| Error::WeakKdf(e.to_string()))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(password, salt, out.as_mut())
            .map_err(|e| Error::Invalid(format!("password hashing failed: {e}")))?;
        Ok(Key32::from_bytes(*out))
    }
}

/// An X25519 private key used as an HPKE recipient key. Zeroized on drop.
pub struct HpkeSecret(Key32);

impl HpkeSecret {
    /// Wraps raw X25519 private key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Key32::from_bytes(bytes))
    }

    /// The X25519 public key for this private key.
    pub fn public(&self) -> [u8; 32] {
        let s = x25519_dalek::StaticSecret::from(*self.0.expose_bytes());
        x25519_dalek::PublicKey::from(&s).to_bytes()
    }

    /// Raw private bytes (for storage under the account key).
    pub fn expose_bytes(&self) -> &[u8; 32] {
        self.0.expose_bytes()
    }
}

/// Encrypts `plaintext` to the X25519 public key `recipient` with HPKE base mode.
/// Returns `(enc, ciphertext)`.
pub fn hpke_seal(
    recipient: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; HPKE_ENC_LEN], Vec<u8>)> {
    let pk = <HpkeKem as hpke::Kem>::PublicKey::from_bytes(recipient)
        .map_err(|_| Error::Invalid("recipient encryption key is not a valid X25519 key".into()))?;
    let (enc, ct) = hpke::single_shot_seal::<HpkeAead, HpkeKdf, HpkeKem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
    )
    .map_err(|_| Error::Invalid("could not encrypt to recipient (low-order public key?)".into()))?;
    let mut enc_bytes = [0u8; HPKE_ENC_LEN];
    enc_bytes.copy_from_slice(&enc.to_bytes());
    Ok((enc_bytes, ct))
}

/// Opens an HPKE base-mode ciphertext with the recipient's private key.
pub fn hpke_open(
    secret: &HpkeSecret,
    enc: &[u8; HPKE_ENC_LEN],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let sk = <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(secret.expose_bytes())
        .map_err(|_| Error::Integrity("device encryption key is malformed".into()))?;
    let encapped = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| Error::Integrity("key wrap has a malformed encapsulated key".into()))?;
    hpke::single_shot_open::<HpkeAead, HpkeKdf, HpkeKem>(
        &OpModeR::Base,
        &sk,
        &encapped,
        info,
        ct,
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| Error::Integrity("key wrap could not be decrypted".into()))
}

/// Generates an X25519 key pair for HPKE.
pub fn hpke_generate() -> HpkeSecret {
    let (sk, _pk) = HpkeKem::gen_keypair();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&sk.to_bytes());
    HpkeSecret::from_bytes(bytes)
}

/// Pads `data` to a size bucket (ISO/IEC 7816-4: a 0x80 byte then zeros) so that ciphertext
/// lengths reveal only a coarse size class: multiples of 256 bytes up to 4 KiB, then of 4 KiB.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let min = data.len() + 1;
    let bucket = if min <= 4096 { 256 } else { 4096 };
    let target = min.div_ceil(bucket) * bucket;
    let mut out = Vec::with_capacity(target);
    out.extend_from_slice(data);
    out.push(0x80);
    out.resize(target, 0);
    out
}

/// Removes [`pad`] padding.
pub fn unpad(data: &[u8]) -> Result<&[u8]> {
    let end = data
        .iter()
        .rposition(|b| *b != 0)
        .filter(|i| data[*i] == 0x80)
        .ok_or_else(|| Error::Integrity("bad padding".into()))?;
    Ok(&data[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aead_binds_associated_data_and_detects_flips() {
        let key = Key32::random();
        let sealed = seal(&key, b"slot-a", b"value");
        assert_eq!(
            open(&key, b"slot-a", &sealed, "x")
                .ok()
                .as_deref()
                .map(|v| v.as_slice()),
            Some(&b"value"[..])
        );
        assert!(open(&key, b"slot-b", &sealed, "x").is_err());
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(
                open(&key, b"slot-a", &t, "x").is_err(),
                "flip at {i} accepted"
            );
        }
        assert!(open(&Key32::random(), b"slot-a", &sealed, "x").is_err());
        assert!(open(&key, b"slot-a", &sealed[..10], "x").is_err());
    }

    #[test]
    fn kdf_floor_refuses_downgrades() {
        let weak = KdfParams {
            m_kib: 19 * 1024,
            t: 2,
            p: 1,
        };
        assert!(matches!(
            weak.derive(b"pw", &[0u8; 16]),
            Err(Error::WeakKdf(_))
        ));
        let huge = KdfParams {
            m_kib: u32::MAX,
            t: 3,
            p: 4,
        };
        assert!(huge.check_floor().is_err());
        assert!(KdfParams::DEFAULT.check_floor().is_ok());
    }

    #[test]
    fn hpke_round_trip_and_context_binding() {
        let sk = hpke_generate();
        let (enc, ct) = hpke_seal(&sk.public(), b"info", b"aad", b"key material").expect("seal");
        let pt = hpke_open(&sk, &enc, b"info", b"aad", &ct).expect("open");
        assert_eq!(pt.as_slice(), b"key material");
        assert!(hpke_open(&sk, &enc, b"info", b"other", &ct).is_err());
        assert!(hpke_open(&sk, &enc, b"other", b"aad", &ct).is_err());
        assert!(hpke_open(&hpke_generate(), &enc, b"info", b"aad", &ct).is_err());
        // An all-zero (low-order) recipient key is refused rather than producing a known secret.
        assert!(hpke_seal(&[0u8; 32], b"i", b"a", b"p").is_err());
    }

    #[test]
    fn padding_round_trips_and_hides_exact_length() {
        for n in [0usize, 1, 254, 255, 256, 4095, 4096, 10_000] {
            let data = vec![0xAB; n];
            let p = pad(&data);
            assert!(p.len() > n);
            assert!(p.len().is_multiple_of(256));
            assert_eq!(unpad(&p).ok(), Some(&data[..]));
        }
        assert_eq!(pad(b"a").len(), pad(b"abcdef").len());
        assert!(unpad(&[0u8; 16]).is_err());
        assert!(unpad(&[]).is_err());
    }
}
