//! Contract tests: the command list against docs/DESKTOP-IPC.md and the capability file, and
//! every command driven through Tauri's IPC (mock runtime, real core, temporary store) to show
//! that a secret value comes back from `reveal_secret` and from nothing else.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tauri::Listener;
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;

use crate::COMMANDS;

const MARKER: &str = "sk_live_MARKER_4f1d9c0b7e";
const BACKUP_PASSPHRASE: &str = "a long backup passphrase 7f3a";

/// Command names in the contract's table.
fn contract_commands() -> BTreeSet<String> {
    let doc = include_str!("../docs/DESKTOP-IPC.md");
    let table = &doc[doc.find("## Commands").expect("commands section")
        ..doc.find("## Events").expect("events section")];
    table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_command_list_is_the_contract() {
    let ours: BTreeSet<String> = COMMANDS.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(ours.len(), COMMANDS.len(), "duplicate command");
    assert_eq!(ours, contract_commands());
}

#[test]
fn the_capability_grants_our_commands_and_event_listening_only() {
    let cap: Value =
        serde_json::from_str(include_str!("../capabilities/default.json")).expect("valid JSON");
    let granted: BTreeSet<String> = cap["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("plain permission").to_owned())
        .collect();
    let mut want: BTreeSet<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    want.insert("core:event:allow-listen".into());
    want.insert("core:event:allow-unlisten".into());
    assert_eq!(granted, want);
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).expect("valid JSON");
    assert_eq!(conf["app"]["withGlobalTauri"], json!(false));
    let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP");
    for d in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(d), "CSP lacks {d}");
    }
    assert!(!csp.contains("unsafe-"), "CSP allows unsafe sources");
}

#[test]
fn the_contract_lists_every_error_code() {
    let doc = include_str!("../docs/DESKTOP-IPC.md");
    let start = doc.find("Error codes:").expect("an error code paragraph");
    let para = &doc[start..start + doc[start..].find("\n\n").expect("paragraph end")];
    let documented: BTreeSet<String> = para
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_owned)
        .collect();
    // The one list: `hush_core::ErrorCode` (the shell's own codes included).
    let codes: BTreeSet<String> = hush_core::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert!(
        codes.contains("clipboard") && codes.contains("not_found") && codes.contains("locked"),
        "{codes:?}"
    );
    assert_eq!(documented, codes, "docs/DESKTOP-IPC.md's code list");
}

