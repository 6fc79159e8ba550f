//! Bad input and hostile environments: corrupted database pages, a truncated write-ahead log, a
//! full disk, a read-only data directory and wrong passwords. Each fault gets a clear one-line
//! error (`hush: error: …`) or, where the data allows, the right answer — never a panic and never
//! a wrong value — and once the fault is removed everything that was stored is still there.
//!
//! Also: the fuzz regression corpus. Every file under `fuzz/regressions/<target>/` goes through the
//! same property checks as the `cargo fuzz` target of that name (`fuzz/src/lib.rs`), and so do a
//! few seconds' worth of mutations of those files.
//!
//! The full-disk and read-only cases need root (a tmpfs mount, `chattr +i`, a read-only bind
//! mount); without it they say so loudly and fall back to what an ordinary user can do
//! (`chmod`), or skip.

#[path = "reliability_common.rs"]
mod common;

#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::figure;
use hush_tests::{Device, PASSWORD, assert_clean_error};

const PAGE: usize = 4096;

/// `name -> value` of every secret in vault `v` (through `hush export`).
fn export(d: &Device) -> Result<BTreeMap<String, String>, String> {
    let o = d
        .hush(&["export", "v", "--format", "json", "--plaintext"])
        .output()
        .expect("run hush");
    outcome(&o)?;
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&o.stdout).map_err(|e| format!("not JSON: {e}"))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_owned(),
                r["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect())
}

/// Ok for success; for failure the one-line error, after checking it is clean.
fn outcome(o: &std::process::Output) -> Result<(), String> {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if o.status.success() {
        assert!(!err.contains("panicked"), "panic: {err}");
        Ok(())
    } else {
        assert_clean_error(&err);
        Err(err.trim().to_owned())
    }
}

