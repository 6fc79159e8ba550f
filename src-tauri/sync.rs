//! Background sync while unlocked: every 30 s, after each local write, and as soon as a
//! relay's long-poll says a teammate appended. Sends `hush://changed` when events arrive (or a
//! team's pending join requests change) and `hush://sync` when the indicator changes.
//!
//! While a relay does not answer, the loop tries again after 2, 4, 8 and 16 s, then every 30 s,
//! so queued edits leave soon after the network comes back; a long-poll that fails wakes the
//! loop at once, so "offline" shows right away.
//!
//! The long-poll waits without holding the session: `Session::change_wait` signs the request
//! under the lock, and the wait itself happens outside it, so commands are never blocked by
//! it. The sync proper (`Session::sync_all`) does hold the session while it talks to the relay
//! (bounded by the relay client's 10 s connect and 45 s request timeouts).
//!
//! Two things cannot be long-polled, so they are polled more often than every 30 s, and only
//! those teams are synced then:
//! - a team this device asked to join: the relay refuses a non-member's long-poll, so the
//!   device asks every [`JOIN_POLL`] until an admission arrives; the team then gets its real
//!   name (`hush://changed` carries it) and a long-poll like any other team;
//! - a team for which this device just created an invite: join requests are not log events,
//!   so the long-poll does not see them; the device looks every [`INVITE_POLL`] for up to
//!   [`INVITE_WINDOW`], or until a request arrives.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use hush_core::ErrorCode;
use hush_core::session::Session;
use tauri::async_runtime::JoinHandle;
use uuid::Uuid;

use crate::dto::{SyncStatus, TeamStatusDto};
use crate::error::CmdResult;
use crate::events::Event;
use crate::state::Desktop;
use crate::sync_status::summarize;

const PERIOD: Duration = Duration::from_secs(30);
const LONG_POLL_MS: u64 = 25_000;
/// The longest wait before trying an unreachable relay again.
const RETRY: Duration = Duration::from_secs(30);
/// The first wait before trying an unreachable relay again; it doubles up to [`RETRY`], so a
/// relay that comes back is noticed within seconds without hammering one that stays down.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How often a device waiting for admission asks the relay.
pub const JOIN_POLL: Duration = Duration::from_secs(3);
/// How often to look for join requests after creating an invite.
pub const INVITE_POLL: Duration = Duration::from_secs(5);
/// For how long after creating an invite to look that often.
pub const INVITE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The current status: every team, those waiting for admission included (under their join
/// label, with `joining: true`).
pub async fn status(d: &Desktop, user: bool) -> CmdResult<SyncStatus> {
    let teams = d
        .session_call(user, |s| {
            Box::pin(async move {
                let mut out = Vec::new();
                for t in s.team_list() {
                    // By id: a joining team has no name yet, and its label is not a handle.
                    let id = t.id.to_string();
                    out.push(TeamStatusDto::from(s.team_status(Some(&id)).await?));
                }
                Ok(out)
            })
        })
        .await?;
    let mut t = d.tracker();
    // A join label becomes the team's name on admission: forget what was recorded under it.
    t.errors.retain(|k, _| teams.iter().any(|s| &s.team == k));
    Ok(summarize(teams, &t.errors, t.syncing))
}

/// Syncs every team with a relay, sends the events, and returns the new status.
pub async fn sync_once(d: &Desktop, user: bool) -> CmdResult<SyncStatus> {
    sync_teams(d, user, None).await
}

/// Syncs `only` these teams (every team with a relay if `None`), sends the events, and
/// returns the new status.
async fn sync_teams(d: &Desktop, user: bool, only: Option<Vec<Uuid>>) -> CmdResult<SyncStatus> {
    if user {
        d.tracker().syncing = true;
        if let Ok(s) = status(d, false).await {
            d.tracker().remember(&s);
            d.emit(Event::Sync(s));
        }
    }
    let results = d
        .session_call(user, |s| {
            Box::pin(async move {
                Ok(match only {
                    None => s.sync_all().await,
                    Some(ids) => {
                        let mut out = Vec::with_capacity(ids.len());
                        for id in ids {
                            let r = s.sync_team(id).await;
                            out.push((s.team_label(id), r));
                        }
                        out
                    }
                })
            })
        })
        .await;
    d.tracker().syncing = false;
    let results = results?;
    let changed = d.tracker().record(results);
    if !changed.is_empty() {
        d.emit(Event::Changed { teams: changed });
    }
    let s = status(d, false).await?;
    if d.tracker().remember(&s) {
        d.emit(Event::Sync(s.clone()));
    }
    Ok(s)
}

/// A person created an invite for `team`: look for the join request often for a while.
pub fn expect_join(d: &Desktop, team: String) {
    d.tracker()
        .inviting
        .insert(team, Instant::now() + INVITE_WINDOW);
    d.wake_sync();
}

/// What the loop does next, from the session's teams.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// Members of a team with a relay: long-poll them.
    watch: Vec<Uuid>,
    /// Teams to sync more often than [`PERIOD`] (waiting for admission, or for a join request).
    quick: Vec<Uuid>,
    /// How often to sync `quick`.
    poll: Duration,
}

