//! Status, rotation, leak reports and usage records, end to end on real sessions.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use uuid::Uuid;

use super::*;
use crate::address::Address;
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{Body, KeyScope, Payload, Public, PutKind, SignedEvent, UsageAction, VaultRole};
use crate::item::{ItemMeta, ItemSlot, parse_date};
use crate::secret::{Key32, SecretString};
use crate::session::tests::info;
use crate::session::{MetaUpdate, Session};

fn slot() -> ItemSlot {
    ItemSlot::new(
        Uuid::from_bytes([1; 16]),
        Uuid::from_bytes([2; 16]),
        Uuid::from_bytes([3; 16]),
        4,
        5,
    )
}

#[test]
fn new_payloads_round_trip_and_reject_garbage() {
    let bodies = [
        Body {
            time_ms: 1_767_225_600_000,
            payload: Payload::Leaked {
                vault_id: Uuid::from_bytes([2; 16]),
                item_id: Uuid::from_bytes([3; 16]),
                version: 4,
                key_epoch: 5,
                note_ct: vec![7; 40],
            },
        },
        Body {
            time_ms: -1,
            payload: Payload::Usage {
                vault_id: Uuid::from_bytes([2; 16]),
                action: UsageAction::History,
                items: vec![
                    (Uuid::from_bytes([3; 16]), 1),
                    (Uuid::from_bytes([3; 16]), 2),
                ],
            },
        },
    ];
    for b in &bodies {
        let bytes = b.encode();
        assert_eq!(&Body::decode(&bytes).expect("decode"), b);
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Body::decode(&longer).is_err(), "trailing byte accepted");
        assert!(Body::decode(&bytes[..bytes.len() - 1]).is_err());
    }
    // Usage: the action byte sits after tag, time and vault id.
    let mut bad_action = bodies[1].encode().to_vec();
    bad_action[1 + 8 + 16] = 8;
    assert!(Body::decode(&bad_action).is_err(), "unknown action");
    for (code, a) in [
        (0, UsageAction::Get),
        (1, UsageAction::Run),
        (2, UsageAction::Inject),
        (3, UsageAction::Reveal),
        (4, UsageAction::Copy),
        (5, UsageAction::History),
        (6, UsageAction::Export),
        (7, UsageAction::Backup),
    ] {
        assert_eq!(a.to_u8(), code);
        assert_eq!(UsageAction::from_u8(code).ok(), Some(a));
    }
    // An empty usage list is refused by the decoder.
    let empty = Body {
        time_ms: 0,
        payload: Payload::Usage {
            vault_id: Uuid::nil(),
            action: UsageAction::Get,
            items: Vec::new(),
        },
    };
    assert!(Body::decode(&empty.encode()).is_err());
}

#[test]
fn leak_notes_are_bound_to_their_slot() {
    let key = Key32::random();
    let ct = seal_leak_note(&slot(), &key, "pasted in #general");
    assert_eq!(
        open_leak_note(&slot(), &key, &ct).ok().as_deref(),
        Some("pasted in #general")
    );
    let mut other = slot();
    other.version = 3;
    assert!(open_leak_note(&other, &key, &ct).is_err());
    let mut other = slot();
    other.key_epoch = 6;
    assert!(open_leak_note(&other, &key, &ct).is_err());
    // A metadata ciphertext of the same slot is not a note.
    let meta = slot().seal_meta(
        &key,
        &ItemMeta {
            name: "K".into(),
            ..ItemMeta::default()
        },
    );
    assert!(open_leak_note(&slot(), &key, &meta).is_err());
    // Notes a client would refuse to write are refused when read.
    let evil = crypto::seal(&key, &leak_note_ad(&slot()), b"ok\x1b[2Jcleared");
    assert!(open_leak_note(&slot(), &key, &evil).is_err());
    assert!(validate_leak_note("line\nbreak").is_err());
}

