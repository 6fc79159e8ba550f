//! The signed, hash-chained event log: wire format v2.
//!
//! Every change to a team is an event. The same bytes are stored locally and (with the relay)
//! carried between devices, so the format separates what a relay may see from what it may not:
//!
//! ```text
//! event   = version:u8(=2) team_id:[16] seq:u64 prev:[32] epoch:u32 author:[16]
//!           public_len:u32 public  body_len:u32 body  sig:[64]
//! public  = count:u16 entry*      (key bundles, then ACL changes the relay must know about)
//! body    = nonce:[24] XChaCha20-Poly1305(log_key[epoch], pad(plain), ad = "hush/v1/event-body" || header||public)
//! sig     = Ed25519(author, "hush/v1/event-sig" || every byte before sig)
//! hash    = SHA-256("hush/v1/event-hash" || every byte of the event)
//! ```
//!
//! `prev` is the hash of the previous event of the team (all zeros for `seq = 0`). The relay sees
//! the envelope (team, seq, prev, epoch, author, sizes) and the recipients of key bundles; the body
//! (names, values, roles, timestamps) is sealed under the team's log key. Key bundles carry keys to
//! devices with HPKE and are readable only by their recipient; they sit outside the body because a
//! newly admitted device must read its bundle before it holds the log key. `docs/PROTOCOL.md` is the
//! normative description; its test vectors are checked by `tests/protocol_vectors.rs`.

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::crypto::{self, HpkeSecret};
use crate::error::{Error, Result};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::secret::Key32;

/// Wire format version.
pub const EVENT_VERSION: u8 = 2;
/// Largest event accepted, in bytes.
pub const MAX_EVENT_LEN: usize = 4 * 1024 * 1024;
/// Length of the fixed header: version, team, seq, prev, epoch, author.
pub const HEADER_LEN: usize = header::AUTHOR.end;

/// Where each field of the fixed header lies in an event's bytes (the envelope is encoded first,
/// in this order). Tools and tests that look into raw events use these, never their own numbers.
pub mod header {
    use std::ops::Range;

    /// The wire format version byte.
    pub const VERSION: usize = 0;
    /// Team id.
    pub const TEAM: Range<usize> = 1..17;
    /// Position in the log (big-endian u64).
    pub const SEQ: Range<usize> = 17..25;
    /// Hash of the previous event.
    pub const PREV: Range<usize> = 25..57;
    /// Log-key epoch (big-endian u32).
    pub const EPOCH: Range<usize> = 57..61;
    /// The signing device.
    pub const AUTHOR: Range<usize> = 61..77;
}
/// Largest number of key bundles in one event.
pub const MAX_BUNDLES: usize = 4096;

const BUNDLE_INFO: &[u8] = b"hush/v2/key-bundle";

/// The relay-visible header of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Team the event belongs to.
    pub team_id: Uuid,
    /// Position in the team log, from 0.
    pub seq: u64,
    /// Hash of the previous event (zeros for seq 0).
    pub prev: [u8; 32],
    /// Log-key epoch the body is sealed under.
    pub epoch: u32,
    /// Device that signed the event.
    pub author: Uuid,
}

impl Envelope {
    fn encode(&self, w: &mut Writer) {
        w.u8(EVENT_VERSION)
            .raw(self.team_id.as_bytes())
            .u64(self.seq)
            .raw(&self.prev)
            .u32(self.epoch)
            .raw(self.author.as_bytes());
    }
}

/// Which key a [`GrantedKey`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyScope {
    /// The team log key (seals event bodies).
    Log,
    /// A vault key (seals items of that vault).
    Vault(Uuid),
}

/// A key handed to a device inside a key bundle.
#[derive(Clone, Debug)]
pub struct GrantedKey {
    /// What the key is for.
    pub scope: KeyScope,
    /// Its epoch.
    pub epoch: u32,
    /// The key.
    pub key: Key32,
}

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
}

