//! Team sharing through a real relay on loopback, with separate homes per member.

use hush_tests::{Device, Relay, RelaySet, contains_bytes, files_under};

fn invite_and_admit_via(owner: &Device, newcomer: &Device, name: &str, relay_url: &str) {
    hush_tests::invite_and_admit(owner, newcomer, name, Some(relay_url));
}

fn state_code(d: &Device) -> String {
    let s = d.out(&["team", "status"]);
    s.lines()
        .find(|l| l.starts_with("state code:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .expect("state code line")
        .to_owned()
}

#[test]
fn a_team_shares_through_the_relay_and_removal_rekeys() {
    sharing_and_removal(&RelaySet::sqlite());
}

#[test]
fn postgres_two_relays_share_and_rekey() {
    if let Some(set) = RelaySet::postgres_pair("postgres_two_relays_share_and_rekey") {
        sharing_and_removal(&set);
    }
}

fn sharing_and_removal(relays: &RelaySet) {
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    let carol = Device::init("carol");
    alice.out(&["team", "create", "acme", "--relay", &relays.url(0)]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["vault", "create", "staging"]);
    alice.out(&[
        "set",
        "prod/STRIPE_KEY",
        "sk_live_first_value",
        "--note",
        "stripe-note-text",
    ]);
    alice.out(&["set", "staging/STAGING_TOKEN", "staging_secret_value"]);
    alice.out(&["sync"]);

    invite_and_admit_via(&alice, &bob, "bob", &relays.url(1));
    invite_and_admit_via(&alice, &carol, "carol", &relays.url(2));

    // Admission alone gives no vault: least privilege.
    assert_eq!(bob.out(&["--team", "acme", "ls"]), "");
    let e = bob.fails(&["--team", "acme", "get", "prod/STRIPE_KEY"]);
    assert!(e.contains("not found"), "{e}");

    // Grants: bob reads prod only; carol writes prod.
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["grant", "prod", "carol", "--role", "write"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    carol.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_first_value\n"
    );
    assert_eq!(bob.out(&["--team", "acme", "ls"]), "prod/STRIPE_KEY\n");
    assert!(
        bob.fails(&["--team", "acme", "get", "staging/STAGING_TOKEN"])
            .contains("not found")
    );
    let e = bob.fails(&["--team", "acme", "set", "prod/STRIPE_KEY", "nope"]);
    assert!(e.contains("read-only"), "{e}");
    let access = alice.out(&["access", "prod"]);
    assert!(
        access.contains("alice\t") && access.contains("\tadmin"),
        "{access}"
    );
    assert!(
        access
            .lines()
            .any(|l| l.starts_with("bob\t") && l.ends_with("\tread")),
        "{access}"
    );
    assert!(
        access
            .lines()
            .any(|l| l.starts_with("carol\t") && l.ends_with("\twrite")),
        "{access}"
    );

    // A teammate's write appears at the others after sync.
    carol.out(&[
        "--team",
        "acme",
        "set",
        "prod/STRIPE_KEY",
        "sk_live_second_value",
    ]);
    carol.out(&["sync"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    // Bob's sync published the usage record of his read above: the others pull it.
    alice.out(&["sync"]);
    carol.out(&["sync"]);
    // Everyone verified the same history (compared before the reads below, which each append a
    // usage record to the reader's log until the next sync).
    let code = state_code(&alice);
    assert_eq!(state_code(&bob), code);
    assert_eq!(state_code(&carol), code);
    assert_eq!(
        alice.out(&["get", "prod/STRIPE_KEY"]),
        "sk_live_second_value\n"
    );
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_second_value\n"
    );

    // Removal re-keys and lists what to rotate.
    let removal = alice.hush(&["remove", "carol"]).output().expect("remove");
    assert!(
        removal.status.success(),
        "{}",
        String::from_utf8_lossy(&removal.stderr)
    );
    let listed = String::from_utf8_lossy(&removal.stdout);
    assert!(
        listed.contains("acme/prod/STRIPE_KEY") && listed.contains("carol was removed"),
        "{listed}"
    );
    assert!(
        !listed.contains("STAGING_TOKEN"),
        "carol never had staging: {listed}"
    );
    alice.out(&["sync"]);
    let exposed = alice.out(&["exposed"]);
    assert!(exposed.contains("acme/prod/STRIPE_KEY"), "{exposed}");
    alice.out(&["set", "prod/STRIPE_KEY", "sk_live_after_removal"]);
    alice.out(&["sync"]);
    assert!(
        !alice.out(&["exposed"]).contains("STRIPE_KEY"),
        "a new value clears the exposure"
    );
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_after_removal\n"
    );

    // The relay refuses the removed device.
    let e = carol.hush(&["sync"]).output().expect("sync");
    assert!(!e.status.success());
    let stderr = String::from_utf8_lossy(&e.stderr);
    assert!(stderr.contains("refused this device"), "{stderr}");
    assert_eq!(
        carol.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_second_value\n",
        "offline reads keep working"
    );

    // Even with the relay's raw database, carol's keys open nothing written after her removal.
    let raw = relays.events();
    assert!(raw.len() > 10);
    let readable = carol_can_decrypt(&carol, &raw);
    assert!(
        readable.contains(&"sk_live_second_value".to_owned()),
        "sanity: carol's keys do open old values ({readable:?})"
    );
    assert!(
        !readable.contains(&"sk_live_after_removal".to_owned()),
        "carol decrypted a value written after her removal"
    );

    // The relay never saw a name, value, note or vault name: not in its files, not in what it stores.
    let needles = [
        "STRIPE_KEY",
        "sk_live_",
        "staging_secret_value",
        "stripe-note-text",
        "STAGING_TOKEN",
        "acme",
        "prod",
        "alice",
        "carol",
    ];
    let mut blobs: Vec<Vec<u8>> = raw.clone();
    for r in &relays.relays {
        for file in files_under(r.dir.path()) {
            blobs.push(std::fs::read(&file).unwrap_or_default());
        }
    }
    for blob in &blobs {
        for needle in needles {
            assert!(
                !contains_bytes(blob, needle.as_bytes()),
                "the relay holds {needle:?} in plaintext"
            );
        }
    }
}

fn carol_can_decrypt(carol: &Device, raw: &[Vec<u8>]) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = hush_core::session::Session::unlock(
            &carol.home(),
            &hush_core::secret::SecretString::new(hush_tests::PASSWORD.into()),
            hush_core::session::system_clock(),
        )
        .await
        .expect("unlock carol");
        let tid = s.team_id(Some("acme")).expect("team");
        s.decryptable_values(tid, raw)
    })
}

