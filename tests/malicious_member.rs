//! Hush against a member running a modified client.
//!
//! The relay in these tests is real and honest unless a test says it works with the attacker.
//! The attacker is a team member (mallory) who reads her own private keys out of her store and
//! signs events by hand ([`modified_client`]): events that are well formed and correctly
//! signed, but break a rule of the log. The promise under test, for every such event:
//! - it has **no effect** on anyone's state (values, keys, members, access);
//! - every client reaches the same verdict, names the author, and **keeps going**: the sync that
//!   pulls it exits non-zero once saying "event N by mallory had no effect", the next one is
//!   clean, writes and reads go on, and `hush audit` / `hush team status` show it;
//! - the lead can remove the author, and the removal works (the relay drops her).
//!
//! The "a member with a modified client" and "a relay with a removed member's keys" columns of
//! `docs/THREAT-MODEL.md` name these tests.

use hush_core::crypto;
use hush_core::event::{
    AclChange, GrantedKey, KeyScope, Payload, Public, SignedEvent, TeamRole, UsageAction,
    VaultRole, key_commit,
};
use hush_core::identity::DeviceIdentity;
use hush_core::item::{ItemSlot, vault_name_ad};
use hush_core::secret::Key32;
use hush_core::sync::{Appended, RelayClient};
use hush_tests::{Device, Relay};
use uuid::Uuid;

#[path = "modified_client.rs"]
mod modified_client;
use modified_client::{
    block_on, bundle, forge, forge_with, identity_of, keys_of, now_ms, put_payload, relay_devices,
    relay_events, relay_insert, vaults,
};

/// An initialised device with its agent running.
fn member(name: &str) -> Device {
    let d = Device::init(name);
    d.hush(&["unlock", "--timeout", "10m"]).assert().success();
    d
}

/// A relay and team "acme": alice (owner) with vault `prod` holding `API_KEY = v1-value`; bob
/// reads `prod`; mallory is a plain member with her own vault `mine` and no access to `prod`.
/// Everyone is synced.
struct Team {
    relay: Relay,
    alice: Device,
    bob: Device,
    mallory: Device,
}

impl Team {
    fn new() -> Self {
        let relay = Relay::start();
        let alice = member("alice");
        let bob = member("bob");
        let mallory = member("mallory");
        alice.out(&["team", "create", "acme", "--relay", &relay.url]);
        alice.out(&["vault", "create", "prod"]);
        alice.out(&["set", "prod/API_KEY", "v1-value"]);
        hush_tests::invite_and_admit(&alice, &bob, "bob", None);
        hush_tests::invite_and_admit(&alice, &mallory, "mallory", None);
        alice.out(&["grant", "prod", "bob", "--role", "read"]);
        alice.out(&["sync"]);
        mallory.out(&["sync"]);
        mallory.out(&["vault", "create", "mine"]);
        mallory.out(&["set", "mine/OWN", "mallorys-own"]);
        mallory.out(&["sync"]);
        alice.out(&["sync"]);
        bob.out(&["sync"]);
        bob.out(&["get", "prod/API_KEY"]);
        bob.out(&["sync"]);
        alice.out(&["sync"]);
        Self {
            relay,
            alice,
            bob,
            mallory,
        }
    }

    /// The team id and alice's view of `prod`: its id and its key at epoch 0.
    fn prod(&self) -> (Uuid, Uuid, Key32) {
        let events = relay_events(&self.relay);
        let keys = keys_of(&identity_of(&self.alice), &events);
        let prod = vaults(&keys, &events)[0];
        let key = keys[&(KeyScope::Vault(prod), 0)].clone();
        (events[0].envelope.team_id, prod, key)
    }

    /// Appends `ev` through the relay, as its author.
    fn append(&self, author: &DeviceIdentity, ev: &SignedEvent) {
        let client = RelayClient::new(&self.relay.url, false).expect("client");
        let r = block_on(client.append(author, &ev.envelope.team_id, ev.bytes(), now_ms()))
            .expect("the relay takes it: it cannot read payloads");
        assert!(matches!(r, Appended::Ok), "stored at the head");
    }
}

/// What a member sees of the team: values, names, members and access, and the audit verdict.
fn view(d: &Device) -> Vec<String> {
    vec![
        d.out(&["get", "prod/API_KEY"]),
        d.out(&["ls", "prod"]),
        d.out(&["members"]),
        d.out(&["access", "prod"]),
    ]
}

