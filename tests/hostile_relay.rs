//! Hush against a hostile relay.
//!
//! Every test puts a tampering proxy between the `hush` CLI and a real `hush-relay` process. The
//! proxy forwards each request (method, path and query, headers, body) and returns the relay's
//! answer, except where its [`Mode`] makes it lie the way a compromised relay could: it rewrites
//! the event lists and heads it answers with, and the opaque join requests it stores. Request
//! signatures cover the path and body, so the proxy never changes what a device asked for (the
//! one exception is the join request, which carries no device signature).
//!
//! Each test builds a real team through the proxy, switches the mode, lets a member sync, and
//! checks that
//! - the sync fails with exactly one `hush: error:` line saying the relay misbehaves;
//! - nothing the member had verified changed: the `head`/`state code`/`outbox` lines of
//!   `hush team status`, `hush ls`, `hush get`, `hush members`, and the rows of the local store
//!   (events and the MAC-protected checkpoint) are identical before and after;
//! - `hush team status` keeps an `ALERT:` line;
//! - once the relay tells the truth again (where its stored data is honest), a sync works.
//!
//! The "relay and the network" table of `docs/THREAT-MODEL.md` names these tests.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hush_core::event::{
    Body, Envelope, HEADER_LEN, KeyScope, Payload, Public, SignedEvent, header,
};
use hush_core::identity::{DeviceCert, DeviceIdentity};
use hush_core::relay_proto::{self, Head};
use hush_core::secret::Key32;
use hush_tests::{Device, Relay, contains_bytes};
use uuid::Uuid;

#[path = "modified_client.rs"]
mod modified_client;
use modified_client::{block_on, identity_of, now_ms, relay_devices, relay_events};

// ---------------------------------------------------------------------------------------------
// The tampering proxy
// ---------------------------------------------------------------------------------------------

// Offsets in the header of the (last) byte of each field, from the wire format's own table.
const VERSION_BYTE: usize = header::VERSION;
const TEAM_LAST: usize = header::TEAM.end - 1;
const SEQ_LAST: usize = header::SEQ.end - 1;
const PREV_LAST: usize = header::PREV.end - 1;
const EPOCH_LAST: usize = header::EPOCH.end - 1;
const AUTHOR_LAST: usize = header::AUTHOR.end - 1;

/// Where in an event a [`Mode::Flip`] flips a bit.
#[derive(Clone, Copy, Debug)]
enum Spot {
    /// A byte of the fixed header, by offset.
    Header(usize),
    /// The low byte of the public section's entry count.
    PublicCount,
    /// A byte of the body ciphertext, past its nonce.
    BodyCiphertext,
    /// The last byte of the signature.
    Signature,
}

impl Spot {
    fn offset(self, ev: &[u8]) -> usize {
        let u32_at =
            |at: usize| u32::from_be_bytes(ev[at..at + 4].try_into().expect("4 bytes")) as usize;
        let public_at = HEADER_LEN + 4;
        match self {
            Spot::Header(at) => at,
            Spot::PublicCount => public_at + 1,
            Spot::BodyCiphertext => {
                let body_len_at = public_at + u32_at(HEADER_LEN);
                let body_at = body_len_at + 4;
                assert!(u32_at(body_len_at) > 24 + 16, "a sealed body");
                body_at + 24 + 8
            }
            Spot::Signature => ev.len() - 1,
        }
    }
}

/// What the hostile relay does to the traffic it carries.
#[derive(Clone)]
enum Mode {
    /// Forward everything untouched.
    Passthrough,
    /// Flip one bit of the first event of every non-empty event list.
    Flip(Spot),
    /// Remove the middle event of every list of three or more.
    DropMiddle,
    /// Swap the first two events of every list of two or more.
    SwapFirstTwo,
    /// Replace the first event of every non-empty list with this older, validly signed event.
    ReplaceFirst(Vec<u8>),
    /// Put this older, validly signed event in front of every non-empty list.
    Prepend(Vec<u8>),
    /// Send the first event of every non-empty list twice.
    DuplicateFirst,
    /// Answer `/head` with this head and every event list with an empty one.
    StaleHead(Head),
    /// Answer every event list with this one event, whatever position was asked for.
    Endless(Vec<u8>),
    /// Answer every event list from a log of the relay's own making.
    ServeLog(Vec<Vec<u8>>),
    /// Replace join requests with one the relay sealed for this certificate under a key of its
    /// own (it never sees the invite secret).
    SubstituteJoin(Box<DeviceCert>),
    /// Store every append, then answer it with an error, as a connection lost after the relay's
    /// commit would (honest, but the client cannot know its event arrived).
    LoseAcks,
}

/// State shared by the proxy's handler and the test.
struct Shared {
    mode: Mutex<Mode>,
    /// Where requests go unless their device has a route.
    upstream: String,
    /// Per-device upstreams, by the `x-hush-device` header.
    routes: Mutex<HashMap<String, String>>,
    /// Answers (or requests) the current mode changed.
    tampered: AtomicUsize,
    /// Every exchange as the relay saw it: request line, headers and body, then the answer's
    /// headers and body.
    traffic: Mutex<Vec<Vec<u8>>>,
    http: reqwest::Client,
}

