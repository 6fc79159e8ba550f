//! Service (CI/CD) identities against a real relay: a pipeline with only `HUSH_SERVICE_TOKEN`
//! in a clean HOME gets the right environment and leaves nothing behind; expired and revoked
//! tokens are refused with clear errors; a service identity can never write, and a forged write
//! that a relay lets through is rejected by the other clients.

use std::path::Path;
use std::process::Output;

use hush_core::event::{Body, Envelope, KeyScope, Payload, PutKind, SignedEvent};
use hush_core::item::{ItemMeta, ItemSlot};
use hush_core::secret::SecretString;
use hush_core::service::ServiceToken;
use hush_core::state::TeamState;
use hush_tests::{Device, Relay, assert_clean_error, bin, files_under};

const STRIPE: &str = "sk_live_pipeline_value_9f8e7d6c";
const OTHER: &str = "other-vault-value-never-for-ci-41";

/// alice with team acme on `relay`, vaults payments-prod (STRIPE_KEY) and internal (ADMIN).
fn team_with_vaults(relay: &Relay) -> Device {
    let alice = Device::init("alice");
    alice.out(&["team", "create", "acme", "--relay", &relay.url]);
    alice.out(&["vault", "create", "payments-prod"]);
    alice.out(&["vault", "create", "internal"]);
    alice.out(&["set", "payments-prod/STRIPE_KEY", STRIPE]);
    alice.out(&["set", "internal/ADMIN", OTHER]);
    alice.out(&["sync"]);
    alice
}

fn create_service(alice: &Device, name: &str, expires: &str) -> String {
    let o = alice
        .hush(&[
            "service",
            "create",
            name,
            "--vault",
            "payments-prod",
            "--expires",
            expires,
        ])
        .output()
        .expect("run hush");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "service create failed: {err}");
    assert!(err.contains("shown only once"), "{err}");
    let token = String::from_utf8(o.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(token.starts_with("hush_sa_"), "{token}");
    token
}

