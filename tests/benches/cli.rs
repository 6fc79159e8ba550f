//! End-to-end benchmarks of the `hush` binary, each command a separate process as a person or a
//! script runs it: `get` and `run` with the agent holding the unlocked key, `run -- true` against
//! spawning `true` directly, and `get` without an agent (which pays the Argon2id unlock).
//!
//! Run with `cargo bench -p hush-tests --bench cli`; `bench/README.md` explains each figure and
//! records the numbers measured so far. The store holds [`SECRETS`] secrets in one vault.
//!
//! Besides Criterion's own report, the harness ends with the overhead and the ratio of each
//! command against its baseline measured in the same run, which is steadier than absolute
//! times on a noisy machine.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use hush_tests::{Device, PASSWORD, bin};

/// Secrets in the benchmark vault, all injected by `hush run --vault`.
const SECRETS: usize = 100;

/// Per-sample times (seconds per iteration) of every benchmark run in this process, so the
/// harness can print overheads and ratios between benchmarks measured side by side.
#[derive(Default)]
struct Tally(RefCell<BTreeMap<String, Vec<f64>>>);

impl Tally {
    /// Runs `f` `iters` times, records the time per iteration under `id` and returns the total
    /// (the shape `Bencher::iter_custom` wants).
    fn time(&self, id: &str, iters: u64, mut f: impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        let elapsed = start.elapsed();
        self.0
            .borrow_mut()
            .entry(id.to_owned())
            .or_default()
            .push(elapsed.as_secs_f64() / iters.max(1) as f64);
        elapsed
    }

    /// Median time per iteration of `id` in this run, if it ran.
    fn median(&self, id: &str) -> Option<f64> {
        let map = self.0.borrow();
        let mut v = map.get(id)?.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    }

    /// Prints how `a` compares with `b` (difference and ratio of the medians) when both ran: a
    /// filter on the command line may have skipped one.
    fn ratio(&self, what: &str, a: &str, b: &str) {
        if let (Some(x), Some(y)) = (self.median(a), self.median(b)) {
            let sign = if x >= y { '+' } else { '-' };
            println!(
                "  {what:<40} {:>9} vs {:>9}  {sign}{:>9}  {:>7.2}x",
                human(x),
                human(y),
                human((x - y).abs()),
                x / y
            );
        }
    }
}

/// Seconds as a short human-readable duration.
fn human(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// Runs `program args` with no output and asserts that it succeeded.
fn run_quiet(program: &Path, home: &Path, password: Option<&str>, args: &[&str]) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("HUSH_PASSWORD")
        .env_remove("HUSH_SERVICE_TOKEN")
        .env("HUSH_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(p) = password {
        cmd.env("HUSH_PASSWORD", p);
    }
    let status = cmd.status().expect("spawn the benchmarked command");
    assert!(
        status.success(),
        "{} {args:?} failed: {status}",
        program.display()
    );
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let tally = Tally::default();

    let hush: PathBuf = bin("hush");
    let true_bin = PathBuf::from("true");
    let device = Device::init("bench");
    let home = device.home();

    // Everything below goes through the agent; without HUSH_PASSWORD a missing agent is an error
    // rather than a silent Argon2id unlock that would skew the figures.
    run_quiet(
        &hush,
        &home,
        Some(PASSWORD),
        &["unlock", "--timeout", "10m"],
    );
    run_quiet(&hush, &home, None, &["vault", "create", "vault"]);
    let started = Instant::now();
    for i in 0..SECRETS {
        let addr = format!("vault/KEY_{i:05}");
        run_quiet(
            &hush,
            &home,
            None,
            &["set", &addr, "sk_live_0123456789abcdefghijklmnopqrstuvwxyz"],
        );
    }
    println!(
        "setup: {SECRETS} `hush set` through the agent in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let mut g = c.benchmark_group("cli/agent");
    g.sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("true (spawned directly)", |b| {
        b.iter_custom(|iters| tally.time("true", iters, || run_quiet(&true_bin, &home, None, &[])))
    });
    g.bench_function("hush --version (process start)", |b| {
        b.iter_custom(|iters| {
            tally.time("version", iters, || {
                run_quiet(&hush, &home, None, &["--version"]);
            })
        })
    });
    g.bench_function("hush get vault/KEY_00042", |b| {
        b.iter_custom(|iters| {
            tally.time("get-agent", iters, || {
                run_quiet(&hush, &home, None, &["get", "vault/KEY_00042"]);
            })
        })
    });
    g.bench_function("hush run --vault vault -- true", |b| {
        b.iter_custom(|iters| {
            tally.time("run-agent", iters, || {
                run_quiet(
                    &hush,
                    &home,
                    None,
                    &["run", "--vault", "vault", "--", "true"],
                );
            })
        })
    });
    g.finish();

    run_quiet(&hush, &home, None, &["lock"]);

    let mut g = c.benchmark_group("cli/no-agent");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("hush get vault/KEY_00042 (Argon2id unlock)", |b| {
        b.iter_custom(|iters| {
            tally.time("get-password", iters, || {
                run_quiet(&hush, &home, Some(PASSWORD), &["get", "vault/KEY_00042"]);
            })
        })
    });
    g.finish();

    c.final_summary();

    println!("\nOverheads and ratios within this run (median time per command):");
    tally.ratio("`hush run -- true` vs `true`", "run-agent", "true");
    tally.ratio(
        "`hush get` (agent) vs `hush --version`",
        "get-agent",
        "version",
    );
    tally.ratio("`hush get` (agent) vs `true`", "get-agent", "true");
    tally.ratio("`hush run -- true` vs `hush get`", "run-agent", "get-agent");
    tally.ratio(
        "`hush get` without vs with the agent",
        "get-password",
        "get-agent",
    );
    // `device` locks the agent again when dropped, should a benchmark above have panicked.
    drop(device);
}
