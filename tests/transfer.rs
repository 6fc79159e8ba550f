//! `hush import`, `hush export`, `hush backup` and `hush restore` through the real binary, with
//! export files written by hand from each tool's documented layout (`fixtures/transfer/`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use hush_tests::{Device, contains_bytes, files_under};

const PASSPHRASE: &str = "a long backup passphrase for tests";

fn fixture(name: &str) -> String {
    format!("{}/fixtures/transfer/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn get(d: &Device, address: &str) -> String {
    let out = d.out(&["get", address]);
    out.strip_suffix('\n').unwrap_or(&out).to_owned()
}

fn note_of(d: &Device, vault: &str, name: &str) -> String {
    let list: serde_json::Value =
        serde_json::from_str(&d.out(&["--json", "ls", vault])).expect("json");
    let item = list
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{vault}/{name} not listed"));
    item["meta"]["note"].as_str().expect("note").to_owned()
}

#[test]
fn import_1password_csv_prints_an_exact_summary() {
    let d = Device::init("alice");
    let out = d.out(&["import", "1password", &fixture("1password.csv")]);
    assert_eq!(
        out,
        "Imported 3 secrets from 1Password CSV into team personal (created vaults: imported).
  line 2: imported/GITHUB_TOKEN (v1)
  line 3: imported/STRIPE_API_KEY_LIVE_EU (v1)
    note: one-time password seed not imported
  line 6: imported/CAF_API (v1)
Skipped 3:
  line 5 \"Wi-Fi office\": no password
  line 7 \"GitHub token\": imported/GITHUB_TOKEN is also the name of an earlier entry of this file (line 2)
  line 8 \"Old key\": archived in 1Password
"
    );
    // Quoted commas and doubled quotes, unicode.
    assert_eq!(get(&d, "imported/GITHUB_TOKEN"), "ghp_1PwExampleToken");
    assert_eq!(get(&d, "imported/STRIPE_API_KEY_LIVE_EU"), "sk_live_a,b\"c");
    assert_eq!(get(&d, "imported/CAF_API"), "pässwörd-Ω");
    // A multi-line note, the title kept where the name had to change it.
    assert_eq!(
        note_of(&d, "imported", "STRIPE_API_KEY_LIVE_EU"),
        "Stripe API key (live), EU\n\nRotated yearly.\nSecond line: ünïcödé ✓"
    );
    assert_eq!(
        note_of(&d, "imported", "GITHUB_TOKEN"),
        "GitHub token\nusername: octocat\n\nFine-grained token, repo scope"
    );

    // Again: everything exists now, so everything is skipped, nothing written (--json).
    let report: serde_json::Value =
        serde_json::from_str(&d.out(&["--json", "import", "1password", &fixture("1password.csv")]))
            .expect("json");
    assert_eq!(report["imported"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(6));
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("already exists")),
        "{report}"
    );
    // --overwrite writes new versions instead.
    let out = d.out(&[
        "import",
        "1password",
        &fixture("1password.csv"),
        "--overwrite",
    ]);
    assert!(out.contains("line 2: imported/GITHUB_TOKEN (v2)"), "{out}");
}

#[test]
fn import_keepassxc_csv_maps_groups_to_vaults() {
    let d = Device::init("alice");
    let out = d.out(&["import", "keepassxc", &fixture("keepassxc.csv")]);
    assert_eq!(
        out,
        "Imported 2 secrets from KeePassXC CSV into team personal (created vaults: imported, internet-email).
  line 2: imported/AWS_ROOT (v1)
  line 3: internet-email/MAIL_SERVER (v1)
    note: TOTP seed not imported
Skipped 3:
  line 6 \"Old thing\": in the KeePassXC recycle bin
  line 7 \"Ключ\": the title has no ASCII letter or digit to name the secret after; rename it and import again
  line 8 \"No password\": no password
"
    );
    assert_eq!(get(&d, "imported/AWS_ROOT"), "aws-Secret/Key+1");
    assert_eq!(
        get(&d, "internet-email/MAIL_SERVER"),
        "p@ss, with \"comma\""
    );
    assert_eq!(
        note_of(&d, "internet-email", "MAIL_SERVER"),
        "Mail server\nusername: postmaster\n\nmulti\nline\nnote"
    );
    // --vault puts everything in one vault.
    let d = Device::init("bob");
    let out = d.out(&[
        "import",
        "keepassxc",
        &fixture("keepassxc.csv"),
        "--vault",
        "ops",
    ]);
    assert!(out.contains("(created vaults: ops)"), "{out}");
    assert_eq!(d.out(&["ls"]), "ops/AWS_ROOT\nops/MAIL_SERVER\n");
}