#[test]
fn the_app_makes_and_restores_a_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("hush");
    let app = App::new(&home);
    let password = json!({"password": "correct horse battery"});
    app.ok(
        "init_identity",
        json!({"name": "alice", "password": "correct horse battery"}),
    );
    app.ok(
        "create_vault",
        json!({"team": "personal", "name": "payments"}),
    );
    let kept = json!({"team": "personal", "vault": "payments", "name": "KEPT"});
    app.ok(
        "set_secret",
        json!({"team": "personal", "vault": "payments", "name": "KEPT", "value": MARKER}),
    );

    let file = dir.path().join("b.age");
    let backup = |path: Value, passphrase: &str, overwrite: bool| {
        app.call(
            "create_backup",
            json!({"path": path, "passphrase": passphrase, "overwrite": overwrite}),
        )
    };
    for (path, passphrase) in [
        (json!(file), "too short"),
        (json!("b.age"), BACKUP_PASSPHRASE),
        (json!(""), BACKUP_PASSPHRASE),
    ] {
        let e = backup(path, passphrase, false).expect_err("refused");
        assert_eq!(e["code"], json!("invalid"), "{e}");
    }
    assert!(!file.exists());
    let made = backup(json!(file), BACKUP_PASSPHRASE, false).expect("backup");
    assert_eq!(made["secrets"], json!(1), "{made}");
    assert_eq!(made["file"], json!(file.display().to_string()), "{made}");
    assert!(made["createdMs"].is_i64(), "{made}");
    assert!(!made.to_string().contains(BACKUP_PASSPHRASE));
    assert!(!made.to_string().contains(MARKER));
    // The CLI's file: the core opens it with the passphrase, and nothing in it is plaintext.
    let opened = hush_core::backup::open(
        &file,
        &hush_core::secret::SecretString::new(BACKUP_PASSPHRASE.into()),
    )
    .expect("the backup opens");
    assert_eq!(opened.manifest.secrets, 1);
    let bytes = std::fs::read(&file).expect("read");
    assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    let e = backup(json!(file), BACKUP_PASSPHRASE, false).expect_err("exists");
    assert_eq!(e["code"], json!("exists"), "{e}");
    backup(json!(file), BACKUP_PASSPHRASE, true).expect("overwrite");
    // Its usage record (action `backup`) comes from `Session::backup_export`, as the CLI's: it
    // is kept only in teams with a relay and teammates, which `tests/lifecycle.rs` checks.
    // A change after the backup, which the restore takes back.
    app.ok(
        "set_secret",
        json!({"team": "personal", "vault": "payments", "name": "AFTER", "value": "after-the-backup"}),
    );
    let restore = |passphrase: &str, replace: bool| {
        app.call(
            "restore_backup",
            json!({"path": file, "passphrase": passphrase, "replace": replace}),
        )
    };
    let e = restore(BACKUP_PASSPHRASE, false).expect_err("a store exists");
    assert_eq!(e["code"], json!("already_initialized"), "{e}");
    let e = restore("not the passphrase", true).expect_err("wrong passphrase");
    assert_eq!(e["code"], json!("invalid"), "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("wrong backup passphrase")),
        "{e}"
    );
    let e = app
        .call(
            "restore_backup",
            json!({"path": dir.path().join("missing.age"), "passphrase": BACKUP_PASSPHRASE, "replace": true}),
        )
        .expect_err("no such file");
    assert_eq!(e["code"], json!("io"), "{e}");
    app.ok("whoami", json!({}));

    let restored = restore(BACKUP_PASSPHRASE, true).expect("restore");
    assert_eq!(restored["secrets"], json!(1), "{restored}");
    let previous = restored["previousStore"]
        .as_str()
        .expect("the previous store was kept");
    assert!(std::path::Path::new(previous).exists(), "{previous}");
    assert_eq!(
        app.call("whoami", json!({})).expect_err("locked")["code"],
        json!("locked")
    );
    let events = app.events.lock().expect("events").clone();
    assert!(
        events
            .iter()
            .any(|(n, p)| n == "hush://locked" && p.contains("\"user\"")),
        "{events:?}"
    );
    app.ok("unlock", password);
    assert_eq!(app.ok("reveal_secret", kept), json!(MARKER));
    let e = app
        .call(
            "secret_detail",
            json!({"team": "personal", "vault": "payments", "name": "AFTER"}),
        )
        .expect_err("written after the backup");
    assert_eq!(e["code"], json!("not_found"), "{e}");
}

struct App {
    _app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<(String, String)>>>,
}

impl App {
    fn new(home: &std::path::Path) -> Self {
        let app = crate::configure(mock_builder(), home.to_owned())
            .build(mock_context(noop_assets()))
            .expect("the app builds");
        crate::attach(app.handle());
        let events = Arc::new(Mutex::new(Vec::new()));
        for name in [
            "hush://locked",
            "hush://changed",
            "hush://sync",
            "hush://clipboard-cleared",
        ] {
            let events = events.clone();
            app.listen_any(name, move |e| {
                events
                    .lock()
                    .expect("events")
                    .push((name.to_owned(), e.payload().to_owned()));
            });
        }
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a webview");
        Self {
            _app: app,
            webview,
            events,
        }
    }

    /// Invokes a command as the web view would; Ok(value) or Err({code, message}).
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().expect("JSON response"))
    }

    /// The shell's state behind the commands.
    fn desktop(&self) -> crate::state::Desktop {
        use tauri::Manager;
        self._app.state::<crate::state::Desktop>().inner().clone()
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone())
            .unwrap_or_else(|e| panic!("{cmd}({args}) failed: {e}"))
    }
}