fn run(d: &Device, args: &[&str]) -> Result<String, String> {
    let o = d.hush(args).output().expect("run hush");
    outcome(&o)?;
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// A store with `n` secrets in vault `v` (values of 500–3000 bytes, so they span many pages),
/// imported in one command.
fn populated(n: usize) -> (Device, BTreeMap<String, String>) {
    let d = Device::init("bad-input");
    d.out(&["vault", "create", "v"]);
    let mut want = BTreeMap::new();
    let mut env = String::new();
    for i in 0..n {
        let value: String = (0..500 + (i * 97) % 2500)
            .map(|j| char::from(b'a' + ((i * 31 + j * 7) % 26) as u8))
            .collect();
        env.push_str(&format!("KEY_{i:03}={value}\n"));
        want.insert(format!("KEY_{i:03}"), value);
    }
    let file = d.dir.path().join("seed.env");
    std::fs::write(&file, env).expect("write seed");
    d.out(&[
        "import",
        "dotenv",
        file.to_str().expect("utf-8"),
        "--vault",
        "v",
    ]);
    std::fs::remove_file(&file).expect("remove seed");
    assert_eq!(export(&d).expect("export"), want);
    (d, want)
}

/// A fresh device whose home is a copy of `from`'s (database files only).
fn copy_of(from: &Device, with_wal: bool) -> Device {
    let d = Device::new();
    std::fs::create_dir_all(d.home()).expect("home");
    for name in ["hush.db", "hush.db-wal"] {
        let src = from.home().join(name);
        if src.exists() && (with_wal || name == "hush.db") {
            std::fs::copy(&src, d.home().join(name)).expect("copy");
        }
    }
    d
}

fn db(d: &Device) -> PathBuf {
    d.home().join("hush.db")
}

/// The gist of an error line, without numbers and paths: "hush: error: integrity check failed:
/// stored event N does not match its row".
fn error_kind(line: &str) -> String {
    let gist = line.split(';').next().unwrap_or(line);
    gist.split_whitespace()
        .map(|w| {
            if w.contains('/') {
                "<file>".to_owned()
            } else if w.chars().any(|c| c.is_ascii_digit()) {
                "N".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn corrupted_database_pages_give_clean_errors_and_lose_nothing() {
    let (orig, want) = populated(60);
    assert!(
        !orig.home().join("hush.db-wal").exists()
            || std::fs::metadata(orig.home().join("hush.db-wal"))
                .map(|m| m.len() == 0)
                .unwrap_or(true),
        "the log was checkpointed when the last command closed the store"
    );
    let size = std::fs::metadata(db(&orig)).expect("db").len() as usize;
    let pages = size / PAGE;
    assert!(pages >= 20, "a store of {pages} pages is too small to test");
    // The header page, the middle, the last, and a spread in between.
    let mut targets = vec![0, pages / 2, pages - 1];
    targets.extend((1..4).map(|k| k * pages / 5));
    targets.sort_unstable();
    targets.dedup();
    let (mut commands, mut errors, mut answered) = (0, 0, 0);
    let mut messages = std::collections::BTreeSet::new();
    for &p in &targets {
        let d = copy_of(&orig, false);
        let path = db(&d);
        let mut bytes = std::fs::read(&path).expect("read");
        let original: Vec<u8> = bytes[p * PAGE..(p + 1) * PAGE].to_vec();
        for (i, b) in bytes[p * PAGE..(p + 1) * PAGE].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(151).wrapping_add(p as u8) ^ 0xa5;
        }
        let garbage: Vec<u8> = bytes[p * PAGE..(p + 1) * PAGE].to_vec();
        std::fs::write(&path, &bytes).expect("corrupt");
        for args in [
            vec!["audit", "verify"],
            vec!["ls"],
            vec!["get", "v/KEY_000"],
            vec!["get", "v/KEY_030"],
            vec!["set", "v/NEW", "after-corruption"],
        ] {
            commands += 1;
            match run(&d, &args) {
                Ok(out) => {
                    answered += 1;
                    if args[0] == "get" {
                        let name = args[1].trim_start_matches("v/");
                        assert_eq!(out.trim_end(), want[name], "page {p}: wrong value");
                    }
                }
                Err(e) => {
                    errors += 1;
                    messages.insert(e);
                }
            }
        }
        match export(&d) {
            Ok(got) => {
                for (k, v) in &got {
                    if k != "NEW" {
                        assert_eq!(want.get(k), Some(v), "page {p}: wrong value for {k}");
                    }
                }
            }
            Err(_) => errors += 1,
        }
        // The fault removed: everything is there. (A write that went through while the page
        // was damaged, into a page SQLite did not need, may have reused it: then it is valid
        // again and stays as it is.)
        let mut now = std::fs::read(&path).expect("read");
        if now.get(p * PAGE..(p + 1) * PAGE) == Some(garbage.as_slice()) {
            now[p * PAGE..(p + 1) * PAGE].copy_from_slice(&original);
            std::fs::write(&path, &now).expect("restore");
        }
        run(&d, &["audit", "verify"])
            .unwrap_or_else(|e| panic!("page {p}: the store is damaged after the fault: {e}"));
        let got = export(&d).unwrap_or_else(|e| panic!("page {p}: {e}"));
        for (k, v) in &want {
            assert_eq!(got.get(k), Some(v), "page {p}: {k} lost");
        }
    }
    figure(&format!(
        "bad input: {} corrupted pages of a {pages}-page store (header, middle, last and between): {commands} commands + exports, {errors} clean one-line errors, {answered} correct answers, 0 wrong values, 0 panics; all {} secrets intact once the page was restored; errors seen: {}",
        targets.len(),
        want.len(),
        messages
            .iter()
            .map(|m| error_kind(m))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" | ")
    ));
}

#[test]
fn a_truncated_write_ahead_log_keeps_a_consistent_prefix() {
    let (orig, base) = populated(20);
    // Write more secrets through a session that stays open, so they sit in the WAL, and copy the
    // files at that moment (what a crash, or a careless backup, leaves behind).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let snapshot = tempfile::tempdir().expect("tmp");
    let in_wal: Vec<(String, String)> = (0..12)
        .map(|i| {
            (
                format!("WAL_{i:02}"),
                format!("in-the-log-{i}-{}", "x".repeat(i * 300)),
            )
        })
        .collect();
    rt.block_on(async {
        let mut s = hush_core::session::Session::unlock(
            &orig.home(),
            &hush_core::secret::SecretString::new(PASSWORD.into()),
            hush_core::session::system_clock(),
        )
        .await
        .expect("unlock");
        for (k, v) in &in_wal {
            s.set(
                None,
                &hush_core::address::Address::parse(&format!("v/{k}")).expect("addr"),
                &hush_core::secret::SecretString::new(v.clone()),
                hush_core::session::MetaUpdate::default(),
                hush_core::event::PutKind::Set,
            )
            .await
            .expect("set");
        }
        for name in ["hush.db", "hush.db-wal"] {
            std::fs::copy(orig.home().join(name), snapshot.path().join(name)).expect("snapshot");
        }
        s.close().await;
    });
    let wal = std::fs::read(snapshot.path().join("hush.db-wal")).expect("wal");
    assert!(
        wal.len() > 32 + 4 * (24 + PAGE),
        "the writes are in the WAL"
    );
    let frame = 24 + PAGE;
    let frames = (wal.len() - 32) / frame;
    let mut cuts = vec![0, 16, 32, 32 + frame / 2, wal.len() - 1, wal.len()];
    cuts.extend((1..6).map(|k| 32 + (k * frames / 6) * frame + 1000));
    cuts.sort_unstable();
    cuts.dedup();
    let mut recovered = Vec::new();
    for &cut in &cuts {
        let d = Device::new();
        std::fs::create_dir_all(d.home()).expect("home");
        std::fs::copy(snapshot.path().join("hush.db"), db(&d)).expect("copy");
        std::fs::write(d.home().join("hush.db-wal"), &wal[..cut]).expect("truncated wal");
        run(&d, &["audit", "verify"])
            .unwrap_or_else(|e| panic!("cut at {cut}: the committed prefix does not open: {e}"));
        let got = export(&d).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        for (k, v) in &base {
            assert_eq!(got.get(k), Some(v), "cut at {cut}: {k} (checkpointed) lost");
        }
        // Transactions commit in order: what survives is a prefix of the writes, whole.
        let present: Vec<bool> = in_wal
            .iter()
            .map(|(k, v)| match got.get(k) {
                Some(x) => {
                    assert_eq!(x, v, "cut at {cut}: {k} holds a torn value");
                    true
                }
                None => false,
            })
            .collect();
        let n = present.iter().take_while(|p| **p).count();
        assert!(
            present[n..].iter().all(|p| !p),
            "cut at {cut}: not a prefix: {present:?}"
        );
        if cut == wal.len() {
            assert_eq!(n, in_wal.len(), "the whole log recovers everything");
        }
        recovered.push(format!("{cut}:{n}"));
    }
    figure(&format!(
        "bad input: WAL of {} bytes ({frames} frames) truncated at {} points: every copy opened and verified, kept the {} checkpointed secrets and a whole prefix of the {} logged writes (cut:recovered {})",
        wal.len(),
        cuts.len(),
        base.len(),
        in_wal.len(),
        recovered.join(" ")
    ));
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Unmounts (lazily, so a leftover open file cannot block it) when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn sh(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_full_disk_gives_clean_errors_and_loses_nothing() {
    if !is_root() {
        eprintln!(
            "*** SKIPPED a_full_disk_gives_clean_errors_and_loses_nothing: needs root to mount a 2 MiB tmpfs ***"
        );
        return;
    }
    let d = Device::new();
    std::fs::create_dir_all(d.home()).expect("home");
    let home = d.home();
    let h = home.to_str().expect("utf-8");
    if !sh("mount", &["-t", "tmpfs", "-o", "size=2m", "tmpfs", h]) {
        eprintln!(
            "*** SKIPPED a_full_disk_gives_clean_errors_and_loses_nothing: root, but mounting a tmpfs failed (no CAP_SYS_ADMIN in this container?) ***"
        );
        return;
    }
    let _mount = Mount(home.clone());
    d.out(&["init", "--name", "full"]);
    d.out(&["vault", "create", "v"]);
    let mut want = BTreeMap::new();
    for i in 0..5 {
        let v = format!("before-full-{i}");
        d.out(&["set", &format!("v/K{i}"), &v]);
        want.insert(format!("K{i}"), v);
    }
    // Fill the file system to the last byte.
    let filler = home.join("filler");
    {
        let mut f = std::fs::File::create(&filler).expect("filler");
        let mut chunk = vec![0x5au8; 64 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) | Err(_) if chunk.len() == 1 => break,
                Ok(0) | Err(_) => {
                    let half = chunk.len() / 2;
                    chunk.truncate(half.max(1));
                }
                Ok(_) => {}
            }
        }
        let _ = f.sync_all();
        // Give back 96 KiB: the first writes fit, the later ones run out of space.
        let len = f.metadata().expect("filler size").len();
        f.set_len(len.saturating_sub(96 * 1024))
            .expect("shrink the filler");
    }
    let (mut errors, mut ok) = (0, 0);
    for i in 0..16 {
        let name = format!("FULL_{i:02}");
        let value = format!("{i}-{}", "y".repeat(1 + (i * i * 997) % 60_000));
        match run(&d, &["set", &format!("v/{name}"), &value]) {
            Ok(_) => {
                ok += 1;
                want.insert(name, value);
            }
            Err(e) => {
                errors += 1;
                assert!(
                    !e.contains(&value[..value.len().min(20)]),
                    "the value leaked into an error"
                );
            }
        }
        // Reads keep working or fail cleanly; never a wrong value.
        if i % 4 == 3
            && let Ok(out) = run(&d, &["get", "v/K0"])
        {
            assert_eq!(out, "before-full-0\n");
        }
    }
    assert!(errors > 0, "the disk never filled up");
    assert!(ok > 0, "nothing fit in the space given back");
    std::fs::remove_file(&filler).expect("free the space");
    run(&d, &["audit", "verify"]).expect("the store is sound after the disk filled up");
    assert_eq!(
        export(&d).expect("export"),
        want,
        "nothing lost, nothing half-written"
    );
    d.out(&["set", "v/AFTER", "space-again"]);
    figure(&format!(
        "bad input: full disk (2 MiB tmpfs filled, then 96 KiB given back): 16 writes of 2 B-60 KB, {ok} fit, then {errors} clean one-line errors; every written value readable and the log verified once space was freed"
    ));
}

/// The three ways to make a data directory unwritable: `chattr +i` and a read-only bind mount
/// (root), `chmod 0500` (ordinary users; root ignores it).
#[test]
fn a_read_only_data_directory_gives_clean_errors_and_loses_nothing() {
    let (d, want) = populated(10);
    let home = d.home();
    let files: Vec<PathBuf> = ["hush.db", "hush.db-wal", "hush.db-shm"]
        .iter()
        .map(|n| home.join(n))
        .filter(|p| p.exists())
        .collect();
    let mut modes = Vec::new();
    if is_root() {
        modes.push("chattr +i");
        modes.push("read-only bind mount");
    } else {
        eprintln!(
            "*** not root: chattr +i and the read-only bind mount are skipped; using chmod 0500 ***"
        );
        modes.push("chmod 0500");
    }
    let mut report = Vec::new();
    for mode in &modes {
        let h = home.to_str().expect("utf-8");
        let guard: Option<Mount> = match *mode {
            "chattr +i" => {
                if !sh("chattr", &["+i", h]) {
                    eprintln!(
                        "*** SKIPPED chattr +i: not supported here (no CAP_LINUX_IMMUTABLE, or the file system has no such attribute) ***"
                    );
                    continue;
                }
                for f in &files {
                    assert!(sh("chattr", &["+i", f.to_str().expect("utf-8")]), "chattr");
                }
                None
            }
            "read-only bind mount" => {
                if !sh("mount", &["--bind", h, h]) {
                    eprintln!(
                        "*** SKIPPED the read-only bind mount: mount failed (no CAP_SYS_ADMIN?) ***"
                    );
                    continue;
                }
                let m = Mount(home.clone());
                assert!(sh("mount", &["-o", "remount,bind,ro", h, h]), "remount ro");
                Some(m)
            }
            _ => {
                use std::os::unix::fs::PermissionsExt;
                for f in &files {
                    std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o400))
                        .expect("chmod");
                }
                std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o500))
                    .expect("chmod");
                None
            }
        };
        let set = run(&d, &["set", "v/NEW", "while-read-only"]);
        let e = set.expect_err("a write to a read-only store must fail");
        assert!(
            e.contains("is not writable"),
            "{mode}: the error names the cause: {e}"
        );
        let get = run(&d, &["get", "v/KEY_003"]);
        if let Ok(v) = &get {
            assert_eq!(v.trim_end(), want["KEY_003"]);
        }
        report.push(format!(
            "{mode}: set refused ({}), get {}",
            e.trim_start_matches("hush: error: "),
            if get.is_ok() {
                "answered"
            } else {
                "refused cleanly"
            }
        ));
        // Remove the fault.
        match *mode {
            "chattr +i" => {
                assert!(
                    sh("chattr", &["-i", home.to_str().expect("utf-8")]),
                    "chattr -i"
                );
                for f in &files {
                    assert!(
                        sh("chattr", &["-i", f.to_str().expect("utf-8")]),
                        "chattr -i"
                    );
                }
            }
            "chmod 0500" => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))
                    .expect("chmod");
                for f in &files {
                    std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600))
                        .expect("chmod");
                }
            }
            _ => {}
        }
        drop(guard);
        run(&d, &["audit", "verify"]).expect("sound after the fault");
        assert_eq!(export(&d).expect("export"), want, "{mode}: data lost");
    }
    if report.is_empty() {
        eprintln!(
            "*** SKIPPED a_read_only_data_directory_gives_clean_errors_and_loses_nothing: root without chattr or mount, and permissions do not stop root ***"
        );
        return;
    }
    d.out(&["set", "v/AFTER", "writable-again"]);
    figure(&format!(
        "bad input: read-only data directory, {}; all data intact afterwards",
        report.join("; ")
    ));
}

