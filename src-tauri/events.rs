//! Events sent to the web view (docs/DESKTOP-IPC.md, "Events").

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use crate::dto::{LockReason, SyncStatus};

/// `hush://changed`'s payload.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct ChangedEvent {
    /// Teams that changed (their names; a team just admitted under its real name).
    pub teams: Vec<String>,
}

/// `hush://locked`'s payload.
#[derive(Clone, Copy, Debug, Serialize, ts_rs::TS)]
pub struct LockedEvent {
    /// Why the app locked.
    pub reason: LockReason,
}

/// An event for the web view.
#[derive(Clone, Debug)]
pub enum Event {
    /// A background sync pulled teammates' changes.
    Changed {
        /// Teams that changed.
        teams: Vec<String>,
    },
    /// The sync indicator changed.
    Sync(SyncStatus),
    /// The app locked.
    Locked(LockReason),
    /// The copied value left the clipboard.
    ClipboardCleared,
}

impl Event {
    /// The event's name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Changed { .. } => "hush://changed",
            Event::Sync(_) => "hush://sync",
            Event::Locked(_) => "hush://locked",
            Event::ClipboardCleared => "hush://clipboard-cleared",
        }
    }

    /// The event's payload.
    pub fn payload(&self) -> serde_json::Value {
        match self {
            Event::Changed { teams } => serde_json::to_value(ChangedEvent {
                teams: teams.clone(),
            })
            .unwrap_or_default(),
            Event::Sync(s) => serde_json::to_value(s).unwrap_or_default(),
            Event::Locked(reason) => {
                serde_json::to_value(LockedEvent { reason: *reason }).unwrap_or_default()
            }
            Event::ClipboardCleared => json!({}),
        }
    }
}

/// Where events go (the Tauri app handle in the app, a recorder in tests).
pub type Emit = Arc<dyn Fn(Event) + Send + Sync>;
