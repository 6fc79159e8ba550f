//! Key bundles: a set of keys HPKE-sealed to one device, bound to the place of the event carrying it.

use uuid::Uuid;
use zeroize::Zeroizing;

use super::envelope::Envelope;
use super::keys::{GrantedKey, KeyScope};
use crate::codec::{Reader, Writer};
use crate::crypto::{self, HpkeSecret};
use crate::error::{Error, Result};
use crate::identity::DeviceCert;
use crate::secret::Key32;

const BUNDLE_INFO: &[u8] = b"hush/v2/key-bundle";

/// An HPKE-sealed set of keys for one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBundle {
    /// Recipient device.
    pub recipient: Uuid,
    /// HPKE encapsulated key.
    pub enc: [u8; crypto::HPKE_ENC_LEN],
    /// HPKE ciphertext of the encoded keys.
    pub ct: Vec<u8>,
}

/// Where a key bundle sits: the team, the log position of the event carrying it, and its author.
/// A bundle's sealing binds all of these, so it cannot be moved to another event or position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundlePlace {
    /// Team.
    pub team_id: Uuid,
    /// Position of the carrying event.
    pub seq: u64,
    /// `prev` of the carrying event.
    pub prev: [u8; 32],
    /// Author of the carrying event.
    pub author: Uuid,
}

impl BundlePlace {
    /// The place of the bundles of an event with this envelope.
    pub fn of(env: &Envelope) -> Self {
        Self {
            team_id: env.team_id,
            seq: env.seq,
            prev: env.prev,
            author: env.author,
        }
    }

    /// The HPKE associated data of the bundle for `recipient` at this place.
    fn aad(&self, recipient: &Uuid) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(self.team_id.as_bytes())
            .u64(self.seq)
            .raw(&self.prev)
            .raw(self.author.as_bytes())
            .raw(recipient.as_bytes());
        w.into_vec()
    }
}

impl KeyBundle {
    /// Seals `keys` to `recipient`.
    pub fn seal(at: &BundlePlace, recipient: &DeviceCert, keys: &[GrantedKey]) -> Result<Self> {
        let mut w = Writer::new();
        w.u16(u16::try_from(keys.len()).map_err(|_| Error::Invalid("too many keys".into()))?);
        for k in keys {
            k.scope.encode(&mut w);
            w.u32(k.epoch).raw(k.key.expose_bytes());
        }
        let plain = w.into_zeroizing();
        let aad = at.aad(&recipient.device_id);
        let (enc, ct) = crypto::hpke_seal(&recipient.enc_pk, BUNDLE_INFO, &aad, &plain)?;
        Ok(Self {
            recipient: recipient.device_id,
            enc,
            ct,
        })
    }

    /// Opens a bundle addressed to this device.
    pub fn open(&self, at: &BundlePlace, secret: &HpkeSecret) -> Result<Vec<GrantedKey>> {
        let aad = at.aad(&self.recipient);
        let plain = crypto::hpke_open(secret, &self.enc, BUNDLE_INFO, &aad, &self.ct)?;
        let mut r = Reader::new(&plain, "key bundle");
        let n = r.u16()?;
        let mut keys = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let scope = KeyScope::decode(&mut r)?;
            let epoch = r.u32()?;
            let key = Key32::from_bytes(*Zeroizing::new(r.array::<32>()?));
            keys.push(GrantedKey { scope, epoch, key });
        }
        r.finish()?;
        Ok(keys)
    }
}