#[test]
fn a_hundred_wrong_passwords_each_get_one_clean_line_and_change_nothing() {
    let (d, want) = populated(5);
    let before = std::fs::read(db(&d)).expect("db");
    let lines = std::sync::Mutex::new(std::collections::BTreeSet::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let (d, lines) = (&d, &lines);
            s.spawn(move || {
                for i in 0..25 {
                    let wrong = format!("wrong-password-{t}-{i}");
                    let o = d
                        .hush_no_password(&["get", "v/KEY_001"])
                        .env("HUSH_PASSWORD", &wrong)
                        .output()
                        .expect("run hush");
                    assert!(!o.status.success(), "a wrong password opened the store");
                    assert!(o.stdout.is_empty(), "output with a wrong password");
                    let err = String::from_utf8(o.stderr).expect("utf-8");
                    assert_clean_error(&err);
                    assert_eq!(err.lines().count(), 1, "one line: {err}");
                    assert!(err.contains("password"), "{err}");
                    assert!(!err.contains(&wrong), "the attempt is echoed: {err}");
                    lines.lock().expect("lock").insert(err);
                }
            });
        }
    });
    let lines = lines.into_inner().expect("lock");
    assert_eq!(lines.len(), 1, "the same message every time: {lines:?}");
    assert_eq!(
        std::fs::read(db(&d)).expect("db"),
        before,
        "failed unlocks changed the store"
    );
    assert_eq!(export(&d).expect("export"), want);
    figure(&format!(
        "bad input: 100 wrong passwords: 100 × one clean line ({}), store unchanged byte for byte, all secrets readable with the right one",
        lines.iter().next().map_or("", |l| l.trim())
    ));
}

