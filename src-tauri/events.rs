//! Events sent to the web view (docs/DESKTOP-IPC.md, "Events").

use std::sync::Arc;

use serde_json::json;

use crate::dto::{LockReason, SyncStatus};

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
            Event::Changed { teams } => json!({ "teams": teams }),
            Event::Sync(s) => serde_json::to_value(s).unwrap_or_default(),
            Event::Locked(reason) => json!({ "reason": reason }),
            Event::ClipboardCleared => json!({}),
        }
    }
}

/// Where events go (the Tauri app handle in the app, a recorder in tests).
pub type Emit = Arc<dyn Fn(Event) + Send + Sync>;
