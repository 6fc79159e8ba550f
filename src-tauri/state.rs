//! The app's state: the one shared session, the unlock/lock transitions and the tasks that run
//! while unlocked.
//!
//! This module knows nothing of what runs while unlocked: whoever unlocks passes a starter that
//! returns it as [`Running`] (`start.rs` starts the agent socket and the background sync), and
//! locking stops it. So `agent`, `lock` and `sync` depend on this module, never the reverse.
//!
//! The session lives in `Arc<Mutex<Option<Session>>>`, shared by the IPC commands, the
//! background sync and the agent socket (`hush` CLI requests). Locking takes it out of the
//! `Option` and closes it; dropping it zeroizes the account key and every team and vault key.
//! Every command first picks up writes made by other processes (`Session::refresh`), exactly as
//! the CLI's agent does.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hush_core::ErrorCode;
use hush_core::session::{Clock, Session, WhoAmI};
use tauri::async_runtime::JoinHandle;
use tokio::sync::{Mutex, Notify};

use crate::clipboard::Clipboard;
use crate::dto::{LockReason, Settings};
use crate::error::{CmdError, CmdResult};
use crate::events::{Emit, Event};
use crate::idle::Idle;
use crate::sync_status::Tracker;

/// The session shared with the agent socket and background tasks.
pub type Shared = Arc<Mutex<Option<Session>>>;

/// A future borrowing the session.
pub type SessionFuture<'a, T> = Pin<Box<dyn Future<Output = hush_core::Result<T>> + Send + 'a>>;

const SETTINGS_FILE: &str = "desktop.json";

/// The agent socket server: its stop signal and task.
pub type AgentServer = (tokio::sync::oneshot::Sender<()>, JoinHandle<()>);

/// What runs while unlocked, as started by the starter given to [`Desktop::unlock_with`];
/// stopped by [`Desktop::lock`].
pub struct Running {
    /// The agent socket server, when this app serves the CLI.
    pub agent: Option<AgentServer>,
    /// Background tasks (the sync loop), aborted on lock.
    pub tasks: Vec<JoinHandle<()>>,
}

/// The app's state (cheap to clone).
#[derive(Clone)]
pub struct Desktop {
    inner: Arc<Inner>,
}

struct Inner {
    home: PathBuf,
    clock: Clock,
    session: Shared,
    unlocked: AtomicBool,
    /// Serializes unlock and lock.
    transition: Mutex<()>,
    /// Tasks that run while unlocked (sync loop), aborted on lock.
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    /// The agent socket server: its stop signal and task.
    agent: std::sync::Mutex<Option<AgentServer>>,
    settings: std::sync::Mutex<Settings>,
    idle: Idle,
    clipboard: Clipboard,
    sync: std::sync::Mutex<Tracker>,
    sync_wakeup: Notify,
    /// Forwards to what [`Desktop::set_emit`] installed (the app handle exists only after the
    /// builder has been given this state).
    emit: Emit,
    emit_to: Arc<std::sync::OnceLock<Emit>>,
}

