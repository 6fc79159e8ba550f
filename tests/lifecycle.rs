//! The key lifecycle with the real binaries: `hush status` (due, overdue, expired, exposed),
//! `hush rotate`, `hush leaked` across a team, usage records, `hush audit` with its filters and
//! `hush audit verify` on a clean and on a tampered log.

use std::sync::Arc;

use hush_core::address::Address;
use hush_core::event::{PutKind, SignedEvent};
use hush_core::item::civil_from_days;
use hush_core::secret::SecretString;
use hush_core::session::{MetaUpdate, Session, system_clock};
use hush_core::store::Store;
use hush_tests::{Device, PASSWORD, Relay, invite_and_admit};

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    (system_clock())()
}

fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Writes a version whose event carries `time_ms` (through the core with a fixed clock: the CLI
/// always uses the system clock).
fn backdated_set(d: &Device, addr: &str, value: &str, rotate_every_days: u32, time_ms: i64) {
    runtime().block_on(async {
        let mut s = Session::unlock(
            &d.home(),
            &SecretString::new(PASSWORD.into()),
            Arc::new(move || time_ms),
        )
        .await
        .expect("unlock");
        s.set(
            None,
            &Address::parse(addr).expect("address"),
            &SecretString::new(value.into()),
            MetaUpdate {
                rotate_every_days: Some(rotate_every_days),
                ..MetaUpdate::default()
            },
            PutKind::Set,
        )
        .await
        .expect("set");
        s.close().await;
    });
}

fn status_lines(d: &Device, team: Option<&str>) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(t) = team {
        args.extend(["--team", t]);
    }
    args.push("status");
    d.out(&args).lines().map(str::to_owned).collect()
}

fn line_for<'a>(lines: &'a [String], prefix: &str) -> Option<&'a String> {
    lines.iter().find(|l| l.starts_with(prefix))
}

