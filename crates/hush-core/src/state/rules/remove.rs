//! `Remove`: owners and admins remove another active member (only an owner removes an owner;
//! nobody removes themselves). The removal starts the next log-key epoch and re-keys exactly the
//! vaults the member could read; what those vaults hold becomes exposed.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken, forbid};
use crate::error::Result;
use crate::event::{AclChange, KeyScope, TeamRole};
use crate::state::TeamState;

/// A member to remove, with the epochs the removal starts.
pub(in crate::state) struct Removal {
    device: Uuid,
    new_log_epoch: u32,
    rekeyed: Vec<(Uuid, u32)>,
}

pub(super) fn judge(
    cx: &Ctx,
    device_id: Uuid,
    new_log_epoch: u32,
    log_commit: [u8; 32],
    rekeyed: &[(Uuid, u32, [u8; 32])],
) -> Result<Judged> {
    cx.expect_acl(vec![AclChange::Remove { device_id }])?;
    let by = cx.manager("only owners and admins may remove members")?;
    let st = cx.st;
    let target = st
        .active_member(&device_id)
        .ok_or_else(|| broken("removes a device that is not an active member"))?;
    if target.role == TeamRole::Owner && by != TeamRole::Owner {
        return Err(forbid("only an owner may remove an owner"));
    }
    if device_id == cx.author_id {
        return Err(forbid("a device cannot remove itself"));
    }
    if new_log_epoch != st.log_epoch + 1 {
        return Err(broken("removal must start the next log-key epoch"));
    }
    let must: BTreeSet<Uuid> = st
        .vaults
        .values()
        .filter(|v| v.access.contains_key(&device_id))
        .map(|v| v.id)
        .collect();
    let got: BTreeSet<Uuid> = rekeyed.iter().map(|(v, _, _)| *v).collect();
    if must != got || got.len() != rekeyed.len() {
        return Err(broken(
            "removal does not re-key exactly the vaults the member could read",
        ));
    }
    let mut commits = vec![((KeyScope::Log, new_log_epoch), log_commit)];
    for (v, e, c) in rekeyed {
        if *e != st.vaults[v].key_epoch + 1 {
            return Err(broken(
                "removal must start the next key epoch of each vault",
            ));
        }
        commits.push(((KeyScope::Vault(*v), *e), *c));
    }
    Ok(Judged {
        effect: Effect::Remove(Removal {
            device: device_id,
            new_log_epoch,
            rekeyed: rekeyed.iter().map(|(v, e, _)| (*v, *e)).collect(),
        }),
        commits,
    })
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Removal) {
    let who = st.display_name(&e.device);
    if let Some(m) = st.members.get_mut(&e.device) {
        m.active = false;
        m.removed = Some((at.time_ms, at.author));
    }
    st.log_epoch = e.new_log_epoch;
    for (vid, epoch) in e.rekeyed {
        if let Some(v) = st.vaults.get_mut(&vid) {
            v.access.remove(&e.device);
            v.key_epoch = epoch;
            v.expose_all(at.time_ms, &format!("{who} was removed from the team"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::{AclChange, Payload};
    use uuid::Uuid;

    /// The removal of `target`, re-keying the world's vault when `target` could read it.
    fn remove(w: &World, target: Who) -> (Payload, Vec<AclChange>) {
        let device_id = w.id(target);
        let reads = w.st.vaults[&w.vault].access.contains_key(&device_id);
        let rekeyed = if reads {
            vec![(w.vault, 1, [2; 32])]
        } else {
            Vec::new()
        };
        (
            Payload::Remove {
                device_id,
                new_log_epoch: 1,
                log_commit: [1; 32],
                rekeyed,
            },
            vec![AclChange::Remove { device_id }],
        )
    }

    #[test]
    fn owners_and_admins_may_remove_a_member() {
        let w = World::new();
        let denied = "only owners and admins may remove members";
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
            let (payload, acl) = remove(&w, Who::Member);
            w.judge(who, payload, acl).assert(who, &expect);
        }
    }

    #[test]
    fn who_may_be_removed() {
        let w = World::new();
        for (author, target, expect) in [
            (Who::Owner, Who::Admin, Expect::Applies),
            (Who::Owner, Who::Service, Expect::Applies),
            (Who::Admin, Who::Outsider, Expect::Applies),
            (
                Who::Admin,
                Who::Owner,
                Expect::No("only an owner may remove an owner"),
            ),
            (
                Who::Admin,
                Who::Admin,
                Expect::No("a device cannot remove itself"),
            ),
            (
                Who::Owner,
                Who::Removed,
                Expect::No("removes a device that is not an active member"),
            ),
        ] {
            let (payload, acl) = remove(&w, target);
            w.judge(author, payload, acl).assert(author, &expect);
        }
    }

    #[test]
    fn a_removal_starts_the_next_epochs_of_exactly_the_vaults_the_member_read() {
        let w = World::new();
        let device_id = w.id(Who::Reader);
        let removal = |new_log_epoch, rekeyed| Payload::Remove {
            device_id,
            new_log_epoch,
            log_commit: [1; 32],
            rekeyed,
        };
        let acl = vec![AclChange::Remove { device_id }];
        for (payload, why) in [
            (
                removal(2, vec![(w.vault, 1, [2; 32])]),
                "removal must start the next log-key epoch",
            ),
            (
                removal(1, Vec::new()),
                "removal does not re-key exactly the vaults the member could read",
            ),
            (
                removal(1, vec![(w.vault, 1, [2; 32]), (Uuid::new_v4(), 1, [2; 32])]),
                "removal does not re-key exactly the vaults the member could read",
            ),
            (
                removal(1, vec![(w.vault, 2, [2; 32])]),
                "removal must start the next key epoch of each vault",
            ),
        ] {
            w.judge(Who::Owner, payload, acl.clone())
                .assert(Who::Owner, &Expect::No(why));
        }
    }
}
