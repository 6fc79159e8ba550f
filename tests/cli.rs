//! The core CLI journey across separate processes, with and without the agent, and its errors.

use hush_tests::{Device, assert_clean_error};
use predicates::prelude::*;

fn setup() -> Device {
    let d = Device::init("alice");
    d.hush(&["vault", "create", "prod"]).assert().success();
    d
}

#[test]
fn init_prints_the_fingerprint_and_whoami_agrees() {
    let d = Device::new();
    let out = d.hush(&["init", "--name", "alice"]).output().expect("run");
    assert!(out.status.success());
    let fp = String::from_utf8(out.stdout).expect("utf-8");
    let fp = fp.trim();
    assert_eq!(fp.len(), 35, "six groups of five digits: {fp}");
    let who = d.out(&["whoami"]);
    assert!(who.contains("alice"), "{who}");
    assert!(who.contains(fp), "{who}");
    let json: serde_json::Value =
        serde_json::from_str(&d.out(&["--json", "whoami"])).expect("json");
    assert_eq!(json["name"], "alice");
    assert_eq!(json["fingerprint"], fp);
    // A second init refuses to overwrite the store.
    let err = d.fails(&["init", "--name", "alice"]);
    assert!(err.contains("already exists"), "{err}");
    // The personal team exists and is selected.
    let teams = d.out(&["team", "list"]);
    assert!(teams.starts_with("* personal"), "{teams}");
}

#[test]
fn set_get_ls_search_history_rm_across_processes() {
    let d = setup();
    d.hush(&[
        "set",
        "prod/STRIPE_KEY",
        "sk_live_one",
        "--note",
        "stripe live key",
        "--tag",
        "payments",
        "--url",
        "https://dashboard.stripe.com",
        "--expires",
        "2030-01-31",
        "--rotate-every",
        "90d",
    ])
    .assert()
    .success()
    .stdout("")
    // A value in argv works (the contract) but is visible to other processes: hush says so.
    .stderr(predicates::str::contains("visible to other processes"));
    // Value from stdin, one trailing newline removed; no warning.
    d.hush(&["set", "prod/GITHUB_TOKEN"])
        .write_stdin("ghp_from_stdin\n")
        .assert()
        .success()
        .stderr(predicates::str::contains("visible to other processes").not());
    d.hush(&["set", "prod/MULTI", "-"])
        .write_stdin("line1\nline2\n\n")
        .assert()
        .success()
        .stderr(predicates::str::contains("warning").not());

    assert_eq!(d.out(&["get", "prod/STRIPE_KEY"]), "sk_live_one\n");
    assert_eq!(d.out(&["get", "prod/GITHUB_TOKEN"]), "ghp_from_stdin\n");
    assert_eq!(d.out(&["get", "prod/MULTI"]), "line1\nline2\n\n");
    assert_eq!(d.out(&["get", "personal/prod/STRIPE_KEY"]), "sk_live_one\n");

    assert_eq!(
        d.out(&["ls"]),
        "prod/GITHUB_TOKEN\nprod/MULTI\nprod/STRIPE_KEY\n"
    );
    assert_eq!(
        d.out(&["ls", "prod"]),
        "prod/GITHUB_TOKEN\nprod/MULTI\nprod/STRIPE_KEY\n"
    );
    let listing = d.out(&["--json", "ls"]);
    assert!(
        !listing.contains("sk_live_one"),
        "ls must never print values"
    );
    let json: serde_json::Value = serde_json::from_str(&listing).expect("json");
    assert_eq!(json[2]["meta"]["note"], "stripe live key");
    assert_eq!(json[2]["meta"]["rotate_every_days"], 90);

    // Search is fuzzy and ranked: the name match first; a note word finds it too.
    let hits = d.out(&["search", "strpkey"]);
    assert_eq!(hits.lines().next(), Some("prod/STRIPE_KEY"), "{hits}");
    assert!(d.out(&["search", "live"]).contains("prod/STRIPE_KEY"));
    assert!(d.out(&["search", "payments"]).contains("prod/STRIPE_KEY"));
    assert_eq!(d.out(&["search", "zzzzqqq"]), "");

    // A second version; history newest first, values only with --reveal.
    d.hush(&["set", "prod/STRIPE_KEY", "sk_live_two"])
        .assert()
        .success();
    assert_eq!(d.out(&["get", "prod/STRIPE_KEY"]), "sk_live_two\n");
    let hist = d.out(&["history", "prod/STRIPE_KEY"]);
    let lines: Vec<&str> = hist.lines().collect();
    assert_eq!(lines.len(), 2, "{hist}");
    assert!(
        lines[0].starts_with("v2\t") && lines[1].starts_with("v1\t"),
        "{hist}"
    );
    assert!(lines[0].contains("alice"));
    assert!(
        !hist.contains("sk_live"),
        "history must not print values without --reveal"
    );
    let revealed = d.out(&["history", "prod/STRIPE_KEY", "--reveal"]);
    assert!(
        revealed
            .lines()
            .next()
            .is_some_and(|l| l.ends_with("sk_live_two")),
        "{revealed}"
    );
    assert!(
        revealed
            .lines()
            .nth(1)
            .is_some_and(|l| l.ends_with("sk_live_one")),
        "{revealed}"
    );
    // Metadata survives an edit that did not mention it.
    let json: serde_json::Value =
        serde_json::from_str(&d.out(&["--json", "ls", "prod"])).expect("json");
    assert_eq!(json[2]["meta"]["note"], "stripe live key");

    d.hush(&["rm", "prod/GITHUB_TOKEN"]).assert().success();
    assert_eq!(d.out(&["ls"]), "prod/MULTI\nprod/STRIPE_KEY\n");
    let err = d.fails(&["get", "prod/GITHUB_TOKEN"]);
    assert!(
        err.contains("prod/GITHUB_TOKEN") && err.contains("not found"),
        "{err}"
    );
    // Setting it again revives it with its history.
    d.hush(&["set", "prod/GITHUB_TOKEN", "ghp_new"])
        .assert()
        .success();
    assert_eq!(d.out(&["history", "prod/GITHUB_TOKEN"]).lines().count(), 2);

    let verified = d.out(&["audit", "verify"]);
    assert!(verified.starts_with("ok: "), "{verified}");
}

