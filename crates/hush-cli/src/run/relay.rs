//! The two threads that copy the masked stdout and stderr of `hush run --mask`'s command to
//! hush's own, each through the masker, flushing as they go.

use std::io::{self, Write};
use std::process::Command;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use anyhow::Context;

use super::mask::Masker;
use super::warn;

/// A writer that flushes after every write, so relayed output is not held back.
struct FlushEveryWrite<W>(W);

impl<W: Write> Write for FlushEveryWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.0.write(buf)?;
        self.0.flush()?;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The two threads that copy the child's masked stdout and stderr to hush's.
pub(super) struct Relays {
    stdout: JoinHandle<io::Result<()>>,
    stderr: JoinHandle<io::Result<()>>,
}

impl Relays {
    /// Creates the pipes, points `command`'s stdout and stderr at them and starts the threads,
    /// all before the child exists, so that nothing can fail once it runs.
    pub(super) fn start(command: &mut Command, masker: &Arc<Masker>) -> anyhow::Result<Self> {
        let (out_reader, out_writer) =
            io::pipe().context("cannot create a pipe for the command's output")?;
        let (err_reader, err_writer) =
            io::pipe().context("cannot create a pipe for the command's output")?;
        let stdout = relay("stdout", masker, out_reader, io::stdout())?;
        let stderr = relay("stderr", masker, err_reader, io::stderr())?;
        command.stdout(out_writer).stderr(err_writer);
        Ok(Self { stdout, stderr })
    }

    /// Waits for both streams to reach end-of-file and reports relay failures as warnings.
    pub(super) fn finish(self) {
        for (stream, thread) in [("stdout", self.stdout), ("stderr", self.stderr)] {
            match thread.join() {
                Ok(Ok(())) => {}
                // Whoever reads hush's output went away; the child got the same news.
                Ok(Err(err)) if err.kind() == io::ErrorKind::BrokenPipe => {}
                Ok(Err(err)) => warn(&format!("could not relay the command's {stream}: {err}")),
                Err(_) => warn(&format!(
                    "relaying the command's {stream} failed unexpectedly"
                )),
            }
        }
    }
}

/// Starts the thread that copies `reader` to `destination` through `masker`.
fn relay<W: Write + Send + 'static>(
    stream: &str,
    masker: &Arc<Masker>,
    reader: io::PipeReader,
    destination: W,
) -> anyhow::Result<JoinHandle<io::Result<()>>> {
    let masker = Arc::clone(masker);
    thread::Builder::new()
        .name(format!("hush-mask-{stream}"))
        .spawn(move || masker.copy(reader, FlushEveryWrite(destination)))
        .with_context(|| format!("cannot start the thread that masks the command's {stream}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_every_write_flushes() -> io::Result<()> {
        let mut writer = FlushEveryWrite(io::BufWriter::new(Vec::new()));
        writer.write_all(b"now")?;
        assert_eq!(writer.0.get_ref().as_slice(), b"now");
        Ok(())
    }
}
