//! The keys of a team as this device holds them: the log and vault keys it was handed, the key
//! commitments the log makes for each (scope, epoch), and the key hand-overs each change implies.
//!
//! A key is only ever taken when it matches the commitment of the event that starts its epoch,
//! so a key planted in a bundle is never used.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::TeamState;
use crate::crypto;
use crate::event::{
    Body, BundlePlace, GrantedKey, KeyScope, Payload, Public, SignedEvent, key_commit,
};
use crate::identity::DeviceIdentity;
use crate::secret::Key32;

/// A key commitment: the (scope, epoch) it is for and the commitment.
pub(super) type Commit = ((KeyScope, u32), [u8; 32]);

/// Keys handed to this device in the key bundles of `events` (bundles that do not open are
/// skipped: the events carrying them fail verification when applied).
pub fn bundled_keys(events: &[SignedEvent], me: &DeviceIdentity) -> Vec<GrantedKey> {
    let mut keys = Vec::new();
    for ev in events {
        for b in ev
            .public
            .bundles
            .iter()
            .filter(|b| b.recipient == me.device_id)
        {
            if let Ok(k) = b.open(&BundlePlace::of(&ev.envelope), me.encryption_secret()) {
                keys.extend(k);
            }
        }
    }
    keys
}

/// The key hand-overs a change implies (see [`TeamState::check`]).
#[derive(Default)]
pub(super) struct Handover {
    pub(super) required: BTreeSet<Uuid>,
    pub(super) allowed: BTreeSet<Uuid>,
    pub(super) keys: BTreeMap<Uuid, BTreeSet<(KeyScope, u32)>>,
}

impl Handover {
    fn give(
        &mut self,
        device: Uuid,
        required: bool,
        keys: impl IntoIterator<Item = (KeyScope, u32)>,
    ) {
        if required {
            self.required.insert(device);
        }
        self.allowed.insert(device);
        self.keys.entry(device).or_default().extend(keys);
    }

    /// The event's bundles go to allowed recipients only, one each, and to every required one.
    pub(super) fn matches(&self, public: &Public) -> std::result::Result<(), String> {
        let mut seen = BTreeSet::new();
        for b in &public.bundles {
            if !self.allowed.contains(&b.recipient) {
                return Err(format!(
                    "it carries a key bundle for device {} that its change does not hand keys to",
                    b.recipient
                ));
            }
            if !seen.insert(b.recipient) {
                return Err("it carries two key bundles for one device".into());
            }
        }
        if let Some(missing) = self.required.difference(&seen).next() {
            return Err(format!(
                "it hands no keys to device {missing}, which its change requires"
            ));
        }
        Ok(())
    }
}

impl TeamState {
    /// A key this device holds.
    pub fn key(&self, scope: KeyScope, epoch: u32) -> Option<&Key32> {
        self.keys.get(&(scope, epoch))
    }

    /// Every key this device holds for a scope, oldest epoch first (handed to new members so
    /// they can read history).
    pub fn keys_for(&self, scope: KeyScope) -> Vec<GrantedKey> {
        let mut v: Vec<GrantedKey> = self
            .keys
            .iter()
            .filter(|((s, _), _)| *s == scope)
            .map(|((s, e), k)| GrantedKey {
                scope: *s,
                epoch: *e,
                key: k.clone(),
            })
            .collect();
        v.sort_by_key(|k| k.epoch);
        v
    }

    /// Offers keys learned outside the normal order (a device that joined later reads its key
    /// bundles before replaying the log from the start). They are only candidates: one becomes
    /// a key when the event that starts its epoch commits to it, so a planted key is never used.
    pub fn preload_keys(&mut self, keys: Vec<GrantedKey>) {
        for k in keys {
            let slot = (k.scope, k.epoch);
            match self.commits.get(&slot) {
                Some(c) if !self.keys.contains_key(&slot) => {
                    if crypto::ct_eq(c, &key_commit(&self.team_id, k.scope, k.epoch, &k.key)) {
                        self.keys.insert(slot, k.key);
                    }
                }
                Some(_) => {}
                None => self.candidates.entry(slot).or_default().push(k.key),
            }
        }
    }

    /// The key commitment for a new key of this team.
    pub fn commit_to(&self, scope: KeyScope, epoch: u32, key: &Key32) -> [u8; 32] {
        key_commit(&self.team_id, scope, epoch, key)
    }

    /// Records the commitments of the epochs an event starts and takes the keys it handed this
    /// device (already checked against their commitments). Returns the vaults this device holds
    /// a new key for.
    pub(super) fn take_keys(
        &mut self,
        commits: Vec<Commit>,
        keys: Vec<GrantedKey>,
    ) -> BTreeSet<Uuid> {
        let mut new_vault_keys = BTreeSet::new();
        for ((scope, epoch), c) in commits {
            self.commits.entry((scope, epoch)).or_insert(c);
            // A joining device read its bundles before replaying: a candidate key becomes a key
            // once the event that starts its epoch commits to it.
            if let Some(cands) = self.candidates.remove(&(scope, epoch))
                && let Some(k) = cands
                    .into_iter()
                    .find(|k| crypto::ct_eq(&c, &key_commit(&self.team_id, scope, epoch, k)))
            {
                self.keys.entry((scope, epoch)).or_insert(k);
                if let KeyScope::Vault(v) = scope {
                    new_vault_keys.insert(v);
                }
            }
        }
        for k in keys {
            if let KeyScope::Vault(v) = k.scope {
                new_vault_keys.insert(v);
            }
            // Never replace a key already held (each matches its one commitment anyway).
            self.keys.entry((k.scope, k.epoch)).or_insert(k.key);
        }
        new_vault_keys
    }

