//! Alerts a person should look at, and the client-side detection of unusual reading.
//!
//! Usage events (`Payload::Usage`) are signed, synced and readable by every team member, so any
//! member's client can notice that someone read far more keys than usual. The rule is simple on
//! purpose, so a person can predict it: a member who read more *distinct* keys in the last 24
//! hours than
//!
//! - 3 × their median per active day (a day with at least one read) over the 30 days before,
//!   and at least 10 keys; or,
//! - with no reads at all in those 30 days, more than 20 keys
//!
//! is flagged. Item ids count even where this device cannot read the vault (they are opaque but
//! distinct), so a team admin without access to a vault still sees the spike.
//!
//! This is best-effort: usage events are written by the reader's own client. A member who holds a
//! key can read it without any event being recorded (an old or modified client, or simply copying
//! the decrypted database). Detection helps with honest mistakes and stolen laptops running the
//! normal client, not against a determined insider.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::event::UsageAction;

/// One secret version read by one member, from a verified usage event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    /// Log position of the usage event.
    pub seq: u64,
    /// The reader's clock when the event was written (informational).
    pub time_ms: i64,
    /// The reading device.
    pub member: Uuid,
    /// Vault of the secret.
    pub vault: Uuid,
    /// The secret (opaque where this device cannot read the vault).
    pub item: Uuid,
    /// The version read.
    pub version: u32,
    /// How it was read.
    pub action: UsageAction,
}

/// Something a person should look at, shown by `hush status`. Other sources (the relay's view
/// of devices, service identities) append their own kinds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// Machine-readable kind, e.g. `usage_spike`, `relay`.
    pub kind: String,
    /// Team it concerns.
    pub team: String,
    /// Who or what it is about (a member name, the relay).
    pub subject: String,
    /// One line for a person.
    pub detail: String,
    /// Since when, when known.
    pub since_ms: Option<i64>,
    /// The next step about `subject`, which each front end words (never a command in `detail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<crate::error::Hint>,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Days of history a member's usual pattern is taken from.
pub const HISTORY_DAYS: i64 = 30;
/// How many times the usual daily count is a spike.
pub const SPIKE_FACTOR: f64 = 3.0;
/// Fewest distinct keys in 24 h that can count as a spike for a member with history.
pub const SPIKE_MIN_KEYS: usize = 10;
/// More distinct keys than this in 24 h is a spike for a member with no history.
pub const NEW_READER_KEYS: usize = 20;

/// A member who read unusually many distinct keys in the last 24 hours.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageSpike {
    /// The member.
    pub member: Uuid,
    /// Distinct keys read in the last 24 hours.
    pub keys: usize,
    /// Median distinct keys per active day over the previous 30 days (None: no history).
    pub usual: Option<f64>,
    /// The first read inside the 24-hour window.
    pub since_ms: i64,
}