#[test]
fn states_say_why_and_since_when() {
    let t0 = parse_date("2030-01-01").expect("date") * DAY_MS;
    assert!(key_states(&info(t0, Some(90), None), t0 + DAY_MS).is_empty());
    let due = key_states(&info(t0, Some(90), None), t0 + 85 * DAY_MS);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].0, KeyState::Due);
    assert_eq!(
        due[0].2,
        t0 + 83 * DAY_MS,
        "the due window opens 7 days before"
    );
    assert!(due[0].1.contains("2030-04-01"), "{}", due[0].1);
    let over = key_states(&info(t0, Some(90), None), t0 + 100 * DAY_MS);
    assert_eq!(over[0].0, KeyState::Overdue);
    assert_eq!(over[0].2, t0 + 90 * DAY_MS);
    let exp = key_states(&info(t0, Some(90), Some("2030-01-10")), t0 + 20 * DAY_MS);
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0].0, KeyState::Expired);
    assert_eq!(exp[0].2, t0 + 9 * DAY_MS, "since the expiry date");
    assert_eq!(exp[0].1, "expired on 2030-01-10");
    let soon = key_states(&info(t0, None, Some("2030-01-20")), t0 + 10 * DAY_MS);
    assert_eq!(soon[0].0, KeyState::Due);
    assert_eq!(soon[0].2, t0 + 6 * DAY_MS);
    let mut exposed = info(t0, None, None);
    exposed.exposed = Some(crate::state::Exposure {
        since_ms: t0 + 5,
        at_version: 1,
        reason: "bob was removed from the team".into(),
        leak: false,
    });
    let x = key_states(&exposed, t0 + DAY_MS);
    assert_eq!(
        x,
        vec![(
            KeyState::Exposed,
            "bob was removed from the team".to_owned(),
            t0 + 5
        )]
    );
}

/// A session on a temporary home whose clock the test moves.
async fn session(dir: &std::path::Path, now: Arc<AtomicI64>) -> Session {
    let clock_now = now.clone();
    Session::init(
        dir,
        "alice",
        &SecretString::new("correct horse battery staple".into()),
        crate::crypto::KdfParams::DEFAULT,
        Arc::new(move || clock_now.load(Ordering::SeqCst)),
    )
    .await
    .expect("init")
}

#[tokio::test]
async fn rotation_clears_overdue_and_exposure_and_refuses_the_same_value() {
    let dir = tempfile::tempdir().expect("tmp");
    let t0 = parse_date("2030-01-01").expect("date") * DAY_MS;
    let now = Arc::new(AtomicI64::new(t0));
    let mut s = session(&dir.path().join("h"), now.clone()).await;
    s.vault_create(None, "prod").await.expect("vault");
    let addr = Address::parse("prod/K").expect("addr");
    s.set(
        None,
        &addr,
        &SecretString::new("v1".into()),
        MetaUpdate {
            rotate_every_days: Some(30),
            ..MetaUpdate::default()
        },
        PutKind::Set,
    )
    .await
    .expect("set");
    assert!(s.key_status(None).expect("status").keys.is_empty());
    now.store(t0 + 31 * DAY_MS, Ordering::SeqCst);
    let report = s
        .report_leak(None, &addr, "in a screenshot")
        .await
        .expect("leak");
    assert_eq!(report.version, 1);
    assert_eq!(report.reason, "reported leaked by alice: in a screenshot");
    assert_eq!(report.readers.len(), 1);
    assert_eq!(report.readers[0].status, "has admin access");
    let st = s.key_status(None).expect("status");
    let states: Vec<KeyState> = st.keys.iter().map(|k| k.state).collect();
    assert_eq!(states, vec![KeyState::Exposed, KeyState::Overdue]);
    assert_eq!(st.keys[1].since_ms, t0 + 30 * DAY_MS);

    let e = s
        .rotate(None, &addr, &SecretString::new("v1".into()), None)
        .await
        .expect_err("same value");
    assert!(e.to_string().contains("same as the current one"), "{e}");
    let missing = Address::parse("prod/NOPE").expect("addr");
    let e = s
        .rotate(None, &missing, &SecretString::new("x".into()), None)
        .await
        .expect_err("missing");
    assert_eq!(
        (e.code(), e.hint()),
        (
            crate::ErrorCode::NotFound,
            Some(crate::error::Hint::CreateSecret)
        )
    );
    // A missing vault says where to look; through a reference, the reference is named.
    let no_vault = Address::parse("nope/K").expect("addr");
    let e = s.get(None, &no_vault).expect_err("no vault");
    assert_eq!(
        (e.to_string().as_str(), e.hint()),
        ("vault `nope` not found", Some(crate::error::Hint::Vaults))
    );
    let e = s
        .resolve_reference(None, "hush://nope/K")
        .expect_err("no vault");
    assert_eq!(e.to_string(), "reference `hush://nope/K` not found");
    let v = s
        .rotate(None, &addr, &SecretString::new("v2".into()), None)
        .await
        .expect("rotate");
    assert_eq!(v, 2);
    assert!(s.key_status(None).expect("status").keys.is_empty());
    let hist = s.history(None, &addr, false).expect("history");
    assert_eq!(hist[0].kind, PutKind::Rotation);
    // Metadata is kept: the period still runs from the rotation.
    now.store(t0 + 62 * DAY_MS, Ordering::SeqCst);
    assert_eq!(
        s.key_status(None).expect("status").keys[0].state,
        KeyState::Overdue
    );
    s.close().await;
}