#[test]
fn status_lists_due_overdue_and_expired_and_rotate_clears_them() {
    let d = Device::init("alice");
    d.out(&["vault", "create", "prod"]);
    let today = now_ms().div_euclid(DAY_MS);
    d.out(&["set", "prod/OLD_EXPIRY", "a", "--expires", "2020-01-01"]);
    d.out(&[
        "set",
        "prod/EXPIRES_SOON",
        "b",
        "--expires",
        &date(today + 5),
    ]);
    d.out(&["set", "prod/SHORT_PERIOD", "c", "--rotate-every", "5d"]);
    d.out(&["set", "prod/FINE", "d", "--rotate-every", "90d"]);
    d.out(&["set", "prod/NO_POLICY", "e"]);
    // Written 40 days ago with a 30-day period: overdue since 10 days ago.
    let written = now_ms() - 40 * DAY_MS;
    backdated_set(&d, "prod/STALE", "f", 30, written);

    let out = d.hush(&["status"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "a report exits 0");
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    let expired = line_for(&lines, "personal/prod/OLD_EXPIRY\t").expect("expired listed");
    assert!(
        expired.contains("\texpired\texpired on 2020-01-01 (since 2020-01-01 00:00:00 UTC)"),
        "{expired}"
    );
    let soon = line_for(&lines, "personal/prod/EXPIRES_SOON\t").expect("due listed");
    assert!(
        soon.contains("\tdue\t") && soon.contains(&format!("expires on {}", date(today + 5))),
        "{soon}"
    );
    // The due window of an expiry opens 14 days before it.
    assert!(
        soon.contains(&format!("since {} 00:00:00 UTC", date(today + 5 - 13))),
        "{soon}"
    );
    let short = line_for(&lines, "personal/prod/SHORT_PERIOD\t").expect("due listed");
    assert!(short.contains("\tdue\trotation due by"), "{short}");
    let stale = line_for(&lines, "personal/prod/STALE\t").expect("overdue listed");
    assert!(
        stale.contains("\toverdue\tnot rotated for 30 days"),
        "{stale}"
    );
    assert!(
        stale.contains(&format!(
            "since {} UTC",
            hush_core::item::format_time_ms(written + 30 * DAY_MS)
        )),
        "overdue since the end of the period: {stale}"
    );
    for quiet in ["FINE", "NO_POLICY"] {
        assert!(
            line_for(&lines, &format!("personal/prod/{quiet}\t")).is_none(),
            "{quiet} is not due: {lines:?}"
        );
    }
    assert!(lines.contains(&"conflicts: 0".to_owned()), "{lines:?}");

    // The same in JSON.
    let json: serde_json::Value =
        serde_json::from_str(&d.out(&["--json", "status"])).expect("json");
    let states: Vec<(String, String)> = json["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| {
            (
                k["address"].as_str().expect("address").to_owned(),
                k["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect();
    for want in [
        ("prod/OLD_EXPIRY", "expired"),
        ("prod/EXPIRES_SOON", "due"),
        ("prod/SHORT_PERIOD", "due"),
        ("prod/STALE", "overdue"),
    ] {
        assert!(
            states.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {states:?}"
        );
    }
    assert_eq!(json["conflicts"], 0);
    assert!(json["alerts"].as_array().expect("alerts").is_empty());

    // Rotating restarts the period: the stale key is no longer listed, its metadata is kept.
    d.out(&["rotate", "prod/STALE", "f-rotated"]);
    let lines = status_lines(&d, None);
    assert!(
        line_for(&lines, "personal/prod/STALE\t").is_none(),
        "{lines:?}"
    );
    let hist = d.out(&["history", "prod/STALE"]);
    assert!(
        hist.lines().next().expect("newest").ends_with("\trotation"),
        "{hist}"
    );
    assert_eq!(d.out(&["get", "prod/STALE"]), "f-rotated\n");
    // A rotation with a new expiry date clears "expired"; the value may come from stdin.
    d.hush(&["rotate", "prod/OLD_EXPIRY", "--expires", &date(today + 365)])
        .write_stdin("a-rotated\n")
        .assert()
        .success();
    assert_eq!(d.out(&["get", "prod/OLD_EXPIRY"]), "a-rotated\n");
    let lines = status_lines(&d, None);
    assert!(
        line_for(&lines, "personal/prod/OLD_EXPIRY\t").is_none(),
        "{lines:?}"
    );

    // Clean errors: rotating a missing secret, the same value, a bad date.
    let e = d.fails(&["rotate", "prod/MISSING", "x"]);
    assert!(e.contains("not found") && e.contains("hush set"), "{e}");
    let e = d.fails(&["rotate", "prod/STALE", "f-rotated"]);
    assert!(e.contains("same as the current one"), "{e}");
    let e = d.fails(&["rotate", "prod/STALE", "g", "--expires", "2020-13-01"]);
    assert!(e.contains("invalid date"), "{e}");
}

fn audit_lines(d: &Device, args: &[&str]) -> Vec<String> {
    let mut a = vec!["--team", "acme", "audit"];
    a.extend_from_slice(args);
    d.out(&a).lines().map(str::to_owned).collect()
}

fn outbox(d: &Device) -> String {
    d.out(&["--team", "acme", "team", "status"])
        .lines()
        .find(|l| l.starts_with("outbox:"))
        .expect("outbox line")
        .to_owned()
}

#[test]
fn leaks_usage_and_audit_across_a_team() {
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["vault", "create", "staging"]);
    alice.out(&[
        "set",
        "prod/STRIPE_KEY",
        "sk_live_first",
        "--url",
        "https://dashboard.example/keys",
    ]);
    alice.out(&["set", "prod/OTHER_KEY", "other"]);
    alice.out(&["set", "staging/STAGING_TOKEN", "staging-value"]);
    alice.out(&["sync"]);
    invite_and_admit(&alice, &bob, "bob", None);
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);

    // Usage: bob reads the key three times; one record, not three.
    assert_eq!(outbox(&bob), "outbox:      0 event(s) waiting to sync");
    for _ in 0..3 {
        assert_eq!(
            bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
            "sk_live_first\n"
        );
    }
    assert_eq!(
        outbox(&bob),
        "outbox:      1 event(s) waiting to sync",
        "repeated reads within the hour add no more events"
    );
    bob.out(&["--team", "acme", "run", "--vault", "prod", "--", "true"]);
    assert_eq!(outbox(&bob), "outbox:      2 event(s) waiting to sync");
    // Alice reads a staging key bob cannot read.
    alice.out(&["get", "staging/STAGING_TOKEN"]);
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);

    let used = audit_lines(&alice, &["--action", "used"]);
    let bob_get: Vec<&String> = used
        .iter()
        .filter(|l| l.contains("\tbob\tused\tprod/STRIPE_KEY (get)"))
        .collect();
    assert_eq!(bob_get.len(), 1, "{used:?}");
    for key in ["prod/STRIPE_KEY", "prod/OTHER_KEY"] {
        assert!(
            used.iter()
                .any(|l| l.ends_with(&format!("\tbob\tused\t{key} (run)"))),
            "{key} run by bob: {used:?}"
        );
    }
    assert!(
        used.iter()
            .any(|l| l.ends_with("\talice\tused\tstaging/STAGING_TOKEN (get)")),
        "{used:?}"
    );
    // Bob cannot read staging: he is not shown who used what there.
    let bob_view = audit_lines(&bob, &["--action", "used"]);
    assert!(
        bob_view.iter().all(|l| !l.contains("\talice\tused")),
        "{bob_view:?}"
    );
    assert!(
        bob_view
            .iter()
            .any(|l| l.ends_with("\tbob\tused\tprod/STRIPE_KEY (get)")),
        "{bob_view:?}"
    );

    // Alice reports the key leaked: the output lists who could read it and what to do.
    let out = alice
        .hush(&[
            "leaked",
            "prod/STRIPE_KEY",
            "--note",
            "pasted in the team chat",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("alice\t") && l.ends_with("\thas admin access")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("bob\t") && l.ends_with("\thas read access")),
        "{stdout}"
    );
    assert!(
        stderr.contains("reported leaked by alice: pasted in the team chat")
            && stderr.contains("https://dashboard.example/keys")
            && stderr.contains("hush rotate prod/STRIPE_KEY"),
        "{stderr}"
    );
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    // Exposed on both members' devices, with the reporter and the note.
    for d in [&alice, &bob] {
        let lines = status_lines(d, Some("acme"));
        let l = line_for(&lines, "acme/prod/STRIPE_KEY\t").expect("exposed listed");
        assert!(
            l.contains("\texposed\treported leaked by alice: pasted in the team chat"),
            "{l}"
        );
        assert!(
            d.out(&["exposed"]).contains("acme/prod/STRIPE_KEY"),
            "hush exposed lists it too"
        );
    }
    // A read-only member may report a leak too.
    bob.out(&["--team", "acme", "leaked", "prod/OTHER_KEY"]);
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    let lines = status_lines(&alice, Some("acme"));
    assert!(
        line_for(&lines, "acme/prod/OTHER_KEY\t")
            .is_some_and(|l| l.contains("\texposed\treported leaked by bob (since")),
        "{lines:?}"
    );

    // Rotating clears the exposure everywhere.
    alice.out(&["rotate", "prod/STRIPE_KEY", "sk_live_second"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    for d in [&alice, &bob] {
        let lines = status_lines(d, Some("acme"));
        assert!(
            line_for(&lines, "acme/prod/STRIPE_KEY\t").is_none(),
            "{lines:?}"
        );
    }
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_second\n"
    );

    // Audit filters.
    let all = audit_lines(&alice, &[]);
    assert!(
        all.iter()
            .any(|l| l.contains("\talice\tcreated_team\tacme"))
    );
    assert!(
        all.iter()
            .any(|l| l.contains("\talice\tleaked\tprod/STRIPE_KEY: pasted in the team chat")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|l| l.contains("\talice\trotated\tprod/STRIPE_KEY"))
    );
    assert!(
        all.iter()
            .any(|l| l.contains("\talice\tgranted\tbob read on prod"))
    );
    assert!(
        all.iter()
            .any(|l| l.contains("\talice\tadmitted\tbob as member"))
    );
    let prod = audit_lines(&alice, &["--vault", "prod"]);
    assert!(!prod.is_empty() && prod.len() < all.len());
    assert!(
        prod.iter().all(|l| !l.contains("staging")),
        "only prod: {prod:?}"
    );
    assert!(prod.iter().any(|l| l.contains("granted\tbob read on prod")));
    let by_bob = audit_lines(&alice, &["--member", "bob"]);
    assert!(
        by_bob
            .iter()
            .all(|l| l.contains("\tbob\t") || l.contains("bob ")),
        "{by_bob:?}"
    );
    assert!(
        by_bob
            .iter()
            .any(|l| l.contains("\tadmitted\tbob as member"))
    );
    assert!(
        by_bob
            .iter()
            .any(|l| l.contains("\tbob\tleaked\tprod/OTHER_KEY"))
    );
    assert!(
        by_bob.iter().all(|l| !l.contains("created_vault")),
        "{by_bob:?}"
    );
    let tomorrow = date(now_ms().div_euclid(DAY_MS) + 1);
    let o = alice
        .hush(&["--team", "acme", "audit", "--since", &tomorrow])
        .output()
        .expect("run");
    assert!(o.status.success() && o.stdout.is_empty());
    assert_eq!(
        audit_lines(&alice, &["--since", "2000-01-01"]).len(),
        all.len()
    );
    assert_eq!(audit_lines(&alice, &["--since", "1h"]).len(), all.len());
    assert_eq!(audit_lines(&alice, &["--limit", "2"]).len(), 2);
    let leaks = audit_lines(&alice, &["--action", "leaked"]);
    assert_eq!(leaks.len(), 2, "{leaks:?}");
    let json: serde_json::Value = serde_json::from_str(&alice.out(&[
        "--team", "acme", "audit", "--json", "--vault", "prod", "--action", "used",
    ]))
    .expect("json");
    let entries = json.as_array().expect("array");
    assert!(!entries.is_empty());
    for e in entries {
        assert_eq!(e["action"], "used");
        assert_eq!(e["vault"], "prod");
        assert!(e["seq"].as_u64().is_some() && e["time_ms"].as_i64().is_some());
        assert!(["get", "run"].contains(&e["detail"].as_str().expect("detail")));
    }
    let e = alice.fails(&["--team", "acme", "audit", "--vault", "nope"]);
    assert!(e.contains("not found"), "{e}");
    let e = alice.fails(&["--team", "acme", "audit", "--since", "last week"]);
    assert!(e.contains("YYYY-MM-DD"), "{e}");
    let e = alice.fails(&["--team", "acme", "audit", "--member", "mallory"]);
    assert!(e.contains("not found"), "{e}");

    // Removing bob re-keys and exposes what he could read; a later leak report lists him.
    alice.out(&["remove", "bob"]);
    let lines = status_lines(&alice, Some("acme"));
    let l = line_for(&lines, "acme/prod/STRIPE_KEY\t").expect("exposed after removal");
    assert!(
        l.contains("\texposed\tbob was removed from the team"),
        "{l}"
    );
    assert!(
        line_for(&lines, "acme/staging/STAGING_TOKEN\t").is_none(),
        "bob never read staging: {lines:?}"
    );
    let readers = alice.out(&["leaked", "prod/STRIPE_KEY"]);
    assert!(
        readers
            .lines()
            .any(|l| l.starts_with("bob\t") && l.ends_with("\tremoved from the team")),
        "{readers}"
    );
    assert!(
        audit_lines(&alice, &["--member", "bob", "--action", "removed"]).len() == 1,
        "the removal is in bob's timeline"
    );
}

#[test]
fn reading_many_keys_at_once_raises_an_alert_for_the_team() {
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "bulk"]);
    alice.out(&["unlock"]);
    for i in 0..22 {
        alice.out(&["set", &format!("bulk/KEY_{i:02}"), &format!("value-{i}")]);
    }
    alice.out(&["sync"]);
    invite_and_admit(&alice, &bob, "bob", None);
    alice.out(&["grant", "bulk", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    let quiet = alice.out(&["--team", "acme", "status"]);
    assert!(!quiet.contains("ALERT"), "{quiet}");
    bob.out(&["--team", "acme", "run", "--vault", "bulk", "--", "true"]);
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    let status = alice.out(&["--team", "acme", "status"]);
    let alert = status
        .lines()
        .find(|l| l.starts_with("ALERT: acme: "))
        .unwrap_or_else(|| panic!("no alert: {status}"));
    assert!(
        alert.contains(
            "bob read 22 distinct keys in the last 24 h (no reads in the 30 days before)"
        ),
        "{alert}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&alice.out(&["--team", "acme", "--json", "status"])).expect("json");
    let a = &json["alerts"][0];
    assert_eq!(a["kind"], "usage_spike");
    assert_eq!(a["subject"], "bob");
    assert!(a["since_ms"].as_i64().is_some());
}

/// Every row of a team's log in the local store: (team id, seq, bytes).
fn stored_events(d: &Device) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
    let db = Store::db_path(&d.home());
    runtime().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open db");
        let rows: Vec<(Vec<u8>, i64, Vec<u8>)> =
            sqlx::query_as("SELECT team_id, seq, bytes FROM events ORDER BY team_id, seq")
                .fetch_all(&pool)
                .await
                .expect("events");
        pool.close().await;
        rows
    })
}

