//! Fixture for `bench/scan.sh`: a Hush store holding N random secrets (made in-process with the
//! core library: 10k `hush set` processes would take minutes), and a deterministic tree of
//! source-like text with some of those values and some provider-shaped keys planted in it
//! (PLANTED values in random files, plus one in every fourth file of `subset/`).
//!
//! ```text
//! cargo run --release -p hush-tests --example scan_fixture -- HOME TREE MB VALUES PLANTED
//! ```
//!
//! The master password comes from HUSH_PASSWORD. The store's values are never written anywhere
//! else: the only plaintext copies are the planted ones, which are the point of the corpus.
//! Prints one line of JSON: files, bytes, planted values and planted shapes, and how many of
//! each lie in the `subset/` part of the tree (the part detect-secrets also scans).

#[path = "../../crates/hush-scan/benches/support/corpus.rs"]
mod corpus;

use std::io::Write;
use std::path::{Path, PathBuf};

use corpus::{ALNUM, Rng, WORDS};
use hush_core::address::Address;
use hush_core::crypto::KdfParams;
use hush_core::event::PutKind;
use hush_core::secret::SecretString;
use hush_core::session::{MetaUpdate, Session, system_clock};

/// Bytes per generated file (about).
const FILE_BYTES: usize = 96 * 1024;
/// Files per directory.
const PER_DIR: usize = 40;
/// Share of the tree in `subset/` (one file in a hundred: detect-secrets scans ~0.1 MB/s).
const SUBSET_EVERY: usize = 100;
/// Every this many files, one GitHub token and one AWS key id.
const SHAPES_EVERY: usize = 7;

fn random_alnum(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| ALNUM[rng.below(ALNUM.len())] as char)
        .collect()
}

/// A line of code-like text.
fn line(rng: &mut Rng, out: &mut Vec<u8>) {
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
                let n = 4 + rng.below(12);
                out.extend_from_slice(random_alnum(rng, n).as_bytes());
                out.push(b'"');
            }
            _ => out.extend_from_slice(WORDS[rng.below(WORDS.len())].as_bytes()),
        }
    }
    out.extend_from_slice(b";\n");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [home, tree, mb, values, planted] = &args[..] else {
        eprintln!("usage: scan_fixture HOME TREE MB VALUES PLANTED");
        std::process::exit(2);
    };
    let home = PathBuf::from(home);
    let tree = PathBuf::from(tree);
    let total: usize = mb.parse::<usize>().expect("MB") * 1024 * 1024;
    let n_values: usize = values.parse().expect("VALUES");
    let n_planted: usize = planted.parse().expect("PLANTED");
    let password = SecretString::new(std::env::var("HUSH_PASSWORD").expect("HUSH_PASSWORD"));

    let mut rng = Rng(0x5EED_5CA9_2026_0001);
    let prefixes = ["", "key_", "tok-", "pk_", "secret-", "api_"];
    let values: Vec<String> = (0..n_values)
        .map(|_| {
            let p = prefixes[rng.below(prefixes.len())];
            let n = 24 + rng.below(25);
            format!("{p}{}", random_alnum(&mut rng, n))
        })
        .collect();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(store(&home, &password, &values));

    // The tree.
    let files = total.div_ceil(FILE_BYTES);
    let mut planted_at: Vec<usize> = (0..n_planted).map(|_| rng.below(files)).collect();
    planted_at.sort_unstable();
    let mut report = Report::default();
    for f in 0..files {
        let subset = f.is_multiple_of(SUBSET_EVERY);
        let dir = if subset {
            tree.join("subset")
                .join(format!("mod_{:03}", f / SUBSET_EVERY / PER_DIR))
        } else {
            tree.join("rest").join(format!("mod_{:03}", f / PER_DIR))
        };
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut body = Vec::with_capacity(FILE_BYTES + 256);
        while body.len() < FILE_BYTES {
            line(&mut rng, &mut body);
        }
        // Random files, plus every fourth file of the subset so that it holds values too.
        let extra = usize::from(subset && (f / SUBSET_EVERY).is_multiple_of(4));
        for _ in 0..planted_at.iter().filter(|p| **p == f).count() + extra {
            let v = &values[rng.below(values.len())];
            body.extend_from_slice(format!("let api_key = \"{v}\";\n").as_bytes());
            report.planted_values += 1;
            report.subset_planted_values += usize::from(subset);
        }
        if f % SHAPES_EVERY == 3 {
            // A GitHub token and an AWS key id: shapes both tools know.
            let gh = format!("ghp_{}", random_alnum(&mut rng, 36));
            let aws: String = (0..16)
                .map(|_| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rng.below(32)] as char)
                .collect();
            body.extend_from_slice(
                format!("GITHUB_TOKEN = \"{gh}\"\naws_access_key_id = \"AKIA{aws}\"\n").as_bytes(),
            );
            report.planted_shapes += 2;
            report.subset_planted_shapes += 2 * usize::from(subset);
        }
        let ext = ["rs", "py", "ts", "go", "java"][f % 5];
        write(&dir.join(format!("file_{f:05}.{ext}")), &body);
        report.files += 1;
        report.bytes += body.len();
        if subset {
            report.subset_files += 1;
            report.subset_bytes += body.len();
        }
    }
    println!(
        "{{\"files\":{},\"bytes\":{},\"planted_values\":{},\"planted_shapes\":{},\"subset_files\":{},\"subset_bytes\":{},\"subset_planted_values\":{},\"subset_planted_shapes\":{}}}",
        report.files,
        report.bytes,
        report.planted_values,
        report.planted_shapes,
        report.subset_files,
        report.subset_bytes,
        report.subset_planted_values,
        report.subset_planted_shapes
    );
}

#[derive(Default)]
struct Report {
    files: usize,
    bytes: usize,
    planted_values: usize,
    planted_shapes: usize,
    subset_files: usize,
    subset_bytes: usize,
    subset_planted_values: usize,
    subset_planted_shapes: usize,
}

fn write(path: &Path, body: &[u8]) {
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(body).expect("write");
}

async fn store(home: &Path, password: &SecretString, values: &[String]) {
    let mut s = Session::init(home, "bench", password, KdfParams::DEFAULT, system_clock())
        .await
        .expect("init a fresh store");
    s.vault_create(None, "bench").await.expect("vault");
    for (i, v) in values.iter().enumerate() {
        let a = Address::parse(&format!("bench/KEY_{i:05}")).expect("address");
        s.set(
            None,
            &a,
            &SecretString::new(v.clone()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
    }
    s.close().await;
}