#[test]
fn the_agent_serves_commands_without_a_password_until_locked() {
    let d = setup();
    d.hush(&["set", "prod/K", "agent-value"]).assert().success();
    // Without agent and without password: a clear error.
    let err = d
        .hush_no_password(&["get", "prod/K"])
        .output()
        .expect("run");
    assert!(!err.status.success());
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert_clean_error(&stderr);
    assert!(
        stderr.contains("hush unlock") && stderr.contains("HUSH_PASSWORD"),
        "{stderr}"
    );

    d.hush(&["unlock", "--timeout", "5m"]).assert().success();
    d.hush_no_password(&["get", "prod/K"])
        .assert()
        .success()
        .stdout("agent-value\n");
    d.hush_no_password(&["set", "prod/K2", "second"])
        .assert()
        .success();
    // A write through the agent is visible to a process that unlocks the store itself.
    d.hush_no_password(&["lock"])
        .assert()
        .success()
        .stderr(predicate::str::contains("locked"));
    d.hush(&["get", "prod/K2"])
        .assert()
        .success()
        .stdout("second\n");
    // And a write made directly is seen by a new agent.
    d.hush(&["set", "prod/K3", "third"]).assert().success();
    d.hush(&["unlock"]).assert().success();
    d.hush_no_password(&["get", "prod/K3"])
        .assert()
        .success()
        .stdout("third\n");
    d.hush_no_password(&["lock"]).assert().success();
    let after = d
        .hush_no_password(&["get", "prod/K"])
        .output()
        .expect("run");
    assert!(
        !after.status.success(),
        "locking must end password-free access"
    );
    assert!(
        !d.home().join("agent.sock").exists(),
        "the socket is removed on lock"
    );
}

