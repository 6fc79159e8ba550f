//! `Leaked`: anyone who can read a vault reports an existing version of one of its secrets
//! leaked, with a note sealed under the vault's current key. The secret becomes exposed if the
//! reported version is still current.

use uuid::Uuid;

use super::{At, Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::event::VaultRole;
use crate::state::{Exposure, TeamState};

/// A leak report.
pub(in crate::state) struct Leak {
    vault: Uuid,
    item: Uuid,
    version: u32,
    reason: String,
}

pub(super) fn judge(
    cx: &Ctx,
    vault_id: Uuid,
    item_id: Uuid,
    version: u32,
    key_epoch: u32,
    note_ct: &[u8],
) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    let vault = cx.author_vault(
        &vault_id,
        VaultRole::Read,
        "reports a leak in an unknown vault",
        "only members who can read a vault may report its secrets leaked",
    )?;
    let item = vault
        .items
        .get(&item_id)
        .ok_or_else(|| broken("reports an unknown secret leaked"))?;
    if version == 0 || version > item.current().version {
        return Err(broken(
            "reports a version of the secret that does not exist",
        ));
    }
    if key_epoch != vault.key_epoch {
        return Err(broken("leak note sealed under an old vault-key epoch"));
    }
    let slot = cx.st.item_slot(vault_id, item_id, version, key_epoch);
    // As with a put, only readers can open the note: one that does not open is reported, never a
    // reason to ignore the leak report.
    let note = cx.st.slot_key(&slot).map(|k| {
        crate::item::open_leak_note(&slot, k, note_ct)
            .unwrap_or_else(|_| "(the note could not be opened)".into())
    });
    let who = cx.st.display_name(&cx.author_id);
    Ok(Effect::Leaked(Leak {
        vault: vault_id,
        item: item_id,
        version,
        reason: match note.filter(|n| !n.is_empty()) {
            Some(n) => format!("reported leaked by {who}: {n}"),
            None => format!("reported leaked by {who}"),
        },
    })
    .into())
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Leak) {
    // A leak of a version that was already replaced needs no rotation.
    if let Some(i) = st
        .vaults
        .get_mut(&e.vault)
        .and_then(|v| v.items.get_mut(&e.item))
        && i.current().version == e.version
    {
        i.exposed = Some(Exposure {
            since_ms: at.time_ms,
            at_version: e.version,
            reason: e.reason,
            leak: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::Payload;

    #[test]
    fn anyone_who_reads_the_vault_may_report_a_leak() {
        let w = World::new();
        let denied = "only members who can read a vault may report its secrets leaked";
        let leak = |version, key_epoch| Payload::Leaked {
            vault_id: w.vault,
            item_id: w.item,
            version,
            key_epoch,
            note_ct: Vec::new(),
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
            w.judge(who, leak(1, 0), vec![]).assert(who, &expect);
        }
        for (version, key_epoch, why) in [
            (0, 0, "reports a version of the secret that does not exist"),
            (2, 0, "reports a version of the secret that does not exist"),
            (1, 1, "leak note sealed under an old vault-key epoch"),
        ] {
            w.judge(Who::Reader, leak(version, key_epoch), vec![])
                .assert(Who::Reader, &Expect::No(why));
        }
    }
}
