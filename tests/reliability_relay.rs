//! Relay faults during a burst of appends from several clients (each a `Device` with its own
//! home, all members of one team, each running `hush set` + `hush sync` in a loop):
//!
//! - the relay is killed with SIGKILL and restarted (SQLite; two relay processes on PostgreSQL,
//!   each killed in turn);
//! - every backend connection of the relays' PostgreSQL database is terminated with
//!   `pg_terminate_backend`, several times, while the relays keep running (the PostgreSQL server
//!   itself is a system service the tests cannot restart).
//!
//! Afterwards every acknowledged write (a `hush set` whose following `hush sync` exited 0) — in
//! fact every `hush set` that exited 0 — is in the log exactly once, the relay's log is one chain
//! without gaps or duplicates, `hush audit verify` passes on every client, and all clients
//! converge: same `hush team status` state code, same names and values.

#[path = "reliability_common.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use common::figure;
use hush_tests::{Device, RelaySet, invite_and_admit};

/// Writers, the owner included.
const WRITERS: usize = 4;
/// Most set+sync rounds one writer makes (a guard; the test stops them much earlier).
const MAX_ROUNDS: usize = 200;

#[derive(Default)]
struct Progress {
    ok_syncs: Vec<usize>,
    failed_syncs: Vec<usize>,
    /// Rounds each writer made, and whether it has left its loop.
    rounds: Vec<usize>,
    done: Vec<bool>,
    /// The last failed sync's stderr, per writer (what a stalled burst is reported with).
    last_error: Vec<String>,
    /// How often each distinct sync failure was seen, per writer.
    errors: Vec<BTreeMap<String, usize>>,
    /// The relay that is killed right now, if any: its clients that saw a sync fail wait for
    /// the restart instead of spinning through their rounds against a closed port.
    down: Option<usize>,
    stop: bool,
}

struct Shared {
    m: Mutex<Progress>,
    cv: Condvar,
}

impl Shared {
    fn new() -> Self {
        Self {
            m: Mutex::new(Progress {
                ok_syncs: vec![0; WRITERS],
                failed_syncs: vec![0; WRITERS],
                rounds: vec![0; WRITERS],
                done: vec![false; WRITERS],
                last_error: vec![String::new(); WRITERS],
                errors: vec![BTreeMap::new(); WRITERS],
                down: None,
                stop: false,
            }),
            cv: Condvar::new(),
        }
    }

    /// Waits until `pred` holds (true), or `timeout` passes or a writer left its loop, so
    /// progress can no longer come (false).
    fn wait(&self, timeout: Duration, pred: impl Fn(&Progress) -> bool) -> bool {
        let g = self.m.lock().expect("lock");
        let (g, _) = self
            .cv
            .wait_timeout_while(g, timeout, |p| !pred(p) && !p.done.contains(&true))
            .expect("lock");
        pred(&g)
    }

    /// Marks relay `k` down (`Some`) or back up (`None`) and wakes everyone.
    fn set_down(&self, k: Option<usize>) {
        self.m.lock().expect("lock").down = k;
        self.cv.notify_all();
    }

    fn snapshot(&self) -> (Vec<usize>, Vec<usize>) {
        let g = self.m.lock().expect("lock");
        (g.ok_syncs.clone(), g.failed_syncs.clone())
    }

    /// Each writer's counts and last sync error, for a failure message.
    fn report(&self) -> String {
        let g = self.m.lock().expect("lock");
        (0..WRITERS)
            .map(|i| {
                format!(
                    "\n  writer {i}: {} rounds{}, syncs {} ok / {} failed, last failure: {}; failures seen: {:?}",
                    g.rounds[i],
                    if g.done[i] { " (left its loop)" } else { "" },
                    g.ok_syncs[i],
                    g.failed_syncs[i],
                    g.last_error[i].trim(),
                    g.errors[i]
                )
            })
            .collect()
    }

    fn stop(&self) {
        self.m.lock().expect("lock").stop = true;
        self.cv.notify_all();
    }
}

/// What one writer did.
#[derive(Default)]
struct Log {
    /// (address, value, acknowledged by a later successful sync).
    sets: Vec<(String, String, bool)>,
    failed_sets: usize,
}

