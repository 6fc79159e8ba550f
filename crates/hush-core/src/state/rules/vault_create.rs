//! `VaultCreate`: any active member may create a vault, at key epoch 0; its author becomes the
//! vault's admin and is handed its key.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::KeyScope;
use crate::state::{TeamState, VaultState};

/// A new vault.
pub(in crate::state) struct NewVault {
    id: Uuid,
    name_ct: Vec<u8>,
    key_epoch: u32,
}

pub(super) fn judge(
    cx: &Ctx,
    vault_id: Uuid,
    key_epoch: u32,
    name_ct: &[u8],
    key_commit: [u8; 32],
) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    if cx.st.vaults.contains_key(&vault_id) {
        return Err(broken("vault created twice"));
    }
    if key_epoch != 0 {
        return Err(broken("a new vault starts at key epoch 0"));
    }
    Ok(Judged {
        effect: Effect::Vault(NewVault {
            id: vault_id,
            name_ct: name_ct.to_vec(),
            key_epoch,
        }),
        commits: vec![((KeyScope::Vault(vault_id), 0), key_commit)],
    })
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: NewVault) {
    st.vaults.insert(
        e.id,
        VaultState::created(e.id, e.name_ct, e.key_epoch, at.author),
    );
    st.open_vault(e.id);
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::{KeyScope, Payload};
    use crate::secret::Key32;
    use uuid::Uuid;

    #[test]
    fn every_active_person_may_create_a_vault() {
        let w = World::new();
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (Who::Admin, Expect::Applies),
            (Who::VaultAdmin, Expect::Applies),
            (Who::Member, Expect::Applies),
            (Who::Reader, Expect::Applies),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            let vault_id = Uuid::new_v4();
            let key = Key32::random();
            let payload = Payload::VaultCreate {
                vault_id,
                key_epoch: 0,
                name_ct: vec![1, 2, 3],
                key_commit: w.st.commit_to(KeyScope::Vault(vault_id), 0, &key),
            };
            w.judge(who, payload, vec![]).assert(who, &expect);
        }
    }

    #[test]
    fn a_vault_is_created_once_at_epoch_zero() {
        let w = World::new();
        let create = |vault_id, key_epoch| Payload::VaultCreate {
            vault_id,
            key_epoch,
            name_ct: vec![1],
            key_commit: [0; 32],
        };
        w.judge(Who::Member, create(w.vault, 0), vec![])
            .assert(Who::Member, &Expect::No("vault created twice"));
        w.judge(Who::Member, create(Uuid::new_v4(), 1), vec![])
            .assert(
                Who::Member,
                &Expect::No("a new vault starts at key epoch 0"),
            );
    }
}
