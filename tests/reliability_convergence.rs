//! Convergence property test: seeded random interleavings of edits, grants, revokes, offline
//! periods and syncs across 3–5 members of one team always end in the same state.
//!
//! The members are `hush_core::session::Session`s driven in-process (one Tokio runtime, no
//! process start or Argon2id unlock per operation) against a real `hush-relay` process on
//! loopback. Each case makes a fresh team of fresh members: an owner (always online, the only
//! vault admin) and 2–4 members who go offline and come back at random. Operations:
//!
//! - **edit**: a member sets one of a few names in vault `a` or `b` (few names, so concurrent
//!   edits of the same secret happen) to a value unique to the operation; refused locally
//!   without write access;
//! - **grant** / **revoke**: the owner changes a member's access to a vault, and syncs at once
//!   only half of the time: otherwise the change waits in the owner's outbox while the owner and
//!   others write and sync (membership changes racing with writes: the schedule in which a
//!   rebuilt removal once lost the owner's next write);
//! - **remove** (break glass): the owner removes a member (at most one per case), synced at once
//!   or not, as above; the removed member acts no more;
//! - **offline** / **online**: a member stops or resumes syncing;
//! - **sync**: an online member syncs; after some syncs that pushed, the relay's answers are
//!   "lost" (the pushed events are marked pending again in the member's store, as when the answer
//!   never arrived), so the next sync must confirm them from the pull and never push them twice.
//!
//! At the end everyone comes online and syncs until nothing is pending; then:
//!
//! 1. **Converge**: every member has the same team state code (the same verified log) and an
//!    empty outbox; every member who can read a vault lists the same secrets with the same
//!    versions and values as the owner.
//! 2. **Never lose a version**: every value written and synced is in the relay's log exactly once
//!    and in the history of its secret at every reader (concurrent edits stay as versions, flagged
//!    as conflicts). A value that is nowhere was reported dropped by its author's sync, and only
//!    ever when the author's access to that vault was revoked, lowered or removed meanwhile (the
//!    owner, whose access never changes, never loses a write).
//! 3. **Revoked and removed members read nothing new**: with the relay's raw log, a member's
//!    keys open no value written to a vault after their access to it was revoked or they were
//!    removed (checked right before any re-grant, and at the end for those that stand).
//!
//! Cases: 20 (`HUSH_CONVERGENCE_CASES=N`; 200 with `HUSH_RELIABILITY_FULL=1`). The seed is
//! printed; `HUSH_RELIABILITY_SEED=S` replays a run.

#[path = "reliability_common.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use common::{Rng, figure};
use hush_core::Error;
use hush_core::address::Address;
use hush_core::crypto::KdfParams;
use hush_core::event::{PutKind, TeamRole, VaultRole};
use hush_core::secret::SecretString;
use hush_core::session::{self, MetaUpdate, Session};
use hush_tests::{PASSWORD, Relay};
use uuid::Uuid;

const VAULTS: [&str; 2] = ["a", "b"];
const NAMES: [&str; 3] = ["K0", "K1", "K2"];

struct Member<'a> {
    s: &'a mut Session,
    name: String,
    online: bool,
    /// Removed from the team by the owner: acts no more (the relay refuses it).
    removed: bool,
}

/// One write attempt that the author's store accepted.
struct Write {
    author: usize,
    vault: &'static str,
    addr: String,
    value: String,
}

/// Totals over all cases, for the figure.
#[derive(Default)]
struct Totals {
    cases: usize,
    members: usize,
    ops: usize,
    writes: usize,
    synced: usize,
    dropped: usize,
    refused: usize,
    conflicts: usize,
    grants: usize,
    revokes: usize,
    removals: usize,
    /// Syncs whose acknowledgements were lost (the pushed events marked pending again).
    lost_acks: usize,
    /// Membership changes left in the owner's outbox while others wrote and synced.
    pending_changes: usize,
    offline_periods: usize,
    revoked_checks: usize,
    post_revoke_values: usize,
    events: usize,
}

