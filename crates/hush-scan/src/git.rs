//! Git plumbing, by running the `git` binary: what is staged, and every blob in history.
//!
//! * `--staged`: `git diff --cached --raw -z --no-abbrev --no-renames --diff-filter=ACM` lists
//!   the index entries that differ from `HEAD` (all of them before the first commit) with the
//!   object id of the *staged* blob, so what is scanned is exactly what would be committed, even
//!   when the working tree has changed since `git add`. Inside a hook, git's `GIT_INDEX_FILE`
//!   (set by `git commit -a` and `git commit PATH`) is inherited and honoured.
//! * `--history`: `git log --all --reverse --raw -z --no-renames --root
//!   --diff-merges=first-parent` walks every commit reachable from any ref, oldest first, and
//!   lists the blobs each one adds or changes relative to its first parent (`--topo-order`, so a
//!   parent always comes before its children whatever the commit dates say). Every blob of every
//!   reachable tree is added by some commit this way, so each distinct blob is scanned once, and
//!   reported under the **oldest commit (in that order) that introduced it** and the path it had
//!   there.
//!
//! Blob contents come from one `git cat-file --batch` process, fed object ids on a separate
//! thread so that neither side can block the other on a full pipe. Submodule entries (mode
//! 160000) are skipped: their commits live in another repository.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Error, Note};

/// Where a blob was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// The commit that introduced it (history scans only), full hex id.
    pub commit: Option<String>,
    /// Its path in the repository, from the top-level directory.
    pub path: String,
}

impl std::fmt::Display for BlobRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.commit {
            Some(c) => write!(f, "{c}:{}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// The top-level directory of the work tree containing `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, Error> {
    let out = run(dir, &["rev-parse", "--show-toplevel"])?;
    let s = String::from_utf8(out)
        .map_err(|_| Error::Git("the repository path is not valid UTF-8".into()))?;
    Ok(PathBuf::from(s.trim_end_matches('\n')))
}

/// The `.git` directory holding the hooks for the repository containing `dir` (absolute).
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, Error> {
    let out = run(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
    )?;
    let s = String::from_utf8(out)
        .map_err(|_| Error::Git("the repository path is not valid UTF-8".into()))?;
    Ok(PathBuf::from(s.trim_end_matches('\n')))
}

/// Calls `f` with every staged blob (added, copied or modified) of the repository containing
/// `dir`. Blobs larger than `max_size` are skipped with a note.
pub fn staged(
    dir: &Path,
    max_size: u64,
    f: impl FnMut(&BlobRef, &[u8]),
) -> Result<Vec<Note>, Error> {
    let top = toplevel(dir)?;
    let out = run(
        &top,
        &[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--diff-filter=ACM",
        ],
    )?;
    let blobs = parse_raw(&out)?
        .into_iter()
        .map(|(_, id, path)| {
            (
                id,
                BlobRef {
                    commit: None,
                    path: path.to_owned(),
                },
            )
        })
        .collect::<Vec<_>>();
    cat_blobs(&top, blobs, max_size, f)
}

/// Calls `f` once with every distinct blob reachable from any ref of the repository containing
/// `dir`, located at the oldest commit that introduced it.
pub fn history(
    dir: &Path,
    max_size: u64,
    f: impl FnMut(&BlobRef, &[u8]),
) -> Result<Vec<Note>, Error> {
    let top = toplevel(dir)?;
    let out = run(
        &top,
        &[
            "log",
            "--all",
            "--reverse",
            "--topo-order",
            "--format=tformat:%x01%H",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--root",
            "--diff-merges=first-parent",
            "--diff-filter=ACM",
        ],
    )?;
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    for (commit, id, path) in parse_raw(&out)? {
        if seen.insert(id.clone()) {
            blobs.push((
                id,
                BlobRef {
                    commit,
                    path: path.to_owned(),
                },
            ));
        }
    }
    cat_blobs(&top, blobs, max_size, f)
}

/// Parses `--raw -z` output, optionally interleaved with `\x01COMMIT` headers, into
/// (commit, blob id, path) for every added or modified blob that is not a submodule.
fn parse_raw(out: &[u8]) -> Result<Vec<(Option<String>, String, String)>, Error> {
    let bad = || Error::Git("unexpected output from git diff --raw".into());
    let mut items = Vec::new();
    let mut commit: Option<String> = None;
    let mut fields = out.split(|b| *b == 0);
    while let Some(token) = fields.next() {
        let token = token.strip_prefix(b"\n").unwrap_or(token);
        if token.is_empty() {
            continue;
        }
        if let Some(id) = token.strip_prefix(b"\x01") {
            commit = Some(String::from_utf8(id.to_vec()).map_err(|_| bad())?);
            continue;
        }
        // ":OLDMODE NEWMODE OLDID NEWID STATUS" then the path as the next field.
        let header =
            std::str::from_utf8(token.strip_prefix(b":").ok_or_else(bad)?).map_err(|_| bad())?;
        let path = fields.next().filter(|p| !p.is_empty()).ok_or_else(bad)?;
        let parts: Vec<&str> = header.split(' ').collect();
        let [_, new_mode, _, new_id, _status] = parts[..] else {
            return Err(bad());
        };
        // SHA-1 or SHA-256 object ids.
        if !matches!(new_id.len(), 40 | 64) || !new_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        if new_mode == "160000" {
            continue;
        }
        items.push((
            commit.clone(),
            new_id.to_owned(),
            String::from_utf8_lossy(path).into_owned(),
        ));
    }
    Ok(items)
}

/// Streams blob contents through `git cat-file --batch`.
fn cat_blobs(
    top: &Path,
    blobs: Vec<(String, BlobRef)>,
    max_size: u64,
    mut f: impl FnMut(&BlobRef, &[u8]),
) -> Result<Vec<Note>, Error> {
    let mut notes = Vec::new();
    if blobs.is_empty() {
        return Ok(notes);
    }
    let mut child = Command::new("git")
        .current_dir(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(Error::Git("cannot talk to git cat-file".into()));
    };
    let ids: Vec<String> = blobs.iter().map(|(id, _)| id.clone()).collect();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(&mut stdin);
        for id in ids {
            w.write_all(id.as_bytes())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    });
    let result = read_batch(BufReader::new(stdout), &blobs, max_size, &mut f, &mut notes);
    let wrote = writer.join();
    let status = child
        .wait()
        .map_err(|e| Error::Git(format!("git cat-file: {e}")))?;
    result?;
    match wrote {
        Ok(Ok(())) => {}
        _ => return Err(Error::Git("git cat-file stopped reading".into())),
    }
    if !status.success() {
        return Err(Error::Git(format!("git cat-file failed ({status})")));
    }
    Ok(notes)
}