#[test]
fn agent_socket_and_data_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = setup();
    d.hush(&["unlock"]).assert().success();
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&d.home()), 0o700);
    assert_eq!(mode(&d.home().join("hush.db")), 0o600);
    assert_eq!(mode(&d.home().join("agent.sock")), 0o600);
    d.hush(&["lock"]).assert().success();
}

#[test]
fn unlock_timeout_locks_after_idle() {
    let d = setup();
    d.hush(&["set", "prod/K", "v"]).assert().success();
    d.hush(&["unlock", "--timeout", "1s"]).assert().success();
    // Wait for the condition (the socket disappears), bounded.
    let sock = d.home().join("agent.sock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sock.exists() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !sock.exists(),
        "the agent did not lock after its idle timeout"
    );
    assert!(
        !d.hush_no_password(&["get", "prod/K"])
            .output()
            .expect("run")
            .status
            .success()
    );
}

#[test]
fn passwd_rewraps_the_account_key() {
    let d = setup();
    d.hush(&["set", "prod/K", "kept"]).assert().success();
    d.hush(&["passwd"])
        .env("HUSH_NEW_PASSWORD", "a brand new password")
        .assert()
        .success();
    let err = d.fails(&["get", "prod/K"]);
    assert!(err.contains("wrong master password"), "{err}");
    d.hush(&["get", "prod/K"])
        .env("HUSH_PASSWORD", "a brand new password")
        .assert()
        .success()
        .stdout("kept\n");
}

#[test]
fn errors_are_one_clear_line_with_a_nonzero_exit() {
    let d = setup();
    d.hush(&["set", "prod/K", "v"]).assert().success();

    let wrong = d
        .hush(&["get", "prod/K"])
        .env("HUSH_PASSWORD", "nope")
        .output()
        .expect("run");
    assert_eq!(wrong.status.code(), Some(1));
    let e = String::from_utf8_lossy(&wrong.stderr);
    assert_clean_error(&e);
    assert!(e.contains("wrong master password"), "{e}");
    assert!(wrong.stdout.is_empty());

    let e = d.fails(&["get", "staging/K"]);
    assert!(
        e.contains("vault `staging`") && e.contains("not found"),
        "{e}"
    );
    let e = d.fails(&["set", "staging/K", "v"]);
    assert!(e.contains("vault `staging`"), "{e}");

    for bad in ["prod", "prod/", "a/b/c/d", "/K", "prod/ K"] {
        let e = d.fails(&["get", bad]);
        assert!(e.contains("malformed address"), "{bad}: {e}");
    }

    let tpl = d.dir.path().join("t.tpl");
    std::fs::write(&tpl, "x={{ hush://prod/NOPE }}\n").expect("write");
    let e = d.fails(&["inject", "-i", tpl.to_str().expect("utf-8")]);
    assert!(e.contains("hush://prod/NOPE"), "{e}");

    let e = d.fails(&["inject", "-i", "/nonexistent/template"]);
    assert!(e.contains("/nonexistent/template"), "{e}");
    let e = d.fails(&["run", "--env-file", "/nonexistent/.env", "--", "true"]);
    assert!(e.contains("/nonexistent/.env"), "{e}");

    let e = d.fails(&["set", "prod/K", "v", "--expires", "2030-02-30"]);
    assert!(e.contains("invalid date"), "{e}");
    let e = d.fails(&["set", "prod/K", "v", "--rotate-every", "soon"]);
    assert!(e.contains("invalid period"), "{e}");
    let e = d.fails(&["vault", "create", "prod"]);
    assert!(e.contains("already exists"), "{e}");
    let e = d.fails(&["team", "use", "nope"]);
    assert!(e.contains("team `nope`"), "{e}");

    let fresh = hush_tests::Device::new();
    let e = fresh.fails(&["ls"]);
    assert!(e.contains("hush init"), "{e}");
}