/// An HTTP proxy on loopback in front of one or more relays; stopped when dropped.
struct Proxy {
    url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        // reqwest is built without a TLS provider (as in hush-core); the proxy speaks plain
        // HTTP, but the client still wants one. A second install attempt is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Passthrough),
            upstream: upstream.to_owned(),
            routes: Mutex::new(HashMap::new()),
            tampered: AtomicUsize::new(0),
            traffic: Mutex::new(Vec::new()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("proxy HTTP client"),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("proxy listener");
                // Stop at once when asked: dropping the runtime closes open connections.
                tokio::select! {
                    r = axum::serve(listener, app) => r.expect("proxy serves"),
                    _ = stopped => {}
                }
            });
        });
        Self {
            url,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Switches the mode and resets the tamper count.
    fn set(&self, mode: Mode) {
        *self.shared.mode.lock().expect("mode lock") = mode;
        self.shared.tampered.store(0, Ordering::SeqCst);
    }

    /// How many answers or requests the current mode changed.
    fn tampered(&self) -> usize {
        self.shared.tampered.load(Ordering::SeqCst)
    }

    /// Sends this device's requests to `upstream`.
    fn route(&self, device: &str, upstream: &str) {
        self.shared
            .routes
            .lock()
            .expect("routes lock")
            .insert(device.to_owned(), upstream.to_owned());
    }

    fn traffic(&self) -> Vec<Vec<u8>> {
        self.shared.traffic.lock().expect("traffic lock").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host" | "content-length" | "connection" | "transfer-encoding" | "keep-alive"
    )
}

fn is_events(path: &str) -> bool {
    path.starts_with("/v1/teams/") && path.ends_with("/events")
}

fn is_head(path: &str) -> bool {
    path.starts_with("/v1/teams/") && path.ends_with("/head")
}

fn query_after(query: Option<&str>) -> Option<u64> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("after="))
        .and_then(|v| v.parse().ok())
}

