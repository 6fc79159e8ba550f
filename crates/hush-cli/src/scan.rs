//! `hush scan` (leak scanning) and `hush hook install|uninstall` (the git pre-commit hook).
//!
//! Where the values come from:
//! * `--patterns-only`: nowhere; key shapes only.
//! * the hook (`--hook`, passed by the installed script): **only** a running agent. A hook must
//!   never prompt (git may run it from a GUI, and a password typed into a hook is a bad habit),
//!   so when no agent runs, or the store is not initialised, the scan falls back to key shapes
//!   and says so on stderr.
//! * otherwise: the usual backend (agent, else HUSH_PASSWORD, else a prompt); a store that was
//!   never initialised holds no values, so that scan is key shapes only, with a note.
//!
//! Values are turned into zeroizing buffers without copies and dropped as soon as the matcher
//! is built. Output names the secret's address and version or the rule, never a byte of a value.
//!
//! Exit codes: 0 clean, 1 something found, 2 the scan could not run (or some file could not be
//! read and nothing was found: a clean result would be a lie).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hush_core::agent::AgentClient;
use hush_core::api;
use hush_scan::git::BlobRef;
use hush_scan::{Finding, KnownValue, Note, Scanner, What};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::backend::Backend;
use crate::cli::{HookCommand, ScanArgs};
use crate::ctx::{print_json, with_backend};

/// Exit code: nothing found.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: secrets found.
pub const EXIT_FOUND: i32 = 1;
/// Exit code: the scan failed or is incomplete.
pub const EXIT_ERROR: i32 = 2;

/// The first line of the installed hook; how `hush hook install` recognises its own hook.
const HOOK_MARKER: &str = "# hush pre-commit hook";

/// Where the known values came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Source {
    /// The running agent.
    Agent,
    /// A session unlocked by this process.
    Password,
    /// None: key shapes only.
    None,
}

/// One finding as printed.
#[derive(Debug, Serialize)]
struct Out {
    /// The commit that introduced the blob (`--history`).
    commit: Option<String>,
    path: String,
    line: usize,
    col: usize,
    /// `value` or `rule`.
    kind: &'static str,
    /// The secret's address and version(s), for values.
    secret: Option<String>,
    /// The rule id, for key shapes.
    rule: Option<&'static str>,
    /// What the rule detects.
    description: Option<&'static str>,
}

impl Out {
    fn new(commit: Option<String>, path: String, f: Finding) -> Self {
        let (kind, secret, rule, description) = match f.what {
            What::Known(label) => ("value", Some(label), None, None),
            What::Rule(r) => ("rule", None, Some(r.id), Some(r.description)),
        };
        Self {
            commit,
            path,
            line: f.line,
            col: f.col,
            kind,
            secret,
            rule,
            description,
        }
    }

    fn text(&self) -> String {
        let loc = match &self.commit {
            Some(c) => format!("{c}:{}:{}:{}", self.path, self.line, self.col),
            None => format!("{}:{}:{}", self.path, self.line, self.col),
        };
        match (&self.secret, self.rule) {
            (Some(s), _) => format!("{loc}: value {s}"),
            (None, Some(r)) => format!("{loc}: rule {r}"),
            (None, None) => loc,
        }
    }
}

/// The whole report (`--json`).
#[derive(Debug, Serialize)]
struct Report {
    findings: Vec<Out>,
    /// Files or blobs scanned.
    scanned: u64,
    /// Bytes scanned.
    bytes: u64,
    /// Distinct values searched for.
    known_values: usize,
    /// Values shorter than the minimum, not searched for.
    short_values_skipped: usize,
    /// Where the values came from.
    values_from: Source,
    /// Skipped or unreadable inputs, and why values are missing.
    notes: Vec<String>,
    /// True when some input could not be read.
    incomplete: bool,
}

/// `hush scan`: returns the exit code; errors are printed here (exit 2), not by the caller.
pub fn scan(rt: &tokio::runtime::Runtime, home: &Path, json: bool, args: ScanArgs) -> Result<i32> {
    match scan_inner(rt, home, json, &args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("hush: error: {}", crate::one_line(&e));
            Ok(EXIT_ERROR)
        }
    }
}

