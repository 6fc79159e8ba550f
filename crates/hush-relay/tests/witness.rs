//! Witness mode (`hush-relay --witness`), driven through its real router over a real database:
//! co-signing only heads that extend the last co-signed one, refusing forks, following the ACL
//! like a relay, and keeping its key and chain across restarts. Every test runs against SQLite
//! and, when `HUSH_TEST_POSTGRES_URL` is set, PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Relay, Team, TestDb, add, event_at};
use hush_proto::event::{AclChange, SignedEvent};
use hush_proto::identity::DeviceIdentity;
use hush_proto::relay_proto::{self, hex};
use hush_proto::witness_proto::{self, WitnessFork, WitnessHead, WitnessKey};
use uuid::Uuid;

both_backends!(
    extends_from_genesis_and_cosigns_the_head,
    a_fork_is_refused_with_the_witness_own_head,
    only_active_writing_members_may_extend_or_read,
    an_author_must_be_allowed_to_append_its_event,
    key_and_chain_survive_a_restart,
    a_relay_database_is_refused_in_witness_mode,
);

async fn witness_key(w: &Relay) -> [u8; 32] {
    let r = w
        .send(
            Request::get(witness_proto::KEY_PATH)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json::<WitnessKey>().decode().expect("key")
}

async fn head(w: &Relay, team: &Team, id: &DeviceIdentity, at: Option<u64>) -> common::Resp {
    w.signed(
        id,
        Method::GET,
        &witness_proto::head_path(&team.id, at),
        &team.id,
        vec![],
    )
    .await
}

/// Grows the team's local chain by `n` plain events of the owner.
fn grow(team: &mut Team, n: usize) {
    for _ in 0..n {
        let ev = team.next(&team.owner, vec![]);
        team.chain.push(ev);
    }
}

async fn extends_from_genesis_and_cosigns_the_head(db: &TestDb) {
    let w = Relay::witness(db).await;
    let key = witness_key(&w).await;
    let mut team = Team::new();
    grow(&mut team, 3);
    // Unknown team: 404 (the client reads it as "nothing witnessed yet").
    assert_eq!(
        head(&w, &team, &team.owner, None).await.status,
        StatusCode::NOT_FOUND
    );

    let r = w.extend(&team, &team.owner, &team.chain[..2]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let h = r
        .json::<WitnessHead>()
        .verify(&key, &team.id)
        .expect("signed");
    assert_eq!((h.seq, h.hash), (1, team.chain[1].hash()));

    // Overlapping batches are fine: known events are compared, new ones appended.
    let r = w.extend(&team, &team.owner, &team.chain[1..]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let h = r
        .json::<WitnessHead>()
        .verify(&key, &team.id)
        .expect("signed");
    assert_eq!((h.seq, h.hash), (3, team.chain[3].hash()));

    // The head, with the hash accepted at an earlier position.
    let r = head(&w, &team, &team.owner, Some(1)).await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r
        .json::<WitnessHead>()
        .verify(&key, &team.id)
        .expect("signed");
    assert_eq!(h.seq, 3);
    assert_eq!(h.at, Some((1, team.chain[1].hash())));
    // The signature is over team, seq and hash: it does not verify for another team.
    let r = head(&w, &team, &team.owner, None).await;
    assert!(
        r.json::<WitnessHead>()
            .verify(&key, &Uuid::new_v4())
            .is_err()
    );

    // A batch that starts past the head is refused and changes nothing.
    let mut later = Team {
        id: team.id,
        log_key: team.log_key.clone(),
        owner: DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("id"),
        chain: team.chain.clone(),
    };
    grow(&mut later, 2);
    let r = w.extend(&team, &team.owner, &later.chain[5..]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json::<WitnessFork>().head.seq, 3);

    // Only hashes are kept: this database holds no event.
    assert!(!w.state.db().holds_events().await.expect("query"));
}

async fn a_fork_is_refused_with_the_witness_own_head(db: &TestDb) {
    let w = Relay::witness(db).await;
    let key = witness_key(&w).await;
    let mut team = Team::new();
    grow(&mut team, 2);
    assert_eq!(
        w.extend(&team, &team.owner, &team.chain).await.status,
        StatusCode::OK
    );

    // Another event 2 (what a relay shows a second member): refused, head unchanged.
    let other = event_at(
        &team.id,
        &team.log_key,
        &team.owner,
        2,
        team.chain[1].hash(),
        vec![],
    );
    assert_ne!(other.hash(), team.chain[2].hash());
    let r = w
        .extend(&team, &team.owner, std::slice::from_ref(&other))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let fork: WitnessFork = r.json();
    assert_eq!(fork.error, "fork");
    let h = fork
        .head
        .verify(&key, &team.id)
        .expect("its own signed head");
    assert_eq!((h.seq, h.hash), (2, team.chain[2].hash()));

    // Extending the other branch (event 3 after the other event 2) is refused too.
    let on_other = event_at(
        &team.id,
        &team.log_key,
        &team.owner,
        3,
        other.hash(),
        vec![],
    );
    let r = w.extend(&team, &team.owner, &[on_other]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // A batch whose known part disagrees is refused as a whole, even with a valid continuation.
    let mut longer = team.chain.clone();
    longer[1] = event_at(
        &team.id,
        &team.log_key,
        &team.owner,
        1,
        team.chain[0].hash(),
        vec![],
    );
    let r = w.extend(&team, &team.owner, &longer).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let r = head(&w, &team, &team.owner, None).await;
    let h = r
        .json::<WitnessHead>()
        .verify(&key, &team.id)
        .expect("signed");
    assert_eq!((h.seq, h.hash), (2, team.chain[2].hash()));
}

async fn only_active_writing_members_may_extend_or_read(db: &TestDb) {
    let w = Relay::witness(db).await;
    let mut team = Team::new();
    let carol = DeviceIdentity::generate("carol").expect("id");
    let bob = DeviceIdentity::generate("bob").expect("id");
    let stranger = DeviceIdentity::generate("stranger").expect("id");
    let ci = DeviceIdentity::generate("ci").expect("id");
    for acl in [
        vec![add(&carol, false)],
        vec![add(&bob, false)],
        vec![AclChange::AddService {
            device_id: ci.device_id,
            auth_pk: ci.cert().auth_pk,
            expires_ms: i64::MAX,
        }],
    ] {
        let ev = team.next(&team.owner, acl);
        team.chain.push(ev);
    }
    // A stranger cannot create the team at the witness (it is not in the genesis's ACL).
    let r = w.extend(&team, &stranger, &team.chain).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // carol, added by this very batch, may send it.
    let r = w.extend(&team, &carol, &team.chain).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A stranger is refused now that the team exists; so is an unsigned request.
    grow(&mut team, 1);
    let r = w.extend(&team, &stranger, &team.chain[4..]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = w
        .send(
            Request::post(witness_proto::extend_path(&team.id))
                .body(Body::from(relay_proto::encode_event_list([
                    team.chain[4].bytes()
                ])))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A read-only service identity may read the head but not extend.
    assert_eq!(head(&w, &team, &ci, None).await.status, StatusCode::OK);
    let r = w.extend(&team, &ci, &team.chain[4..]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // bob is removed: from then on he can neither extend nor read.
    let rm = team.next(
        &team.owner,
        vec![AclChange::Remove {
            device_id: bob.device_id,
        }],
    );
    let before = team.chain.len();
    team.chain.push(rm);
    let r = w.extend(&team, &bob, &team.chain[4..]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a batch that removes its signer"
    );
    let r = w.extend(&team, &carol, &team.chain[4..]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = head(&w, &team, &bob, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    grow(&mut team, 1);
    let r = w.extend(&team, &bob, &team.chain[before + 1..]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A signature by the wrong key is refused.
    let forged = common::signed_request(
        &stranger,
        Method::GET,
        &witness_proto::head_path(&team.id, None),
        &team.id,
        vec![],
        common::now_ms(),
    );
    let mut forged = forged;
    forged.headers_mut().insert(
        relay_proto::header::DEVICE,
        carol.device_id.to_string().parse().expect("hdr"),
    );
    assert_eq!(w.send(forged).await.status, StatusCode::UNAUTHORIZED);
}

async fn an_author_must_be_allowed_to_append_its_event(db: &TestDb) {
    let w = Relay::witness(db).await;
    let mut team = Team::new();
    let carol = DeviceIdentity::generate("carol").expect("id");
    let mallory = DeviceIdentity::generate("mallory").expect("id");
    let ev = team.next(&team.owner, vec![add(&carol, false)]);
    team.chain.push(ev);
    assert_eq!(
        w.extend(&team, &carol, &team.chain).await.status,
        StatusCode::OK
    );
    // carol (not a manager) authors an ACL change the relay would refuse: so does the witness.
    let sneaky = team.next(&carol, vec![add(&mallory, true)]);
    let r = w.extend(&team, &carol, &[sneaky]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // An event in the name of someone outside the team is refused.
    let ghost = team.next(&mallory, vec![]);
    let r = w.extend(&team, &carol, &[ghost]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Her plain event is fine.
    let fine = team.next(&carol, vec![]);
    assert_eq!(
        w.extend(&team, &carol, &[fine]).await.status,
        StatusCode::OK
    );
}

async fn key_and_chain_survive_a_restart(db: &TestDb) {
    let mut team = Team::new();
    grow(&mut team, 2);
    let (key, head1) = {
        let w = Relay::witness(db).await;
        let key = witness_key(&w).await;
        let r = w.extend(&team, &team.owner, &team.chain).await;
        assert_eq!(r.status, StatusCode::OK);
        let head1 = r.json::<WitnessHead>();
        w.state.db().close().await;
        (key, head1)
    };
    let w = Relay::witness(db).await;
    assert_eq!(
        witness_key(&w).await,
        key,
        "the key is kept in the database"
    );
    let r = head(&w, &team, &team.owner, None).await;
    assert_eq!(
        r.json::<WitnessHead>(),
        head1,
        "the same signed head after a restart"
    );
    // Still refuses a fork of what it accepted before the restart...
    let other = event_at(
        &team.id,
        &team.log_key,
        &team.owner,
        2,
        team.chain[1].hash(),
        vec![],
    );
    assert_eq!(
        w.extend(&team, &team.owner, &[other]).await.status,
        StatusCode::CONFLICT
    );
    // ...and still accepts its continuation.
    grow(&mut team, 1);
    let r = w.extend(&team, &team.owner, &team.chain[3..]).await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r
        .json::<WitnessHead>()
        .verify(&key, &team.id)
        .expect("signed");
    assert_eq!(h.seq, 3);
    assert_eq!(hex(&h.hash), hex(&team.chain[3].hash()));
}

async fn a_relay_database_is_refused_in_witness_mode(db: &TestDb) {
    let relay = Relay::new(db).await;
    let team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let config = |witness| hush_relay::Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        database: db.url.clone(),
        tls: None,
        limits: hush_relay::RateLimits::default(),
        witness,
        metrics_listen: None,
    };
    let err = hush_relay::serve(config(true), std::future::pending(), |_| {})
        .await
        .expect_err("a relay's database in witness mode");
    assert!(err.to_string().contains("relay's events"), "{err}");
    let _: &[SignedEvent] = &team.chain;
}