#[test]
fn teams_scope_vaults_and_addresses() {
    let d = setup();
    d.hush(&["set", "prod/K", "personal-value"])
        .assert()
        .success();
    d.hush(&["team", "create", "acme"]).assert().success();
    d.hush(&["vault", "create", "prod"]).assert().success();
    d.hush(&["set", "prod/K", "acme-value"]).assert().success();
    // The selected team wins for VAULT/NAME; TEAM/VAULT/NAME and --team pick explicitly.
    assert_eq!(d.out(&["get", "prod/K"]), "acme-value\n");
    assert_eq!(d.out(&["get", "personal/prod/K"]), "personal-value\n");
    assert_eq!(
        d.out(&["--team", "personal", "get", "prod/K"]),
        "personal-value\n"
    );
    d.hush(&["team", "use", "personal"]).assert().success();
    assert_eq!(d.out(&["get", "prod/K"]), "personal-value\n");
    let teams = d.out(&["team", "list"]);
    assert!(
        teams.contains("  acme") && teams.contains("* personal"),
        "{teams}"
    );
    // A vault that exists only in another team is found there.
    d.hush(&["--team", "acme", "vault", "create", "only-acme"])
        .assert()
        .success();
    d.hush(&["--team", "acme", "set", "only-acme/X", "x"])
        .assert()
        .success();
    assert_eq!(d.out(&["get", "only-acme/X"]), "x\n");
}

/// `hush completions bash` sourced in a real bash: a TAB after `hush get pr` offers the unlocked
/// agent's secret names, `--vault` offers vault names, and a locked store offers none (and asks
/// for nothing). The other shells get a script that calls back into hush.
#[test]
fn shell_completion_offers_names_from_the_unlocked_agent() {
    let d = Device::init("ada");
    d.out(&["vault", "create", "prod"]);
    for name in ["STRIPE_KEY", "GITHUB_TOKEN"] {
        d.hush(&["set", &format!("prod/{name}")])
            .write_stdin("v")
            .assert()
            .success();
    }
    let bin_dir = hush_tests::bin("hush")
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // What bash does on TAB: fill COMP_WORDS/COMP_CWORD, call the registered function.
    let tab = |words: &[&str]| -> Vec<String> {
        let script = format!(
            "source <(hush completions bash) && COMP_WORDS=({}) && COMP_CWORD={} && _clap_complete_hush hush {} hush && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1,
            format_args!("'{}'", words[words.len() - 1]),
        );
        let o = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("PATH", &path)
            .env("HUSH_HOME", d.home())
            .env_remove("HUSH_PASSWORD")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run bash");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // Locked: no names, no prompt, and subcommands still complete.
    assert!(tab(&["hush", "get", "pr"]).is_empty());
    assert!(tab(&["hush", "compl"]).contains(&"completions".to_owned()));

    d.out(&["unlock"]);
    assert_eq!(
        tab(&["hush", "get", "pr"]),
        ["prod/GITHUB_TOKEN", "prod/STRIPE_KEY"]
    );
    assert_eq!(
        tab(&["hush", "history", "personal/prod/S"]),
        ["personal/prod/STRIPE_KEY"]
    );
    assert_eq!(tab(&["hush", "run", "--vault", "p"]), ["prod"]);
    d.out(&["lock"]);

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = d.out(&["completions", shell]);
        assert!(script.contains("HUSH_COMPLETE"), "{shell}: {script}");
    }
    d.hush(&["completions", "tcsh"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "possible values: bash, elvish, fish, powershell, zsh",
        ));
}

