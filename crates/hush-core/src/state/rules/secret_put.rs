//! `SecretPut`: a new version of a secret. Writers and vault admins only, under the vault's
//! current key epoch, numbered right after the current version. A version whose metadata does
//! not open is kept and reported as damaged (only readers can tell, so it cannot decide validity).
//! A new version clears an exposure unless it repeats an exposed value.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::{PutKind, VaultRole};
use crate::state::vault::repeats_exposed;
use crate::state::{Flagged, Item, TeamState, Version};

/// Where the new version goes: its vault, item, number, the version it was written on, and the
/// vault-key epoch it is sealed under.
pub(super) struct NewVersion {
    pub(super) vault_id: Uuid,
    pub(super) item_id: Uuid,
    pub(super) version: u32,
    pub(super) base_version: u32,
    pub(super) key_epoch: u32,
}

/// A version to add.
pub(in crate::state) struct Put {
    vault: Uuid,
    item: Uuid,
    version: Version,
    damaged: bool,
}

pub(super) fn judge(
    cx: &Ctx,
    new: NewVersion,
    kind: PutKind,
    meta_ct: &[u8],
    value_ct: &[u8],
) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    let vault = cx.author_vault(
        &new.vault_id,
        VaultRole::Write,
        "writes to an unknown vault",
        "author may not write to this vault",
    )?;
    if new.key_epoch != vault.key_epoch {
        return Err(broken("written under an old vault-key epoch"));
    }
    let expected = vault
        .items
        .get(&new.item_id)
        .map_or(1, |i| i.current().version + 1);
    if new.version != expected {
        return Err(broken(&format!(
            "version {} does not follow (expected {expected})",
            new.version
        )));
    }
    if new.base_version >= new.version {
        return Err(broken("base version is not older than the version"));
    }
    let slot = cx
        .st
        .item_slot(new.vault_id, new.item_id, new.version, new.key_epoch);
    // Only readers can open the metadata, so what they find cannot decide validity (non-readers
    // would disagree): a version that does not open is kept, and reported as damaged by its
    // author.
    let meta = cx.st.slot_key(&slot).map(|k| {
        slot.open_meta(k, meta_ct)
            .and_then(|m| m.validate().map(|()| m))
    });
    let (meta, damaged) = match meta {
        Some(Ok(m)) => (Some(m), false),
        Some(Err(_)) => (None, true),
        None => (None, false),
    };
    Ok(Effect::Put(Put {
        vault: new.vault_id,
        item: new.item_id,
        damaged,
        version: Version {
            version: new.version,
            base_version: new.base_version,
            time_ms: cx.time_ms,
            author: cx.author_id,
            kind,
            key_epoch: new.key_epoch,
            meta,
            meta_ct: meta_ct.to_vec(),
            value_ct: value_ct.to_vec(),
            seq: cx.seq,
        },
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Put) {
    let Put {
        vault,
        item,
        version,
        damaged,
    } = e;
    if damaged {
        st.damaged.push(Flagged {
            seq: at.seq,
            author: at.author,
            reason: format!(
                "version {} of a secret does not decrypt under its vault key",
                version.version
            ),
        });
    }
    let team_id = st.team_id;
    let keys = &st.keys;
    if let Some(v) = st.vaults.get_mut(&vault) {
        let entry = v.items.entry(item).or_insert_with(|| Item {
            id: item,
            versions: Vec::new(),
            deleted: false,
            conflict: Vec::new(),
            exposed: None,
        });
        let previous = entry.versions.last().map(|p| p.version);
        match previous {
            // Written on top of the version its author saw: resolves any conflict.
            Some(p) if p == version.base_version => entry.conflict.clear(),
            // Concurrent edits: the later one in log order is current, the other stays in
            // history and both are flagged until someone resolves them.
            Some(p) => {
                if !entry.conflict.contains(&p) {
                    entry.conflict.push(p);
                }
                entry.conflict.push(version.version);
            }
            None => {}
        }
        if entry
            .exposed
            .as_ref()
            .is_some_and(|e| version.version > e.at_version)
            && !repeats_exposed(team_id, vault, keys, entry, &version)
        {
            entry.exposed = None;
        }
        entry.versions.push(version);
        entry.deleted = false;
        v.index(item);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::{KeyScope, Payload, PutKind};
    use crate::item::ItemMeta;
    use crate::secret::SecretString;

    /// Version 2 of the world's secret, sealed properly, written on version `base`.
    fn next(w: &World, version: u32, base: u32, key_epoch: u32) -> Payload {
        let slot = w.st.item_slot(w.vault, w.item, version, key_epoch);
        let key = w.st.key(KeyScope::Vault(w.vault), 0).expect("vault key");
        let meta = ItemMeta {
            name: "K".into(),
            ..ItemMeta::default()
        };
        Payload::SecretPut {
            vault_id: w.vault,
            item_id: w.item,
            version,
            base_version: base,
            key_epoch,
            kind: PutKind::Set,
            meta_ct: slot.seal_meta(key, &meta),
            value_ct: slot.seal_value(key, &SecretString::new("new".into())),
        }
    }

    #[test]
    fn writers_and_vault_admins_may_write() {
        let w = World::new();
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (Who::Admin, Expect::Applies),
            (Who::VaultAdmin, Expect::Applies),
            (Who::Member, Expect::Applies),
            (
                Who::Reader,
                Expect::No("author may not write to this vault"),
            ),
            (
                Who::Outsider,
                Expect::No("author may not write to this vault"),
            ),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            w.judge(who, next(&w, 2, 1, 0), vec![]).assert(who, &expect);
        }
    }

    #[test]
    fn a_version_follows_the_current_one_under_the_current_key() {
        let w = World::new();
        w.judge(Who::Member, next(&w, 3, 1, 0), vec![]).assert(
            Who::Member,
            &Expect::No("version 3 does not follow (expected 2)"),
        );
        w.judge(Who::Member, next(&w, 2, 2, 0), vec![]).assert(
            Who::Member,
            &Expect::No("base version is not older than the version"),
        );
        w.judge(Who::Member, next(&w, 2, 1, 1), vec![]).assert(
            Who::Member,
            &Expect::No("written under an old vault-key epoch"),
        );
        // A concurrent edit (written on an older version) is valid: it is flagged as a
        // conflict when committed.
        w.judge(Who::Member, next(&w, 2, 0, 0), vec![])
            .assert(Who::Member, &Expect::Applies);
    }
}