fn guard<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Desktop {
    /// State for the data directory `home`. Events are dropped until [`Desktop::set_emit`].
    pub fn new(home: PathBuf, clock: Clock) -> Self {
        let settings = load_settings(&home);
        let emit_to: Arc<std::sync::OnceLock<Emit>> = Arc::default();
        let slot = emit_to.clone();
        let emit: Emit = Arc::new(move |ev| {
            if let Some(e) = slot.get() {
                e(ev);
            }
        });
        Self {
            inner: Arc::new(Inner {
                clipboard: Clipboard::new(emit.clone()),
                home,
                clock,
                session: Arc::new(Mutex::new(None)),
                unlocked: AtomicBool::new(false),
                transition: Mutex::new(()),
                tasks: std::sync::Mutex::new(Vec::new()),
                agent: std::sync::Mutex::new(None),
                settings: std::sync::Mutex::new(settings),
                idle: Idle::new(),
                sync: std::sync::Mutex::new(Tracker::default()),
                sync_wakeup: Notify::new(),
                emit,
                emit_to,
            }),
        }
    }

    /// The data directory.
    pub fn home(&self) -> &Path {
        &self.inner.home
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    /// The clock sessions are opened with.
    pub fn clock(&self) -> Clock {
        self.inner.clock.clone()
    }

    /// Whether a session is open.
    pub fn is_unlocked(&self) -> bool {
        self.inner.unlocked.load(Ordering::SeqCst)
    }

    /// Current settings.
    pub fn settings(&self) -> Settings {
        *guard(&self.inner.settings)
    }

    /// Validates, stores and applies new settings.
    pub fn update_settings(&self, s: Settings) -> CmdResult<Settings> {
        s.validate().map_err(CmdError::invalid)?;
        save_settings(self.home(), &s)?;
        *guard(&self.inner.settings) = s;
        Ok(s)
    }

    /// The idle clock.
    pub fn idle(&self) -> &Idle {
        &self.inner.idle
    }

    /// User input: resets the idle timer.
    pub fn touch(&self) {
        self.inner.idle.touch();
    }

    /// The clipboard.
    pub fn clipboard(&self) -> &Clipboard {
        &self.inner.clipboard
    }

    /// Where events go from now on (set once).
    pub fn set_emit(&self, emit: Emit) {
        let _ = self.inner.emit_to.set(emit);
    }

    /// Sends an event to the web view.
    pub fn emit(&self, ev: Event) {
        (self.inner.emit)(ev);
    }

    /// The shared session.
    pub fn shared(&self) -> &Shared {
        &self.inner.session
    }

    /// Sync bookkeeping.
    pub(crate) fn tracker(&self) -> std::sync::MutexGuard<'_, Tracker> {
        guard(&self.inner.sync)
    }

    /// Asks the background sync to run now.
    pub fn wake_sync(&self) {
        self.inner.sync_wakeup.notify_one();
    }

    /// Resolves when someone calls [`Desktop::wake_sync`].
    pub async fn sync_wakeup(&self) {
        self.inner.sync_wakeup.notified().await;
    }

    /// Runs `f` on the unlocked session after picking up other processes' writes, and records
    /// the result as seen. `user` marks a person's action (resets the idle timer).
    pub async fn session_call<T: Send + 'static>(
        &self,
        user: bool,
        f: impl for<'a> FnOnce(&'a mut Session) -> SessionFuture<'a, T> + Send,
    ) -> CmdResult<T> {
        if user {
            self.touch();
        }
        let mut g = self.inner.session.lock().await;
        let s = g.as_mut().ok_or_else(CmdError::locked)?;
        s.refresh().await?;
        let out = f(s).await?;
        s.mark_seen().await?;
        Ok(out)
    }

    /// A person's command that may write: runs `f`, then wakes the sync to push the change.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl for<'a> FnOnce(&'a mut Session) -> SessionFuture<'a, T> + Send,
    ) -> CmdResult<T> {
        let out = self.session_call(true, f).await?;
        self.wake_sync();
        Ok(out)
    }

    /// A command that only reads. Not activity: the web view reloads its lists on its own when
    /// a teammate's change arrives, and that must not keep an unattended app unlocked. Real input
    /// reaches the idle timer through `note_activity` (keys and pointer) and the writes.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> hush_core::Result<T> + Send,
    ) -> CmdResult<T> {
        self.session_call(false, |s| {
            let r = f(s);
            Box::pin(async move { r })
        })
        .await
    }

    /// Opens a session with `open` (unlock or init) unless one is open, then starts what runs
    /// while unlocked with `start` (still inside the transition, so a lock cannot come between)
    /// and keeps it until [`Desktop::lock`].
    pub async fn unlock_with(
        &self,
        open: impl Future<Output = hush_core::Result<Session>>,
        start: impl FnOnce(&Desktop) -> Running,
    ) -> CmdResult<WhoAmI> {
        let _t = self.inner.transition.lock().await;
        if let Some(s) = self.inner.session.lock().await.as_ref() {
            return Ok(s.whoami());
        }
        let session = open.await?;
        let who = session.whoami();
        *self.inner.session.lock().await = Some(session);
        self.inner.unlocked.store(true, Ordering::SeqCst);
        self.touch();
        *guard(&self.inner.sync) = Tracker::default();
        let running = start(self);
        if let Some(agent) = running.agent {
            *guard(&self.inner.agent) = Some(agent);
        }
        guard(&self.inner.tasks).extend(running.tasks);
        Ok(who)
    }

    /// Locks: stops the background tasks and the agent socket, closes the session (zeroizing
    /// its keys), clears a copied value still on the clipboard and tells the web view.
    pub async fn lock(&self, reason: LockReason) {
        let _t = self.inner.transition.lock().await;
        // Background tasks first: the sync may hold the session while it talks to a relay.
        for t in guard(&self.inner.tasks).drain(..) {
            t.abort();
        }
        let session = self.inner.session.lock().await.take();
        self.inner.unlocked.store(false, Ordering::SeqCst);
        let agent = guard(&self.inner.agent).take();
        if let Some((stop, task)) = agent {
            let _ = stop.send(());
            let _ = task.await;
        }
        let Some(session) = session else {
            return;
        };
        session.close().await;
        self.inner.clipboard.clear_now();
        *guard(&self.inner.sync) = Tracker::default();
        self.emit(Event::Locked(reason));
    }
}

fn load_settings(home: &Path) -> Settings {
    std::fs::read(home.join(SETTINGS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
        .filter(|s| s.validate().is_ok())
        .unwrap_or_default()
}

fn save_settings(home: &Path, s: &Settings) -> CmdResult<()> {
    let io = |e: std::io::Error| CmdError::new(ErrorCode::Io, format!("cannot save settings: {e}"));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(home)
            .map_err(io)?;
    }
    let body = serde_json::to_vec_pretty(s)
        .map_err(|e| CmdError::new(ErrorCode::Io, format!("cannot encode settings: {e}")))?;
    let tmp = home.join(format!("{SETTINGS_FILE}.tmp"));
    std::fs::write(&tmp, body).map_err(io)?;
    std::fs::rename(&tmp, home.join(SETTINGS_FILE)).map_err(io)
}
