//! A decrypted event body and its canonical encoding: `tag:u8 time_ms:i64` then the payload's fields.

use std::ops::RangeInclusive;

use uuid::Uuid;
use zeroize::Zeroizing;

use super::payload::{
    MAX_SERVICE_VAULTS, MAX_USAGE_ITEMS, MAX_WITNESS_URL, Payload, PutKind, UsageAction,
};
use super::roles::{TeamRole, VaultRole};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::identity::DeviceCert;

/// A decrypted event body: author's timestamp plus payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Author's clock, milliseconds since the Unix epoch (informational, not trusted for order).
    pub time_ms: i64,
    /// The change.
    pub payload: Payload,
}

/// Largest ciphertext field (sealed names, metadata, values, notes) in a body.
const MAX_CT: usize = 2 * 1024 * 1024;

/// Most vaults one [`Payload::Remove`] re-keys.
const MAX_REKEYED: usize = 100_000;

/// The first byte of a body: which [`Payload`] follows.
mod tag {
    pub const TEAM_CREATE: u8 = 1;
    pub const VAULT_CREATE: u8 = 2;
    pub const SECRET_PUT: u8 = 3;
    pub const SECRET_DELETE: u8 = 4;
    pub const INVITE_CREATE: u8 = 5;
    pub const ADMIT: u8 = 6;
    pub const REMOVE: u8 = 7;
    pub const GRANT: u8 = 8;
    pub const REVOKE: u8 = 9;
    pub const SERVICE_CREATE: u8 = 10;
    pub const LEAKED: u8 = 11;
    pub const USAGE: u8 = 12;
    pub const WITNESS_ADD: u8 = 13;
    pub const WITNESS_REMOVE: u8 = 14;
}

/// Writes `count:u32` then each item.
fn write_list<T>(w: &mut Writer, items: &[T], mut item: impl FnMut(&mut Writer, &T)) {
    w.u32(items.len() as u32);
    for x in items {
        item(w, x);
    }
}

/// Reads `count:u32` then each item, refusing a count outside `allowed` with `Integrity(what)`.
fn read_list<T>(
    r: &mut Reader<'_>,
    allowed: RangeInclusive<usize>,
    what: &str,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = r.u32()? as usize;
    if !allowed.contains(&n) {
        return Err(Error::Integrity(what.into()));
    }
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

/// Reads a 16-byte id.
fn uuid(r: &mut Reader<'_>) -> Result<Uuid> {
    Ok(Uuid::from_bytes(r.array()?))
}

impl Body {
    /// Canonical encoding.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.u8(self.payload.tag()).i64(self.time_ms);
        match &self.payload {
            Payload::TeamCreate {
                name,
                creator,
                log_commit,
            } => {
                w.str(name);
                creator.encode(&mut w);
                w.raw(log_commit);
            }
            Payload::VaultCreate {
                vault_id,
                key_epoch,
                name_ct,
                key_commit,
            } => {
                w.raw(vault_id.as_bytes())
                    .u32(*key_epoch)
                    .bytes(name_ct)
                    .raw(key_commit);
            }
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
                w.raw(vault_id.as_bytes())
                    .raw(item_id.as_bytes())
                    .u32(*version)
                    .u32(*base_version)
                    .u32(*key_epoch)
                    .u8(kind.to_u8())
                    .bytes(meta_ct)
                    .bytes(value_ct);
            }
            Payload::SecretDelete {
                vault_id,
                item_id,
                version,
            } => {
                w.raw(vault_id.as_bytes())
                    .raw(item_id.as_bytes())
                    .u32(*version);
            }
            Payload::InviteCreate {
                invite_id,
                role,
                expires_ms,
            } => {
                w.raw(invite_id.as_bytes())
                    .u8(role.to_u8())
                    .i64(*expires_ms);
            }
            Payload::Admit {
                invite_id,
                member,
                role,
                proof,
            } => {
                w.raw(invite_id.as_bytes());
                member.encode(&mut w);
                w.u8(role.to_u8()).raw(proof);
            }
            Payload::Remove {
                device_id,
                new_log_epoch,
                log_commit,
                rekeyed,
            } => {
                w.raw(device_id.as_bytes())
                    .u32(*new_log_epoch)
                    .raw(log_commit);
                write_list(&mut w, rekeyed, |w, (v, e, c)| {
                    w.raw(v.as_bytes()).u32(*e).raw(c);
                });
            }
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => {
                w.raw(vault_id.as_bytes())
                    .raw(device_id.as_bytes())
                    .u8(role.to_u8());
            }
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                key_commit,
            } => {
                w.raw(vault_id.as_bytes())
                    .raw(device_id.as_bytes())
                    .u32(*new_epoch)
                    .raw(key_commit);
            }
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => {
                member.encode(&mut w);
                write_list(&mut w, vaults, |w, v| {
                    w.raw(v.as_bytes());
                });
                w.i64(*expires_ms);
            }
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => {
                w.raw(vault_id.as_bytes())
                    .raw(item_id.as_bytes())
                    .u32(*version)
                    .u32(*key_epoch)
                    .bytes(note_ct);
            }
            Payload::Usage {
                vault_id,
                action,
                items,
            } => {
                w.raw(vault_id.as_bytes()).u8(action.to_u8());
                write_list(&mut w, items, |w, (item, version)| {
                    w.raw(item.as_bytes()).u32(*version);
                });
            }
            Payload::WitnessAdd { url, key } => {
                w.str(url).raw(key);
            }
            Payload::WitnessRemove { key } => {
                w.raw(key);
            }
        }
        w.into_zeroizing()
    }

    /// Decodes a body, refusing unknown tags and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "event body");
        let tag = r.u8()?;
        let time_ms = r.i64()?;
        let payload = Payload::decode(tag, &mut r)?;
        r.finish()?;
        Ok(Body { time_ms, payload })
    }
}