/// `hush` as a CI job: an empty HOME, no HUSH_HOME, nothing but PATH and the token.
fn ci(home: &Path, token: &str, args: &[&str]) -> Output {
    std::process::Command::new(bin("hush"))
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

fn ci_error(home: &Path, token: &str, args: &[&str]) -> String {
    let o = ci(home, token, args);
    assert!(!o.status.success(), "hush {args:?} unexpectedly succeeded");
    let err = String::from_utf8(o.stderr).expect("utf-8");
    assert_clean_error(&err);
    assert!(!err.contains(STRIPE) && !err.contains(token), "{err}");
    err
}

#[test]
fn a_pipeline_with_only_the_token_gets_its_keys_and_leaves_no_file() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let token = create_service(&alice, "deploy", "30d");
    let list = alice.out(&["service", "list"]);
    assert!(
        list.starts_with("deploy\tactive\texpires ") && list.trim_end().ends_with("payments-prod"),
        "{list}"
    );

    let job = tempfile::tempdir().expect("temp dir");
    let o = ci(
        job.path(),
        &token,
        &[
            "run",
            "--vault",
            "payments-prod",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$STRIPE_KEY\" \"${ADMIN:-unset}\" \"${HUSH_SERVICE_TOKEN:-scrubbed}\"",
        ],
    );
    assert!(
        o.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{STRIPE}|unset|scrubbed")
    );

    let o = ci(job.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim_end(), STRIPE);

    std::fs::write(
        job.path().join("app.env.tpl"),
        "KEY={{ hush://payments-prod/STRIPE_KEY }}\n",
    )
    .expect("write template");
    let o = ci(job.path(), &token, &["inject", "-i", "app.env.tpl"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("KEY={STRIPE}\n")
    );
    std::fs::remove_file(job.path().join("app.env.tpl")).expect("remove template");

    // A job checks the vault against the app's .env.example before it deploys.
    std::fs::write(
        job.path().join(".env.example"),
        "STRIPE_KEY=\nSENTRY_DSN=\n",
    )
    .expect("write example");
    let o = ci(
        job.path(),
        &token,
        &["env", "check", "payments-prod", "--example", ".env.example"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "missing in payments-prod\tSENTRY_DSN\n"
    );
    std::fs::remove_file(job.path().join(".env.example")).expect("remove example");

    // Least privilege: the other vault does not exist for this identity.
    let err = ci_error(job.path(), &token, &["get", "internal/ADMIN"]);
    assert!(err.contains("not found"), "{err}");
    assert!(!err.contains(OTHER));

    // Nothing was written anywhere under the job's HOME (the store lived in memory).
    assert_eq!(files_under(job.path()), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_service_identity_cannot_write_or_manage() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let token = create_service(&alice, "deploy", "30d");
    let job = tempfile::tempdir().expect("temp dir");
    for args in [
        vec!["set", "payments-prod/STRIPE_KEY", "x"],
        vec!["rm", "payments-prod/STRIPE_KEY"],
        vec!["invite"],
        vec!["grant", "payments-prod", "alice", "--role", "read"],
        vec!["service", "create", "x", "--vault", "payments-prod"],
        vec!["sync"],
    ] {
        let err = ci_error(job.path(), &token, &args);
        assert!(
            err.contains("read-only service identity"),
            "{args:?}: {err}"
        );
    }
    // A grant of more than read to a service is refused by the granting client too.
    let err = alice.fails(&["grant", "internal", "deploy", "--role", "write"]);
    assert!(err.contains("only be given read access"), "{err}");
    assert_eq!(files_under(job.path()), Vec::<std::path::PathBuf>::new());
}

/// The relay's raw log, in order.
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

#[test]
fn a_forged_write_signed_by_a_service_is_refused_by_relay_and_clients() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let token = create_service(&alice, "deploy", "30d");
    let svc = ServiceToken::parse(&token).expect("token");

    // Replay the team log as the service identity, exactly as a client would.
    let raw = relay_events(&relay);
    let events: Vec<SignedEvent> = raw
        .iter()
        .map(|b| SignedEvent::decode(b).expect("event"))
        .collect();
    let mut st = TeamState::new(svc.team_id);
    st.preload_keys(hush_core::state::bundled_keys(&events, &svc.identity));
    for ev in &events {
        st.apply(ev, &svc.identity, true)
            .expect("the real log verifies");
    }
    let vault = st
        .vaults
        .values()
        .find(|v| v.name.as_deref() == Some("payments-prod"))
        .expect("vault readable by the service");
    let item = vault.find("STRIPE_KEY").expect("item");
    let version = item.current().version + 1;
    let slot = ItemSlot::new(svc.team_id, vault.id, item.id, version, vault.key_epoch);
    let vkey = st
        .key(KeyScope::Vault(vault.id), vault.key_epoch)
        .expect("vault key");
    let meta: ItemMeta = item.current().meta.clone().expect("meta");
    let (seq, prev) = st.next_position();
    let forged = SignedEvent::seal(
        Envelope {
            team_id: svc.team_id,
            seq,
            prev,
            epoch: st.log_epoch,
            author: svc.identity.device_id,
        },
        hush_core::event::Public::default(),
        &Body {
            time_ms: 1,
            payload: Payload::SecretPut {
                vault_id: vault.id,
                item_id: item.id,
                version,
                base_version: version - 1,
                key_epoch: vault.key_epoch,
                kind: PutKind::Set,
                meta_ct: slot.seal_meta(vkey, &meta),
                value_ct: slot.seal_value(vkey, &SecretString::new("attacker".into())),
            },
        },
        st.key(KeyScope::Log, st.log_epoch).expect("log key"),
        &svc.identity,
    )
    .expect("seal");
    // Clients: whoever verifies it, the event has no effect (it stays in the chain, named).
    let checked = st.check(&forged, &svc.identity, true).expect("well placed");
    assert!(
        checked
            .rejection()
            .is_some_and(|r| r.contains("service identity may never write")),
        "{:?}",
        checked.rejection()
    );
    let err = st
        .check_own(&forged, &svc.identity)
        .err()
        .expect("refused as a write");
    assert!(
        err.to_string().contains("service identity may never write"),
        "{err}"
    );

    // Relay: refuses the append (read-only identity).
    let status = post_event(&relay.url, &svc, &forged);
    assert_eq!(status, 403, "the relay accepted a service identity's write");

    // A relay that lets it through anyway: alice's sync names it once, keeps her value, and
    // goes on.
    insert_raw_event(&relay, &forged);
    let err = alice.fails(&["sync"]);
    assert!(
        err.contains("had no effect") && err.contains("service identity may never write"),
        "{err}"
    );
    alice.out(&["sync"]);
    assert_eq!(
        alice.out(&["get", "payments-prod/STRIPE_KEY"]).trim_end(),
        STRIPE
    );
    // And a newcomer pipeline reads the real value: the forged write changed nothing.
    let job = tempfile::tempdir().expect("temp dir");
    let out = ci(job.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), STRIPE);
}

fn post_event(url: &str, svc: &ServiceToken, ev: &SignedEvent) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = hush_core::sync::RelayClient::new(url, false).expect("client");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64;
        match client
            .append(&svc.identity, &svc.team_id, ev.bytes(), now)
            .await
        {
            Ok(_) => 200,
            Err(e) if e.to_string().contains("refused this device") => 403,
            Err(e) => panic!("unexpected relay answer: {e}"),
        }
    })
}