    /// The key hand-overs an event's change implies at this position of the log: who must get a
    /// bundle, who may, and exactly which (scope, epoch) keys each recipient gets. Every device
    /// computes the same answer from the body, so every device reaches the same verdict.
    pub(super) fn handovers(&self, author: Uuid, body: &Body) -> Handover {
        let mut h = Handover::default();
        let all = |scope: KeyScope, upto: u32| (0..=upto).map(move |e| (scope, e));
        match &body.payload {
            Payload::TeamCreate { creator, .. } => {
                h.give(creator.device_id, true, [(KeyScope::Log, 0)]);
            }
            Payload::VaultCreate { vault_id, .. } => {
                h.give(author, true, [(KeyScope::Vault(*vault_id), 0)]);
            }
            Payload::Admit { member, .. } => {
                h.give(member.device_id, true, all(KeyScope::Log, self.log_epoch));
            }
            Payload::ServiceCreate { member, vaults, .. } => {
                let mut keys: Vec<_> = all(KeyScope::Log, self.log_epoch).collect();
                for v in vaults {
                    if let Some(vault) = self.vaults.get(v) {
                        keys.extend(all(KeyScope::Vault(*v), vault.key_epoch));
                    }
                }
                h.give(member.device_id, true, keys);
            }
            Payload::Grant {
                vault_id,
                device_id,
                ..
            } => {
                if let Some(v) = self.vaults.get(vault_id)
                    && !v.access.contains_key(device_id)
                {
                    h.give(
                        *device_id,
                        true,
                        all(KeyScope::Vault(*vault_id), v.key_epoch),
                    );
                }
            }
            Payload::Remove {
                device_id,
                new_log_epoch,
                rekeyed,
                ..
            } => {
                for m in self
                    .members
                    .values()
                    .filter(|m| m.active && m.cert.device_id != *device_id)
                {
                    let d = m.cert.device_id;
                    let mut keys = vec![(KeyScope::Log, *new_log_epoch)];
                    for (v, e, _) in rekeyed {
                        if self
                            .vaults
                            .get(v)
                            .is_some_and(|x| x.access.contains_key(&d))
                        {
                            keys.push((KeyScope::Vault(*v), *e));
                        }
                    }
                    h.give(d, m.is_live(body.time_ms), keys);
                }
            }
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                ..
            } => {
                if let Some(v) = self.vaults.get(vault_id) {
                    for d in v.access.keys().filter(|d| *d != device_id) {
                        if let Some(m) = self.active_member(d) {
                            h.give(
                                *d,
                                m.is_live(body.time_ms),
                                [(KeyScope::Vault(*vault_id), *new_epoch)],
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        h
    }

    /// The keys of this event's bundle addressed to this device, if the bundle holds exactly
    /// the keys the change implies for it and each matches the team's commitment for its scope
    /// and epoch. Otherwise no key is taken and the problem is returned: the event stays valid
    /// for everyone (the bundle's content is visible only to this device), and this device
    /// reports who handed it a bad bundle.
    pub(super) fn my_keys(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        handover: &Handover,
        commits: &[Commit],
    ) -> (Vec<GrantedKey>, Option<String>) {
        let Some(bundle) = ev
            .public
            .bundles
            .iter()
            .find(|b| b.recipient == me.device_id)
        else {
            return (Vec::new(), None);
        };
        let bad = |what: &str| {
            (
                Vec::new(),
                Some(format!(
                    "event {}: the key bundle {} handed this device {what}; no key was taken from it",
                    ev.envelope.seq,
                    self.display_name(&ev.envelope.author)
                )),
            )
        };
        let keys = match bundle.open(&BundlePlace::of(&ev.envelope), me.encryption_secret()) {
            Ok(k) => k,
            Err(_) => return bad("does not open"),
        };
        let want = handover
            .keys
            .get(&me.device_id)
            .cloned()
            .unwrap_or_default();
        let got: BTreeSet<(KeyScope, u32)> = keys.iter().map(|k| (k.scope, k.epoch)).collect();
        if got != want || got.len() != keys.len() {
            return bad("holds other keys than its change implies");
        }
        for k in &keys {
            let commit = commits
                .iter()
                .find(|(se, _)| *se == (k.scope, k.epoch))
                .map(|(_, c)| c)
                .or_else(|| self.commits.get(&(k.scope, k.epoch)));
            let ok = commit.is_some_and(|c| {
                crypto::ct_eq(c, &key_commit(&self.team_id, k.scope, k.epoch, &k.key))
            });
            if !ok {
                return bad("holds a key that does not match the team's commitment");
            }
        }
        (keys, None)
    }
}