#[test]
fn only_reveal_secret_returns_a_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("hush");
    let app = App::new(&home);

    let state = app.ok("app_state", json!({}));
    assert_eq!(state["initialized"], json!(false));
    assert_eq!(
        state["settings"],
        json!({"clipboardClearSecs": 30, "autoLockMins": 10})
    );
    assert_eq!(
        app.call(
            "init_identity",
            json!({"name": "alice", "password": "short"})
        )
        .expect_err("short password")["code"],
        json!("invalid")
    );

    // Every command, with arguments in the contract's camelCase.
    let s = json!({"team": "personal", "vault": "payments", "name": "STRIPE_KEY"});
    let with = |extra: Value| {
        let mut v = s.clone();
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    let calls: Vec<(&str, Value)> = vec![
        ("app_state", json!({})),
        (
            "init_identity",
            json!({"name": "alice", "password": "correct horse battery"}),
        ),
        ("whoami", json!({})),
        ("list_teams", json!({})),
        ("create_team", json!({"name": "acme"})),
        (
            "create_vault",
            json!({"team": "personal", "name": "payments"}),
        ),
        ("list_vaults", json!({"team": "personal"})),
        (
            "set_secret",
            with(
                json!({"value": MARKER, "note": "live key", "tags": ["stripe"], "rotateEveryDays": 90}),
            ),
        ),
        ("set_secret", with(json!({"value": format!("{MARKER}-v2")}))),
        ("list_secrets", json!({})),
        ("search_secrets", json!({"query": "strp", "limit": 10})),
        (
            "search_secrets",
            json!({"query": "", "limit": 10, "team": "personal", "vault": "payments"}),
        ),
        ("attention", json!({})),
        ("security_alerts", json!({})),
        ("secret_detail", s.clone()),
        ("copy_secret", with(json!({"format": "value"}))),
        ("copy_secret", with(json!({"format": "reference"}))),
        ("copy_secret", with(json!({"format": "env"}))),
        ("members", json!({"team": "personal"})),
        (
            "invite",
            json!({"team": "personal", "role": "member", "expiresHours": 24}),
        ),
        ("join_team", json!({"code": "hush1notacode"})),
        (
            "admit_member",
            json!({"team": "personal", "member": "nobody"}),
        ),
        (
            "vault_access",
            json!({"team": "personal", "vault": "payments"}),
        ),
        (
            "grant_access",
            json!({"team": "personal", "vault": "payments", "member": "nobody", "role": "read"}),
        ),
        (
            "revoke_access",
            json!({"team": "personal", "vault": "payments", "member": "nobody"}),
        ),
        (
            "remove_member",
            json!({"team": "personal", "member": "nobody"}),
        ),
        ("activity", json!({"team": "personal", "limit": 50})),
        ("exposed", json!({})),
        ("conflicts", json!({})),
        ("resolve_conflict", with(json!({"keep": 1}))),
        ("sync_now", json!({})),
        ("sync_status", json!({})),
        ("mark_state_compared", json!({"team": "personal"})),
        (
            "update_settings",
            json!({"settings": {"clipboardClearSecs": 20, "autoLockMins": 5}}),
        ),
        ("note_activity", json!({})),
        (
            "create_backup",
            json!({"path": dir.path().join("b.age"), "passphrase": BACKUP_PASSPHRASE, "overwrite": false}),
        ),
        (
            "restore_backup",
            json!({"path": dir.path().join("b.age"), "passphrase": "not the passphrase", "replace": true}),
        ),
        ("reveal_secret", s.clone()),
        ("reveal_secret", with(json!({"version": 1}))),
        ("delete_secret", s.clone()),
        ("lock", json!({})),
        ("unlock", json!({"password": "wrong password"})),
        ("unlock", json!({"password": "correct horse battery"})),
    ];
    let called: BTreeSet<String> = calls.iter().map(|(c, _)| (*c).to_owned()).collect();
    assert_eq!(called, contract_commands(), "every command is exercised");

    for (cmd, args) in calls {
        let answer = app.call(cmd, args.clone());
        let text = match &answer {
            Ok(v) | Err(v) => v.to_string(),
        };
        if cmd == "reveal_secret" {
            let want = if args.get("version").is_some() {
                MARKER.to_owned()
            } else {
                format!("{MARKER}-v2")
            };
            assert_eq!(answer, Ok(json!(want)));
            continue;
        }
        assert!(!text.contains(MARKER), "{cmd} leaked the value: {text}");
        match cmd {
            "copy_secret" => match &answer {
                Ok(v) => {
                    let o = v.as_object().expect("an object");
                    assert_eq!(o.len(), 1, "{v}");
                    assert!(o["clearAfterSecs"].is_u64(), "{v}");
                }
                // No display here: the clipboard is unavailable, and says so by code.
                Err(e) => assert_eq!(e["code"], json!("clipboard"), "{e}"),
            },
            // Need a relay, a real code or another member: they fail, by code.
            "invite" | "join_team" | "admit_member" | "grant_access" | "revoke_access"
            | "remove_member" | "resolve_conflict" => {
                let e = answer.expect_err(cmd);
                assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
            }
            // A wrong passphrase: refused before anything changes (the app stays unlocked).
            "restore_backup" => {
                assert_eq!(answer.expect_err(cmd)["code"], json!("invalid"));
            }
            "unlock" if args["password"] == json!("wrong password") => {
                assert_eq!(answer.expect_err(cmd)["code"], json!("wrong_password"));
            }
            _ => {
                answer.unwrap_or_else(|e| panic!("{cmd}({args}) failed: {e}"));
            }
        }
    }

    // Shapes the UI relies on.
    let who = app.ok("whoami", json!({}));
    assert!(
        who["deviceId"].is_string() && who["fingerprint"].is_string(),
        "{who}"
    );
    let rows = app.ok("list_secrets", json!({}));
    assert_eq!(rows, json!([]), "deleted secrets are not listed");
    let status = app.ok("sync_status", json!({}));
    assert_eq!(status["state"], json!("local"), "{status}");
    let personal = status["teams"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["team"] == json!("personal")))
        .expect("the personal team's status");
    assert!(
        personal["comparedMs"].is_i64() && personal["stateCode"].is_string(),
        "mark_state_compared recorded the comparison: {status}"
    );
    assert_eq!(
        app.ok("security_alerts", json!({})),
        json!([]),
        "a team without a relay or other members has nothing to report"
    );
    assert_eq!(
        app.ok("app_state", json!({}))["settings"],
        json!({"clipboardClearSecs": 20, "autoLockMins": 5})
    );
    app.ok("lock", json!({}));
    assert_eq!(
        app.call("whoami", json!({})).expect_err("locked")["code"],
        json!("locked")
    );
    let events = app.events.lock().expect("events").clone();
    assert!(
        events
            .iter()
            .any(|(n, p)| n == "hush://locked" && p.contains("\"user\"")),
        "{events:?}"
    );
}

