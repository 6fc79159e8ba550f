//! `SecretDelete`: marks a secret deleted (its history stays). Writers and vault admins only,
//! and only on the current version, so a delete never hides an edit its author did not see.

use uuid::Uuid;

use super::{Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::VaultRole;
use crate::state::TeamState;

/// A secret to mark deleted.
pub(in crate::state) struct Delete {
    vault: Uuid,
    item: Uuid,
}

pub(super) fn judge(cx: &Ctx, vault_id: Uuid, item_id: Uuid, version: u32) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    let vault = cx.author_vault(
        &vault_id,
        VaultRole::Write,
        "deletes in an unknown vault",
        "author may not write to this vault",
    )?;
    let item = vault
        .items
        .get(&item_id)
        .ok_or_else(|| broken("deletes an unknown secret"))?;
    if item.current().version != version {
        return Err(broken("deletes a version that is not current"));
    }
    Ok(Effect::Delete(Delete {
        vault: vault_id,
        item: item_id,
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, e: Delete) {
    if let Some(v) = st.vaults.get_mut(&e.vault) {
        if let Some(i) = v.items.get_mut(&e.item) {
            i.deleted = true;
            i.conflict.clear();
        }
        v.index(e.item);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::Payload;
    use uuid::Uuid;

    #[test]
    fn writers_and_vault_admins_may_delete_the_current_version() {
        let w = World::new();
        let delete = |item_id, version| Payload::SecretDelete {
            vault_id: w.vault,
            item_id,
            version,
        };
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
            w.judge(who, delete(w.item, 1), vec![]).assert(who, &expect);
        }
        w.judge(Who::Member, delete(w.item, 2), vec![]).assert(
            Who::Member,
            &Expect::No("deletes a version that is not current"),
        );
        w.judge(Who::Member, delete(Uuid::new_v4(), 1), vec![])
            .assert(Who::Member, &Expect::No("deletes an unknown secret"));
    }
}
