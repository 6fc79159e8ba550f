//! `Grant`: a vault admin gives an active member a role in the vault (a service identity: read
//! only). A member new to the vault is handed every key of it.

use uuid::Uuid;

use super::{Ctx, Effect, Judged, broken, forbid};
use crate::error::Result;
use crate::event::VaultRole;
use crate::state::TeamState;

/// A vault role to give.
pub(in crate::state) struct NewGrant {
    vault: Uuid,
    device: Uuid,
    role: VaultRole,
}

pub(super) fn judge(cx: &Ctx, vault_id: Uuid, device_id: Uuid, role: VaultRole) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    cx.author_vault(
        &vault_id,
        VaultRole::Admin,
        "grants access to an unknown vault",
        "only a vault admin may grant access",
    )?;
    let grantee = cx
        .st
        .active_member(&device_id)
        .ok_or_else(|| broken("grants access to a device that is not an active member"))?;
    if grantee.is_service() && role != VaultRole::Read {
        return Err(forbid("a service identity can only be given read access"));
    }
    Ok(Effect::Grant(NewGrant {
        vault: vault_id,
        device: device_id,
        role,
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, e: NewGrant) {
    if let Some(v) = st.vaults.get_mut(&e.vault) {
        v.access.insert(e.device, e.role);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::{Payload, VaultRole};

    #[test]
    fn vault_admins_may_grant() {
        let w = World::new();
        let denied = "only a vault admin may grant access";
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
            let payload = Payload::Grant {
                vault_id: w.vault,
                device_id: w.id(Who::Outsider),
                role: VaultRole::Write,
            };
            w.judge(who, payload, vec![]).assert(who, &expect);
        }
    }

    #[test]
    fn who_may_be_granted_what() {
        let w = World::new();
        for (grantee, role, expect) in [
            (Who::Outsider, VaultRole::Read, Expect::Applies),
            (Who::Reader, VaultRole::Admin, Expect::Applies),
            (Who::Service, VaultRole::Read, Expect::Applies),
            (
                Who::Service,
                VaultRole::Write,
                Expect::No("a service identity can only be given read access"),
            ),
            (
                Who::Removed,
                VaultRole::Read,
                Expect::No("grants access to a device that is not an active member"),
            ),
            (
                Who::Unknown,
                VaultRole::Read,
                Expect::No("grants access to a device that is not an active member"),
            ),
        ] {
            let payload = Payload::Grant {
                vault_id: w.vault,
                device_id: w.id(grantee),
                role,
            };
            w.judge(Who::Owner, payload, vec![])
                .assert(grantee, &expect);
        }
    }
}
