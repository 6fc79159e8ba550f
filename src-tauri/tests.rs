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
        (
            "update_settings",
            json!({"settings": {"clipboardClearSecs": 20, "autoLockMins": 5}}),
        ),
        ("note_activity", json!({})),
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
    use hush_core::api::{Request, Response};

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
        c.call(&Request::Get {
            team: None,
            address: Address::parse("ci/TOKEN").expect("address"),
        })
        .await
    });
    match got {
        Ok(Response::Value { value }) => assert_eq!(value.expose(), MARKER),
        other => panic!("unexpected answer {other:?}"),
    }

    // `hush lock` locks the app.
    tauri::async_runtime::block_on(async {
        let mut c = AgentClient::connect(&home).await.expect("agent");
        c.call(&Request::Lock).await.expect("lock answered");
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