fn plan(s: &Session, inviting: &BTreeMap<String, Instant>, now: Instant) -> Plan {
    let mut p = Plan {
        poll: INVITE_POLL,
        ..Plan::default()
    };
    for t in s.team_list().into_iter().filter(|t| t.relay.is_some()) {
        if t.name.is_empty() || s.join_safety_code(t.id).is_some() {
            p.quick.push(t.id);
            p.poll = JOIN_POLL;
        } else {
            p.watch.push(t.id);
            if inviting.get(&t.name).is_some_and(|until| *until > now) {
                p.quick.push(t.id);
            }
        }
    }
    p
}

/// The wait before the next attempt after `previous` failed attempts' last wait.
fn next_retry(previous: Option<Duration>) -> Duration {
    previous.map_or(FIRST_RETRY, |p| (p * 2).min(RETRY))
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

/// Waits on a team's relay and wakes the sync loop when its head moves, or when the relay
/// stops answering (so the indicator says "offline" now, not at the next periodic sync).
async fn watch(d: Desktop, tid: Uuid) {
    let mut retry = None;
    loop {
        let wait = match d.shared().lock().await.as_ref() {
            None => return,
            Some(s) => s.change_wait(tid, LONG_POLL_MS).await,
        };
        let answered = match wait {
            Ok(w) => match w.send().await {
                Ok(true) => {
                    d.wake_sync();
                    // Do not spin if the relay keeps answering at once.
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    true
                }
                Ok(false) => true,
                Err(_) => false,
            },
            Err(_) => false,
        };
        if answered {
            retry = None;
        } else {
            if retry.is_none() {
                d.wake_sync();
            }
            let wait = next_retry(retry);
            retry = Some(wait);
            tokio::time::sleep(wait).await;
        }
    }
}

/// The loop that runs while unlocked.
pub async fn run(d: Desktop) {
    let mut watchers = Watchers(HashMap::new());
    let mut quick: Vec<Uuid> = Vec::new();
    let mut full_due = Instant::now();
    let mut retry = None;
    loop {
        if quick.is_empty() || Instant::now() >= full_due {
            let _ = sync_once(&d, false).await;
            full_due = Instant::now() + PERIOD;
        } else {
            let _ = sync_teams(&d, false, Some(quick.clone())).await;
        }
        let inviting = {
            let mut t = d.tracker();
            let now = Instant::now();
            t.inviting.retain(|_, until| *until > now);
            t.inviting.clone()
        };
        let next = match d.shared().lock().await.as_ref() {
            None => return,
            Some(s) => plan(s, &inviting, Instant::now()),
        };
        watchers.0.retain(|_, w| !w.inner().is_finished());
        for tid in next.watch {
            watchers.0.entry(tid).or_insert_with(|| {
                let d = d.clone();
                tauri::async_runtime::spawn(watch(d, tid))
            });
        }
        quick = next.quick;
        // A relay that did not answer: try again soon, then less and less often.
        let offline = d
            .tracker()
            .errors
            .values()
            .any(|(code, _)| *code == ErrorCode::Offline);
        retry = offline.then(|| next_retry(retry));
        if let Some(wait) = retry {
            full_due = full_due.min(Instant::now() + wait);
        }
        let until_full = full_due.saturating_duration_since(Instant::now());
        let wait = if quick.is_empty() {
            until_full
        } else {
            next.poll.min(until_full)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = d.sync_wakeup() => full_due = Instant::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_two_seconds_to_thirty() {
        let mut waits = Vec::new();
        let mut last = None;
        for _ in 0..7 {
            let w = next_retry(last);
            waits.push(w.as_secs());
            last = Some(w);
        }
        assert_eq!(waits, [2, 4, 8, 16, 30, 30, 30]);
    }
}
