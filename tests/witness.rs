//! A relay colluding with a removed member, with and without a witness (`hush-relay --witness`).
//!
//! The lying relay is the approach of `hostile_relay.rs`'s `fork_relay`: a copy of the relay's
//! database taken before bob's removal. Here the copy is served at the relay's own address (the
//! relay process is stopped, its database swapped, and it is started again on the same port),
//! so every member's client talks to it exactly as to the real relay: it is the relay operator
//! rolling the team back for carol.
//!
//! - Without a witness, carol's client cannot tell: it verifies every event it is shown, but is
//!   never shown the removal. Her new secret is sealed under the vault key bob still holds, the
//!   stale relay accepts it, and bob reads it. Only comparing team state codes reveals the
//!   partition (`a_stale_relay_goes_unnoticed_without_a_witness`).
//! - With a witness that co-signed the removal, carol's sync stops before storing or pushing
//!   anything, with an error naming the witness, and her write never reaches the relay
//!   (`a_witness_catches_a_relay_that_hides_a_removal`).
//! - A witness that is required but down makes the sync fail closed: nothing pulled is stored,
//!   nothing is pushed, the change stays in the outbox until the witness answers
//!   (`a_required_witness_that_is_down_fails_closed`).

use std::path::Path;

use hush_tests::{Device, Relay};

/// An initialised device with its agent running.
fn member(name: &str) -> Device {
    let d = Device::init(name);
    d.hush(&["unlock", "--timeout", "10m"]).assert().success();
    d
}

fn status(d: &Device) -> String {
    d.out(&["--team", "acme", "team", "status"])
}

fn line<'a>(status: &'a str, prefix: &str) -> &'a str {
    status
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in: {status}"))
}

fn state_code(d: &Device) -> String {
    line(&status(d), "state code:")
        .split_whitespace()
        .nth(2)
        .expect("code")
        .to_owned()
}

fn sqlite_path(relay: &Relay) -> String {
    relay
        .database
        .strip_prefix("sqlite://")
        .expect("a SQLite relay")
        .to_owned()
}

/// Stops the relay, copies its database files into a new directory, starts it again.
fn save_db(relay: &mut Relay) -> tempfile::TempDir {
    relay.kill();
    let src = sqlite_path(relay);
    let dir = tempfile::Builder::new()
        .prefix("hush-relay-copy-")
        .tempdir()
        .expect("temp dir");
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{src}{suffix}");
        if Path::new(&from).exists() {
            std::fs::copy(&from, dir.path().join(format!("relay.db{suffix}"))).expect("copy");
        }
    }
    relay.restart();
    dir
}

/// Stops the relay, replaces its database with a saved copy, and starts it on the same port.
fn serve_db(relay: &mut Relay, saved: &tempfile::TempDir) {
    relay.kill();
    let dst = sqlite_path(relay);
    for suffix in ["", "-wal", "-shm"] {
        let to = format!("{dst}{suffix}");
        let _ = std::fs::remove_file(&to);
        let from = saved.path().join(format!("relay.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, &to).expect("copy");
        }
    }
    relay.restart();
}

/// Number of events the relay stores.
fn relay_event_count(relay: &Relay) -> i64 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&relay.database)
                .await
                .expect("relay db");
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(&pool)
                .await
                .expect("count");
            pool.close().await;
            n
        })
}

fn start_witness() -> Relay {
    let dir = tempfile::Builder::new()
        .prefix("hush-witness-test-")
        .tempdir()
        .expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("witness.db").display());
    Relay::start_on(db, dir, &["--witness"])
}

/// alice (owner), bob and carol in team "acme" on `relay`, all writers of vault `prod`, all
/// synced; with `witness`, alice made the team require it before anyone joined.
fn team(relay: &Relay, witness: Option<&Relay>) -> (Device, Device, Device) {
    let alice = member("alice");
    let bob = member("bob");
    let carol = member("carol");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/API_KEY", "v1-value"]);
    alice.out(&["sync"]);
    if let Some(w) = witness {
        let out = alice.out(&["team", "witness", "add", &w.url]);
        assert!(out.contains("fingerprint:"), "{out}");
    }
    hush_tests::invite_and_admit(&alice, &bob, "bob", None);
    hush_tests::invite_and_admit(&alice, &carol, "carol", None);
    alice.out(&["grant", "prod", "bob", "--role", "write"]);
    alice.out(&["grant", "prod", "carol", "--role", "write"]);
    alice.out(&["sync"]);
    for d in [&bob, &carol, &alice, &bob, &carol] {
        d.out(&["--team", "acme", "sync"]);
    }
    assert_eq!(state_code(&alice), state_code(&carol));
    (alice, bob, carol)
}

