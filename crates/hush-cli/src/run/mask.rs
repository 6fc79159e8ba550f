//! Concealing secret values in a byte stream: the masker behind `hush run --mask`.
//!
//! A secret may arrive split across two reads from the pipe, so the masker keeps back the end
//! of each chunk for as long as it could still be the start of a secret, and nothing else:
//! ordinary output, such as a prompt without a trailing newline, is written and flushed as soon
//! as it is read. All occurrences of all values are found, overlapping ones included, and each
//! run of concealed bytes is written as one [`CONCEALED`] marker. A value that overlaps another,
//! or is a prefix of another, therefore cannot leave part of a secret in the output (the
//! leftmost-first or leftmost-longest replacement of a single pass would show the tail of the
//! second value). `aho-corasick`'s own stream replacement is not used because it supports only
//! the standard match kind without overlaps and keeps back the last bytes of every chunk,
//! whether or not they could belong to a secret.
//!
//! Values shorter than [`MIN_MASKED_LEN`] bytes are not concealed: they would match all over
//! ordinary output. hush warns about each of them by name.

use std::io::{self, Read, Write};

use aho_corasick::AhoCorasick;
use anyhow::Context;
use zeroize::Zeroizing;

use super::warn;

/// What a concealed secret looks like in masked output.
pub const CONCEALED: &str = "<concealed by hush>";

/// Values shorter than this many bytes are not masked (and hush warns about them).
pub const MIN_MASKED_LEN: usize = 4;

/// How many bytes the relays read from a pipe at a time.
const CHUNK_LEN: usize = 8 * 1024;

/// Copies `reader` to `writer`, replacing every occurrence of each of `values` with
/// [`CONCEALED`].
///
/// Overlapping occurrences are concealed together as one marker; a value split across reads
/// is still found. Bytes are written as soon as they cannot be part of a value. Empty values
/// are ignored; no minimum length is applied here (that is
/// [`run_child`](super::run_child)'s policy). The writer is flushed at the end.
///
/// # Errors
///
/// Returns the first error from reading or writing. Interrupted reads are retried.
pub fn mask_stream<R: Read, W: Write>(values: &[&[u8]], reader: R, writer: W) -> io::Result<()> {
    Masker::new(values)?.copy(reader, writer)
}

/// Builds the masker for `env`, warning about each value too short to be masked.
pub(super) fn masker_for(env: &[(String, Zeroizing<String>)]) -> anyhow::Result<Masker> {
    let mut values: Vec<&[u8]> = Vec::with_capacity(env.len());
    for (name, value) in env {
        if value.len() >= MIN_MASKED_LEN {
            values.push(value.as_bytes());
        } else if !value.is_empty() {
            warn(&format!(
                "{name} is shorter than {MIN_MASKED_LEN} bytes, so --mask will not conceal it"
            ));
        }
    }
    Masker::new(&values).context("cannot prepare output masking")
}

/// Finds secret values in a byte stream and conceals them.
pub(super) struct Masker {
    /// All values, for reporting every (overlapping) occurrence.
    matcher: AhoCorasick,
    /// The same values, to recognise the start of one at the end of a chunk.
    values: Vec<Zeroizing<Vec<u8>>>,
    /// Length of the longest value.
    longest: usize,
}

/// Where a [`Masker`] is in a stream, relative to the start of the chunk being processed.
#[derive(Default)]
struct Progress {
    /// Bytes before this offset belong to a run of concealed bytes whose marker has already
    /// been written.
    concealed_until: usize,
}

impl Masker {
    fn new(values: &[&[u8]]) -> io::Result<Self> {
        let values: Vec<Zeroizing<Vec<u8>>> = values
            .iter()
            .filter(|value| !value.is_empty())
            .map(|value| Zeroizing::new(value.to_vec()))
            .collect();
        // The standard match kind is the one that can report overlapping matches. The error
        // is about automaton size and never contains a pattern.
        let matcher = AhoCorasick::new(values.iter().map(|value| value.as_slice()))
            .map_err(|_| io::Error::other("too many or too long secret values to mask"))?;
        let longest = values.iter().map(|value| value.len()).max().unwrap_or(0);
        Ok(Self {
            matcher,
            values,
            longest,
        })
    }

