//! `WitnessAdd` and `WitnessRemove`: owners and admins require a witness (a well-formed URL and a
//! key the team does not require yet) or stop requiring one.

use super::{Ctx, Effect, Judged, broken};
use crate::error::Result;
use crate::state::TeamState;

/// A witness required (`Some(url)`) or no longer required (`None`).
pub(in crate::state) struct WitnessChange {
    key: [u8; 32],
    url: Option<String>,
}

pub(super) fn judge_add(cx: &Ctx, url: &str, key: [u8; 32]) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    cx.manager("only owners and admins may require a witness")?;
    crate::witness_proto::validate_url(url).map_err(|_| broken("names a malformed witness URL"))?;
    if cx.st.witnesses.contains_key(&key) {
        return Err(broken("requires a witness the team already requires"));
    }
    Ok(Effect::Witness(WitnessChange {
        key,
        url: Some(url.to_owned()),
    })
    .into())
}

pub(super) fn judge_remove(cx: &Ctx, key: [u8; 32]) -> Result<Judged> {
    cx.expect_acl(vec![])?;
    cx.manager("only owners and admins may remove a witness")?;
    if !cx.st.witnesses.contains_key(&key) {
        return Err(broken("removes a witness the team does not require"));
    }
    Ok(Effect::Witness(WitnessChange { key, url: None }).into())
}

pub(super) fn commit(st: &mut TeamState, e: WitnessChange) {
    match e.url {
        Some(url) => {
            st.witnesses.insert(e.key, url);
        }
        None => {
            st.witnesses.remove(&e.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Expect, Who, World};
    use crate::event::Payload;

    #[test]
    fn owners_and_admins_may_require_a_witness_or_stop() {
        let w = World::new();
        let add = |url: &str, key| Payload::WitnessAdd {
            url: url.to_owned(),
            key,
        };
        for (payload, denied) in [
            (
                add("https://w2.example", [6; 32]),
                "only owners and admins may require a witness",
            ),
            (
                Payload::WitnessRemove { key: w.witness },
                "only owners and admins may remove a witness",
            ),
        ] {
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
                w.judge(who, payload.clone(), vec![]).assert(who, &expect);
            }
        }
        for (payload, why) in [
            (
                add("https://w2.example", w.witness),
                "requires a witness the team already requires",
            ),
            (add("ftp://w2", [6; 32]), "names a malformed witness URL"),
            (
                Payload::WitnessRemove { key: [6; 32] },
                "removes a witness the team does not require",
            ),
        ] {
            w.judge(Who::Admin, payload, vec![])
                .assert(Who::Admin, &Expect::No(why));
        }
    }
}
