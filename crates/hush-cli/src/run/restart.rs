//! Restarts of the command of `hush run --watch`, asked for by the watcher's thread and taken
//! by the thread that runs the command (its signal loop wakes on SIGUSR2).

use anyhow::Context;
use zeroize::Zeroizing;

/// What the command of `hush run --watch` is started again with.
pub struct Restart {
    /// The new environment to inject.
    pub env: Vec<(String, Zeroizing<String>)>,
    /// The new values `--mask` conceals.
    pub conceal: Vec<(String, Zeroizing<String>)>,
    /// Why (names of the variables that changed, never a value).
    pub why: String,
}

/// Restarts asked for by the watcher of `hush run --watch`, taken by the thread that runs the
/// command: the request is stored, then SIGUSR2 is raised in hush so the signal loop wakes and
/// stops the child with [`Restarts::signal`]; when the child has ended it starts again.
pub struct Restarts {
    /// The signal that stops the running command before it starts again.
    pub signal: nix::sys::signal::Signal,
    next: std::sync::Mutex<Option<Restart>>,
}

impl Restarts {
    /// Restarts that stop the command with `signal`.
    pub fn new(signal: nix::sys::signal::Signal) -> Self {
        Self {
            signal,
            next: std::sync::Mutex::new(None),
        }
    }

    /// Asks for a restart with `r` (a newer request replaces one not yet taken).
    pub fn request(&self, r: Restart) -> anyhow::Result<()> {
        *self.next.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        signal_hook::low_level::raise(signal_hook::consts::signal::SIGUSR2)
            .context("cannot wake hush's signal loop")
    }

    /// A restart is waiting.
    pub fn pending(&self) -> bool {
        self.next
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    pub(super) fn take(&self) -> Option<Restart> {
        self.next.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