#[test]
fn import_bitwarden_json() {
    let d = Device::init("alice");
    let out = d.out(&["import", "bitwarden", &fixture("bitwarden.json")]);
    assert_eq!(
        out,
        "Imported 4 secrets from Bitwarden JSON into team personal (created vaults: payments-prod, imported, dev).
  item 1: payments-prod/STRIPE_LIVE (v1)
  item 1 field \"webhook secret\": payments-prod/STRIPE_LIVE_WEBHOOK_SECRET (v1)
  item 2: imported/DEPLOY_NOTES (v1)
  item 6: dev/NPM_TOKEN (v1)
    note: TOTP seed not imported
Skipped 3:
  item 3 \"Corporate card\": payment card (not imported)
  item 4 \"Empty login\": no password
  item 5 \"Me\": identity (not imported)
"
    );
    assert_eq!(get(&d, "payments-prod/STRIPE_LIVE"), "sk_live_bwValue");
    assert_eq!(
        get(&d, "payments-prod/STRIPE_LIVE_WEBHOOK_SECRET"),
        "whsec_bwHidden"
    );
    assert_eq!(
        get(&d, "imported/DEPLOY_NOTES"),
        "-----BEGIN KEY-----\nbw-note-body\n-----END KEY-----"
    );
    assert_eq!(get(&d, "dev/NPM_TOKEN"), "npm_Abc\"quoted\"");
    assert_eq!(
        note_of(&d, "payments-prod", "STRIPE_LIVE"),
        "Stripe live\nusername: ops@example.com\naccount: acct_123\nmore URLs: https://stripe.com\n\nLive key.\nDo not share."
    );

    // An encrypted export is refused with what to do instead.
    let enc = d.dir.path().join("encrypted.json");
    std::fs::write(
        &enc,
        r#"{"encrypted": true, "passwordProtected": true, "salt": "x", "data": "2.abc"}"#,
    )
    .expect("write");
    let err = d.fails(&["import", "bitwarden", enc.to_str().expect("utf-8")]);
    assert!(err.contains("unencrypted .json"), "{err}");
}

#[test]
fn a_malformed_file_half_way_imports_nothing() {
    let d = Device::init("alice");
    d.hush(&["vault", "create", "prod"]).assert().success();
    d.hush(&["set", "prod/KEEP", "keep-value"])
        .assert()
        .success();
    let before = d.out(&["ls"]);
    let err = d.fails(&["import", "1password", &fixture("1password-malformed.csv")]);
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "a value leaked into the error: {err}"
    );
    assert_eq!(d.out(&["ls"]), before);
    assert_eq!(d.out(&["vault", "list"]), "prod\n");

    // Truncated JSON: the same.
    let bad = d.dir.path().join("truncated.json");
    let full = std::fs::read_to_string(fixture("bitwarden.json")).expect("read");
    std::fs::write(&bad, &full[..full.len() / 2]).expect("write");
    let err = d.fails(&["import", "bitwarden", bad.to_str().expect("utf-8")]);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        !err.contains("sk_live"),
        "a value leaked into the error: {err}"
    );
    assert_eq!(d.out(&["ls"]), before);

    // A dotenv file needs a vault; a missing file is a clean error.
    let err = d.fails(&["import", "dotenv", &fixture("app.env")]);
    assert!(err.contains("--vault"), "{err}");
    let err = d.fails(&["import", "keepassxc", "/nonexistent/file.csv"]);
    assert!(err.contains("cannot read"), "{err}");
    assert_eq!(d.out(&["ls"]), before);
}

