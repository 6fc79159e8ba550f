//! `hush scan` and `hush hook install` with the real binary: exact finding locations in a tree
//! (with .gitignore), the git index, git history, and the pre-commit hook with the agent running
//! and locked. Every command's stdout and stderr is checked for the planted values.

use std::path::Path;
use std::process::Output;

use hush_tests::{Device, assert_clean_error};

/// A value with no recognisable shape: only the vault knows it is a secret.
const SHAPELESS: &str = "zq8-plain-shapeless-value";
/// The first version of a secret that was changed since.
const ROTATED_OLD: &str = "rotated-old-value-111";
/// Its current version.
const ROTATED_NEW: &str = "rotated-new-value-222";
/// The value of a deleted secret.
const GONE: &str = "deleted-item-value-9";
/// Shorter than the 8-byte minimum: never searched for.
const PIN: &str = "4711815";

/// A GitHub-shaped token, built at run time so this file holds no token literal.
fn github_token() -> String {
    format!("ghp_{}", "aZ09bY18cX27".repeat(3))
}

/// Everything that must never appear in any output.
fn secrets() -> Vec<String> {
    vec![
        SHAPELESS.into(),
        ROTATED_OLD.into(),
        ROTATED_NEW.into(),
        GONE.into(),
        github_token(),
        // Not even a prefix of a value.
        SHAPELESS[..12].into(),
        ROTATED_OLD[..12].into(),
    ]
}

fn assert_no_leak(o: &Output) {
    let all = [&o.stdout[..], &o.stderr[..]].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(!text.contains("panicked"), "panic: {text}");
    for s in secrets() {
        assert!(!text.contains(&s), "output leaks {s:?}: {text}");
    }
}

