//! `Admit`: owners and admins admit a new device with an unused, unexpired invite, in the
//! invite's role. The new device is handed every log key so it can read the history.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::{AclChange, TeamRole};
use crate::identity::DeviceCert;
use crate::state::{Member, TeamState};

/// A device to admit.
pub(in crate::state) struct Admission {
    invite: Uuid,
    member: DeviceCert,
    role: TeamRole,
}

pub(super) fn judge(
    cx: &Ctx,
    invite_id: Uuid,
    member: &DeviceCert,
    role: TeamRole,
) -> Result<Judged> {
    cx.expect_acl(vec![AclChange::Add {
        device_id: member.device_id,
        auth_pk: member.auth_pk,
        manager: role.is_manager(),
    }])?;
    cx.manager("only owners and admins may admit")?;
    let invite = cx
        .st
        .invites
        .get(&invite_id)
        .ok_or_else(|| broken("admits with an unknown invite"))?;
    if invite.used_by.is_some() {
        return Err(broken("admits with an invite that was already used"));
    }
    if invite.role != role {
        return Err(broken("admits with a role other than the invite's"));
    }
    if cx.time_ms > invite.expires_ms {
        return Err(broken("admits with an expired invite"));
    }
    if cx.st.members.contains_key(&member.device_id) {
        return Err(broken("admits a device that is already known"));
    }
    member.verify()?;
    Ok(Effect::Admit(Admission {
        invite: invite_id,
        member: member.clone(),
        role,
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Admission) {
    if let Some(i) = st.invites.get_mut(&e.invite) {
        i.used_by = Some(e.member.device_id);
    }
    st.members.insert(
        e.member.device_id,
        Member::joined(e.member, e.role, at.seq, at.time_ms, None),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, NOW, Who, World};
    use crate::event::{AclChange, Payload, TeamRole};
    use crate::identity::DeviceCert;
    use uuid::Uuid;

    fn admit(invite_id: Uuid, member: DeviceCert, role: TeamRole) -> (Payload, Vec<AclChange>) {
        let acl = vec![AclChange::Add {
            device_id: member.device_id,
            auth_pk: member.auth_pk,
            manager: role.is_manager(),
        }];
        let payload = Payload::Admit {
            invite_id,
            member,
            role,
            proof: [0; 32],
        };
        (payload, acl)
    }

    #[test]
    fn owners_and_admins_may_admit() {
        let w = World::new();
        let denied = "only owners and admins may admit";
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (Who::Admin, Expect::Applies),
            (Who::VaultAdmin, Expect::No(denied)),
            (Who::Member, Expect::No(denied)),
            (Who::Reader, Expect::No(denied)),
            (Who::Outsider, Expect::No(denied)),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            let (payload, acl) = admit(w.invite, w.newcomer.cert(), TeamRole::Member);
            w.judge(who, payload, acl).assert(who, &expect);
        }
    }

    #[test]
    fn an_admission_uses_a_live_invite_once_in_its_role() {
        let mut w = World::new();
        let (payload, acl) = admit(w.invite, w.newcomer.cert(), TeamRole::Admin);
        w.judge(Who::Owner, payload, acl).assert(
            Who::Owner,
            &Expect::No("admits with a role other than the invite's"),
        );
        let (payload, acl) = admit(Uuid::new_v4(), w.newcomer.cert(), TeamRole::Member);
        w.judge(Who::Owner, payload, acl)
            .assert(Who::Owner, &Expect::No("admits with an unknown invite"));
        let known = w.st.members[&w.id(Who::Reader)].cert.clone();
        let (payload, acl) = admit(w.invite, known, TeamRole::Member);
        w.judge(Who::Owner, payload, acl).assert(
            Who::Owner,
            &Expect::No("admits a device that is already known"),
        );
        let invite = w.invite;
        w.st.invites.get_mut(&invite).expect("invite").expires_ms = NOW - 1;
        let (payload, acl) = admit(w.invite, w.newcomer.cert(), TeamRole::Member);
        w.judge(Who::Owner, payload, acl)
            .assert(Who::Owner, &Expect::No("admits with an expired invite"));
        let used = w.id(Who::Reader);
        let i = w.st.invites.get_mut(&invite).expect("invite");
        i.expires_ms = NOW + 1;
        i.used_by = Some(used);
        let (payload, acl) = admit(w.invite, w.newcomer.cert(), TeamRole::Member);
        w.judge(Who::Owner, payload, acl).assert(
            Who::Owner,
            &Expect::No("admits with an invite that was already used"),
        );
    }
}
