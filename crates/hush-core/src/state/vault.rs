//! Vaults as the projection holds them: who may do what, the items with every version, what is
//! exposed, and opening what this device holds the keys for.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::TeamState;
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{KeyScope, PutKind, VaultRole};
use crate::item::{ItemMeta, ItemSlot, vault_name_ad};
use crate::secret::{Key32, SecretString};

/// Why a secret must be rotated at its provider.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Exposure {
    /// Since when.
    pub since_ms: i64,
    /// The current version when it became exposed; a newer version clears the exposure.
    pub at_version: u32,
    /// Who could read it and lost access (display name), or another reason.
    pub reason: String,
    /// True for a leak report (only the reported version is exposed); false when someone who
    /// could read every version up to `at_version` lost access.
    #[serde(default)]
    pub leak: bool,
}

/// One version of a secret.
#[derive(Clone, Debug)]
pub struct Version {
    /// Version number, from 1.
    pub version: u32,
    /// The version its author was editing.
    pub base_version: u32,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author device.
    pub author: Uuid,
    /// Set or rotation.
    pub kind: PutKind,
    /// Vault key epoch of the ciphertexts.
    pub key_epoch: u32,
    /// Decrypted metadata, once this device holds the key.
    pub meta: Option<ItemMeta>,
    /// Sealed metadata.
    pub meta_ct: Vec<u8>,
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
    /// Versions written concurrently that a person has not resolved yet (the current one
    /// included). Empty when there is no conflict.
    pub conflict: Vec<u32>,
    /// Set when the value must be rotated.
    pub exposed: Option<Exposure>,
}

impl Item {
    /// The newest version.
    pub fn current(&self) -> &Version {
        // Items are created with a first version and versions are never removed.
        &self.versions[self.versions.len() - 1]
    }

    /// The current metadata (present when the vault is readable).
    pub fn meta(&self) -> Option<&ItemMeta> {
        self.current().meta.as_ref()
    }

    /// The current name, when readable.
    pub fn name(&self) -> Option<&str> {
        self.meta().map(|m| m.name.as_str())
    }
}

/// A vault, readable or not.
#[derive(Clone, Debug)]
pub struct VaultState {
    /// Vault id.
    pub id: Uuid,
    /// Vault name, once this device holds its key.
    pub name: Option<String>,
    name_ct: Vec<u8>,
    name_epoch: u32,
    /// Current key epoch.
    pub key_epoch: u32,
    /// Who may do what.
    pub access: BTreeMap<Uuid, VaultRole>,
    /// Creating device.
    pub created_by: Uuid,
    /// Items by id.
    pub items: HashMap<Uuid, Item>,
    by_name: HashMap<String, Uuid>,
    /// The name each item is indexed under (so re-indexing one item is O(1)).
    indexed_as: HashMap<Uuid, String>,
}

impl VaultState {
    /// A new vault, its name sealed under the key of `key_epoch`, administered by its creator.
    pub(super) fn created(id: Uuid, name_ct: Vec<u8>, key_epoch: u32, created_by: Uuid) -> Self {
        Self {
            id,
            name: None,
            name_ct,
            name_epoch: key_epoch,
            key_epoch,
            access: BTreeMap::from([(created_by, VaultRole::Admin)]),
            created_by,
            items: HashMap::new(),
            by_name: HashMap::new(),
            indexed_as: HashMap::new(),
        }
    }

    /// True when this device can read the vault.
    pub fn readable(&self) -> bool {
        self.name.is_some()
    }

    /// The live (not deleted) item with this name.
    pub fn find(&self, name: &str) -> Option<&Item> {
        self.by_name.get(name).and_then(|id| self.items.get(id))
    }

    /// Live readable items, sorted by name.
    pub fn live_items(&self) -> Vec<&Item> {
        let mut v: Vec<&Item> = self
            .items
            .values()
            .filter(|i| !i.deleted && i.meta().is_some())
            .collect();
        v.sort_by(|a, b| a.name().cmp(&b.name()));
        v
    }

    /// Re-indexes one item under its current name (or drops it from the index).
    pub(super) fn index(&mut self, item: Uuid) {
        let Some(it) = self.items.get(&item) else {
            return;
        };
        let name = it.name().map(str::to_owned);
        let deleted = it.deleted;
        if let Some(old) = self.indexed_as.remove(&item)
            && self.by_name.get(&old) == Some(&item)
        {
            self.by_name.remove(&old);
        }
        if let (Some(n), false) = (name, deleted) {
            self.by_name.insert(n.clone(), item);
            self.indexed_as.insert(item, n);
        }
    }