/// `d`'s next sync pulls one rule-breaking event by mallory: the sync keeps everything else it
/// did, exits non-zero naming mallory and the rule, and the sync after it is clean. Returns the
/// error output.
fn no_effect_by_mallory(d: &Device, rule: &str) -> String {
    let err = d.fails(&["sync"]);
    assert!(
        err.contains("had no effect") && err.contains("by mallory") && err.contains(rule),
        "expected event by mallory without effect ({rule}): {err}"
    );
    assert!(
        !err.contains("misbehaving"),
        "a teammate's event is not the relay's fault: {err}"
    );
    d.out(&["sync"]);
    let status = d.out(&["team", "status"]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NO EFFECT:") && l.contains("mallory") && l.contains(rule)),
        "{status}"
    );
    let audit = d.out(&["audit", "--action", "rejected"]);
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\tmallory\trejected\t") && l.contains(rule)),
        "{audit}"
    );
    err
}

#[test]
fn a_planted_key_is_never_taken() {
    let t = Team::new();
    let (team_id, prod, real_key) = t.prod();
    let alice_cert = identity_of(&t.alice).cert();
    let m = identity_of(&t.mallory);
    let before = view(&t.alice);

    // 1. An ordinary event of her own (a new vault) carrying one extra bundle for alice with a
    //    key she chose for (prod, epoch 0).
    let evil = Key32::random();
    let events = relay_events(&t.relay);
    let keys = keys_of(&m, &events);
    let vault_id = Uuid::new_v4();
    let vault_key = Key32::random();
    let planted = forge_with(
        &m,
        &events,
        &keys,
        0,
        Payload::VaultCreate {
            vault_id,
            key_epoch: 0,
            name_ct: crypto::seal(
                &vault_key,
                &vault_name_ad(&team_id, &vault_id, 0),
                b"planted",
            ),
            key_commit: key_commit(&team_id, KeyScope::Vault(vault_id), 0, &vault_key),
        },
        |env| Public {
            bundles: vec![
                bundle(
                    env,
                    &m.cert(),
                    vec![GrantedKey {
                        scope: KeyScope::Vault(vault_id),
                        epoch: 0,
                        key: vault_key.clone(),
                    }],
                ),
                bundle(
                    env,
                    &alice_cert,
                    vec![GrantedKey {
                        scope: KeyScope::Vault(prod),
                        epoch: 0,
                        key: evil.clone(),
                    }],
                ),
            ],
            acl: Vec::new(),
        },
    );
    t.append(&m, &planted);
    no_effect_by_mallory(&t.alice, "that its change does not hand keys to");
    assert_eq!(
        view(&t.alice),
        before,
        "older values still open; nothing changed"
    );

    // 2. A grant she may make (her own vault, to alice) whose bundle carries the planted prod key
    //    instead of the vault's: the grant counts, the bundle's keys are not taken.
    let events = relay_events(&t.relay);
    let keys = keys_of(&m, &events);
    let mine = vaults(&keys, &events)[1];
    let grant = forge_with(
        &m,
        &events,
        &keys,
        0,
        Payload::Grant {
            vault_id: mine,
            device_id: alice_cert.device_id,
            role: VaultRole::Read,
        },
        |env| {
            Public::bundles(vec![bundle(
                env,
                &alice_cert,
                vec![GrantedKey {
                    scope: KeyScope::Vault(prod),
                    epoch: 0,
                    key: evil.clone(),
                }],
            )])
        },
    );
    t.append(&m, &grant);
    let out = t
        .alice
        .hush(&["sync"])
        .output()
        .expect("sync after the grant");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a valid grant pulls cleanly: {err}");
    assert!(
        err.contains("mallory handed this device holds other keys than its change implies"),
        "{err}"
    );

    // 3. The same with the right scope but a key of her choosing: it does not match the
    //    commitment her vault's creation made, so it is not taken either.
    let bob_cert = identity_of(&t.bob).cert();
    let events = relay_events(&t.relay);
    let keys = keys_of(&m, &events);
    let wrong = forge_with(
        &m,
        &events,
        &keys,
        0,
        Payload::Grant {
            vault_id: mine,
            device_id: bob_cert.device_id,
            role: VaultRole::Read,
        },
        |env| {
            Public::bundles(vec![bundle(
                env,
                &bob_cert,
                vec![GrantedKey {
                    scope: KeyScope::Vault(mine),
                    epoch: 0,
                    key: Key32::random(),
                }],
            )])
        },
    );
    t.append(&m, &wrong);
    let out = t.bob.hush(&["sync"]).output().expect("bob syncs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not match the team's commitment"),
        "{err}"
    );
    t.alice.out(&["sync"]);
    assert_eq!(view(&t.alice), before, "still nothing changed for alice");

    // Alice's next write is sealed under the real key: the planted key does not open it, bob
    // reads it.
    t.alice.out(&["set", "prod/AFTER", "after-planting"]);
    t.alice.out(&["sync"]);
    let events = relay_events(&t.relay);
    let alice_keys = keys_of(&identity_of(&t.alice), &events);
    let last = events.last().expect("log");
    let body = last
        .open_body(&alice_keys[&(KeyScope::Log, last.envelope.epoch)])
        .expect("alice reads her own event");
    let Payload::SecretPut {
        vault_id,
        item_id,
        version,
        key_epoch,
        value_ct,
        ..
    } = body.payload
    else {
        panic!("the last event is alice's write");
    };
    assert_eq!(vault_id, prod);
    let slot = ItemSlot::new(team_id, vault_id, item_id, version, key_epoch);
    assert!(
        slot.open_value(&evil, &value_ct).is_err(),
        "the attacker's key must not open the new value"
    );
    assert_eq!(
        slot.open_value(&real_key, &value_ct)
            .expect("the real key opens it")
            .expose(),
        "after-planting"
    );
    t.bob.out(&["sync"]);
    assert_eq!(t.bob.out(&["get", "prod/AFTER"]), "after-planting\n");
}

