//! The relay's storage: SQLite for a single process, PostgreSQL for several.
//!
//! One code path serves both through sqlx's `Any` driver; the schemas differ only in the byte
//! type (`BLOB`/`BYTEA`) and live in `migrations/sqlite` and `migrations/postgres`, applied at
//! start-up.
//!
//! # Why appends cannot fork the chain
//!
//! An append is one transaction that starts with a compare-and-swap on the team's head row:
//! `UPDATE teams SET head = new WHERE head = expected AND <author may append>`. In PostgreSQL the
//! row lock makes a concurrent second update wait and then re-check its `WHERE` against the new
//! head, so it matches nothing; in SQLite the transaction is `BEGIN IMMEDIATE`, so writers are
//! serialised outright. `PRIMARY KEY (team_id, seq)` and `UNIQUE (team_id, hash)` on the events
//! table refuse a second event at the same position even if the head logic were wrong.
//!
//! # Authorisation inside the query
//!
//! Every read and write that needs a permission carries it in its `WHERE` clause (an `EXISTS` on
//! the device row), so a device removed between authentication and the query gets nothing:
//! there is no window between "check" and "use".

use std::path::Path;

use hush_proto::crypto;
use hush_proto::event::{AclChange, SignedEvent};
use hush_proto::relay_proto::{self, AppendOk, DeviceUsage, Head, JoinRequest};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use uuid::Uuid;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite file (one relay process).
    Sqlite,
    /// PostgreSQL (any number of relay processes).
    Postgres,
}

/// Failure to open or migrate the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl,
    /// Connecting failed.
    #[error("could not open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool plus the knowledge of which backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

/// Result of creating a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The team was created with this genesis.
    Created(AppendOk),
    /// The team already had exactly this genesis.
    AlreadyExists(AppendOk),
    /// The team exists with a different genesis.
    Conflict,
}

/// Result of an append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored now.
    Stored(AppendOk),
    /// Already stored at that position (idempotent re-post).
    AlreadyStored(AppendOk),
    /// Does not extend the head: the current head.
    NotAtHead(Head),
    /// The author may not append this event (removed, or ACL changes without being a manager).
    Forbidden,
}

/// What the relay knows about an active device for authorising its requests.
#[derive(Clone, Copy, Debug)]
pub struct DeviceAuth {
    /// Its relay-auth key.
    pub auth_pk: [u8; 32],
    /// May change the access list.
    pub manager: bool,
    /// A service identity: may read, never append.
    pub read_only: bool,
    /// When it stops being let in (service identities).
    pub expires_ms: Option<i64>,
}

