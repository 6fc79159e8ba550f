//! Benchmarks of the core, in-process: how long unlocking takes (Argon2id with the default
//! parameters), how search scales to 10k and 100k secrets, and what a `get` costs against a
//! session holding 10k secrets.
//!
//! Run with `cargo bench -p hush-core --bench core`; `bench/README.md` explains each figure and
//! records the numbers measured so far.
//!
//! Besides Criterion's own report, the harness ends with a short table of ratios between
//! benchmarks of the same run (for example fuzzy search against a plain substring filter over
//! the same names). Absolute times move with the machine; ratios within one run move much less.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};
use hush_core::address::Address;
use hush_core::crypto::KdfParams;
use hush_core::event::PutKind;
use hush_core::search::{SearchDoc, Searcher};
use hush_core::secret::SecretString;
use hush_core::session::{self, MetaUpdate, Session};
use hush_core::store::Store;
use tokio::runtime::Runtime;

/// Vaults the search corpus spreads its secrets over.
const VAULTS: [&str; 8] = [
    "payments",
    "infra",
    "billing",
    "auth",
    "analytics",
    "mobile",
    "web",
    "data",
];

/// What the notes of the corpus say; one word of each ("webhook", "database", ...) is a query.
const PURPOSES: [&str; 6] = [
    "webhook signing secret",
    "database password",
    "API token",
    "OAuth client secret",
    "SMTP credentials",
    "deploy key",
];

/// Tags, two per secret.
const TAGS: [&str; 8] = [
    "prod", "staging", "dev", "ci", "billing", "ops", "mobile", "legacy",
];

/// Results per search, as the CLI and the desktop app ask for.
const LIMIT: usize = 50;

/// A query that matches nothing in the corpus: what remains is the cost of looking.
const NO_MATCH: &str = "zqxj";

/// The master password of the benchmark stores.
const PASSWORD: &str = "correct horse battery staple";

/// Secrets in the in-process session benchmarks.
const SESSION_SECRETS: usize = 10_000;

/// Per-sample times (seconds per iteration) of every benchmark run in this process, so the
/// harness can print ratios between benchmarks measured side by side.
#[derive(Default)]
struct Tally(RefCell<BTreeMap<String, Vec<f64>>>);

impl Tally {
    /// Runs `f` `iters` times, records the time per iteration under `id` and returns the total
    /// (the shape `Bencher::iter_custom` wants).
    fn time<O>(&self, id: &str, iters: u64, mut f: impl FnMut() -> O) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        let elapsed = start.elapsed();
        self.record(id, iters, elapsed);
        elapsed
    }

    /// Records a sample measured by the caller.
    fn record(&self, id: &str, iters: u64, elapsed: Duration) {
        self.0
            .borrow_mut()
            .entry(id.to_owned())
            .or_default()
            .push(elapsed.as_secs_f64() / iters.max(1) as f64);
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
                "  {what:<46} {:>9} vs {:>9}  {sign}{:>9}  {:>7.2}x",
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

/// The text of a synthetic search corpus: `VAULT/KEY_00042`, a note and two tags per secret.
struct Corpus {
    names: Vec<String>,
    notes: Vec<String>,
    tags: Vec<[String; 2]>,
}

impl Corpus {
    fn new(n: usize) -> Self {
        let mut names = Vec::with_capacity(n);
        let mut notes = Vec::with_capacity(n);
        let mut tags = Vec::with_capacity(n);
        for i in 0..n {
            let vault = VAULTS[i % VAULTS.len()];
            names.push(format!("{vault}/KEY_{i:05}"));
            notes.push(format!(
                "{} for the {vault} service, rotated every {} days",
                PURPOSES[i % PURPOSES.len()],
                30 * (1 + i % 4)
            ));
            tags.push([
                TAGS[i % TAGS.len()].to_owned(),
                TAGS[(i / TAGS.len() + 3) % TAGS.len()].to_owned(),
            ]);
        }
        Self { names, notes, tags }
    }

    fn docs(&self) -> Vec<SearchDoc<'_, String>> {
        (0..self.names.len())
            .map(|i| SearchDoc {
                id: i,
                name: &self.names[i],
                note: &self.notes[i],
                tags: &self.tags[i][..],
            })
            .collect()
    }
}