/// What a malicious relay does: stores an event without any check.
fn insert_raw_event(relay: &Relay, ev: &SignedEvent) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        let env = ev.envelope;
        let hash = ev.hash();
        sqlx::query(
            "INSERT INTO events (team_id, seq, hash, prev, epoch, author, size, bytes, received_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        )
        .bind(env.team_id.to_string())
        .bind(env.seq as i64)
        .bind(hash.to_vec())
        .bind(env.prev.to_vec())
        .bind(i64::from(env.epoch))
        .bind(env.author.to_string())
        .bind(ev.bytes().len() as i64)
        .bind(ev.bytes().to_vec())
        .execute(&pool)
        .await
        .expect("insert");
        sqlx::query("UPDATE teams SET head_seq = ?, head_hash = ? WHERE team_id = ?")
            .bind(env.seq as i64)
            .bind(hash.to_vec())
            .bind(env.team_id.to_string())
            .execute(&pool)
            .await
            .expect("head");
        pool.close().await;
    });
}

#[test]
fn expired_and_revoked_tokens_are_refused_with_clear_errors() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let job = tempfile::tempdir().expect("temp dir");

    // Expiry: a short-lived identity works, then stops.
    let short = create_service(&alice, "trial", "3s");
    let o = ci(job.path(), &short, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expires_ms = ServiceToken::parse(&short).expect("token").expires_ms;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let err = loop {
        let o = ci(job.path(), &short, &["get", "payments-prod/STRIPE_KEY"]);
        if !o.status.success() {
            break String::from_utf8(o.stderr).expect("utf-8");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the token still works long after it expired"
        );
        std::thread::yield_now();
    };
    assert_clean_error(&err);
    assert!(err.contains("expired"), "{err}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    assert!(now >= expires_ms, "refused before its expiry");

    // The relay enforces the expiry too: a token re-encoded with a later date (the client's own
    // check passes) is still refused, because the relay holds the signed expiry.
    let mut lying = ServiceToken::parse(&short).expect("token");
    lying.expires_ms = now + 86_400_000;
    let lying = lying.encode();
    let err = ci_error(
        job.path(),
        lying.expose(),
        &["get", "payments-prod/STRIPE_KEY"],
    );
    assert!(err.contains("has expired"), "{err}");
    assert!(alice.out(&["service", "list"]).contains("trial\texpired"));

    // Revocation re-keys and lists what the token could read.
    let token = create_service(&alice, "deploy", "30d");
    let o = ci(job.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(o.status.success());
    let out = alice.out(&["service", "revoke", "deploy"]);
    assert_eq!(out.trim(), "payments-prod/STRIPE_KEY");
    alice.out(&["sync"]);
    let err = ci_error(job.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(err.contains("revoked"), "{err}");
    assert!(alice.out(&["service", "list"]).contains("deploy\trevoked"));

    // A damaged token is a clear error, not a panic.
    let err = ci_error(job.path(), &token[..token.len() - 3], &["ls"]);
    assert!(err.contains("not a valid token"), "{err}");
    assert_eq!(files_under(job.path()), Vec::<std::path::PathBuf>::new());
}

#[test]
fn managers_see_which_addresses_a_service_used() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let token = create_service(&alice, "deploy", "30d");
    let job = tempfile::tempdir().expect("temp dir");
    let o = ci(job.path(), &token, &["ls"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "payments-prod/STRIPE_KEY"
    );
    let devices = alice.out(&["team", "devices"]);
    let line = devices
        .lines()
        .find(|l| l.starts_with("deploy\tservice\t"))
        .unwrap_or_else(|| panic!("{devices}"));
    assert!(
        line.contains("last seen") && line.ends_with("127.0.0.1"),
        "{line}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&alice.out(&["--json", "team", "devices"])).expect("json");
    let svc = json
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["name"] == "deploy")
        .expect("deploy listed");
    // Rows are written at most once a minute per address: at least the first request counts.
    assert!(svc["requests"].as_i64().expect("count") >= 1, "{svc}");
    assert_eq!(svc["ips"], serde_json::json!(["127.0.0.1"]), "{svc}");
}

/// Runs `sql` statements on the relay's database, as a compromised relay operator could.
fn edit_relay_db(relay: &Relay, stmts: &[&str]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        for stmt in stmts {
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_string()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        pool.close().await;
    });
}

/// Rolls the relay's log back by its newest event (head moved to the event before it).
fn roll_back_one_event(relay: &Relay) {
    edit_relay_db(
        relay,
        &[
            "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
            "UPDATE teams SET head_seq = (SELECT max(seq) FROM events),
                              head_hash = (SELECT hash FROM events WHERE seq = (SELECT max(seq) FROM events))",
        ],
    );
}

#[test]
fn a_service_refuses_a_log_older_than_the_one_it_saw_on_an_earlier_run() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    let token = create_service(&alice, "deploy", "30d");
    let job = tempfile::tempdir().expect("temp dir");
    let get = |job: &Path| ci(job, &token, &["get", "payments-prod/STRIPE_KEY"]);

    // A rotation reaches the relay, and a run sees it (and leaves its signed note there).
    alice.out(&[
        "set",
        "payments-prod/STRIPE_KEY",
        "sk_live_rotated_value_after_leak",
    ]);
    alice.out(&["sync"]);
    let o = get(job.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "sk_live_rotated_value_after_leak"
    );

    // The relay rolls back to before the rotation: the next run (a fresh job, no disk) refuses.
    roll_back_one_event(&relay);
    let fresh = tempfile::tempdir().expect("temp dir");
    let err = ci_error(fresh.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(
        err.contains("integrity check failed") && err.contains("older log"),
        "{err}"
    );
    let err = ci_error(
        fresh.path(),
        &token,
        &["run", "--vault", "payments-prod", "--", "true"],
    );
    assert!(err.contains("older log"), "{err}");

    // A note the relay made up (signed by any key but the service's own) is refused too.
    let forger = hush_core::identity::DeviceIdentity::generate("relay").expect("identity");
    let svc = ServiceToken::parse(&token).expect("token");
    let forged = hush_core::service_note::HeadNote {
        team_id: svc.team_id,
        device_id: svc.identity.device_id,
        seq: 1,
        hash: [0; 32],
    }
    .sign(&forger);
    edit_relay_db(
        &relay,
        &[&format!(
            "UPDATE device_notes SET note = x'{}'",
            forged
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )],
    );
    let err = ci_error(fresh.path(), &token, &["get", "payments-prod/STRIPE_KEY"]);
    assert!(err.contains("not signed by this service identity"), "{err}");

    // What it does not stop (docs/THREAT-MODEL.md): a relay that also withholds the note makes
    // the run look like a first run, and the old log is accepted. Only a witness closes that.
    edit_relay_db(&relay, &["DELETE FROM device_notes"]);
    let o = get(fresh.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), STRIPE);
}

#[test]
fn service_tokens_live_90_days_by_default_and_at_most_one_year() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    for too_long in ["2y", "367d", "53w"] {
        let err = alice.fails(&[
            "service",
            "create",
            "too-long",
            "--vault",
            "payments-prod",
            "--expires",
            too_long,
        ]);
        assert!(
            err.contains("at most one year (366 days)"),
            "{too_long}: {err}"
        );
    }
    assert!(!alice.out(&["service", "list"]).contains("too-long"));

    let day = 86_400_000_i64;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64
    };
    let before = now();
    let token = ServiceToken::parse(&{
        let o = alice
            .hush(&["service", "create", "default", "--vault", "payments-prod"])
            .output()
            .expect("run hush");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    })
    .expect("token");
    let after = now();
    assert!(
        (before + 90 * day..=after + 90 * day).contains(&token.expires_ms),
        "default expiry {} is not 90 days after {before}",
        token.expires_ms
    );
    // One year is the limit, and allowed.
    create_service(&alice, "yearly", "1y");
}