/// Alice's session with a shared team "acme" (relay set, never contacted), vault `prod`
/// holding `prod/K`, and bob admitted without any vault access. Returns bob's identity.
async fn team_with_bob(s: &mut Session) -> (Uuid, crate::identity::DeviceIdentity) {
    use crate::event::{AclChange, TeamRole};
    let info = s
        .team_create("acme", Some("http://127.0.0.1:9".into()), false)
        .await
        .expect("team");
    let tid = info.id;
    s.vault_create(None, "prod").await.expect("vault");
    s.set(
        None,
        &Address::parse("prod/K").expect("addr"),
        &SecretString::new("v1".into()),
        MetaUpdate::default(),
        PutKind::Set,
    )
    .await
    .expect("set");
    let bob = crate::identity::DeviceIdentity::generate("bob").expect("bob");
    let invite_id = Uuid::new_v4();
    let expires_ms = (s.clock)() + DAY_MS;
    s.append(
        tid,
        Payload::InviteCreate {
            invite_id,
            role: TeamRole::Member,
            expires_ms,
        },
        Public {
            bundles: Vec::new(),
            acl: vec![AclChange::Invite {
                invite_id,
                token_hash: [0; 32],
                expires_ms,
            }],
        },
    )
    .await
    .expect("invite");
    let (p, public) = s
        .build_admit(tid, invite_id, &bob.cert(), TeamRole::Member, [0; 32])
        .expect("admit");
    s.append(tid, p, public).await.expect("admit");
    (tid, bob)
}

/// An event authored by `who` at the head of `tid`, checked (not applied) on alice's state.
fn check_as(
    s: &Session,
    tid: Uuid,
    who: &crate::identity::DeviceIdentity,
    payload: Payload,
) -> Result<()> {
    let st = &s.teams[&tid].state;
    let (seq, prev) = st.next_position();
    let ev = SignedEvent::seal(
        crate::event::Envelope {
            team_id: tid,
            seq,
            prev,
            epoch: st.log_epoch,
            author: who.device_id,
        },
        Public::default(),
        &crate::event::Body {
            time_ms: (s.clock)(),
            payload,
        },
        st.key(KeyScope::Log, st.log_epoch).expect("log key"),
        who,
    )?;
    st.check_own(&ev, &s.identity).map(|_| ())
}

