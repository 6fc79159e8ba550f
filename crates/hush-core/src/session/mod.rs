//! An unlocked store: the one core API that the CLI, the agent and the desktop shell all call.
//!
//! Key schedule (see `docs/PROTOCOL.md`):
//! ```text
//! password --Argon2id(salt, m, t, p)--> KEK --XChaCha20-Poly1305(AD = header)--> account key
//! account key --HKDF("hush/v1/identity")--> seals the device identity
//!             --HKDF("hush/v1/settings")--> seals per-team settings
//!             --HKDF("hush/v1/checkpoint")--> MACs each team's stored head
//!             --HKDF("hush/v1/store-teams")--> MACs the set of teams and their heads
//! team log key[epoch]   seals event bodies      (reaches devices in HPKE key bundles)
//! vault key[epoch]      seals names and values  (reaches devices in HPKE key bundles)
//! ```
//! Team and vault keys are never stored outside the log: opening a store replays each log and
//! opens the key bundles addressed to this device. So the local state is exactly a projection
//! of the log, and changing the password rewraps one 32-byte key.
//!
//! The rooms: `unlock` (the key schedule, creating, unlocking, reloading and verifying a store),
//! `teams`, `vaults`, `secrets` and `search` (what a session does with each), `append` (writing
//! one event at the head of a log) and `info` (what a session reports). The other parts of the
//! session's API live with what they do: `membership`, `sync`, `lifecycle`, `audit`, `transfer`,
//! `service`, `witness`, `relay_usage` and `known`.

mod append;
mod info;
mod overrides;
mod search;
mod secrets;
mod teams;
mod unlock;
mod vaults;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::identity::{DeviceIdentity, fingerprint};
use crate::secret::Key32;
use crate::state::TeamState;
use crate::store::Store;

#[cfg(test)]
pub(crate) use info::tests;
pub use info::{
    EXPIRY_DUE_DAYS, MetaUpdate, ROTATION_DUE_DAYS, RotationState, SearchHit, SecretInfo, TeamInfo,
    VaultInfo, VersionInfo, WhoAmI,
};
pub use overrides::OverrideInfo;
pub(crate) use secrets::seal_put;
pub(crate) use unlock::{checkpoint_mac, teams_key};
pub use unlock::{identity_ad, open_identity, unwrap_account_key};

/// The name of the team created by `hush init`.
pub const PERSONAL_TEAM: &str = "personal";

/// A source of "now" in milliseconds since the Unix epoch (injectable for tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

pub use crate::settings::TeamSettings;

pub(crate) struct Team {
    pub(crate) state: TeamState,
    pub(crate) settings: TeamSettings,
}

/// An unlocked store.
pub struct Session {
    pub(crate) store: Store,
    pub(crate) account: Key32,
    pub(crate) identity: DeviceIdentity,
    pub(crate) teams: BTreeMap<Uuid, Team>,
    pub(crate) selected: Option<Uuid>,
    pub(crate) clock: Clock,
    /// What the store looked like when loaded (to notice writes by other processes).
    seen: Vec<(Uuid, Option<Vec<u8>>, Vec<u8>)>,
    search_index: Option<search::SearchIndex>,
    searcher: crate::search::Searcher,
}

impl Session {
    /// A session over an already prepared store and identity, with no teams loaded.
    pub(crate) fn from_parts(
        store: Store,
        account: Key32,
        identity: DeviceIdentity,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            account,
            identity,
            teams: BTreeMap::new(),
            selected: None,
            clock,
            seen: Vec::new(),
            search_index: None,
            searcher: crate::search::Searcher::new(),
        }
    }

    /// Adds a team whose state was built and verified elsewhere, and selects it.
    pub(crate) fn install_team(&mut self, tid: Uuid, state: TeamState, settings: TeamSettings) {
        self.teams.insert(tid, Team { state, settings });
        self.selected = Some(tid);
    }

    /// The account key (handed to the agent at unlock).
    pub fn account_key(&self) -> &Key32 {
        &self.account
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.store.home()
    }

    /// This device.
    pub fn whoami(&self) -> WhoAmI {
        let cert = self.identity.cert();
        WhoAmI {
            name: self.identity.name.clone(),
            device_id: cert.device_id,
            fingerprint: fingerprint(&cert.sign_pk, &cert.enc_pk),
        }
    }

    /// Ends the session, closing the database.
    pub async fn close(self) {
        self.store.close().await;
    }

    /// The home directory of a session-less caller (for messages).
    pub fn default_home() -> Option<PathBuf> {
        crate::local::default_home()
    }
}

/// Zeroizing helper for reading a password-like line.
pub fn zeroizing_string(s: String) -> Zeroizing<String> {
    Zeroizing::new(s)
}