fn scan_inner(
    rt: &tokio::runtime::Runtime,
    home: &Path,
    json: bool,
    args: &ScanArgs,
) -> Result<i32> {
    let max_size = parse_size(&args.max_size)?;
    let mut notes = Vec::new();
    let (values, source) = if args.patterns_only {
        (Vec::new(), Source::None)
    } else {
        known_values(rt, home, args.hook, &mut notes)?
    };
    let scanner = Scanner::new(values).context("cannot prepare the scan")?;
    if scanner.skipped_short() > 0 {
        notes.push(format!(
            "{} value(s) shorter than {} bytes are not searched for (too many false matches)",
            scanner.skipped_short(),
            hush_scan::MIN_VALUE_LEN
        ));
    }
    let mut report = Report {
        findings: Vec::new(),
        scanned: 0,
        bytes: 0,
        known_values: scanner.known_count(),
        short_values_skipped: scanner.skipped_short(),
        values_from: source,
        notes,
        incomplete: false,
    };
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let git_notes = if args.staged || args.history {
        let mut on_blob = |at: &BlobRef, data: &[u8]| {
            report.scanned += 1;
            report.bytes += data.len() as u64;
            for f in scanner.scan(data, hush_scan::Content::Sniff) {
                report
                    .findings
                    .push(Out::new(at.commit.clone(), at.path.clone(), f));
            }
        };
        if args.staged {
            hush_scan::git::staged(&cwd, max_size, &mut on_blob)?
        } else {
            hush_scan::git::history(&cwd, max_size, &mut on_blob)?
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let (files, mut walk_notes) = hush_scan::walk::files(&paths)?;
        let threads = args.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            usize::from,
        );
        let r = hush_scan::walk::scan_files(&scanner, &files, threads, max_size);
        report.scanned = r.scanned;
        report.bytes = r.bytes;
        for file in r.files {
            let path = file.path.display().to_string();
            for f in file.findings {
                report.findings.push(Out::new(None, path.clone(), f));
            }
        }
        walk_notes.extend(r.notes);
        walk_notes
    };
    drop(scanner);
    for n in &git_notes {
        if matches!(n, Note::Unreadable { .. }) {
            report.incomplete = true;
        }
        report.notes.push(n.to_string());
    }
    if args.staged || args.history {
        // Blobs come in git's order; people read by path. Stable: the oldest commit stays first.
        report
            .findings
            .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    }
    print(&report, json, args.hook)?;
    Ok(if !report.findings.is_empty() {
        EXIT_FOUND
    } else if report.incomplete {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    })
}

fn print(report: &Report, json: bool, hook: bool) -> Result<()> {
    if json {
        return print_json(report);
    }
    for n in &report.notes {
        eprintln!("hush: note: {n}");
    }
    for f in &report.findings {
        println!("{}", f.text());
    }
    let what = if report.known_values > 0 {
        format!(
            "{} known value(s) and the key-shape rules",
            report.known_values
        )
    } else {
        "the key-shape rules only".to_owned()
    };
    let summary = format!(
        "{} item(s), {}, against {what}",
        report.scanned,
        hush_scan::human_bytes(report.bytes)
    );
    if report.findings.is_empty() {
        eprintln!("hush: no secrets found in {summary}");
    } else {
        eprintln!(
            "hush: found {} secret(s) in {summary}",
            report.findings.len()
        );
        if hook {
            eprintln!(
                "hush: commit blocked: take these secrets out of the staged files (use hush:// references: `hush run`, `hush inject`). If a finding is wrong, commit with --no-verify."
            );
        }
    }
    Ok(())
}

/// The values to look for, and where they came from.
fn known_values(
    rt: &tokio::runtime::Runtime,
    home: &Path,
    hook: bool,
    notes: &mut Vec<String>,
) -> Result<(Vec<KnownValue>, Source)> {
    if !hush_core::store::Store::exists(home) {
        notes.push(format!(
            "no store at {} (`hush init`): checking key shapes only",
            home.display()
        ));
        return Ok((Vec::new(), Source::None));
    }
    if hook {
        let Some(mut client) = rt.block_on(AgentClient::connect(home)) else {
            notes.push(
                "hush is locked: checking key shapes only, not your vault's values (run `hush unlock` before committing so the hook can check them)"
                    .to_owned(),
            );
            return Ok((Vec::new(), Source::None));
        };
        return match rt.block_on(client.call(api::KnownValues {})) {
            Ok(v) => Ok((convert(v), Source::Agent)),
            Err(e) => {
                notes.push(format!(
                    "the agent did not return values ({e}): checking key shapes only"
                ));
                Ok((Vec::new(), Source::None))
            }
        };
    }
    with_backend(rt, home, |b| {
        let source = match b {
            Backend::Agent(_) => Source::Agent,
            Backend::Local(_) => Source::Password,
        };
        let values = rt.block_on(b.call(api::KnownValues {}))?;
        Ok((convert(values), source))
    })
}