#[tokio::test]
async fn only_readers_of_the_vault_may_record_usage_or_report_leaks() {
    let dir = tempfile::tempdir().expect("tmp");
    let now = Arc::new(AtomicI64::new(1_900_000_000_000));
    let mut s = session(&dir.path().join("h"), now).await;
    let (tid, bob) = team_with_bob(&mut s).await;
    let (vid, item, key_epoch) = {
        let st = &s.teams[&tid].state;
        let v = st.vaults.values().next().expect("vault");
        (v.id, v.find("K").expect("item").id, v.key_epoch)
    };
    let usage = || Payload::Usage {
        vault_id: vid,
        action: UsageAction::Get,
        items: vec![(item, 1)],
    };
    // Bob holds no vault key, so he cannot seal a note; any bytes will do for the check.
    let leaked = || Payload::Leaked {
        vault_id: vid,
        item_id: item,
        version: 1,
        key_epoch,
        note_ct: vec![0; 40],
    };
    for p in [usage(), leaked()] {
        let e = check_as(&s, tid, &bob, p).expect_err("bob cannot read prod");
        assert!(
            matches!(e, Error::Forbidden(ref m) if m.contains("only members who can read")),
            "{e}"
        );
    }
    // Unknown items and versions are refused even from a reader.
    for items in [
        vec![(Uuid::new_v4(), 1)],
        vec![(item, 2)],
        vec![(item, 1), (item, 1)],
    ] {
        let p = Payload::Usage {
            vault_id: vid,
            action: UsageAction::Get,
            items,
        };
        assert!(check_as(&s, tid, &s.identity, p).is_err());
    }
    let (p, public) = s
        .build_grant(tid, vid, bob.device_id, VaultRole::Read)
        .expect("grant");
    s.append(tid, p, public).await.expect("grant");
    check_as(&s, tid, &bob, usage()).expect("a reader may record usage");
    // Only readers can open a note, so what they find cannot decide validity (non-readers
    // would disagree): a reader's report with a note that does not open still counts.
    check_as(&s, tid, &bob, leaked()).expect("a reader's report counts, note or not");
    s.close().await;
}

#[tokio::test]
async fn usage_is_deduplicated_per_version_and_action_for_an_hour() {
    let dir = tempfile::tempdir().expect("tmp");
    let t0 = 1_900_000_000_000;
    let now = Arc::new(AtomicI64::new(t0));
    let mut s = session(&dir.path().join("h"), now.clone()).await;
    let (tid, _bob) = team_with_bob(&mut s).await;
    let addr = Address::parse("prod/K").expect("addr");
    let reads = |s: &Session| s.teams[&tid].state.usage.len();
    assert_eq!(
        s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
            .await,
        1
    );
    assert_eq!(reads(&s), 1);
    now.store(t0 + 59 * 60_000, Ordering::SeqCst);
    assert_eq!(
        s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
            .await,
        0,
        "same version, same action, within the hour"
    );
    assert_eq!(
        s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Run, false)
            .await,
        1,
        "another action is another record"
    );
    now.store(t0 + 61 * 60_000, Ordering::SeqCst);
    assert_eq!(
        s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
            .await,
        1,
        "an hour later"
    );
    s.set(
        None,
        &addr,
        &SecretString::new("v2".into()),
        MetaUpdate::default(),
        PutKind::Set,
    )
    .await
    .expect("set");
    assert_eq!(
        s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
            .await,
        1,
        "a new version"
    );
    assert_eq!(
        s.record_reads(
            None,
            std::slice::from_ref(&addr),
            UsageAction::History,
            true
        )
        .await,
        2,
        "a history reveal reads every version"
    );
    let r = &s.teams[&tid].state.usage;
    assert_eq!(r.len(), 6);
    assert!(r.iter().all(|x| x.member == s.identity.device_id));
    // The records survive a reload from the store (they come from the signed log).
    let home = s.home().to_owned();
    let account = s.account.clone();
    s.close().await;
    let s = Session::unlock_with_key(&home, account, Arc::new(move || t0))
        .await
        .expect("reload");
    assert_eq!(s.teams[&tid].state.usage.len(), 6);
    s.close().await;
}

