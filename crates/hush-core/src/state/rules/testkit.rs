//! A small team to judge events in, for the rule tables of each payload module: one member of
//! every kind the rules tell apart, one vault, one secret, one open invite and one witness. Events
//! are sealed, signed and carry the key bundles their change implies, so a verdict comes from
//! [`TeamState::check`] exactly as a received event's would.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::error::Error;
use crate::event::{
    AclChange, Body, Envelope, GrantedKey, KeyBundle, KeyScope, Payload, Public, PutKind,
    SignedEvent, TeamRole, VaultRole,
};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::item::{ItemMeta, vault_name_ad};
use crate::secret::{Key32, SecretString};
use crate::state::{Invite, Item, Member, TeamState, VaultState, Version};

/// The author's clock for every judged event.
pub(super) const NOW: i64 = 1_900_000_000_000;
/// A day in milliseconds.
pub(super) const DAY: i64 = 86_400_000;

/// Who writes the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Who {
    /// Team owner, admin of the vault (its creator).
    Owner,
    /// Team admin, may write to the vault.
    Admin,
    /// Ordinary member who administers the vault.
    VaultAdmin,
    /// Ordinary member who may write to the vault.
    Member,
    /// Ordinary member who may only read the vault.
    Reader,
    /// Ordinary member with no access to the vault.
    Outsider,
    /// Service identity reading the vault.
    Service,
    /// Member removed from the team (it could write to the vault before).
    Removed,
    /// A device the team never had.
    Unknown,
}

impl Who {
    /// Every kind of author.
    pub(super) const ALL: [Who; 9] = [
        Who::Owner,
        Who::Admin,
        Who::VaultAdmin,
        Who::Member,
        Who::Reader,
        Who::Outsider,
        Who::Service,
        Who::Removed,
        Who::Unknown,
    ];
}

/// The verdict a table expects.
#[derive(Debug)]
pub(super) enum Expect {
    /// Valid, with an effect.
    Applies,
    /// Valid in the log, but no effect, for this reason.
    No(&'static str),
    /// Not part of the log at all.
    Refused,
}

impl Expect {
    /// What every change by a service identity gets.
    pub(super) const SERVICE: Expect = Expect::No("a service identity may never write to the log");
    /// What every change by a removed member gets.
    pub(super) const REMOVED: Expect = Expect::No("its author had been removed from the team");
}

/// What [`TeamState::check`] said: `Ok(None)` applies, `Ok(Some(reason))` has no effect.
#[derive(Debug)]
pub(super) struct Outcome(Result<Option<String>, Error>);

impl Outcome {
    /// Panics unless the verdict is `expect`.
    pub(super) fn assert(&self, who: Who, expect: &Expect) {
        match (&self.0, expect) {
            (Ok(None), Expect::Applies) => {}
            (Ok(Some(got)), Expect::No(want)) if got == want => {}
            (Err(_), Expect::Refused) => {}
            (got, want) => panic!("{who:?}: expected {want:?}, got {got:?}"),
        }
    }
}

/// The team.
pub(super) struct World {
    pub(super) st: TeamState,
    ids: BTreeMap<Who, DeviceIdentity>,
    /// A device that is not (yet) a member: the one admitted or created as a service.
    pub(super) newcomer: DeviceIdentity,
    /// The vault.
    pub(super) vault: Uuid,
    /// A secret of the vault, at version 1, written by [`Who::Member`].
    pub(super) item: Uuid,
    /// An unused invite for a member, expiring a day after [`NOW`].
    pub(super) invite: Uuid,
    /// The key of the witness the team requires.
    pub(super) witness: [u8; 32],
}

impl World {
    pub(super) fn new() -> Self {
        let ids: BTreeMap<Who, DeviceIdentity> = Who::ALL
            .iter()
            .map(|w| {
                let name = format!("{w:?}").to_lowercase();
                (*w, DeviceIdentity::generate(&name).expect("identity"))
            })
            .collect();
        let id = |w: Who| ids[&w].device_id;
        let mut st = TeamState::new(Uuid::new_v4());
        st.name = "team".into();
        st.head = Some((9, [9; 32]));
        let log_key = Key32::random();
        st.commits
            .insert((KeyScope::Log, 0), st.commit_to(KeyScope::Log, 0, &log_key));
        st.keys.insert((KeyScope::Log, 0), log_key);
        for (who, role) in [
            (Who::Owner, TeamRole::Owner),
            (Who::Admin, TeamRole::Admin),
            (Who::VaultAdmin, TeamRole::Member),
            (Who::Member, TeamRole::Member),
            (Who::Reader, TeamRole::Member),
            (Who::Outsider, TeamRole::Member),
            (Who::Service, TeamRole::Service),
            (Who::Removed, TeamRole::Member),
        ] {
            let expires = (role == TeamRole::Service).then_some(NOW + DAY);
            let mut m = Member::joined(ids[&who].cert(), role, 1, NOW - DAY, expires);
            if who == Who::Removed {
                m.active = false;
                m.removed = Some((NOW - 1, id(Who::Owner)));
            }
            st.members.insert(id(who), m);
        }

        let vault = Uuid::new_v4();
        let vault_key = Key32::random();
        let scope = KeyScope::Vault(vault);
        let name_ct = crate::crypto::seal(&vault_key, &vault_name_ad(&st.team_id, &vault, 0), b"v");
        let mut v = VaultState::created(vault, name_ct, 0, id(Who::Owner));
        for (who, role) in [
            (Who::Admin, VaultRole::Write),
            (Who::VaultAdmin, VaultRole::Admin),
            (Who::Member, VaultRole::Write),
            (Who::Reader, VaultRole::Read),
            (Who::Service, VaultRole::Read),
        ] {
            v.access.insert(id(who), role);
        }
        let item = Uuid::new_v4();
        let slot = st.item_slot(vault, item, 1, 0);
        let meta = ItemMeta {
            name: "K".into(),
            ..ItemMeta::default()
        };
        v.items.insert(
            item,
            Item {
                id: item,
                versions: vec![Version {
                    version: 1,
                    base_version: 0,
                    time_ms: NOW - DAY,
                    author: id(Who::Member),
                    kind: PutKind::Set,
                    key_epoch: 0,
                    meta: None,
                    meta_ct: slot.seal_meta(&vault_key, &meta),
                    value_ct: slot.seal_value(&vault_key, &SecretString::new("value".into())),
                    seq: 3,
                }],
                deleted: false,
                conflict: Vec::new(),
                exposed: None,
            },
        );
        st.vaults.insert(vault, v);
        st.commits
            .insert((scope, 0), st.commit_to(scope, 0, &vault_key));
        st.keys.insert((scope, 0), vault_key);
        st.open_vault(vault);

        let invite = Uuid::new_v4();
        st.invites.insert(
            invite,
            Invite {
                role: TeamRole::Member,
                expires_ms: NOW + DAY,
                created_by: id(Who::Owner),
                used_by: None,
            },
        );
        let witness = [5; 32];
        st.witnesses
            .insert(witness, "https://witness.example".into());
        Self {
            st,
            ids,
            newcomer: DeviceIdentity::generate("newcomer").expect("identity"),
            vault,
            item,
            invite,
            witness,
        }
    }