/// Writer `i`, a client of relay `relay`.
fn writer(i: usize, relay: usize, d: &Device, label: &str, shared: &Shared) -> Log {
    let mut log = Log::default();
    let mut unsynced = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    for round in 0..MAX_ROUNDS {
        if shared.m.lock().expect("lock").stop || Instant::now() > deadline {
            break;
        }
        let mut writes = vec![(
            format!("prod/C{i}_R{round:03}"),
            format!("{label}-c{i}-r{round}"),
        )];
        if round % 2 == 0 {
            writes.push((
                "prod/SHARED".to_owned(),
                format!("{label}-shared-c{i}-r{round}"),
            ));
        }
        for (addr, value) in writes {
            let o = d
                .hush(&["--team", "acme", "set", &addr, &value])
                .output()
                .expect("run hush set");
            if o.status.success() {
                unsynced.push(log.sets.len());
                log.sets.push((addr, value, false));
            } else {
                log.failed_sets += 1;
            }
        }
        let o = d.hush(&["sync"]).output().expect("run hush sync");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "hush sync panicked: {err}");
        let mut p = shared.m.lock().expect("lock");
        p.rounds[i] = round + 1;
        // Acknowledged: the sync right after the set exited 0. (Sets before a failed sync stay
        // in the outbox and go out with a later sync; they are checked too.)
        if o.status.success() {
            for k in unsynced.drain(..) {
                log.sets[k].2 = true;
            }
            p.ok_syncs[i] += 1;
        } else {
            unsynced.clear();
            p.failed_syncs[i] += 1;
            let kind: String = err
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .take(160)
                .collect();
            *p.errors[i].entry(kind).or_default() += 1;
            p.last_error[i] = err.into_owned();
            if p.down == Some(relay) {
                // Its relay is down and it noticed: wait for the restart (a real client retries
                // with backoff; a spinning one would only pile up rounds).
                shared.cv.notify_all();
                p = shared
                    .cv
                    .wait_while(p, |p| p.down == Some(relay) && !p.stop)
                    .expect("lock");
            }
        }
        drop(p);
        shared.cv.notify_all();
    }
    shared.m.lock().expect("lock").done[i] = true;
    shared.cv.notify_all();
    log
}