fn read_batch(
    mut r: impl BufRead,
    blobs: &[(String, BlobRef)],
    max_size: u64,
    f: &mut impl FnMut(&BlobRef, &[u8]),
    notes: &mut Vec<Note>,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Git(format!("reading from git cat-file: {e}"));
    let bad = || Error::Git("unexpected output from git cat-file".into());
    let mut header = String::new();
    let mut data = Vec::new();
    for (id, at) in blobs {
        header.clear();
        if r.read_line(&mut header).map_err(io)? == 0 {
            return Err(Error::Git("git cat-file ended early".into()));
        }
        let fields: Vec<&str> = header.trim_end().split(' ').collect();
        match fields[..] {
            [got, "missing"] if got == id => {
                notes.push(Note::Unreadable {
                    what: at.to_string(),
                    reason: "object missing from the repository".into(),
                });
                continue;
            }
            [got, kind, size] if got == id => {
                let size: u64 = size.parse().map_err(|_| bad())?;
                if kind != "blob" || size > max_size {
                    std::io::copy(&mut (&mut r).take(size), &mut std::io::sink()).map_err(io)?;
                    if size > max_size {
                        notes.push(Note::TooLarge {
                            what: at.to_string(),
                            size,
                            cap: max_size,
                        });
                    }
                } else {
                    data.clear();
                    (&mut r).take(size).read_to_end(&mut data).map_err(io)?;
                    if data.len() as u64 != size {
                        return Err(Error::Git("git cat-file ended early".into()));
                    }
                    f(at, &data);
                }
                let mut nl = [0u8; 1];
                r.read_exact(&mut nl).map_err(io)?;
                if nl[0] != b'\n' {
                    return Err(bad());
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(())
}

fn spawn_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::Git("git is not installed (or not on PATH)".into())
    } else {
        Error::Git(format!("cannot run git: {e}"))
    }
}

/// Runs git in `dir`, returning stdout, or its first error line.
fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(spawn_error)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed")
            .trim()
            .trim_start_matches("fatal: ")
            .to_owned();
        return Err(Error::Git(line));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_records_with_commits_and_odd_paths() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let out = format!(
            "\x01{c}\0\n:000000 100644 {z} {a} A\0dir/file name\0:000000 160000 {z} {b} A\0sub\0\x01{a}\0\n:100644 100644 {a} {b} M\0new\nline\0"
        );
        let items = parse_raw(out.as_bytes()).expect("parse");
        assert_eq!(
            items,
            vec![
                (Some(c.clone()), a.clone(), "dir/file name".to_owned()),
                (Some(a.clone()), b.clone(), "new\nline".to_owned()),
            ]
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_raw(b"hello\0world\0").is_err());
        assert!(parse_raw(b":100644 100644\0p\0").is_err());
        assert!(parse_raw(b":000000 100644 a b A\0").is_err());
        assert!(parse_raw(b"").expect("empty").is_empty());
    }

    #[test]
    fn reads_batch_output_and_notes_missing_and_large_objects() {
        let ids = ["1".repeat(40), "2".repeat(40), "3".repeat(40)];
        let blobs: Vec<(String, BlobRef)> = ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    BlobRef {
                        commit: None,
                        path: format!("p{}", &id[..1]),
                    },
                )
            })
            .collect();
        let out = format!(
            "{} blob 5\nhello\n{} missing\n{} blob 12\n0123456789ab\n",
            ids[0], ids[1], ids[2]
        );
        let mut seen = Vec::new();
        let mut notes = Vec::new();
        read_batch(
            out.as_bytes(),
            &blobs,
            10,
            &mut |at: &BlobRef, d: &[u8]| seen.push((at.path.clone(), d.to_vec())),
            &mut notes,
        )
        .expect("batch");
        assert_eq!(seen, vec![("p1".to_owned(), b"hello".to_vec())]);
        assert_eq!(notes.len(), 2);
        let truncated = format!("{} blob 50\nshort", ids[0]);
        let e = read_batch(
            truncated.as_bytes(),
            &blobs[..1],
            100,
            &mut |_: &BlobRef, _: &[u8]| {},
            &mut Vec::new(),
        );
        assert!(e.is_err());
    }
}