#[test]
fn offline_edits_converge_with_the_loser_kept_as_a_conflict() {
    offline_conflict(&RelaySet::sqlite());
}

#[test]
fn postgres_two_relays_offline_edits_converge() {
    if let Some(set) = RelaySet::postgres_pair("postgres_two_relays_offline_edits_converge") {
        offline_conflict(&set);
    }
}

fn offline_conflict(relays: &RelaySet) {
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relays.url(0)]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/API_KEY", "v1"]);
    alice.out(&["sync"]);
    invite_and_admit_via(&alice, &bob, "bob", &relays.url(1));
    alice.out(&["grant", "prod", "bob", "--role", "write"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);

    // Both edit while "offline" (no sync in between); both also create the same new name.
    alice.out(&["set", "prod/API_KEY", "alice-offline"]);
    alice.out(&["set", "prod/NEW_ONE", "alice-new"]);
    bob.out(&["--team", "acme", "set", "prod/API_KEY", "bob-offline"]);
    bob.out(&["--team", "acme", "set", "prod/NEW_ONE", "bob-new"]);
    let st = bob.out(&["team", "status"]);
    assert!(st.contains("outbox:      2"), "{st}");
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    alice.out(&["sync"]);
    // Same history (compared before the reads below record usage).
    assert_eq!(state_code(&alice), state_code(&bob));

    // Both converge on the same current values and the same history.
    for d in [&alice, &bob] {
        assert_eq!(
            d.out(&["--team", "acme", "get", "prod/API_KEY"]),
            "bob-offline\n"
        );
        assert_eq!(
            d.out(&["--team", "acme", "get", "prod/NEW_ONE"]),
            "bob-new\n"
        );
        let hist = d.out(&["--team", "acme", "history", "prod/API_KEY", "--reveal"]);
        assert!(
            hist.contains("alice-offline") && hist.contains("bob-offline"),
            "no data lost: {hist}"
        );
        let conflicts = d.out(&["conflicts"]);
        assert!(
            conflicts.contains("prod/API_KEY") && conflicts.contains("prod/NEW_ONE"),
            "{conflicts}"
        );
    }
    assert_eq!(
        alice.out(&["--team", "acme", "ls", "prod"]),
        "prod/API_KEY\nprod/NEW_ONE\n",
        "one secret per name"
    );

    // A person resolves by keeping alice's version.
    let hist = alice.out(&["--team", "acme", "history", "prod/API_KEY", "--reveal"]);
    let keep = hist
        .lines()
        .find(|l| l.ends_with("alice-offline"))
        .and_then(|l| l.split('\t').next())
        .and_then(|v| v.strip_prefix('v'))
        .expect("alice's version")
        .to_owned();
    alice.out(&["--team", "acme", "resolve", "prod/API_KEY", "--keep", &keep]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/API_KEY"]),
        "alice-offline\n"
    );
    assert!(!bob.out(&["conflicts"]).contains("prod/API_KEY"));
    assert!(bob.out(&["conflicts"]).contains("prod/NEW_ONE"));
}