/// Core values → scanner values, moving each value's buffer (no copy left behind).
fn convert(values: Vec<hush_core::known::KnownValue>) -> Vec<KnownValue> {
    values
        .into_iter()
        .map(|k| {
            let mut s = k.value.into_zeroizing();
            let bytes = std::mem::take(&mut *s).into_bytes();
            KnownValue {
                label: format!("{} v{}", k.address, k.version),
                value: Zeroizing::new(bytes),
            }
        })
        .collect()
}

/// `64M`, `512K`, `1G`, `1000` (bytes; K/M/G are powers of 1024).
fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mul: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => bail!("--max-size {s:?}: use a number of bytes, or K, M or G"),
            };
            (&t[..i], mul)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("--max-size {s:?}: use a number of bytes, or K, M or G"))?;
    n.checked_mul(mul)
        .filter(|n| *n > 0)
        .ok_or_else(|| anyhow::anyhow!("--max-size {s:?} is out of range"))
}

/// `hush hook ...`.
pub fn hook(cmd: HookCommand) -> Result<i32> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = hush_scan::git::hooks_dir(&cwd)
        .map_err(|e| anyhow::anyhow!("{e} (run this inside the git repository to protect)"))?;
    let path = dir.join("pre-commit");
    match cmd {
        HookCommand::Install { force } => install(&dir, &path, force),
        HookCommand::Uninstall => uninstall(&path),
    }
}

fn hook_script() -> String {
    // The binary that installed the hook, so that GUI git clients with a short PATH find it; if
    // it has moved since (an upgrade), whatever `hush` is on PATH.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .filter(|p| !p.contains('\''))
        .unwrap_or_else(|| "hush".to_owned());
    format!(
        "#!/bin/sh\n\
         {HOOK_MARKER} (installed by `hush hook install`; remove with `hush hook uninstall`).\n\
         # Blocks the commit when a staged file contains a value from your vault (needs `hush unlock`;\n\
         # locked, only key shapes are checked) or a well-known key shape. Never asks for a password.\n\
         HUSH='{exe}'\n\
         [ -x \"$HUSH\" ] || HUSH=hush\n\
         exec \"$HUSH\" scan --staged --hook\n"
    )
}

fn is_ours(path: &Path) -> Result<Option<bool>> {
    match std::fs::read(path) {
        Ok(data) => Ok(Some(
            String::from_utf8_lossy(&data)
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with(HOOK_MARKER)),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn install(dir: &Path, path: &Path, force: bool) -> Result<i32> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let existing = is_ours(path)?;
    if existing == Some(false) {
        if !force {
            bail!(
                "{} already exists and is not hush's hook; pass --force to replace it (it is kept as pre-commit.hush-backup)",
                path.display()
            );
        }
        let backup = dir.join("pre-commit.hush-backup");
        std::fs::rename(path, &backup)
            .with_context(|| format!("cannot move the old hook to {}", backup.display()))?;
        eprintln!("moved the previous hook to {}", backup.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Written beside the hook, then renamed over it: git never runs a half-written hook.
    let tmp = dir.join(".pre-commit.hush-tmp");
    let _ = std::fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(&tmp)?;
        f.write_all(hook_script().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    if existing == Some(true) {
        eprintln!(
            "the hush pre-commit hook is installed (updated) at {}",
            path.display()
        );
    } else {
        eprintln!("installed the hush pre-commit hook at {}", path.display());
    }
    eprintln!(
        "commits now run `hush scan --staged`; while `hush unlock` is in effect it also checks your vault's values"
    );
    Ok(0)
}

fn uninstall(path: &Path) -> Result<i32> {
    match is_ours(path)? {
        None => eprintln!("no pre-commit hook at {}", path.display()),
        Some(false) => bail!("{} is not hush's hook; leaving it alone", path.display()),
        Some(true) => {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            eprintln!("removed the hush pre-commit hook");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1000").expect("bytes"), 1000);
        assert_eq!(parse_size("64M").expect("MiB"), 64 << 20);
        assert_eq!(parse_size("2k").expect("KiB"), 2048);
        assert_eq!(parse_size("1G").expect("GiB"), 1 << 30);
        for bad in ["", "0", "x", "12Q", "-1", "99999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_hook_script_is_recognised_as_ours() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("pre-commit");
        std::fs::write(&p, hook_script()).expect("write");
        assert_eq!(is_ours(&p).expect("read"), Some(true));
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").expect("write");
        assert_eq!(is_ours(&p).expect("read"), Some(false));
        assert_eq!(is_ours(&d.path().join("none")).expect("read"), None);
        assert!(hook_script().contains("scan --staged --hook"));
    }
}
