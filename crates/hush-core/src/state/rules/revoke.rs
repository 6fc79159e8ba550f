//! `Revoke`: a vault admin takes a device's access to the vault. The revocation starts the
//! vault's next key epoch (handed to everyone who keeps access); what the vault holds becomes
//! exposed.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::{KeyScope, VaultRole};
use crate::state::TeamState;

/// Access to take, with the key epoch it starts.
pub(in crate::state) struct Revocation {
    vault: Uuid,
    device: Uuid,
    new_epoch: u32,
}

pub(super) fn judge(
    cx: &Ctx,
    vault_id: Uuid,
    device_id: Uuid,
    new_epoch: u32,
    key_commit: [u8; 32],
) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    let vault = cx.author_vault(
        &vault_id,
        VaultRole::Admin,
        "revokes access to an unknown vault",
        "only a vault admin may revoke access",
    )?;
    if !vault.access.contains_key(&device_id) {
        return Err(broken("revokes access the device does not have"));
    }
    if new_epoch != vault.key_epoch + 1 {
        return Err(broken("revocation must start the next key epoch"));
    }
    Ok(Judged {
        effect: Effect::Revoke(Revocation {
            vault: vault_id,
            device: device_id,
            new_epoch,
        }),
        commits: vec![((KeyScope::Vault(vault_id), new_epoch), key_commit)],
    })
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Revocation) {
    let who = st.display_name(&e.device);
    if let Some(v) = st.vaults.get_mut(&e.vault) {
        v.access.remove(&e.device);
        v.key_epoch = e.new_epoch;
        v.expose_all(at.time_ms, &format!("{who} lost access to the vault"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::Payload;

    #[test]
    fn vault_admins_may_revoke() {
        let w = World::new();
        let denied = "only a vault admin may revoke access";
        let revoke = |device, new_epoch| Payload::Revoke {
            vault_id: w.vault,
            device_id: w.id(device),
            new_epoch,
            key_commit: [3; 32],
        };
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (Who::Admin, Expect::No(denied)),
            (Who::VaultAdmin, Expect::Applies),
            (Who::Member, Expect::No(denied)),
            (Who::Reader, Expect::No(denied)),
            (Who::Outsider, Expect::No(denied)),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            w.judge(who, revoke(Who::Reader, 1), vec![])
                .assert(who, &expect);
        }
        w.judge(Who::Owner, revoke(Who::Outsider, 1), vec![])
            .assert(
                Who::Owner,
                &Expect::No("revokes access the device does not have"),
            );
        w.judge(Who::Owner, revoke(Who::Reader, 2), vec![]).assert(
            Who::Owner,
            &Expect::No("revocation must start the next key epoch"),
        );
    }
}
