//! Load: one relay process holds 200 concurrent clients pulling and appending (10 teams of 20
//! members; every client is a device in its team's access list, signing every request) for
//! `HUSH_LOAD_SECS` seconds (20 by default, 60 with `HUSH_RELIABILITY_FULL=1`). One extra,
//! deliberately noisy member sends bursts of 64 concurrent requests and must be refused with 429s.
//!
//! Passes when: the 200 clients see no error at all (no 429, no 5xx, no transport error; a 409 is
//! the protocol's "the head moved, pull first" and is counted, not an error); every append the
//! relay acknowledged is stored exactly once in an unbroken chain per team, signed by its author,
//! and nothing else is stored; the noisy client got 429s; and the relay's memory stays flat (its
//! RSS, sampled every second from /proc, peaks in the last third of the run at most 1.5 × the
//! first third's peak + 16 MiB).
//!
//! The clients speak the relay protocol directly (`relay_proto::sign_request` over reqwest, as
//! `hush_core::sync::RelayClient` does) so that every status is seen: `RelayClient` retries a 429
//! itself. The teams are made by hand (a genesis whose access list holds the 20 members), so no
//! client needs a store or an Argon2id unlock; the events are real `SecretPut`s sealed under the
//! team's keys.

#[path = "reliability_common.rs"]
mod common;
#[path = "raw_team.rs"]
mod raw_team;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Rng, figure, quantile_ms};
use hush_core::event::SignedEvent;
use hush_core::identity::DeviceIdentity;
use hush_core::relay_proto::{self, paths};
use hush_core::secret::SecretString;
use hush_core::sync::RelayClient;
use hush_tests::Relay;
use raw_team::RawTeam;
use uuid::Uuid;

const TEAMS: usize = 10;
const PER_TEAM: usize = 20;

fn now_ms() -> i64 {
    (hush_core::session::system_clock())()
}

/// A raw team and the devices that write to it (member 0 is the owner).
struct Team {
    raw: RawTeam,
    members: Vec<DeviceIdentity>,
}

impl Team {
    async fn create(client: &RelayClient, members: Vec<DeviceIdentity>) -> Self {
        let others: Vec<&DeviceIdentity> = members[1..].iter().collect();
        let raw = RawTeam::create(client, "load", &members[0], &others).await;
        Self { raw, members }
    }

    /// A new secret at `seq` after `prev`, sealed and signed by member `m`.
    fn put(&self, m: usize, seq: u64, prev: [u8; 32]) -> SignedEvent {
        let value = SecretString::new(format!("sk_load_{m}_{seq}_0123456789abcdef"));
        self.raw.put(
            &self.members[m],
            seq,
            prev,
            format!("LOAD_{m}_{seq}"),
            &value,
        )
    }
}

/// What one client saw.
#[derive(Default)]
struct Stats {
    /// Request latencies in ms: pulls, appends, long-polls.
    pull_ms: Vec<f64>,
    append_ms: Vec<f64>,
    wait_ms: Vec<f64>,
    /// (team, hash) of every append the relay acknowledged.
    acked: Vec<(usize, [u8; 32])>,
    conflicts: usize,
    rate_limited: usize,
    errors: Vec<String>,
}

/// One signed request; returns (status, body, latency).
async fn request(
    http: &reqwest::Client,
    base: &str,
    me: &DeviceIdentity,
    method: reqwest::Method,
    path: &str,
    team: &Uuid,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>, f64), String> {
    let start = Instant::now();
    let mut req = http.request(method.clone(), format!("{base}{path}"));
    for (k, v) in relay_proto::sign_request(me, method.as_str(), path, team, &body, now_ms()) {
        req = req.header(k, v);
    }
    let resp = req.body(body).send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        bytes.to_vec(),
        start.elapsed().as_secs_f64() * 1000.0,
    ))
}

/// Counts a 429 or a transport error; passes anything else on.
fn note(
    s: &mut Stats,
    what: &str,
    r: Result<(u16, Vec<u8>, f64), String>,
) -> Option<(u16, Vec<u8>, f64)> {
    match r {
        Ok((429, _, _)) => {
            s.rate_limited += 1;
            None
        }
        Ok(answer) => Some(answer),
        Err(e) => {
            s.errors.push(format!("{what}: {e}"));
            None
        }
    }
}

