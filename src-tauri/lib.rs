//! Hush desktop: a thin Tauri v2 shell over `hush-core`.
//!
//! The web view (`ui/`) talks to it only through the commands of `docs/DESKTOP-IPC.md`
//! ([`commands`]), each one call into the core. The shell adds what only a desktop app needs:
//! copying to the clipboard without the value passing through JavaScript ([`clipboard`]),
//! locking on idle, sleep and screen lock ([`lock`]), background sync ([`sync`]) and serving
//! the CLI's agent socket while unlocked ([`agent`]); backups are made and restored in
//! [`backup`].

mod agent;
mod backup;
mod clipboard;
mod commands;
mod dto;
mod error;
mod events;
mod idle;
#[cfg(test)]
mod ipc_types;
mod lock;
mod sensitive;
mod start;
mod state;
mod sync;
mod sync_status;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{Emitter, Manager};

use crate::events::{Emit, Event};
use crate::state::Desktop;

include!("command_list.rs");

macro_rules! command_names {
    ($($c:ident),*) => {
        &[$(stringify!($c)),*]
    };
}

/// Every IPC command, in contract order.
pub const COMMANDS: &[&str] = with_commands!(command_names);

macro_rules! command_handler {
    ($($c:ident),*) => {
        tauri::generate_handler![$(commands::$c),*]
    };
}

/// The data directory: `HUSH_HOME` (as for the CLI), else the platform default.
pub fn resolve_home() -> Result<PathBuf, String> {
    let explicit = std::env::var_os(hush_core::local::HOME_ENV).map(PathBuf::from);
    hush_core::local::resolve_home(explicit).map_err(|e| e.to_string())
}

/// Adds the commands and the state to a builder (the real runtime's, or Tauri's mock
/// runtime's in tests); the setup hook calls [`attach`].
pub fn configure<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    home: PathBuf,
) -> tauri::Builder<R> {
    builder
        .manage(Desktop::new(home, hush_core::session::system_clock()))
        .setup(|app| {
            attach(app.handle());
            Ok(())
        })
        .invoke_handler(with_commands!(command_handler))
}

/// Connects the state to the running app: events go to the web view, and the idle timer and
/// the sleep/screen-lock watchers start.
pub fn attach<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    let desktop = app.state::<Desktop>();
    let handle = app.clone();
    let emit: Emit = Arc::new(move |ev: Event| {
        let _ = handle.emit(ev.name(), ev.payload());
    });
    desktop.set_emit(emit);
    lock::spawn(&desktop);
}

/// Runs the app.
pub fn run() {
    let home = match resolve_home() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hush-desktop: {e}");
            std::process::exit(2);
        }
    };
    let app = match configure(tauri::Builder::default(), home).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("hush-desktop: cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(d) = app.try_state::<Desktop>()
        {
            // Zeroize keys, clear a pending clipboard value, remove the agent socket.
            tauri::async_runtime::block_on(d.lock(dto::LockReason::User));
        }
    });
}
