//! The projection: a team's current state, computed by replaying its event log.
//!
//! Applying an event is two steps. [`TeamState::check`] verifies everything without touching the
//! state (continuity of `seq`/`prev`, the author's membership and signature, the epoch, decryption
//! of the body and of any metadata, the preconditions of the change) and returns a [`Checked`]
//! value that only it can build. [`TeamState::commit`] then applies that value and cannot fail, so
//! a bad event never leaves a half-applied state behind.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::event::{Body, GrantedKey, KeyScope, Payload, PutKind, SignedEvent};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::item::{ItemMeta, ItemSlot, vault_name_ad};
use crate::secret::{Key32, SecretString};

/// A member's role in a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Created the team.
    Owner,
    /// Manages members and vaults.
    Admin,
    /// Ordinary member.
    Member,
}

/// A device that belongs to the team.
#[derive(Clone, Debug)]
pub struct Member {
    /// Its certificate.
    pub cert: DeviceCert,
    /// Its role.
    pub role: TeamRole,
}

/// One version of a secret.
#[derive(Clone, Debug)]
pub struct Version {
    /// Version number, from 1.
    pub version: u32,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author device.
    pub author: Uuid,
    /// Set or rotation.
    pub kind: PutKind,
    /// Vault key epoch of the ciphertexts.
    pub key_epoch: u32,
    /// Decrypted metadata.
    pub meta: ItemMeta,
    /// Sealed value (opened on demand).
    pub value_ct: Vec<u8>,
    /// Log position of the event that wrote it.
    pub seq: u64,
}

/// A secret and its history.
#[derive(Clone, Debug)]
pub struct Item {
    /// Item id.
    pub id: Uuid,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
    /// Deleted flag (the history stays).
    pub deleted: bool,
}

impl Item {
    /// The newest version.
    pub fn current(&self) -> &Version {
        // Items are created with a first version and versions are never removed.
        &self.versions[self.versions.len() - 1]
    }
}

/// A vault this device can read.
#[derive(Clone, Debug)]
pub struct VaultState {
    /// Vault id.
    pub id: Uuid,
    /// Vault name.
    pub name: String,
    /// Current key epoch.
    pub key_epoch: u32,
    /// Items by id.
    pub items: HashMap<Uuid, Item>,
    by_name: HashMap<String, Uuid>,
}

impl VaultState {
    /// The live (not deleted) item with this name.
    pub fn find(&self, name: &str) -> Option<&Item> {
        self.by_name.get(name).and_then(|id| self.items.get(id))
    }

    /// Live items, sorted by name.
    pub fn live_items(&self) -> Vec<&Item> {
        let mut v: Vec<&Item> = self.items.values().filter(|i| !i.deleted).collect();
        v.sort_by(|a, b| a.current().meta.name.cmp(&b.current().meta.name));
        v
    }
}

/// A team's state as of its head.
pub struct TeamState {
    /// Team id.
    pub team_id: Uuid,
    /// Team name (from the creation event).
    pub name: String,
    /// Highest applied (seq, hash).
    pub head: Option<(u64, [u8; 32])>,
    /// Current log-key epoch.
    pub log_epoch: u32,
    /// Members by device id.
    pub members: BTreeMap<Uuid, Member>,
    /// Readable vaults by id.
    pub vaults: BTreeMap<Uuid, VaultState>,
    /// Creation time.
    pub created_ms: i64,
    keys: HashMap<(KeyScope, u32), Key32>,
}

/// An event that passed every check; only [`TeamState::check`] builds one.
pub struct Checked {
    seq: u64,
    hash: [u8; 32],
    body: Body,
    author: Uuid,
    keys: Vec<GrantedKey>,
    effect: Effect,
}

enum Effect {
    Team {
        name: String,
        creator: DeviceCert,
    },
    Vault {
        id: Uuid,
        name: String,
        key_epoch: u32,
    },
    Put {
        vault: Uuid,
        item: Uuid,
        version: Version,
    },
    Delete {
        vault: Uuid,
        item: Uuid,
    },
    Unreadable,
}

impl Checked {
    /// The decrypted body.
    pub fn body(&self) -> &Body {
        &self.body
    }
}