fn hex_head(seq: i64, hash: &[u8]) -> Head {
    Head {
        seq: u64::try_from(seq).ok(),
        hash: Some(relay_proto::hex(hash)),
    }
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Db {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://...`) and applies
    /// the migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_with_create(url))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let options = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = options.connect(&url).await.map_err(DbError::Connect)?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Self { pool, backend })
    }

    /// The default SQLite URL for a data directory.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}", path.display())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction that will write. SQLite takes the write lock up front, so two writers never
    /// deadlock upgrading read locks; PostgreSQL relies on row locks.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Whether a team exists.
    pub async fn team_exists(&self, team_id: &Uuid) -> Result<bool, sqlx::Error> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT team_id FROM teams WHERE team_id = $1")
                .bind(team_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// The relay-auth key and permissions of an active device of a team.
    pub async fn device_key(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
    ) -> Result<Option<DeviceAuth>, sqlx::Error> {
        let row: Option<(Vec<u8>, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT auth_pk, manager, read_only, expires_ms FROM devices
             WHERE team_id = $1 AND device_id = $2 AND removed = 0",
        )
        .bind(team_id.to_string())
        .bind(device_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(pk, manager, read_only, expires_ms)| {
            Some(DeviceAuth {
                auth_pk: pk.try_into().ok()?,
                manager: manager == 1,
                read_only: read_only == 1,
                expires_ms,
            })
        }))
    }

    /// Adds `requests` requests from `device_id` at address `ip`, the latest at `now_ms`.
    pub async fn record_usage(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
        ip: &str,
        requests: i64,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO device_usage (team_id, device_id, ip, first_ms, last_ms, requests)
             VALUES ($1, $2, $3, $4, $4, $5)
             ON CONFLICT (team_id, device_id, ip) DO UPDATE
             SET last_ms = excluded.last_ms, requests = device_usage.requests + excluded.requests",
        )
        .bind(team_id.to_string())
        .bind(device_id.to_string())
        .bind(ip)
        .bind(now_ms)
        .bind(requests)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores `note` as the device's note in the team, replacing any earlier one.
    pub async fn put_note(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
        note: &[u8],
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO device_notes (team_id, device_id, note, updated_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (team_id, device_id) DO UPDATE
             SET note = excluded.note, updated_ms = excluded.updated_ms",
        )
        .bind(team_id.to_string())
        .bind(device_id.to_string())
        .bind(note.to_vec())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The device's note in the team, if it stored one.
    pub async fn note(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
    ) -> Result<Option<Vec<u8>>, sqlx::Error> {
        sqlx::query_scalar("SELECT note FROM device_notes WHERE team_id = $1 AND device_id = $2")
            .bind(team_id.to_string())
            .bind(device_id.to_string())
            .fetch_optional(&self.pool)
            .await
    }

    /// Every (device, address) the team's devices used, oldest first.
    pub async fn usage(&self, team_id: &Uuid) -> Result<Vec<DeviceUsage>, sqlx::Error> {
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT device_id, ip, first_ms, last_ms, requests FROM device_usage
             WHERE team_id = $1 ORDER BY first_ms, device_id, ip",
        )
        .bind(team_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(d, ip, first_ms, last_ms, requests)| {
                Some(DeviceUsage {
                    device_id: Uuid::parse_str(&d).ok()?,
                    ip,
                    first_ms,
                    last_ms,
                    requests,
                })
            })
            .collect())
    }

    /// Records a request nonce; `false` if this device already used it (a replay).
    pub async fn record_nonce(
        &self,
        device_id: &Uuid,
        nonce: &[u8; 16],
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let res = sqlx::query(
            "INSERT INTO nonces (device_id, nonce, received_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(device_id.to_string())
        .bind(nonce.to_vec())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Deletes nonces received before `before_ms`.
    pub async fn prune_nonces(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        let res = sqlx::query("DELETE FROM nonces WHERE received_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }

    /// Stores a genesis event as a new team (the caller has checked its shape and signature).
    pub async fn create_team(
        &self,
        ev: &SignedEvent,
        now_ms: i64,
    ) -> Result<CreateOutcome, sqlx::Error> {
        let team = ev.envelope.team_id.to_string();
        let hash = ev.hash();
        let ok = AppendOk {
            seq: 0,
            hash: relay_proto::hex(&hash),
        };
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "INSERT INTO teams (team_id, genesis_hash, head_seq, head_hash, created_ms)
             VALUES ($1, $2, 0, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&team)
        .bind(hash.to_vec())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            let existing: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT genesis_hash FROM teams WHERE team_id = $1")
                    .bind(&team)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(match existing {
                Some(h) if crypto::ct_eq(&h, &hash) => CreateOutcome::AlreadyExists(ok),
                _ => CreateOutcome::Conflict,
            });
        }
        insert_event(&mut tx, ev, now_ms).await?;
        apply_acl(&mut tx, &team, &ev.public.acl).await?;
        tx.commit().await?;
        Ok(CreateOutcome::Created(ok))
    }

    /// Appends `ev` if it extends the head and its author (an active device) may append it.
    pub async fn append(
        &self,
        ev: &SignedEvent,
        now_ms: i64,
    ) -> Result<AppendOutcome, sqlx::Error> {
        let env = &ev.envelope;
        let team = env.team_id.to_string();
        let hash = ev.hash();
        let Ok(seq) = i64::try_from(env.seq) else {
            return self.not_at_head(&team).await;
        };
        // Idempotent re-post: the same event already stored at the same position.
        let stored: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM events WHERE team_id = $1 AND hash = $2")
                .bind(&team)
                .bind(hash.to_vec())
                .fetch_optional(&self.pool)
                .await?;
        if let Some(stored) = stored {
            if stored == seq {
                return Ok(AppendOutcome::AlreadyStored(AppendOk {
                    seq: env.seq,
                    hash: relay_proto::hex(&hash),
                }));
            }
            return self.not_at_head(&team).await;
        }
        if seq == 0 {
            // A genesis goes through team creation, never through append.
            return self.not_at_head(&team).await;
        }
        let needs_manager = i64::from(!ev.public.acl.is_empty());
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE teams SET head_seq = $1, head_hash = $2
             WHERE team_id = $3 AND head_seq = $4 AND head_hash = $5
               AND EXISTS (SELECT 1 FROM devices d
                           WHERE d.team_id = $3 AND d.device_id = $6 AND d.removed = 0
                             AND (d.manager = 1 OR $7 = 0) AND d.read_only = 0
                             AND (d.expires_ms IS NULL OR d.expires_ms > $8))",
        )
        .bind(seq)
        .bind(hash.to_vec())
        .bind(&team)
        .bind(seq - 1)
        .bind(env.prev.to_vec())
        .bind(env.author.to_string())
        .bind(needs_manager)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            tx.rollback().await?;
            // Tell "not at the head" from "not allowed": only the former is worth a retry.
            return match self.head_row(&team).await? {
                Some((h_seq, h_hash)) if h_seq == seq - 1 && h_hash == env.prev => {
                    Ok(AppendOutcome::Forbidden)
                }
                Some((h_seq, h_hash)) => Ok(AppendOutcome::NotAtHead(hex_head(h_seq, &h_hash))),
                None => Ok(AppendOutcome::Forbidden),
            };
        }
        if !insert_event(&mut tx, ev, now_ms).await? {
            tx.rollback().await?;
            return self.not_at_head(&team).await;
        }
        apply_acl(&mut tx, &team, &ev.public.acl).await?;
        tx.commit().await?;
        Ok(AppendOutcome::Stored(AppendOk {
            seq: env.seq,
            hash: relay_proto::hex(&hash),
        }))
    }

    async fn not_at_head(&self, team: &str) -> Result<AppendOutcome, sqlx::Error> {
        Ok(match self.head_row(team).await? {
            Some((seq, hash)) => AppendOutcome::NotAtHead(hex_head(seq, &hash)),
            None => AppendOutcome::Forbidden,
        })
    }

    async fn head_row(&self, team: &str) -> Result<Option<(i64, Vec<u8>)>, sqlx::Error> {
        sqlx::query_as("SELECT head_seq, head_hash FROM teams WHERE team_id = $1")
            .bind(team)
            .fetch_optional(&self.pool)
            .await
    }

    /// The head of a team, if `device_id` is an active member of it.
    pub async fn head(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
    ) -> Result<Option<Head>, sqlx::Error> {
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT t.head_seq, t.head_hash FROM teams t
             WHERE t.team_id = $1
               AND EXISTS (SELECT 1 FROM devices d
                           WHERE d.team_id = $1 AND d.device_id = $2 AND d.removed = 0)",
        )
        .bind(team_id.to_string())
        .bind(device_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(seq, hash)| hex_head(seq, &hash)))
    }

    /// Events with `seq > after`, in order, at most `limit` and about `max_bytes` in total (at
    /// least one event if any), if `device_id` is an active member.
    pub async fn events_after(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
        after: i64,
        limit: u32,
        max_bytes: i64,
    ) -> Result<Vec<Vec<u8>>, sqlx::Error> {
        let team = team_id.to_string();
        let device = device_id.to_string();
        let sizes: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT e.seq, e.size FROM events e
             WHERE e.team_id = $1 AND e.seq > $2
               AND EXISTS (SELECT 1 FROM devices d
                           WHERE d.team_id = $1 AND d.device_id = $3 AND d.removed = 0)
             ORDER BY e.seq LIMIT $4",
        )
        .bind(&team)
        .bind(after)
        .bind(&device)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut total = 0i64;
        let mut last = None;
        for (seq, size) in sizes {
            if last.is_some() && total.saturating_add(size) > max_bytes {
                break;
            }
            total = total.saturating_add(size);
            last = Some(seq);
        }
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        sqlx::query_scalar(
            "SELECT e.bytes FROM events e
             WHERE e.team_id = $1 AND e.seq > $2 AND e.seq <= $3
               AND EXISTS (SELECT 1 FROM devices d
                           WHERE d.team_id = $1 AND d.device_id = $4 AND d.removed = 0)
             ORDER BY e.seq",
        )
        .bind(&team)
        .bind(after)
        .bind(last)
        .bind(&device)
        .fetch_all(&self.pool)
        .await
    }

    /// Redeems an invite: stores `blob` and marks the invite used, atomically, iff the invite
    /// exists for the team, `token` hashes to its token hash, it has not expired at `now_ms` and
    /// it is unused. Returns whether it was redeemed.
    pub async fn redeem_invite(
        &self,
        team_id: &Uuid,
        invite_id: &Uuid,
        token: &[u8],
        blob: &[u8],
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let team = team_id.to_string();
        let invite = invite_id.to_string();
        let presented = crypto::hash(b"hush/v1/invite-token", &[token]);
        let mut tx = self.begin_write().await?;
        let row: Option<(Vec<u8>, i64, i64)> = sqlx::query_as(
            "SELECT token_hash, expires_ms, used FROM invites WHERE team_id = $1 AND invite_id = $2",
        )
        .bind(&team)
        .bind(&invite)
        .fetch_optional(&mut *tx)
        .await?;
        // Compare even when there is no invite, so timing does not tell the cases apart.
        let (stored, expires_ms, used) = row.unwrap_or((vec![0; 32], i64::MIN, 1));
        let token_ok = crypto::ct_eq(&stored, &presented);
        if !token_ok || now_ms >= expires_ms || used != 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let res = sqlx::query(
            "UPDATE invites SET used = 1 WHERE team_id = $1 AND invite_id = $2 AND used = 0",
        )
        .bind(&team)
        .bind(&invite)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO joins (team_id, invite_id, blob, received_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(&team)
        .bind(&invite)
        .bind(blob.to_vec())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Join requests of a team, if `device_id` is an active manager of it (else `None`).
    pub async fn joins(
        &self,
        team_id: &Uuid,
        device_id: &Uuid,
    ) -> Result<Option<Vec<JoinRequest>>, sqlx::Error> {
        let team = team_id.to_string();
        let device = device_id.to_string();
        let manager: Option<i64> = sqlx::query_scalar(
            "SELECT manager FROM devices
             WHERE team_id = $1 AND device_id = $2 AND removed = 0 AND manager = 1",
        )
        .bind(&team)
        .bind(&device)
        .fetch_optional(&self.pool)
        .await?;
        if manager.is_none() {
            return Ok(None);
        }
        let rows: Vec<(String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT j.invite_id, j.blob, j.received_ms FROM joins j
             WHERE j.team_id = $1
               AND EXISTS (SELECT 1 FROM devices d
                           WHERE d.team_id = $1 AND d.device_id = $2 AND d.removed = 0
                             AND d.manager = 1)
             ORDER BY j.received_ms, j.invite_id",
        )
        .bind(&team)
        .bind(&device)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(
            rows.into_iter()
                .filter_map(|(invite, blob, received_ms)| {
                    Some(JoinRequest {
                        invite_id: Uuid::parse_str(&invite).ok()?,
                        blob: relay_proto::hex(&blob),
                        received_ms,
                    })
                })
                .collect(),
        ))
    }
}