fn bundle_aad(at: &BundlePlace, recipient: &Uuid) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(at.team_id.as_bytes())
        .u64(at.seq)
        .raw(&at.prev)
        .raw(at.author.as_bytes())
        .raw(recipient.as_bytes());
    w.into_vec()
}

/// The commitment to a key that the event starting its epoch carries in its signed body:
/// `H("hush/v2/key-commit", team_id || scope:u8 || vault_id(16, zeros for the log) || epoch:u32 || key)`.
/// A device accepts a key from a bundle only if it matches the commitment for its scope and
/// epoch, so nobody can plant a key of their choosing.
pub fn key_commit(team_id: &Uuid, scope: KeyScope, epoch: u32, key: &Key32) -> [u8; 32] {
    let (tag, vault) = match scope {
        KeyScope::Log => (0u8, [0u8; 16]),
        KeyScope::Vault(v) => (1u8, *v.as_bytes()),
    };
    crypto::hash(
        b"hush/v2/key-commit",
        &[
            team_id.as_bytes(),
            &[tag],
            &vault,
            &epoch.to_be_bytes(),
            key.expose_bytes(),
        ],
    )
}

impl KeyBundle {
    /// Seals `keys` to `recipient`.
    pub fn seal(at: &BundlePlace, recipient: &DeviceCert, keys: &[GrantedKey]) -> Result<Self> {
        let mut w = Writer::new();
        w.u16(u16::try_from(keys.len()).map_err(|_| Error::Invalid("too many keys".into()))?);
        for k in keys {
            match k.scope {
                KeyScope::Log => w.u8(0).raw(&[0u8; 16]),
                KeyScope::Vault(v) => w.u8(1).raw(v.as_bytes()),
            };
            w.u32(k.epoch).raw(k.key.expose_bytes());
        }
        let plain = w.into_zeroizing();
        let aad = bundle_aad(at, &recipient.device_id);
        let (enc, ct) = crypto::hpke_seal(&recipient.enc_pk, BUNDLE_INFO, &aad, &plain)?;
        Ok(Self {
            recipient: recipient.device_id,
            enc,
            ct,
        })
    }

    /// Opens a bundle addressed to this device.
    pub fn open(&self, at: &BundlePlace, secret: &HpkeSecret) -> Result<Vec<GrantedKey>> {
        let aad = bundle_aad(at, &self.recipient);
        let plain = crypto::hpke_open(secret, &self.enc, BUNDLE_INFO, &aad, &self.ct)?;
        let mut r = Reader::new(&plain, "key bundle");
        let n = r.u16()?;
        let mut keys = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let scope = match r.u8()? {
                0 => {
                    r.array::<16>()?;
                    KeyScope::Log
                }
                1 => KeyScope::Vault(Uuid::from_bytes(r.array()?)),
                _ => return Err(Error::Integrity("unknown key scope in bundle".into())),
            };
            let epoch = r.u32()?;
            let key = Key32::from_bytes(*Zeroizing::new(r.array::<32>()?));
            keys.push(GrantedKey { scope, epoch, key });
        }
        r.finish()?;
        Ok(keys)
    }
}

/// A member's role in a team.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Created the team; cannot be removed by admins.
    Owner,
    /// Invites, admits and removes members.
    Admin,
    /// Ordinary member.
    Member,
    /// A non-human (CI/CD) identity: read-only on the vaults it was created for, never writes,
    /// expires. Created by [`Payload::ServiceCreate`], never through an invite.
    Service,
}

impl TeamRole {
    fn to_u8(self) -> u8 {
        match self {
            TeamRole::Owner => 0,
            TeamRole::Admin => 1,
            TeamRole::Member => 2,
            TeamRole::Service => 3,
        }
    }

    fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(TeamRole::Owner),
            1 => Ok(TeamRole::Admin),
            2 => Ok(TeamRole::Member),
            3 => Ok(TeamRole::Service),
            _ => Err(Error::Integrity("unknown team role".into())),
        }
    }

    /// Owners and admins manage membership.
    pub fn is_manager(self) -> bool {
        matches!(self, TeamRole::Owner | TeamRole::Admin)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Admin => "admin",
            TeamRole::Member => "member",
            TeamRole::Service => "service",
        }
    }
}

/// A member's access to one vault.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VaultRole {
    /// Can decrypt the vault's secrets.
    Read,
    /// Can also change them.
    Write,
    /// Can also grant and revoke access.
    Admin,
}

impl VaultRole {
    fn to_u8(self) -> u8 {
        match self {
            VaultRole::Read => 1,
            VaultRole::Write => 2,
            VaultRole::Admin => 3,
        }
    }

    fn from_u8(v: u8) -> Result<Self> {
        match v {
            1 => Ok(VaultRole::Read),
            2 => Ok(VaultRole::Write),
            3 => Ok(VaultRole::Admin),
            _ => Err(Error::Integrity("unknown vault role".into())),
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            VaultRole::Read => "read",
            VaultRole::Write => "write",
            VaultRole::Admin => "admin",
        }
    }

    /// Parses `read`, `write` or `admin`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "read" => Ok(VaultRole::Read),
            "write" => Ok(VaultRole::Write),
            "admin" => Ok(VaultRole::Admin),
            _ => Err(Error::Invalid(format!(
                "unknown vault role {s:?}: use read, write or admin"
            ))),
        }
    }
}

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

    fn encode(&self, w: &mut Writer) -> Result<()> {
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

    fn decode(bytes: &[u8]) -> Result<Self> {
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

/// What kind of new value a [`Payload::SecretPut`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PutKind {
    /// An ordinary create or edit.
    Set,
    /// A rotation of the value at the provider.
    Rotation,
}

/// How a member read secrets, as recorded by a [`Payload::Usage`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum UsageAction {
    /// `hush get`.
    Get,
    /// Injected into a program (`hush run`).
    Run,
    /// Rendered into a template (`hush inject`).
    Inject,
    /// Shown on screen (desktop reveal).
    Reveal,
    /// Copied to the clipboard (desktop).
    Copy,
    /// Old values shown (`hush history --reveal`).
    History,
    /// Written out in plaintext (`hush export --plaintext`).
    Export,
    /// Copied into an encrypted backup (`hush backup`).
    Backup,
}

impl UsageAction {
    /// The wire code.
    pub fn to_u8(self) -> u8 {
        match self {
            UsageAction::Get => 0,
            UsageAction::Run => 1,
            UsageAction::Inject => 2,
            UsageAction::Reveal => 3,
            UsageAction::Copy => 4,
            UsageAction::History => 5,
            UsageAction::Export => 6,
            UsageAction::Backup => 7,
        }
    }

    /// Parses a wire code, refusing unknown ones.
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(UsageAction::Get),
            1 => Ok(UsageAction::Run),
            2 => Ok(UsageAction::Inject),
            3 => Ok(UsageAction::Reveal),
            4 => Ok(UsageAction::Copy),
            5 => Ok(UsageAction::History),
            6 => Ok(UsageAction::Export),
            7 => Ok(UsageAction::Backup),
            _ => Err(Error::Integrity("unknown usage action".into())),
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageAction::Get => "get",
            UsageAction::Run => "run",
            UsageAction::Inject => "inject",
            UsageAction::Reveal => "reveal",
            UsageAction::Copy => "copy",
            UsageAction::History => "history",
            UsageAction::Export => "export",
            UsageAction::Backup => "backup",
        }
    }
}

/// Most secrets one [`Payload::Usage`] event lists.
pub const MAX_USAGE_ITEMS: usize = 4096;