/// `hush env diff` names what differs between two vaults (never a value) and exits 1 when they
/// differ; `hush env check --example` exits 1 naming every key the vault lacks.
#[test]
fn env_diff_and_check_name_keys_never_values() {
    let d = Device::init("ada");
    for v in ["app-dev", "app-prod"] {
        d.out(&["vault", "create", v]);
    }
    let set = |addr: &str, value: &str| {
        d.hush(&["set", addr]).write_stdin(value).assert().success();
    };
    set("app-dev/SHARED", "same-value-111");
    set("app-prod/SHARED", "same-value-111");
    set("app-dev/DATABASE_URL", "postgres://dev-secret-222");
    set("app-prod/DATABASE_URL", "postgres://prod-secret-333");
    set("app-dev/DEBUG_TOKEN", "dev-only-444");
    set("app-prod/STRIPE_KEY", "prod-only-555");

    let o = d
        .hush(&["env", "diff", "app-dev", "app-prod"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "the vaults differ");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out,
        "only in app-dev\tDEBUG_TOKEN\nonly in app-prod\tSTRIPE_KEY\ndiffers\tDATABASE_URL\n"
    );
    let all = format!("{out}{}", String::from_utf8_lossy(&o.stderr));
    for value in ["111", "222", "333", "444", "555"] {
        assert!(!all.contains(value), "a value was printed: {all}");
    }
    let o = d
        .hush(&["--json", "env", "diff", "app-dev", "app-prod"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["same"], 1);
    assert_eq!(json["differ"][0], "DATABASE_URL");
    // A vault against itself: no difference, exit 0.
    d.hush(&["env", "diff", "app-dev", "app-dev"])
        .assert()
        .success();

    let example = d.dir.path().join(".env.example");
    std::fs::write(
        &example,
        "# what the app needs\nDATABASE_URL=\nSTRIPE_KEY=sk_test_placeholder\nexport SHARED=\nREDIS_URL=redis://localhost\nnot a line\n",
    )
    .expect("write");
    let ex = example.to_str().expect("utf-8");
    let o = d
        .hush(&["env", "check", "app-prod", "--example", ex])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "REDIS_URL is missing");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "missing in app-prod\tREDIS_URL\n"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("lacks 1 of the 4 keys"), "{err}");
    assert!(
        err.contains(":6: not KEY=value"),
        "the odd line is named: {err}"
    );
    let o = d
        .hush(&["env", "check", "app-dev", "--example", ex])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "missing in app-dev\tSTRIPE_KEY\nmissing in app-dev\tREDIS_URL\n"
    );
    std::fs::write(&example, "SHARED=\nDATABASE_URL=\n").expect("write");
    d.hush(&["env", "check", "app-dev", "--example", ex])
        .assert()
        .success()
        .stdout("");
    // A vault that does not exist is an error, not "everything is missing".
    let e = d.fails(&["env", "check", "nope", "--example", ex]);
    assert!(e.contains("nope"), "{e}");
}

/// `hush manpages DIR` writes one page per command from the same definitions as `--help`.
#[test]
fn man_pages_cover_every_command() {
    let d = Device::new();
    let dir = d.dir.path().join("man/man1");
    d.hush_no_password(&["manpages", dir.to_str().expect("utf-8")])
        .assert()
        .success()
        .stderr(predicates::str::contains("man pages into"));
    let page = |name: &str| {
        std::fs::read_to_string(dir.join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"))
    };
    assert!(page("hush").contains(".TH hush 1"));
    for (name, says) in [
        ("hush-set", "hidden prompt"),
        ("hush-run", "\\-\\-watch"),
        ("hush-override-set", "never synced"),
        ("hush-env-check", "\\-\\-example"),
        ("hush-team-create", ".SH NAME"),
    ] {
        assert!(page(name).contains(says), "{name}.1 lacks {says}");
    }
    let pages = std::fs::read_dir(&dir).expect("dir").count();
    assert!(pages >= 60, "{pages} pages");
}