#[test]
fn reads_and_writes_work_offline_and_sync_later() {
    let mut relay = Relay::start();
    let alice = Device::init("alice");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/K", "before"]);
    alice.out(&["sync"]);
    relay.kill();
    // Offline: reads, searches and writes still work; sync fails clearly and keeps the outbox.
    assert_eq!(alice.out(&["get", "prod/K"]), "before\n");
    alice.out(&["set", "prod/K", "while-offline"]);
    let e = alice.fails(&["sync"]);
    assert!(e.contains("unreachable"), "{e}");
    assert!(alice.out(&["team", "status"]).contains("outbox:      1"));
    relay.restart();
    alice.out(&["sync"]);
    assert!(alice.out(&["team", "status"]).contains("outbox:      0"));
    let bob = Device::init("bob");
    invite_and_admit_via(&alice, &bob, "bob", &relay.url);
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/K"]),
        "while-offline\n"
    );
}

/// Several members append at the same moment through both relays: the log stays one chain, no
/// event is lost or duplicated, and everybody converges.
fn concurrent_writers(relays: &RelaySet) {
    let owner = Device::init("owner");
    owner.out(&["team", "create", "acme", "--relay", &relays.url(0)]);
    owner.out(&["vault", "create", "prod"]);
    owner.out(&["sync"]);
    let writers: Vec<Device> = (1..=3).map(|i| Device::init(&format!("w{i}"))).collect();
    for (i, w) in writers.iter().enumerate() {
        invite_and_admit_via(&owner, w, &format!("w{}", i + 1), &relays.url(i + 1));
        owner.out(&["grant", "prod", &format!("w{}", i + 1), "--role", "write"]);
        owner.out(&["sync"]);
    }
    for w in &writers {
        w.out(&["sync"]);
        // Keys stay unlocked so that the writers really race.
        w.out(&["unlock"]);
    }
    std::thread::scope(|scope| {
        for (i, w) in writers.iter().enumerate() {
            scope.spawn(move || {
                for round in 0..4 {
                    w.out(&[
                        "set",
                        &format!("prod/W{}_R{round}", i + 1),
                        &format!("value-{}-{round}", i + 1),
                    ]);
                    w.out(&["set", "prod/SHARED", &format!("shared-{}-{round}", i + 1)]);
                    // A sync may lose the race and rebase; it must still succeed.
                    w.out(&["sync"]);
                }
            });
        }
    });
    for w in &writers {
        w.out(&["sync"]);
    }
    owner.out(&["sync"]);
    let expected: Vec<String> = (1..=3)
        .flat_map(|i| (0..4).map(move |r| format!("prod/W{i}_R{r}")))
        .collect();
    let code = state_code(&owner);
    for d in writers.iter().chain([&owner]) {
        let ls = d.out(&["--team", "acme", "ls", "prod"]);
        for name in &expected {
            assert!(ls.lines().any(|l| l == name), "{name} missing: {ls}");
        }
        assert_eq!(state_code(d), code, "members disagree on the history");
        let hist = d.out(&["--team", "acme", "history", "prod/SHARED"]);
        assert_eq!(
            hist.lines().count(),
            12,
            "every write of SHARED is kept: {hist}"
        );
    }
    // The relay holds one contiguous chain without duplicates.
    let events = relays.events();
    let mut prev = [0u8; 32];
    for (i, bytes) in events.iter().enumerate() {
        let ev = hush_core::event::SignedEvent::decode(bytes).expect("decode");
        assert_eq!(ev.envelope.seq, i as u64, "gap or duplicate at {i}");
        assert_eq!(ev.envelope.prev, prev, "broken chain at {i}");
        prev = ev.hash();
    }
}