fn state_code(d: &Device) -> String {
    let s = d.out(&["--team", "acme", "team", "status"]);
    s.lines()
        .find(|l| l.starts_with("state code:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("state code line")
        .to_owned()
}

fn outbox(d: &Device) -> u64 {
    let s = d.out(&["--team", "acme", "team", "status"]);
    s.lines()
        .find_map(|l| l.strip_prefix("outbox:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("outbox line")
}

fn export(d: &Device) -> BTreeMap<String, String> {
    let out = d.out(&[
        "--team",
        "acme",
        "export",
        "prod",
        "--format",
        "json",
        "--plaintext",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("export JSON");
    rows.iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_owned(),
                r["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect()
}

/// The team: an owner and `WRITERS - 1` members spread over the relays, all with write access to
/// `prod`, each with an agent running (so the burst is fast and the writers really race).
fn team(set: &RelaySet) -> Vec<Device> {
    // Agents from the start: no Argon2id derivation per command.
    let owner = Device::init("w0");
    owner.out(&["unlock"]);
    owner.out(&["team", "create", "acme", "--relay", &set.url(0)]);
    owner.out(&["vault", "create", "prod"]);
    owner.out(&["sync"]);
    let mut devices = vec![owner];
    for i in 1..WRITERS {
        let d = Device::init(&format!("w{i}"));
        d.out(&["unlock"]);
        invite_and_admit(&devices[0], &d, &format!("w{i}"), Some(&set.url(i)));
        devices[0].out(&["grant", "prod", &format!("w{i}"), "--role", "write"]);
        devices[0].out(&["sync"]);
        devices.push(d);
    }
    for d in &devices {
        d.out(&["sync"]);
    }
    devices
}

/// Runs the burst; `fault` injects faults while it runs (it gets the relays and the progress) and
/// returns a description. Then checks everything the module documentation promises.
fn burst(set: &mut RelaySet, label: &str, fault: impl FnOnce(&mut RelaySet, &Shared) -> String) {
    let started = Instant::now();
    let devices = team(set);
    let shared = Shared::new();
    let (logs, what) = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let shared = &shared;
                let relay = i % set.relays.len();
                s.spawn(move || writer(i, relay, d, label, shared))
            })
            .collect();
        // Stop the writers even if the fault injection panics, so the scope can end.
        let what = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fault(set, &shared)));
        shared.stop();
        let logs: Vec<Log> = handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect();
        (logs, what)
    });
    let what = what.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let (ok, failed) = shared.snapshot();

    // Converge: everyone syncs until nothing is pending and all agree.
    let mut rounds = 0;
    loop {
        rounds += 1;
        for d in &devices {
            d.out(&["sync"]);
        }
        let codes: Vec<String> = devices.iter().map(state_code).collect();
        let pending: u64 = devices.iter().map(outbox).sum();
        if pending == 0 && codes.iter().all(|c| *c == codes[0]) {
            break;
        }
        assert!(
            rounds < 10,
            "no convergence after {rounds} rounds: {codes:?}, outbox {pending}"
        );
    }

    // Every set that exited 0 is in the log exactly once (so is every acknowledged one).
    let owner = &devices[0];
    let mut acked = 0;
    let mut total = 0;
    for log in &logs {
        for (addr, value, was_acked) in &log.sets {
            total += 1;
            acked += usize::from(*was_acked);
            if addr.ends_with("SHARED") {
                continue;
            }
            let hist = owner.out(&["--team", "acme", "history", addr, "--reveal"]);
            assert_eq!(hist.lines().count(), 1, "{addr} was written once: {hist}");
            assert!(
                hist.trim_end().ends_with(&format!("\t{value}")),
                "{addr}: {hist}"
            );
        }
    }
    let shared_hist = owner.out(&["--team", "acme", "history", "prod/SHARED", "--reveal"]);
    let shared_sets: Vec<&String> = logs
        .iter()
        .flat_map(|l| l.sets.iter())
        .filter(|(a, _, _)| a.ends_with("SHARED"))
        .map(|(_, v, _)| v)
        .collect();
    for v in &shared_sets {
        let n = shared_hist
            .lines()
            .filter(|l| l.ends_with(&format!("\t{v}")))
            .count();
        assert_eq!(n, 1, "SHARED value {v} appears {n} times: {shared_hist}");
    }
    assert_eq!(
        shared_hist.lines().count(),
        shared_sets.len(),
        "SHARED has exactly the versions written"
    );

    // Chains verify, and everyone sees the same names and values.
    let values = export(owner);
    for d in &devices {
        let v = d.out(&["audit", "verify"]);
        assert!(v.contains("ok:"), "{v}");
        assert_eq!(export(d), values, "members disagree on names or values");
    }
    assert_eq!(
        values.len(),
        logs.iter()
            .flat_map(|l| l.sets.iter())
            .filter(|(a, _, _)| !a.ends_with("SHARED"))
            .count()
            + 1,
        "one secret per name written"
    );

    // The relay's log: one contiguous chain, no duplicate event.
    let events = set.events();
    let mut prev = [0u8; 32];
    let mut hashes = std::collections::HashSet::new();
    for (i, bytes) in events.iter().enumerate() {
        let ev = hush_core::event::SignedEvent::decode(bytes).expect("decode");
        assert_eq!(ev.envelope.seq, i as u64, "gap or duplicate at {i}");
        assert_eq!(ev.envelope.prev, prev, "broken chain at {i}");
        assert!(hashes.insert(ev.hash()), "event stored twice at {i}");
        prev = ev.hash();
    }
    let failed_sets: usize = logs.iter().map(|l| l.failed_sets).sum();
    assert_eq!(failed_sets, 0, "hush set is local and must not fail");
    figure(&format!(
        "relay faults ({label}): {what}; {total} sets by {WRITERS} clients ({acked} acknowledged by the sync right after, the rest pushed by a later one), all {total} in the log exactly once; syncs {} ok / {} failed during the faults; converged in {rounds} round(s) on {} events; {:.0} s",
        ok.iter().sum::<usize>(),
        failed.iter().sum::<usize>(),
        events.len(),
        started.elapsed().as_secs_f64()
    ));
}

/// Kills relay `k` once every writer has synced at least `after` more times, keeps it down until
/// each writer that uses it saw a sync fail, then restarts it on the same port and database.
fn kill_and_restart(set: &mut RelaySet, shared: &Shared, k: usize, after: usize) {
    let (base, _) = shared.snapshot();
    assert!(
        shared.wait(Duration::from_secs(60), |p| {
            p.ok_syncs.iter().zip(&base).all(|(n, b)| *n >= b + after)
        }),
        "the burst did not make progress:{}",
        shared.report()
    );
    let (_, failed_before) = shared.snapshot();
    set.relays[k].kill();
    shared.set_down(Some(k));
    let users: Vec<usize> = (0..WRITERS).filter(|i| i % set.relays.len() == k).collect();
    assert!(
        shared.wait(Duration::from_secs(60), |p| {
            users.iter().all(|&i| p.failed_syncs[i] > failed_before[i])
        }),
        "clients of the killed relay never noticed:{}",
        shared.report()
    );
    set.relays[k].restart();
    shared.set_down(None);
}

fn kill_plan(set: &mut RelaySet, shared: &Shared, plan: &[usize]) -> String {
    for &k in plan {
        kill_and_restart(set, shared, k, 2);
    }
    // Let everyone sync successfully through the restarted relays before stopping.
    let (base, _) = shared.snapshot();
    assert!(
        shared.wait(Duration::from_secs(60), |p| {
            p.ok_syncs.iter().zip(&base).all(|(n, b)| *n >= b + 2)
        }),
        "no progress after the restarts:{}",
        shared.report()
    );
    let names: Vec<String> = plan.iter().map(|k| format!("relay {k}")).collect();
    format!("SIGKILL + restart of {}", names.join(", then "))
}

#[test]
fn sqlite_relay_killed_and_restarted_during_a_burst() {
    let mut set = RelaySet::sqlite();
    burst(&mut set, "SQLite", |set, shared| {
        kill_plan(set, shared, &[0, 0])
    });
}

#[test]
fn postgres_relays_killed_and_restarted_during_a_burst() {
    let Some(mut set) =
        RelaySet::postgres_pair("postgres_relays_killed_and_restarted_during_a_burst")
    else {
        return;
    };
    burst(&mut set, "PostgreSQL, 2 relays", |set, shared| {
        kill_plan(set, shared, &[0, 1])
    });
}

/// Terminates every other connection to the relays' database (what a PostgreSQL restart or a
/// failover does to them), returning how many backends were terminated.
fn terminate_backends(database: &str) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(database)
            .await
            .expect("connect to the relays' database");
        let rows: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut conn)
        .await
        .expect("pg_terminate_backend");
        conn.close().await.ok();
        rows.into_iter().filter(|ok| *ok).count()
    })
}