/// The baseline: keep the names that contain `needle_lower` ignoring case, unranked, first
/// `limit`. It answers a weaker question than [`Searcher::search`] (one contiguous substring, in
/// names only) and is here to give search's cost a yardstick.
fn naive_filter(names: &[String], needle_lower: &str, limit: usize) -> Vec<usize> {
    let mut hits: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| name.to_lowercase().contains(needle_lower))
        .map(|(i, _)| i)
        .collect();
    hits.truncate(limit);
    hits
}

/// A Tokio runtime for the async store API.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime for the benchmarks")
}

/// A fresh store under `home` with the default Argon2id parameters.
fn init_session(rt: &Runtime, home: &Path) -> Session {
    rt.block_on(Session::init(
        home,
        "bench",
        &SecretString::new(PASSWORD.to_owned()),
        KdfParams::DEFAULT,
        session::system_clock(),
    ))
    .expect("Session::init in a fresh temporary directory")
}

/// `unlock`: the Argon2id derivation alone, and the whole password check on a real store.
fn bench_unlock(c: &mut Criterion, tally: &Tally) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    rt.block_on(init_session(&rt, &home).close());
    let store = rt
        .block_on(Store::open(&home))
        .expect("open the store just created");
    let password = SecretString::new(PASSWORD.to_owned());

    let mut g = c.benchmark_group("unlock");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("argon2id (64 MiB, t=3, p=4)", |b| {
        b.iter_custom(|iters| {
            tally.time("unlock/argon2id", iters, || {
                KdfParams::DEFAULT
                    .derive(PASSWORD.as_bytes(), &[7u8; 16])
                    .expect("the default parameters pass the floor")
            })
        })
    });
    g.bench_function("unwrap_account_key", |b| {
        b.iter_custom(|iters| {
            tally.time("unlock/unwrap_account_key", iters, || {
                rt.block_on(session::unwrap_account_key(&store, &password))
                    .expect("the right password unwraps the account key")
            })
        })
    });
    g.finish();
    rt.block_on(store.close());
}

/// `search/10k` and `search/100k`: ranked fuzzy search against a plain substring filter.
fn bench_search(c: &mut Criterion, tally: &Tally) {
    for (label, n) in [("10k", 10_000), ("100k", 100_000)] {
        let corpus = Corpus::new(n);
        let docs = corpus.docs();
        let mut searcher = Searcher::new();
        // Sanity: every query finds something, so the figures are not those of an early exit.
        for q in ["pay key 42", "infkey999", "webhook"] {
            assert!(
                !searcher.search(q, docs.iter().cloned(), LIMIT).is_empty(),
                "query {q:?} finds nothing in the corpus"
            );
        }
        assert!(!naive_filter(&corpus.names, "key_00042", LIMIT).is_empty());
        assert!(
            searcher
                .search(NO_MATCH, docs.iter().cloned(), LIMIT)
                .is_empty()
        );

        let group = format!("search/{label}");
        let mut g = c.benchmark_group(&group);
        g.sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        for (name, query) in [
            ("typed prefix 'pay key 42'", "pay key 42"),
            ("fuzzy 'infkey999'", "infkey999"),
            ("note word 'webhook'", "webhook"),
            ("exact 'key_00042'", "key_00042"),
            ("no match 'zqxj'", NO_MATCH),
        ] {
            let id = format!("{group}/{query}");
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    tally.time(&id, iters, || {
                        searcher.search(black_box(query), docs.iter().cloned(), LIMIT)
                    })
                })
            });
        }
        let id = format!("{group}/naive");
        g.bench_function("naive substring 'key_00042' (names only)", |b| {
            b.iter_custom(|iters| {
                tally.time(&id, iters, || {
                    naive_filter(&corpus.names, black_box("key_00042"), LIMIT)
                })
            })
        });
        g.finish();
    }
}

/// Configures a group of the session benchmarks.
fn session_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g
}