/// The request body the mode substitutes, if any.
fn tamper_request(mode: &Mode, method: &str, path: &str) -> Option<Vec<u8>> {
    let Mode::SubstituteJoin(cert) = mode else {
        return None;
    };
    if method != "POST" {
        return None;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ["v1", "teams", team, "joins", invite] = segments.as_slice() else {
        return None;
    };
    let team = Uuid::parse_str(team).ok()?;
    let invite = Uuid::parse_str(invite).ok()?;
    // The relay does not know the invite secret: the best it can do is a key of its own.
    Some(hush_core::invite::seal_join(
        &Key32::random(),
        &team,
        &invite,
        cert,
    ))
}

/// The event list the mode answers with instead of `list`, if it changes it.
fn tamper_events(mode: &Mode, mut list: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    match mode {
        Mode::Flip(spot) if !list.is_empty() => {
            let at = spot.offset(&list[0]);
            list[0][at] ^= 0x01;
        }
        Mode::DropMiddle if list.len() >= 3 => {
            let mid = list.len() / 2;
            list.remove(mid);
        }
        Mode::SwapFirstTwo if list.len() >= 2 => list.swap(0, 1),
        Mode::ReplaceFirst(old) if !list.is_empty() => list[0].clone_from(old),
        Mode::Prepend(old) if !list.is_empty() => list.insert(0, old.clone()),
        Mode::DuplicateFirst if !list.is_empty() => {
            let first = list[0].clone();
            list.insert(0, first);
        }
        Mode::StaleHead(_) if !list.is_empty() => list.clear(),
        _ => return None,
    }
    Some(list)
}

/// The event list the relay makes up without asking the relay behind it, if the mode does.
fn own_event_list(mode: &Mode, after: Option<u64>) -> Option<Vec<Vec<u8>>> {
    match mode {
        Mode::Endless(event) => Some(vec![event.clone()]),
        Mode::ServeLog(log) => Some(
            log.iter()
                .filter(|e| {
                    let seq = SignedEvent::decode(e)
                        .expect("served events decode")
                        .envelope
                        .seq;
                    after.is_none_or(|a| seq > a)
                })
                .cloned()
                .collect(),
        ),
        _ => None,
    }
}

/// The head the mode answers with, if it lies about it.
fn tamper_head(mode: &Mode) -> Option<Head> {
    match mode {
        Mode::StaleHead(h) => Some(h.clone()),
        _ => None,
    }
}

fn record_headers(out: &mut Vec<u8>, headers: &axum::http::HeaderMap) {
    for (k, v) in headers {
        out.extend_from_slice(k.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
}

async fn forward(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match forward_inner(&shared, req).await {
        Ok(r) => r,
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e).into_response(),
    }
}

async fn forward_inner(
    shared: &Shared,
    req: axum::extract::Request,
) -> Result<axum::response::Response, String> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, relay_proto::MAX_BODY + 1024)
        .await
        .map_err(|e| format!("proxy: request body: {e}"))?
        .to_vec();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let mode = shared.mode.lock().expect("mode lock").clone();
    let upstream = {
        let device = parts
            .headers
            .get(relay_proto::header::DEVICE)
            .and_then(|v| v.to_str().ok());
        let routes = shared.routes.lock().expect("routes lock");
        match device.and_then(|d| routes.get(d)) {
            Some(u) => u.clone(),
            None => shared.upstream.clone(),
        }
    };

    let mut seen = format!("{method} {path_and_query}\n").into_bytes();
    record_headers(&mut seen, &parts.headers);
    seen.extend_from_slice(&body);

    // A relay serving a log of its own also claims that log's head.
    if method == "GET"
        && is_head(&path)
        && let Mode::ServeLog(log) = &mode
        && let Some(last) = log.last()
    {
        let ev = SignedEvent::decode(last).map_err(|e| format!("proxy: {e}"))?;
        let head = Head {
            seq: Some(ev.envelope.seq),
            hash: Some(relay_proto::hex(&ev.hash())),
        };
        shared.tampered.fetch_add(1, Ordering::SeqCst);
        shared.traffic.lock().expect("traffic lock").push(seen);
        return axum::http::Response::builder()
            .status(axum::http::StatusCode::OK)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                serde_json::to_vec(&head).map_err(|e| e.to_string())?,
            ))
            .map_err(|e| format!("proxy: answer: {e}"));
    }
    // Modes in which the relay answers pulls on its own, as fast as it is asked (never
    // rate-limited or refused by the honest relay behind it).
    if method == "GET"
        && is_events(&path)
        && let Some(list) = own_event_list(&mode, query_after(parts.uri.query()))
    {
        shared.tampered.fetch_add(1, Ordering::SeqCst);
        shared.traffic.lock().expect("traffic lock").push(seen);
        return axum::http::Response::builder()
            .status(axum::http::StatusCode::OK)
            .header("content-type", "application/octet-stream")
            .body(axum::body::Body::from(relay_proto::encode_event_list(
                list.iter().map(Vec::as_slice),
            )))
            .map_err(|e| format!("proxy: answer: {e}"));
    }
    let body = match tamper_request(&mode, &method, &path) {
        Some(b) => {
            shared.tampered.fetch_add(1, Ordering::SeqCst);
            b
        }
        None => body,
    };
    let mut headers = parts.headers.clone();
    let names: Vec<_> = headers.keys().cloned().collect();
    for name in names {
        if hop_by_hop(name.as_str()) {
            headers.remove(&name);
        }
    }
    let resp = shared
        .http
        .request(parts.method.clone(), format!("{upstream}{path_and_query}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("proxy: upstream: {e}"))?;
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let mut answer = resp
        .bytes()
        .await
        .map_err(|e| format!("proxy: upstream body: {e}"))?
        .to_vec();

    if status.is_success() && method == "POST" && is_events(&path) && matches!(mode, Mode::LoseAcks)
    {
        shared.tampered.fetch_add(1, Ordering::SeqCst);
        shared.traffic.lock().expect("traffic lock").push(seen);
        return Err("proxy: connection lost before the answer".into());
    }
    seen.extend_from_slice(b"\n--- answer ---\n");
    record_headers(&mut seen, &resp_headers);
    seen.extend_from_slice(&answer);
    shared.traffic.lock().expect("traffic lock").push(seen);

    if status.is_success() && method == "GET" {
        if is_events(&path) {
            let list = relay_proto::decode_event_list(&answer)
                .map_err(|e| format!("proxy: relay sent a bad list: {e}"))?;
            if let Some(lie) = tamper_events(&mode, list) {
                shared.tampered.fetch_add(1, Ordering::SeqCst);
                answer = relay_proto::encode_event_list(lie.iter().map(Vec::as_slice));
            }
        } else if is_head(&path)
            && let Some(head) = tamper_head(&mode)
        {
            shared.tampered.fetch_add(1, Ordering::SeqCst);
            answer = serde_json::to_vec(&head).map_err(|e| e.to_string())?;
        }
    }

    let mut out = axum::http::Response::builder().status(status);
    for (k, v) in &resp_headers {
        if !hop_by_hop(k.as_str()) {
            out = out.header(k, v);
        }
    }
    out.body(axum::body::Body::from(answer))
        .map_err(|e| format!("proxy: answer: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Members, snapshots and the relay's data
// ---------------------------------------------------------------------------------------------

/// An initialised device with its agent running (one Argon2 run instead of one per command).
fn member(name: &str) -> Device {
    let d = Device::init(name);
    d.hush(&["unlock", "--timeout", "10m"]).assert().success();
    d
}

fn device_id(d: &Device) -> String {
    d.out(&["whoami"])
        .lines()
        .find_map(|l| l.strip_prefix("device:"))
        .map(|s| s.trim().to_owned())
        .expect("device line")
}

fn status(d: &Device) -> String {
    d.out(&["--team", "acme", "team", "status"])
}

fn state_code(d: &Device) -> String {
    status(d)
        .lines()
        .find(|l| l.starts_with("state code:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("state code line")
        .to_owned()
}

fn head_seq(d: &Device) -> u64 {
    status(d)
        .lines()
        .find_map(|l| l.strip_prefix("head:"))
        .and_then(|l| l.trim().strip_prefix("event "))
        .and_then(|s| s.parse().ok())
        .expect("head line")
}

fn alert(d: &Device) -> Option<String> {
    status(d)
        .lines()
        .find(|l| l.starts_with("ALERT:"))
        .map(str::to_owned)
}

/// Runs `hush invite` on `owner` and `hush join` on `newcomer`, compares the safety codes, admits,
/// and syncs both. Returns the invite code.
fn invite_and_admit(owner: &Device, newcomer: &Device, name: &str) -> String {
    hush_tests::invite_and_admit(owner, newcomer, name, None)
}

/// What a member sees and what its store holds.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// The `head`, `state code`, `outbox` and `conflicts` lines of `hush team status`.
    status: Vec<String>,
    ls: String,
    members: String,
    values: Vec<(String, String)>,
    /// Every event row of the local store.
    events: Vec<StoredEvent>,
    /// Every team's MAC-protected checkpoint.
    checkpoints: Vec<Checkpoint>,
}

/// A row of the local `events` table: team, seq, stored hash, a digest of the bytes, pending.
type StoredEvent = (String, i64, String, String, i64);
/// A row of the local `teams` checkpoint: team, seq, hash, MAC.
type Checkpoint = (String, Option<i64>, Option<String>, Option<String>);

fn stored_rows(d: &Device) -> (Vec<StoredEvent>, Vec<Checkpoint>) {
    type EventRow = (Vec<u8>, i64, Vec<u8>, Vec<u8>, i64);
    type TeamRow = (Vec<u8>, Option<i64>, Option<Vec<u8>>, Option<Vec<u8>>);
    let path = hush_core::store::Store::db_path(&d.home());
    let (events, teams): (Vec<EventRow>, Vec<TeamRow>) = block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true);
        let pool = sqlx::SqlitePool::connect_with(opts)
            .await
            .expect("open the local store");
        let events = sqlx::query_as(
            "SELECT team_id, seq, hash, bytes, pending FROM events ORDER BY team_id, seq",
        )
        .fetch_all(&pool)
        .await
        .expect("events");
        let teams = sqlx::query_as(
            "SELECT team_id, head_seq, head_hash, head_mac FROM teams ORDER BY team_id",
        )
        .fetch_all(&pool)
        .await
        .expect("checkpoints");
        pool.close().await;
        (events, teams)
    });
    let hex = |b: &[u8]| relay_proto::hex(b);
    let digest = |b: &[u8]| hex(&hush_core::crypto::hash(b"test/stored-event", &[b]));
    (
        events
            .into_iter()
            .map(|(t, seq, h, b, p)| (hex(&t), seq, hex(&h), digest(&b), p))
            .collect(),
        teams
            .into_iter()
            .map(|(t, seq, h, m)| (hex(&t), seq, h.as_deref().map(hex), m.as_deref().map(hex)))
            .collect(),
    )
}

fn snapshot(d: &Device, secrets: &[&str]) -> Snapshot {
    // Values first: a read appends a usage record (once per version and hour), so reading before
    // looking at the log makes a second snapshot, whose reads add nothing, comparable.
    let values = secrets
        .iter()
        .map(|s| {
            (
                (*s).to_owned(),
                d.out(&["--team", "acme", "get", &format!("prod/{s}")]),
            )
        })
        .collect();
    let st = status(d);
    let (events, checkpoints) = stored_rows(d);
    Snapshot {
        status: st
            .lines()
            .filter(|l| {
                ["head:", "state code:", "outbox:", "conflicts:"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(str::to_owned)
            .collect(),
        ls: d.out(&["--team", "acme", "ls"]),
        members: d.out(&["--team", "acme", "members"]),
        values,
        events,
        checkpoints,
    }
}

/// `victim`'s sync through the lying relay fails with one clear error containing every phrase
/// of `expect`, leaves what it verified untouched, and leaves an alert. Returns the error.
fn assert_rejected(
    victim: &Device,
    before: &Snapshot,
    secrets: &[&str],
    expect: &[&str],
) -> String {
    let err = victim.fails(&["sync"]);
    assert!(
        err.contains("the relay is misbehaving") && err.contains("local data was left unchanged"),
        "not a clear relay-integrity error: {err}"
    );
    for phrase in expect {
        assert!(err.contains(phrase), "expected {phrase:?} in: {err}");
    }
    assert_eq!(
        &snapshot(victim, secrets),
        before,
        "a rejected sync changed local state"
    );
    let a = alert(victim).unwrap_or_else(|| panic!("no ALERT line in: {}", status(victim)));
    assert!(a.contains("misbehaving"), "{a}");
    err
}

/// A sync through an honest relay succeeds and clears the alert.
fn assert_syncs(d: &Device) {
    d.out(&["sync"]);
    assert_eq!(alert(d), None, "a good sync clears the alert");
}

/// Stops `relay`, copies its database to a second relay, and starts both: two relays that
/// share a past and can now diverge.
fn fork_relay(relay: &mut Relay) -> Relay {
    relay.kill();
    let src = relay
        .database
        .strip_prefix("sqlite://")
        .expect("a SQLite relay")
        .to_owned();
    let dir = tempfile::Builder::new()
        .prefix("hush-relay-fork-")
        .tempdir()
        .expect("temp dir");
    let dst = dir.path().join("relay.db");
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{src}{suffix}");
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", dst.display())).expect("copy relay db");
        }
    }
    let copy = Relay::start_on(format!("sqlite://{}", dst.display()), dir, &[]);
    relay.restart();
    copy
}

/// A team log of the relay's own making, with the real team id, in which `fake_owner` created
/// "acme", issued the invite `invite_id` and admitted `joiner` with it (handing it the log key).
/// Every event is validly signed and passes every rule of the log; only the invite secret (the
/// pinned event and the admission proof) is missing.
fn fake_team(
    team_id: Uuid,
    invite_id: Uuid,
    fake_owner: &DeviceIdentity,
    joiner: &DeviceCert,
) -> Vec<Vec<u8>> {
    use hush_core::event::{AclChange, GrantedKey, KeyBundle, TeamRole};
    let log_key = Key32::random();
    let bundle = |to: &DeviceCert, at: &Envelope| {
        KeyBundle::seal(
            &hush_core::event::BundlePlace::of(at),
            to,
            &[GrantedKey {
                scope: KeyScope::Log,
                epoch: 0,
                key: log_key.clone(),
            }],
        )
        .expect("bundle")
    };
    let owner_cert = fake_owner.cert();
    let expires_ms = now_ms() + 3_600_000;
    let steps = [
        (
            Some(owner_cert.clone()),
            Public {
                bundles: Vec::new(),
                acl: vec![AclChange::Add {
                    device_id: owner_cert.device_id,
                    auth_pk: owner_cert.auth_pk,
                    manager: true,
                }],
            },
            Payload::TeamCreate {
                name: "acme".into(),
                creator: owner_cert.clone(),
                log_commit: hush_core::event::key_commit(&team_id, KeyScope::Log, 0, &log_key),
            },
        ),
        (
            None,
            Public {
                bundles: Vec::new(),
                acl: vec![AclChange::Invite {
                    invite_id,
                    token_hash: [7; 32],
                    expires_ms,
                }],
            },
            Payload::InviteCreate {
                invite_id,
                role: TeamRole::Member,
                expires_ms,
            },
        ),
        (
            Some(joiner.clone()),
            Public {
                bundles: Vec::new(),
                acl: vec![AclChange::Add {
                    device_id: joiner.device_id,
                    auth_pk: joiner.auth_pk,
                    manager: false,
                }],
            },
            Payload::Admit {
                invite_id,
                member: joiner.clone(),
                role: TeamRole::Member,
                // The relay cannot compute the real proof: it never saw the invite secret.
                proof: [0; 32],
            },
        ),
    ];
    let mut log: Vec<SignedEvent> = Vec::new();
    for (seq, (to, mut public, payload)) in (0u64..).zip(steps) {
        let envelope = Envelope {
            team_id,
            seq,
            prev: log.last().map_or([0; 32], SignedEvent::hash),
            epoch: 0,
            author: fake_owner.device_id,
        };
        if let Some(to) = to {
            public.bundles.push(bundle(&to, &envelope));
        }
        let body = Body {
            time_ms: now_ms(),
            payload,
        };
        log.push(SignedEvent::seal(envelope, public, &body, &log_key, fake_owner).expect("seal"));
    }
    log.iter().map(|e| e.bytes().to_vec()).collect()
}

/// A relay, a proxy in front of it, and a team "acme" of alice (owner) and bob, who has
/// `bob_role` on vault `prod` holding `prod/API_KEY = v1-value`. Everyone is synced.
struct Team {
    owner: Device,
    bob: Device,
    proxy: Proxy,
    relay: Relay,
}

fn team(bob_role: &str) -> Team {
    let relay = Relay::start();
    let proxy = Proxy::start(&relay.url);
    let owner = member("alice");
    let bob = member("bob");
    owner.out(&["team", "create", "acme", "--relay", &proxy.url]);
    owner.out(&["vault", "create", "prod"]);
    owner.out(&["set", "prod/API_KEY", "v1-value", "--note", "first note"]);
    owner.out(&["sync"]);
    invite_and_admit(&owner, &bob, "bob");
    owner.out(&["grant", "prod", "bob", "--role", bob_role]);
    owner.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v1-value\n"
    );
    // Publish the usage record of that read, so both start from one synced history.
    bob.out(&["sync"]);
    owner.out(&["sync"]);
    assert_eq!(state_code(&owner), state_code(&bob));
    Team {
        owner,
        bob,
        proxy,
        relay,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn modified_event_body_is_rejected() {
    let t = team("write");
    t.owner.out(&["set", "prod/API_KEY", "v2-value"]);
    t.owner.out(&["set", "prod/OTHER", "other-value"]);
    t.owner.out(&["sync"]);
    // Bob has an edit of his own waiting in the outbox (and the usage record of reading it back
    // in the snapshot): a rejected sync must keep them too.
    t.bob
        .out(&["--team", "acme", "set", "prod/BOB_KEY", "bob-offline"]);
    let secrets = ["API_KEY", "BOB_KEY"];
    let before = snapshot(&t.bob, &secrets);
    assert!(
        before
            .status
            .iter()
            .any(|l| l.starts_with("outbox:      2")),
        "{:?}",
        before.status
    );

    t.proxy.set(Mode::Flip(Spot::BodyCiphertext));
    // The signature covers the sealed body: checked before anything is opened.
    assert_rejected(&t.bob, &before, &secrets, &["invalid signature"]);
    assert!(t.proxy.tampered() > 0, "the proxy changed nothing");

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert!(status(&t.bob).contains("outbox:      0"));
    t.owner.out(&["sync"]);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(
        t.bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v2-value\n"
    );
    assert_eq!(t.owner.out(&["get", "prod/BOB_KEY"]), "bob-offline\n");
}

#[test]
fn modified_envelope_is_rejected() {
    let t = team("read");
    t.owner.out(&["set", "prod/API_KEY", "v2-value"]);
    t.owner.out(&["sync"]);
    let secrets = ["API_KEY"];
    let before = snapshot(&t.bob, &secrets);
    let cases: [(&str, Spot, &str); 8] = [
        ("version", Spot::Header(VERSION_BYTE), "malformed event"),
        ("team", Spot::Header(TEAM_LAST), "belongs to another team"),
        ("seq", Spot::Header(SEQ_LAST), "out of sequence"),
        ("prev", Spot::Header(PREV_LAST), "hash chain broken"),
        ("epoch", Spot::Header(EPOCH_LAST), "invalid signature"),
        (
            "author",
            Spot::Header(AUTHOR_LAST),
            "never a member of the team",
        ),
        ("public section", Spot::PublicCount, "malformed event"),
        ("signature", Spot::Signature, "invalid signature"),
    ];
    for (field, spot, phrase) in cases {
        t.proxy.set(Mode::Flip(spot));
        assert_rejected(&t.bob, &before, &secrets, &[phrase]);
        assert!(t.proxy.tampered() > 0, "{field}: the proxy changed nothing");
    }

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(
        t.bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v2-value\n"
    );
}

#[test]
fn dropped_event_in_the_middle_is_rejected() {
    let t = team("read");
    for (k, v) in [("K1", "one"), ("K2", "two"), ("K3", "three")] {
        t.owner.out(&["set", &format!("prod/{k}"), v]);
    }
    t.owner.out(&["sync"]);
    let secrets = ["API_KEY"];
    let before = snapshot(&t.bob, &secrets);

    t.proxy.set(Mode::DropMiddle);
    assert_rejected(&t.bob, &before, &secrets, &["out of sequence"]);
    assert!(t.proxy.tampered() > 0, "the proxy changed nothing");
    assert!(
        t.bob
            .fails(&["--team", "acme", "get", "prod/K1"])
            .contains("not found"),
        "nothing of the bad batch was applied"
    );

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert_eq!(
        t.bob.out(&["--team", "acme", "ls"]),
        "prod/API_KEY\nprod/K1\nprod/K2\nprod/K3\n"
    );
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
}

#[test]
fn reordered_events_are_rejected() {
    let t = team("read");
    t.owner.out(&["set", "prod/K1", "one"]);
    t.owner.out(&["set", "prod/K2", "two"]);
    t.owner.out(&["sync"]);
    let secrets = ["API_KEY"];
    let before = snapshot(&t.bob, &secrets);

    t.proxy.set(Mode::SwapFirstTwo);
    assert_rejected(&t.bob, &before, &secrets, &["out of sequence"]);
    assert!(t.proxy.tampered() > 0, "the proxy changed nothing");

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(t.bob.out(&["--team", "acme", "get", "prod/K2"]), "two\n");
}

#[test]
fn replayed_old_event_is_rejected() {
    let t = team("read");
    let verified = head_seq(&t.bob);
    t.owner.out(&["set", "prod/API_KEY", "v2-value"]);
    t.owner.out(&["set", "prod/K2", "two"]);
    t.owner.out(&["sync"]);
    let old = relay_events(&t.relay);
    let last_verified = old
        .iter()
        .find(|e| e.envelope.seq == verified)
        .expect("bob's head is on the relay")
        .bytes()
        .to_vec();
    let early = old[1].bytes().to_vec();
    let secrets = ["API_KEY"];
    let before = snapshot(&t.bob, &secrets);

    // The old events are validly signed events of this very team; only their place is wrong.
    let cases = [
        (
            "last verified event in place of a new one",
            Mode::ReplaceFirst(last_verified.clone()),
        ),
        (
            "early event in place of a new one",
            Mode::ReplaceFirst(early),
        ),
        (
            "last verified event sent again first",
            Mode::Prepend(last_verified),
        ),
        ("new event sent twice", Mode::DuplicateFirst),
    ];
    for (what, mode) in cases {
        t.proxy.set(mode);
        // Caught either by the chain check or, when the list grows, by the announced head.
        let err = assert_rejected(&t.bob, &before, &secrets, &[]);
        assert!(
            err.contains("out of sequence") || err.contains("more events than were asked for"),
            "{what}: {err}"
        );
        assert!(t.proxy.tampered() > 0, "{what}: the proxy changed nothing");
    }

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(
        t.bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v2-value\n"
    );
}

#[test]
fn rolled_back_head_is_detected() {
    let t = team("read");
    let verified = head_seq(&t.bob);
    assert!(verified >= 2);
    // The owner writes; the relay wants to hide that (and more) from bob.
    t.owner.out(&["set", "prod/API_KEY", "v2-value"]);
    t.owner.out(&["sync"]);
    let events = relay_events(&t.relay);
    let older = events
        .iter()
        .find(|e| e.envelope.seq == verified - 1)
        .expect("event before bob's head");
    let secrets = ["API_KEY"];
    let before = snapshot(&t.bob, &secrets);

    t.proxy.set(Mode::StaleHead(Head {
        seq: Some(verified - 1),
        hash: Some(relay_proto::hex(&older.hash())),
    }));
    let expected = format!(
        "rolled the log back from event {verified} to {}",
        verified - 1
    );
    assert_rejected(&t.bob, &before, &secrets, &[&expected]);
    assert!(t.proxy.tampered() > 0, "the proxy changed nothing");

    // A relay that claims to have lost the team entirely.
    t.proxy.set(Mode::StaleHead(Head {
        seq: None,
        hash: None,
    }));
    assert_rejected(&t.bob, &before, &secrets, &["lost the whole team log"]);
    assert!(t.proxy.tampered() > 0, "the proxy changed nothing");

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.bob);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(
        t.bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v2-value\n"
    );
}

#[test]
fn forked_histories_are_detected() {
    let mut t = team("write");
    let relay_b = fork_relay(&mut t.relay);
    let owner_id = device_id(&t.owner);
    let bob_id = device_id(&t.bob);
    t.proxy.route(&owner_id, &t.relay.url);
    t.proxy.route(&bob_id, &relay_b.url);
    let common = head_seq(&t.owner);

    // Each relay shows one member a history the other never sees.
    t.owner.out(&["set", "prod/API_KEY", "owner-on-a"]);
    t.owner.out(&["sync"]);
    t.bob
        .out(&["--team", "acme", "set", "prod/BOB_KEY", "bob-on-b"]);
    t.bob.out(&["sync"]);
    assert_eq!(head_seq(&t.owner), common + 1);
    assert_eq!(head_seq(&t.bob), common + 1);
    assert_ne!(
        state_code(&t.owner),
        state_code(&t.bob),
        "comparing state codes reveals the fork"
    );

    // The partition ends: bob meets relay A, whose event at his head differs.
    t.proxy.route(&bob_id, &t.relay.url);
    let secrets = ["API_KEY", "BOB_KEY"];
    let before = snapshot(&t.bob, &secrets);
    assert_rejected(&t.bob, &before, &secrets, &["forked history"]);

    // A moves on: its next event does not extend what bob verified.
    t.owner.out(&["set", "prod/API_KEY", "owner-on-a-again"]);
    t.owner.out(&["sync"]);
    assert_rejected(&t.bob, &before, &secrets, &["hash chain broken"]);

    // And the owner, shown relay B, sees a log shorter than the one it verified.
    t.proxy.route(&owner_id, &relay_b.url);
    let owner_secrets = ["API_KEY"];
    let owner_before = snapshot(&t.owner, &owner_secrets);
    assert_rejected(
        &t.owner,
        &owner_before,
        &owner_secrets,
        &["rolled the log back"],
    );

    // Each relay is still consistent with the member it served.
    t.proxy.route(&bob_id, &relay_b.url);
    t.proxy.route(&owner_id, &t.relay.url);
    assert_syncs(&t.bob);
    assert_syncs(&t.owner);
    assert_eq!(
        t.bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "v1-value\n"
    );
    assert_eq!(t.owner.out(&["get", "prod/API_KEY"]), "owner-on-a-again\n");
}

#[test]
fn substituted_join_key_is_never_admitted() {
    let relay = Relay::start();
    let proxy = Proxy::start(&relay.url);
    let owner = member("alice");
    let bob = member("bob");
    owner.out(&["team", "create", "acme", "--relay", &proxy.url]);
    owner.out(&["vault", "create", "prod"]);
    owner.out(&["set", "prod/API_KEY", "v1-value"]);
    owner.out(&["sync"]);

    // The relay's own device, named like the real joiner.
    let impostor = DeviceIdentity::generate("bob").expect("identity");
    proxy.set(Mode::SubstituteJoin(Box::new(impostor.cert())));
    let code = owner.out(&["invite", "--role", "member", "--expires", "1h"]);
    let owner_before = snapshot(&owner, &["API_KEY"]);
    assert!(
        owner_before
            .status
            .iter()
            .any(|l| l.starts_with("outbox:      0")),
        "the invite was pushed: {:?}",
        owner_before.status
    );
    let joiner_code = bob.out(&["join", code.trim()]);
    assert_eq!(joiner_code.trim().split(' ').count(), 4, "{joiner_code}");
    assert_eq!(proxy.tampered(), 1, "the proxy replaced the join request");
    proxy.set(Mode::Passthrough);

    let out = owner.hush(&["sync"]).output().expect("sync");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("does not authenticate"),
        "no warning about the substituted join request: {stderr}"
    );
    assert!(!stderr.contains("join request(s) waiting"), "{stderr}");
    let members = owner.out(&["members"]);
    assert!(!members.contains("pending"), "{members}");
    assert!(!members.contains("bob"), "{members}");
    assert!(
        !members.contains(&impostor.device_id.to_string()),
        "{members}"
    );
    let e = owner.fails(&["admit", "bob"]);
    assert!(e.contains("bob"), "{e}");
    assert_eq!(
        snapshot(&owner, &["API_KEY"]),
        owner_before,
        "the owner's log did not change"
    );
    // Nobody but the owner may talk to the relay about this team.
    assert_eq!(relay_devices(&relay), vec![device_id(&owner)]);

    // The real joiner is never let in.
    let out = bob.hush(&["sync"]).output().expect("sync");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("waiting to be admitted"),
        "{stderr}"
    );
    let bob_status = bob.out(&["team", "status"]);
    assert!(
        bob_status.contains("waiting to be admitted"),
        "{bob_status}"
    );
    assert!(
        bob.fails(&["get", "prod/API_KEY"]).contains("not found"),
        "bob reads nothing"
    );

    // Nor can the relay lure him into a team of its own that "admits" him.
    let invite = hush_core::invite::InviteCode::decode(code.trim()).expect("code");
    let fake_owner = DeviceIdentity::generate("alice").expect("identity");
    let bob_cert = identity_of(&bob).cert();
    proxy.set(Mode::ServeLog(fake_team(
        invite.team_id,
        invite.invite_id,
        &fake_owner,
        &bob_cert,
    )));
    let bob_rows = stored_rows(&bob);
    let err = bob.fails(&["sync"]);
    assert!(proxy.tampered() > 0, "the proxy changed nothing");
    assert!(
        err.contains("the relay is misbehaving")
            && err.contains("does not contain the event pinned in the invite"),
        "{err}"
    );
    assert_eq!(
        stored_rows(&bob),
        bob_rows,
        "a rejected join changed local state"
    );
    let bob_status = bob.out(&["team", "status"]);
    assert!(
        bob_status.contains("waiting to be admitted")
            && bob_status
                .lines()
                .any(|l| l.starts_with("ALERT:") && l.contains("pinned")),
        "{bob_status}"
    );
    assert!(bob.fails(&["get", "prod/API_KEY"]).contains("not found"));
}

/// The warning about a join request that does not authenticate stays visible in
/// `hush team status`, like every other relay misbehaviour. (Regression: `sync_team` used to clear
/// the alert `fetch_joins` had just set, because the sync itself succeeds.)
#[test]
fn substituted_join_request_leaves_an_alert_in_team_status() {
    let relay = Relay::start();
    let proxy = Proxy::start(&relay.url);
    let owner = member("alice");
    let bob = member("bob");
    owner.out(&["team", "create", "acme", "--relay", &proxy.url]);
    owner.out(&["sync"]);
    let impostor = DeviceIdentity::generate("bob").expect("identity");
    proxy.set(Mode::SubstituteJoin(Box::new(impostor.cert())));
    let code = owner.out(&["invite", "--role", "member", "--expires", "1h"]);
    bob.out(&["join", code.trim()]);
    assert_eq!(proxy.tampered(), 1);
    let out = owner.hush(&["sync"]).output().expect("sync");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not authenticate"),
        "the sync itself warns"
    );
    let a = alert(&owner).unwrap_or_else(|| panic!("no ALERT line in: {}", status(&owner)));
    assert!(a.contains("does not authenticate"), "{a}");
}