#[test]
fn postgres_backends_terminated_under_two_relays_during_a_burst() {
    let Some(mut set) =
        RelaySet::postgres_pair("postgres_backends_terminated_under_two_relays_during_a_burst")
    else {
        return;
    };
    burst(
        &mut set,
        "PostgreSQL backends terminated, 2 relays",
        |set, shared| {
            let database = set.relays[0].database.clone();
            let mut terminated = Vec::new();
            for _ in 0..3 {
                let (base, _) = shared.snapshot();
                assert!(
                    shared.wait(Duration::from_secs(60), |p| {
                        p.ok_syncs.iter().zip(&base).all(|(n, b)| *n >= b + 2)
                    }),
                    "the burst did not make progress:{}",
                    shared.report()
                );
                terminated.push(terminate_backends(&database));
            }
            let (base, _) = shared.snapshot();
            assert!(
                shared.wait(Duration::from_secs(60), |p| {
                    p.ok_syncs.iter().zip(&base).all(|(n, b)| *n >= b + 2)
                }),
                "no progress after the terminations:{}",
                shared.report()
            );
            assert!(
                terminated.iter().sum::<usize>() > 0,
                "the relays held no connection to terminate"
            );
            format!(
                "all database connections terminated 3 times ({terminated:?} backends), relays not restarted"
            )
        },
    );
}
