//! The app's own shapes: `app_state` and the desktop settings it carries, who this device is
//! (`WhoAmI`), and why the app locked (`hush://locked`).

use hush_core::session::WhoAmI;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `app_state`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStateDto {
    /// A store exists in the data directory.
    pub initialized: bool,
    /// A session is open.
    pub unlocked: bool,
    /// The data directory.
    pub home: String,
    /// Desktop settings.
    pub settings: Settings,
}

/// Desktop settings (stored unencrypted in `desktop.json` in the data directory: they hold no
/// secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Seconds before a copied value is cleared from the clipboard.
    pub clipboard_clear_secs: u32,
    /// Minutes without input before the app locks.
    pub auto_lock_mins: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clipboard_clear_secs: 30,
            auto_lock_mins: 10,
        }
    }
}

impl Settings {
    /// Allowed ranges: 5 s to 10 min for the clipboard, 1 min to 24 h for auto-lock.
    pub fn validate(&self) -> Result<(), String> {
        if !(5..=600).contains(&self.clipboard_clear_secs) {
            return Err("clipboardClearSecs must be between 5 and 600".into());
        }
        if !(1..=1440).contains(&self.auto_lock_mins) {
            return Err("autoLockMins must be between 1 and 1440".into());
        }
        Ok(())
    }
}

/// `WhoAmI`.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIDto {
    /// Display name.
    pub name: String,
    /// Device id.
    pub device_id: Uuid,
    /// Safety number.
    pub fingerprint: String,
}

impl From<WhoAmI> for WhoAmIDto {
    fn from(w: WhoAmI) -> Self {
        Self {
            name: w.name,
            device_id: w.device_id,
            fingerprint: w.fingerprint,
        }
    }
}

/// `hush://locked`'s reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// No input for the auto-lock period.
    Idle,
    /// The system is going to sleep, or the screen locked.
    Sleep,
    /// The person (or `hush lock`) asked.
    User,
}