async fn init(home: &Path, name: &str) -> Session {
    Session::init(
        home,
        name,
        &SecretString::new(PASSWORD.to_owned()),
        KdfParams::DEFAULT,
        session::system_clock(),
    )
    .await
    .expect("Session::init")
}

/// The relay's stored events of one team, in order.
async fn relay_log(database: &str, tid: Uuid) -> Vec<Vec<u8>> {
    let pool = sqlx::SqlitePool::connect(database).await.expect("relay db");
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT bytes FROM events WHERE team_id = $1 ORDER BY seq")
            .bind(tid.to_string())
            .fetch_all(&pool)
            .await
            .expect("events");
    pool.close().await;
    rows
}

/// The values sealed in each event of `raw`, as the owner (who holds every key) opens them:
/// value -> positions in the log.
fn value_positions(owner: &Session, tid: Uuid, raw: &[Vec<u8>]) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (i, ev) in raw.iter().enumerate() {
        for v in owner.decryptable_values(tid, std::slice::from_ref(ev)) {
            out.entry(v).or_default().push(i as u64);
        }
    }
    out
}

fn addr(s: &str) -> Address {
    Address::parse(s).expect("address")
}

/// The owner's view of who may read a vault: name -> role.
fn access(owner: &Session, team: &str, vault: &str) -> BTreeMap<String, VaultRole> {
    owner
        .access(Some(team), vault)
        .expect("access")
        .into_iter()
        .map(|a| (a.name, a.role))
        .collect()
}

/// Makes the last `n` events of `s`'s log of team `tid` pending again, as if the relay had
/// stored them but its answers were lost: the next sync must confirm them from the pull, never
/// push them a second time.
async fn lose_acks(s: &Session, tid: Uuid, n: usize) {
    let db = hush_core::store::Store::db_path(s.home());
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("member db");
    let team = tid.as_bytes().to_vec();
    let marked = sqlx::query(
        "UPDATE events SET pending = 1 WHERE team_id = ?1
         AND seq > (SELECT MAX(seq) FROM events WHERE team_id = ?1) - ?2",
    )
    .bind(&team)
    .bind(i64::try_from(n).expect("count"))
    .execute(&pool)
    .await
    .expect("mark pending");
    assert_eq!(
        marked.rows_affected(),
        n as u64,
        "the pushed events are the log's tail"
    );
    pool.close().await;
}

/// The log position of the newest `action` (`revoked`, `removed`) the owner's audit shows with
/// this target. The owner has synced, so the position is the relay's.
async fn position_of(owner: &Session, team: &str, action: &str, target: &str) -> u64 {
    let filter = hush_core::audit::ActivityFilter {
        action: Some(action.to_owned()),
        ..Default::default()
    };
    owner
        .activity_filtered(Some(team), &filter, usize::MAX)
        .await
        .expect("audit")
        .into_iter()
        .find(|e| e.target == target)
        .map(|e| e.seq)
        .unwrap_or_else(|| panic!("no `{action}` of {target} in the owner's audit"))
}