    pub(super) fn copy<R: Read, W: Write>(&self, mut reader: R, mut writer: W) -> io::Result<()> {
        // Held-back bytes are a proper prefix of a value, so shorter than `longest`.
        let mut buf = Zeroizing::new(vec![0; CHUNK_LEN + self.longest]);
        let mut held = 0;
        let mut progress = Progress::default();
        loop {
            let read = match reader.read(&mut buf[held..held + CHUNK_LEN]) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            let len = held + read;
            let settled = self.conceal(&buf[..len], false, &mut progress, &mut writer)?;
            buf.copy_within(settled..len, 0);
            held = len - settled;
        }
        self.conceal(&buf[..held], true, &mut progress, &mut writer)?;
        writer.flush()
    }

    /// Writes the part of `chunk` that later input cannot change, with secrets concealed, and
    /// returns its length; the caller keeps the rest and puts it in front of the next chunk.
    /// At the end of the stream everything is settled.
    fn conceal<W: Write>(
        &self,
        chunk: &[u8],
        at_end: bool,
        progress: &mut Progress,
        writer: &mut W,
    ) -> io::Result<usize> {
        let settled = if at_end {
            chunk.len()
        } else {
            self.unfinished_start(chunk)
        };
        // A match starting before `settled` lies wholly in `chunk`: if it ran past the end, its
        // start would be an unfinished value, at or after `settled`. Matches starting later
        // are found again in the next chunk, which begins at `settled`.
        let mut matches: Vec<(usize, usize)> = self
            .matcher
            .try_find_overlapping_iter(chunk)
            .map_err(io::Error::other)?
            .map(|found| (found.start(), found.end()))
            .filter(|&(start, _)| start < settled)
            .collect();
        matches.sort_unstable();
        for (start, end) in matches {
            if start >= progress.concealed_until {
                writer.write_all(&chunk[progress.concealed_until..start])?;
                writer.write_all(CONCEALED.as_bytes())?;
            }
            progress.concealed_until = progress.concealed_until.max(end);
        }
        if progress.concealed_until < settled {
            writer.write_all(&chunk[progress.concealed_until..settled])?;
        }
        // A concealed run may reach into the held-back bytes; keep it relative to them.
        progress.concealed_until = progress.concealed_until.saturating_sub(settled);
        Ok(settled)
    }

