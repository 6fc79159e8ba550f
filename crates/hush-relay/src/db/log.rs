//! The team logs: creating a team from its genesis, appending at the head, and reading events.

use hush_proto::crypto;
use hush_proto::event::SignedEvent;
use hush_proto::relay_proto::{self, AppendOk, Head};
use sqlx::{Any, Transaction};
use uuid::Uuid;

use super::Db;
use super::access::apply_acl;

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

/// A stored head row as the protocol shows it.
fn hex_head(seq: i64, hash: &[u8]) -> Head {
    Head {
        seq: u64::try_from(seq).ok(),
        hash: Some(relay_proto::hex(hash)),
    }
}

/// The answer to a stored (or already stored) event at `seq` with this hash.
fn append_ok(seq: u64, hash: &[u8; 32]) -> AppendOk {
    AppendOk {
        seq,
        hash: relay_proto::hex(hash),
    }
}

/// What an append that does not extend the head is told: the current head, or, for a team that
/// does not exist, that it may not append.
fn behind(head: Option<(i64, Vec<u8>)>) -> AppendOutcome {
    match head {
        Some((seq, hash)) => AppendOutcome::NotAtHead(hex_head(seq, &hash)),
        None => AppendOutcome::Forbidden,
    }
}

impl Db {
    /// Whether a team exists.
    pub async fn team_exists(&self, team_id: &Uuid) -> Result<bool, sqlx::Error> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT team_id FROM teams WHERE team_id = $1")
                .bind(team_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Stores a genesis event as a new team (the caller has checked its shape and signature).
    pub async fn create_team(
        &self,
        ev: &SignedEvent,
        now_ms: i64,
    ) -> Result<CreateOutcome, sqlx::Error> {
        let team = ev.envelope.team_id.to_string();
        let hash = ev.hash();
        let ok = append_ok(0, &hash);
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
                return Ok(AppendOutcome::AlreadyStored(append_ok(env.seq, &hash)));
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
            return Ok(match self.head_row(&team).await? {
                Some((h_seq, h_hash)) if h_seq == seq - 1 && h_hash == env.prev => {
                    AppendOutcome::Forbidden
                }
                other => behind(other),
            });
        }
        if !insert_event(&mut tx, ev, now_ms).await? {
            tx.rollback().await?;
            return self.not_at_head(&team).await;
        }
        apply_acl(&mut tx, &team, &ev.public.acl).await?;
        tx.commit().await?;
        Ok(AppendOutcome::Stored(append_ok(env.seq, &hash)))
    }

    /// The answer to an append that cannot extend the head: the current head.
    async fn not_at_head(&self, team: &str) -> Result<AppendOutcome, sqlx::Error> {
        Ok(behind(self.head_row(team).await?))
    }

    /// The head row of a team, if it exists.
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
