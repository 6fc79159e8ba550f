//! Copying in Rust: a value goes from the core to the system clipboard and never through the
//! web view.
//!
//! After `clipboardClearSecs` the clipboard is cleared, but only if it still holds what we put
//! there (compared by SHA-256, so the value itself is not kept for the wait): if the person
//! copied something else meanwhile, it is left alone. Either way the copy is over and
//! `hush://clipboard-cleared` is sent. Locking clears a pending value at once.
//!
//! On Linux (X11 and, where the compositor offers the data-control protocol, Wayland) secret
//! copies carry the `x-kde-passwordManagerHint: secret` target through arboard's
//! `exclude_from_history`, which KDE's Klipper and clipboard managers that follow the same
//! convention honour by not recording them. Limits: managers that ignore the hint still record
//! the value; on X11 the value lives in a buffer of arboard's clipboard thread that we cannot
//! zeroize (it is replaced when cleared); GNOME on Wayland has no data-control protocol, so the
//! copy goes through XWayland.

use std::sync::Arc;
use std::time::Duration;

use hush_core::ErrorCode;
use hush_core::secret::SecretString;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{CmdError, CmdResult};
use crate::events::{Emit, Event};

struct Pending {
    generation: u64,
    digest: [u8; 32],
}

#[derive(Default)]
struct State {
    board: Option<arboard::Clipboard>,
    generation: u64,
    pending: Option<Pending>,
}

/// The system clipboard, opened on first use.
pub struct Clipboard {
    state: Arc<std::sync::Mutex<State>>,
    emit: Emit,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn err(e: arboard::Error) -> CmdError {
    CmdError::new(
        ErrorCode::Clipboard,
        format!("the clipboard is not available: {e}"),
    )
}

impl State {
    fn board(&mut self) -> CmdResult<&mut arboard::Clipboard> {
        if self.board.is_none() {
            self.board = Some(arboard::Clipboard::new().map_err(err)?);
        }
        self.board
            .as_mut()
            .ok_or_else(|| CmdError::new(ErrorCode::Clipboard, "the clipboard is not available"))
    }

    /// Clears the clipboard if it still holds the pending value; true when a copy was pending.
    fn clear_if_ours(&mut self, generation: Option<u64>) -> bool {
        let Some(p) = self
            .pending
            .take_if(|p| generation.is_none_or(|g| g == p.generation))
        else {
            return false;
        };
        if let Ok(board) = self.board() {
            let current = board.get_text().map(Zeroizing::new);
            if current.is_ok_and(|c| hush_core::crypto::ct_eq(&digest(&c), &p.digest)) {
                let _ = board.clear();
            }
        }
        true
    }
}

impl Clipboard {
    /// A clipboard that reports clears to `emit`.
    pub fn new(emit: Emit) -> Self {
        Self {
            state: Arc::new(std::sync::Mutex::new(State::default())),
            emit,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts `text` on the clipboard. With `clear_after`, it is a secret: marked for clipboard
    /// managers and cleared after that time if still there.
    pub fn copy(&self, text: &SecretString, clear_after: Option<Duration>) -> CmdResult<()> {
        let mut st = self.state();
        let board = st.board()?;
        match clear_after {
            Some(_) => set_secret_text(board, text.expose()).map_err(err)?,
            None => board.set_text(text.expose()).map_err(err)?,
        }
        st.generation += 1;
        let generation = st.generation;
        st.pending = None;
        if let Some(after) = clear_after {
            st.pending = Some(Pending {
                generation,
                digest: digest(text.expose()),
            });
            let state = self.state.clone();
            let emit = self.emit.clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(after).await;
                let cleared = state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clear_if_ours(Some(generation));
                if cleared {
                    emit(Event::ClipboardCleared);
                }
            });
        }
        Ok(())
    }

    /// Clears a pending secret now (on lock).
    pub fn clear_now(&self) {
        if self.state().clear_if_ours(None) {
            (self.emit)(Event::ClipboardCleared);
        }
    }
}

#[cfg(target_os = "linux")]
fn set_secret_text(board: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    use arboard::SetExtLinux;
    board.set().exclude_from_history().text(text)
}

#[cfg(not(target_os = "linux"))]
fn set_secret_text(board: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    board.set_text(text)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Needs a display (run under `xvfb-run`); skipped without one.
    #[test]
    fn clears_only_what_it_copied() {
        let Ok(mut other) = arboard::Clipboard::new() else {
            eprintln!("no clipboard here (no display): skipped");
            return;
        };
        let events = Arc::new(Mutex::new(0));
        let seen = events.clone();
        let clip = Clipboard::new(Arc::new(move |e| {
            if matches!(e, Event::ClipboardCleared) {
                *seen.lock().expect("events") += 1;
            }
        }));
        let wait = || std::thread::sleep(Duration::from_millis(600));
        let secret = SecretString::new("sk_test_clipboard_marker".into());

        clip.copy(&secret, Some(Duration::from_millis(200)))
            .expect("copied");
        assert_eq!(other.get_text().expect("text"), secret.expose());
        wait();
        assert_ne!(other.get_text().unwrap_or_default(), secret.expose());
        assert_eq!(*events.lock().expect("events"), 1);

        // The person copied something else meanwhile: left alone.
        clip.copy(&secret, Some(Duration::from_millis(200)))
            .expect("copied");
        other.set_text("something else").expect("set");
        wait();
        assert_eq!(other.get_text().expect("text"), "something else");
        assert_eq!(*events.lock().expect("events"), 2);

        // Not a secret: never cleared.
        clip.copy(&SecretString::new("hush://v/K".into()), None)
            .expect("copied");
        wait();
        assert_eq!(other.get_text().expect("text"), "hush://v/K");
        assert_eq!(*events.lock().expect("events"), 2);
    }
}