#[test]
fn concurrent_writers_keep_one_chain() {
    concurrent_writers(&RelaySet::sqlite());
}

#[test]
fn postgres_two_relays_concurrent_writers_keep_one_chain() {
    if let Some(set) =
        RelaySet::postgres_pair("postgres_two_relays_concurrent_writers_keep_one_chain")
    {
        concurrent_writers(&set);
    }
}

#[test]
fn killing_the_relay_mid_push_loses_and_duplicates_nothing() {
    let mut relay = Relay::start();
    let alice = Device::init("alice");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["sync"]);
    alice.out(&["unlock"]);
    for i in 0..40 {
        alice.out(&["set", &format!("prod/K{i:02}"), &format!("v{i}")]);
    }
    // Start pushing 40 events, and kill the relay once some (not all) have arrived.
    let mut sync = std::process::Command::new(hush_tests::bin("hush"))
        .env("HUSH_HOME", alice.home())
        .env_remove("HUSH_PASSWORD")
        .arg("sync")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sync");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = relay.database.clone();
    let count = || {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&db).await.expect("db");
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(&pool)
                .await
                .expect("count");
            pool.close().await;
            n
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while count() < 5 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    relay.kill();
    let _ = sync.wait();
    let stored_at_kill = count();
    assert!(stored_at_kill >= 5, "the push did not start");
    relay.restart();
    alice.out(&["sync"]);
    assert!(alice.out(&["team", "status"]).contains("outbox:      0"));
    let set = RelaySet::of(relay);
    let raw = set.events();
    assert_eq!(
        raw.len(),
        2 + 40,
        "genesis + vault + 40 secrets, each exactly once"
    );
    let mut prev = [0u8; 32];
    for (i, bytes) in raw.iter().enumerate() {
        let ev = hush_core::event::SignedEvent::decode(bytes).expect("decode");
        assert_eq!(ev.envelope.seq, i as u64);
        assert_eq!(ev.envelope.prev, prev);
        prev = ev.hash();
    }
    // A second device sees every value.
    let bob = Device::init("bob");
    invite_and_admit_via(&alice, &bob, "bob", &set.url(0));
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "ls", "prod"]).lines().count(),
        40
    );
    assert_eq!(bob.out(&["--team", "acme", "get", "prod/K39"]), "v39\n");
}

/// The history check: two members read the same state code, one records the comparison, and
/// `hush team status` says when and whether the log moved since.
#[test]
fn a_state_code_comparison_is_recorded_and_ages_with_the_log() {
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    hush_tests::invite_and_admit(&alice, &bob, "bob", None);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    let line = |d: &Device, prefix: &str| {
        d.out(&["team", "status"])
            .lines()
            .find(|l| l.starts_with(prefix))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {prefix} line"))
    };
    assert_eq!(line(&alice, "state code:"), line(&bob, "state code:"));
    assert!(line(&alice, "compared:").contains("never"));
    let said = alice
        .hush(&["team", "compared"])
        .output()
        .expect("compared");
    assert!(said.status.success());
    assert!(String::from_utf8_lossy(&said.stderr).contains("recorded"));
    assert!(line(&alice, "compared:").contains("at this head"));
    alice.out(&["vault", "create", "later"]);
    let after = line(&alice, "compared:");
    assert!(after.contains("compare again"), "{after}");
}

