//! The layering `docs/ARCHITECTURE.md` draws, checked on the code itself:
//! - inside each crate, the modules (the top-level files and folders of its `src/`) import one
//!   another without circles, so every module stands on a floor above everything it uses;
//! - across crates, the boundaries that matter: the wire format and the relay never depend on the
//!   client core, and nothing below the desktop shell depends on Tauri.
//!
//! `cargo test -p hush-tests --test layers -- --nocapture` prints each crate's floors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose modules are checked, by source folder.
const SOURCES: &[&str] = &[
    "crates/hush-proto/src",
    "crates/hush-core/src",
    "crates/hush-cli/src",
    "crates/hush-relay/src",
    "crates/hush-scan/src",
    "src-tauri",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the repository")
        .to_path_buf()
}

/// Every `.rs` file below `dir`, except files that only hold tests.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            rust_files(&p, out);
        } else if name.ends_with(".rs") && !matches!(name, "tests.rs" | "testkit.rs") {
            out.push(p);
        }
    }
}

/// The part of a source file that is built outside tests: up to its `#[cfg(test)]` module, with
/// comment lines left out (a doc link is not an import).
fn non_test_code(src: &str) -> String {
    let mut out = String::new();
    let mut lines = src.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if !t.starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn ident_prefix(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segments a source text reaches through `crate::` (`crate::a::B`,
/// `crate::{a::B, c}`).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("crate::") {
        let start = at + i;
        at = start + "crate::".len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `hush_crate::`, not this crate
        }
        let after = &code[at..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident_prefix(group[item_start..k].trim()).to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident_prefix(group[item_start..k].trim()).to_owned());
                        item_start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident_prefix(after).to_owned());
        }
    }
    out.remove("");
    out
}

/// A crate's module graph: each top-level module and the other top-level modules it imports.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |p: &Path| -> Option<String> {
        let rel = p.strip_prefix(src).expect("below src");
        let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
        let m = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        (!matches!(m.as_str(), "lib" | "main")).then_some(m)
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut uses = Vec::new();
    for f in &files {
        let Some(m) = module_of(f) else { continue };
        graph.entry(m.clone()).or_default();
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        uses.push((m, crate_refs(&non_test_code(&text))));
    }
    for (m, refs) in uses {
        let known: BTreeSet<String> = refs
            .into_iter()
            .filter(|r| *r != m && graph.contains_key(r))
            .collect();
        graph.get_mut(&m).expect("module").extend(known);
    }
    graph
}

/// Every module reachable from `from` (itself excluded unless a circle leads back).
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&String> = graph[from].iter().collect();
    while let Some(m) = stack.pop() {
        if seen.insert(m.clone()) {
            stack.extend(graph[m].iter());
        }
    }
    seen
}

/// The modules that take part in a circle, each with the circle's other members.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, BTreeSet<String>)> {
    let reach: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reachable(graph, m))).collect();
    graph
        .keys()
        .filter(|m| reach[m].contains(*m))
        .map(|m| {
            let with = reach[m]
                .iter()
                .filter(|o| *o != m && reach[*o].contains(m))
                .cloned()
                .collect();
            (m.clone(), with)
        })
        .collect()
}

/// Floor 1 uses no other module; every module stands one floor above the highest it uses.
fn floors(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, usize> {
    fn floor(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        memo: &mut BTreeMap<String, usize>,
    ) -> usize {
        if let Some(f) = memo.get(m) {
            return *f;
        }
        let f = 1 + graph[m]
            .iter()
            .map(|d| floor(d, graph, memo))
            .max()
            .unwrap_or(0);
        memo.insert(m.to_owned(), f);
        f
    }
    let mut memo = BTreeMap::new();
    for m in graph.keys() {
        floor(m, graph, &mut memo);
    }
    memo
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let mut report = Vec::new();
    for src in SOURCES {
        let graph = module_graph(&root().join(src));
        assert!(
            graph.len() >= 3,
            "{src}: only {} modules found; is the path right?",
            graph.len()
        );
        let found = circles(&graph);
        assert!(
            found.is_empty(),
            "{src}: modules that import each other in a circle: {found:?}"
        );
        let floors = floors(&graph);
        let top = floors.values().copied().max().unwrap_or(0);
        println!("{src}: {} modules on {top} floors", graph.len());
        for f in (1..=top).rev() {
            let on: Vec<&str> = floors
                .iter()
                .filter(|(_, x)| **x == f)
                .map(|(m, _)| m.as_str())
                .collect();
            println!("  floor {f:2}: {}", on.join(", "));
        }
        report.push(src);
    }
    assert_eq!(report.len(), SOURCES.len());
}

#[test]
fn the_checker_sees_a_circle_and_grouped_imports() {
    let refs = crate_refs(&non_test_code(
        "use crate::{a::X, b, c::{D, E}};\nuse crate::d;\n// see [`crate::e`]\nlet x = hush_crate::f();\n",
    ));
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["a", "b", "c", "d"],
        "grouped, plain, commented and foreign paths"
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &["a"][..]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_owned(), d.iter().map(|s| (*s).to_owned()).collect()))
    .collect();
    let found: Vec<String> = circles(&graph).into_iter().map(|(m, _)| m).collect();
    assert_eq!(found, ["a", "b", "c"]);
    let code = "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\n";
    assert!(
        crate_refs(&non_test_code(code)).is_empty(),
        "test modules are left out"
    );
}

/// A crate's `[dependencies]` (and target-specific dependency tables), as dependency names.
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(manifest)).expect("manifest");
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t == "[dependencies]"
                || (t.starts_with("[target.") && t.ends_with(".dependencies]"));
            continue;
        }
        // `name = …`, `name.workspace = true`, `name = { … }`
        if in_deps && let Some((key, _)) = t.split_once('=') {
            let name = key.trim();
            out.insert(name.strip_suffix(".workspace").unwrap_or(name).to_owned());
        }
    }
    out
}

#[test]
fn crate_boundaries_hold() {
    let proto = dependencies("crates/hush-proto/Cargo.toml");
    let relay = dependencies("crates/hush-relay/Cargo.toml");
    let core = dependencies("crates/hush-core/Cargo.toml");
    let cli = dependencies("crates/hush-cli/Cargo.toml");
    assert!(!proto.is_empty() && !relay.is_empty() && !core.is_empty());
    assert!(
        !proto.contains("hush-core"),
        "the wire format stands below the core"
    );
    assert!(
        relay.contains("hush-proto") && !relay.contains("hush-core"),
        "the relay speaks the wire format and never compiles the client's core: {relay:?}"
    );
    for (name, deps) in [
        ("hush-core", &core),
        ("hush-cli", &cli),
        ("hush-relay", &relay),
    ] {
        for gui in ["tauri", "wry", "webkit2gtk", "gtk"] {
            assert!(!deps.contains(gui), "{name} depends on {gui}");
        }
    }
}