    /// The earliest offset from which the rest of `chunk` is a proper prefix of some value,
    /// or `chunk.len()` if there is none.
    fn unfinished_start(&self, chunk: &[u8]) -> usize {
        let earliest = chunk.len().saturating_sub(self.longest.saturating_sub(1));
        (earliest..chunk.len())
            .find(|&start| {
                let rest = &chunk[start..];
                self.values
                    .iter()
                    .any(|value| value.len() > rest.len() && value.starts_with(rest))
            })
            .unwrap_or(chunk.len())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::run::secret;

    /// A reader that hands out one byte per read.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&byte, rest)), Some(slot)) => {
                    *slot = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn masked(values: &[&str], input: &str) -> io::Result<String> {
        let values: Vec<&[u8]> = values.iter().map(|value| value.as_bytes()).collect();
        let mut whole = Vec::new();
        mask_stream(&values, input.as_bytes(), &mut whole)?;
        let mut bytewise = Vec::new();
        mask_stream(&values, OneByte(input.as_bytes()), &mut bytewise)?;
        assert_eq!(whole, bytewise, "output depends on how the input was split");
        Ok(String::from_utf8_lossy(&whole).into_owned())
    }

    const C: &str = CONCEALED;

    #[test]
    fn masks_a_value_split_across_reads() -> io::Result<()> {
        assert_eq!(masked(&["hunter22"], "pw=hunter22.")?, format!("pw={C}."));
        assert_eq!(masked(&["hunter22"], "hunter22")?, C);
        Ok(())
    }

    #[test]
    fn masks_every_occurrence_of_several_values() -> io::Result<()> {
        assert_eq!(
            masked(&["alpha1", "bravo2"], "alpha1 and bravo2, alpha1 again")?,
            format!("{C} and {C}, {C} again")
        );
        Ok(())
    }

    #[test]
    fn masks_overlapping_values_as_one_run() -> io::Result<()> {
        assert_eq!(
            masked(&["abcdef", "defghi"], "x abcdefghi y")?,
            format!("x {C} y")
        );
        assert_eq!(masked(&["aaaa"], "aaaaaaaaaa!")?, format!("{C}!"));
        Ok(())
    }

    #[test]
    fn masks_a_value_that_is_a_prefix_of_another() -> io::Result<()> {
        let values = ["abcd", "abcdefgh"];
        assert_eq!(masked(&values, "<abcdefgh>")?, format!("<{C}>"));
        assert_eq!(masked(&values, "<abcdefg>")?, format!("<{C}efg>"));
        assert_eq!(masked(&values, "<abcd>")?, format!("<{C}>"));
        assert_eq!(masked(&values, "abcdefg")?, format!("{C}efg"));
        Ok(())
    }

    #[test]
    fn adjacent_values_get_a_marker_each() -> io::Result<()> {
        assert_eq!(masked(&["abcd"], "abcdabcd")?, format!("{C}{C}"));
        Ok(())
    }

    #[test]
    fn leaves_other_output_alone() -> io::Result<()> {
        assert_eq!(
            masked(&["secret"], "a secre, not a secret")?,
            format!("a secre, not a {C}")
        );
        assert_eq!(masked(&["secret"], "ends with secre")?, "ends with secre");
        assert_eq!(masked(&[], "nothing to hide")?, "nothing to hide");
        assert_eq!(
            masked(&[""], "empty values are ignored")?,
            "empty values are ignored"
        );
        assert_eq!(masked(&["secret"], "")?, "");
        Ok(())
    }

    #[test]
    fn long_output_is_masked_across_chunk_boundaries() -> io::Result<()> {
        let value = "0123456789abcdef";
        let filler = "x".repeat(CHUNK_LEN - 5);
        let input = format!("{filler}{value}{filler}{value}");
        let mut out = Vec::new();
        mask_stream(&[value.as_bytes()], input.as_bytes(), &mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("{filler}{C}{filler}{C}")
        );
        Ok(())
    }

    /// Hands out its chunks one per read; before each read it records what the writer had
    /// received by then.
    struct Chunks {
        chunks: Vec<&'static [u8]>,
        sink: Rc<RefCell<Vec<u8>>>,
        seen: Vec<String>,
    }

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.seen
                .push(String::from_utf8_lossy(&self.sink.borrow()).into_owned());
            if self.chunks.is_empty() {
                return Ok(0);
            }
            let chunk = self.chunks.remove(0);
            buf[..chunk.len()].copy_from_slice(chunk);
            Ok(chunk.len())
        }
    }

    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn output_is_held_back_only_while_it_may_be_a_secret() -> io::Result<()> {
        let sink = Rc::new(RefCell::new(Vec::new()));
        let mut reader = Chunks {
            chunks: vec![b"Password: ", b"hunt", b"er22!"],
            sink: Rc::clone(&sink),
            seen: Vec::new(),
        };
        let masker = Masker::new(&[b"hunter22".as_slice()])?;
        masker.copy(&mut reader, Shared(Rc::clone(&sink)))?;
        // The prompt is written before hush reads again; "hunt" waits for the next chunk.
        assert_eq!(
            reader.seen,
            ["", "Password: ", "Password: ", &format!("Password: {C}!")]
        );
        Ok(())
    }

    #[test]
    fn short_values_are_not_masked() -> anyhow::Result<()> {
        let env = vec![
            secret("SHORT", "abc"),
            secret("LONG", "abcdefg"),
            secret("EMPTY", ""),
        ];
        let masker = masker_for(&env)?;
        let mut out = Vec::new();
        masker.copy(&b"abc abcdefg"[..], &mut out)?;
        assert_eq!(String::from_utf8_lossy(&out), format!("abc {C}"));
        Ok(())
    }
}