/// `hush override`: a person's own value for a team secret. Their get, run and inject use it
/// (and say so); teammates, the relay and the secret's history never see it; it is sealed at
/// rest; a teammate's rotation does not touch it; `override rm` brings the team's value back.
#[test]
fn a_personal_override_stays_on_one_device_and_wins_only_there() {
    const TEAM_V1: &str = "postgres://team-db-1111";
    const TEAM_V2: &str = "postgres://team-db-rotated-3333";
    const MINE: &str = "postgres://ada-local-db-2222";
    let relay = Relay::start();
    let (ada, bob) = hush_tests::owner_and_writer(&relay.url, "DATABASE_URL", TEAM_V1);
    let set = |d: &Device, args: &[&str], value: &str| d.set_from_stdin(args, value);

    let o = ada
        .hush(&["override", "set", "prod/DATABASE_URL"])
        .write_stdin(MINE)
        .output()
        .expect("run");
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("instead of the team's value"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    set(&ada, &["override", "set", "prod/LOCAL_ONLY"], "only-mine");

    // ada's get, run and inject use it, and say so on stderr.
    let o = ada
        .hush(&["get", "prod/DATABASE_URL"])
        .output()
        .expect("get");
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{MINE}\n"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("prod/DATABASE_URL is your personal override"),
        "{err}"
    );
    let o = ada
        .hush(&[
            "run",
            "--vault",
            "prod",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$DATABASE_URL\" \"$LOCAL_ONLY\"",
        ])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{MINE}|only-mine")
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("personal override"));
    let tpl = ada.dir.path().join("t.tpl");
    std::fs::write(&tpl, "url={{ hush://prod/DATABASE_URL }}\n").expect("write");
    assert_eq!(
        ada.out(&["inject", "-i", tpl.to_str().expect("utf-8")]),
        format!("url={MINE}\n")
    );
    let ls = ada.out(&["override", "ls"]);
    assert!(ls.starts_with("acme/prod/DATABASE_URL\tset "), "{ls}");
    assert!(
        ls.contains("acme/prod/LOCAL_ONLY\tset ") && ls.contains("(no team value)"),
        "{ls}"
    );
    assert!(!ls.contains(MINE));

    // Nobody else sees it: not bob, not the relay, not the secret's history.
    ada.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["get", "prod/DATABASE_URL"]),
        format!("{TEAM_V1}\n")
    );
    assert_eq!(bob.out(&["ls", "prod"]), "prod/DATABASE_URL\n");
    assert_eq!(
        ada.out(&["history", "prod/DATABASE_URL"]).lines().count(),
        1,
        "an override is not a version"
    );
    for f in files_under(relay.dir.path())
        .into_iter()
        .chain(files_under(&ada.home()))
    {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !contains_bytes(&bytes, MINE.as_bytes()),
            "{} holds the override",
            f.display()
        );
    }

    // A teammate's rotation does not touch it; removing it brings the team's value back.
    set(&bob, &["rotate", "prod/DATABASE_URL"], TEAM_V2);
    bob.out(&["sync"]);
    ada.out(&["sync"]);
    assert_eq!(ada.out(&["get", "prod/DATABASE_URL"]), format!("{MINE}\n"));
    ada.out(&["override", "rm", "prod/DATABASE_URL"]);
    let o = ada
        .hush(&["get", "prod/DATABASE_URL"])
        .output()
        .expect("get");
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{TEAM_V2}\n"));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("override"));
    let o = ada
        .hush(&["override", "rm", "prod/DATABASE_URL"])
        .output()
        .expect("rm");
    assert_eq!(o.status.code(), Some(1), "nothing to remove");
    // An override of a vault this device cannot read is refused.
    let e = ada.fails(&["override", "set", "nope/KEY", "x"]);
    assert!(e.contains("nope"), "{e}");
}