/// A member's loop until `stop`: pull what is new (checking the chain), append one event at the
/// head (a 409 means someone else got there first: pull again), then pause — a random think
/// time, or for every fourth client a long-poll for the next change.
async fn client(
    base: String,
    team: Arc<Team>,
    t: usize,
    m: usize,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> Stats {
    let http = reqwest::Client::new();
    let me = &team.members[m];
    let mut rng = Rng::new(seed);
    let mut s = Stats::default();
    let mut cursor = 0u64;
    let mut last = team.raw.genesis;
    let long_poll = m % 4 == 3;
    while !stop.load(Ordering::Relaxed) {
        let path = paths::pull(&team.raw.id, Some(cursor), relay_proto::MAX_PULL.into());
        let r = request(
            &http,
            &base,
            me,
            reqwest::Method::GET,
            &path,
            &team.raw.id,
            Vec::new(),
        )
        .await;
        let Some((status, body, ms)) = note(&mut s, "pull", r) else {
            continue;
        };
        s.pull_ms.push(ms);
        if status != 200 {
            s.errors.push(format!("pull: HTTP {status}"));
            continue;
        }
        match relay_proto::decode_event_list(&body) {
            Ok(list) => {
                for bytes in list {
                    match SignedEvent::decode(&bytes) {
                        Ok(ev) if ev.envelope.seq == cursor + 1 && ev.envelope.prev == last => {
                            cursor += 1;
                            last = ev.hash();
                        }
                        _ => s.errors.push(format!("pull: broken chain after {cursor}")),
                    }
                }
            }
            Err(e) => s.errors.push(format!("pull: {e}")),
        }
        let ev = team.put(m, cursor + 1, last);
        let path = paths::events(&team.raw.id);
        let r = request(
            &http,
            &base,
            me,
            reqwest::Method::POST,
            &path,
            &team.raw.id,
            ev.bytes().to_vec(),
        )
        .await;
        let Some((status, _, ms)) = note(&mut s, "append", r) else {
            continue;
        };
        s.append_ms.push(ms);
        match status {
            200 | 201 => s.acked.push((t, ev.hash())),
            409 => s.conflicts += 1,
            other => s.errors.push(format!("append: HTTP {other}")),
        }
        if long_poll {
            // A desktop app waits for the next change instead of polling.
            let path = paths::wait(&team.raw.id, Some(cursor), 500);
            let r = request(
                &http,
                &base,
                me,
                reqwest::Method::GET,
                &path,
                &team.raw.id,
                Vec::new(),
            )
            .await;
            if let Some((status, _, ms)) = note(&mut s, "wait", r) {
                s.wait_ms.push(ms);
                if status != 200 && status != 204 {
                    s.errors.push(format!("wait: HTTP {status}"));
                }
            }
        }
        // Think time between two rounds of a client (the workload's pace, not a wait for a
        // condition): at most 3 requests per 200 ms, under the per-device limit of 20/s.
        tokio::time::sleep(Duration::from_millis(200 + rng.below(200))).await;
    }
    s
}

/// The noisy member: every 2 s, a burst of 64 concurrent `head` requests, more than its
/// per-device bucket holds. Returns (answered, refused with 429, other errors).
async fn noisy(
    base: String,
    team: Arc<Team>,
    me: Arc<DeviceIdentity>,
    stop: Arc<AtomicBool>,
) -> (usize, usize, Vec<String>) {
    let http = reqwest::Client::new();
    let (mut ok, mut limited, mut errors) = (0, 0, Vec::new());
    let path = paths::head(&team.raw.id);
    while !stop.load(Ordering::Relaxed) {
        let mut burst = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let (http, base, me, path, team) = (
                http.clone(),
                base.clone(),
                me.clone(),
                path.clone(),
                team.clone(),
            );
            burst.spawn(async move {
                request(
                    &http,
                    &base,
                    &me,
                    reqwest::Method::GET,
                    &path,
                    &team.raw.id,
                    Vec::new(),
                )
                .await
            });
        }
        while let Some(r) = burst.join_next().await {
            match r.expect("noisy request task") {
                Ok((200, _, _)) => ok += 1,
                Ok((429, _, _)) => limited += 1,
                Ok((s, _, _)) => errors.push(format!("noisy head: HTTP {s}")),
                Err(e) => errors.push(format!("noisy head: {e}")),
            }
        }
        // The pause between two bursts is the workload's shape, not a wait for a condition.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    (ok, limited, errors)
}

/// One scrape of the relay's `/metrics`: every sample, keyed by its name and labels as written.
async fn scrape(http: &reqwest::Client, url: &str) -> std::collections::BTreeMap<String, f64> {
    let resp = http.get(url).send().await.expect("scrape /metrics");
    assert_eq!(resp.status().as_u16(), 200, "GET /metrics");
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = resp.text().await.expect("metrics body");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').expect("`sample value`");
            (k.to_owned(), v.parse::<f64>().expect("a number"))
        })
        .collect()
}

/// Resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn stored_events(database: &str) -> Vec<(String, i64, Vec<u8>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(database).await.expect("relay db");
        let rows: Vec<(String, i64, Vec<u8>)> =
            sqlx::query_as("SELECT team_id, seq, bytes FROM events ORDER BY team_id, seq")
                .fetch_all(&pool)
                .await
                .expect("events");
        pool.close().await;
        rows
    })
}

#[test]
fn relay_holds_200_clients_without_errors_loss_or_memory_growth() {
    let secs = common::env_u64("HUSH_LOAD_SECS", if common::full() { 60 } else { 20 });
    let seed = common::seed(0x10ad);
    // Every client connects from 127.0.0.1: lift the per-IP limit. Each device may make 20
    // requests/s after a burst of 40: the clients stay under it, the noisy member does not.
    let dir = tempfile::tempdir().expect("tmp");
    let database = format!("sqlite://{}", dir.path().join("relay.db").display());
    let relay = Relay::start_on(
        database.clone(),
        dir,
        &[
            "--rate-per-ip",
            "1000000",
            "--rate-per-device",
            "20",
            "--burst",
            "40",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    let metrics_url = relay
        .metrics
        .clone()
        .expect("the relay printed its metrics address");
    let pid = relay.pid().expect("relay pid");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let (stats, noisy_result, rss, elapsed) = rt.block_on(async {
        let setup = RelayClient::new(&relay.url, false).expect("relay client");
        let mut teams = Vec::new();
        let mut noisy_me = None;
        for t in 0..TEAMS {
            let mut members: Vec<DeviceIdentity> = (0..PER_TEAM)
                .map(|m| DeviceIdentity::generate(&format!("load-{t}-{m}")).expect("identity"))
                .collect();
            if t == 0 {
                let n = DeviceIdentity::generate("noisy").expect("identity");
                members
                    .push(DeviceIdentity::from_secret_bytes(&n.to_secret_bytes()).expect("copy"));
                noisy_me = Some(Arc::new(n));
            }
            teams.push(Arc::new(Team::create(&setup, members).await));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (t, team) in teams.iter().enumerate() {
            for m in 0..PER_TEAM {
                tasks.push(tokio::spawn(client(
                    relay.url.clone(),
                    team.clone(),
                    t,
                    m,
                    stop.clone(),
                    seed ^ (((t * PER_TEAM + m) as u64) << 8),
                )));
            }
        }
        let noisy_task = tokio::spawn(noisy(
            relay.url.clone(),
            teams[0].clone(),
            noisy_me.expect("noisy identity"),
            stop.clone(),
        ));
        // Sample the relay's memory every second for the duration of the run, and scrape its
        // metrics as a Prometheus server would.
        let mut rss = Vec::new();
        let mut scrapes = Vec::new();
        let scraper = reqwest::Client::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for _ in 0..=secs {
            tick.tick().await;
            rss.push(rss_kib(pid).expect("the relay is running"));
            scrapes.push(scrape(&scraper, &metrics_url).await);
        }
        stop.store(true, Ordering::Relaxed);
        let mut stats = Vec::new();
        for t in tasks {
            stats.push(t.await.expect("client task"));
        }
        let elapsed = started.elapsed();
        let noisy_result = noisy_task.await.expect("noisy task");
        // After every client has its answers: each was counted before it was sent.
        scrapes.push(scrape(&scraper, &metrics_url).await);
        (stats, noisy_result, rss, (teams, elapsed, scrapes))
    });
    let (teams, elapsed, scrapes) = elapsed;

    // No errors at all for the 200 clients.
    let errors: Vec<&String> = stats.iter().flat_map(|s| s.errors.iter()).collect();
    let limited: usize = stats.iter().map(|s| s.rate_limited).sum();
    let conflicts: usize = stats.iter().map(|s| s.conflicts).sum();
    let (noisy_ok, noisy_429, noisy_errors) = noisy_result;

    // Nothing lost, nothing extra: each team's stored log is exactly genesis + acknowledged
    // appends, one chain, each event signed by a member.
    let rows = stored_events(&database);
    let mut acked_by_team: Vec<std::collections::HashSet<[u8; 32]>> =
        vec![std::collections::HashSet::new(); TEAMS];
    let mut acked_total = 0;
    for s in &stats {
        for (t, h) in &s.acked {
            assert!(acked_by_team[*t].insert(*h), "one event acknowledged twice");
            acked_total += 1;
        }
    }
    let mut lost = 0;
    for (t, team) in teams.iter().enumerate() {
        let mine: Vec<&(String, i64, Vec<u8>)> = rows
            .iter()
            .filter(|r| r.0 == team.raw.id.to_string())
            .collect();
        let mut prev = [0u8; 32];
        let mut seen = std::collections::HashSet::new();
        for (i, (_, seq, bytes)) in mine.iter().enumerate() {
            let ev = SignedEvent::decode(bytes).expect("stored event decodes");
            assert_eq!(*seq, i as i64, "team {t}: gap at {i}");
            assert_eq!(ev.envelope.prev, prev, "team {t}: broken chain at {i}");
            let author = team
                .members
                .iter()
                .find(|m| m.device_id == ev.envelope.author)
                .expect("authored by a member");
            ev.verify_signature(&author.cert().sign_pk)
                .expect("stored bytes are what the author signed");
            prev = ev.hash();
            seen.insert(ev.hash());
        }
        lost += acked_by_team[t]
            .iter()
            .filter(|h| !seen.contains(*h))
            .count();
        assert_eq!(
            mine.len(),
            acked_by_team[t].len() + 1,
            "team {t}: stored events are the genesis plus exactly the acknowledged appends"
        );
    }

    // The metrics tell the same story as the clients and the database, and nothing about who.
    let last_scrape = scrapes.last().expect("scraped");
    let sample = |name: &str| last_scrape.get(name).copied().unwrap_or(0.0);
    let sum = |prefix: &str, with: &[&str]| -> f64 {
        last_scrape
            .iter()
            .filter(|(k, _)| k.starts_with(prefix) && with.iter().all(|w| k.contains(w)))
            .map(|(_, v)| v)
            .sum()
    };
    assert_eq!(
        sample("hush_relay_events_appended_total") as usize,
        rows.len(),
        "appended counter = events stored (genesis and acknowledged appends)"
    );
    assert_eq!(
        sum(
            "hush_relay_requests_total{",
            &[
                "method=\"POST\"",
                &format!("route=\"{}\"", paths::EVENTS_ROUTE),
                "status=\"200\""
            ]
        ) as usize,
        acked_total,
        "successful appends counted = appends acknowledged"
    );
    assert_eq!(
        sample("hush_relay_rate_limited_total{limiter=\"device\"}") as usize,
        noisy_429 + limited,
        "device-limit refusals counted = 429s the clients saw"
    );
    assert_eq!(sample("hush_relay_rate_limited_total{limiter=\"ip\"}"), 0.0);
    assert!(sample("hush_relay_events_served_total") > 0.0);
    let appended: Vec<f64> = scrapes
        .iter()
        .map(|m| {
            m.get("hush_relay_events_appended_total")
                .copied()
                .unwrap_or(0.0)
        })
        .collect();
    assert!(
        appended.windows(2).all(|w| w[0] <= w[1]) && appended[0] < appended[appended.len() - 1],
        "the appended counter grows during the run: {appended:?}"
    );
    for team in &teams {
        let id = team.raw.id;
        for m in &scrapes {
            for k in m.keys() {
                assert!(
                    !k.contains(&id.to_string()) && !k.contains(&id.simple().to_string()),
                    "a team id in the metrics: {k}"
                );
                for member in &team.members {
                    assert!(
                        !k.contains(&member.device_id.to_string()),
                        "a device id: {k}"
                    );
                }
            }
        }
    }
    let requests = sum("hush_relay_requests_total{", &[]);
    let within = |le: &str| {
        sum(
            "hush_relay_request_duration_seconds_bucket{",
            &[&format!("le=\"{le}\"")],
        )
    };
    let under_100ms = within("0.1") / within("+Inf");

    // Memory: the last third's peak against the first third's.
    let third = rss.len() / 3;
    let first = rss[..third.max(1)].iter().copied().max().unwrap_or(0);
    let last = rss[rss.len() - third.max(1)..]
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let secs_f = elapsed.as_secs_f64();
    let mut pulls: Vec<f64> = stats
        .iter()
        .flat_map(|s| s.pull_ms.iter().copied())
        .collect();
    let mut appends: Vec<f64> = stats
        .iter()
        .flat_map(|s| s.append_ms.iter().copied())
        .collect();
    let waits: usize = stats.iter().map(|s| s.wait_ms.len()).sum();
    let mut all: Vec<f64> = pulls.iter().chain(appends.iter()).copied().collect();
    for v in [&mut pulls, &mut appends, &mut all] {
        v.sort_by(f64::total_cmp);
    }
    figure(&format!(
        "load: {} clients ({TEAMS} teams x {PER_TEAM}) for {secs_f:.0} s on SQLite: {:.0} appends/s acknowledged ({acked_total}), {:.0} pulls/s, {} long-polls, {conflicts} CAS retries (409); latency p50 {:.1} ms, p99 {:.1} ms (pull p99 {:.1} ms, append p99 {:.1} ms); {} errors, {limited} 429s to the 200 clients; noisy member: {noisy_429} deliberate 429s, {noisy_ok} answered; {lost} acknowledged events lost",
        TEAMS * PER_TEAM,
        acked_total as f64 / secs_f,
        pulls.len() as f64 / secs_f,
        waits,
        quantile_ms(&all, 0.5),
        quantile_ms(&all, 0.99),
        quantile_ms(&pulls, 0.99),
        quantile_ms(&appends, 0.99),
        errors.len(),
    ));
    figure(&format!(
        "load: relay RSS peak {:.1} MiB in the first third, {:.1} MiB in the last third (limit {:.1} MiB); samples (MiB): {}",
        first as f64 / 1024.0,
        last as f64 / 1024.0,
        (first as f64 * 1.5 + 16.0 * 1024.0) / 1024.0,
        rss.iter()
            .map(|k| format!("{:.0}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    figure(&format!(
        "load: /metrics scraped {} times during the run: {requests:.0} requests counted, {:.1}% answered within 100 ms (long-polls included); appended counter {} = events stored; {} device-limit refusals counted = 429s seen",
        scrapes.len(),
        under_100ms * 100.0,
        sample("hush_relay_events_appended_total"),
        sample("hush_relay_rate_limited_total{limiter=\"device\"}"),
    ));
    assert!(
        errors.is_empty(),
        "client errors: {:?}",
        &errors[..errors.len().min(20)]
    );
    assert_eq!(limited, 0, "the 200 clients stay under their limits");
    assert!(
        noisy_errors.is_empty(),
        "noisy client errors: {noisy_errors:?}"
    );
    assert!(noisy_429 > 0, "the noisy member was never rate limited");
    assert_eq!(lost, 0, "acknowledged events lost");
    assert!(acked_total > 0, "no append went through");
    assert!(
        (last as f64) <= first as f64 * 1.5 + 16.0 * 1024.0,
        "relay memory grew: {first} KiB -> {last} KiB"
    );
    drop(relay);
}
