//! Test support: databases (SQLite files or fresh PostgreSQL databases), valid hush-core events,
//! signed requests, an in-process relay driven with `oneshot`, and real `hush-relay` processes.

#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hush_proto::event::{
    AclChange, Body as EventBody, Envelope, GrantedKey, KeyBundle, KeyScope, Payload, Public,
    SignedEvent,
};
use hush_proto::identity::DeviceIdentity;
use hush_proto::relay_proto::{self, AppendOk, Head};
use hush_proto::secret::Key32;
use hush_relay::{AppState, Clock, Db, RateLimits};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tower::ServiceExt;
use uuid::Uuid;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------- databases

/// A database for one test: a SQLite file in a temp dir, or a fresh PostgreSQL database.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("relay.db").display());
        Self {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// `None` (after printing why) when PostgreSQL tests are not configured; panics when they
    /// are required (`HUSH_REQUIRE_POSTGRES=1`) but not configured.
    pub async fn postgres(test: &str) -> Option<Self> {
        let Ok(admin) = std::env::var("HUSH_TEST_POSTGRES_URL") else {
            if std::env::var("HUSH_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("{test}: HUSH_REQUIRE_POSTGRES=1 but HUSH_TEST_POSTGRES_URL is not set");
            }
            println!("{test}: skipped: set HUSH_TEST_POSTGRES_URL to run it against PostgreSQL");
            return None;
        };
        let name = format!("hush_relay_test_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to HUSH_TEST_POSTGRES_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE (the role needs CREATEDB)");
        conn.close().await.ok();
        let url = with_database(&admin, &name);
        Some(Self {
            url,
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    /// Drops a PostgreSQL test database (best effort).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// Replaces the database name in a postgres URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Generates `NAME_sqlite` and `NAME_postgres` tests from `async fn NAME(db: &TestDb)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::common::TestDb::sqlite();
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = $crate::common::TestDb::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

// ---------------------------------------------------------------- events

/// A team as a test client sees it: its owner, log key, and the chain so far.
pub struct Team {
    pub id: Uuid,
    pub log_key: Key32,
    pub owner: DeviceIdentity,
    pub chain: Vec<SignedEvent>,
}

pub fn add(id: &DeviceIdentity, manager: bool) -> AclChange {
    AclChange::Add {
        device_id: id.device_id,
        auth_pk: id.cert().auth_pk,
        manager,
    }
}

impl Team {
    pub fn new() -> Self {
        let owner = DeviceIdentity::generate("owner").expect("identity");
        let id = Uuid::new_v4();
        let log_key = Key32::random();
        let genesis = genesis(&id, &owner, &log_key, vec![add(&owner, true)]);
        Self {
            id,
            log_key,
            owner,
            chain: vec![genesis],
        }
    }

    pub fn genesis(&self) -> &SignedEvent {
        &self.chain[0]
    }

    /// The next event by `author` after the local chain, with `acl` changes.
    pub fn next(&self, author: &DeviceIdentity, acl: Vec<AclChange>) -> SignedEvent {
        let last = self.chain.last().expect("genesis");
        event_at(
            &self.id,
            &self.log_key,
            author,
            last.envelope.seq + 1,
            last.hash(),
            acl,
        )
    }

    pub fn path(&self, rest: &str) -> String {
        format!("{}{rest}", hush_proto::relay_proto::paths::team(&self.id))
    }
}

pub fn genesis(
    team_id: &Uuid,
    owner: &DeviceIdentity,
    log_key: &Key32,
    acl: Vec<AclChange>,
) -> SignedEvent {
    let env = Envelope {
        team_id: *team_id,
        seq: 0,
        prev: [0; 32],
        epoch: 0,
        author: owner.device_id,
    };
    let bundle = KeyBundle::seal(
        &hush_proto::event::BundlePlace::of(&env),
        &owner.cert(),
        &[GrantedKey {
            scope: KeyScope::Log,
            epoch: 0,
            key: log_key.clone(),
        }],
    )
    .expect("bundle");
    let body = EventBody {
        time_ms: now_ms(),
        payload: Payload::TeamCreate {
            name: "team".into(),
            creator: owner.cert(),
            log_commit: hush_proto::event::key_commit(team_id, KeyScope::Log, 0, log_key),
        },
    };
    SignedEvent::seal(
        env,
        Public {
            bundles: vec![bundle],
            acl,
        },
        &body,
        log_key,
        owner,
    )
    .expect("seal genesis")
}

pub fn event_at(
    team_id: &Uuid,
    log_key: &Key32,
    author: &DeviceIdentity,
    seq: u64,
    prev: [u8; 32],
    acl: Vec<AclChange>,
) -> SignedEvent {
    let env = Envelope {
        team_id: *team_id,
        seq,
        prev,
        epoch: 0,
        author: author.device_id,
    };
    let body = EventBody {
        time_ms: now_ms(),
        payload: Payload::VaultCreate {
            vault_id: Uuid::new_v4(),
            key_epoch: 0,
            name_ct: vec![7; 40],
            key_commit: [7; 32],
        },
    };
    SignedEvent::seal(
        env,
        Public {
            bundles: vec![],
            acl,
        },
        &body,
        log_key,
        author,
    )
    .expect("seal event")
}

// ---------------------------------------------------------------- in-process relay

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected JSON ({e}), got {} {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn error_code(&self) -> String {
        self.json::<relay_proto::ErrorBody>().error
    }

    pub fn events(&self) -> Vec<Vec<u8>> {
        relay_proto::decode_event_list(&self.body).expect("event list")
    }
}

/// The real router over a real database, driven without a socket; its clock can be moved.
pub struct Relay {
    pub app: Router,
    pub state: AppState,
    pub offset_ms: Arc<AtomicI64>,
}

impl Relay {
    pub async fn new(db: &TestDb) -> Self {
        Self::with_limits(db, RateLimits::default()).await
    }

    pub async fn with_limits(db: &TestDb, limits: RateLimits) -> Self {
        let offset_ms = Arc::new(AtomicI64::new(0));
        let clock = {
            let offset = offset_ms.clone();
            Clock::from_fn(move || now_ms() + offset.load(Ordering::SeqCst))
        };
        let database = Db::connect(&db.url).await.expect("connect");
        let state = AppState::with_clock(database, limits, clock);
        Self {
            app: hush_relay::app(state.clone()),
            state,
            offset_ms,
        }
    }

    /// The same binary's witness mode (`hush-relay --witness`) over `db`, its key loaded from
    /// (or created in) that database.
    pub async fn witness(db: &TestDb) -> Self {
        let offset_ms = Arc::new(AtomicI64::new(0));
        let clock = {
            let offset = offset_ms.clone();
            Clock::from_fn(move || now_ms() + offset.load(Ordering::SeqCst))
        };
        let database = Db::connect(&db.url).await.expect("connect");
        let signer = database
            .witness_signer(now_ms())
            .await
            .expect("witness key");
        let state = AppState::witness(database, RateLimits::default(), clock, signer);
        Self {
            app: hush_relay::witness_app(state.clone()),
            state,
            offset_ms,
        }
    }

    /// Sends `events` to the witness's extend, signed by `id`.
    pub async fn extend(&self, team: &Team, id: &DeviceIdentity, events: &[SignedEvent]) -> Resp {
        let body = relay_proto::encode_event_list(events.iter().map(SignedEvent::bytes));
        self.signed(
            id,
            Method::POST,
            &hush_proto::witness_proto::extend_path(&team.id),
            &team.id,
            body,
        )
        .await
    }

    /// Moves the relay's clock.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends a request signed by `id` at the current time.
    pub async fn signed(
        &self,
        id: &DeviceIdentity,
        method: Method,
        path: &str,
        team: &Uuid,
        body: Vec<u8>,
    ) -> Resp {
        self.send(signed_request(id, method, path, team, body, now_ms()))
            .await
    }

    pub async fn create(&self, team: &Team) -> Resp {
        self.signed(
            &team.owner,
            Method::PUT,
            &team.path(""),
            &team.id,
            team.genesis().bytes().to_vec(),
        )
        .await
    }

    pub async fn post_event(&self, team: &Team, id: &DeviceIdentity, ev: &SignedEvent) -> Resp {
        self.signed(
            id,
            Method::POST,
            &team.path("/events"),
            &team.id,
            ev.bytes().to_vec(),
        )
        .await
    }

    /// Appends the next event by `author` and records it in the local chain.
    pub async fn append(&self, team: &mut Team, author: &DeviceIdentity, acl: Vec<AclChange>) {
        let ev = team.next(author, acl);
        let r = self.post_event(team, author, &ev).await;
        assert_eq!(r.status, StatusCode::OK, "append: {:?}", r.body);
        let ok: AppendOk = r.json();
        assert_eq!(ok.seq, ev.envelope.seq);
        team.chain.push(ev);
    }

    pub async fn head(&self, team: &Team, id: &DeviceIdentity) -> Resp {
        self.signed(id, Method::GET, &team.path("/head"), &team.id, vec![])
            .await
    }
}

pub fn signed_request(
    id: &DeviceIdentity,
    method: Method,
    path: &str,
    team: &Uuid,
    body: Vec<u8>,
    timestamp_ms: i64,
) -> Request<Body> {
    let mut b = Request::builder().method(method.clone()).uri(path);
    for (k, v) in relay_proto::sign_request(id, method.as_str(), path, team, &body, timestamp_ms) {
        b = b.header(k, v);
    }
    b.body(Body::from(body)).expect("request")
}

pub fn head_of(ev: &SignedEvent) -> Head {
    Head {
        seq: Some(ev.envelope.seq),
        hash: Some(relay_proto::hex(&ev.hash())),
    }
}

// ---------------------------------------------------------------- real processes

/// A running `hush-relay` process.
pub struct Process {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
}

impl Process {
    pub async fn start(database: &str, extra: &[&str]) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hush-relay"))
            .args(["--listen", "127.0.0.1:0", "--database", database])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn hush-relay");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("relay did not start within 60 s")
            .expect("read stdout")
            .expect("relay exited before listening");
        let addr = line
            .strip_prefix("hush-relay listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("address");
        Self { child, addr }
    }

    /// SIGTERM, then waits for a clean exit.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("pid") as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGTERM)
            .expect("SIGTERM");
        let status = tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .expect("relay did not stop within 40 s")
            .expect("wait");
        assert!(status.success(), "relay exited with {status}");
    }

    /// Sends one HTTP/1.1 request over a fresh connection.
    pub async fn send(&self, req: Request<Body>) -> Resp {
        http(self.addr, req).await
    }

    pub async fn signed(
        &self,
        id: &DeviceIdentity,
        method: Method,
        path: &str,
        team: &Uuid,
        body: Vec<u8>,
    ) -> Resp {
        self.send(signed_request(id, method, path, team, body, now_ms()))
            .await
    }
}

pub async fn http(addr: SocketAddr, req: Request<Body>) -> Resp {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.expect("request body").to_bytes();
    let mut req = Request::from_parts(parts, Full::new(body));
    req.headers_mut()
        .insert("host", addr.to_string().parse().expect("host header"));
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}