#[test]
fn the_cli_agent_is_served_while_unlocked() {
    use hush_core::address::Address;
    use hush_core::agent::{AgentClient, socket_path};
    use hush_core::api;

    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("hush");
    let app = App::new(&home);
    app.ok(
        "init_identity",
        json!({"name": "alice", "password": "correct horse battery"}),
    );
    app.ok("create_vault", json!({"team": "personal", "name": "ci"}));
    app.ok(
        "set_secret",
        json!({"team": "personal", "vault": "ci", "name": "TOKEN", "value": MARKER}),
    );
    assert!(socket_path(&home).exists(), "the agent socket is served");

    let got = tauri::async_runtime::block_on(async {
        let mut c = AgentClient::connect(&home).await.expect("agent");
        c.call(api::Get {
            team: None,
            address: Address::parse("ci/TOKEN").expect("address"),
        })
        .await
    });
    match got {
        Ok(revealed) => assert_eq!(revealed.value.expose(), MARKER),
        Err(e) => panic!("the agent did not answer: {e}"),
    }

    // `hush lock` locks the app.
    tauri::async_runtime::block_on(async {
        let mut c = AgentClient::connect(&home).await.expect("agent");
        c.call(api::Lock {}).await.expect("lock answered");
    });
    for _ in 0..100 {
        if app.call("whoami", json!({})).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        app.call("whoami", json!({})).expect_err("locked")["code"],
        json!("locked")
    );
    assert!(
        !socket_path(&home).exists(),
        "the socket is removed on lock"
    );
}

/// A relay in this process on a fresh SQLite database; returns its URL. It stops with the
/// test process.
fn start_relay(dir: &std::path::Path) -> String {
    let relay = RunningRelay::start(dir, "127.0.0.1:0".parse().expect("address"));
    let url = relay.url();
    // Dropping the sender would stop the relay; this one runs until the process ends.
    std::mem::forget(relay.stop);
    url
}

/// A relay in this process on `dir`'s SQLite database, stopped by [`RunningRelay::stop`].
struct RunningRelay {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    done: std::sync::mpsc::Receiver<()>,
}

impl RunningRelay {
    fn start(dir: &std::path::Path, listen: std::net::SocketAddr) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let config = hush_relay::Config {
            listen,
            database: hush_relay::Db::sqlite_url(&dir.join("relay.db")),
            tls: None,
            limits: hush_relay::RateLimits::default(),
            witness: false,
            metrics_listen: None,
        };
        tauri::async_runtime::spawn(async move {
            let ready = tx.clone();
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = hush_relay::serve(config, shutdown, move |bound| {
                let _ = ready.send(Ok(bound.addr));
            })
            .await
            {
                let _ = tx.send(Err(e.to_string()));
            }
            let _ = done_tx.send(());
        });
        let addr = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the relay starts")
            .expect("the relay listens");
        Self { addr, stop, done }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains, and returns once the listener is closed.
    fn stop(self) -> std::net::SocketAddr {
        let _ = self.stop.send(());
        self.done
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the relay stops");
        self.addr
    }
}

