//! Throughput of the scanning engine on one core: MB/s over a generated, source-like buffer with
//! 10k known values (a few of them planted), against the rules alone and against a single
//! `memchr::memmem` search for one value (the floor: one literal, SIMD).
//!
//! Run with `cargo bench -p hush-scan --bench scan`. The generator is deterministic (a fixed
//! xorshift seed) so runs compare. `bench/scan.sh` measures the real `hush scan` binary against
//! detect-secrets on a generated tree; this harness isolates the engine.

#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use corpus::{ALNUM, Rng, WORDS};
use criterion::{Criterion, Throughput};
use hush_scan::{Content, KnownValue, Scanner};
use zeroize::Zeroizing;

/// Size of the scanned buffer.
const BUFFER: usize = 32 * 1024 * 1024;
/// Known values.
const VALUES: usize = 10_000;
/// Planted occurrences of known values.
const PLANTED: usize = 50;

/// Random values like API keys: a provider-ish prefix and 24–48 alphanumerics.
fn values(rng: &mut Rng) -> Vec<String> {
    const PREFIXES: &[&str] = &["", "", "key_", "tok-", "pk_", "secret-", "api_"];
    (0..VALUES)
        .map(|_| {
            let mut v = String::from(PREFIXES[rng.below(PREFIXES.len())]);
            for _ in 0..24 + rng.below(25) {
                v.push(ALNUM[rng.below(ALNUM.len())] as char);
            }
            v
        })
        .collect()
}

/// Source-like text: indented lines of words, identifiers, numbers and string literals.
fn text(rng: &mut Rng, values: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BUFFER + 256);
    let plant_every = BUFFER / PLANTED;
    let mut next_plant = plant_every / 2;
    while out.len() < BUFFER {
        let indent = rng.below(4) * 4;
        out.extend(std::iter::repeat_n(b' ', indent));
        for w in 0..3 + rng.below(8) {
            if w > 0 {
                out.push(b' ');
            }
            match rng.below(10) {
                0 => out.extend_from_slice(rng.below(100_000).to_string().as_bytes()),
                1 => {
                    out.push(b'"');
                    for _ in 0..4 + rng.below(12) {
                        out.push(ALNUM[rng.below(ALNUM.len())]);
                    }
                    out.push(b'"');
                }
                _ => out.extend_from_slice(WORDS[rng.below(WORDS.len())].as_bytes()),
            }
        }
        if out.len() >= next_plant {
            out.extend_from_slice(b" = \"");
            out.extend_from_slice(values[rng.below(values.len())].as_bytes());
            out.push(b'"');
            next_plant += plant_every;
        }
        out.extend_from_slice(b";\n");
    }
    out
}

fn main() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let vals = values(&mut rng);
    let buf = text(&mut rng, &vals);
    let known: Vec<KnownValue> = vals
        .iter()
        .enumerate()
        .map(|(i, v)| KnownValue {
            label: format!("bench/v/K{i} v1"),
            value: Zeroizing::new(v.clone().into_bytes()),
        })
        .collect();
    let full = Scanner::new(known).expect("scanner");
    let rules = Scanner::rules_only().expect("scanner");
    let found = full.scan(&buf, Content::Text).len();
    assert!(found >= PLANTED, "planted values must be found ({found})");

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("10k known values + rules", |b| {
        b.iter(|| black_box(full.scan(black_box(&buf), Content::Text)))
    });
    g.bench_function("rules only", |b| {
        b.iter(|| black_box(rules.scan(black_box(&buf), Content::Text)))
    });
    let finder = memchr::memmem::Finder::new(vals[0].as_bytes());
    g.bench_function("floor: memmem, one value", |b| {
        b.iter(|| black_box(finder.find_iter(black_box(&buf)).count()))
    });
    g.finish();
    c.final_summary();
}