/// The GitHub Action (`action.yml`) runs `scripts/github-action.sh` with its inputs in the
/// environment: run here the same way, as a runner would, with hush on PATH.
fn action(job: &Path, inputs: &[(&str, &str)]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/github-action.sh");
    let bin_dir = bin("hush").parent().expect("bin dir").to_owned();
    std::process::Command::new("bash")
        .arg(script)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", job)
        .env("TMPDIR", job)
        .env("RUNNER_TEMP", job)
        .envs(inputs.iter().copied())
        .current_dir(job)
        .output()
        .expect("run the action's script")
}

/// The action masks every line of every value before the step runs, the step gets the keys,
/// its output goes through `hush run --mask`, its exit code is the action's, and nothing is
/// left on the runner's disk.
#[test]
fn the_github_action_masks_every_value_and_runs_the_step() {
    let relay = Relay::start();
    let alice = team_with_vaults(&relay);
    alice
        .hush(&["set", "payments-prod/SIGNING_CERT"])
        .write_stdin("cert-line-one-aaaa\ncert-line-two-bbbb")
        .assert()
        .success();
    alice.out(&["sync"]);
    let token = create_service(&alice, "gha", "30d");
    let job = tempfile::tempdir().expect("temp dir");
    let o = action(
        job.path(),
        &[
            ("HUSH_SERVICE_TOKEN", &token),
            ("INPUT_VAULTS", "payments-prod"),
            (
                "INPUT_RUN",
                "echo \"deploying with $STRIPE_KEY\"; test -n \"$SIGNING_CERT\" && test -z \"${ADMIN:-}\"; exit 3",
            ),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    for mask in [STRIPE, "cert-line-one-aaaa", "cert-line-two-bbbb"] {
        let at = lines
            .iter()
            .position(|l| *l == format!("::add-mask::{mask}"))
            .unwrap_or_else(|| panic!("no mask for {mask}: {out}"));
        let step = lines
            .iter()
            .position(|l| l.starts_with("deploying"))
            .expect("the step ran");
        assert!(at < step, "masks come before the step: {out}");
    }
    assert!(
        out.contains("deploying with <concealed by hush>"),
        "the step's output is masked too: {out}"
    );
    assert!(!err.contains(STRIPE) && !err.contains(&token), "{err}");
    assert!(!out.contains(OTHER) && !out.contains(&token), "{out}");
    assert_eq!(files_under(job.path()), Vec::<std::path::PathBuf>::new());

    // A missing token is a clear error for the workflow's author.
    let o = action(job.path(), &[("INPUT_RUN", "true")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("::error::hush: the token input is empty"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