/// `session`: a store of 10k secrets opened in this process.
fn bench_session(c: &mut Criterion, tally: &Tally) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temporary directory");
    let home = dir.path().join("home");
    let mut s = init_session(&rt, &home);
    for vault in VAULTS {
        rt.block_on(s.vault_create(None, vault))
            .expect("create a vault");
    }
    // The same secrets as the 10k search corpus, so `Session::search` can be compared with a
    // bare `Searcher::search` over identical text.
    let corpus = Corpus::new(SESSION_SECRETS);
    let value = SecretString::new("sk_live_0123456789abcdefghijklmnopqrstuvwxyz".to_owned());
    let started = Instant::now();
    for i in 0..SESSION_SECRETS {
        let addr = Address::parse(&corpus.names[i]).expect("a valid address");
        let meta = MetaUpdate {
            note: Some(corpus.notes[i].clone()),
            tags: Some(corpus.tags[i].to_vec()),
            ..MetaUpdate::default()
        };
        rt.block_on(s.set(None, &addr, &value, meta, PutKind::Set))
            .expect("set a secret");
    }
    let setup = started.elapsed();
    println!(
        "session setup: {SESSION_SECRETS} secrets set one by one in {:.1} s ({} per set)",
        setup.as_secs_f64(),
        human(setup.as_secs_f64() / SESSION_SECRETS as f64)
    );

    let addr = Address::parse("payments/KEY_05000").expect("a valid address");
    let account = s.account_key().clone();
    let mut g = session_group(c, "session/10k");
    g.bench_function("get payments/KEY_05000", |b| {
        b.iter_custom(|iters| {
            tally.time("session/get", iters, || {
                s.get(None, black_box(&addr)).expect("the secret exists")
            })
        })
    });
    g.bench_function("unlock_with_key (open + replay 10k events)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let opened = rt
                    .block_on(Session::unlock_with_key(
                        &home,
                        account.clone(),
                        session::system_clock(),
                    ))
                    .expect("the account key opens the store");
                total += start.elapsed();
                // Closing is not part of unlocking.
                rt.block_on(opened.close());
            }
            tally.record("session/unlock_with_key", iters, total);
            total
        })
    });
    g.bench_function("search 'pay key 42' (Session::search)", |b| {
        b.iter_custom(|iters| {
            tally.time("session/search", iters, || {
                s.search(black_box("pay key 42"), LIMIT)
            })
        })
    });
    g.bench_function("search no match 'zqxj' (Session::search)", |b| {
        b.iter_custom(|iters| {
            tally.time("session/search-none", iters, || {
                s.search(black_box(NO_MATCH), LIMIT)
            })
        })
    });
    g.finish();

    // Appends grow the store, so this runs last.
    let mut g = session_group(c, "session/10k");
    let mut next = 0;
    g.bench_function("set a new secret", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let addr = Address::parse(&format!("infra/NEW_{next:05}")).expect("valid address");
                next += 1;
                let start = Instant::now();
                rt.block_on(s.set(None, &addr, &value, MetaUpdate::default(), PutKind::Set))
                    .expect("set a secret");
                total += start.elapsed();
            }
            tally.record("session/set", iters, total);
            total
        })
    });
    g.finish();
    rt.block_on(s.close());
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let tally = Tally::default();
    bench_unlock(&mut c, &tally);
    bench_search(&mut c, &tally);
    bench_session(&mut c, &tally);
    c.final_summary();

    println!("\nRatios within this run (median time per iteration):");
    for label in ["10k", "100k"] {
        for query in ["pay key 42", "infkey999", "webhook", "key_00042", NO_MATCH] {
            tally.ratio(
                &format!("search/{label} {query:?} vs naive substring"),
                &format!("search/{label}/{query}"),
                &format!("search/{label}/naive"),
            );
        }
    }
    for query in [
        "pay key 42",
        "infkey999",
        "webhook",
        "key_00042",
        NO_MATCH,
        "naive",
    ] {
        tally.ratio(
            &format!("search 100k vs 10k, {query:?}"),
            &format!("search/100k/{query}"),
            &format!("search/10k/{query}"),
        );
    }
    tally.ratio(
        "Session::search vs Searcher::search, 10k",
        "session/search",
        "search/10k/pay key 42",
    );
    tally.ratio(
        "same, query matching nothing",
        "session/search-none",
        &format!("search/10k/{NO_MATCH}"),
    );
    tally.ratio(
        "unwrap_account_key vs bare Argon2id",
        "unlock/unwrap_account_key",
        "unlock/argon2id",
    );
    tally.ratio(
        "unlock_with_key (10k) vs Argon2id",
        "session/unlock_with_key",
        "unlock/argon2id",
    );
}