#[test]
fn one_invalid_event_stops_nobody_and_its_author_can_be_removed() {
    let t = Team::new();
    let (_, prod, _) = t.prod();
    let m = identity_of(&t.mallory);
    let before = view(&t.alice);

    // A grant she may not make: admin on prod for herself.
    let events = relay_events(&t.relay);
    let keys = keys_of(&m, &events);
    let grant = forge(
        &m,
        &events,
        &keys,
        0,
        Payload::Grant {
            vault_id: prod,
            device_id: m.device_id,
            role: VaultRole::Admin,
        },
    );
    t.append(&m, &grant);
    no_effect_by_mallory(&t.alice, "only a vault admin may grant access");
    no_effect_by_mallory(&t.bob, "only a vault admin may grant access");
    assert_eq!(view(&t.alice), before);
    assert_eq!(
        t.alice
            .out(&["team", "status"])
            .lines()
            .find(|l| l.starts_with("state code")),
        t.bob
            .out(&["team", "status"])
            .lines()
            .find(|l| l.starts_with("state code")),
        "everyone reached the same verdict"
    );

    // Everyone keeps writing and reading past it.
    t.alice.out(&["set", "prod/API_KEY", "v2-value"]);
    t.alice.out(&["sync"]);
    t.bob.out(&["sync"]);
    assert_eq!(t.bob.out(&["get", "prod/API_KEY"]), "v2-value\n");

    // The lead removes her, and the removal works: the relay drops her device.
    let mallory_id = m.device_id.to_string();
    assert!(relay_devices(&t.relay).contains(&mallory_id));
    t.alice.out(&["remove", "mallory"]);
    t.alice.out(&["sync"]);
    assert!(
        !relay_devices(&t.relay).contains(&mallory_id),
        "the relay still lets mallory in"
    );
    let err = t.mallory.fails(&["sync"]);
    assert!(err.contains("refused") || err.contains("removed"), "{err}");
    t.bob.out(&["sync"]);
    let members = t.bob.out(&["members"]);
    assert!(
        members
            .lines()
            .any(|l| l.starts_with("mallory\t") && l.contains("removed")),
        "{members}"
    );
}

