//! `TeamCreate`: the first event of every log, and only the first. Its author is the creator and
//! becomes the owner; it commits to the log key of epoch 0. A bad first event is a broken team,
//! not a no-op: [`TeamState::check`] refuses it.

use super::{At, Effect, Judged};
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{
    AclChange, Body, BundlePlace, GrantedKey, KeyScope, Payload, SignedEvent, TeamRole, key_commit,
};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::secret::Key32;
use crate::state::{Member, TeamState};

/// The team's name and its creator.
pub(in crate::state) struct Created {
    name: String,
    creator: DeviceCert,
}

impl TeamState {
    /// The first event: `TeamCreate` by its author, opened with the log key of epoch 0 that
    /// matches the commitment inside it. Returns its body, that key and the change.
    pub(in crate::state) fn judge_genesis(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
    ) -> Result<(Body, GrantedKey, Judged)> {
        let env = &ev.envelope;
        let at =
            |what: &str| Error::Integrity(format!("event {} of the team log: {what}", env.seq));
        let place = BundlePlace::of(env);
        let mut tries: Vec<Key32> = ev
            .public
            .bundles
            .iter()
            .filter(|b| b.recipient == me.device_id)
            .filter_map(|b| b.open(&place, me.encryption_secret()).ok())
            .flatten()
            .filter(|k| k.scope == KeyScope::Log && k.epoch == 0)
            .map(|k| k.key)
            .collect();
        if let Some(c) = self.candidates.get(&(KeyScope::Log, 0)) {
            tries.extend(c.iter().cloned());
        }
        let (key, body) = tries
            .into_iter()
            .find_map(|k| {
                let body = ev.open_body(&k).ok()?;
                match &body.payload {
                    Payload::TeamCreate { log_commit, .. }
                        if crypto::ct_eq(
                            &key_commit(&env.team_id, KeyScope::Log, 0, &k),
                            log_commit,
                        ) =>
                    {
                        Some((k, body))
                    }
                    _ => None,
                }
            })
            .ok_or_else(|| at("this device holds no key that opens the team's first event"))?;
        let Payload::TeamCreate {
            name,
            creator,
            log_commit,
        } = &body.payload
        else {
            return Err(at("the first event must create the team"));
        };
        if creator.device_id != env.author {
            return Err(at("team creator is not the author"));
        }
        creator.verify()?;
        ev.verify_signature(&creator.sign_pk)?;
        if env.epoch != 0 {
            return Err(at("the first event must be sealed at log epoch 0"));
        }
        crate::item::validate_name(name, "team")?;
        if ev.public.acl
            != vec![AclChange::Add {
                device_id: creator.device_id,
                auth_pk: creator.auth_pk,
                manager: true,
            }]
        {
            return Err(at(
                "relay-visible access changes do not match the sealed change",
            ));
        }
        let handover = self.handovers(env.author, &body);
        handover.matches(&ev.public).map_err(|e| at(&e))?;
        let judged = Judged {
            effect: Effect::Team(Created {
                name: name.clone(),
                creator: creator.clone(),
            }),
            commits: vec![((KeyScope::Log, 0), *log_commit)],
        };
        let key = GrantedKey {
            scope: KeyScope::Log,
            epoch: 0,
            key,
        };
        Ok((body, key, judged))
    }
}

pub(super) fn commit(st: &mut TeamState, at: &At, e: Created) {
    st.name = e.name;
    st.created_ms = at.time_ms;
    st.members.insert(
        e.creator.device_id,
        Member::joined(e.creator, TeamRole::Owner, at.seq, at.time_ms, None),
    );
}
