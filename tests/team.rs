//! Team sharing through a real relay on loopback, with separate homes per member.

use hush_tests::{Device, Relay, contains_bytes, files_under};

/// Runs `hush invite` on `owner`, `hush join` on `newcomer`, compares the safety codes the two
/// are shown, admits, and syncs both.
pub fn invite_and_admit(owner: &Device, newcomer: &Device, name: &str) {
    let code = owner.out(&["invite", "--role", "member", "--expires", "1h"]);
    let code = code.trim();
    assert!(code.starts_with("hush1"), "{code}");
    let joiner_code = newcomer.out(&["join", code]);
    let joiner_code = joiner_code.trim().to_owned();
    assert_eq!(joiner_code.split(' ').count(), 4, "{joiner_code}");
    owner.out(&["sync"]);
    let members = owner.out(&["members"]);
    let line = members
        .lines()
        .find(|l| l.starts_with(&format!("{name}\t")) && l.contains("pending"))
        .unwrap_or_else(|| panic!("{name} is not pending: {members}"));
    assert!(
        line.ends_with(&format!("safety code {joiner_code}")),
        "codes differ: {line} vs {joiner_code}"
    );
    owner.out(&["admit", name]);
    owner.out(&["sync"]);
    let out = newcomer.hush(&["sync"]).output().expect("sync");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = newcomer.out(&["team", "status"]);
    assert!(!status.contains("waiting to be admitted"), "{status}");
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
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    let carol = Device::init("carol");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
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

    invite_and_admit(&alice, &bob, "bob");
    invite_and_admit(&alice, &carol, "carol");

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
    assert_eq!(
        alice.out(&["get", "prod/STRIPE_KEY"]),
        "sk_live_second_value\n"
    );
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/STRIPE_KEY"]),
        "sk_live_second_value\n"
    );
    // Everyone verified the same history.
    let code = state_code(&alice);
    assert_eq!(state_code(&bob), code);
    assert_eq!(state_code(&carol), code);

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
    let raw = relay_events(&relay);
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

    // The relay never saw a name, value, note or vault name.
    for file in files_under(relay.dir.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for needle in [
            "STRIPE_KEY",
            "sk_live_",
            "staging_secret_value",
            "stripe-note-text",
            "STAGING_TOKEN",
            "acme",
            "prod",
            "alice",
            "carol",
        ] {
            assert!(
                !contains_bytes(&bytes, needle.as_bytes()),
                "relay file {} contains {needle:?}",
                file.display()
            );
        }
    }
}

fn relay_events(relay: &Relay) -> Vec<Vec<u8>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT bytes FROM events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("events");
        pool.close().await;
        rows
    })
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
    let relay = Relay::start();
    let alice = Device::init("alice");
    let bob = Device::init("bob");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "prod"]);
    alice.out(&["set", "prod/API_KEY", "v1"]);
    alice.out(&["sync"]);
    invite_and_admit(&alice, &bob, "bob");
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
    assert_eq!(state_code(&alice), state_code(&bob));

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
    invite_and_admit(&alice, &bob, "bob");
    alice.out(&["grant", "prod", "bob", "--role", "read"]);
    alice.out(&["sync"]);
    bob.out(&["sync"]);
    assert_eq!(
        bob.out(&["--team", "acme", "get", "prod/K"]),
        "while-offline\n"
    );
}