/// Runs every regression input through its fuzz target's checks.
#[test]
fn fuzz_regressions_pass_their_target_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut counts = Vec::new();
    for (target, check) in fuzz_checks::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no regression inputs for {target}");
        for f in &files {
            let data = std::fs::read(f).expect("read input");
            let r = std::panic::catch_unwind(|| check(&data));
            assert!(r.is_ok(), "{target}: {} breaks a property", f.display());
        }
        counts.push(format!("{target} {}", files.len()));
    }
    figure(&format!(
        "fuzz regressions: {} (inputs per target) pass their target's checks",
        counts.join(", ")
    ));
}

/// Mutates one input the way a fuzzer's simplest strategies do: flip bits, overwrite, insert or
/// delete bytes, truncate, splice in part of another input, or set a length-like byte to an
/// extreme value.
fn mutate(rng: &mut common::Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.index(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.index(len);
                out[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.index(len + 1);
                out.insert(i, rng.next_u64() as u8);
            }
            3 if len > 0 => {
                let i = rng.index(len);
                let n = (rng.index(len - i) + 1).min(16);
                out.drain(i..i + n);
            }
            4 => out.truncate(rng.index(len + 1)),
            5 if !other.is_empty() => {
                let from = rng.index(other.len());
                let to = from + rng.index(other.len() - from) + 1;
                let at = rng.index(len + 1);
                out.splice(at..at, other[from..to].iter().copied());
            }
            _ if len > 0 => {
                let i = rng.index(len);
                out[i] = [0x00, 0x7f, 0x80, 0xff][rng.index(4)];
            }
            _ => out.push(rng.next_u64() as u8),
        }
    }
    out
}