#[test]
fn every_change_a_plain_member_may_not_make_has_no_effect() {
    let t = Team::new();
    let (team_id, prod, _) = t.prod();
    let m = identity_of(&t.mallory);
    let bob = identity_of(&t.bob);
    let before = view(&t.alice);
    let bob_before = view(&t.bob);
    type Case = (
        &'static str,
        bool,
        Box<dyn Fn(Uuid) -> (Payload, Vec<AclChange>)>,
    );
    // (rule the clients name, whether the relay itself refuses her, the change)
    let cases: Vec<Case> = vec![
        (
            "only a vault admin may revoke access",
            false,
            Box::new(move |_| {
                (
                    Payload::Revoke {
                        vault_id: prod,
                        device_id: bob.device_id,
                        new_epoch: 1,
                        key_commit: [1; 32],
                    },
                    Vec::new(),
                )
            }),
        ),
        (
            "author may not write to this vault",
            false,
            Box::new(move |_| {
                (
                    put_payload(team_id, prod, 0, &Key32::random(), "API_KEY", "mallorys"),
                    Vec::new(),
                )
            }),
        ),
        (
            "author may not write to this vault",
            false,
            Box::new(move |_| {
                (
                    Payload::SecretDelete {
                        vault_id: prod,
                        item_id: Uuid::new_v4(),
                        version: 1,
                    },
                    Vec::new(),
                )
            }),
        ),
        (
            "only members who can read a vault may report its secrets leaked",
            false,
            Box::new(move |_| {
                (
                    Payload::Leaked {
                        vault_id: prod,
                        item_id: Uuid::new_v4(),
                        version: 1,
                        key_epoch: 0,
                        note_ct: vec![0; 40],
                    },
                    Vec::new(),
                )
            }),
        ),
        (
            "only members who can read a vault may record reading it",
            false,
            Box::new(move |_| {
                (
                    Payload::Usage {
                        vault_id: prod,
                        action: UsageAction::Get,
                        items: vec![(Uuid::new_v4(), 1)],
                    },
                    Vec::new(),
                )
            }),
        ),
        (
            "a new vault starts at key epoch 0",
            false,
            Box::new(move |_| {
                (
                    Payload::VaultCreate {
                        vault_id: Uuid::new_v4(),
                        key_epoch: 1,
                        name_ct: vec![0; 40],
                        key_commit: [0; 32],
                    },
                    Vec::new(),
                )
            }),
        ),
        (
            "only owners and admins may remove members",
            true,
            Box::new(move |_| {
                (
                    Payload::Remove {
                        device_id: bob.device_id,
                        new_log_epoch: 1,
                        log_commit: [2; 32],
                        rekeyed: vec![(prod, 1, [3; 32])],
                    },
                    vec![AclChange::Remove {
                        device_id: bob.device_id,
                    }],
                )
            }),
        ),
        (
            "only owners and admins may invite",
            true,
            Box::new(move |_| {
                let invite_id = Uuid::new_v4();
                let expires_ms = now_ms() + 3_600_000;
                (
                    Payload::InviteCreate {
                        invite_id,
                        role: TeamRole::Admin,
                        expires_ms,
                    },
                    vec![AclChange::Invite {
                        invite_id,
                        token_hash: [4; 32],
                        expires_ms,
                    }],
                )
            }),
        ),
        (
            "a team can be created only once",
            false,
            Box::new(move |_| {
                (
                    Payload::TeamCreate {
                        name: "acme".into(),
                        creator: DeviceIdentity::generate("mallory").expect("id").cert(),
                        log_commit: [5; 32],
                    },
                    Vec::new(),
                )
            }),
        ),
    ];
    let client = RelayClient::new(&t.relay.url, false).expect("client");
    for (rule, relay_refuses, make) in &cases {
        let events = relay_events(&t.relay);
        let keys = keys_of(&m, &events);
        let (payload, acl) = make(team_id);
        let ev = forge_with(&m, &events, &keys, 0, payload, |_| Public {
            bundles: Vec::new(),
            acl: acl.clone(),
        });
        let sent = block_on(client.append(&m, &team_id, ev.bytes(), now_ms()));
        if *relay_refuses {
            // The relay filters what it can see (an access-list change from a non-manager)...
            assert!(
                sent.is_err(),
                "{rule}: the relay took an ACL change from a member"
            );
            // ...and a relay working with her stores it anyway: every client still refuses.
            relay_insert(&t.relay, &ev);
        } else {
            assert!(
                matches!(sent, Ok(Appended::Ok)),
                "{rule}: stored at the head"
            );
        }
        no_effect_by_mallory(&t.alice, rule);
        assert_eq!(view(&t.alice), before, "{rule}: alice's view changed");
    }
    // Bob, who pulls them all at once, reaches the same verdicts and the same state.
    let err = t.bob.fails(&["sync"]);
    for (rule, _, _) in &cases {
        assert!(err.contains(rule), "bob did not name {rule:?}: {err}");
    }
    t.bob.out(&["sync"]);
    assert_eq!(view(&t.bob), bob_before);
    let code = |d: &Device| {
        d.out(&["team", "status"])
            .lines()
            .find(|l| l.starts_with("state code"))
            .map(str::to_owned)
    };
    assert_eq!(code(&t.alice), code(&t.bob));
    assert!(relay_devices(&t.relay).contains(&bob.device_id.to_string()));
}