/// The sealed content of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// First event of a team.
    TeamCreate {
        /// Team name.
        name: String,
        /// The creating device (becomes owner).
        creator: DeviceCert,
        /// [`key_commit`] of the log key of epoch 0.
        log_commit: [u8; 32],
    },
    /// A new vault; its name is sealed under the vault key.
    VaultCreate {
        /// Vault id.
        vault_id: Uuid,
        /// Vault key epoch the name is sealed under.
        key_epoch: u32,
        /// Sealed name.
        name_ct: Vec<u8>,
        /// [`key_commit`] of the vault key of epoch 0.
        key_commit: [u8; 32],
    },
    /// A new version of a secret.
    SecretPut {
        /// Vault id.
        vault_id: Uuid,
        /// Item id.
        item_id: Uuid,
        /// Version number (1 for a new item).
        version: u32,
        /// The version the author was editing (0 for a new item). When it is not the item's
        /// current version at this point of the log, two edits were concurrent: the item is
        /// flagged as in conflict until a person resolves it.
        base_version: u32,
        /// Vault key epoch the ciphertexts are sealed under.
        key_epoch: u32,
        /// Set or rotation.
        kind: PutKind,
        /// Sealed [`crate::item::ItemMeta`].
        meta_ct: Vec<u8>,
        /// Sealed value.
        value_ct: Vec<u8>,
    },
    /// A secret marked deleted (its history stays).
    SecretDelete {
        /// Vault id.
        vault_id: Uuid,
        /// Item id.
        item_id: Uuid,
        /// The version current when it was deleted.
        version: u32,
    },
    /// An invite was issued (its secret never leaves the inviting device).
    InviteCreate {
        /// Invite id.
        invite_id: Uuid,
        /// Role the invitee will get.
        role: TeamRole,
        /// Expiry.
        expires_ms: i64,
    },
    /// A device joins the team through an invite.
    Admit {
        /// The invite it used.
        invite_id: Uuid,
        /// The new device.
        member: DeviceCert,
        /// Its role.
        role: TeamRole,
        /// HMAC under a key derived from the invite secret: proves to the joiner that the admitting
        /// device knew the secret (a relay cannot forge an admission into a fake team).
        proof: [u8; 32],
    },
    /// A device leaves the team; the log key and the keys of every vault it could read rotate.
    Remove {
        /// The removed device.
        device_id: Uuid,
        /// New log-key epoch.
        new_log_epoch: u32,
        /// [`key_commit`] of the new log key.
        log_commit: [u8; 32],
        /// Vaults re-keyed, with their new epochs and the [`key_commit`] of each new key.
        rekeyed: Vec<(Uuid, u32, [u8; 32])>,
    },
    /// A member gets (or changes) access to a vault.
    Grant {
        /// Vault.
        vault_id: Uuid,
        /// Member device.
        device_id: Uuid,
        /// Role.
        role: VaultRole,
    },
    /// A member loses access to a vault; its key rotates.
    Revoke {
        /// Vault.
        vault_id: Uuid,
        /// Member device.
        device_id: Uuid,
        /// New vault-key epoch.
        new_epoch: u32,
        /// [`key_commit`] of the new vault key.
        key_commit: [u8; 32],
    },
    /// A team manager creates a service (CI/CD) identity: a member with role
    /// [`TeamRole::Service`], read access to exactly `vaults`, and an expiry. Its private keys
    /// were generated on the author's device and leave it only inside the printed token.
    ServiceCreate {
        /// The service's certificate (its display name is the service name).
        member: DeviceCert,
        /// Vaults it may read.
        vaults: Vec<Uuid>,
        /// Expiry, milliseconds since the Unix epoch.
        expires_ms: i64,
    },
    /// A member who can read a vault reports a secret's value as leaked: the item becomes
    /// exposed until a newer version is written.
    Leaked {
        /// Vault.
        vault_id: Uuid,
        /// Item.
        item_id: Uuid,
        /// The version reported (the current one when reported).
        version: u32,
        /// Vault key epoch the note is sealed under (the vault's current one).
        key_epoch: u32,
        /// The reporter's note, sealed under the vault key (see `item::seal_leak_note`).
        note_ct: Vec<u8>,
    },
    /// A member read secrets of a vault (best-effort record written by the reader's client).
    Usage {
        /// Vault.
        vault_id: Uuid,
        /// How they were read.
        action: UsageAction,
        /// (item id, version) of each secret read.
        items: Vec<(Uuid, u32)>,
    },
    /// A team manager makes a witness required for the team: every member's client checks the
    /// relay's log against the witness's co-signed head before storing or pushing (see
    /// [`crate::witness`]).
    WitnessAdd {
        /// Where the witness listens (`https://`, or `http://` to loopback).
        url: String,
        /// Its Ed25519 public key, pinned.
        key: [u8; 32],
    },
    /// A team manager stops requiring a witness.
    WitnessRemove {
        /// The witness key.
        key: [u8; 32],
    },
}

