//! Files on disk: which ones to scan, and scanning them on one or more threads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::scanner::{Content, Finding, Scanner};
use crate::{Error, Note};

/// The files under `paths` that a scan looks at, sorted.
///
/// Directories are walked with the rules git uses: `.gitignore` (also outside a git repository),
/// `.git/info/exclude`, the global excludes file and `.ignore` files. Hidden files are included
/// (`.env` is the classic leak) but `.git` directories are not. Symbolic links are not followed
/// inside directories; a path given explicitly is scanned even when it is a link or ignored.
/// Problems reading a directory become notes, and the walk goes on.
pub fn files(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Note>), Error> {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|source| Error::Io {
            path: root.clone(),
            source,
        })?;
        if !meta.is_dir() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .parents(true)
            .ignore(true)
            .git_ignore(true)
            .git_global(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) {
                        out.push(tidy(e.into_path()));
                    }
                }
                Err(e) => notes.push(Note::Unreadable {
                    what: String::new(),
                    reason: e.to_string(),
                }),
            }
        }
    }
    out.sort();
    out.dedup();
    Ok((out, notes))
}

/// `./src/a.rs` → `src/a.rs`, as people write it.
fn tidy(p: PathBuf) -> PathBuf {
    match p.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_owned(),
        _ => p,
    }
}

/// The findings of one file.
#[derive(Debug)]
pub struct FileFindings {
    /// The file.
    pub path: PathBuf,
    /// Its findings, by position.
    pub findings: Vec<Finding>,
}

/// The outcome of [`scan_files`].
#[derive(Debug, Default)]
pub struct FilesReport {
    /// Files with findings, in the order of the input.
    pub files: Vec<FileFindings>,
    /// Files skipped or unreadable.
    pub notes: Vec<Note>,
    /// Files scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
}

/// One file's outcome: its length and findings, or why it was skipped.
type Scanned = Result<(u64, Vec<Finding>), Note>;

/// Scans `files` on `threads` threads (at least one). Files larger than `max_size` bytes are
/// skipped with a note. Results do not depend on the number of threads.
pub fn scan_files(
    scanner: &Scanner,
    files: &[PathBuf],
    threads: usize,
    max_size: u64,
) -> FilesReport {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Scanned)>> = Mutex::new(Vec::new());
    let work = || {
        let mut local = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else { break };
            let r = read_capped(path, max_size).map(|data| {
                let f = scanner.scan(&data, Content::Sniff);
                (data.len() as u64, f)
            });
            local.push((i, r));
        }
        if let Ok(mut all) = results.lock() {
            all.append(&mut local);
        }
    };
    let threads = threads.clamp(1, files.len().max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut all = results.into_inner().unwrap_or_else(|e| e.into_inner());
    all.sort_by_key(|(i, _)| *i);
    let mut report = FilesReport::default();
    for (i, r) in all {
        match r {
            Ok((len, findings)) => {
                report.scanned += 1;
                report.bytes += len;
                if !findings.is_empty() {
                    report.files.push(FileFindings {
                        path: files[i].clone(),
                        findings,
                    });
                }
            }
            Err(note) => report.notes.push(note),
        }
    }
    report
}

/// Reads a file, refusing (with a note) one larger than `max_size` bytes without reading it all.
fn read_capped(path: &Path, max_size: u64) -> Result<Vec<u8>, Note> {
    let unreadable = |e: std::io::Error| Note::Unreadable {
        what: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > max_size {
        return Err(Note::TooLarge {
            what: path.display().to_string(),
            size,
            cap: max_size,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow between the size check and the read.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(unreadable)?;
    if data.len() as u64 > max_size {
        return Err(Note::TooLarge {
            what: path.display().to_string(),
            size: data.len() as u64,
            cap: max_size,
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KnownValue;
    use zeroize::Zeroizing;

    fn write(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }

    #[test]
    fn walks_respecting_gitignore_and_skipping_dot_git() {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path();
        write(root, ".gitignore", "ignored.txt\nbuild/\n");
        write(root, "a.txt", "a");
        write(root, ".env", "E=1");
        write(root, "sub/deep/b.txt", "b");
        write(root, "sub/ignored.txt", "x");
        write(root, "build/out.txt", "x");
        write(root, ".git/config", "x");
        let (files, notes) = files(&[root.to_owned()]).expect("walk");
        let rel: Vec<String> = files
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(rel, vec![".env", ".gitignore", "a.txt", "sub/deep/b.txt"]);
        assert!(notes.is_empty());
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let d = tempfile::tempdir().expect("tempdir");
        let missing = d.path().join("nope");
        let e = files(std::slice::from_ref(&missing)).expect_err("missing path");
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn large_files_are_skipped_with_a_note_and_threads_agree() {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path();
        for i in 0..20 {
            write(
                root,
                &format!("f{i:02}.txt"),
                &format!("line\nvalue-{i:02}-secret\n"),
            );
        }
        write(root, "big.txt", &"x".repeat(200));
        let scanner = Scanner::new(
            (0..20)
                .map(|i| KnownValue {
                    label: format!("t/v/K{i} v1"),
                    value: Zeroizing::new(format!("value-{i:02}-secret").into_bytes()),
                })
                .collect(),
        )
        .expect("scanner");
        let (list, _) = files(&[root.to_owned()]).expect("walk");
        let one = scan_files(&scanner, &list, 1, 100);
        let four = scan_files(&scanner, &list, 4, 100);
        assert_eq!(one.files.len(), 20);
        assert_eq!(one.scanned, 20);
        assert!(matches!(
            &one.notes[..],
            [Note::TooLarge {
                size: 200,
                cap: 100,
                ..
            }]
        ));
        let key = |r: &FilesReport| {
            r.files
                .iter()
                .map(|f| (f.path.clone(), f.findings.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&one), key(&four));
        assert_eq!(one.files[3].findings[0].line, 2);
    }
}
