//! `ServiceCreate`: owners and admins create a read-only service (CI/CD) identity for distinct
//! vaults they administer, expiring in the future. It is handed every log key and every key of
//! its vaults.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::{AclChange, TeamRole, VaultRole};
use crate::identity::DeviceCert;
use crate::state::{Member, TeamState};

/// A service identity to add.
pub(in crate::state) struct NewService {
    member: DeviceCert,
    vaults: Vec<Uuid>,
    expires_ms: i64,
}

pub(super) fn judge(
    cx: &Ctx,
    member: &DeviceCert,
    vaults: &[Uuid],
    expires_ms: i64,
) -> Result<Judged> {
    cx.expect_acl(vec![AclChange::AddService {
        device_id: member.device_id,
        auth_pk: member.auth_pk,
        expires_ms,
    }])?;
    cx.manager("only owners and admins may create service identities")?;
    if cx.st.members.contains_key(&member.device_id) {
        return Err(broken(
            "creates a service with a device id that is already known",
        ));
    }
    member.verify()?;
    if expires_ms <= cx.time_ms {
        return Err(broken(
            "creates a service identity that has already expired",
        ));
    }
    let distinct: BTreeSet<&Uuid> = vaults.iter().collect();
    if vaults.is_empty() || distinct.len() != vaults.len() {
        return Err(broken("a service identity needs distinct vaults"));
    }
    for v in vaults {
        cx.author_vault(
            v,
            VaultRole::Admin,
            "gives a service access to an unknown vault",
            "only a vault admin may give a service access to the vault",
        )?;
    }
    Ok(Effect::Service(NewService {
        member: member.clone(),
        vaults: vaults.to_vec(),
        expires_ms,
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: NewService) {
    let device = e.member.device_id;
    st.members.insert(
        device,
        Member::joined(
            e.member,
            TeamRole::Service,
            at.seq,
            at.time_ms,
            Some(e.expires_ms),
        ),
    );
    for vid in e.vaults {
        if let Some(v) = st.vaults.get_mut(&vid) {
            v.access.insert(device, VaultRole::Read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{DAY, Expect, NOW, Who, World};
    use crate::event::{AclChange, Payload};
    use uuid::Uuid;

    fn service(w: &World, vaults: Vec<Uuid>, expires_ms: i64) -> (Payload, Vec<AclChange>) {
        let member = w.newcomer.cert();
        let acl = vec![AclChange::AddService {
            device_id: member.device_id,
            auth_pk: member.auth_pk,
            expires_ms,
        }];
        (
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            },
            acl,
        )
    }

    #[test]
    fn owners_and_admins_who_administer_the_vault_may_create_a_service() {
        let w = World::new();
        let denied = "only owners and admins may create service identities";
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (
                Who::Admin,
                Expect::No("only a vault admin may give a service access to the vault"),
            ),
            (Who::VaultAdmin, Expect::No(denied)),
            (Who::Member, Expect::No(denied)),
            (Who::Reader, Expect::No(denied)),
            (Who::Outsider, Expect::No(denied)),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            let (payload, acl) = service(&w, vec![w.vault], NOW + DAY);
            w.judge(who, payload, acl).assert(who, &expect);
        }
    }

    #[test]
    fn a_service_expires_later_and_reads_distinct_known_vaults() {
        let w = World::new();
        for (vaults, expires, why) in [
            (
                vec![w.vault],
                NOW,
                "creates a service identity that has already expired",
            ),
            (
                Vec::new(),
                NOW + DAY,
                "a service identity needs distinct vaults",
            ),
            (
                vec![w.vault, w.vault],
                NOW + DAY,
                "a service identity needs distinct vaults",
            ),
            (
                vec![Uuid::new_v4()],
                NOW + DAY,
                "gives a service access to an unknown vault",
            ),
        ] {
            let (payload, acl) = service(&w, vaults, expires);
            w.judge(Who::Owner, payload, acl)
                .assert(Who::Owner, &Expect::No(why));
        }
    }
}
