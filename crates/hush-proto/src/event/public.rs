//! The relay-visible section of an event: key bundles, then the ACL changes the relay applies.

use uuid::Uuid;

use super::bundle::KeyBundle;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};

/// Largest number of key bundles in one event.
pub const MAX_BUNDLES: usize = 4096;

/// A change to the set of devices the relay lets in. These travel in the relay-visible part of
/// an event; clients check that they match exactly what the sealed payload implies, so the
/// relay's view of access can never drift from the log's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AclChange {
    /// A device may read and append (manager: may also change the ACL).
    Add {
        /// Device.
        device_id: Uuid,
        /// Its relay-auth key.
        auth_pk: [u8; 32],
        /// Whether it may change the ACL.
        manager: bool,
    },
    /// A device is refused from now on.
    Remove {
        /// Device.
        device_id: Uuid,
    },
    /// An invite the relay will accept one join request for.
    Invite {
        /// Invite id.
        invite_id: Uuid,
        /// SHA-256 of the relay token derived from the invite secret.
        token_hash: [u8; 32],
        /// Expiry, milliseconds since the Unix epoch.
        expires_ms: i64,
    },
    /// A read-only service identity the relay lets in until it expires; it may never append.
    AddService {
        /// Device.
        device_id: Uuid,
        /// Its relay-auth key.
        auth_pk: [u8; 32],
        /// Expiry, milliseconds since the Unix epoch.
        expires_ms: i64,
    },
}

/// The relay-visible part of an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Public {
    /// Key bundles.
    pub bundles: Vec<KeyBundle>,
    /// ACL changes.
    pub acl: Vec<AclChange>,
}

impl Public {
    /// Key bundles only.
    pub fn bundles(bundles: Vec<KeyBundle>) -> Self {
        Self {
            bundles,
            acl: Vec::new(),
        }
    }

    /// Writes `count:u16 entry*`, bundles first.
    pub(super) fn encode(&self, w: &mut Writer) -> Result<()> {
        let n = self.bundles.len() + self.acl.len();
        if n > MAX_BUNDLES {
            return Err(Error::Invalid("too many entries in one event".into()));
        }
        w.u16(n as u16);
        for b in &self.bundles {
            w.u8(1).raw(b.recipient.as_bytes()).raw(&b.enc).bytes(&b.ct);
        }
        for a in &self.acl {
            match a {
                AclChange::Add {
                    device_id,
                    auth_pk,
                    manager,
                } => {
                    w.u8(2)
                        .raw(device_id.as_bytes())
                        .raw(auth_pk)
                        .u8(u8::from(*manager));
                }
                AclChange::Remove { device_id } => {
                    w.u8(3).raw(device_id.as_bytes());
                }
                AclChange::Invite {
                    invite_id,
                    token_hash,
                    expires_ms,
                } => {
                    w.u8(4)
                        .raw(invite_id.as_bytes())
                        .raw(token_hash)
                        .i64(*expires_ms);
                }
                AclChange::AddService {
                    device_id,
                    auth_pk,
                    expires_ms,
                } => {
                    w.u8(5)
                        .raw(device_id.as_bytes())
                        .raw(auth_pk)
                        .i64(*expires_ms);
                }
            }
        }
        Ok(())
    }

    /// Reads the section, refusing unknown entries, bundles after ACL changes and trailing bytes.
    pub(super) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "event public section");
        let n = usize::from(r.u16()?);
        if n > MAX_BUNDLES {
            return Err(Error::Integrity("too many entries".into()));
        }
        let mut p = Public::default();
        for _ in 0..n {
            let tag = r.u8()?;
            if tag == 1 && !p.acl.is_empty() {
                return Err(Error::Integrity(
                    "key bundles must precede ACL changes".into(),
                ));
            }
            match tag {
                1 => p.bundles.push(KeyBundle {
                    recipient: Uuid::from_bytes(r.array()?),
                    enc: r.array()?,
                    ct: r.bytes(64 * 1024)?.to_vec(),
                }),
                2 => p.acl.push(AclChange::Add {
                    device_id: Uuid::from_bytes(r.array()?),
                    auth_pk: r.array()?,
                    manager: match r.u8()? {
                        0 => false,
                        1 => true,
                        _ => return Err(Error::Integrity("bad manager flag".into())),
                    },
                }),
                3 => p.acl.push(AclChange::Remove {
                    device_id: Uuid::from_bytes(r.array()?),
                }),
                4 => p.acl.push(AclChange::Invite {
                    invite_id: Uuid::from_bytes(r.array()?),
                    token_hash: r.array()?,
                    expires_ms: r.i64()?,
                }),
                5 => p.acl.push(AclChange::AddService {
                    device_id: Uuid::from_bytes(r.array()?),
                    auth_pk: r.array()?,
                    expires_ms: r.i64()?,
                }),
                _ => return Err(Error::Integrity("unknown public entry".into())),
            }
        }
        r.finish()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Public {
        Public {
            bundles: vec![KeyBundle {
                recipient: Uuid::from_u128(1),
                enc: [2; crate::crypto::HPKE_ENC_LEN],
                ct: vec![3; 48],
            }],
            acl: vec![
                AclChange::Add {
                    device_id: Uuid::from_u128(4),
                    auth_pk: [5; 32],
                    manager: true,
                },
                AclChange::Remove {
                    device_id: Uuid::from_u128(6),
                },
                AclChange::Invite {
                    invite_id: Uuid::from_u128(7),
                    token_hash: [8; 32],
                    expires_ms: 9,
                },
                AclChange::AddService {
                    device_id: Uuid::from_u128(10),
                    auth_pk: [11; 32],
                    expires_ms: 12,
                },
            ],
        }
    }

    #[test]
    fn every_entry_kind_round_trips() {
        let p = every_kind();
        let mut w = Writer::new();
        p.encode(&mut w).expect("encode");
        assert_eq!(Public::decode(w.as_slice()).expect("decode"), p);
    }

    #[test]
    fn bundles_after_acl_changes_are_refused() {
        let mut w = Writer::new();
        w.u16(2).u8(3).raw(Uuid::from_u128(6).as_bytes());
        w.u8(1)
            .raw(Uuid::from_u128(1).as_bytes())
            .raw(&[2; crate::crypto::HPKE_ENC_LEN])
            .bytes(&[3; 48]);
        assert!(Public::decode(w.as_slice()).is_err());
    }
}