    /// Marks every live item exposed (someone who could read them lost access), keeping the
    /// earliest reason of an exposure that is still unresolved.
    pub(super) fn expose_all(&mut self, time: i64, reason: &str) {
        for item in self.items.values_mut().filter(|i| !i.deleted) {
            let at_version = item.current().version;
            if item.exposed.is_none() {
                item.exposed = Some(Exposure {
                    since_ms: time,
                    at_version,
                    reason: reason.to_owned(),
                    leak: false,
                });
            }
        }
    }
}

impl TeamState {
    /// The slot of `version` of an item of this team, sealed under the vault key of `key_epoch`.
    pub fn item_slot(
        &self,
        vault_id: Uuid,
        item_id: Uuid,
        version: u32,
        key_epoch: u32,
    ) -> ItemSlot {
        ItemSlot::new(self.team_id, vault_id, item_id, version, key_epoch)
    }

    /// The vault key a slot is sealed under, when this device holds it.
    pub fn slot_key(&self, slot: &ItemSlot) -> Option<&Key32> {
        self.key(KeyScope::Vault(slot.vault_id), slot.key_epoch)
    }

    /// Opens a version's value.
    pub fn open_value(
        &self,
        vault: &VaultState,
        item: &Item,
        version: &Version,
    ) -> Result<SecretString> {
        let slot = self.item_slot(vault.id, item.id, version.version, version.key_epoch);
        let key = self.slot_key(&slot).ok_or_else(|| {
            Error::Forbidden("this device holds no key for that vault epoch".into())
        })?;
        slot.open_value(key, &version.value_ct)
    }

    /// Opens whatever of a vault became readable with the keys now held.
    pub(super) fn open_vault(&mut self, vault_id: Uuid) {
        let team_id = self.team_id;
        let keys = &self.keys;
        let Some(v) = self.vaults.get_mut(&vault_id) else {
            return;
        };
        if v.name.is_none()
            && let Some(k) = keys.get(&(KeyScope::Vault(vault_id), v.name_epoch))
        {
            let ad = vault_name_ad(&team_id, &vault_id, v.name_epoch);
            v.name = crypto::open(k, &ad, &v.name_ct, "vault name")
                .ok()
                .and_then(|p| String::from_utf8(p.to_vec()).ok())
                .filter(|n| crate::item::validate_name(n, "vault").is_ok());
        }
        let mut changed = Vec::new();
        for item in v.items.values_mut() {
            for ver in item.versions.iter_mut().filter(|x| x.meta.is_none()) {
                if let Some(k) = keys.get(&(KeyScope::Vault(vault_id), ver.key_epoch)) {
                    let slot =
                        ItemSlot::new(team_id, vault_id, item.id, ver.version, ver.key_epoch);
                    ver.meta = slot.open_meta(k, &ver.meta_ct).ok();
                }
            }
            changed.push(item.id);
        }
        for id in changed {
            v.index(id);
        }
    }
}

/// Whether `new` repeats the value of a version the item's exposure covers (the reported one for
/// a leak; every version up to it when someone who could read them lost access). Such a write
/// does not clear the exposure: the exposed value is still in use. Only readers can compare;
/// others do not see the item at all.
pub(super) fn repeats_exposed(
    team_id: Uuid,
    vault_id: Uuid,
    keys: &HashMap<(KeyScope, u32), Key32>,
    item: &Item,
    new: &Version,
) -> bool {
    let Some(exp) = &item.exposed else {
        return false;
    };
    let open = |v: &Version| {
        let key = keys.get(&(KeyScope::Vault(vault_id), v.key_epoch))?;
        ItemSlot::new(team_id, vault_id, item.id, v.version, v.key_epoch)
            .open_value(key, &v.value_ct)
            .ok()
    };
    let Some(value) = open(new) else {
        return false;
    };
    item.versions
        .iter()
        .filter(|v| {
            if exp.leak {
                v.version == exp.at_version
            } else {
                v.version <= exp.at_version
            }
        })
        .filter_map(open)
        .any(|old| crypto::ct_eq(old.expose().as_bytes(), value.expose().as_bytes()))
}
