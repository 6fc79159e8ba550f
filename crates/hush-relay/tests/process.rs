//! Real `hush-relay` processes: restart on the same SQLite file, flags, graceful shutdown, and two
//! processes sharing one PostgreSQL database under concurrent writers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Process, Team, TestDb, add, event_at, head_of, now_ms, signed_request};
use hush_proto::crypto;
use hush_proto::event::{AclChange, SignedEvent};
use hush_proto::identity::DeviceIdentity;
use hush_proto::relay_proto::{self, AppendOk, Head};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_restart_keeps_everything() {
    let db = TestDb::sqlite();
    let relay = Process::start(&db.url, &[]).await;
    assert_ne!(relay.addr.port(), 0, "the real port is printed");
    let mut team = Team::new();
    let owner = DeviceIdentity::from_secret_bytes(&team.owner.to_secret_bytes()).expect("copy");
    let bob = DeviceIdentity::generate("bob").expect("id");
    let token: [u8; 32] = crypto::random_array();
    let invite = Uuid::new_v4();
    let r = relay
        .signed(
            &owner,
            Method::PUT,
            &team.path(""),
            &team.id,
            team.genesis().bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    for acl in [
        vec![add(&bob, false)],
        vec![AclChange::Invite {
            invite_id: invite,
            token_hash: crypto::hash(b"hush/v1/invite-token", &[&token]),
            expires_ms: now_ms() + 3_600_000,
        }],
        vec![],
    ] {
        let ev = team.next(&owner, acl);
        let r = relay
            .signed(
                &owner,
                Method::POST,
                &team.path("/events"),
                &team.id,
                ev.bytes().to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        team.chain.push(ev);
    }
    let kept = signed_request(
        &bob,
        Method::GET,
        &team.path("/head"),
        &team.id,
        vec![],
        now_ms(),
    );
    let kept_headers = kept.headers().clone();
    assert_eq!(relay.send(kept).await.status, StatusCode::OK);

    // Graceful shutdown: a pending long-poll is answered, then the process exits cleanly.
    let pool = sqlx::SqlitePool::connect(&db.url)
        .await
        .expect("open the relay's file");
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM nonces")
            .fetch_one(&pool)
            .await
            .expect("count nonces")
    };
    let before = count().await;
    let waiter = {
        let req = signed_request(
            &owner,
            Method::GET,
            &team.path("/wait?after=3&timeout_ms=30000"),
            &team.id,
            vec![],
            now_ms(),
        );
        let addr = relay.addr;
        tokio::spawn(async move { common::http(addr, req).await.status })
    };
    // The long-poll is in its wait loop once its nonce is recorded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while count().await == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "long-poll never reached the relay"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close().await;
    relay.stop().await;
    let status = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("long-poll answered at shutdown")
        .expect("join");
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Start again on the same file: everything is there.
    let relay = Process::start(&db.url, &[]).await;
    let r = relay
        .signed(&owner, Method::GET, &team.path("/events"), &team.id, vec![])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let events = r.events();
    assert_eq!(events.len(), 4);
    for (got, want) in events.iter().zip(&team.chain) {
        assert_eq!(got.as_slice(), want.bytes());
    }
    let r = relay
        .signed(&bob, Method::GET, &team.path("/head"), &team.id, vec![])
        .await;
    assert_eq!(r.status, StatusCode::OK, "the ACL survived");
    assert_eq!(r.json::<Head>(), head_of(&team.chain[3]));
    // Nonces survived: a request from before the restart is still a replay.
    let mut replay = Request::get(team.path("/head"))
        .body(Body::empty())
        .expect("req");
    *replay.headers_mut() = kept_headers;
    assert_eq!(relay.send(replay).await.status, StatusCode::UNAUTHORIZED);
    // The invite survived.
    let r = relay
        .send(
            Request::post(team.path(&format!("/joins/{invite}")))
                .header(relay_proto::header::INVITE_TOKEN, relay_proto::hex(&token))
                .body(Body::from("blob"))
                .expect("req"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // And the chain continues where it stopped.
    let ev = team.next(&owner, vec![]);
    let r = relay
        .signed(
            &owner,
            Method::POST,
            &team.path("/events"),
            &team.id,
            ev.bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<AppendOk>().seq, 4);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_flags_lower_the_limits() {
    let db = TestDb::sqlite();
    let relay = Process::start(&db.url, &["--rate-per-ip", "0.2", "--burst", "2"]).await;
    let health = || {
        Request::get(hush_proto::relay_proto::paths::HEALTH)
            .body(Body::empty())
            .expect("req")
    };
    assert_eq!(relay.send(health()).await.status, StatusCode::OK);
    assert_eq!(relay.send(health()).await.status, StatusCode::OK);
    let r = relay.send(health()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    relay.stop().await;
}

/// `--metrics-listen` serves Prometheus text on a listener of its own (not on the relay's port),
/// counting what the relay answered, refusals included; `--log-format json` writes one JSON
/// object per log line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listener_and_json_logs() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let db = TestDb::sqlite();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hush-relay"))
        .args(["--listen", "127.0.0.1:0", "--database", &db.url])
        .args(["--metrics-listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--rate-per-ip", "0.2", "--burst", "2"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn hush-relay");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("relay printed its addresses within 60 s")
            .expect("read stdout")
            .expect("a line")
    };
    let first = next().await;
    let metrics: std::net::SocketAddr = first
        .strip_prefix("hush-relay metrics on ")
        .unwrap_or_else(|| panic!("the metrics address comes first: {first:?}"))
        .parse()
        .expect("address");
    let second = next().await;
    let relay: std::net::SocketAddr = second
        .strip_prefix("hush-relay listening on ")
        .unwrap_or_else(|| panic!("then the relay's: {second:?}"))
        .parse()
        .expect("address");
    assert_ne!(metrics, relay);
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("req");
    let health = relay_proto::paths::HEALTH;
    assert_eq!(
        common::http(relay, get(health)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        common::http(relay, get(health)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        common::http(relay, get(health)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Not on the relay's port: the public side never shows it.
    assert_eq!(
        common::http(relay, get("/metrics")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "still limited, and /metrics is not a route there either"
    );
    let r = common::http(metrics, get("/metrics")).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&r.body).into_owned();
    for line in [
        format!(r#"hush_relay_requests_total{{method="GET",route="{health}",status="200"}} 2"#),
        format!(r#"hush_relay_requests_total{{method="GET",route="{health}",status="429"}} 1"#),
        r#"hush_relay_requests_total{method="GET",route="(unmatched)",status="429"} 1"#.to_owned(),
        r#"hush_relay_rate_limited_total{limiter="ip"} 2"#.to_owned(),
        "hush_relay_events_appended_total 0".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().expect("pid") as i32),
        nix::sys::signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("stopped within 40 s")
        .expect("wait");
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .await
        .expect("read stderr");
    let logged: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        logged
            .iter()
            .any(|v| v["fields"]["message"] == "request" && v["fields"]["route"] == health),
        "the request log is JSON too: {stderr}"
    );
    assert!(logged.iter().all(|v| v["level"].is_string()), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_database_url_fails_to_start() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hush-relay"))
        .args(["--listen", "127.0.0.1:0", "--database", "mysql://nope"])
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing is printed as ready");
}

/// Four writers, 25 events each, through two relay processes on one PostgreSQL database, each
/// retrying on 409: one linear chain, no duplicates, no gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_relays_on_postgres_keep_one_chain() {
    let Some(db) = TestDb::postgres("two_relays_on_postgres_keep_one_chain").await else {
        return;
    };
    let limits = [
        "--rate-per-ip",
        "100000",
        "--rate-per-device",
        "100000",
        "--burst",
        "100000",
    ];
    let a = Arc::new(Process::start(&db.url, &limits).await);
    let b = Arc::new(Process::start(&db.url, &limits).await);

    // The genesis admits the owner (manager) and the four writers.
    let writers: Vec<DeviceIdentity> = (0..4)
        .map(|i| DeviceIdentity::generate(&format!("writer{i}")).expect("id"))
        .collect();
    let mut team = Team::new();
    let mut acl = vec![add(&team.owner, true)];
    acl.extend(writers.iter().map(|w| add(w, false)));
    team.chain[0] = common::genesis(&team.id, &team.owner, &team.log_key, acl);
    let r = a
        .signed(
            &team.owner,
            Method::PUT,
            &team.path(""),
            &team.id,
            team.genesis().bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // A long-poll on relay A must notice appends made through relay B.
    let waiter = {
        let req = signed_request(
            &team.owner,
            Method::GET,
            &team.path("/wait?after=0&timeout_ms=30000"),
            &team.id,
            vec![],
            now_ms(),
        );
        let addr = a.addr;
        tokio::spawn(async move { common::http(addr, req).await })
    };

    let team = Arc::new(team);
    let mut tasks = Vec::new();
    for (i, writer) in writers.into_iter().enumerate() {
        let relays = [a.clone(), b.clone()];
        let team = team.clone();
        tasks.push(tokio::spawn(async move {
            let mut head: (u64, [u8; 32]) = (0, team.genesis().hash());
            let mut conflicts = 0u32;
            let mut written = 0;
            let mut attempt = i;
            while written < 25 {
                attempt += 1;
                // Alternate relays, writer by writer and attempt by attempt.
                let relay = &relays[attempt % 2];
                let ev = event_at(&team.id, &team.log_key, &writer, head.0 + 1, head.1, vec![]);
                let r = relay
                    .signed(
                        &writer,
                        Method::POST,
                        &team.path("/events"),
                        &team.id,
                        ev.bytes().to_vec(),
                    )
                    .await;
                match r.status {
                    StatusCode::OK => {
                        let ok: AppendOk = r.json();
                        assert_eq!(ok.seq, head.0 + 1);
                        head = (ok.seq, ev.hash());
                        written += 1;
                    }
                    StatusCode::CONFLICT => {
                        conflicts += 1;
                        let h: Head = r.json();
                        let hash = relay_proto::unhex(h.hash.as_deref().expect("hash"))
                            .expect("hex")
                            .try_into()
                            .expect("32 bytes");
                        head = (h.seq.expect("seq"), hash);
                    }
                    other => panic!("writer {i}: unexpected {other}: {:?}", r.body),
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.expect("writer");
    }
    println!("writers saw {conflicts} conflicts");

    let woke = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("long-poll on A woke")
        .expect("join");
    assert_eq!(woke.status, StatusCode::OK);

    // Read the whole chain back (through B, in pages).
    let mut events: Vec<SignedEvent> = Vec::new();
    loop {
        let q = match events.last() {
            Some(e) => format!("/events?after={}", e.envelope.seq),
            None => "/events".to_owned(),
        };
        let r = b
            .signed(&team.owner, Method::GET, &team.path(&q), &team.id, vec![])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let page = r.events();
        if page.is_empty() {
            break;
        }
        events.extend(page.iter().map(|e| SignedEvent::decode(e).expect("decode")));
    }
    let writer_events = events.len() - 1;
    assert_eq!(
        writer_events, 100,
        "exactly 100 appended events after the genesis"
    );
    let mut seen = std::collections::HashSet::new();
    for (i, ev) in events.iter().enumerate() {
        assert_eq!(ev.envelope.seq, i as u64, "contiguous seqs");
        let prev = if i == 0 {
            [0; 32]
        } else {
            events[i - 1].hash()
        };
        assert_eq!(
            ev.envelope.prev, prev,
            "event {i} chains to its predecessor"
        );
        assert!(seen.insert(ev.hash()), "duplicate event {i}");
    }
    let mut per_author = std::collections::HashMap::new();
    for ev in &events[1..] {
        *per_author.entry(ev.envelope.author).or_insert(0) += 1;
    }
    assert_eq!(per_author.len(), 4);
    assert!(per_author.values().all(|n| *n == 25), "{per_author:?}");
    let head_a: Head = a
        .signed(
            &team.owner,
            Method::GET,
            &team.path("/head"),
            &team.id,
            vec![],
        )
        .await
        .json();
    assert_eq!(head_a, head_of(events.last().expect("events")));

    for p in [a, b] {
        Arc::try_unwrap(p).ok().expect("sole owner").stop().await;
    }
    db.cleanup().await;
}

/// `packaging/hush-relay.service` is a unit systemd accepts (`systemd-analyze verify`, with
/// ExecStart pointing at the binary just built), and it starts the relay with the settings the
/// docs name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/hush-relay.service"
    ))
    .expect("the unit file");
    for needle in [
        "ExecStart=/usr/local/bin/hush-relay",
        "HUSH_RELAY_DATABASE=sqlite:///var/lib/hush-relay/relay.db",
        "StateDirectory=hush-relay",
        "DynamicUser=yes",
    ] {
        assert!(unit.contains(needle), "{needle}");
    }
    if std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        println!(
            "the_systemd_unit_verifies: systemd-analyze is not installed; only the contents were checked"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("hush-relay.service");
    std::fs::write(
        &path,
        unit.replace(
            "/usr/local/bin/hush-relay",
            env!("CARGO_BIN_EXE_hush-relay"),
        ),
    )
    .expect("write");
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}