impl App {
    /// Waits (up to `secs`) until `f` holds, polling; panics with `what` otherwise.
    fn wait_for(&self, secs: u64, what: &str, mut f: impl FnMut(&Self) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while !f(self) {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn saw(&self, event: &str, needle: &str) -> bool {
        self.events
            .lock()
            .expect("events")
            .iter()
            .any(|(n, p)| n == event && p.contains(needle))
    }
}

/// Issue #4: a joining app shows the team under its join label with the safety code, polls
/// while it waits, and switches to the admitted team (name, vaults, secrets) without a restart
/// or a click; the inviter's app learns of the join request by itself. Issue #5: when the new
/// member then reads far more keys than usual, both apps list the alert.
#[test]
fn a_joining_app_waits_for_admission_then_switches_to_the_team_live() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = start_relay(dir.path());
    let pw = json!({"password": "correct horse battery"});
    let lead = App::new(&dir.path().join("lead"));
    lead.ok(
        "init_identity",
        json!({"name": "ada", "password": pw["password"]}),
    );
    lead.ok("create_team", json!({"name": "acme", "relay": relay}));
    lead.ok("create_vault", json!({"team": "acme", "name": "prod"}));
    lead.ok(
        "set_secret",
        json!({"team": "acme", "vault": "prod", "name": "STRIPE_KEY", "value": MARKER}),
    );
    // The team is on the relay before anyone asks to join it.
    assert_eq!(lead.ok("sync_now", json!({}))["state"], json!("online"));
    let code = lead.ok(
        "invite",
        json!({"team": "acme", "role": "member", "expiresHours": 1}),
    )["code"]
        .as_str()
        .expect("a code")
        .to_owned();

    let joiner = App::new(&dir.path().join("joiner"));
    joiner.ok(
        "init_identity",
        json!({"name": "grace", "password": pw["password"]}),
    );
    assert_eq!(
        joiner
            .call("join_team", json!({"code": code, "label": "bad/label"}))
            .expect_err("a label with a slash")["code"],
        json!("invalid")
    );
    let joined = joiner.ok(
        "join_team",
        json!({"code": code, "label": "Acme (pending)"}),
    );
    let safety = joined["safetyCode"]
        .as_str()
        .expect("safety code")
        .to_owned();

    // Listed under its join label, by its UUID, with the same safety code.
    let teams = joiner.ok("list_teams", json!({}));
    let waiting = teams
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["joining"] == json!(true))
        .unwrap_or_else(|| panic!("a joining team in {teams}"))
        .clone();
    assert_eq!(waiting["name"], json!("Acme (pending)"), "{waiting}");
    assert_eq!(waiting["id"], joined["teamId"], "{waiting}");
    assert_eq!(waiting["uuid"], joined["teamId"], "{waiting}");
    assert_eq!(waiting["safetyCode"], json!(safety), "{waiting}");
    // Its sync state is not "local" (Sync now stays usable), and it is listed as joining.
    let status = joiner.ok("sync_status", json!({}));
    assert_ne!(status["state"], json!("local"), "{status}");
    assert!(
        status["teams"]
            .as_array()
            .expect("teams")
            .iter()
            .any(|t| t["team"] == json!("Acme (pending)") && t["joining"] == json!(true)),
        "{status}"
    );
    // Other teams' vaults stay listed while the selected team is the joining one.
    joiner.ok("create_vault", json!({"team": "personal", "name": "mine"}));
    let vaults = joiner.ok("list_vaults", json!({}));
    assert!(
        vaults
            .as_array()
            .expect("vaults")
            .iter()
            .any(|v| v["name"] == json!("mine") && v["role"] == json!("admin")),
        "{vaults}"
    );

