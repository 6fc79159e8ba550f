//! A session's secrets: setting a value (a new version sealed under the vault key), reading,
//! listing, history and deleting.

use uuid::Uuid;

use super::{MetaUpdate, SecretInfo, Session, VersionInfo};
use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::{KeyScope, Payload, Public, PutKind};
use crate::item::ItemMeta;
use crate::secret::SecretString;
use crate::state::{Item, TeamState, VaultState};

/// The `SecretPut` of the next version of `item_id` in vault `v` of team state `st`, sealed under
/// the vault's current key (the caller has checked write access). Returns it with its version.
pub(crate) fn seal_put(
    st: &TeamState,
    v: &crate::state::VaultState,
    item_id: Uuid,
    base_version: u32,
    kind: PutKind,
    meta: &ItemMeta,
    value: &SecretString,
) -> Result<(Payload, u32)> {
    let key_epoch = v.key_epoch;
    let version = v.items.get(&item_id).map_or(1, |i| i.current().version + 1);
    let key = st
        .key(KeyScope::Vault(v.id), key_epoch)
        .ok_or_else(|| Error::Forbidden("this device holds no key for the vault".into()))?;
    let slot = st.item_slot(v.id, item_id, version, key_epoch);
    let payload = Payload::SecretPut {
        vault_id: v.id,
        item_id,
        version,
        base_version,
        key_epoch,
        kind,
        meta_ct: slot.seal_meta(key, meta),
        value_ct: slot.seal_value(key, value),
    };
    Ok((payload, version))
}

impl Session {
    pub(crate) fn lookup(
        &self,
        team: Option<&str>,
        addr: &Address,
    ) -> Result<(Uuid, Uuid, Option<Uuid>)> {
        let (tid, vid) = self.locate_vault(team, addr.team.as_deref(), &addr.vault)?;
        let (_, v) = self.vault_ref(tid, vid);
        Ok((tid, vid, v.find(&addr.name).map(|i| i.id)))
    }

    fn not_found(addr: &Address) -> Error {
        Error::NotFound(format!("secret `{addr}`"))
    }

    /// Sets a secret's value (creating it, or adding a version) and updates its metadata.
    pub async fn set(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        value: &SecretString,
        update: MetaUpdate,
        kind: PutKind,
    ) -> Result<u32> {
        if value.len() > crate::item::MAX_VALUE_LEN {
            return Err(Error::Invalid("the value is larger than 1 MiB".into()));
        }
        let (tid, vid, item) = self.lookup(team, addr)?;
        let (_, v) = self.vault_ref(tid, vid);
        let (item_id, base_version, mut meta) = match item {
            Some(id) => {
                let cur = v.items[&id].current();
                (id, cur.version, cur.meta.clone().unwrap_or_default())
            }
            None => {
                // A deleted secret of the same name is revived with its history.
                let dead = v
                    .items
                    .values()
                    .find(|i| i.deleted && i.name() == Some(addr.name.as_str()));
                match dead {
                    Some(i) => (
                        i.id,
                        i.current().version,
                        i.meta().cloned().unwrap_or_default(),
                    ),
                    None => (
                        Uuid::new_v4(),
                        0,
                        ItemMeta {
                            name: addr.name.clone(),
                            ..ItemMeta::default()
                        },
                    ),
                }
            }
        };
        if let Some(n) = update.note {
            meta.note = n;
        }
        if let Some(t) = update.tags {
            meta.tags = t;
        }
        if let Some(u) = update.url {
            meta.url = Some(u).filter(|u| !u.is_empty());
        }
        if let Some(s) = update.scope {
            meta.scope = Some(s).filter(|s| !s.is_empty());
        }
        if let Some(e) = update.expires {
            meta.expires = Some(e).filter(|e| !e.is_empty());
        }
        if let Some(r) = update.rotate_every_days {
            meta.rotate_every_days = Some(r);
        }
        meta.validate()?;
        self.put_item(tid, vid, item_id, base_version, &meta, value, kind)
            .await
    }

