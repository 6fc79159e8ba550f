//! Crash safety: `hush set` (the real binary) is killed with SIGKILL at a random moment, over and
//! over; after every kill the store opens, `hush audit verify` passes, and every write that was
//! acknowledged (exit 0) is there with its value. Without the agent the victim is the `hush set`
//! process that writes the store; with the agent the victim is, in turn, the agent (which does
//! the write) and the client waiting for it.
//!
//! Kills per mode: 50 (`HUSH_CRASH_KILLS=N` to change; 250 with `HUSH_RELIABILITY_FULL=1`).
//! The seed is printed; `HUSH_RELIABILITY_SEED=S` replays a run.

#[path = "reliability_common.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Rng, figure};
use hush_tests::{Device, PASSWORD, bin};

/// What one mode's run observed.
#[derive(Default)]
struct Tally {
    kills: usize,
    /// The command had not answered when SIGKILL arrived.
    in_flight: usize,
    /// ... after its write committed: the write is in the store, whole.
    landed_anyway: usize,
    /// ... inside its write transaction (without the agent: uncommitted frames were left in the
    /// write-ahead log), which the next open rolled back.
    inside_write: usize,
    /// The command finished before the kill (exit 0: acknowledged).
    completed: usize,
    lost_acknowledged: Vec<String>,
    torn: Vec<String>,
    integrity_errors: Vec<String>,
}

impl Tally {
    fn report(&self, mode: &str) -> String {
        format!(
            "crash safety ({mode}): {} kills, {} mid-write (killed before answering: {} inside the write transaction, rolled back; {} after the commit, landed whole; the others before writing, no trace), {} completed first, {} lost acknowledged writes, {} torn values, {} integrity errors",
            self.kills,
            self.in_flight,
            self.inside_write,
            self.landed_anyway,
            self.completed,
            self.lost_acknowledged.len(),
            self.torn.len(),
            self.integrity_errors.len()
        )
    }

    fn assert_clean(&self, mode: &str) {
        assert!(
            self.lost_acknowledged.is_empty()
                && self.torn.is_empty()
                && self.integrity_errors.is_empty(),
            "{}\nlost: {:?}\ntorn: {:?}\nintegrity: {:?}",
            self.report(mode),
            self.lost_acknowledged,
            self.torn,
            self.integrity_errors
        );
    }
}

/// Every write attempted so far, to check the store against.
#[derive(Default)]
struct Ledger {
    /// Acknowledged value of each new key `K....`.
    acked: BTreeMap<String, String>,
    /// Values of new keys whose writer was killed (absent or exactly this afterwards).
    unacked: BTreeMap<String, String>,
    /// `SHARED` writes in order: (value, acknowledged).
    shared: Vec<(String, bool)>,
}

impl Ledger {
    /// Checks the values the store holds now; returns problems as (lost, torn) descriptions.
    fn check(&self, values: &BTreeMap<String, String>, t: &mut Tally, when: &str) {
        for (k, v) in &self.acked {
            match values.get(k) {
                Some(got) if got == v => {}
                Some(_) => t.torn.push(format!("{when}: {k} holds another value")),
                None => t.lost_acknowledged.push(format!("{when}: {k}")),
            }
        }
        for (k, v) in &self.unacked {
            if values.get(k).is_some_and(|got| got != v) {
                t.torn
                    .push(format!("{when}: {k} (unacknowledged) holds a torn value"));
            }
        }
        for k in values.keys() {
            if k != "SHARED" && !self.acked.contains_key(k) && !self.unacked.contains_key(k) {
                t.torn.push(format!("{when}: {k} was never written"));
            }
        }
        // SHARED: the last acknowledged value, or one written (unacknowledged) after it.
        // Before any acknowledged write: absent, or one of the attempts, whole.
        let last_acked = self.shared.iter().rposition(|(_, a)| *a);
        let allowed: Vec<&String> = self.shared[last_acked.unwrap_or(0)..]
            .iter()
            .map(|(v, _)| v)
            .collect();
        match values.get("SHARED") {
            Some(got) if allowed.contains(&got) => {}
            Some(_) if last_acked.is_some() => t
                .lost_acknowledged
                .push(format!("{when}: SHARED rolled back or torn")),
            Some(_) => t.torn.push(format!("{when}: SHARED holds a torn value")),
            None if last_acked.is_some() => {
                t.lost_acknowledged.push(format!("{when}: SHARED missing"));
            }
            None => {}
        }
    }
}

/// Size and modification time of the write-ahead log (absent: zero).
fn wal_state(wal: &Path) -> (u64, Option<std::time::SystemTime>) {
    std::fs::metadata(wal).map_or((0, None), |m| (m.len(), m.modified().ok()))
}

/// Waits until the write-ahead log changes (a transaction is being committed) or `child` exits;
/// true when a write started.
fn wait_for_write(
    wal: &Path,
    before: (u64, Option<std::time::SystemTime>),
    child: &mut Child,
    timeout: Duration,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        let now = wal_state(wal);
        if now != before && now.0 > 0 {
            return true;
        }
        if child.try_wait().is_ok_and(|s| s.is_some()) {
            return false;
        }
        std::thread::yield_now();
    }
    false
}