#[test]
fn a_stale_relay_goes_unnoticed_without_a_witness() {
    let mut relay = Relay::start();
    let (alice, bob, carol) = team(&relay, None);
    let before_removal = save_db(&mut relay);

    alice.out(&["remove", "bob"]);
    alice.out(&["sync"]);

    // The relay operator, colluding with bob, serves carol the log from before the removal.
    serve_db(&mut relay, &before_removal);
    carol.out(&[
        "--team",
        "acme",
        "set",
        "prod/NEW_KEY",
        "carol-after-removal",
    ]);
    // Nothing tells carol: her sync succeeds and pushes the write...
    carol.out(&["--team", "acme", "sync"]);
    assert!(line(&status(&carol), "outbox:").contains(" 0 "));
    assert!(!status(&carol).contains("ALERT"), "{}", status(&carol));
    // ...sealed under the vault key bob kept, so the removed member reads it.
    bob.out(&["--team", "acme", "sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/NEW_KEY"]),
        "carol-after-removal\n",
        "without a witness, a removed member colluding with the relay reads new writes"
    );
    // The one signal: alice's and carol's team state codes differ (read aloud, they would
    // reveal the partition).
    assert_ne!(state_code(&alice), state_code(&carol));
}

#[test]
fn a_witness_catches_a_relay_that_hides_a_removal() {
    let mut relay = Relay::start();
    let witness = start_witness();
    let (alice, bob, carol) = team(&relay, Some(&witness));
    // Everyone sees the witness; carol's last sync was co-signed.
    let list = carol.out(&["--team", "acme", "team", "witness", "list"]);
    assert!(list.contains(&witness.url), "{list}");
    let st = status(&carol);
    assert!(st.contains("co-signed the last sync"), "{st}");
    let json: serde_json::Value =
        serde_json::from_str(&carol.out(&["--team", "acme", "--json", "team", "witness", "list"]))
            .expect("json");
    assert_eq!(json[0]["url"], witness.url.as_str());
    assert_eq!(json[0]["co_signed"], true);

    let before_removal = save_db(&mut relay);
    alice.out(&["remove", "bob"]);
    // alice's sync pushes the removal and has the witness co-sign it.
    alice.out(&["sync"]);
    let after_removal = save_db(&mut relay);

    serve_db(&mut relay, &before_removal);
    let stale_events = relay_event_count(&relay);
    carol.out(&[
        "--team",
        "acme",
        "set",
        "prod/NEW_KEY",
        "carol-after-removal",
    ]);
    let err = carol.fails(&["--team", "acme", "sync"]);
    assert!(
        err.contains(&witness.url),
        "the error names the witness: {err}"
    );
    assert!(err.contains("withholding"), "{err}");
    // carol's write never reached the relay, and bob cannot read it.
    assert_eq!(
        relay_event_count(&relay),
        stale_events,
        "nothing was pushed"
    );
    let st = status(&carol);
    assert!(line(&st, "outbox:").contains(" 1 "), "{st}");
    assert!(line(&st, "ALERT:").contains(&witness.url), "{st}");
    assert!(st.contains("has NOT co-signed"), "{st}");
    // (bob's own client requires the witness too and refuses this log; a colluding bob would run
    // a modified one, but the relay has nothing of carol's to give him.)
    let _ = bob.hush(&["--team", "acme", "sync"]).output();
    let err = bob.fails(&["--team", "acme", "get", "prod/NEW_KEY"]);
    assert!(err.contains("not found"), "{err}");

    // The honest relay again: carol catches up, her write is rebuilt on the new epoch (which bob
    // cannot read) and pushed, and the witness co-signs it.
    serve_db(&mut relay, &after_removal);
    carol.out(&["--team", "acme", "sync"]);
    let st = status(&carol);
    assert!(!st.contains("ALERT"), "{st}");
    assert!(st.contains("co-signed the last sync"), "{st}");
    alice.out(&["sync"]);
    assert_eq!(state_code(&alice), state_code(&carol));
    assert_eq!(alice.out(&["get", "prod/NEW_KEY"]), "carol-after-removal\n");
}