    // The lead's app finds the request by itself (no sync_now) and says so.
    lead.wait_for(15, "the lead's app reports the join request", |a| {
        a.saw("hush://changed", "\"acme\"")
    });
    let members = lead.ok("members", json!({"team": "acme"}));
    let pending = members
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["status"] == json!("pending"))
        .unwrap_or_else(|| panic!("a pending member in {members}"))
        .clone();
    assert_eq!(pending["safetyCode"], json!(safety), "the codes match");
    let grace = joiner.ok("whoami", json!({}))["deviceId"].clone();
    lead.ok("admit_member", json!({"team": "acme", "member": grace}));
    lead.ok(
        "grant_access",
        json!({"team": "acme", "vault": "prod", "member": grace, "role": "read"}),
    );

    // The joining app switches by itself: real name, the vault (read-only), the secret.
    joiner.wait_for(15, "the joining app lists the secret", |a| {
        a.call("list_secrets", json!({}))
            .is_ok_and(|rows| rows.to_string().contains("STRIPE_KEY"))
    });
    assert!(
        joiner.saw("hush://changed", "\"acme\""),
        "a change event names the team"
    );
    let teams = joiner.ok("list_teams", json!({}));
    let acme = teams
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["uuid"] == joined["teamId"])
        .unwrap_or_else(|| panic!("the team in {teams}"))
        .clone();
    assert_eq!(
        (&acme["id"], &acme["name"], &acme["joining"]),
        (&json!("acme"), &json!("acme"), &json!(false)),
        "{acme}"
    );
    assert!(acme.get("safetyCode").is_none(), "{acme}");
    let vaults = joiner.ok("list_vaults", json!({}));
    assert!(
        vaults
            .as_array()
            .expect("vaults")
            .iter()
            .any(|v| v["team"] == json!("acme")
                && v["name"] == json!("prod")
                && v["role"] == json!("read")),
        "{vaults}"
    );
    let status = joiner.ok("sync_status", json!({}));
    assert_eq!(status["state"], json!("online"), "{status}");

    // Revealing and copying record the use in the team's log (copy may fail without a display:
    // then nothing was copied and nothing is recorded).
    let s = json!({"team": "acme", "vault": "prod", "name": "STRIPE_KEY"});
    assert_eq!(joiner.ok("reveal_secret", s.clone()), json!(MARKER));
    let activity = joiner.ok("activity", json!({"team": "acme", "limit": 10}));
    let used = activity
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == json!("used"))
        .unwrap_or_else(|| panic!("a usage entry in {activity}"))
        .clone();
    assert_eq!(
        (&used["target"], &used["detail"], &used["actor"]),
        (&json!("prod/STRIPE_KEY"), &json!("reveal"), &json!("grace")),
        "{used}"
    );
    assert!(!activity.to_string().contains(MARKER), "{activity}");

    // Issue #5: nothing to report yet; then grace reads 21 distinct keys in a day with no
    // history, which is far more than usual (anomaly.rs), and both apps say so.
    assert_eq!(lead.ok("security_alerts", json!({})), json!([]));
    for i in 1..=20 {
        lead.ok(
            "set_secret",
            json!({"team": "acme", "vault": "prod", "name": format!("KEY_{i}"), "value": format!("{MARKER}-{i}")}),
        );
    }
    joiner.wait_for(15, "the joining app lists the new keys", |a| {
        a.call("list_secrets", json!({}))
            .is_ok_and(|rows| rows.to_string().contains("KEY_20"))
    });
    for i in 1..=20 {
        let key = json!({"team": "acme", "vault": "prod", "name": format!("KEY_{i}")});
        assert_eq!(
            joiner.ok("reveal_secret", key),
            json!(format!("{MARKER}-{i}"))
        );
    }
    let spike = |a: &App| -> Option<Value> {
        a.call("security_alerts", json!({}))
            .ok()?
            .as_array()?
            .iter()
            .find(|x| x["kind"] == json!("usage_spike"))
            .cloned()
    };
    let mine = spike(&joiner).expect("the reader's own app reports the spike");
    assert_eq!(
        (&mine["team"], &mine["subject"]),
        (&json!("acme"), &json!("grace")),
        "{mine}"
    );
    assert!(
        mine["detail"].as_str().is_some_and(|d| d.contains("21")),
        "{mine}"
    );
    assert!(mine["sinceMs"].is_i64(), "{mine}");
    lead.wait_for(15, "the lead's app reports the spike", |a| {
        spike(a).is_some_and(|x| x["subject"] == json!("grace"))
    });
    let all = lead.ok("security_alerts", json!({})).to_string();
    assert!(!all.contains(MARKER), "no value in an alert: {all}");

    // Removal: the relay now refuses grace's device, and her app says so (not "offline").
    let removed = lead.ok("remove_member", json!({"team": "acme", "member": grace}));
    assert!(removed.to_string().contains("STRIPE_KEY"), "{removed}");
    let status = |a: &App| a.ok("sync_status", json!({}));
    joiner.wait_for(
        40,
        "the removed member's app says the relay refused it",
        |a| status(a)["state"] == json!("refused"),
    );
    let refused = status(&joiner);
    assert!(
        refused["alert"]
            .as_str()
            .is_some_and(|m| m.starts_with("acme: ") && m.contains("removed from the team")),
        "{refused}"
    );
    joiner.wait_for(5, "the web view is told refused", |a| {
        a.saw("hush://sync", "\"refused\"")
    });
}