#[tokio::test]
async fn usage_is_not_recorded_in_a_team_of_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let now = Arc::new(AtomicI64::new(1_900_000_000_000));
    let mut s = session(&dir.path().join("h"), now).await;
    s.vault_create(None, "prod").await.expect("vault");
    let addr = Address::parse("prod/K").expect("addr");
    s.set(
        None,
        &addr,
        &SecretString::new("v1".into()),
        MetaUpdate::default(),
        PutKind::Set,
    )
    .await
    .expect("set");
    let head = s.teams.values().map(|t| t.state.head).collect::<Vec<_>>();
    assert_eq!(
        s.record_reads(None, &[addr], UsageAction::Get, false).await,
        0
    );
    let after = s.teams.values().map(|t| t.state.head).collect::<Vec<_>>();
    assert_eq!(head, after, "nothing appended");
    s.close().await;
}
#[tokio::test]
async fn only_owners_and_admins_require_or_drop_a_witness() {
    let dir = tempfile::tempdir().expect("tmp");
    let now = Arc::new(AtomicI64::new(1_900_000_000_000));
    let mut s = session(&dir.path().join("h"), now).await;
    let (tid, bob) = team_with_bob(&mut s).await;
    let key = [0x42; 32];
    let add = |url: &str| Payload::WitnessAdd {
        url: url.into(),
        key,
    };
    let e = check_as(&s, tid, &bob, add("https://w.example")).expect_err("a member");
    assert!(e.to_string().contains("only owners and admins"), "{e}");
    for bad in [
        "ftp://w.example",
        "https://",
        "https://w.example/\nx",
        "w.example",
    ] {
        assert!(check_as(&s, tid, &s.identity, add(bad)).is_err(), "{bad}");
    }
    let e =
        check_as(&s, tid, &s.identity, Payload::WitnessRemove { key }).expect_err("not required");
    assert!(e.to_string().contains("does not require"), "{e}");
    s.append(tid, add("https://w.example"), Public::default())
        .await
        .expect("owner adds");
    assert_eq!(
        s.teams[&tid].state.witnesses.get(&key).map(String::as_str),
        Some("https://w.example")
    );
    assert!(check_as(&s, tid, &s.identity, add("https://other.example")).is_err());
    let e = check_as(&s, tid, &bob, Payload::WitnessRemove { key }).expect_err("a member");
    assert!(e.to_string().contains("only owners and admins"), "{e}");
    let listed = s.witnesses(None).expect("list");
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].co_signed, "never seen co-signing");
    // What a sync saw of it survives the settings' encoding.
    let mut settings = s.teams[&tid].settings.clone();
    settings.witness_seen.insert(key, 7);
    let again = crate::settings::TeamSettings::decode(&settings.encode()).expect("decode");
    assert_eq!(again.witness_seen.get(&key), Some(&7));
    s.append(tid, Payload::WitnessRemove { key }, Public::default())
        .await
        .expect("owner removes");
    assert!(s.teams[&tid].state.witnesses.is_empty());
    s.close().await;
}

#[test]
fn key_status_and_the_list_agree_at_every_hour() {
    // The list's rotation state and the status's key states read one schedule: walk every hour
    // across due windows, deadlines and expiry days, and check they never disagree, and that a
    // state's "since" is never in the future.
    let t0 = parse_date("2030-01-01").expect("date") * DAY_MS;
    for (period, expires) in [
        (Some(30), None),
        (None, Some("2030-01-20")),
        (Some(10), Some("2030-01-25")),
        (Some(40), Some("2030-01-05")),
    ] {
        let i = info(t0, period, expires);
        for hour in 0..(60 * 24) {
            let now = t0 + hour * HOUR_MS;
            let states = key_states(&i, now);
            let want = match i.rotation_state(now) {
                RotationState::None | RotationState::Ok => None,
                RotationState::Due => Some(KeyState::Due),
                RotationState::Overdue => Some(KeyState::Overdue),
                RotationState::Expired => Some(KeyState::Expired),
            };
            assert_eq!(
                states.first().map(|s| s.0),
                want,
                "{period:?} {expires:?} at hour {hour}"
            );
            for (state, why, since) in &states {
                assert!(
                    *since <= now,
                    "{state:?} ({why}) since the future at hour {hour}"
                );
                assert!(!why.is_empty());
            }
        }
    }
}
