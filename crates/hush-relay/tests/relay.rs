//! The relay's protocol, driven through the real router (`oneshot`) over a real database: every
//! test runs against SQLite and, when `HUSH_TEST_POSTGRES_URL` is set, PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Relay, Team, TestDb, add, event_at, genesis, head_of, now_ms, signed_request};
use hush_proto::crypto;
use hush_proto::event::AclChange;
use hush_proto::identity::DeviceIdentity;
use hush_proto::relay_proto::{
    self, AppendOk, Head, JoinRequest, MAX_BODY, MAX_JOIN_BLOB, MAX_NOTE, MAX_SKEW_MS, header as h,
};
use hush_proto::secret::Key32;
use hush_relay::RateLimits;
use uuid::Uuid;

both_backends!(
    health_answers_without_auth,
    signed_requests_are_checked,
    replayed_nonce_is_refused,
    stale_or_future_timestamp_is_refused,
    oversized_body_is_413,
    rate_limit_answers_429_with_retry_after,
    removed_device_is_refused_after_acl_remove,
    cas_conflict_and_idempotent_repost,
    genesis_rules,
    only_managers_change_the_acl,
    joins_with_right_and_wrong_tokens_single_use_and_expiry,
    pull_pages_and_orders_events,
    long_poll_wakes_on_append_and_times_out,
    long_poll_sees_appends_through_another_instance,
    unknown_routes_and_bad_ids,
    each_device_keeps_its_own_note,
);

async fn health_answers_without_auth(db: &TestDb) {
    let relay = Relay::new(db).await;
    let r = relay
        .send(
            Request::get(hush_proto::relay_proto::paths::HEALTH)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"ok");
}

async fn signed_requests_are_checked(db: &TestDb) {
    let relay = Relay::new(db).await;
    let team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);

    // A correctly signed request from a member.
    let r = relay.head(&team, &team.owner).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<Head>(), head_of(team.genesis()));

    // No headers at all.
    let r = relay
        .send(
            Request::get(team.path("/head"))
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");

    // A bad signature: signed for another path, sent to this one.
    let mut req = signed_request(
        &team.owner,
        Method::GET,
        &team.path("/events"),
        &team.id,
        vec![],
        now_ms(),
    );
    *req.uri_mut() = team.path("/head").parse().expect("uri");
    let r = relay.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");

    // A bad signature: a body other than the one signed.
    let ev = team.next(&team.owner, vec![]);
    let mut req = signed_request(
        &team.owner,
        Method::POST,
        &team.path("/events"),
        &team.id,
        vec![1, 2, 3],
        now_ms(),
    );
    *req.body_mut() = Body::from(ev.bytes().to_vec());
    let r = relay.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Signed with the right device id but another key (the headers claim the owner).
    let impostor = DeviceIdentity::generate("impostor").expect("id");
    let mut req = signed_request(
        &impostor,
        Method::GET,
        &team.path("/head"),
        &team.id,
        vec![],
        now_ms(),
    );
    req.headers_mut().insert(
        h::DEVICE,
        team.owner.device_id.to_string().parse().expect("hv"),
    );
    let r = relay.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A device the team does not know.
    let r = relay.head(&team, &impostor).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");

    // A member of one team is a stranger to another.
    let other = Team::new();
    assert_eq!(relay.create(&other).await.status, StatusCode::CREATED);
    let r = relay
        .signed(
            &team.owner,
            Method::GET,
            &other.path("/head"),
            &other.id,
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Malformed headers.
    let mut req = signed_request(
        &team.owner,
        Method::GET,
        &team.path("/head"),
        &team.id,
        vec![],
        now_ms(),
    );
    req.headers_mut()
        .insert(h::SIGNATURE, "zz".parse().expect("hv"));
    assert_eq!(relay.send(req).await.status, StatusCode::UNAUTHORIZED);
}

async fn replayed_nonce_is_refused(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let ev = team.next(&team.owner, vec![]);
    let req = || {
        signed_request(
            &team.owner,
            Method::POST,
            &team.path("/events"),
            &team.id,
            ev.bytes().to_vec(),
            now_ms(),
        )
    };
    let first = req();
    let headers = first.headers().clone();
    assert_eq!(relay.send(first).await.status, StatusCode::OK);
    team.chain.push(ev.clone());
    // The same request again, byte for byte.
    let mut again = Request::post(team.path("/events"))
        .body(Body::from(ev.bytes().to_vec()))
        .expect("req");
    *again.headers_mut() = headers;
    let r = relay.send(again).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json::<relay_proto::ErrorBody>().message.contains("nonce"));

    // A replay through a second relay instance on the same database is refused too.
    let other = Relay::new(db).await;
    let get = signed_request(
        &team.owner,
        Method::GET,
        &team.path("/head"),
        &team.id,
        vec![],
        now_ms(),
    );
    let headers = get.headers().clone();
    assert_eq!(relay.send(get).await.status, StatusCode::OK);
    let mut replay = Request::get(team.path("/head"))
        .body(Body::empty())
        .expect("req");
    *replay.headers_mut() = headers;
    assert_eq!(other.send(replay).await.status, StatusCode::UNAUTHORIZED);
}