/// At 10k secrets the first `limit` search rows may hold none of a vault's secrets: a search
/// scoped to a vault applies the scope before the limit.
#[test]
fn a_scoped_search_applies_the_scope_before_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::new(&dir.path().join("hush"));
    app.ok(
        "init_identity",
        json!({"name": "alice", "password": "correct horse battery"}),
    );
    for vault in ["aaa", "zzz"] {
        app.ok("create_vault", json!({"team": "personal", "name": vault}));
    }
    for (vault, name) in [("aaa", "A1"), ("aaa", "A2"), ("zzz", "Z1")] {
        app.ok(
            "set_secret",
            json!({"team": "personal", "vault": vault, "name": name, "value": "v"}),
        );
    }
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["vault"].as_str().unwrap_or("?"),
                    r["name"].as_str().unwrap_or("?")
                )
            })
            .collect()
    };
    let all = names(app.ok("search_secrets", json!({"query": "", "limit": 10})));
    assert_eq!(all.len(), 3, "{all:?}");
    let unscoped = names(app.ok("search_secrets", json!({"query": "", "limit": 1})));
    assert_eq!(unscoped.len(), 1);
    let other = if unscoped[0].starts_with("zzz") {
        "aaa"
    } else {
        "zzz"
    };
    let scoped = names(app.ok(
        "search_secrets",
        json!({"query": "", "limit": 1, "team": "personal", "vault": other}),
    ));
    assert_eq!(scoped.len(), 1, "{scoped:?}");
    assert!(scoped[0].starts_with(other), "{scoped:?}");
    let ranked = names(app.ok(
        "search_secrets",
        json!({"query": "a2", "limit": 5, "team": "personal", "vault": "aaa"}),
    ));
    assert_eq!(
        ranked.first().map(String::as_str),
        Some("aaa/A2"),
        "{ranked:?}"
    );
    assert!(
        names(app.ok(
            "search_secrets",
            json!({"query": "", "limit": 5, "team": "nobody"})
        ))
        .is_empty()
    );
}

#[test]
fn background_reloads_do_not_keep_the_app_unlocked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::new(&dir.path().join("hush"));
    app.ok(
        "init_identity",
        json!({"name": "alice", "password": "correct horse battery"}),
    );
    app.ok("create_vault", json!({"team": "personal", "name": "prod"}));
    app.ok(
        "set_secret",
        json!({"team": "personal", "vault": "prod", "name": "K", "value": "v"}),
    );
    let d = app.desktop();
    let away = std::time::Duration::from_secs(3600);
    d.idle().pretend_idle_for(away);
    // What the web view runs by itself when a teammate's change arrives.
    for (cmd, args) in [
        ("list_teams", json!({})),
        ("list_vaults", json!({})),
        ("list_secrets", json!({})),
        ("attention", json!({})),
        ("security_alerts", json!({})),
        ("search_secrets", json!({"query": "", "limit": 50})),
        (
            "secret_detail",
            json!({"team": "personal", "vault": "prod", "name": "K"}),
        ),
        ("members", json!({"team": "personal"})),
        ("vault_access", json!({"team": "personal", "vault": "prod"})),
        ("activity", json!({"team": "personal", "limit": 50})),
        ("conflicts", json!({})),
        ("exposed", json!({})),
        ("sync_status", json!({})),
    ] {
        app.ok(cmd, args);
        assert!(
            d.idle().idle_for() >= away,
            "{cmd} counted as activity: a busy team would keep an unattended app unlocked"
        );
    }
    app.ok("note_activity", json!({}));
    assert!(d.idle().idle_for() < away, "key and pointer input counts");
    d.idle().pretend_idle_for(away);
    app.ok(
        "set_secret",
        json!({"team": "personal", "vault": "prod", "name": "K2", "value": "v"}),
    );
    assert!(d.idle().idle_for() < away, "a write is a person acting");
}