    /// The device id of an author.
    pub(super) fn id(&self, who: Who) -> Uuid {
        self.ids[&who].device_id
    }

    fn cert_of(&self, device: &Uuid) -> DeviceCert {
        self.ids
            .values()
            .chain([&self.newcomer])
            .find(|i| i.device_id == *device)
            .expect("a device of the world")
            .cert()
    }

    /// Seals `payload` by `who` at the head, with the relay-visible `acl` and the key bundles
    /// its change implies, and judges it as the owner's device would.
    pub(super) fn judge(&self, who: Who, payload: Payload, acl: Vec<AclChange>) -> Outcome {
        let author = &self.ids[&who];
        let body = Body {
            time_ms: NOW,
            payload,
        };
        let handover = self.st.handovers(author.device_id, &body);
        let place = self.st.bundle_place(author.device_id);
        let bundles = handover
            .allowed
            .iter()
            .map(|d| {
                let keys: Vec<GrantedKey> = handover.keys[d]
                    .iter()
                    .map(|(scope, epoch)| GrantedKey {
                        scope: *scope,
                        epoch: *epoch,
                        key: self
                            .st
                            .key(*scope, *epoch)
                            .cloned()
                            .unwrap_or_else(Key32::random),
                    })
                    .collect();
                KeyBundle::seal(&place, &self.cert_of(d), &keys).expect("bundle")
            })
            .collect();
        let (seq, prev) = self.st.next_position();
        let log_key = self.st.key(KeyScope::Log, 0).expect("log key");
        let ev = SignedEvent::seal(
            Envelope {
                team_id: self.st.team_id,
                seq,
                prev,
                epoch: self.st.log_epoch,
                author: author.device_id,
            },
            Public { bundles, acl },
            &body,
            log_key,
            author,
        )
        .expect("seal");
        let verdict = self
            .st
            .check(&ev, &self.ids[&Who::Owner], true)
            .map(|c| c.rejection().map(str::to_owned));
        Outcome(verdict)
    }
}