#[test]
fn relay_requests_never_carry_plaintext() {
    let relay = Relay::start();
    let proxy = Proxy::start(&relay.url);
    let owner = member("alicia-owner");
    let bob = member("bobby-member");
    owner.out(&["team", "create", "zephyrteam", "--relay", &proxy.url]);
    owner.out(&["vault", "create", "quasarvault"]);
    owner.out(&[
        "set",
        "quasarvault/NEBULA_TOKEN",
        "val-8f3k-stardust",
        "--note",
        "note-about-comets",
        "--tag",
        "tag-orbit",
        "--url",
        "https://console.provider-pulsar.test/keys",
        "--scope",
        "scope-read-billing",
    ]);
    owner.out(&["set", "quasarvault/SECOND_NAME", "val-second-meteor"]);
    owner.out(&["sync"]);
    // invite_and_admit's `members` line check needs the newcomer's display name.
    let code = {
        let code = owner.out(&["invite", "--role", "member", "--expires", "1h"]);
        let code = code.trim().to_owned();
        let safety = bob.out(&["join", &code]);
        owner.out(&["sync"]);
        let members = owner.out(&["members"]);
        assert!(
            members
                .lines()
                .any(|l| l.starts_with("bobby-member\t") && l.ends_with(safety.trim())),
            "{members}"
        );
        owner.out(&["admit", "bobby-member"]);
        owner.out(&["sync"]);
        bob.out(&["sync"]);
        code
    };
    owner.out(&["grant", "quasarvault", "bobby-member", "--role", "write"]);
    owner.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "zephyrteam", "get", "quasarvault/NEBULA_TOKEN"]),
        "val-8f3k-stardust\n"
    );
    bob.out(&[
        "--team",
        "zephyrteam",
        "set",
        "quasarvault/BOB_WROTE_THIS",
        "val-from-bobby",
    ]);
    bob.out(&["sync"]);
    owner.out(&["sync"]);
    assert_eq!(
        owner.out(&["get", "quasarvault/BOB_WROTE_THIS"]),
        "val-from-bobby\n"
    );

    let traffic = proxy.traffic();
    let all = traffic.concat();
    // The test saw the whole protocol.
    for route in [
        "PUT /v1/teams/",
        "POST /v1/teams/",
        "/joins/",
        "/events",
        "/head",
    ] {
        assert!(
            contains_bytes(&all, route.as_bytes()),
            "no {route} in the traffic"
        );
    }
    let invite = hush_core::invite::InviteCode::decode(&code).expect("code");
    let secret_hex = relay_proto::hex(invite.secret.expose_bytes());
    let mut needles: Vec<&[u8]> = [
        "zephyrteam",
        "quasarvault",
        "NEBULA_TOKEN",
        "SECOND_NAME",
        "BOB_WROTE_THIS",
        "val-8f3k-stardust",
        "val-second-meteor",
        "val-from-bobby",
        "note-about-comets",
        "tag-orbit",
        "provider-pulsar",
        "scope-read-billing",
        "alicia-owner",
        "bobby-member",
        code.as_str(),
        secret_hex.as_str(),
    ]
    .iter()
    .map(|s| s.as_bytes())
    .collect();
    needles.push(invite.secret.expose_bytes());
    for (i, exchange) in traffic.iter().enumerate() {
        for needle in &needles {
            assert!(
                !contains_bytes(exchange, needle),
                "exchange {i} with the relay carries {:?}",
                String::from_utf8_lossy(needle)
            );
        }
    }
}