/// Longest witness URL in a [`Payload::WitnessAdd`].
pub const MAX_WITNESS_URL: usize = 2048;

/// Most vaults one service identity is created for.
pub const MAX_SERVICE_VAULTS: usize = 256;

/// A decrypted event body: author's timestamp plus payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Author's clock, milliseconds since the Unix epoch (informational, not trusted for order).
    pub time_ms: i64,
    /// The change.
    pub payload: Payload,
}

const MAX_CT: usize = 2 * 1024 * 1024;

impl Body {
    /// Canonical encoding.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        match &self.payload {
            Payload::TeamCreate {
                name,
                creator,
                log_commit,
            } => {
                w.u8(1).i64(self.time_ms).str(name);
                creator.encode(&mut w);
                w.raw(log_commit);
            }
            Payload::VaultCreate {
                vault_id,
                key_epoch,
                name_ct,
                key_commit,
            } => {
                w.u8(2)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
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
                w.u8(3)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
                    .raw(item_id.as_bytes())
                    .u32(*version)
                    .u32(*base_version)
                    .u32(*key_epoch)
                    .u8(match kind {
                        PutKind::Set => 0,
                        PutKind::Rotation => 1,
                    })
                    .bytes(meta_ct)
                    .bytes(value_ct);
            }
            Payload::SecretDelete {
                vault_id,
                item_id,
                version,
            } => {
                w.u8(4)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
                    .raw(item_id.as_bytes())
                    .u32(*version);
            }
            Payload::InviteCreate {
                invite_id,
                role,
                expires_ms,
            } => {
                w.u8(5)
                    .i64(self.time_ms)
                    .raw(invite_id.as_bytes())
                    .u8(role.to_u8())
                    .i64(*expires_ms);
            }
            Payload::Admit {
                invite_id,
                member,
                role,
                proof,
            } => {
                w.u8(6).i64(self.time_ms).raw(invite_id.as_bytes());
                member.encode(&mut w);
                w.u8(role.to_u8()).raw(proof);
            }
            Payload::Remove {
                device_id,
                new_log_epoch,
                log_commit,
                rekeyed,
            } => {
                w.u8(7)
                    .i64(self.time_ms)
                    .raw(device_id.as_bytes())
                    .u32(*new_log_epoch)
                    .raw(log_commit)
                    .u32(rekeyed.len() as u32);
                for (v, e, c) in rekeyed {
                    w.raw(v.as_bytes()).u32(*e).raw(c);
                }
            }
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => {
                w.u8(8)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
                    .raw(device_id.as_bytes())
                    .u8(role.to_u8());
            }
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                key_commit,
            } => {
                w.u8(9)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
                    .raw(device_id.as_bytes())
                    .u32(*new_epoch)
                    .raw(key_commit);
            }
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => {
                w.u8(10).i64(self.time_ms);
                member.encode(&mut w);
                w.u32(vaults.len() as u32);
                for v in vaults {
                    w.raw(v.as_bytes());
                }
                w.i64(*expires_ms);
            }
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => {
                w.u8(11)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
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
                w.u8(12)
                    .i64(self.time_ms)
                    .raw(vault_id.as_bytes())
                    .u8(action.to_u8())
                    .u32(items.len() as u32);
                for (item, version) in items {
                    w.raw(item.as_bytes()).u32(*version);
                }
            }
            Payload::WitnessAdd { url, key } => {
                w.u8(13).i64(self.time_ms).str(url).raw(key);
            }
            Payload::WitnessRemove { key } => {
                w.u8(14).i64(self.time_ms).raw(key);
            }
        }
        w.into_zeroizing()
    }

    /// Decodes a body, refusing unknown tags and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "event body");
        let tag = r.u8()?;
        let time_ms = r.i64()?;
        let payload = match tag {
            1 => Payload::TeamCreate {
                name: r.str(crate::identity::MAX_NAME_LEN)?.to_owned(),
                creator: DeviceCert::decode(&mut r)?,
                log_commit: r.array()?,
            },
            2 => Payload::VaultCreate {
                vault_id: Uuid::from_bytes(r.array()?),
                key_epoch: r.u32()?,
                name_ct: r.bytes(MAX_CT)?.to_vec(),
                key_commit: r.array()?,
            },
            3 => Payload::SecretPut {
                vault_id: Uuid::from_bytes(r.array()?),
                item_id: Uuid::from_bytes(r.array()?),
                version: r.u32()?,
                base_version: r.u32()?,
                key_epoch: r.u32()?,
                kind: match r.u8()? {
                    0 => PutKind::Set,
                    1 => PutKind::Rotation,
                    _ => return Err(Error::Integrity("unknown put kind".into())),
                },
                meta_ct: r.bytes(MAX_CT)?.to_vec(),
                value_ct: r.bytes(MAX_CT)?.to_vec(),
            },
            4 => Payload::SecretDelete {
                vault_id: Uuid::from_bytes(r.array()?),
                item_id: Uuid::from_bytes(r.array()?),
                version: r.u32()?,
            },
            5 => Payload::InviteCreate {
                invite_id: Uuid::from_bytes(r.array()?),
                role: TeamRole::from_u8(r.u8()?)?,
                expires_ms: r.i64()?,
            },
            6 => Payload::Admit {
                invite_id: Uuid::from_bytes(r.array()?),
                member: DeviceCert::decode(&mut r)?,
                role: TeamRole::from_u8(r.u8()?)?,
                proof: r.array()?,
            },
            7 => {
                let device_id = Uuid::from_bytes(r.array()?);
                let new_log_epoch = r.u32()?;
                let log_commit = r.array()?;
                let n = r.u32()? as usize;
                if n > 100_000 {
                    return Err(Error::Integrity("too many re-keyed vaults".into()));
                }
                let mut rekeyed = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    rekeyed.push((Uuid::from_bytes(r.array()?), r.u32()?, r.array()?));
                }
                Payload::Remove {
                    device_id,
                    new_log_epoch,
                    log_commit,
                    rekeyed,
                }
            }
            8 => Payload::Grant {
                vault_id: Uuid::from_bytes(r.array()?),
                device_id: Uuid::from_bytes(r.array()?),
                role: VaultRole::from_u8(r.u8()?)?,
            },
            9 => Payload::Revoke {
                vault_id: Uuid::from_bytes(r.array()?),
                device_id: Uuid::from_bytes(r.array()?),
                new_epoch: r.u32()?,
                key_commit: r.array()?,
            },
            10 => {
                let member = DeviceCert::decode(&mut r)?;
                let n = r.u32()? as usize;
                if n > MAX_SERVICE_VAULTS {
                    return Err(Error::Integrity("too many vaults for a service".into()));
                }
                let mut vaults = Vec::with_capacity(n);
                for _ in 0..n {
                    vaults.push(Uuid::from_bytes(r.array()?));
                }
                Payload::ServiceCreate {
                    member,
                    vaults,
                    expires_ms: r.i64()?,
                }
            }
            11 => Payload::Leaked {
                vault_id: Uuid::from_bytes(r.array()?),
                item_id: Uuid::from_bytes(r.array()?),
                version: r.u32()?,
                key_epoch: r.u32()?,
                note_ct: r.bytes(MAX_CT)?.to_vec(),
            },
            12 => {
                let vault_id = Uuid::from_bytes(r.array()?);
                let action = UsageAction::from_u8(r.u8()?)?;
                let n = r.u32()? as usize;
                if n == 0 || n > MAX_USAGE_ITEMS {
                    return Err(Error::Integrity(
                        "bad number of secrets in a usage record".into(),
                    ));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push((Uuid::from_bytes(r.array()?), r.u32()?));
                }
                Payload::Usage {
                    vault_id,
                    action,
                    items,
                }
            }
            13 => Payload::WitnessAdd {
                url: r.str(MAX_WITNESS_URL)?.to_owned(),
                key: r.array()?,
            },
            14 => Payload::WitnessRemove { key: r.array()? },
            _ => return Err(Error::Integrity(format!("unknown event type {tag}"))),
        };
        r.finish()?;
        Ok(Body { time_ms, payload })
    }
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
        let mut ad = b"hush/v1/event-body".to_vec();
        ad.extend_from_slice(w.as_slice());
        let sealed = crypto::seal_with_nonce(log_key, nonce, &ad, &crypto::pad(&body.encode()));
        w.bytes(&sealed);
        let signed_len = w.len();
        let mut msg = b"hush/v1/event-sig".to_vec();
        msg.extend_from_slice(w.as_slice());
        let sig = author.sign(&msg);
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
        if r.u8()? != EVENT_VERSION {
            return Err(Error::Integrity("unsupported event version".into()));
        }
        let envelope = Envelope {
            team_id: Uuid::from_bytes(r.array()?),
            seq: r.u64()?,
            prev: r.array()?,
            epoch: r.u32()?,
            author: Uuid::from_bytes(r.array()?),
        };
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
            hash: crypto::hash(b"hush/v1/event-hash", &[bytes]),
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
        let mut msg = b"hush/v1/event-sig".to_vec();
        msg.extend_from_slice(&self.bytes[..self.signed_len]);
        crate::identity::verify_signature(sign_pk, &msg, &self.sig).map_err(|_| {
            Error::Integrity(format!(
                "event {} of team {} has an invalid signature",
                self.envelope.seq, self.envelope.team_id
            ))
        })
    }

    /// Decrypts and decodes the body under the log key of the envelope's epoch.
    pub fn open_body(&self, log_key: &Key32) -> Result<Body> {
        let mut ad = b"hush/v1/event-body".to_vec();
        ad.extend_from_slice(&self.bytes[..self.body_ad_len]);
        let what = format!("event {} body", self.envelope.seq);
        let padded = crypto::open(log_key, &ad, &self.body, &what)?;
        Body::decode(crypto::unpad(&padded)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_offsets_are_where_the_envelope_is_encoded() {
        let env = Envelope {
            team_id: Uuid::from_u128(0x0102),
            seq: 0x0a0b,
            prev: [7; 32],
            epoch: 0x0c0d,
            author: Uuid::from_u128(0x0304),
        };
        let mut w = Writer::new();
        env.encode(&mut w);
        let b = w.into_vec();
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(b[header::VERSION], EVENT_VERSION);
        assert_eq!(&b[header::TEAM], env.team_id.as_bytes());
        assert_eq!(b[header::SEQ], env.seq.to_be_bytes());
        assert_eq!(b[header::PREV], env.prev);
        assert_eq!(b[header::EPOCH], env.epoch.to_be_bytes());
        assert_eq!(&b[header::AUTHOR], env.author.as_bytes());
    }

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