/// A bounded fuzz run in the normal suite: for each target, mutated regression inputs go through
/// the target's property checks for `HUSH_FUZZ_SECONDS` (default 5) seconds. No coverage
/// guidance (that is `scripts/fuzz.sh`, libFuzzer), but no extra build either, so CI runs it on
/// every change. A failure prints the seed and the input in hex.
#[test]
fn fuzz_mutations_of_the_regressions_keep_every_property() {
    let seconds: u64 = std::env::var("HUSH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("HUSH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    // Property failures are reported below with the input: keep this thread's caught panics
    // quiet (other tests' panics still print).
    let hook = std::sync::Arc::new(std::panic::take_hook());
    let fuzzing = std::thread::current().id();
    let others = std::sync::Arc::clone(&hook);
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != fuzzing {
            others(info);
        }
    }));
    let mut counts = Vec::new();
    let mut failure = None;
    'targets: for (target, check) in fuzz_checks::TARGETS {
        let dir = root.join(target);
        let corpus: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| std::fs::read(e.expect("dir entry").path()).expect("read input"))
            .collect();
        assert!(!corpus.is_empty(), "no regression inputs for {target}");
        let mut rng = common::Rng::new(seed ^ fuzz_target_salt(target));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        let mut runs = 0u64;
        while std::time::Instant::now() < deadline {
            let input = &corpus[rng.index(corpus.len())];
            let other = &corpus[rng.index(corpus.len())];
            let data = mutate(&mut rng, input, other);
            runs += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failure = Some(format!(
                    "{target} (HUSH_FUZZ_SEED={seed}, run {runs}): input {} breaks a property; \
                     save it under fuzz/regressions/{target}/ and fix the bug",
                    data.iter().map(|b| format!("{b:02x}")).collect::<String>()
                ));
                break 'targets;
            }
        }
        counts.push(format!("{target} {runs}"));
    }
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| hook(info)));
    if let Some(f) = failure {
        panic!("{f}");
    }
    figure(&format!(
        "fuzz (mutations, {seconds} s per target, seed {seed}): {} inputs, no property broken",
        counts.join(", ")
    ));
}

