//! Shared state of one relay process.
//!
//! Only the database is authoritative; the rest is per-process convenience: rate-limit buckets,
//! a signal that wakes local long-polls early after a local append, and a shutdown flag that
//! ends long-polls so a graceful shutdown does not wait for their timeouts. Time is read through
//! a [`Clock`] so tests can move it (invite expiry, timestamp skew) without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hush_proto::witness_proto::WitnessSigner;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::Db;
use crate::metrics::Metrics;
use crate::ratelimit::{Limiter, RateLimits};

/// Source of "now" in milliseconds since the Unix epoch.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        }))
    }

    /// A clock driven by a function (tests).
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Now, in ms since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

pub(crate) struct Inner {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) ip_limiter: Limiter<IpAddr>,
    pub(crate) device_limiter: Limiter<Uuid>,
    /// Bumped after every local append; long-polls wait on it (and also poll the database).
    pub(crate) appended: watch::Sender<u64>,
    /// Set once when the process starts shutting down.
    pub(crate) shutdown: watch::Sender<bool>,
    /// How often a long-poll re-reads the head (catches appends made by other processes).
    pub(crate) poll_interval: Duration,
    /// Relay time of the last nonce pruning.
    pub(crate) last_prune_ms: AtomicI64,
    /// Request counts per (team, device, address) not yet written to `device_usage`.
    pub(crate) usage: Mutex<HashMap<(Uuid, Uuid, IpAddr), PendingUsage>>,
    /// In witness mode: the key that co-signs team heads.
    pub(crate) witness: Option<WitnessSigner>,
    /// Counts and timings for `/metrics`.
    pub(crate) metrics: Metrics,
}

/// Requests counted in memory since the last write of a usage row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingUsage {
    last_write_ms: i64,
    count: i64,
}

/// A usage row is written at most this often per (team, device, address): the table is a hint
/// for people, and a write per request would halve what a SQLite relay can take.
pub const USAGE_WRITE_INTERVAL_MS: i64 = 60_000;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.inner.db.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a connected database, with the system clock.
    pub fn new(db: Db, limits: RateLimits) -> Self {
        Self::with_clock(db, limits, Clock::system())
    }

    /// State with an explicit clock.
    pub fn with_clock(db: Db, limits: RateLimits, clock: Clock) -> Self {
        Self::build(db, limits, clock, None)
    }

    /// State of a witness (`hush-relay --witness`) that co-signs with `signer`.
    pub fn witness(db: Db, limits: RateLimits, clock: Clock, signer: WitnessSigner) -> Self {
        Self::build(db, limits, clock, Some(signer))
    }

    fn build(db: Db, limits: RateLimits, clock: Clock, witness: Option<WitnessSigner>) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                clock,
                ip_limiter: Limiter::new(limits.per_ip, limits.burst),
                device_limiter: Limiter::new(limits.per_device, limits.burst),
                appended: watch::channel(0).0,
                shutdown: watch::channel(false).0,
                poll_interval: Duration::from_millis(200),
                last_prune_ms: AtomicI64::new(i64::MIN),
                usage: Mutex::new(HashMap::new()),
                witness,
                metrics: Metrics::default(),
            }),
        }
    }

    /// The process's counters (served on `--metrics-listen`).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Ends pending long-polls (they answer 204) so a graceful shutdown finishes promptly.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    pub(crate) fn notify_appended(&self) {
        self.inner.metrics.appended();
        self.inner.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Counts a request; returns the number of requests to write now, when this key's row is
    /// due (first request, or [`USAGE_WRITE_INTERVAL_MS`] since the last write).
    pub(crate) fn usage_due(
        &self,
        team: Uuid,
        device: Uuid,
        ip: IpAddr,
        now_ms: i64,
    ) -> Option<i64> {
        let mut map = self
            .inner
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map.entry((team, device, ip)).or_insert(PendingUsage {
            last_write_ms: i64::MIN,
            count: 0,
        });
        entry.count += 1;
        if now_ms.saturating_sub(entry.last_write_ms) >= USAGE_WRITE_INTERVAL_MS {
            let n = entry.count;
            entry.count = 0;
            entry.last_write_ms = now_ms;
            Some(n)
        } else {
            None
        }
    }

    /// Whether nonces should be pruned now (at most once a minute per process).
    pub(crate) fn should_prune(&self, now_ms: i64) -> bool {
        let last = self.inner.last_prune_ms.load(Ordering::Relaxed);
        now_ms.saturating_sub(last) > 60_000
            && self
                .inner
                .last_prune_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn usage_rows_are_written_once_a_minute_with_every_request_counted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::connect(&Db::sqlite_url(&dir.path().join("r.db")))
            .await
            .expect("db");
        let state = AppState::new(db, RateLimits::default());
        let (team, device) = (Uuid::new_v4(), Uuid::new_v4());
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(state.usage_due(team, device, ip, 1_000), Some(1));
        for t in 1..5 {
            assert_eq!(state.usage_due(team, device, ip, 1_000 + t), None);
        }
        // Another address of the same device is its own row.
        assert_eq!(
            state.usage_due(team, device, [10, 0, 0, 2].into(), 1_010),
            Some(1)
        );
        assert_eq!(
            state.usage_due(team, device, ip, 1_000 + USAGE_WRITE_INTERVAL_MS),
            Some(5)
        );
    }
}
