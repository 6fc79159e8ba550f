//! `InviteCreate`: owners and admins invite people as admins or members (never as owners; service
//! identities are created, not invited). The relay is told the invite's id and expiry.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken, forbid};
use crate::error::Result;
use crate::event::{AclChange, TeamRole};
use crate::state::{Invite, TeamState};

/// An invite to record.
pub(in crate::state) struct NewInvite {
    id: Uuid,
    role: TeamRole,
    expires_ms: i64,
}

pub(super) fn judge(cx: &Ctx, invite_id: Uuid, role: TeamRole, expires_ms: i64) -> Result<Judged> {
    cx.expect_acl(vec![AclChange::Invite {
        invite_id,
        token_hash: [0; 32],
        expires_ms,
    }])?;
    cx.manager("only owners and admins may invite")?;
    if role == TeamRole::Owner {
        return Err(forbid("nobody can be invited as owner"));
    }
    if role == TeamRole::Service {
        return Err(forbid("service identities are created, not invited"));
    }
    if cx.st.invites.contains_key(&invite_id) {
        return Err(broken("invite id reused"));
    }
    Ok(Effect::Invite(NewInvite {
        id: invite_id,
        role,
        expires_ms,
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: NewInvite) {
    st.invites.insert(
        e.id,
        Invite {
            role: e.role,
            expires_ms: e.expires_ms,
            created_by: at.author,
            used_by: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{DAY, Expect, NOW, Who, World};
    use crate::event::{AclChange, Payload, TeamRole};
    use uuid::Uuid;

    fn invite(invite_id: Uuid, role: TeamRole) -> (Payload, Vec<AclChange>) {
        let expires_ms = NOW + DAY;
        (
            Payload::InviteCreate {
                invite_id,
                role,
                expires_ms,
            },
            vec![AclChange::Invite {
                invite_id,
                token_hash: [1; 32],
                expires_ms,
            }],
        )
    }

    #[test]
    fn owners_and_admins_may_invite() {
        let w = World::new();
        let denied = "only owners and admins may invite";
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
            let (payload, acl) = invite(Uuid::new_v4(), TeamRole::Member);
            w.judge(who, payload, acl).assert(who, &expect);
        }
    }

    #[test]
    fn invites_name_a_person_role_a_fresh_id_and_tell_the_relay() {
        let w = World::new();
        for (role, expect) in [
            (TeamRole::Admin, Expect::Applies),
            (TeamRole::Member, Expect::Applies),
            (
                TeamRole::Owner,
                Expect::No("nobody can be invited as owner"),
            ),
            (
                TeamRole::Service,
                Expect::No("service identities are created, not invited"),
            ),
        ] {
            let (payload, acl) = invite(Uuid::new_v4(), role);
            w.judge(Who::Admin, payload, acl)
                .assert(Who::Admin, &expect);
        }
        let (payload, acl) = invite(w.invite, TeamRole::Member);
        w.judge(Who::Owner, payload, acl)
            .assert(Who::Owner, &Expect::No("invite id reused"));
        let (payload, _) = invite(Uuid::new_v4(), TeamRole::Member);
        w.judge(Who::Owner, payload, vec![]).assert(
            Who::Owner,
            &Expect::No("relay-visible access changes do not match the sealed change"),
        );
    }
}