#[test]
fn export_refuses_without_plaintext_and_round_trips_dotenv() {
    let d = Device::init("alice");
    let out = d.out(&["import", "dotenv", &fixture("app.env"), "--vault", "dev"]);
    assert_eq!(
        out,
        "Imported 3 secrets from dotenv into team personal (created vaults: dev).
  entry 1: dev/DATABASE_URL (v1)
  entry 2: dev/STRIPE_KEY (v1)
  entry 3: dev/MULTI (v1)
Skipped 2:
  entry 4 \"EMPTY\": empty value
  entry 5 \"REF\": the value is a hush:// reference, not a secret
"
    );
    d.hush(&["set", "dev/QUOTES", "it's \"both\" $HOME"])
        .assert()
        .success();
    // Quote, double quote, dollar and backslash together: no dotenv quoting holds it exactly.
    d.hush(&["set", "dev/MIXED", "it's \"both\" $HOME\\n"])
        .assert()
        .success();

    let o = d.hush(&["export", "dev"]).output().expect("run");
    assert!(!o.status.success());
    assert!(o.stdout.is_empty(), "printed something without --plaintext");
    let err = String::from_utf8_lossy(&o.stderr);
    hush_tests::assert_clean_error(&err);
    assert!(err.contains("--plaintext"), "{err}");
    assert!(err.contains("plaintext"), "{err}");

    let o = d
        .hush(&["export", "dev", "--format", "dotenv", "--plaintext"])
        .output()
        .expect("run");
    // The rest is printed; the secret left out is named, and the exit code says so.
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("hush: error: dev/MIXED left out") && err.contains("as JSON"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("MIXED"));
    assert!(
        err.contains("hush: warning:") && err.contains("plaintext"),
        "{err}"
    );
    let env_file = d.dir.path().join("exported.env");
    std::fs::write(&env_file, &o.stdout).expect("write");

    // The export reads back exactly, into another vault and onto another device.
    let e = Device::init("bob");
    e.out(&[
        "import",
        "dotenv",
        env_file.to_str().expect("utf-8"),
        "--vault",
        "copy",
    ]);
    for name in ["DATABASE_URL", "STRIPE_KEY", "MULTI", "QUOTES"] {
        assert_eq!(
            get(&e, &format!("copy/{name}")),
            get(&d, &format!("dev/{name}")),
            "{name}"
        );
    }
    assert_eq!(get(&e, "copy/MULTI"), "line one\nline two");
    assert_eq!(
        get(&e, "copy/DATABASE_URL"),
        "postgres://app:pa ss@localhost/app"
    );

    // JSON: values and metadata.
    let json: serde_json::Value = serde_json::from_slice(
        &d.hush(&["export", "dev", "--format", "json", "--plaintext"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("json");
    let stripe = json
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == "STRIPE_KEY")
        .expect("STRIPE_KEY");
    assert_eq!(stripe["value"], "sk_test_dotenv123");
    assert_eq!(stripe["vault"], "dev");
}

#[test]
fn import_through_the_agent() {
    let d = Device::init("alice");
    d.hush(&["unlock", "--timeout", "5m"]).assert().success();
    let out = d
        .hush_no_password(&["import", "keepassxc", &fixture("keepassxc.csv")])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = d
        .hush_no_password(&["get", "internet-email/MAIL_SERVER"])
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "p@ss, with \"comma\"\n");
}

fn backup(d: &Device, file: &Path) {
    let o = d
        .hush(&["backup", file.to_str().expect("utf-8")])
        .env("HUSH_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("PLAINTEXT"), "the warning is missing: {err}");
}

fn populated() -> Device {
    let d = Device::init("alice");
    d.out(&["import", "1password", &fixture("1password.csv")]);
    d.out(&["import", "bitwarden", &fixture("bitwarden.json")]);
    d.hush(&["team", "create", "acme"]).assert().success();
    d.hush(&["vault", "create", "prod"]).assert().success();
    d.hush(&["set", "prod/ACME_KEY", "acme-value-42"])
        .assert()
        .success();
    d
}

const VALUES: &[&str] = &[
    "ghp_1PwExampleToken",
    "sk_live_a,b\"c",
    "sk_live_bwValue",
    "whsec_bwHidden",
    "acme-value-42",
];

#[test]
fn backup_and_restore_round_trip() {
    let d = populated();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let file = out_dir.path().join("hush.backup.age");
    backup(&d, &file);

    // The file is an age file, private, and holds no value in plaintext.
    let bytes = std::fs::read(&file).expect("read backup");
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    for v in VALUES {
        assert!(!contains_bytes(&bytes, v.as_bytes()), "{v} in plaintext");
    }
    // No temporary file was left behind, next to the backup or in the data directory.
    assert_eq!(
        std::fs::read_dir(out_dir.path()).expect("ls").count(),
        1,
        "stray files next to the backup"
    );
    for f in files_under(&d.home()) {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        assert!(
            name.as_deref().is_some_and(|n| n.starts_with("hush.db")),
            "stray file {}",
            f.display()
        );
    }
    // Refuses to overwrite, and refuses short passphrases.
    let err = d.fails(&["backup", file.to_str().expect("utf-8")]);
    assert!(err.contains("already exists"), "{err}");
    let o = d
        .hush(&[
            "backup",
            out_dir.path().join("x.age").to_str().expect("utf-8"),
        ])
        .env("HUSH_BACKUP_PASSPHRASE", "short")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 12"));
    assert!(!out_dir.path().join("x.age").exists());

    // Into a fresh data directory: the same secrets with the same master password.
    let fresh = Device::new();
    let o = fresh
        .hush_no_password(&["restore", file.to_str().expect("utf-8")])
        .env("HUSH_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fresh.out(&["ls"]), d.out(&["ls"]));
    assert_eq!(
        fresh.out(&["--team", "personal", "ls"]),
        d.out(&["--team", "personal", "ls"])
    );
    assert_eq!(fresh.out(&["team", "list"]), d.out(&["team", "list"]));
    assert_eq!(get(&fresh, "acme/prod/ACME_KEY"), "acme-value-42");
    assert_eq!(
        get(&fresh, "personal/payments-prod/STRIPE_LIVE_WEBHOOK_SECRET"),
        "whsec_bwHidden"
    );
    assert!(fresh.out(&["audit", "verify"]).starts_with("ok:"));
    let mode = std::fs::metadata(fresh.home())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let mode = std::fs::metadata(fresh.home().join("hush.db"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A store is there now: refused without --force; a wrong passphrase changes nothing.
    let err = fresh.fails(&["restore", file.to_str().expect("utf-8")]);
    assert!(err.contains("--force"), "{err}");
    let o = fresh
        .hush(&["restore", "--force", file.to_str().expect("utf-8")])
        .env("HUSH_BACKUP_PASSPHRASE", "not the right passphrase")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong backup passphrase"));
    assert_eq!(get(&fresh, "acme/prod/ACME_KEY"), "acme-value-42");

    // --force keeps the old store aside, never deletes it.
    fresh
        .hush(&["set", "acme/prod/AFTER", "written-after-backup"])
        .assert()
        .success();
    let o = fresh
        .hush(&["restore", "--force", file.to_str().expect("utf-8")])
        .env("HUSH_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        fresh
            .fails(&["get", "acme/prod/AFTER"])
            .contains("not found")
    );
    let kept: Vec<PathBuf> = files_under(&fresh.home())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("hush.db.before-restore-"))
        })
        .collect();
    assert!(!kept.is_empty(), "the previous store was not kept");

    // Not a backup at all.
    let junk = out_dir.path().join("junk.age");
    std::fs::write(&junk, b"this is not an age file").expect("write");
    let other = Device::new();
    let o = other
        .hush(&["restore", junk.to_str().expect("utf-8")])
        .env("HUSH_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a backup"));
    assert!(!other.home().join("hush.db").exists());
}

/// The stock `age` tool (Debian's package) opens the backup with the passphrase alone, and
/// `secrets.json` inside has the values. `age -d` reads a passphrase only from a terminal, so it
/// runs under `script`, which gives it a pseudo-terminal fed from our pipe.
#[test]
fn the_age_tool_opens_a_backup() {
    if !command_exists("age") {
        assert!(
            std::env::var_os("HUSH_REQUIRE_AGE").is_none(),
            "HUSH_REQUIRE_AGE is set but the `age` tool is not installed (apt-get install age)"
        );
        eprintln!(
            "\n\n!!! SKIPPING the_age_tool_opens_a_backup: the `age` tool is not installed (apt-get install age; scripts/test.sh does) !!!\n\n"
        );
        return;
    }
    let d = populated();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("b.age");
    backup(&d, &file);
    let tar = dir.path().join("b.tar");

    let mut child = std::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "age -d -o '{}' '{}'",
            tar.display(),
            file.display()
        ))
        .arg("/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run script");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        let mut told = false;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if !told && contains_bytes(&seen, b"passphrase") {
                told = true;
                let _ = tx.send(());
            }
        }
        seen
    });
    if rx.recv_timeout(std::time::Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("age never asked for the passphrase");
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSPHRASE}\n").as_bytes())
        .expect("type the passphrase");
    let status = child.wait().expect("wait");
    drop(stdin);
    let screen = reader.join().expect("reader");
    assert!(
        status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&screen)
    );

    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .expect("tar -t");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout),
        "README.txt\nmanifest.json\nstore/hush.db\nsecrets.json\n"
    );
    let secrets = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("secrets.json")
        .output()
        .expect("tar -x");
    assert!(secrets.status.success());
    let json: serde_json::Value = serde_json::from_slice(&secrets.stdout).expect("json");
    let list = json["secrets"].as_array().expect("secrets");
    let find = |team: &str, vault: &str, name: &str| {
        list.iter()
            .find(|s| s["team"] == team && s["vault"] == vault && s["name"] == name)
            .map(|s| s["value"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        find("acme", "prod", "ACME_KEY").as_deref(),
        Some("acme-value-42")
    );
    assert_eq!(
        find("personal", "imported", "STRIPE_API_KEY_LIVE_EU").as_deref(),
        Some("sk_live_a,b\"c")
    );
    assert_eq!(list.len(), 8);
}

fn command_exists(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()))
}