/// Inserts the event row; `false` if that position or hash is already taken.
async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    ev: &SignedEvent,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let env = &ev.envelope;
    let seq = i64::try_from(env.seq).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let size = i64::try_from(ev.bytes().len()).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let res = sqlx::query(
        "INSERT INTO events (team_id, seq, hash, prev, epoch, author, size, bytes, received_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(env.team_id.to_string())
    .bind(seq)
    .bind(ev.hash().to_vec())
    .bind(env.prev.to_vec())
    .bind(i64::from(env.epoch))
    .bind(env.author.to_string())
    .bind(size)
    .bind(ev.bytes().to_vec())
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Applies the ACL changes of a stored (relay) or accepted (witness) event, in order.
pub(crate) async fn apply_acl(
    tx: &mut Transaction<'static, Any>,
    team: &str,
    acl: &[AclChange],
) -> Result<(), sqlx::Error> {
    for change in acl {
        match change {
            AclChange::Add {
                device_id,
                auth_pk,
                manager,
            } => {
                sqlx::query(
                    "INSERT INTO devices (team_id, device_id, auth_pk, manager, removed)
                     VALUES ($1, $2, $3, $4, 0)
                     ON CONFLICT (team_id, device_id) DO UPDATE
                     SET auth_pk = excluded.auth_pk, manager = excluded.manager, removed = 0",
                )
                .bind(team)
                .bind(device_id.to_string())
                .bind(auth_pk.to_vec())
                .bind(i64::from(*manager))
                .execute(&mut **tx)
                .await?;
            }
            AclChange::AddService {
                device_id,
                auth_pk,
                expires_ms,
            } => {
                sqlx::query(
                    "INSERT INTO devices (team_id, device_id, auth_pk, manager, removed, read_only, expires_ms)
                     VALUES ($1, $2, $3, 0, 0, 1, $4)
                     ON CONFLICT (team_id, device_id) DO NOTHING",
                )
                .bind(team)
                .bind(device_id.to_string())
                .bind(auth_pk.to_vec())
                .bind(*expires_ms)
                .execute(&mut **tx)
                .await?;
            }
            AclChange::Remove { device_id } => {
                sqlx::query("UPDATE devices SET removed = 1 WHERE team_id = $1 AND device_id = $2")
                    .bind(team)
                    .bind(device_id.to_string())
                    .execute(&mut **tx)
                    .await?;
            }
            AclChange::Invite {
                invite_id,
                token_hash,
                expires_ms,
            } => {
                sqlx::query(
                    "INSERT INTO invites (team_id, invite_id, token_hash, expires_ms, used)
                     VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
                )
                .bind(team)
                .bind(invite_id.to_string())
                .bind(token_hash.to_vec())
                .bind(*expires_ms)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}