/// A device whose vault holds the values above.
fn setup() -> Device {
    let d = Device::init("alice");
    // Through the agent: one Argon2id derivation instead of one per command.
    d.hush(&["unlock"]).assert().success();
    d.hush(&["vault", "create", "pay"]).assert().success();
    for (address, value) in [
        ("pay/SHAPELESS", SHAPELESS),
        ("pay/ROTATED", ROTATED_OLD),
        ("pay/ROTATED", ROTATED_NEW),
        ("pay/GONE", GONE),
        ("pay/PIN", PIN),
    ] {
        d.hush(&["set", address, value]).assert().success();
    }
    d.hush(&["rm", "pay/GONE"]).assert().success();
    d.hush(&["lock"]).assert().success();
    d
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// `hush ARGS` in `dir`, with the test password; never inherits the machine's git config.
fn hush_in(d: &Device, dir: &Path, args: &[&str]) -> Output {
    let o = hermetic(d.hush(args).current_dir(dir))
        .output()
        .expect("run hush");
    assert_no_leak(&o);
    o
}

/// Same, with no password source: only an agent can provide values.
fn hush_locked_in(d: &Device, dir: &Path, args: &[&str]) -> Output {
    let o = hermetic(d.hush_no_password(args).current_dir(dir))
        .output()
        .expect("run hush");
    assert_no_leak(&o);
    o
}

fn hermetic(c: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
}

fn git(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("HUSH_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run git")
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git(dir, args);
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn new_repo(d: &Device) -> std::path::PathBuf {
    let repo = d.dir.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git_ok(&repo, &["init", "-q", "-b", "main"]);
    repo
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

#[test]
fn scan_reports_exact_locations_of_values_and_shapes_and_respects_gitignore() {
    let d = setup();
    let tree = d.dir.path().join("tree");
    write(&tree, ".gitignore", b"ignored/\n*.log\n");
    write(
        &tree,
        "src/app/config.py",
        format!(
            "import os\n\nDB_URL = os.environ[\"DB_URL\"]\nAPI = \"{SHAPELESS}\"\npin = {PIN}\n"
        )
        .as_bytes(),
    );
    write(&tree, "src/app/gone.txt", format!("x {GONE}\n").as_bytes());
    write(
        &tree,
        "src/deep/nested/old.env",
        format!("# old credentials\nROTATED={ROTATED_OLD}\n").as_bytes(),
    );
    write(
        &tree,
        "docs/readme.md",
        format!("# Readme\ntoken: {}\n", github_token()).as_bytes(),
    );
    write(
        &tree,
        "bin.dat",
        &[b"\0\x01\x02".as_slice(), ROTATED_NEW.as_bytes()].concat(),
    );
    // Ignored by .gitignore: never reported.
    write(&tree, "ignored/secret.txt", SHAPELESS.as_bytes());
    write(&tree, "src/app/debug.log", ROTATED_NEW.as_bytes());
    write(&tree, "clean.rs", b"fn main() {}\n");

    let o = hush_in(&d, &tree, &["scan"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "bin.dat:1:4: value personal/pay/ROTATED v2\n\
         docs/readme.md:2:8: rule github-token\n\
         src/app/config.py:4:8: value personal/pay/SHAPELESS v1\n\
         src/app/gone.txt:1:3: value personal/pay/GONE v1\n\
         src/deep/nested/old.env:2:9: value personal/pay/ROTATED v1\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("1 value(s) shorter than 8 bytes are not searched for"),
        "{err}"
    );
    assert!(err.contains("found 5 secret(s)"), "{err}");

    // The same with --json, and on one thread.
    let o = hush_in(&d, &tree, &["--json", "scan", "--threads", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let f = v["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 5);
    assert_eq!(f[2]["path"], "src/app/config.py");
    assert_eq!(f[2]["line"], 4);
    assert_eq!(f[2]["col"], 8);
    assert_eq!(f[2]["kind"], "value");
    assert_eq!(f[2]["secret"], "personal/pay/SHAPELESS v1");
    assert_eq!(f[1]["rule"], "github-token");
    assert_eq!(v["values_from"], "password");
    assert_eq!(v["short_values_skipped"], 1);

    // Explicit paths; an ignored file named explicitly is scanned.
    let o = hush_in(
        &d,
        &tree,
        &["scan", "src/app/config.py", "ignored/secret.txt"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "ignored/secret.txt:1:1: value personal/pay/SHAPELESS v1\n\
         src/app/config.py:4:8: value personal/pay/SHAPELESS v1\n"
    );

    // Key shapes only.
    let o = hush_in(&d, &tree, &["scan", "--patterns-only"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "docs/readme.md:2:8: rule github-token\n");

    // A clean file exits 0.
    let o = hush_in(&d, &tree, &["scan", "clean.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("no secrets found"));
}

#[test]
fn errors_exit_2_with_one_line() {
    let d = setup();
    let dir = d.dir.path().join("empty");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for args in [
        &["scan", "does-not-exist"][..],
        &["scan", "--staged"][..],
        &["scan", "--history"][..],
        &["scan", "--max-size", "lots"][..],
    ] {
        let o = hush_in(&d, &dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_clean_error(&stderr(&o));
    }
    // Without an agent, a password or a terminal, a normal scan cannot read the vault.
    let o = hush_locked_in(&d, &dir, &["scan"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hush unlock"), "{}", stderr(&o));
}

#[test]
fn an_uninitialised_store_scans_key_shapes_with_a_note() {
    let d = Device::new();
    let tree = d.dir.path().join("tree");
    write(
        &tree,
        "a.txt",
        format!("\n  {}\n", github_token()).as_bytes(),
    );
    let o = hush_locked_in(&d, &tree, &["scan"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a.txt:2:3: rule github-token\n");
    assert!(
        stderr(&o).contains("checking key shapes only"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let d = setup();
    let repo = new_repo(&d);
    write(&repo, "committed.txt", b"nothing here\n");
    git_ok(&repo, &["add", "committed.txt"]);
    git_ok(&repo, &["commit", "-q", "-m", "first"]);
    write(
        &repo,
        "conf/app.env",
        format!("A=1\nKEY={SHAPELESS}\n").as_bytes(),
    );
    git_ok(&repo, &["add", "conf/app.env"]);
    // The working tree no longer has the value; the index does.
    write(&repo, "conf/app.env", b"A=1\nKEY=hush://pay/SHAPELESS\n");

    let o = hush_in(&d, &repo, &["scan", "--staged"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "conf/app.env:2:5: value personal/pay/SHAPELESS v1\n"
    );
    // From a subdirectory too: paths stay relative to the repository.
    let o = hush_in(&d, &repo.join("conf"), &["scan", "--staged"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "conf/app.env:2:5: value personal/pay/SHAPELESS v1\n"
    );
    let o = hush_in(&d, &repo, &["scan"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // Once the fixed file is staged, the index is clean.
    git_ok(&repo, &["add", "conf/app.env"]);
    let o = hush_in(&d, &repo, &["scan", "--staged"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn history_finds_a_value_committed_then_removed() {
    let d = setup();
    let repo = new_repo(&d);
    write(&repo, "README", b"hello\n");
    git_ok(&repo, &["add", "README"]);
    git_ok(&repo, &["commit", "-q", "-m", "readme"]);
    write(
        &repo,
        "deploy/secrets.yml",
        format!("prod:\n  key: {ROTATED_OLD}\n").as_bytes(),
    );
    git_ok(&repo, &["add", "deploy/secrets.yml"]);
    git_ok(&repo, &["commit", "-q", "-m", "oops"]);
    let leaked_in = git_ok(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    git_ok(&repo, &["rm", "-q", "deploy/secrets.yml"]);
    git_ok(&repo, &["commit", "-q", "-m", "remove"]);
    // On another branch, a shape.
    git_ok(&repo, &["checkout", "-q", "-b", "side"]);
    write(&repo, "t.txt", format!("{}\n", github_token()).as_bytes());
    git_ok(&repo, &["add", "t.txt"]);
    git_ok(&repo, &["commit", "-q", "-m", "token"]);
    let token_in = git_ok(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    git_ok(&repo, &["rm", "-q", "t.txt"]);
    git_ok(&repo, &["commit", "-q", "-m", "untoken"]);
    git_ok(&repo, &["checkout", "-q", "main"]);

    let o = hush_in(&d, &repo, &["scan"]);
    assert_eq!(o.status.code(), Some(0), "the working tree is clean");
    let o = hush_in(&d, &repo, &["scan", "--history"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{leaked_in}:deploy/secrets.yml:2:8: value personal/pay/ROTATED v1\n\
             {token_in}:t.txt:1:1: rule github-token\n"
        )
    );
}

fn install_hook(d: &Device, repo: &Path) {
    let o = hush_locked_in(d, repo, &["hook", "install"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `git commit` as the hook sees it: no password anywhere, the test's HUSH_HOME.
fn commit(d: &Device, repo: &Path, file: &str, body: &str) -> Output {
    write(repo, file, body.as_bytes());
    git_ok(repo, &["add", file]);
    let o = std::process::Command::new("git")
        .current_dir(repo)
        .args(["commit", "-q", "-m", file])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("HUSH_HOME", d.home())
        .env_remove("HUSH_PASSWORD")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run git commit");
    assert_no_leak(&o);
    o
}

fn committed_files(repo: &Path) -> String {
    git_ok(repo, &["ls-tree", "-r", "--name-only", "HEAD"])
}

#[test]
fn the_hook_blocks_vault_values_when_unlocked_and_key_shapes_always() {
    let d = setup();
    let repo = new_repo(&d);
    install_hook(&d, &repo);
    // Installing again is fine (its own hook).
    install_hook(&d, &repo);

    let o = commit(&d, &repo, "clean.txt", "all good\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(committed_files(&repo).contains("clean.txt"));

    // Locked: no agent, no prompt; the hook says it checks shapes only, and a shapeless vault
    // value gets through, while a key shape is blocked.
    let o = commit(&d, &repo, "locked.txt", &format!("v = {SHAPELESS}\n"));
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("hush is locked: checking key shapes only"),
        "{err}"
    );
    let o = commit(&d, &repo, "shape.txt", &format!("t = {}\n", github_token()));
    assert!(!o.status.success(), "a key shape must block the commit");
    let err = stderr(&o);
    assert!(err.contains("shape.txt:1:5: rule github-token"), "{err}");
    assert!(err.contains("commit blocked"), "{err}");
    assert!(!committed_files(&repo).contains("shape.txt"));
    git_ok(&repo, &["rm", "-q", "--cached", "shape.txt"]);

    // Unlocked: the agent provides every version of every value.
    let o = hush_in(&d, &repo, &["unlock", "--timeout", "5m"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = commit(
        &d,
        &repo,
        "config/app.ini",
        &format!("[x]\nold = {ROTATED_OLD}\n"),
    );
    let err = stderr(&o);
    assert!(!o.status.success(), "a vault value must block the commit");
    assert!(
        err.contains("config/app.ini:2:7: value personal/pay/ROTATED v1"),
        "{err}"
    );
    assert!(!err.contains("hush is locked"), "{err}");
    assert!(!committed_files(&repo).contains("app.ini"));
    git_ok(&repo, &["rm", "-q", "--cached", "config/app.ini"]);

    let o = commit(&d, &repo, "fine.txt", "key = hush://pay/ROTATED\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(committed_files(&repo).contains("fine.txt"));
    let o = hush_in(&d, &repo, &["lock"]);
    assert!(o.status.success());
}

#[test]
fn hook_install_refuses_a_foreign_hook_unless_forced_and_uninstall_removes_only_its_own() {
    let d = setup();
    let repo = new_repo(&d);
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").expect("write");

    let o = hush_locked_in(&d, &repo, &["hook", "install"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_clean_error(&err);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&hook).expect("read"),
        "#!/bin/sh\necho mine\n"
    );
    let o = hush_locked_in(&d, &repo, &["hook", "uninstall"]);
    assert!(!o.status.success(), "never removes someone else's hook");
    assert!(hook.exists());

    let o = hush_locked_in(&d, &repo, &["hook", "install", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/hooks/pre-commit.hush-backup")).expect("backup"),
        "#!/bin/sh\necho mine\n"
    );
    let script = std::fs::read_to_string(&hook).expect("read");
    assert!(script.contains("scan --staged --hook"), "{script}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&hook).expect("stat").permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "executable");

    let o = hush_locked_in(&d, &repo, &["hook", "uninstall"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!hook.exists());

    // Outside a repository: a clear error.
    let elsewhere = d.dir.path().join("not-a-repo");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let o = hush_locked_in(&d, &elsewhere, &["hook", "install"]);
    assert!(!o.status.success());
    assert_clean_error(&stderr(&o));
}
