//! The sync indicator's bookkeeping: what the last sync of each team did ([`Tracker`]), and the
//! overall state shown to a person, computed from the teams' statuses and those results
//! ([`summarize`]). No I/O: the background sync (`sync.rs`) fills it in, the app state keeps it.

use std::collections::BTreeMap;
use std::time::Instant;

use hush_core::ErrorCode;
use hush_core::sync::SyncReport;

use crate::dto::{SyncState, SyncStatus, TeamStatusDto};

/// What the last sync of each team did.
#[derive(Default)]
pub struct Tracker {
    /// A sync started by `sync_now` is running.
    pub syncing: bool,
    /// Each team's last failure: (code, message); absent after a success.
    pub errors: BTreeMap<String, (ErrorCode, String)>,
    /// The status last sent to the web view.
    pub last_emitted: Option<SyncStatus>,
    /// Each team's join requests waiting for admission, at its last sync.
    pub pending_joins: BTreeMap<String, usize>,
    /// Teams with a fresh invite, and until when to look for its join request often.
    pub inviting: BTreeMap<String, Instant>,
}

impl Tracker {
    /// Records sync results; returns the teams whose lists must be reloaded.
    pub fn record(&mut self, results: Vec<(String, hush_core::Result<SyncReport>)>) -> Vec<String> {
        let mut changed = Vec::new();
        for (team, r) in results {
            match r {
                Ok(report) => {
                    let before = self
                        .pending_joins
                        .insert(team.clone(), report.pending_joins)
                        .unwrap_or(0);
                    if report.pending_joins > before {
                        // The request this device was waiting for arrived.
                        self.inviting.remove(&team);
                    }
                    if report.pulled > 0 || report.pending_joins != before {
                        changed.push(team.clone());
                    }
                    self.errors.remove(&team);
                }
                Err(e) => {
                    // The relay's own words, without the "relay: " the CLI prints before them.
                    let why = match &e {
                        hush_core::Error::Relay(m) => m.clone(),
                        e => e.to_string(),
                    };
                    self.errors.insert(team, (e.code(), why));
                }
            }
        }
        changed
    }

    /// Remembers `status` as the last one sent to the web view; false when it is the same as
    /// that one (send only changes).
    pub fn remember(&mut self, status: &SyncStatus) -> bool {
        if self.last_emitted.as_ref() == Some(status) {
            return false;
        }
        self.last_emitted = Some(status.clone());
        true
    }
}

/// The overall state from the teams' statuses and their last sync errors.
pub fn summarize(
    teams: Vec<TeamStatusDto>,
    errors: &BTreeMap<String, (ErrorCode, String)>,
    syncing: bool,
) -> SyncStatus {
    let synced: Vec<&TeamStatusDto> = teams.iter().filter(|t| t.relay.is_some()).collect();
    // Plain unreachability needs no explanation; anything else names the team and says why.
    let alert = teams
        .iter()
        .find_map(|t| t.relay_alert.clone())
        .or_else(|| {
            errors
                .iter()
                .find(|(_, (code, _))| *code != ErrorCode::Offline)
                .map(|(team, (_, m))| format!("{team}: {m}"))
        });
    let code = |c: ErrorCode| errors.values().any(|(code, _)| *code == c);
    let state = if syncing {
        SyncState::Syncing
    } else if synced.is_empty() {
        SyncState::Local
    } else if teams.iter().any(|t| t.relay_alert.is_some()) || code(ErrorCode::Integrity) {
        SyncState::Misbehaving
    } else if errors.values().any(|(code, _)| *code != ErrorCode::Offline) {
        // The relay answered, so "offline" would be wrong: it refused this device or request.
        SyncState::Refused
    } else if !errors.is_empty() {
        SyncState::Offline
    } else {
        SyncState::Online
    };
    SyncStatus {
        state,
        last_sync_ms: teams.iter().filter_map(|t| t.last_sync_ms).max(),
        conflicts: teams.iter().map(|t| t.conflicts).sum(),
        outbox: teams.iter().map(|t| t.outbox).sum(),
        alert,
        teams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(relay: bool, alert: Option<&str>) -> TeamStatusDto {
        TeamStatusDto {
            team: "t".into(),
            relay: relay.then(|| "http://127.0.0.1:1".into()),
            last_sync_ms: Some(5),
            head_seq: Some(1),
            state_code: "x".into(),
            outbox: 2,
            conflicts: 1,
            joining: false,
            relay_alert: alert.map(str::to_owned),
            compared_ms: None,
            compared_seq: None,
            rejected: Vec::new(),
        }
    }

    #[test]
    fn states() {
        let none = BTreeMap::new();
        assert_eq!(
            summarize(vec![team(false, None)], &none, false).state,
            SyncState::Local
        );
        assert_eq!(
            summarize(vec![team(true, None)], &none, false).state,
            SyncState::Online
        );
        assert_eq!(
            summarize(vec![team(true, None)], &none, true).state,
            SyncState::Syncing
        );
        let offline = BTreeMap::from([("t".into(), (ErrorCode::Offline, "down".into()))]);
        let s = summarize(vec![team(true, None)], &offline, false);
        assert_eq!((s.state, s.alert), (SyncState::Offline, None));
        let lied = BTreeMap::from([("t".into(), (ErrorCode::Integrity, "fork".into()))]);
        let s = summarize(vec![team(true, None)], &lied, false);
        assert_eq!(
            (s.state, s.alert.as_deref()),
            (SyncState::Misbehaving, Some("t: fork"))
        );
        let refused = BTreeMap::from([(
            "t".into(),
            (ErrorCode::Relay, "the relay refused this device".into()),
        )]);
        let s = summarize(vec![team(true, None)], &refused, false);
        assert_eq!(
            (s.state, s.alert.as_deref()),
            (SyncState::Refused, Some("t: the relay refused this device"))
        );
        let s = summarize(vec![team(true, Some("rollback"))], &none, false);
        assert_eq!(s.state, SyncState::Misbehaving);
        assert_eq!((s.outbox, s.conflicts, s.last_sync_ms), (2, 1, Some(5)));
    }
}
