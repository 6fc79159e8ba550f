//! The projection: a team's current state, computed by replaying its event log.
//!
//! Applying an event is two steps. [`TeamState::check`] verifies everything without touching the
//! state — continuity of `seq`/`prev`, the log-key epoch, the author's membership and signature,
//! the author's role *at this position of the log* (never anything a relay says), that the
//! relay-visible ACL changes match the sealed payload exactly, the key hand-overs this device is
//! owed, and the change's own preconditions — and returns a [`Checked`] value that only it can
//! build. [`TeamState::commit`] then applies that value and cannot fail, so a bad event never
//! leaves a half-applied state behind.
//!
//! Item versions are tracked for every vault, readable or not (ids and version numbers are in
//! the log body, which every member can read); names, metadata and values are sealed under vault
//! keys and are opened as soon as this device holds the key, including retroactively when access
//! is granted later.
//!
//! The rooms: `member` and `vault` hold the data types of the projection; `keys` the keys this
//! device holds, the key commitments of the log and the key hand-overs each change implies;
//! `check` judges an event at its position and commits it; `rules` holds one module per payload
//! type, each with who may make that change, its preconditions and what committing it does.
//! Rebuilding a state from a stored log is [`crate::replay`].

mod check;
mod keys;
mod member;
mod rules;
mod vault;

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::crypto;
use crate::error::Result;
use crate::event::{BundlePlace, KeyScope, SignedEvent};
use crate::identity::DeviceIdentity;
use crate::secret::Key32;

pub use check::Checked;
pub use keys::bundled_keys;
pub use member::{Invite, Member};
pub use vault::{Exposure, Item, VaultState, Version};

/// An event that was flagged: rejected (no effect) or carrying something damaged.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Flagged {
    /// Its position in the log.
    pub seq: u64,
    /// Its author device (the signature was verified).
    pub author: Uuid,
    /// Why.
    pub reason: String,
}

/// A team's state as of its head.
pub struct TeamState {
    /// Team id.
    pub team_id: Uuid,
    /// Team name (from the creation event).
    pub name: String,
    /// Highest applied (seq, hash).
    pub head: Option<(u64, [u8; 32])>,
    /// Current log-key epoch.
    pub log_epoch: u32,
    /// Members by device id (removed ones included).
    pub members: BTreeMap<Uuid, Member>,
    /// Invites by id.
    pub invites: BTreeMap<Uuid, Invite>,
    /// Vaults by id.
    pub vaults: BTreeMap<Uuid, VaultState>,
    /// Creation time.
    pub created_ms: i64,
    /// Secrets read, from usage events in log order (item ids of vaults this device cannot read
    /// stay opaque).
    pub usage: Vec<crate::anomaly::UsageRecord>,
    /// Signed events that broke a rule and had no effect, with their authors.
    pub rejected: Vec<Flagged>,
    /// Valid events carrying something this device could not open (a damaged version, a bad
    /// key bundle addressed to it).
    pub damaged: Vec<Flagged>,
    keys: HashMap<(KeyScope, u32), Key32>,
    commits: HashMap<(KeyScope, u32), [u8; 32]>,
    candidates: HashMap<(KeyScope, u32), Vec<Key32>>,
    /// Witnesses the team requires (key → URL), from `WitnessAdd`/`WitnessRemove` events.
    pub witnesses: BTreeMap<[u8; 32], String>,
}

impl TeamState {
    /// An empty state awaiting the team's first event.
    pub fn new(team_id: Uuid) -> Self {
        Self {
            team_id,
            name: String::new(),
            head: None,
            log_epoch: 0,
            members: BTreeMap::new(),
            invites: BTreeMap::new(),
            vaults: BTreeMap::new(),
            created_ms: 0,
            usage: Vec::new(),
            rejected: Vec::new(),
            damaged: Vec::new(),
            keys: HashMap::new(),
            commits: HashMap::new(),
            candidates: HashMap::new(),
            witnesses: BTreeMap::new(),
        }
    }

    /// Where the key bundles of the next event by `author` sit (see [`BundlePlace`]).
    pub fn bundle_place(&self, author: Uuid) -> BundlePlace {
        let (seq, prev) = self.next_position();
        BundlePlace {
            team_id: self.team_id,
            seq,
            prev,
            author,
        }
    }

    /// The next sequence number and the prev hash for a new event.
    pub fn next_position(&self) -> (u64, [u8; 32]) {
        match self.head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (0, [0; 32]),
        }
    }

    /// An active member.
    pub fn active_member(&self, device: &Uuid) -> Option<&Member> {
        self.members.get(device).filter(|m| m.active)
    }

    /// Display name of a device (or its id when unknown).
    pub fn display_name(&self, device: &Uuid) -> String {
        self.members
            .get(device)
            .map_or_else(|| device.to_string(), |m| m.cert.name.clone())
    }

    /// A short code derived from the head that members compare out of band: equal codes mean
    /// the relay showed them the same history.
    pub fn state_code(&self) -> String {
        match self.head {
            None => "-".into(),
            Some((seq, hash)) => {
                let h = crypto::hash(
                    b"hush/v1/team-state",
                    &[self.team_id.as_bytes(), &seq.to_be_bytes(), &hash],
                );
                let full = crate::identity::digit_groups(&h);
                full.split(' ').take(3).collect::<Vec<_>>().join("-")
            }
        }
    }

    /// Checks and applies in one call.
    pub fn apply(
        &mut self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<()> {
        let c = self.check(ev, me, verify_signature)?;
        self.commit(c);
        Ok(())
    }
}