/// Checks that member `m`'s keys open no value written to `vault` after log position `after`.
/// Returns how many such values were checked.
#[allow(clippy::too_many_arguments)]
async fn assert_revoked_reads_nothing_new(
    members: &[Member<'_>],
    m: usize,
    vault: &str,
    after: u64,
    writes: &[Write],
    database: &str,
    tid: Uuid,
    case: u64,
) -> usize {
    let raw = relay_log(database, tid).await;
    let positions = value_positions(members[0].s, tid, &raw);
    let readable: BTreeSet<String> = members[m]
        .s
        .decryptable_values(tid, &raw)
        .into_iter()
        .collect();
    let mut checked = 0;
    for w in writes.iter().filter(|w| w.vault == vault) {
        if positions
            .get(&w.value)
            .is_some_and(|p| p.iter().any(|&at| at > after))
        {
            checked += 1;
            assert!(
                !readable.contains(&w.value),
                "case {case}: {} decrypted {} written to `{vault}` after its access was revoked (at event {after})",
                members[m].name,
                w.value
            );
        }
    }
    checked
}

#[allow(clippy::too_many_lines)]
async fn case(relay: &Relay, case: u64, seed: u64, pool: &mut [Session], t: &mut Totals) {
    let mut rng = Rng::new(seed);
    let n = 3 + rng.index(3);
    let team_name = format!("t{case}");
    let team = team_name.as_str();
    let mut members: Vec<Member<'_>> = pool
        .iter_mut()
        .take(n)
        .enumerate()
        .map(|(i, s)| Member {
            s,
            name: format!("m{i}"),
            online: true,
            removed: false,
        })
        .collect();
    members[0]
        .s
        .team_create(team, Some(relay.url.clone()), false)
        .await
        .expect("team create");
    let tid = members[0].s.team_id(Some(team)).expect("team");
    for v in VAULTS {
        members[0]
            .s
            .vault_create(Some(team), v)
            .await
            .expect("vault");
    }
    members[0].s.sync_team(tid).await.expect("first sync");
    for i in 1..n {
        let name = members[i].name.clone();
        let code = members[0]
            .s
            .invite(Some(team), TeamRole::Member, 3_600_000)
            .await
            .expect("invite")
            .code;
        members[i]
            .s
            .join(&code, None, None, false)
            .await
            .expect("join");
        let owner = &mut members[0].s;
        owner.sync_team(tid).await.expect("fetch the join");
        owner.admit(Some(team), &name).await.expect("admit");
        owner
            .grant(Some(team), "a", &name, VaultRole::Write)
            .await
            .expect("grant");
        owner.sync_team(tid).await.expect("push the admission");
        members[i]
            .s
            .sync_team(tid)
            .await
            .expect("joiner's first sync");
    }
    for m in &mut members {
        m.s.sync_team(tid).await.expect("sync");
    }

    let mut writes: Vec<Write> = Vec::new();
    let mut dropped_reports = vec![0usize; n];
    // (member, vault) whose revocation stands (its position is read from the owner's audit once
    // the owner has synced it: it may wait in the owner's outbox while others write).
    let mut revoked: BTreeSet<(usize, &'static str)> = BTreeSet::new();
    let mut removals = 0;
    // (member, vault) pairs whose access was revoked or lowered at some point.
    let mut lowered: BTreeSet<(usize, &'static str)> = BTreeSet::new();
    let ops = 25 + rng.below(20);
    for op in 0..ops {
        let m = rng.index(n);
        if members[m].removed {
            continue;
        }
        // Membership changes are synced at once only half of the time: the other half they wait
        // in the owner's outbox while the owner and others write and sync (the race in which a
        // rebuilt removal once lost the owner's next write).
        let sync_now = rng.percent(50);
        match rng.below(100) {
            0..=39 => {
                let vault = VAULTS[usize::from(rng.percent(30))];
                let a = format!("{vault}/{}", NAMES[rng.index(NAMES.len())]);
                let value = format!("case{case}-op{op}-{}", members[m].name);
                let r = members[m]
                    .s
                    .set(
                        Some(team),
                        &addr(&a),
                        &SecretString::new(value.clone()),
                        MetaUpdate::default(),
                        PutKind::Set,
                    )
                    .await;
                match r {
                    Ok(_) => writes.push(Write {
                        author: m,
                        vault,
                        addr: a,
                        value,
                    }),
                    Err(Error::Forbidden(_) | Error::NotFound(_)) => t.refused += 1,
                    Err(e) => panic!("case {case} op {op}: set by m{m}: {e}"),
                }
            }
            40..=64 if members[m].online => {
                let r = members[m].s.sync_team(tid).await;
                let report = r.unwrap_or_else(|e| panic!("case {case} op {op}: sync of m{m}: {e}"));
                dropped_reports[m] += report.dropped.len();
                // The relay stored what was pushed, but its answers never arrived.
                if report.pushed > 0 && rng.percent(30) {
                    lose_acks(members[m].s, tid, report.pushed).await;
                    t.lost_acks += 1;
                }
            }
            40..=64 => {}
            65..=74 if m != 0 => {
                members[m].online = !members[m].online;
                if !members[m].online {
                    t.offline_periods += 1;
                }
            }
            75..=87 if m != 0 => {
                let vault = VAULTS[rng.index(VAULTS.len())];
                let name = members[m].name.clone();
                let current = access(members[0].s, team, vault).get(&name).copied();
                let role = match current {
                    Some(VaultRole::Write) => VaultRole::Read,
                    Some(_) => VaultRole::Write,
                    None if rng.percent(50) => VaultRole::Read,
                    None => VaultRole::Write,
                };
                if current == Some(VaultRole::Write) {
                    lowered.insert((m, vault));
                }
                if revoked.remove(&(m, vault)) {
                    // Before keys flow again: nothing written since the revoke opens.
                    let report = members[0].s.sync_team(tid).await.expect("owner sync");
                    dropped_reports[0] += report.dropped.len();
                    let after = position_of(
                        members[0].s,
                        team,
                        "revoked",
                        &format!("{name} from {vault}"),
                    )
                    .await;
                    if members[m].online {
                        let r = members[m].s.sync_team(tid).await;
                        let report = r.unwrap_or_else(|e| panic!("case {case}: sync of m{m}: {e}"));
                        dropped_reports[m] += report.dropped.len();
                    }
                    t.post_revoke_values += assert_revoked_reads_nothing_new(
                        &members,
                        m,
                        vault,
                        after,
                        &writes,
                        &relay.database,
                        tid,
                        case,
                    )
                    .await;
                    t.revoked_checks += 1;
                }
                let owner = &mut members[0].s;
                owner
                    .grant(Some(team), vault, &name, role)
                    .await
                    .unwrap_or_else(|e| panic!("case {case} op {op}: grant: {e}"));
                if sync_now {
                    let report = owner.sync_team(tid).await.expect("owner sync");
                    dropped_reports[0] += report.dropped.len();
                } else {
                    t.pending_changes += 1;
                }
                t.grants += 1;
            }
            88..=96 if m != 0 => {
                let vault = VAULTS[rng.index(VAULTS.len())];
                let name = members[m].name.clone();
                if !access(members[0].s, team, vault).contains_key(&name) {
                    continue;
                }
                let owner = &mut members[0].s;
                owner
                    .revoke(Some(team), vault, &name)
                    .await
                    .unwrap_or_else(|e| panic!("case {case} op {op}: revoke: {e}"));
                if sync_now {
                    let report = owner.sync_team(tid).await.expect("owner sync");
                    dropped_reports[0] += report.dropped.len();
                } else {
                    t.pending_changes += 1;
                }
                revoked.insert((m, vault));
                lowered.insert((m, vault));
                t.revokes += 1;
            }
            // Break glass: the owner removes a member (at most one per case, so a team of three
            // keeps two), then goes on writing, with the removal possibly still in the outbox.
            97..=99 if m != 0 && removals == 0 => {
                let name = members[m].name.clone();
                let owner = &mut members[0].s;
                owner
                    .remove_member(Some(team), &name)
                    .await
                    .unwrap_or_else(|e| panic!("case {case} op {op}: remove: {e}"));
                if sync_now {
                    let report = owner.sync_team(tid).await.expect("owner sync");
                    dropped_reports[0] += report.dropped.len();
                } else {
                    t.pending_changes += 1;
                }
                members[m].removed = true;
                for v in VAULTS {
                    revoked.remove(&(m, v));
                    lowered.insert((m, v));
                }
                removals += 1;
                t.removals += 1;
            }
            _ => {}
        }
    }

    // Everyone online; sync until nothing is pending and all agree.
    for m in &mut members {
        m.online = true;
    }
    let mut rounds = 0;
    loop {
        rounds += 1;
        for (i, m) in members.iter_mut().enumerate().filter(|(_, m)| !m.removed) {
            let report =
                m.s.sync_team(tid)
                    .await
                    .unwrap_or_else(|e| panic!("case {case}: final sync of m{i}: {e}"));
            dropped_reports[i] += report.dropped.len();
        }
        let mut codes = BTreeSet::new();
        let mut pending = 0;
        for m in members.iter().filter(|m| !m.removed) {
            let st = m.s.team_status(Some(team)).await.expect("status");
            codes.insert(st.state_code);
            pending += st.outbox;
        }
        if codes.len() == 1 && pending == 0 {
            break;
        }
        assert!(
            rounds < 8,
            "case {case} (seed {seed}): no convergence after {rounds} rounds: {codes:?}, outbox {pending}"
        );
    }

    // 2. Every write is in the log once (synced) or nowhere (dropped, and explained).
    let raw = relay_log(&relay.database, tid).await;
    let positions = value_positions(members[0].s, tid, &raw);
    let mut missing = vec![0usize; n];
    for w in &writes {
        match positions.get(&w.value).map_or(0, Vec::len) {
            1 => {
                t.synced += 1;
                let hist = members[0]
                    .s
                    .history(Some(team), &addr(&w.addr), true)
                    .expect("history");
                let n_here = hist
                    .iter()
                    .filter(|v| v.value.as_ref().is_some_and(|x| x.expose() == w.value))
                    .count();
                assert_eq!(
                    n_here, 1,
                    "case {case} (seed {seed}): {} is in the log but not once in the history of {}",
                    w.value, w.addr
                );
            }
            0 => {
                missing[w.author] += 1;
                t.dropped += 1;
                assert!(
                    lowered.contains(&(w.author, w.vault)),
                    "case {case} (seed {seed}): {} by m{} vanished although its access to `{}` never changed",
                    w.value,
                    w.author,
                    w.vault
                );
            }
            k => panic!(
                "case {case} (seed {seed}): {} is in the log {k} times",
                w.value
            ),
        }
    }
    for (i, (missing, reported)) in missing.iter().zip(&dropped_reports).enumerate() {
        if members[i].removed {
            // Its outbox never reached the relay after the removal: not acknowledged writes.
            continue;
        }
        assert!(
            missing <= reported,
            "case {case} (seed {seed}): m{i} lost {missing} writes but its syncs reported {reported} dropped"
        );
    }

    // 1. Readers see what the owner sees: same secrets, versions and values.
    for vault in VAULTS {
        let readers = access(members[0].s, team, vault);
        let owner_list = members[0].s.list(Some(team), Some(vault)).expect("list");
        let mut owner_hist = Vec::new();
        for item in &owner_list {
            let a = addr(&format!("{vault}/{}", item.name));
            let h: Vec<(u32, String)> = members[0]
                .s
                .history(Some(team), &a, true)
                .expect("history")
                .into_iter()
                .map(|v| {
                    (
                        v.version,
                        v.value.map(|x| x.expose().to_owned()).unwrap_or_default(),
                    )
                })
                .collect();
            owner_hist.push((a, h));
        }
        for m in members
            .iter()
            .skip(1)
            .filter(|m| readers.contains_key(&m.name) && !m.removed)
        {
            let list = m.s.list(Some(team), Some(vault)).expect("list");
            let names: Vec<&String> = list.iter().map(|i| &i.name).collect();
            let owner_names: Vec<&String> = owner_list.iter().map(|i| &i.name).collect();
            assert_eq!(
                names, owner_names,
                "case {case} (seed {seed}): {} lists `{vault}` differently",
                m.name
            );
            for (a, h) in &owner_hist {
                let mine: Vec<(u32, String)> =
                    m.s.history(Some(team), a, true)
                        .unwrap_or_else(|e| panic!("case {case}: {} history of {a}: {e}", m.name))
                        .into_iter()
                        .map(|v| {
                            (
                                v.version,
                                v.value.map(|x| x.expose().to_owned()).unwrap_or_default(),
                            )
                        })
                        .collect();
                assert_eq!(
                    &mine, h,
                    "case {case} (seed {seed}): {} sees another history of {a}",
                    m.name
                );
            }
        }
    }

    // 3. Revocations that stand, and removals: nothing written afterwards opens with the
    //    member's keys.
    let mut cut_off = Vec::new();
    for (m, vault) in &revoked {
        let target = format!("{} from {vault}", members[*m].name);
        cut_off.push((
            *m,
            *vault,
            position_of(members[0].s, team, "revoked", &target).await,
        ));
    }
    for (i, m) in members.iter().enumerate().filter(|(_, m)| m.removed) {
        let at = position_of(members[0].s, team, "removed", &m.name).await;
        cut_off.extend(VAULTS.iter().map(|v| (i, *v, at)));
    }
    for (m, vault, after) in cut_off {
        t.post_revoke_values += assert_revoked_reads_nothing_new(
            &members,
            m,
            vault,
            after,
            &writes,
            &relay.database,
            tid,
            case,
        )
        .await;
        t.revoked_checks += 1;
    }

    t.cases += 1;
    t.members += n;
    t.ops += ops as usize;
    t.writes += writes.len();
    t.conflicts += members[0]
        .s
        .conflicts()
        .iter()
        .filter(|c| c.team == team)
        .count();
    t.events += raw.len();
}

#[test]
fn random_interleavings_converge_lose_nothing_and_keep_revoked_members_out() {
    let cases = common::env_u64(
        "HUSH_CONVERGENCE_CASES",
        if common::full() { 200 } else { 20 },
    );
    let seed = common::seed(0xc0ff_ee00);
    // All members connect from 127.0.0.1 and sync often: lift the rate limits.
    let dir = tempfile::tempdir().expect("tmp");
    let database = format!("sqlite://{}", dir.path().join("relay.db").display());
    let relay = Relay::start_on(
        database,
        dir,
        &[
            "--rate-per-ip",
            "1000000",
            "--rate-per-device",
            "1000000",
            "--burst",
            "1000000",
        ],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    // Five stores, made once (each costs an Argon2id derivation); every case is a new team of
    // the first 3-5 of them.
    let homes = tempfile::tempdir().expect("tmp");
    let mut pool: Vec<Session> = rt.block_on(async {
        let mut pool = Vec::new();
        for i in 0..5 {
            let name = format!("m{i}");
            pool.push(init(&homes.path().join(&name), &name).await);
        }
        pool
    });
    let mut t = Totals::default();
    for c in 0..cases {
        let case_seed = seed.wrapping_add(c.wrapping_mul(0x9e37_79b9));
        rt.block_on(case(&relay, c, case_seed, &mut pool, &mut t));
    }
    rt.block_on(async {
        for s in pool {
            s.close().await;
        }
    });
    figure(&format!(
        "convergence: {} cases (seed {seed}), {} members, {} operations ({} writes: {} synced, {} dropped after a revoke or removal, {} refused locally; {} grants, {} revokes, {} removals, {} membership changes left pending while others wrote, {} syncs with lost acknowledgements, {} offline periods); {} events; all converged; 0 lost versions; {} secrets left in conflict (kept as versions); {} revocation checks over {} later values, 0 readable; {:.0} s",
        t.cases,
        t.members,
        t.ops,
        t.writes,
        t.synced,
        t.dropped,
        t.refused,
        t.grants,
        t.revokes,
        t.removals,
        t.pending_changes,
        t.lost_acks,
        t.offline_periods,
        t.events,
        t.conflicts,
        t.revoked_checks,
        t.post_revoke_values,
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(t.cases, cases as usize);
    assert!(
        t.synced > 0 && t.revokes > 0 && t.removals > 0 && t.pending_changes > 0 && t.lost_acks > 0,
        "the cases exercised nothing"
    );
}