async fn stale_or_future_timestamp_is_refused(db: &TestDb) {
    let relay = Relay::new(db).await;
    let team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    for ts in [
        now_ms() - MAX_SKEW_MS - 5_000,
        now_ms() + MAX_SKEW_MS + 5_000,
        i64::MIN,
        i64::MAX,
    ] {
        let req = signed_request(
            &team.owner,
            Method::GET,
            &team.path("/head"),
            &team.id,
            vec![],
            ts,
        );
        let r = relay.send(req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "timestamp {ts}");
        assert!(r.json::<relay_proto::ErrorBody>().message.contains("clock"));
    }
    // Within the allowed skew is fine.
    let req = signed_request(
        &team.owner,
        Method::GET,
        &team.path("/head"),
        &team.id,
        vec![],
        now_ms() - MAX_SKEW_MS + 30_000,
    );
    assert_eq!(relay.send(req).await.status, StatusCode::OK);
    // The relay's clock is what counts: move it forward and a "now" request is stale.
    relay.advance(MAX_SKEW_MS + 60_000);
    assert_eq!(
        relay.head(&team, &team.owner).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn oversized_body_is_413(db: &TestDb) {
    let relay = Relay::new(db).await;
    let team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let big = vec![0u8; MAX_BODY + 1];
    let r = relay
        .signed(
            &team.owner,
            Method::POST,
            &team.path("/events"),
            &team.id,
            big,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "too_large");
    // Unauthenticated too: the limit applies before anything else is looked at.
    let r = relay
        .send(
            Request::put(team.path(""))
                .body(Body::from(vec![0u8; MAX_BODY + 1]))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let mut req = signed_request(
        &team.owner,
        Method::PUT,
        &team.path(""),
        &team.id,
        vec![],
        now_ms(),
    );
    *req.body_mut() = Body::from(vec![0u8; MAX_BODY + 1]);
    assert_eq!(relay.send(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Join blobs have their own, smaller limit.
    let r = relay
        .send(
            Request::post(team.path(&format!("/joins/{}", Uuid::new_v4())))
                .header(h::INVITE_TOKEN, "00")
                .body(Body::from(vec![0u8; MAX_JOIN_BLOB + 1]))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "too_large");
}

async fn rate_limit_answers_429_with_retry_after(db: &TestDb) {
    // Per IP: 3 requests in a burst, then one every 10 s.
    let relay = Relay::with_limits(
        db,
        RateLimits {
            per_ip: 0.1,
            per_device: 1000.0,
            burst: 3.0,
        },
    )
    .await;
    let health = || {
        Request::get(hush_proto::relay_proto::paths::HEALTH)
            .body(Body::empty())
            .expect("req")
    };
    for _ in 0..3 {
        assert_eq!(relay.send(health()).await.status, StatusCode::OK);
    }
    let r = relay.send(health()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry), "Retry-After {retry}");

    // Per device: the device's bucket empties while the IP still has room.
    let relay = Relay::with_limits(
        db,
        RateLimits {
            per_ip: 1000.0,
            per_device: 0.5,
            burst: 3.0,
        },
    )
    .await;
    let team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    for _ in 0..2 {
        assert_eq!(relay.head(&team, &team.owner).await.status, StatusCode::OK);
    }
    let r = relay.head(&team, &team.owner).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Other devices are unaffected.
    let other = Team::new();
    assert_eq!(relay.create(&other).await.status, StatusCode::CREATED);
    assert_eq!(
        relay.head(&other, &other.owner).await.status,
        StatusCode::OK
    );
}

async fn removed_device_is_refused_after_acl_remove(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let bob = DeviceIdentity::generate("bob").expect("id");
    assert_eq!(relay.head(&team, &bob).await.status, StatusCode::FORBIDDEN);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    relay
        .append(&mut team, &owner, vec![add(&bob, false)])
        .await;
    // Bob is in: he can read and append.
    assert_eq!(relay.head(&team, &bob).await.status, StatusCode::OK);
    relay.append(&mut team, &bob, vec![]).await;
    // Removed: refused from the next request on, for reads and writes.
    relay
        .append(
            &mut team,
            &owner,
            vec![AclChange::Remove {
                device_id: bob.device_id,
            }],
        )
        .await;
    let r = relay.head(&team, &bob).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");
    let ev = team.next(&bob, vec![]);
    assert_eq!(
        relay.post_event(&team, &bob, &ev).await.status,
        StatusCode::FORBIDDEN
    );
    let r = relay
        .signed(&bob, Method::GET, &team.path("/events"), &team.id, vec![])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Re-adding reactivates.
    relay
        .append(&mut team, &owner, vec![add(&bob, false)])
        .await;
    assert_eq!(relay.head(&team, &bob).await.status, StatusCode::OK);
}

async fn cas_conflict_and_idempotent_repost(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let owner = &DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    let a = team.next(owner, vec![]);
    let b = team.next(owner, vec![]); // same seq and prev as `a`, different bytes
    assert_ne!(a.hash(), b.hash());
    let r = relay.post_event(&team, owner, &a).await;
    assert_eq!(r.status, StatusCode::OK);
    let ok: AppendOk = r.json();
    assert_eq!(
        ok,
        AppendOk {
            seq: 1,
            hash: relay_proto::hex(&a.hash())
        }
    );
    // A competing event for the same position: 409 with the current head.
    let r = relay.post_event(&team, owner, &b).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json::<Head>(), head_of(&a));
    // The same event again: 200 with the same answer, nothing stored twice.
    let r = relay.post_event(&team, owner, &a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<AppendOk>(), ok);
    team.chain.push(a.clone());
    // A gap (seq too far ahead) and a wrong prev are conflicts too.
    let gap = event_at(&team.id, &team.log_key, owner, 5, a.hash(), vec![]);
    let r = relay.post_event(&team, owner, &gap).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json::<Head>(), head_of(&a));
    let wrong_prev = event_at(&team.id, &team.log_key, owner, 2, [9; 32], vec![]);
    assert_eq!(
        relay.post_event(&team, owner, &wrong_prev).await.status,
        StatusCode::CONFLICT
    );
    // Re-posting the genesis through append is idempotent as well.
    let r = relay.post_event(&team, owner, team.genesis()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<AppendOk>().seq, 0);
    // Garbage is a 400; an event of another team is a 400; an event by someone else is a 403.
    let r = relay
        .signed(
            owner,
            Method::POST,
            &team.path("/events"),
            &team.id,
            b"not an event".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "bad_request");
    let foreign = event_at(&Uuid::new_v4(), &team.log_key, owner, 2, a.hash(), vec![]);
    assert_eq!(
        relay.post_event(&team, owner, &foreign).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut team2 = team;
    let owner2 = DeviceIdentity::from_secret_bytes(&team2.owner.to_secret_bytes()).expect("copy");
    let carol = DeviceIdentity::generate("carol").expect("id");
    relay
        .append(&mut team2, &owner2, vec![add(&carol, false)])
        .await;
    let by_owner = team2.next(&owner2, vec![]);
    assert_eq!(
        relay.post_event(&team2, &carol, &by_owner).await.status,
        StatusCode::FORBIDDEN
    );
    // The log is exactly genesis, a, carol's add.
    let r = relay
        .signed(
            &owner2,
            Method::GET,
            &team2.path("/events"),
            &team2.id,
            vec![],
        )
        .await;
    let hashes: Vec<[u8; 32]> = r
        .events()
        .iter()
        .map(|e| {
            hush_proto::event::SignedEvent::decode(e)
                .expect("decode")
                .hash()
        })
        .collect();
    let expected: Vec<[u8; 32]> = team2.chain.iter().map(|e| e.hash()).collect();
    assert_eq!(hashes, expected);
}

async fn genesis_rules(db: &TestDb) {
    let relay = Relay::new(db).await;
    let team = Team::new();
    let put = |id: &DeviceIdentity, team_id: &Uuid, bytes: Vec<u8>| {
        signed_request(
            id,
            Method::PUT,
            &hush_proto::relay_proto::paths::team(team_id),
            team_id,
            bytes,
            now_ms(),
        )
    };
    // The genesis must add its author as a manager.
    for acl in [vec![], vec![add(&team.owner, false)]] {
        let g = genesis(&team.id, &team.owner, &team.log_key, acl);
        let r = relay
            .send(put(&team.owner, &team.id, g.bytes().to_vec()))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    // Signed by a device other than the author: refused.
    let mallory = DeviceIdentity::generate("mallory").expect("id");
    let r = relay
        .send(put(&mallory, &team.id, team.genesis().bytes().to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Claiming to be the author but signed with another key: the key in the genesis decides.
    let mut req = put(&mallory, &team.id, team.genesis().bytes().to_vec());
    req.headers_mut().insert(
        h::DEVICE,
        team.owner.device_id.to_string().parse().expect("hv"),
    );
    assert_eq!(relay.send(req).await.status, StatusCode::UNAUTHORIZED);
    // Not seq 0 / not at the URL's team.
    let later = event_at(
        &team.id,
        &team.log_key,
        &team.owner,
        1,
        team.genesis().hash(),
        vec![add(&team.owner, true)],
    );
    assert_eq!(
        relay
            .send(put(&team.owner, &team.id, later.bytes().to_vec()))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let elsewhere = Uuid::new_v4();
    assert_eq!(
        relay
            .send(put(
                &team.owner,
                &elsewhere,
                team.genesis().bytes().to_vec()
            ))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // None of that created the team: its head is 404 (how a client learns to create it).
    let r = relay.head(&team, &team.owner).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    // The real genesis: 201, then 200 for the same again, 409 for a different one.
    let r = relay.create(&team).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.json::<AppendOk>(),
        AppendOk {
            seq: 0,
            hash: relay_proto::hex(&team.genesis().hash())
        }
    );
    let r = relay.create(&team).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<AppendOk>().seq, 0);
    let other = genesis(
        &team.id,
        &team.owner,
        &Key32::random(),
        vec![add(&team.owner, true)],
    );
    let r = relay
        .send(put(&team.owner, &team.id, other.bytes().to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "conflict");
    // Someone else's genesis for the same team id cannot take it over either.
    let takeover = genesis(
        &team.id,
        &mallory,
        &Key32::random(),
        vec![add(&mallory, true)],
    );
    let r = relay
        .send(put(&mallory, &team.id, takeover.bytes().to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        relay.head(&team, &mallory).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn only_managers_change_the_acl(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    let member = DeviceIdentity::generate("member").expect("id");
    let admin = DeviceIdentity::generate("admin").expect("id");
    relay
        .append(
            &mut team,
            &owner,
            vec![add(&member, false), add(&admin, true)],
        )
        .await;
    let stranger = DeviceIdentity::generate("stranger").expect("id");
    for acl in [
        vec![add(&stranger, false)],
        vec![AclChange::Remove {
            device_id: owner.device_id,
        }],
        vec![AclChange::Invite {
            invite_id: Uuid::new_v4(),
            token_hash: [1; 32],
            expires_ms: now_ms() + 60_000,
        }],
    ] {
        let ev = team.next(&member, acl);
        let r = relay.post_event(&team, &member, &ev).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        relay.head(&team, &stranger).await.status,
        StatusCode::FORBIDDEN
    );
    // Demoting the member's manager bit is not something the member can undo; an admin can add.
    relay
        .append(&mut team, &admin, vec![add(&stranger, false)])
        .await;
    assert_eq!(relay.head(&team, &stranger).await.status, StatusCode::OK);
    // The admin is demoted: from then on its ACL changes are refused.
    relay
        .append(&mut team, &owner, vec![add(&admin, false)])
        .await;
    let ev = team.next(
        &admin,
        vec![AclChange::Remove {
            device_id: stranger.device_id,
        }],
    );
    assert_eq!(
        relay.post_event(&team, &admin, &ev).await.status,
        StatusCode::FORBIDDEN
    );
    // Plain events by members are fine.
    relay.append(&mut team, &member, vec![]).await;
}

async fn joins_with_right_and_wrong_tokens_single_use_and_expiry(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    let token: [u8; 32] = crypto::random_array();
    let short_token: [u8; 32] = crypto::random_array();
    let invite = Uuid::new_v4();
    let short = Uuid::new_v4();
    let token_hash = |t: &[u8]| crypto::hash(b"hush/v1/invite-token", &[t]);
    relay
        .append(
            &mut team,
            &owner,
            vec![
                AclChange::Invite {
                    invite_id: invite,
                    token_hash: token_hash(&token),
                    expires_ms: now_ms() + 3_600_000,
                },
                AclChange::Invite {
                    invite_id: short,
                    token_hash: token_hash(&short_token),
                    expires_ms: now_ms() + 60_000,
                },
            ],
        )
        .await;
    let join = |invite: Uuid, token: &str, blob: &[u8]| {
        Request::post(team.path(&format!("/joins/{invite}")))
            .header(h::INVITE_TOKEN, token)
            .body(Body::from(blob.to_vec()))
            .expect("req")
    };
    // Wrong token, malformed token, unknown invite: all the same 410.
    for (inv, tok) in [
        (invite, relay_proto::hex(&[0u8; 32])),
        (invite, "not hex".to_owned()),
        (Uuid::new_v4(), relay_proto::hex(&token)),
        (invite, relay_proto::hex(&token[..31])),
    ] {
        let r = relay.send(join(inv, &tok, b"blob")).await;
        assert_eq!(r.status, StatusCode::GONE, "token {tok}");
        assert_eq!(r.error_code(), "gone");
    }
    // Another team's invite id does not work here.
    let other = Team::new();
    assert_eq!(relay.create(&other).await.status, StatusCode::CREATED);
    let r = relay
        .send(
            Request::post(other.path(&format!("/joins/{invite}")))
                .header(h::INVITE_TOKEN, relay_proto::hex(&token))
                .body(Body::from("blob"))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    // The right token: 201, once.
    let r = relay
        .send(join(invite, &relay_proto::hex(&token), b"sealed join blob"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = relay
        .send(join(invite, &relay_proto::hex(&token), b"second"))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    // Expiry is judged by the relay's clock.
    relay.advance(120_000);
    let r = relay
        .send(join(short, &relay_proto::hex(&short_token), b"late"))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    // Managers read join requests; members may not.
    let r = relay
        .signed(&owner, Method::GET, &team.path("/joins"), &team.id, vec![])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let list: Vec<JoinRequest> = r.json();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].invite_id, invite);
    assert_eq!(
        relay_proto::unhex(&list[0].blob).as_deref(),
        Some(&b"sealed join blob"[..])
    );
    let member = DeviceIdentity::generate("member").expect("id");
    relay
        .append(&mut team, &owner, vec![add(&member, false)])
        .await;
    let r = relay
        .signed(&member, Method::GET, &team.path("/joins"), &team.id, vec![])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Missing token header is a plain bad request.
    let r = relay
        .send(
            Request::post(team.path(&format!("/joins/{short}")))
                .body(Body::from("x"))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn pull_pages_and_orders_events(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    for _ in 0..5 {
        relay.append(&mut team, &owner, vec![]).await;
    }
    let pull = |q: &str| {
        let path = team.path(&format!("/events{q}"));
        let (relay, owner, team_id) = (&relay, &owner, team.id);
        async move {
            relay
                .signed(owner, Method::GET, &path, &team_id, vec![])
                .await
        }
    };
    let r = pull("").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    let all = r.events();
    assert_eq!(all.len(), 6);
    for (got, want) in all.iter().zip(&team.chain) {
        assert_eq!(got.as_slice(), want.bytes());
    }
    let r = pull("?after=2&limit=2").await;
    let page = r.events();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].as_slice(), team.chain[3].bytes());
    assert_eq!(page[1].as_slice(), team.chain[4].bytes());
    assert_eq!(pull("?after=5").await.events().len(), 0);
    assert_eq!(pull("?after=0&limit=100000").await.events().len(), 5);
    assert_eq!(pull("?after=-1").await.status, StatusCode::BAD_REQUEST);
}

async fn long_poll_wakes_on_append_and_times_out(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    // Already past: answers at once.
    let r = relay
        .signed(
            &owner,
            Method::GET,
            &team.path("/wait?timeout_ms=10000"),
            &team.id,
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<Head>(), head_of(team.genesis()));
    // Nothing new: 204 after the timeout.
    let started = Instant::now();
    let r = relay
        .signed(
            &owner,
            Method::GET,
            &team.path("/wait?after=0&timeout_ms=300"),
            &team.id,
            vec![],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Waiting, then an append: wakes with the new head well before the timeout.
    let waiter = {
        let req = signed_request(
            &owner,
            Method::GET,
            &team.path("/wait?after=0&timeout_ms=20000"),
            &team.id,
            vec![],
            now_ms(),
        );
        let app = relay.app.clone();
        tokio::spawn(async move {
            use tower::ServiceExt;
            let started = Instant::now();
            let resp = app.oneshot(req).await.expect("infallible");
            let status = resp.status();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .expect("body")
                .to_bytes();
            (status, body, started.elapsed())
        })
    };
    relay.append(&mut team, &owner, vec![]).await;
    let (status, body, elapsed) = waiter.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    let head: Head = serde_json::from_slice(&body).expect("head");
    assert_eq!(head, head_of(&team.chain[1]));
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    // The timeout is capped at 30 s (a huge value is accepted, not an error) and shutdown ends it.
    let req = signed_request(
        &owner,
        Method::GET,
        &team.path("/wait?after=1&timeout_ms=99999999"),
        &team.id,
        vec![],
        now_ms(),
    );
    let app = relay.app.clone();
    let waiter = tokio::spawn(async move {
        use tower::ServiceExt;
        app.oneshot(req).await.expect("infallible").status()
    });
    relay.state.begin_shutdown();
    let status = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("shutdown ends long-polls")
        .expect("join");
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn long_poll_sees_appends_through_another_instance(db: &TestDb) {
    // Two relay instances with their own pools and wake-up signals, one database.
    let a = Relay::new(db).await;
    let b = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(a.create(&team).await.status, StatusCode::CREATED);
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    let req = signed_request(
        &owner,
        Method::GET,
        &team.path("/wait?after=0&timeout_ms=20000"),
        &team.id,
        vec![],
        now_ms(),
    );
    let app = a.app.clone();
    let waiter = tokio::spawn(async move {
        use tower::ServiceExt;
        let resp = app.oneshot(req).await.expect("infallible");
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .expect("body")
            .to_bytes();
        (status, body)
    });
    b.append(&mut team, &owner, vec![]).await;
    let appended = Instant::now();
    let (status, body) = waiter.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Head>(&body).expect("head"),
        head_of(&team.chain[1])
    );
    assert!(
        appended.elapsed() < Duration::from_secs(2),
        "noticed after {:?}",
        appended.elapsed()
    );
}

async fn unknown_routes_and_bad_ids(db: &TestDb) {
    let relay = Relay::new(db).await;
    let r = relay
        .send(
            Request::get("/v1/nothing")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    let r = relay
        .send(
            Request::get("/v1/teams/not-a-uuid/head")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "bad_request");
}

/// `PUT/GET /v1/teams/{team}/devices/me/note`: a device stores one opaque note and reads back only
/// its own; strangers, removed devices and unsigned requests are refused; size is capped.
async fn each_device_keeps_its_own_note(db: &TestDb) {
    let relay = Relay::new(db).await;
    let mut team = Team::new();
    assert_eq!(relay.create(&team).await.status, StatusCode::CREATED);
    let bob = DeviceIdentity::generate("bob").expect("id");
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    relay
        .append(&mut team, &owner, vec![add(&bob, false)])
        .await;
    let note = team.path("/devices/me/note");
    let tid = team.id;
    let get = async |id: &DeviceIdentity| relay.signed(id, Method::GET, &note, &tid, vec![]).await;
    let put = async |id: &DeviceIdentity, body: Vec<u8>| {
        relay.signed(id, Method::PUT, &note, &tid, body).await
    };

    // None yet; then stored, read back, and replaced.
    assert_eq!(get(&bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        put(&bob, b"first".to_vec()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(&get(&bob).await.body[..], b"first");
    assert_eq!(
        put(&bob, b"second".to_vec()).await.status,
        StatusCode::NO_CONTENT
    );
    let r = get(&bob).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"second");

    // Another member reads only its own (none), never bob's.
    assert_eq!(get(&owner).await.status, StatusCode::NOT_FOUND);
    // Empty and oversized notes are refused; the stored one is unchanged.
    assert_eq!(put(&bob, Vec::new()).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        put(&bob, vec![7; MAX_NOTE + 1]).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(&get(&bob).await.body[..], b"second");

    // Unsigned, and from a stranger: refused.
    let r = relay
        .send(
            Request::get(note.as_str())
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let stranger = DeviceIdentity::generate("stranger").expect("id");
    assert_eq!(get(&stranger).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        put(&stranger, b"x".to_vec()).await.status,
        StatusCode::FORBIDDEN
    );

    // A removed device can neither read nor write its note.
    relay
        .append(
            &mut team,
            &owner,
            vec![AclChange::Remove {
                device_id: bob.device_id,
            }],
        )
        .await;
    assert_eq!(get(&bob).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        put(&bob, b"third".to_vec()).await.status,
        StatusCode::FORBIDDEN
    );
}
