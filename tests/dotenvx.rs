//! `.env` files read exactly as dotenvx reads them: the real `@dotenvx/dotenvx` (npm, pinned in
//! `tests/fixtures/dotenvx/package.json`, installed by `scripts/test.sh`) reads every file of
//! `tests/fixtures/dotenv/`, and `hush run --env-file FILE -- env -0` must give the command the
//! same value for every key, with the same environment, under hush's precedence (the file wins:
//! dotenvx's `overload`). The differences are the documented ones: a `hush://` value is resolved,
//! and a name that is not an environment variable name is skipped with a warning naming its line.
//!
//! Without npm's dotenvx the test says so and passes, unless `HUSH_REQUIRE_DOTENVX=1` (the
//! README's test command sets it, so CI never skips).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hush_tests::Device;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The environment both readers get (hush's process, and dotenvx's `processEnv`).
fn environment(d: &Device) -> BTreeMap<String, String> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", "/home/ada".to_owned()),
        ("USER", "ada".to_owned()),
        ("EMPTY_FROM_ENV", String::new()),
        ("HUSH_HOME", d.home().display().to_string()),
        ("HUSH_PASSWORD", hush_tests::PASSWORD.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// dotenvx's reading of `file`, or `None` when it is not installed.
fn dotenvx(file: &Path, env: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    let dir = fixtures().join("dotenvx");
    if !dir.join("node_modules/@dotenvx/dotenvx").is_dir() {
        assert!(
            std::env::var("HUSH_REQUIRE_DOTENVX").as_deref() != Ok("1"),
            "HUSH_REQUIRE_DOTENVX=1 but dotenvx is not installed: (cd tests/fixtures/dotenvx && npm ci)"
        );
        return None;
    }
    let mut child = std::process::Command::new("node")
        .arg(dir.join("parse.js"))
        .arg(file)
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run node");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(env).expect("json").as_bytes())
            .expect("write env");
    }
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "dotenvx failed on {}", file.display());
    Some(serde_json::from_slice(&out.stdout).expect("dotenvx JSON"))
}

/// What `hush run --env-file FILE` gives the command: its whole environment, and hush's stderr.
fn hush_run(file: &Path, env: &BTreeMap<String, String>) -> (BTreeMap<String, String>, String) {
    let out = std::process::Command::new(hush_tests::bin("hush"))
        .env_clear()
        .envs(env)
        .arg("run")
        .arg("--env-file")
        .arg(file)
        .args(["--", "env", "-0"])
        .output()
        .expect("run hush");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "hush run failed on {}: {stderr}",
        file.display()
    );
    let vars = out
        .stdout
        .split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| {
            let v = String::from_utf8_lossy(v);
            let (k, v) = v.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (vars, stderr)
}

/// A name `hush run` can put in an environment (what `env` shows and the shell can name).
fn env_name(k: &str) -> bool {
    let mut c = k.chars();
    c.next()
        .is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
        && c.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[test]
fn env_files_read_as_dotenvx_reads_them() {
    let d = Device::init("ada");
    d.out(&["vault", "create", "payments-prod"]);
    d.hush(&["set", "payments-prod/STRIPE_KEY"])
        .write_stdin("sk_live_from_hush")
        .assert()
        .success();
    let env = environment(&d);
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("dotenv"))
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the corpus is there: {files:?}");
    let mut compared = 0;
    let mut skipped_names = 0;
    for file in &files {
        let Some(reference) = dotenvx(file, &env) else {
            println!(
                "env_files_read_as_dotenvx_reads_them: skipped: npm's dotenvx is not installed (cd tests/fixtures/dotenvx && npm ci)"
            );
            return;
        };
        let (got, stderr) = hush_run(file, &env);
        assert!(!stderr.contains("error"), "{}: {stderr}", file.display());
        for (k, want) in &reference {
            if !env_name(k) {
                // Skipped, with a warning that names the file, the line and the key.
                assert!(!got.contains_key(k), "{}: {k} was set", file.display());
                assert!(
                    stderr.lines().any(|l| l.contains("warning")
                        && l.contains(&format!(
                            "skipping {k}: not a valid environment variable name"
                        ))
                        && l.contains(&format!("{}:", file.display()))),
                    "{}: no warning for {k}: {stderr}",
                    file.display()
                );
                skipped_names += 1;
                continue;
            }
            let want = if want.starts_with("hush://") {
                "sk_live_from_hush"
            } else {
                want.as_str()
            };
            assert_eq!(
                got.get(k).map(String::as_str),
                Some(want),
                "{}: {k} differs from dotenvx",
                file.display()
            );
            compared += 1;
        }
    }
    println!(
        "dotenvx: {} files, {compared} keys equal to dotenvx's reading, {skipped_names} invalid names skipped with a warning",
        files.len()
    );
    assert!(compared >= 80, "{compared} keys compared");
}

#[test]
fn lines_that_are_not_assignments_and_command_substitution_are_warned_about_not_fatal() {
    let d = Device::init("ada");
    let env = environment(&d);
    let file = fixtures().join("dotenv/names.env");
    let (got, stderr) = hush_run(&file, &env);
    assert_eq!(got.get("VALID_NAME").map(String::as_str), Some("1"));
    assert_eq!(
        got.get("export").map(String::as_str),
        Some("a key called export")
    );
    for line in [6, 7, 8] {
        assert!(
            stderr.contains(&format!("{}:{line}: not", file.display())),
            "line {line}: {stderr}"
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    let sub = dir.path().join("sub.env");
    std::fs::write(&sub, "WHO=\"$(whoami)\"\nOK=1\n").expect("write");
    let (got, stderr) = hush_run(&sub, &env);
    assert_eq!(
        got.get("WHO").map(String::as_str),
        Some("$(whoami)"),
        "never run"
    );
    assert_eq!(got.get("OK").map(String::as_str), Some("1"));
    assert!(
        stderr.contains(":1: WHO: $(…) command substitution is not run"),
        "{stderr}"
    );
}