#[test]
fn after_a_removal_old_keys_and_a_colluding_relay_change_nothing() {
    let t = Team::new();
    let (team_id, prod, _) = t.prod();
    // Mallory could read prod, and bob may write it; then mallory is removed.
    t.alice.out(&["grant", "prod", "mallory", "--role", "read"]);
    t.alice.out(&["grant", "prod", "bob", "--role", "write"]);
    t.alice.out(&["sync"]);
    t.mallory.out(&["sync"]);
    t.bob.out(&["sync"]);
    let m = identity_of(&t.mallory);
    let bob = identity_of(&t.bob);
    let old_events = relay_events(&t.relay);
    let mallory_keys = keys_of(&m, &old_events);
    assert!(mallory_keys.contains_key(&(KeyScope::Vault(prod), 0)));
    t.alice.out(&["remove", "mallory"]);
    t.alice.out(&["sync"]);
    t.bob.out(&["sync"]);
    let before = view(&t.alice);

    // A relay working with removed mallory stores her write (sealed under the keys she had).
    let events = relay_events(&t.relay);
    let write = forge(
        &m,
        &events,
        &mallory_keys,
        0,
        put_payload(
            team_id,
            prod,
            0,
            &mallory_keys[&(KeyScope::Vault(prod), 0)],
            "FROM_MALLORY",
            "after-removal",
        ),
    );
    let client = RelayClient::new(&t.relay.url, false).expect("client");
    assert!(
        block_on(client.append(&m, &team_id, write.bytes(), now_ms())).is_err(),
        "the relay itself refuses a removed device"
    );
    relay_insert(&t.relay, &write);
    no_effect_by_mallory(&t.alice, "its author had been removed from the team");
    assert_eq!(view(&t.alice), before);
    assert!(
        t.alice
            .fails(&["get", "prod/FROM_MALLORY"])
            .contains("not found")
    );

    // A remaining member (bob) writes under the vault key mallory still holds: no effect.
    let events = relay_events(&t.relay);
    let bob_keys = keys_of(&bob, &events);
    assert!(
        bob_keys.contains_key(&(KeyScope::Log, 1)),
        "the log was re-keyed"
    );
    // Bob's modified client writes a secret under the given log and vault-key epochs; alice's
    // next sync says it had no effect and names the rule, the one after it is clean.
    let old_epoch_write = |log_epoch: u32, vault_epoch: u32, name: &str, rule: &str| {
        let events = relay_events(&t.relay);
        let write = forge(
            &bob,
            &events,
            &bob_keys,
            log_epoch,
            put_payload(
                team_id,
                prod,
                vault_epoch,
                &bob_keys[&(KeyScope::Vault(prod), vault_epoch)],
                name,
                "written-at-an-old-epoch",
            ),
        );
        t.append(&bob, &write);
        let err = t.alice.fails(&["sync"]);
        assert!(
            err.contains("by bob had no effect") && err.contains(rule),
            "{err}"
        );
        t.alice.out(&["sync"]);
    };
    // Under the vault key mallory still holds...
    old_epoch_write(1, 0, "OLD_VAULT_EPOCH", "old vault-key epoch");
    // ...and under the old log key.
    old_epoch_write(0, 1, "OLD_LOG_EPOCH", "log-key epoch 0");
    assert_eq!(view(&t.alice), before);
    // Bob's honest client goes on writing at the right epochs, and alice reads it.
    // (his own client names the events his key signed by hand, once)
    let err = t.bob.fails(&["sync"]);
    assert!(err.contains("by bob had no effect"), "{err}");
    t.bob.out(&["set", "prod/FROM_BOB", "honest"]);
    t.bob.out(&["sync"]);
    t.alice.out(&["sync"]);
    assert_eq!(t.alice.out(&["get", "prod/FROM_BOB"]), "honest\n");
}