/// Issue #4, the offline laptop: with no click, the app says "offline" soon after the relay
/// goes away, keeps an edit queued, and sends it soon after the relay comes back.
#[test]
fn the_app_notices_the_relay_leaving_and_coming_back_by_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RunningRelay::start(dir.path(), "127.0.0.1:0".parse().expect("address"));
    let app = App::new(&dir.path().join("hush"));
    app.ok(
        "init_identity",
        json!({"name": "ada", "password": "correct horse battery"}),
    );
    app.ok("create_team", json!({"name": "acme", "relay": relay.url()}));
    app.ok("create_vault", json!({"team": "acme", "name": "prod"}));
    // Everything is on the relay before it goes away.
    let synced = app.ok("sync_now", json!({}));
    assert_eq!(
        (&synced["state"], &synced["outbox"]),
        (&json!("online"), &json!(0)),
        "{synced}"
    );
    let state = |a: &App| a.ok("sync_status", json!({}));

    let addr = relay.stop();
    // Long before the 30 s periodic sync: the failed long-poll wakes the loop.
    app.wait_for(10, "the app says offline by itself", |a| {
        state(a)["state"] == json!("offline")
    });
    app.wait_for(5, "the web view is told offline", |a| {
        a.saw("hush://sync", "\"offline\"")
    });
    app.ok(
        "set_secret",
        json!({"team": "acme", "vault": "prod", "name": "QUEUED", "value": "v"}),
    );
    let queued = state(&app);
    assert_eq!(
        (&queued["state"], &queued["outbox"]),
        (&json!("offline"), &json!(1)),
        "{queued}"
    );

    let _relay = RunningRelay::start(dir.path(), addr);
    // Retries back off from 2 s: the queued edit leaves within seconds, with no sync_now.
    app.wait_for(15, "the queued edit is sent by itself", |a| {
        let s = state(a);
        s["state"] == json!("online") && s["outbox"] == json!(0)
    });
    app.wait_for(5, "the web view is told online", |a| {
        a.saw("hush://sync", "\"online\"")
    });
}

/// A private D-Bus session bus (`dbus-daemon`), stopped when dropped.
#[cfg(target_os = "linux")]
struct PrivateBus {
    daemon: std::process::Child,
    address: String,
}

#[cfg(target_os = "linux")]
impl PrivateBus {
    fn start() -> Self {
        use std::io::BufRead;
        let mut daemon = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian package `dbus`, installed by scripts/setup.sh)");
        let mut address = String::new();
        std::io::BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("the bus address");
        assert!(address.starts_with("unix:"), "bus address {address:?}");
        Self {
            daemon,
            address: address.trim().to_owned(),
        }
    }

    async fn connect(&self, name: Option<&str>) -> zbus::Connection {
        let mut b = zbus::connection::Builder::address(self.address.as_str()).expect("address");
        if let Some(n) = name {
            b = b.name(n.to_owned()).expect("name");
        }
        b.build().await.expect("connect to the private bus")
    }
}

#[cfg(target_os = "linux")]
impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// The screen-lock path end to end on a real bus: the screensaver service announces
/// `ActiveChanged(true)` and the app locks with reason `sleep` (logind's `PrepareForSleep` and
/// `Lock` go through the same watcher).
#[cfg(target_os = "linux")]
#[test]
fn a_screen_lock_signal_from_the_screensaver_locks_the_app() {
    const NAME: &str = "org.freedesktop.ScreenSaver";
    const PATH: &str = "/org/freedesktop/ScreenSaver";
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::new(&dir.path().join("hush"));
    app.ok(
        "init_identity",
        json!({"name": "alice", "password": "correct horse battery"}),
    );
    let d = app.desktop();
    assert!(d.is_unlocked());
    let bus = PrivateBus::start();
    let (watcher, screensaver) = tauri::async_runtime::block_on(async {
        (bus.connect(None).await, bus.connect(Some(NAME)).await)
    });
    let watch = tauri::async_runtime::spawn(crate::lock::linux::lock_on(
        d.clone(),
        watcher,
        NAME,
        PATH.into(),
        NAME,
        "ActiveChanged",
    ));
    let emit = |conn: &zbus::Connection, active: bool| {
        tauri::async_runtime::block_on(conn.emit_signal(
            None::<&str>,
            PATH,
            NAME,
            "ActiveChanged",
            &(active,),
        ))
        .expect("emit");
    };
    // The watcher subscribes asynchronously: announce until the app reacts, within a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while d.is_unlocked() && std::time::Instant::now() < deadline {
        emit(&screensaver, true);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!d.is_unlocked(), "the screen lock did not lock the app");
    let events = app.events.lock().expect("events").clone();
    let locked: Vec<_> = events
        .iter()
        .filter(|(n, _)| n == "hush://locked")
        .collect();
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert!(locked[0].1.contains("\"sleep\""), "{locked:?}");
    watch.abort();
}
