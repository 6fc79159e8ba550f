//! Rebuilding a team's state from its stored log: the one place that reads a log back from the
//! store. Unlocking a store, verifying it, the sync's confirmed state and the import's working
//! copy all replay through [`replay`].
//!
//! Each stored row must hold the event of its position and hash. The key bundles addressed to
//! this device are read first (a device that joined later holds the keys of early events only
//! through bundles that come later in the log); each event is then checked and applied in order.

use uuid::Uuid;

use crate::crypto;
use crate::error::Error;
use crate::event::SignedEvent;
use crate::identity::DeviceIdentity;
use crate::state::{TeamState, bundled_keys};
use crate::store::Store;

/// How a stored log is replayed.
#[derive(Clone, Copy, Debug)]
pub struct Replay {
    /// Verify every author's signature. Events read back from the local store are covered by
    /// the MAC-protected checkpoint, so this is for a full verification only.
    pub signatures: bool,
    /// Leave out the events the relay has not confirmed yet (the outbox).
    pub confirmed_only: bool,
}

impl Replay {
    /// Every stored event, integrity covered by the checkpoint.
    pub const STORED: Replay = Replay {
        signatures: false,
        confirmed_only: false,
    };
    /// Every stored event, every signature verified again.
    pub const VERIFIED: Replay = Replay {
        signatures: true,
        confirmed_only: false,
    };
    /// The events the relay confirmed.
    pub const CONFIRMED: Replay = Replay {
        signatures: false,
        confirmed_only: true,
    };
}

/// Why a stored log did not replay.
#[derive(Debug)]
pub enum ReplayError {
    /// The store could not be read.
    Store(Error),
    /// The first stored event that does not decode, does not match its row, or is not valid at
    /// its position.
    Event {
        /// Its position.
        seq: u64,
        /// The team's name as far as the log was replayed (empty before its first event).
        team: String,
        /// What is wrong with it.
        error: Error,
    },
}

impl From<ReplayError> for Error {
    fn from(e: ReplayError) -> Self {
        match e {
            ReplayError::Store(e) | ReplayError::Event { error: e, .. } => e,
        }
    }
}

/// Replays the stored log of `team_id` into a fresh state, as device `me` sees it.
pub async fn replay(
    store: &Store,
    team_id: Uuid,
    me: &DeviceIdentity,
    how: Replay,
) -> Result<TeamState, ReplayError> {
    let rows = store
        .events(team_id, None)
        .await
        .map_err(ReplayError::Store)?;
    let mut events = Vec::with_capacity(rows.len());
    let mut bad_row = None;
    for row in rows.iter().filter(|r| !(how.confirmed_only && r.pending)) {
        let ev = SignedEvent::decode(&row.bytes).and_then(|ev| {
            if ev.envelope.seq == row.seq && crypto::ct_eq(&ev.hash(), &row.hash) {
                Ok(ev)
            } else {
                Err(Error::Integrity(format!(
                    "stored event {} does not match its row",
                    row.seq
                )))
            }
        });
        match ev {
            Ok(ev) => events.push(ev),
            Err(error) => {
                bad_row = Some((row.seq, error));
                break;
            }
        }
    }
    let mut st = TeamState::new(team_id);
    st.preload_keys(bundled_keys(&events, me));
    let broken = |st: &TeamState, seq, error| ReplayError::Event {
        seq,
        team: st.name.clone(),
        error,
    };
    for ev in &events {
        if let Err(error) = st.apply(ev, me, how.signatures) {
            return Err(broken(&st, ev.envelope.seq, error));
        }
    }
    match bad_row {
        Some((seq, error)) => Err(broken(&st, seq, error)),
        None => Ok(st),
    }
}