/// `name -> value` of vault `v`, through `hush export` (the same path a person uses).
fn values(d: &Device, with_password: bool) -> Result<BTreeMap<String, String>, String> {
    let mut cmd = if with_password {
        d.hush(&["export", "v", "--format", "json", "--plaintext"])
    } else {
        d.hush_no_password(&["export", "v", "--format", "json", "--plaintext"])
    };
    let o = cmd.output().map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).trim().to_owned());
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&o.stdout).map_err(|e| format!("export is not JSON: {e}"))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r["name"].as_str()?.to_owned(),
                r["value"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

fn verify(d: &Device, with_password: bool) -> Result<(), String> {
    let mut cmd = if with_password {
        d.hush(&["audit", "verify"])
    } else {
        d.hush_no_password(&["audit", "verify"])
    };
    let o = cmd.output().map_err(|e| e.to_string())?;
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.success() && !err.contains("panicked") {
        Ok(())
    } else {
        Err(err.trim().to_owned())
    }
}

/// A value of varying size: most are short, some span many database pages.
fn value_for(rng: &mut Rng, mode: &str, i: usize) -> String {
    let len = match rng.below(10) {
        0..=5 => rng.below(64),
        6..=8 => 1_000 + rng.below(8_000),
        _ => 40_000 + rng.below(60_000),
    } as usize;
    let filler: String = (0..len)
        .map(|j| char::from(b'a' + ((j as u64 + rng.below(26)) % 26) as u8))
        .collect();
    format!("{mode}-{i}-{filler}")
}

/// A `hush agent` started by the test (so its pid is known and it can be killed).
struct Agent {
    child: Child,
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Agent {
    /// Starts an agent on `home`: it opens the store from disk (replaying and verifying every
    /// log against its checkpoint), so a failure here is an integrity failure.
    fn start(home: &Path, key_hex: &str) -> Result<Self, String> {
        let mut child = Command::new(bin("hush"))
            .arg("--home")
            .arg(home)
            .args(["agent", "--idle-secs", "3600"])
            .env_remove("HUSH_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hush agent");
        {
            let mut stdin = child.stdin.take().expect("agent stdin");
            stdin
                .write_all(format!("{key_hex}\n").as_bytes())
                .expect("hand the key to the agent");
        }
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("agent stdout"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let o = child.wait_with_output().expect("agent output");
            return Err(format!(
                "the agent could not open the store: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Ok(Self {
            child,
            _stdout: stdout,
        })
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `hush lock`: the agent exits and removes its socket.
    fn stop(mut self, d: &Device) {
        let _ = d.hush_no_password(&["lock"]).output();
        let _ = self.child.wait();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The account key of a store, hex (what `hush unlock` hands to the agent).
fn account_key_hex(home: &Path) -> hush_core::secret::SecretString {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = hush_core::session::Session::unlock(
            home,
            &hush_core::secret::SecretString::new(PASSWORD.into()),
            hush_core::session::system_clock(),
        )
        .await
        .expect("unlock");
        let hex: String = s
            .account_key()
            .expose_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        s.close().await;
        hush_core::secret::SecretString::new(hex)
    })
}

fn spawn_set(d: &Device, addr: &str, value: &str, with_password: bool) -> Child {
    let mut cmd = Command::new(bin("hush"));
    cmd.env_remove("HUSH_PASSWORD")
        .env_remove("HUSH_SERVICE_TOKEN")
        .env("HUSH_HOME", d.home())
        .args(["set", addr, value])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if with_password {
        cmd.env("HUSH_PASSWORD", PASSWORD);
    }
    cmd.spawn().expect("spawn hush set")
}

/// Median wall time of a few complete `hush set` runs: the upper end of the kill delays.
fn typical_set(d: &Device, with_password: bool) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|i| {
            let start = Instant::now();
            let status = spawn_set(d, &format!("v/WARMUP{i}"), "warm", with_password)
                .wait()
                .expect("wait");
            assert!(status.success(), "warm-up set failed");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn run(mode: &str, kills: usize, seed: u64) {
    let with_agent = mode == "agent";
    let d = Device::init("crash");
    d.out(&["vault", "create", "v"]);
    let key = account_key_hex(&d.home());
    let mut agent =
        with_agent.then(|| Agent::start(&d.home(), key.expose()).expect("start the agent"));
    let typical = typical_set(&d, !with_agent);
    let max_delay = typical.mul_f64(1.2);
    let mut rng = Rng::new(seed);
    let mut ledger = Ledger::default();
    // The warm-up keys are acknowledged writes too.
    for i in 0..5 {
        ledger.acked.insert(format!("WARMUP{i}"), "warm".to_owned());
    }
    let mut t = Tally::default();
    let started = Instant::now();
    for i in 0..kills {
        let shared = i % 2 == 0;
        let name = if shared {
            "SHARED".to_owned()
        } else {
            format!("K{i:04}")
        };
        let value = value_for(&mut rng, mode, i);
        // With the agent, every other kill hits the agent (the writer), else the client.
        let kill_agent = with_agent && i % 2 == 1;
        // A third of the kills anywhere in a run; a third in its last quarter, where the store is
        // written (before that, a run without the agent mostly derives the key from the
        // password); a third the moment the write-ahead log changes, i.e. inside the commit.
        let wal = d.home().join("hush.db-wal");
        let before = wal_state(&wal);
        let started_at = Instant::now();
        let mut child = spawn_set(&d, &format!("v/{name}"), &value, !with_agent);
        let mut write_started = false;
        match i % 3 {
            0 => std::thread::sleep(rng.duration_up_to(max_delay)),
            1 => std::thread::sleep(
                typical.mul_f64(0.75) + rng.duration_up_to(typical.mul_f64(0.35)),
            ),
            _ => {
                write_started = wait_for_write(&wal, before, &mut child, typical * 10);
                std::thread::sleep(rng.duration_up_to(Duration::from_micros(1500)));
            }
        }
        let delay = started_at.elapsed();
        let running = child.try_wait().expect("try_wait").is_none();
        if kill_agent {
            if let Some(a) = agent.as_mut() {
                a.kill();
            }
        } else {
            let _ = child.kill();
        }
        let status = child.wait().expect("wait for hush set");
        t.kills += 1;
        let killed = status.signal() == Some(9) || (kill_agent && running);
        let acked = status.success();
        if acked {
            t.completed += 1;
        } else if killed || running {
            t.in_flight += 1;
        }
        if shared {
            ledger.shared.push((value.clone(), acked));
        } else if acked {
            ledger.acked.insert(name.clone(), value.clone());
        } else {
            ledger.unacked.insert(name.clone(), value.clone());
        }
        let when = format!("after kill {i} ({} ms)", delay.as_millis());
        // Without the agent the victim had the store to itself: a non-empty write-ahead log left
        // behind means it was killed once it had started writing.
        let wal_written =
            write_started || (!with_agent && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0));
        // The store must open from disk after the kill: an agent (re)started now replays and
        // verifies every log (without the agent, one is started just for the checks, which
        // spares an Argon2id derivation per check).
        if kill_agent || !with_agent {
            match Agent::start(&d.home(), key.expose()) {
                Ok(a) => agent = Some(a),
                Err(e) => {
                    t.integrity_errors.push(format!("{when}: {e}"));
                    continue;
                }
            }
        }
        match verify(&d, false) {
            Err(e) => t
                .integrity_errors
                .push(format!("{when}: audit verify: {e}")),
            Ok(()) => match values(&d, false) {
                Ok(v) => {
                    if !acked && v.get(&name) == Some(&value) {
                        t.landed_anyway += 1;
                    } else if !acked && running && wal_written {
                        t.inside_write += 1;
                    }
                    ledger.check(&v, &mut t, &when);
                }
                Err(e) => t.integrity_errors.push(format!("{when}: export: {e}")),
            },
        }
        if !with_agent && let Some(a) = agent.take() {
            a.stop(&d);
        }
    }
    drop(agent);
    // Finally a fresh process opens the store with the password: every acknowledged SHARED
    // version is in the history exactly once.
    let mut cmd = d.hush(&["lock"]);
    cmd.assert().success();
    verify(&d, true).unwrap_or_else(|e| t.integrity_errors.push(format!("final: {e}")));
    match values(&d, true) {
        Ok(v) => ledger.check(&v, &mut t, "final"),
        Err(e) => t.integrity_errors.push(format!("final export: {e}")),
    }
    // SHARED exists once any of its writes landed.
    let hist = d
        .hush(&["history", "v/SHARED", "--reveal"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for (v, acked) in &ledger.shared {
        let n = hist
            .lines()
            .filter(|l| l.ends_with(&format!("\t{v}")))
            .count();
        if *acked && n != 1 {
            t.lost_acknowledged.push(format!(
                "SHARED version {v:.12}… appears {n} times in the history"
            ));
        }
        if n > 1 {
            t.torn.push(format!("SHARED version {v:.12}… duplicated"));
        }
    }
    figure(&format!(
        "{} (seed {seed}, kill delays 0-{} ms, a third in the last quarter of a typical {} ms set, a third as the log changes; {:.0} s)",
        t.report(mode),
        max_delay.as_millis(),
        typical.as_millis(),
        started.elapsed().as_secs_f64()
    ));
    t.assert_clean(mode);
    assert_eq!(t.kills, kills);
}

fn kills() -> usize {
    let default = if common::full() { 250 } else { 50 };
    common::env_u64("HUSH_CRASH_KILLS", default) as usize
}

#[test]
fn sigkill_during_set_without_agent_loses_no_acknowledged_write() {
    run("no agent", kills(), common::seed(0x5eed_c4a5));
}

#[test]
fn sigkill_of_agent_or_client_during_set_loses_no_acknowledged_write() {
    run("agent", kills(), common::seed(0x5eed_a9e7));
}
