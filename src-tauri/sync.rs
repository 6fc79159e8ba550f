//! Background sync while unlocked: every 30 s, after each local write, and as soon as a
//! relay's long-poll says a teammate appended. Sends `hush://changed` when events arrive and
//! `hush://sync` when the indicator changes.
//!
//! The long-poll waits without holding the session: `Session::change_wait` signs the request
//! under the lock, and the wait itself happens outside it, so commands are never blocked by
//! it. The sync proper (`Session::sync_all`) does hold the session while it talks to the relay
//! (bounded by the relay client's 10 s connect and 45 s request timeouts).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hush_core::sync::SyncReport;
use tauri::async_runtime::JoinHandle;
use uuid::Uuid;

use crate::dto::{SyncState, SyncStatus, TeamStatusDto};
use crate::error::CmdResult;
use crate::events::Event;
use crate::state::Desktop;

const PERIOD: Duration = Duration::from_secs(30);
const LONG_POLL_MS: u64 = 25_000;
const RETRY: Duration = Duration::from_secs(30);

/// What the last sync of each team did.
#[derive(Default)]
pub struct Tracker {
    /// A sync started by `sync_now` is running.
    pub syncing: bool,
    /// Each team's last failure: (code, message); absent after a success.
    pub errors: BTreeMap<String, (String, String)>,
    /// The status last sent to the web view.
    pub last_emitted: Option<SyncStatus>,
}

/// The overall state from the teams' statuses and their last sync errors.
pub fn summarize(
    teams: Vec<TeamStatusDto>,
    errors: &BTreeMap<String, (String, String)>,
    syncing: bool,
) -> SyncStatus {
    let synced: Vec<&TeamStatusDto> = teams.iter().filter(|t| t.relay.is_some()).collect();
    let alert = teams
        .iter()
        .find_map(|t| t.relay_alert.clone())
        .or_else(|| {
            errors
                .values()
                .find(|(code, _)| code != "offline")
                .map(|(_, m)| m.clone())
        });
    let code = |c: &str| errors.values().any(|(code, _)| code == c);
    let state = if syncing {
        SyncState::Syncing
    } else if synced.is_empty() {
        SyncState::Local
    } else if teams.iter().any(|t| t.relay_alert.is_some()) || code("integrity") {
        SyncState::Misbehaving
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

/// The current status.
pub async fn status(d: &Desktop, user: bool) -> CmdResult<SyncStatus> {
    let teams = d
        .session_call(user, |s| {
            Box::pin(async move {
                let mut out = Vec::new();
                for t in s.team_list().into_iter().filter(|t| !t.name.is_empty()) {
                    out.push(TeamStatusDto::from(s.team_status(Some(&t.name)).await?));
                }
                Ok(out)
            })
        })
        .await?;
    let t = d.tracker();
    Ok(summarize(teams, &t.errors, t.syncing))
}

fn record(d: &Desktop, results: Vec<(String, hush_core::Result<SyncReport>)>) -> Vec<String> {
    let mut changed = Vec::new();
    let mut t = d.tracker();
    for (team, r) in results {
        match r {
            Ok(report) => {
                if report.pulled > 0 {
                    changed.push(team.clone());
                }
                t.errors.remove(&team);
            }
            Err(e) => {
                t.errors.insert(team, (e.code().into(), e.to_string()));
            }
        }
    }
    changed
}

/// Syncs every team with a relay, sends the events, and returns the new status.
pub async fn sync_once(d: &Desktop, user: bool) -> CmdResult<SyncStatus> {
    if user {
        d.tracker().syncing = true;
        if let Ok(s) = status(d, false).await {
            d.remember_status(&s);
            d.emit(Event::Sync(s));
        }
    }
    let results = d
        .session_call(user, |s| Box::pin(async move { Ok(s.sync_all().await) }))
        .await;
    d.tracker().syncing = false;
    let changed = record(d, results?);
    if !changed.is_empty() {
        d.emit(Event::Changed { teams: changed });
    }
    let s = status(d, false).await?;
    if d.remember_status(&s) {
        d.emit(Event::Sync(s.clone()));
    }
    Ok(s)
}

/// Aborts the long-poll tasks when the sync loop ends (it is aborted on lock).
struct Watchers(HashMap<Uuid, JoinHandle<()>>);

impl Drop for Watchers {
    fn drop(&mut self) {
        for (_, w) in self.0.drain() {
            w.abort();
        }
    }
}

/// Waits on a team's relay and wakes the sync loop when its head moves.
async fn watch(d: Desktop, tid: Uuid) {
    loop {
        let wait = match d.shared().lock().await.as_ref() {
            None => return,
            Some(s) => s.change_wait(tid, LONG_POLL_MS),
        };
        match wait {
            Ok(w) => match w.send().await {
                Ok(true) => {
                    d.wake_sync();
                    // Do not spin if the relay keeps answering at once.
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Ok(false) => {}
                Err(_) => tokio::time::sleep(RETRY).await,
            },
            Err(_) => tokio::time::sleep(RETRY).await,
        }
    }
}

/// The loop that runs while unlocked.
pub async fn run(d: Desktop) {
    let mut watchers = Watchers(HashMap::new());
    loop {
        let _ = sync_once(&d, false).await;
        let relay_teams: Vec<Uuid> = match d.shared().lock().await.as_ref() {
            None => return,
            Some(s) => s
                .team_list()
                .into_iter()
                .filter(|t| t.relay.is_some())
                .map(|t| t.id)
                .collect(),
        };
        watchers.0.retain(|_, w| !w.inner().is_finished());
        for tid in relay_teams {
            watchers.0.entry(tid).or_insert_with(|| {
                let d = d.clone();
                tauri::async_runtime::spawn(watch(d, tid))
            });
        }
        tokio::select! {
            () = tokio::time::sleep(PERIOD) => {}
            () = d.sync_wakeup() => {}
        }
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
        let offline = BTreeMap::from([("t".into(), ("offline".into(), "down".into()))]);
        let s = summarize(vec![team(true, None)], &offline, false);
        assert_eq!((s.state, s.alert), (SyncState::Offline, None));
        let lied = BTreeMap::from([("t".into(), ("integrity".into(), "fork".into()))]);
        let s = summarize(vec![team(true, None)], &lied, false);
        assert_eq!(
            (s.state, s.alert.as_deref()),
            (SyncState::Misbehaving, Some("fork"))
        );
        let s = summarize(vec![team(true, Some("rollback"))], &none, false);
        assert_eq!(s.state, SyncState::Misbehaving);
        assert_eq!((s.outbox, s.conflicts, s.last_sync_ms), (2, 1, Some(5)));
    }
}
