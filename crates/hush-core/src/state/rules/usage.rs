//! `Usage`: anyone who can read a vault records which existing versions of its secrets were read,
//! each once, at most [`crate::event::MAX_USAGE_ITEMS`] of them.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::{UsageAction, VaultRole};
use crate::state::TeamState;

/// Secrets read.
pub(in crate::state) struct Reads {
    vault: Uuid,
    action: UsageAction,
    items: Vec<(Uuid, u32)>,
}

pub(super) fn judge(
    cx: &Ctx,
    vault_id: Uuid,
    action: UsageAction,
    items: &[(Uuid, u32)],
) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    let vault = cx.author_vault(
        &vault_id,
        VaultRole::Read,
        "records reading an unknown vault",
        "only members who can read a vault may record reading it",
    )?;
    if items.is_empty() || items.len() > crate::event::MAX_USAGE_ITEMS {
        return Err(broken("bad number of secrets in a usage record"));
    }
    let mut seen = BTreeSet::new();
    for (item, version) in items {
        let it = vault
            .items
            .get(item)
            .ok_or_else(|| broken("records reading an unknown secret"))?;
        if *version == 0 || *version > it.current().version {
            return Err(broken("records reading a version that does not exist"));
        }
        if !seen.insert((*item, *version)) {
            return Err(broken("records reading one version twice"));
        }
    }
    Ok(Effect::Usage(Reads {
        vault: vault_id,
        action,
        items: items.to_vec(),
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Reads) {
    st.usage.extend(
        e.items
            .into_iter()
            .map(|(item, version)| crate::anomaly::UsageRecord {
                seq: at.seq,
                time_ms: at.time_ms,
                member: at.author,
                vault: e.vault,
                item,
                version,
                action: e.action,
            }),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::{Payload, UsageAction};
    use uuid::Uuid;

    #[test]
    fn anyone_who_reads_the_vault_may_record_reading_it() {
        let w = World::new();
        let denied = "only members who can read a vault may record reading it";
        let usage = |items| Payload::Usage {
            vault_id: w.vault,
            action: UsageAction::Get,
            items,
        };
        for (who, expect) in [
            (Who::Owner, Expect::Applies),
            (Who::Admin, Expect::Applies),
            (Who::VaultAdmin, Expect::Applies),
            (Who::Member, Expect::Applies),
            (Who::Reader, Expect::Applies),
            (Who::Outsider, Expect::No(denied)),
            (Who::Service, Expect::SERVICE),
            (Who::Removed, Expect::REMOVED),
            (Who::Unknown, Expect::Refused),
        ] {
            w.judge(who, usage(vec![(w.item, 1)]), vec![])
                .assert(who, &expect);
        }
        for (items, why) in [
            (
                vec![(Uuid::new_v4(), 1)],
                "records reading an unknown secret",
            ),
            (
                vec![(w.item, 2)],
                "records reading a version that does not exist",
            ),
            (
                vec![(w.item, 1), (w.item, 1)],
                "records reading one version twice",
            ),
        ] {
            w.judge(Who::Reader, usage(items), vec![])
                .assert(Who::Reader, &Expect::No(why));
        }
    }
}