/// A relay that never ends a pull (every page it serves holds an event) must not keep a
/// member's sync running, and allocating, forever: the client knows the head the relay announced
/// and can stop there.
#[test]
fn endless_event_pages_do_not_hang_the_sync() {
    let relay = Relay::start();
    let proxy = Proxy::start(&relay.url);
    let owner = member("alice");
    // No agent: the sync runs in the `hush` process, which the timeout below can stop.
    let bob = Device::init("bob");
    owner.out(&["team", "create", "acme", "--relay", &proxy.url]);
    owner.out(&["vault", "create", "prod"]);
    owner.out(&["sync"]);
    invite_and_admit(&owner, &bob, "bob");
    owner.out(&["set", "prod/API_KEY", "v2-value"]);
    owner.out(&["sync"]);
    let newest = relay_events(&relay).last().expect("log").bytes().to_vec();

    proxy.set(Mode::Endless(newest));
    let o = bob
        .hush(&["sync"])
        .timeout(std::time::Duration::from_secs(15))
        .output()
        .expect("run hush");
    assert!(proxy.tampered() > 0, "the proxy changed nothing");
    assert!(
        o.status.code().is_some(),
        "hush sync was still pulling after 15 s ({} pages served)",
        proxy.tampered()
    );
    // The client asks for exactly the events up to the announced head, so the relay gets to
    // serve a handful of pages at most; what it served is verified like anything else.
    assert!(
        proxy.tampered() <= 3,
        "the client kept asking for pages ({} served)",
        proxy.tampered()
    );
    if !o.status.success() {
        hush_tests::assert_clean_error(&String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn an_append_stored_but_never_acknowledged_is_not_pushed_twice() {
    let t = team("read");
    let before = relay_events(&t.relay).len();
    t.owner.out(&["set", "prod/K1", "one"]);
    t.owner.out(&["set", "prod/K2", "two"]);

    t.proxy.set(Mode::LoseAcks);
    t.owner.fails(&["sync"]);
    assert_eq!(t.proxy.tampered(), 1, "the first append's answer was lost");
    assert_eq!(
        relay_events(&t.relay).len(),
        before + 1,
        "the relay stored the append whose answer was lost"
    );
    assert!(
        status(&t.owner).contains("outbox:      2"),
        "the client cannot know its event arrived"
    );

    t.proxy.set(Mode::Passthrough);
    assert_syncs(&t.owner);
    let events = relay_events(&t.relay);
    assert_eq!(
        events.len(),
        before + 2,
        "each edit is on the relay exactly once"
    );
    let status = status(&t.owner);
    assert!(status.contains("outbox:      0"), "{status}");
    assert!(
        status.contains("conflicts:   0"),
        "no conflict with itself: {status}"
    );
    assert_eq!(
        t.owner.out(&["--team", "acme", "ls"]),
        "prod/API_KEY\nprod/K1\nprod/K2\n"
    );
    assert_eq!(
        t.owner
            .out(&["--team", "acme", "history", "prod/K1"])
            .lines()
            .count(),
        t.owner
            .out(&["--team", "acme", "history", "prod/K2"])
            .lines()
            .count(),
        "K1 has one version, like K2"
    );
    t.bob.out(&["sync"]);
    assert_eq!(state_code(&t.owner), state_code(&t.bob));
    assert_eq!(t.bob.out(&["--team", "acme", "get", "prod/K1"]), "one\n");
}