fn rewrite_event(d: &Device, team: &[u8], seq: i64, bytes: &[u8], hash: Option<[u8; 32]>) {
    let db = Store::db_path(&d.home());
    runtime().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open db");
        sqlx::query("UPDATE events SET bytes = ? WHERE team_id = ? AND seq = ?")
            .bind(bytes)
            .bind(team)
            .bind(seq)
            .execute(&pool)
            .await
            .expect("write bytes");
        if let Some(h) = hash {
            sqlx::query("UPDATE events SET hash = ? WHERE team_id = ? AND seq = ?")
                .bind(h.as_slice())
                .bind(team)
                .bind(seq)
                .execute(&pool)
                .await
                .expect("write hash");
        }
        pool.close().await;
    });
}

#[test]
fn audit_verify_reports_the_state_code_and_the_first_bad_position() {
    let d = Device::init("alice");
    d.out(&["vault", "create", "prod"]);
    for i in 0..4 {
        d.out(&["set", &format!("prod/K{i}"), &format!("v{i}")]);
    }
    let ok = d.out(&["audit", "verify"]);
    assert!(ok.starts_with("ok: 6 events verified"), "{ok}");
    let code = d
        .out(&["team", "status"])
        .lines()
        .find(|l| l.starts_with("state code:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("state code")
        .to_owned();
    assert!(
        ok.lines()
            .any(|l| l == format!("personal\thead event 5\tstate code {code}")),
        "{ok}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&d.out(&["audit", "verify", "--json"])).expect("json");
    assert_eq!(json["events_verified"], 6, "the key scripts already read");
    assert_eq!(json["teams"][0]["state_code"], code.as_str());
    // Through the agent too.
    d.out(&["unlock"]);
    assert_eq!(d.out(&["audit", "verify"]), ok);
    d.out(&["lock"]);

    let rows = stored_events(&d);
    let (team, seq, bytes) = rows.iter().find(|r| r.1 == 3).cloned().expect("event 3");
    let pristine = bytes.clone();

    // One flipped byte in the sealed body of event 3.
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    rewrite_event(&d, &team, seq, &flipped, None);
    let e = d.fails(&["audit", "verify"]);
    assert!(
        e.contains("integrity check failed")
            && e.contains("team `personal`")
            && e.contains("position 3"),
        "{e}"
    );

    // A flipped signature byte with the row's hash recomputed to match: only the signature
    // check can notice, and it is still reported at position 3 (not at the broken link after it).
    let mut forged = pristine.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let hash = SignedEvent::decode(&forged).expect("still parses").hash();
    rewrite_event(&d, &team, seq, &forged, Some(hash));
    let e = d.fails(&["audit", "verify"]);
    assert!(
        e.contains("position 3") && e.contains("invalid signature"),
        "{e}"
    );
    let e = d.fails(&["--json", "audit", "verify"]);
    assert!(e.contains("position 3"), "{e}");

    // Put it back: clean again.
    let hash = SignedEvent::decode(&pristine).expect("parses").hash();
    rewrite_event(&d, &team, seq, &pristine, Some(hash));
    assert!(
        d.out(&["audit", "verify"])
            .starts_with("ok: 6 events verified")
    );
}

/// Break glass once lost the new key in ordinary use: a teammate's usage record arrived between
/// the owner's removal and the owner's sync, the sync rebuilt the removal with fresh keys, and
/// the owner's new value (sealed under the first, discarded keys) no longer opened. The sync
/// printed a warning and exited 0; `get` then printed the old, exposed value everywhere.
#[test]
fn break_glass_keeps_the_new_key_when_a_teammates_event_arrives_first() {
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    let carol = Device::init("carol");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/KEY", "v1-exposed"]);
    invite_and_admit(&alice, &bob, "bob", None);
    invite_and_admit(&alice, &carol, "carol", None);
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["grant", "prod", "carol", "--role", "write"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    carol.out(&["sync"]);

    // Bob reads the key: his usage record is on the relay before alice's next sync.
    assert_eq!(bob.out(&["get", "prod/KEY"]), "v1-exposed\n");
    bob.out(&["sync"]);

    alice.out(&["remove", "bob"]);
    alice.out(&["set", "prod/KEY", "v2-after-removal"]);
    let out = alice.hush(&["sync"]).output().expect("sync");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the sync lost something: {err}");
    assert!(err.contains("pulled 1, pushed 2"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(outbox(&alice).contains(" 0 event"), "{}", outbox(&alice));
    assert_eq!(alice.out(&["get", "prod/KEY"]), "v2-after-removal\n");
    carol.out(&["sync"]);
    assert_eq!(carol.out(&["get", "prod/KEY"]), "v2-after-removal\n");
    let history = carol.out(&["history", "prod/KEY"]);
    assert_eq!(history.lines().count(), 2, "{history}");
    // The rotation clears the exposure bob's removal caused, for both.
    for d in [&alice, &carol] {
        assert!(
            !d.out(&["exposed"]).contains("prod/KEY"),
            "the new value is not exposed"
        );
    }
    // And bob, cut off, cannot read the new value from the relay's log.
    let code = bob.hush(&["sync"]).output().expect("bob syncs");
    assert!(!code.status.success(), "the relay refuses a removed device");
    assert_eq!(bob.out(&["get", "prod/KEY"]), "v1-exposed\n");
}

/// A leak report clears only with a value that differs from every exposed version: writing the
/// same value again (by `set`, which is not `rotate`) leaves the secret exposed.
#[test]
fn a_leak_report_clears_only_with_a_new_value() {
    let d = Device::init("alice");
    d.out(&["vault", "create", "prod"]);
    d.out(&["set", "prod/KEY", "leaked-value"]);
    d.out(&["leaked", "prod/KEY", "--note", "pasted in chat"]);
    assert!(d.out(&["exposed"]).contains("prod/KEY"));
    d.out(&["set", "prod/KEY", "leaked-value"]);
    assert!(
        d.out(&["exposed"]).contains("prod/KEY"),
        "the same value again must not clear the leak"
    );
    d.out(&["set", "prod/KEY", "a-new-value"]);
    assert!(!d.out(&["exposed"]).contains("prod/KEY"));
}

/// Export and backup read every value they write out, for a person: each leaves a usage record
/// (as `export` and `backup`), like `get`.
#[test]
fn export_and_backup_leave_a_usage_record_like_get() {
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["vault", "create", "staging"]);
    alice.out(&["set", "prod/STRIPE_KEY", "sk_live_export_me"]);
    alice.out(&["set", "prod/OTHER_KEY", "other"]);
    alice.out(&["set", "staging/STAGING_TOKEN", "staging-value"]);
    alice.out(&["sync"]);
    invite_and_admit(&alice, &bob, "bob", None);
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    let bobs_reads = |alice: &Device| -> Vec<String> {
        audit_lines(alice, &["--action", "used"])
            .into_iter()
            .filter(|l| l.contains("\tbob\tused\t"))
            .collect()
    };
    assert_eq!(bobs_reads(&alice), Vec::<String>::new());

    // bob exports the vault in plaintext: one record for each value he was handed.
    let out = bob.out(&[
        "--team",
        "acme",
        "export",
        "prod",
        "--format",
        "dotenv",
        "--plaintext",
    ]);
    assert!(
        out.contains("sk_live_export_me"),
        "the export printed the values"
    );
    assert_eq!(outbox(&bob), "outbox:      1 event(s) waiting to sync");
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    let reads = bobs_reads(&alice);
    for key in ["prod/STRIPE_KEY", "prod/OTHER_KEY"] {
        assert!(
            reads
                .iter()
                .any(|l| l.ends_with(&format!("\tbob\tused\t{key} (export)"))),
            "{key} exported by bob: {reads:?}"
        );
    }
    assert_eq!(reads.len(), 2, "{reads:?}");

    // A new value, then bob's backup (every value he can read, in every team) records that
    // read too; staging, which he cannot read, is in neither.
    alice.out(&["set", "prod/STRIPE_KEY", "sk_live_second_value"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    let file = bob.dir.path().join("bob.hushbackup");
    let o = bob
        .hush(&["backup", file.to_str().expect("utf-8")])
        .env(
            "HUSH_BACKUP_PASSPHRASE",
            "a long backup passphrase for tests",
        )
        .output()
        .expect("run hush");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(outbox(&bob), "outbox:      1 event(s) waiting to sync");
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    let reads = bobs_reads(&alice);
    let stripe = |how: &str| {
        reads
            .iter()
            .filter(|l| l.ends_with(&format!("\tbob\tused\tprod/STRIPE_KEY ({how})")))
            .count()
    };
    assert_eq!(
        (stripe("export"), stripe("backup")),
        (1, 1),
        "the export of version 1 and the backup of version 2: {reads:?}"
    );
    assert!(reads.iter().all(|l| !l.contains("staging")), "{reads:?}");
}