fn median(mut v: Vec<usize>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// Members whose reading in the 24 hours before `now_ms` is far above their usual pattern.
/// Records timed after `now_ms` (a reader's clock ahead of ours) count as recent.
pub fn usage_spikes(records: &[UsageRecord], now_ms: i64) -> Vec<UsageSpike> {
    let window_start = now_ms - DAY_MS;
    let history_start = window_start - HISTORY_DAYS * DAY_MS;
    // member -> (distinct items in the window, first time in the window, day -> distinct items)
    type PerMember = (BTreeSet<Uuid>, i64, BTreeMap<i64, BTreeSet<Uuid>>);
    let mut by_member: BTreeMap<Uuid, PerMember> = BTreeMap::new();
    for r in records {
        if r.time_ms < history_start {
            continue;
        }
        let e = by_member
            .entry(r.member)
            .or_insert_with(|| (BTreeSet::new(), i64::MAX, BTreeMap::new()));
        if r.time_ms > window_start {
            e.0.insert(r.item);
            e.1 = e.1.min(r.time_ms);
        } else {
            // Day 0 is the 24 hours just before the window, day 29 the oldest.
            let day = (window_start - r.time_ms) / DAY_MS;
            e.2.entry(day).or_default().insert(r.item);
        }
    }
    let mut out = Vec::new();
    for (member, (recent, since_ms, days)) in by_member {
        let keys = recent.len();
        if keys == 0 {
            continue;
        }
        let usual = median(days.values().map(BTreeSet::len).collect());
        let spike = match usual {
            None => keys > NEW_READER_KEYS,
            Some(m) => keys >= SPIKE_MIN_KEYS && keys as f64 > SPIKE_FACTOR * m,
        };
        if spike {
            out.push(UsageSpike {
                member,
                keys,
                usual,
                since_ms,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn rec(member: u8, item: u16, time_ms: i64) -> UsageRecord {
        let mut id = [0u8; 16];
        id[..2].copy_from_slice(&item.to_be_bytes());
        UsageRecord {
            seq: 0,
            time_ms,
            member: Uuid::from_bytes([member; 16]),
            vault: Uuid::from_bytes([9; 16]),
            item: Uuid::from_bytes(id),
            version: 1,
            action: UsageAction::Get,
        }
    }

    /// `per_day` distinct keys on each of the `days` days before the window.
    fn history(member: u8, per_day: u16, days: i64) -> Vec<UsageRecord> {
        let mut v = Vec::new();
        for d in 0..days {
            for k in 0..per_day {
                v.push(rec(member, 1000 + k, NOW - DAY_MS - d * DAY_MS - HOUR_MS));
            }
        }
        v
    }

    fn recent(member: u8, keys: u16) -> Vec<UsageRecord> {
        (0..keys)
            .map(|k| rec(member, k, NOW - HOUR_MS - i64::from(k)))
            .collect()
    }

    #[test]
    fn a_new_reader_is_flagged_only_above_twenty_keys() {
        assert!(usage_spikes(&recent(1, 20), NOW).is_empty());
        let s = usage_spikes(&recent(1, 21), NOW);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].keys, 21);
        assert_eq!(s[0].usual, None);
        assert_eq!(s[0].since_ms, NOW - HOUR_MS - 20);
    }

    #[test]
    fn repeated_reads_of_one_key_are_one_key() {
        let v: Vec<UsageRecord> = (0..50).map(|i| rec(1, 7, NOW - i * 60_000)).collect();
        assert!(usage_spikes(&v, NOW).is_empty());
    }

    #[test]
    fn three_times_the_usual_median_and_at_least_ten() {
        // Usually 4 keys a day: 12 is not more than 3x, 13 is.
        let mut v = history(1, 4, 20);
        v.extend(recent(1, 12));
        assert!(usage_spikes(&v, NOW).is_empty());
        let mut v = history(1, 4, 20);
        v.extend(recent(1, 13));
        let s = usage_spikes(&v, NOW);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].usual, Some(4.0));
        // Usually 1 key a day: 9 keys is more than 3x but below the floor of 10.
        let mut v = history(2, 1, 10);
        v.extend(recent(2, 9));
        assert!(usage_spikes(&v, NOW).is_empty());
        let mut v = history(2, 1, 10);
        v.extend(recent(2, 10));
        assert_eq!(usage_spikes(&v, NOW).len(), 1);
    }

    #[test]
    fn history_older_than_thirty_days_does_not_count() {
        // A heavy reader two months ago is a new reader today.
        let mut v: Vec<UsageRecord> = (0..40)
            .map(|k| rec(1, 500 + k, NOW - 60 * DAY_MS))
            .collect();
        v.extend(recent(1, 15));
        assert!(
            usage_spikes(&v, NOW).is_empty(),
            "15 <= 20 for a new reader"
        );
        v.extend(recent(1, 25));
        assert_eq!(usage_spikes(&v, NOW)[0].usual, None);
    }

    #[test]
    fn members_are_judged_separately() {
        let mut v = history(1, 30, 30); // a heavy but steady reader
        v.extend(recent(1, 40));
        v.extend(recent(2, 25)); // a new reader with a spike
        let s = usage_spikes(&v, NOW);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].member, Uuid::from_bytes([2; 16]));
    }

    #[test]
    fn even_number_of_active_days_takes_the_middle_mean() {
        assert_eq!(median(vec![1, 3]), Some(2.0));
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(Vec::new()), None);
    }
}