#[test]
fn a_required_witness_that_is_down_fails_closed() {
    let relay = Relay::start();
    let mut witness = start_witness();
    let alice = member("alice");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["sync"]);
    // A key that is not the witness's is refused, and nothing is added.
    let err = alice.fails(&[
        "team",
        "witness",
        "add",
        &witness.url,
        "--key",
        &"00".repeat(32),
    ]);
    assert!(err.contains("not the one given with --key"), "{err}");
    assert!(alice.out(&["team", "witness", "list"]).is_empty());
    let key = {
        let out = alice.out(&["--json", "team", "witness", "add", &witness.url]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["witness"]["key"].as_str().expect("key").to_owned()
    };
    assert_eq!(key.len(), 64);

    witness.kill();
    let events = relay_event_count(&relay);
    alice.out(&["set", "prod/API_KEY", "written-while-witness-down"]);
    let err = alice.fails(&["sync"]);
    assert!(err.contains("witness unreachable"), "{err}");
    assert!(err.contains(&witness.url), "{err}");
    assert_eq!(relay_event_count(&relay), events, "nothing was pushed");
    assert!(line(&status(&alice), "outbox:").contains(" 1 "));

    // Back up: the outbox goes out, co-signed.
    witness.restart();
    alice.out(&["sync"]);
    assert_eq!(relay_event_count(&relay), events + 1);
    assert!(status(&alice).contains("co-signed the last sync"));

    // Removing the witness (by key) makes the team sync without it again.
    witness.kill();
    alice.out(&["team", "witness", "remove", &key]);
    alice.out(&["set", "prod/API_KEY", "after-removal-of-the-witness"]);
    alice.out(&["sync"]);
    assert!(line(&status(&alice), "witnesses:").contains("none"));
}

/// `hush` as a CI job: an empty home and only the service token.
fn ci(home: &Path, token: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(hush_tests::bin("hush"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("HUSH_SERVICE_TOKEN", token)
        .current_dir(home)
        .args(args)
        .output()
        .expect("run hush")
}

#[test]
fn a_ci_job_refuses_a_stale_log_the_witness_has_outgrown() {
    let mut relay = Relay::start();
    let witness = start_witness();
    let alice = member("alice");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/API_KEY", "v1-value"]);
    alice.out(&["team", "witness", "add", &witness.url]);
    let token = alice
        .out(&[
            "service",
            "create",
            "ci",
            "--vault",
            "prod",
            "--expires",
            "30d",
        ])
        .trim()
        .to_owned();
    alice.out(&["sync"]);
    let home = tempfile::tempdir().expect("ci home");
    let o = ci(home.path(), &token, &["get", "prod/API_KEY"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, b"v1-value\n");

    let before_rotation = save_db(&mut relay);
    alice.out(&["set", "prod/API_KEY", "v2-value"]);
    alice.out(&["sync"]);
    // The relay serves the job the log from before the new value: the witness has seen more.
    serve_db(&mut relay, &before_rotation);
    let o = ci(home.path(), &token, &["get", "prod/API_KEY"]);
    assert!(!o.status.success(), "the job read a stale value");
    let err = String::from_utf8_lossy(&o.stderr);
    hush_tests::assert_clean_error(&err);
    assert!(
        err.contains(&witness.url) && err.contains("withholding"),
        "{err}"
    );
    assert!(!err.contains("v1-value"), "{err}");
}

#[test]
fn concurrent_honest_syncs_with_a_witness_raise_no_false_alarm() {
    let relay = Relay::start();
    let witness = start_witness();
    let (alice, bob, carol) = team(&relay, Some(&witness));
    for round in 0..4 {
        let handles: Vec<_> = [&alice, &bob, &carol]
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let key = format!("prod/K{i}_{round}");
                let home = d.home();
                std::thread::spawn(move || {
                    let run = |args: &[&str]| {
                        assert_cmd::Command::new(hush_tests::bin("hush"))
                            .env("HUSH_HOME", &home)
                            .env("HUSH_PASSWORD", hush_tests::PASSWORD)
                            .args(args)
                            .output()
                            .expect("run hush")
                    };
                    let o = run(&["--team", "acme", "set", &key, "value"]);
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                    let o = run(&["--team", "acme", "sync"]);
                    assert!(
                        o.status.success(),
                        "an honest concurrent sync failed: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                })
            })
            .collect();
        for h in handles {
            h.join().expect("member thread");
        }
    }
    for d in [&alice, &bob, &carol, &alice, &bob] {
        d.out(&["--team", "acme", "sync"]);
    }
    assert_eq!(state_code(&alice), state_code(&bob));
    assert_eq!(state_code(&alice), state_code(&carol));
    for d in [&alice, &bob, &carol] {
        assert!(!status(d).contains("ALERT"), "{}", status(d));
    }
}