    /// Builds the payload of a new version of an item at the current head.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build_put(
        &self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        base_version: u32,
        meta: &ItemMeta,
        value: &SecretString,
        kind: PutKind,
    ) -> Result<(Payload, u32)> {
        let (st, v) = self.vault_ref(tid, vid);
        if !matches!(
            v.access.get(&self.identity.device_id),
            Some(crate::event::VaultRole::Write | crate::event::VaultRole::Admin)
        ) {
            return Err(Error::Forbidden(format!(
                "you have read-only access to vault `{}`",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        seal_put(st, v, item_id, base_version, kind, meta, value)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn put_item(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        base_version: u32,
        meta: &ItemMeta,
        value: &SecretString,
        kind: PutKind,
    ) -> Result<u32> {
        let (payload, version) =
            self.build_put(tid, vid, item_id, base_version, meta, value, kind)?;
        self.append(tid, payload, Public::default()).await?;
        Ok(version)
    }

    pub(crate) fn find_item(
        &self,
        team: Option<&str>,
        addr: &Address,
    ) -> Result<(&TeamState, &VaultState, &Item)> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let (st, v) = self.vault_ref(tid, vid);
        let id = item.ok_or_else(|| Self::not_found(addr))?;
        Ok((st, v, &v.items[&id]))
    }

    /// A secret's current value.
    pub fn get(&self, team: Option<&str>, addr: &Address) -> Result<SecretString> {
        let (st, v, item) = self.find_item(team, addr)?;
        st.open_value(v, item, item.current())
    }

    /// Resolves a `hush://` reference.
    pub fn resolve_reference(&self, team: Option<&str>, reference: &str) -> Result<SecretString> {
        let addr = Address::parse_reference(reference)?;
        self.get(team, &addr).map_err(|e| match e {
            // Hinted or not (a missing vault carries one): the reference is what was not found.
            e if e.code() == crate::error::ErrorCode::NotFound => {
                Error::NotFound(format!("reference `{reference}`"))
            }
            other => other,
        })
    }

    pub(crate) fn secret_info(st: &TeamState, v: &VaultState, item: &Item) -> SecretInfo {
        let cur = item.current();
        SecretInfo {
            team: st.name.clone(),
            vault: v.name.clone().unwrap_or_default(),
            name: item.name().unwrap_or_default().to_owned(),
            version: cur.version,
            updated_ms: cur.time_ms,
            meta: cur.meta.clone().unwrap_or_default(),
            exposed: item.exposed.clone(),
            conflict: item.conflict.clone(),
        }
    }

    /// Live secrets of one vault, or of every vault of the active team.
    pub fn list(&self, team: Option<&str>, vault: Option<&str>) -> Result<Vec<SecretInfo>> {
        let mut out = Vec::new();
        match vault {
            Some(name) => {
                let (tid, vid) = self.locate_vault(team, None, name)?;
                let (st, v) = self.vault_ref(tid, vid);
                out.extend(
                    v.live_items()
                        .into_iter()
                        .map(|i| Self::secret_info(st, v, i)),
                );
            }
            None => {
                let tid = self.active_team(team)?;
                let st = &self.teams[&tid].state;
                let mut vaults: Vec<&VaultState> = st.vaults.values().collect();
                vaults.sort_by(|a, b| a.name.cmp(&b.name));
                for v in vaults {
                    out.extend(
                        v.live_items()
                            .into_iter()
                            .map(|i| Self::secret_info(st, v, i)),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Every live secret of a vault with its value (for `hush run --vault`).
    pub fn vault_values(
        &self,
        team: Option<&str>,
        vault: &str,
    ) -> Result<Vec<(String, SecretString)>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let (st, v) = self.vault_ref(tid, vid);
        v.live_items()
            .into_iter()
            .map(|i| {
                Ok((
                    i.name().unwrap_or_default().to_owned(),
                    st.open_value(v, i, i.current())?,
                ))
            })
            .collect()
    }

    /// A secret's versions, newest first; values only when `reveal`.
    pub fn history(
        &self,
        team: Option<&str>,
        addr: &Address,
        reveal: bool,
    ) -> Result<Vec<VersionInfo>> {
        let (st, v, item) = self.find_item(team, addr)?;
        item.versions
            .iter()
            .rev()
            .map(|ver| {
                Ok(VersionInfo {
                    version: ver.version,
                    time_ms: ver.time_ms,
                    author: st
                        .members
                        .get(&ver.author)
                        .map_or_else(|| ver.author.to_string(), |m| m.cert.name.clone()),
                    kind: ver.kind,
                    value: if reveal {
                        Some(st.open_value(v, item, ver)?)
                    } else {
                        None
                    },
                })
            })
            .collect()
    }

    /// Marks a secret deleted (history is kept in the log).
    pub async fn remove(&mut self, team: Option<&str>, addr: &Address) -> Result<()> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let id = item.ok_or_else(|| Self::not_found(addr))?;
        let version = self.vault_ref(tid, vid).1.items[&id].current().version;
        let payload = Payload::SecretDelete {
            vault_id: vid,
            item_id: id,
            version,
        };
        self.append(tid, payload, Public::default()).await
    }
}