/// Gives each target its own stream of the one seed.
fn fuzz_target_salt(target: &str) -> u64 {
    target.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Writes valid sample inputs (seeds for the fuzzers, kept as regressions) into
/// `fuzz/regressions/`. Run by hand: `cargo test -p hush-tests --test reliability -- --ignored
/// write_fuzz_seeds`.
#[test]
#[ignore = "writes files into fuzz/regressions; run by hand"]
fn write_fuzz_seeds() {
    use hush_core::event::{
        AclChange, Body, Envelope, Payload, Public, PutKind, SignedEvent, TeamRole, UsageAction,
        VaultRole,
    };
    use hush_core::identity::DeviceIdentity;
    use hush_core::invite::InviteCode;
    use hush_core::item::{ItemMeta, ItemSlot};
    use hush_core::relay_proto;
    use hush_core::secret::{Key32, SecretString};
    use hush_core::service::ServiceToken;
    use uuid::Uuid;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let put = |target: &str, name: &str, data: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(name), data).expect("write seed");
    };
    let me = DeviceIdentity::generate("seed-author").expect("identity");
    let team = Uuid::from_bytes([3; 16]);
    let vault = Uuid::from_bytes([4; 16]);
    let item = Uuid::from_bytes([5; 16]);
    let log_key = Key32::from_bytes([7; 32]);
    let vault_key = Key32::from_bytes([8; 32]);
    let slot = ItemSlot::new(team, vault, item, 1, 0);
    let bodies = [
        (
            "body-team-create",
            Payload::TeamCreate {
                name: "acme".into(),
                creator: me.cert(),
                log_commit: [3; 32],
            },
        ),
        (
            "body-secret-put",
            Payload::SecretPut {
                vault_id: vault,
                item_id: item,
                version: 1,
                base_version: 0,
                key_epoch: 0,
                kind: PutKind::Set,
                meta_ct: slot.seal_meta(
                    &vault_key,
                    &ItemMeta {
                        name: "STRIPE_KEY".into(),
                        ..ItemMeta::default()
                    },
                ),
                value_ct: slot.seal_value(&vault_key, &SecretString::new("sk_live_x".into())),
            },
        ),
        (
            "body-grant",
            Payload::Grant {
                vault_id: vault,
                device_id: me.device_id,
                role: VaultRole::Write,
            },
        ),
        (
            "body-revoke",
            Payload::Revoke {
                vault_id: vault,
                device_id: me.device_id,
                new_epoch: 2,
                key_commit: [4; 32],
            },
        ),
        (
            "body-usage",
            Payload::Usage {
                vault_id: vault,
                action: UsageAction::Run,
                items: vec![(item, 1), (vault, 3)],
            },
        ),
        (
            "body-remove",
            Payload::Remove {
                device_id: me.device_id,
                new_log_epoch: 1,
                log_commit: [5; 32],
                rekeyed: vec![(vault, 1, [6; 32])],
            },
        ),
        (
            "body-invite",
            Payload::InviteCreate {
                invite_id: item,
                role: TeamRole::Member,
                expires_ms: 1_900_000_000_000,
            },
        ),
        (
            "body-witness-add",
            Payload::WitnessAdd {
                url: "https://witness.example:8788".into(),
                key: [0x42; 32],
            },
        ),
        (
            "body-witness-remove",
            Payload::WitnessRemove { key: [0x42; 32] },
        ),
    ];
    let mut events = Vec::new();
    for (i, (name, payload)) in bodies.into_iter().enumerate() {
        let body = Body {
            time_ms: 1_800_000_000_000 + i as i64,
            payload,
        };
        put("event_decode", name, &body.encode());
        let public = if i == 0 {
            Public {
                bundles: Vec::new(),
                acl: vec![AclChange::Add {
                    device_id: me.device_id,
                    auth_pk: me.cert().auth_pk,
                    manager: true,
                }],
            }
        } else {
            Public::default()
        };
        let ev = SignedEvent::seal(
            Envelope {
                team_id: team,
                seq: i as u64,
                prev: events.last().map_or([0; 32], |e: &SignedEvent| e.hash()),
                epoch: 0,
                author: me.device_id,
            },
            public,
            &body,
            &log_key,
            &me,
        )
        .expect("seal");
        put("event_decode", &format!("event-{name}"), ev.bytes());
        events.push(ev);
    }
    put(
        "event_list",
        "two-events",
        &relay_proto::encode_event_list(events.iter().take(2).map(SignedEvent::bytes)),
    );
    put(
        "event_list",
        "empty",
        &relay_proto::encode_event_list(std::iter::empty::<&[u8]>()),
    );
    let code = InviteCode {
        invite_id: item,
        team_id: team,
        secret: Key32::from_bytes([9; 32]),
        pinned_seq: 4,
        pinned_hash: [6; 32],
        expires_ms: 1_900_000_000_000,
        relay: "https://relay.example:8787".into(),
    }
    .encode();
    put("invite_code", "valid", code.as_bytes());
    put(
        "invite_code",
        "uppercase-padded",
        format!("  {}\n", code.to_uppercase().replace("HUSH1", "hush1")).as_bytes(),
    );
    for (name, a) in [
        ("two-part", "prod/STRIPE_KEY"),
        ("three-part", "acme/prod/STRIPE_KEY"),
        ("reference", "hush://prod/STRIPE_KEY"),
        ("reference-team", "hush://acme/prod/DB.URL_2"),
    ] {
        put("address", name, a.as_bytes());
    }
    put(
        "dotenv",
        "mixed",
        b"# comment\nexport A=1\nB = 'single $A'\nC=\"double ${A} \\n $HOME\"\nD=unquoted # note\nE=\"multi\nline\"\nF=${B}x\r\nG='it'\\''s'\n",
    );
    put(
        "dotenv",
        "reference",
        b"STRIPE=hush://prod/STRIPE_KEY\nURL=${STRIPE}/x\n",
    );
    let headers = relay_proto::sign_request(
        &me,
        "POST",
        "/v1/teams/x/events",
        &team,
        b"body",
        1_800_000_000_000,
    );
    let mut auth = String::new();
    for name in [
        relay_proto::header::DEVICE,
        relay_proto::header::TIMESTAMP,
        relay_proto::header::NONCE,
        relay_proto::header::SIGNATURE,
    ] {
        let v = headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .expect("header");
        auth.push_str(&v);
        auth.push('\n');
    }
    auth.push_str("body");
    put("relay_auth", "signed", auth.as_bytes());
    let token = ServiceToken {
        relay: "https://relay.example".into(),
        allow_http: false,
        team_id: team,
        genesis: events[0].hash(),
        expires_ms: 1_900_000_000_000,
        identity: DeviceIdentity::generate("ci-deploy").expect("identity"),
    }
    .encode();
    put("service_token", "valid", token.expose().as_bytes());
    put(
        "witness",
        "extend-two-events",
        &relay_proto::encode_event_list(events.iter().take(2).map(SignedEvent::bytes)),
    );
    let signer = hush_core::witness_proto::WitnessSigner::from_seed(&[7; 32]);
    let mut head = hush_core::witness_proto::WitnessHead::sign(&signer, &team, 4, &[6; 32]);
    head.at = Some(hush_core::witness_proto::Accepted {
        seq: 2,
        hash: relay_proto::hex(&[5; 32]),
    });
    put("witness", "head", &serde_json::to_vec(&head).expect("json"));
}