impl TeamState {
    /// An empty state awaiting the team's first event.
    pub fn new(team_id: Uuid) -> Self {
        Self {
            team_id,
            name: String::new(),
            head: None,
            log_epoch: 0,
            members: BTreeMap::new(),
            vaults: BTreeMap::new(),
            created_ms: 0,
            keys: HashMap::new(),
        }
    }

    /// A key this device holds.
    pub fn key(&self, scope: KeyScope, epoch: u32) -> Option<&Key32> {
        self.keys.get(&(scope, epoch))
    }

    /// The next sequence number and the prev hash for a new event.
    pub fn next_position(&self) -> (u64, [u8; 32]) {
        match self.head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (0, [0; 32]),
        }
    }

    /// Verifies `ev` against this state. `verify_signature` may be false only for events read
    /// back from the local store, whose integrity is covered by the MAC-protected checkpoint.
    pub fn check(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<Checked> {
        let env = &ev.envelope;
        let at =
            |what: &str| Error::Integrity(format!("event {} of the team log: {what}", env.seq));
        if env.team_id != self.team_id {
            return Err(at("belongs to another team"));
        }
        let (want_seq, want_prev) = self.next_position();
        if env.seq != want_seq {
            return Err(at(&format!("out of sequence (expected {want_seq})")));
        }
        if env.prev != want_prev {
            return Err(at("does not extend the previous event (hash chain broken)"));
        }
        let mut keys = Vec::new();
        for b in ev.bundles.iter().filter(|b| b.recipient == me.device_id) {
            keys.extend(b.open(&env.team_id, &env.author, me.encryption_secret())?);
        }
        let key_of = |scope: KeyScope, epoch: u32| {
            keys.iter()
                .find(|k| k.scope == scope && k.epoch == epoch)
                .map(|k| &k.key)
                .or_else(|| self.keys.get(&(scope, epoch)))
        };
        if env.epoch < self.log_epoch {
            return Err(at("sealed under an old log-key epoch"));
        }
        let log_key = key_of(KeyScope::Log, env.epoch)
            .ok_or_else(|| at("this device holds no log key for its epoch"))?;
        let body = ev.open_body(log_key)?;

        let author_cert = match (&body.payload, env.seq) {
            (Payload::TeamCreate { creator, .. }, 0) => {
                if creator.device_id != env.author {
                    return Err(at("team creator is not the author"));
                }
                creator
            }
            (Payload::TeamCreate { .. }, _) => return Err(at("a team can be created only once")),
            (_, 0) => return Err(at("the first event must create the team")),
            _ => {
                &self
                    .members
                    .get(&env.author)
                    .ok_or_else(|| at("author is not a member of the team"))?
                    .cert
            }
        };
        if verify_signature || env.seq == 0 {
            ev.verify_signature(&author_cert.sign_pk)?;
        }

        let effect = match &body.payload {
            Payload::TeamCreate { name, creator } => Effect::Team {
                name: name.clone(),
                creator: creator.clone(),
            },
            Payload::VaultCreate {
                vault_id,
                key_epoch,
                name_ct,
            } => {
                if self.vaults.contains_key(vault_id) {
                    return Err(at("vault created twice"));
                }
                match key_of(KeyScope::Vault(*vault_id), *key_epoch) {
                    None => Effect::Unreadable,
                    Some(k) => {
                        let ad = vault_name_ad(&self.team_id, vault_id, *key_epoch);
                        let plain = crate::crypto::open(k, &ad, name_ct, "vault name")?;
                        let name = std::str::from_utf8(&plain)
                            .map_err(|_| at("vault name is not UTF-8"))?
                            .to_owned();
                        crate::item::validate_name(&name, "vault")?;
                        Effect::Vault {
                            id: *vault_id,
                            name,
                            key_epoch: *key_epoch,
                        }
                    }
                }
            }
            Payload::SecretPut {
                vault_id,
                item_id,
                version,
                key_epoch,
                kind,
                meta_ct,
                value_ct,
            } => match self.vaults.get(vault_id) {
                None => Effect::Unreadable,
                Some(vault) => {
                    if *key_epoch != vault.key_epoch {
                        return Err(at("written under an old vault-key epoch"));
                    }
                    let expected = vault
                        .items
                        .get(item_id)
                        .map_or(1, |i| i.current().version + 1);
                    if *version != expected {
                        return Err(at(&format!(
                            "version {version} does not follow (expected {expected})"
                        )));
                    }
                    let key = key_of(KeyScope::Vault(*vault_id), *key_epoch)
                        .ok_or_else(|| at("no key for the vault epoch"))?;
                    let slot = ItemSlot {
                        team_id: self.team_id,
                        vault_id: *vault_id,
                        item_id: *item_id,
                        version: *version,
                        key_epoch: *key_epoch,
                    };
                    let meta = slot.open_meta(key, meta_ct)?;
                    meta.validate()?;
                    Effect::Put {
                        vault: *vault_id,
                        item: *item_id,
                        version: Version {
                            version: *version,
                            time_ms: body.time_ms,
                            author: env.author,
                            kind: *kind,
                            key_epoch: *key_epoch,
                            meta,
                            value_ct: value_ct.clone(),
                            seq: env.seq,
                        },
                    }
                }
            },
            Payload::SecretDelete {
                vault_id,
                item_id,
                version,
            } => match self.vaults.get(vault_id) {
                None => Effect::Unreadable,
                Some(vault) => {
                    let item = vault
                        .items
                        .get(item_id)
                        .ok_or_else(|| at("deletes an unknown secret"))?;
                    if item.current().version != *version {
                        return Err(at("deletes a version that is not current"));
                    }
                    Effect::Delete {
                        vault: *vault_id,
                        item: *item_id,
                    }
                }
            },
        };
        Ok(Checked {
            seq: env.seq,
            hash: ev.hash(),
            author: env.author,
            body,
            keys,
            effect,
        })
    }

    /// Applies a checked event. Cannot fail.
    pub fn commit(&mut self, checked: Checked) {
        for k in checked.keys {
            self.keys.insert((k.scope, k.epoch), k.key);
        }
        match checked.effect {
            Effect::Team { name, creator } => {
                self.name = name;
                self.created_ms = checked.body.time_ms;
                self.members.insert(
                    creator.device_id,
                    Member {
                        cert: creator,
                        role: TeamRole::Owner,
                    },
                );
            }
            Effect::Vault {
                id,
                name,
                key_epoch,
            } => {
                self.vaults.insert(
                    id,
                    VaultState {
                        id,
                        name,
                        key_epoch,
                        items: HashMap::new(),
                        by_name: HashMap::new(),
                    },
                );
            }
            Effect::Put {
                vault,
                item,
                version,
            } => {
                if let Some(v) = self.vaults.get_mut(&vault) {
                    let name = version.meta.name.clone();
                    let entry = v.items.entry(item).or_insert_with(|| Item {
                        id: item,
                        versions: Vec::new(),
                        deleted: false,
                    });
                    // A rename frees the old name.
                    if let Some(prev) = entry.versions.last()
                        && prev.meta.name != name
                        && v.by_name.get(&prev.meta.name) == Some(&item)
                    {
                        v.by_name.remove(&prev.meta.name);
                    }
                    entry.versions.push(version);
                    entry.deleted = false;
                    v.by_name.insert(name, item);
                }
            }
            Effect::Delete { vault, item } => {
                if let Some(v) = self.vaults.get_mut(&vault)
                    && let Some(i) = v.items.get_mut(&item)
                {
                    i.deleted = true;
                    let name = &i.current().meta.name;
                    if v.by_name.get(name) == Some(&item) {
                        v.by_name.remove(name);
                    }
                }
            }
            Effect::Unreadable => {}
        }
        let _ = checked.author;
        self.head = Some((checked.seq, checked.hash));
    }

    /// Checks and applies in one call.
    pub fn apply(
        &mut self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<()> {
        let c = self.check(ev, me, verify_signature)?;
        self.commit(c);
        Ok(())
    }

    /// Opens a version's value.
    pub fn open_value(
        &self,
        vault: &VaultState,
        item: &Item,
        version: &Version,
    ) -> Result<SecretString> {
        let key = self
            .keys
            .get(&(KeyScope::Vault(vault.id), version.key_epoch))
            .ok_or_else(|| {
                Error::Forbidden("this device holds no key for that vault epoch".into())
            })?;
        ItemSlot {
            team_id: self.team_id,
            vault_id: vault.id,
            item_id: item.id,
            version: version.version,
            key_epoch: version.key_epoch,
        }
        .open_value(key, &version.value_ct)
    }
}