impl Payload {
    /// The tag the encoding of this payload starts with.
    fn tag(&self) -> u8 {
        match self {
            Payload::TeamCreate { .. } => tag::TEAM_CREATE,
            Payload::VaultCreate { .. } => tag::VAULT_CREATE,
            Payload::SecretPut { .. } => tag::SECRET_PUT,
            Payload::SecretDelete { .. } => tag::SECRET_DELETE,
            Payload::InviteCreate { .. } => tag::INVITE_CREATE,
            Payload::Admit { .. } => tag::ADMIT,
            Payload::Remove { .. } => tag::REMOVE,
            Payload::Grant { .. } => tag::GRANT,
            Payload::Revoke { .. } => tag::REVOKE,
            Payload::ServiceCreate { .. } => tag::SERVICE_CREATE,
            Payload::Leaked { .. } => tag::LEAKED,
            Payload::Usage { .. } => tag::USAGE,
            Payload::WitnessAdd { .. } => tag::WITNESS_ADD,
            Payload::WitnessRemove { .. } => tag::WITNESS_REMOVE,
        }
    }

    /// Reads the fields of the payload whose tag is `code`.
    fn decode(code: u8, r: &mut Reader<'_>) -> Result<Self> {
        Ok(match code {
            tag::TEAM_CREATE => Payload::TeamCreate {
                name: r.str(crate::identity::MAX_NAME_LEN)?.to_owned(),
                creator: DeviceCert::decode(r)?,
                log_commit: r.array()?,
            },
            tag::VAULT_CREATE => Payload::VaultCreate {
                vault_id: uuid(r)?,
                key_epoch: r.u32()?,
                name_ct: r.bytes(MAX_CT)?.to_vec(),
                key_commit: r.array()?,
            },
            tag::SECRET_PUT => Payload::SecretPut {
                vault_id: uuid(r)?,
                item_id: uuid(r)?,
                version: r.u32()?,
                base_version: r.u32()?,
                key_epoch: r.u32()?,
                kind: PutKind::from_u8(r.u8()?)?,
                meta_ct: r.bytes(MAX_CT)?.to_vec(),
                value_ct: r.bytes(MAX_CT)?.to_vec(),
            },
            tag::SECRET_DELETE => Payload::SecretDelete {
                vault_id: uuid(r)?,
                item_id: uuid(r)?,
                version: r.u32()?,
            },
            tag::INVITE_CREATE => Payload::InviteCreate {
                invite_id: uuid(r)?,
                role: TeamRole::from_u8(r.u8()?)?,
                expires_ms: r.i64()?,
            },
            tag::ADMIT => Payload::Admit {
                invite_id: uuid(r)?,
                member: DeviceCert::decode(r)?,
                role: TeamRole::from_u8(r.u8()?)?,
                proof: r.array()?,
            },
            tag::REMOVE => Payload::Remove {
                device_id: uuid(r)?,
                new_log_epoch: r.u32()?,
                log_commit: r.array()?,
                rekeyed: read_list(r, 0..=MAX_REKEYED, "too many re-keyed vaults", |r| {
                    Ok((uuid(r)?, r.u32()?, r.array()?))
                })?,
            },
            tag::GRANT => Payload::Grant {
                vault_id: uuid(r)?,
                device_id: uuid(r)?,
                role: VaultRole::from_u8(r.u8()?)?,
            },
            tag::REVOKE => Payload::Revoke {
                vault_id: uuid(r)?,
                device_id: uuid(r)?,
                new_epoch: r.u32()?,
                key_commit: r.array()?,
            },
            tag::SERVICE_CREATE => Payload::ServiceCreate {
                member: DeviceCert::decode(r)?,
                vaults: read_list(
                    r,
                    0..=MAX_SERVICE_VAULTS,
                    "too many vaults for a service",
                    uuid,
                )?,
                expires_ms: r.i64()?,
            },
            tag::LEAKED => Payload::Leaked {
                vault_id: uuid(r)?,
                item_id: uuid(r)?,
                version: r.u32()?,
                key_epoch: r.u32()?,
                note_ct: r.bytes(MAX_CT)?.to_vec(),
            },
            tag::USAGE => Payload::Usage {
                vault_id: uuid(r)?,
                action: UsageAction::from_u8(r.u8()?)?,
                items: read_list(
                    r,
                    1..=MAX_USAGE_ITEMS,
                    "bad number of secrets in a usage record",
                    |r| Ok((uuid(r)?, r.u32()?)),
                )?,
            },
            tag::WITNESS_ADD => Payload::WitnessAdd {
                url: r.str(MAX_WITNESS_URL)?.to_owned(),
                key: r.array()?,
            },
            tag::WITNESS_REMOVE => Payload::WitnessRemove { key: r.array()? },
            _ => return Err(Error::Integrity(format!("unknown event type {code}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DeviceIdentity;

    /// One payload of every kind, in tag order.
    fn every_kind() -> Vec<Payload> {
        let cert = DeviceIdentity::generate("ci").expect("identity").cert();
        let (v, i, d) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        vec![
            Payload::TeamCreate {
                name: "acme".into(),
                creator: cert.clone(),
                log_commit: [4; 32],
            },
            Payload::VaultCreate {
                vault_id: v,
                key_epoch: 5,
                name_ct: vec![6; 40],
                key_commit: [7; 32],
            },
            Payload::SecretPut {
                vault_id: v,
                item_id: i,
                version: 2,
                base_version: 1,
                key_epoch: 5,
                kind: PutKind::Rotation,
                meta_ct: vec![8; 41],
                value_ct: vec![9; 42],
            },
            Payload::SecretDelete {
                vault_id: v,
                item_id: i,
                version: 2,
            },
            Payload::InviteCreate {
                invite_id: i,
                role: TeamRole::Admin,
                expires_ms: 10,
            },
            Payload::Admit {
                invite_id: i,
                member: cert.clone(),
                role: TeamRole::Member,
                proof: [11; 32],
            },
            Payload::Remove {
                device_id: d,
                new_log_epoch: 12,
                log_commit: [13; 32],
                rekeyed: vec![(v, 14, [15; 32]), (i, 16, [17; 32])],
            },
            Payload::Grant {
                vault_id: v,
                device_id: d,
                role: VaultRole::Write,
            },
            Payload::Revoke {
                vault_id: v,
                device_id: d,
                new_epoch: 18,
                key_commit: [19; 32],
            },
            Payload::ServiceCreate {
                member: cert,
                vaults: vec![v, i],
                expires_ms: 20,
            },
            Payload::Leaked {
                vault_id: v,
                item_id: i,
                version: 2,
                key_epoch: 5,
                note_ct: vec![21; 43],
            },
            Payload::Usage {
                vault_id: v,
                action: UsageAction::Backup,
                items: vec![(i, 2)],
            },
            Payload::WitnessAdd {
                url: "https://witness.example".into(),
                key: [22; 32],
            },
            Payload::WitnessRemove { key: [23; 32] },
        ]
    }

    #[test]
    fn every_payload_round_trips_behind_its_tag() {
        for (payload, tag) in every_kind().into_iter().zip(1u8..) {
            let body = Body {
                time_ms: 1_700_000_000_000,
                payload,
            };
            let bytes = body.encode();
            assert_eq!(bytes[0], tag);
            assert_eq!(bytes[1..9], body.time_ms.to_be_bytes());
            assert_eq!(Body::decode(&bytes).expect("decode"), body);
            let mut longer = bytes.to_vec();
            longer.push(0);
            assert!(
                Body::decode(&longer).is_err(),
                "trailing byte after tag {tag}"
            );
        }
    }

    #[test]
    fn list_counts_out_of_bounds_are_refused() {
        let usage = |n: u32| {
            let mut w = Writer::new();
            w.u8(tag::USAGE).i64(0).raw(&[1; 16]).u8(0).u32(n);
            for _ in 0..n {
                w.raw(&[2; 16]).u32(1);
            }
            Body::decode(w.as_slice())
        };
        assert!(usage(1).is_ok());
        assert!(usage(0).is_err());
        let mut w = Writer::new();
        w.u8(tag::REMOVE).i64(0).raw(&[1; 16]).u32(1).raw(&[3; 32]);
        w.u32(MAX_REKEYED as u32 + 1);
        assert!(Body::decode(w.as_slice()).is_err());
    }

    #[test]
    fn unknown_tags_and_codes_are_refused() {
        let mut w = Writer::new();
        w.u8(15).i64(0);
        assert!(Body::decode(w.as_slice()).is_err());
        let mut w = Writer::new();
        w.u8(tag::GRANT).i64(0).raw(&[1; 16]).raw(&[2; 16]).u8(0);
        assert!(Body::decode(w.as_slice()).is_err());
    }
}
