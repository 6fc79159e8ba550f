//! The event logs: reading a team's events, appending as a compare-and-swap on the head (the
//! event rows and the moved checkpoint in one transaction), and the outbox (events not yet
//! confirmed by the relay) that a sync pushes, confirms, or drops for the relay's events.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use super::columns::{hash_col, i64_col, u64_col};
use crate::error::{Error, Result};

/// An event row.
#[derive(Clone, Debug)]
pub struct EventRow {
    /// Position.
    pub seq: u64,
    /// Stored hash.
    pub hash: Vec<u8>,
    /// Event bytes.
    pub bytes: Vec<u8>,
    /// Still in the outbox.
    pub pending: bool,
}

/// Outcome of an append.
#[derive(Debug, PartialEq, Eq)]
pub enum Append {
    /// Stored.
    Done,
    /// Another writer took that position first: reload and rebuild.
    Conflict,
}

/// The position the next event of `team_id` must take (its head plus one, 0 when it has none).
async fn next_seq(conn: &mut sqlx::SqliteConnection, team_id: Uuid) -> Result<u64> {
    let head: Option<i64> = sqlx::query_scalar("SELECT head_seq FROM teams WHERE team_id = ?")
        .bind(team_id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound("team".into()))?;
    Ok(match head {
        Some(h) => u64_col(h)? + 1,
        None => 0,
    })
}

/// Stores one event row.
async fn insert_event(
    conn: &mut sqlx::SqliteConnection,
    team_id: Uuid,
    (seq, hash, bytes): (u64, &[u8; 32], &[u8]),
    pending: bool,
) -> Result<()> {
    sqlx::query("INSERT INTO events (team_id, seq, hash, bytes, pending) VALUES (?, ?, ?, ?, ?)")
        .bind(team_id.as_bytes().as_slice())
        .bind(i64_col(seq)?)
        .bind(hash.as_slice())
        .bind(bytes)
        .bind(i64::from(pending))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves a team's checkpoint to `(seq, hash, mac)`, or clears it.
async fn set_checkpoint(
    conn: &mut sqlx::SqliteConnection,
    team_id: Uuid,
    head: Option<(u64, &[u8; 32], &[u8; 32])>,
) -> Result<()> {
    match head {
        Some((seq, hash, mac)) => {
            sqlx::query(
                "UPDATE teams SET head_seq = ?, head_hash = ?, head_mac = ? WHERE team_id = ?",
            )
            .bind(i64_col(seq)?)
            .bind(hash.as_slice())
            .bind(mac.as_slice())
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("UPDATE teams SET head_seq = NULL, head_hash = NULL, head_mac = NULL WHERE team_id = ?")
                .bind(team_id.as_bytes().as_slice())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

impl Store {
    /// Events of a team after `after` (all when `None`), in order.
    pub async fn events(&self, team_id: Uuid, after: Option<u64>) -> Result<Vec<EventRow>> {
        let from = match after {
            Some(s) => i64_col(s)? + 1,
            None => 0,
        };
        let rows = sqlx::query("SELECT seq, hash, bytes, pending FROM events WHERE team_id = ? AND seq >= ? ORDER BY seq")
            .bind(team_id.as_bytes().as_slice())
            .bind(from)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(EventRow {
                    seq: u64_col(row.try_get(0)?)?,
                    hash: row.try_get(1)?,
                    bytes: row.try_get(2)?,
                    pending: row.try_get::<i64, _>(3)? != 0,
                })
            })
            .collect()
    }

    /// Appends one event and moves the checkpoint, atomically. Returns [`Append::Conflict`] when
    /// the position is taken (another process appended first).
    pub async fn append(
        &self,
        team_id: Uuid,
        seq: u64,
        hash: &[u8; 32],
        bytes: &[u8],
        pending: bool,
        mac: &[u8; 32],
    ) -> Result<Append> {
        self.append_rows(team_id, &[(seq, hash, bytes)], pending, mac)
            .await
    }

    /// Appends consecutive events `(seq, hash, bytes)` and moves the checkpoint to the last one
    /// (`mac` is its checkpoint MAC), all in one transaction: either every event is stored or
    /// none is. Same compare-and-swap on the head as [`Store::append`].
    pub async fn append_many(
        &self,
        team_id: Uuid,
        events: &[(u64, [u8; 32], Vec<u8>)],
        pending: bool,
        mac: &[u8; 32],
    ) -> Result<Append> {
        let rows: Vec<(u64, &[u8; 32], &[u8])> = events
            .iter()
            .map(|(seq, hash, bytes)| (*seq, hash, bytes.as_slice()))
            .collect();
        self.append_rows(team_id, &rows, pending, mac).await
    }

    /// [`Store::append_many`] on borrowed rows: the compare-and-swap on the head, the rows, the
    /// checkpoint and the team commitment in one transaction.
    async fn append_rows(
        &self,
        team_id: Uuid,
        events: &[(u64, &[u8; 32], &[u8])],
        pending: bool,
        mac: &[u8; 32],
    ) -> Result<Append> {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(Append::Done);
        };
        if events.windows(2).any(|w| w[1].0 != w[0].0 + 1) {
            return Err(Error::Invalid(
                "events to append are not consecutive".into(),
            ));
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if first.0 != next_seq(&mut tx, team_id).await? {
            tx.rollback().await?;
            return Ok(Append::Conflict);
        }
        for event in events {
            insert_event(&mut tx, team_id, *event, pending).await?;
        }
        set_checkpoint(&mut tx, team_id, Some((last.0, last.1, mac))).await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(Append::Done)
    }

    /// The hashes of the relay-confirmed events, in order (index = seq): the chain without the
    /// event bytes, for comparing it with a witness on every sync.
    pub async fn confirmed_hashes(&self, team_id: Uuid) -> Result<Vec<[u8; 32]>> {
        let rows = sqlx::query(
            "SELECT seq, hash FROM events WHERE team_id = ? AND pending = 0 ORDER BY seq",
        )
        .bind(team_id.as_bytes().as_slice())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if u64_col(r.try_get(0)?)? != out.len() as u64 {
                return Err(Error::Integrity(
                    "the local log has a gap below its confirmed head".into(),
                ));
            }
            out.push(hash_col(r.try_get(1)?, "stored hash")?);
        }
        Ok(out)
    }

    /// The highest event the relay has confirmed (not pending), if any.
    pub async fn confirmed_head(&self, team_id: Uuid) -> Result<Option<(u64, [u8; 32])>> {
        let row = sqlx::query(
            "SELECT seq, hash FROM events WHERE team_id = ? AND pending = 0 ORDER BY seq DESC LIMIT 1",
        )
        .bind(team_id.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                u64_col(r.try_get(0)?)?,
                hash_col(r.try_get(1)?, "stored hash")?,
            ))
        })
        .transpose()
    }

    /// Number of events waiting in the outbox.
    pub async fn pending_count(&self, team_id: Uuid) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM events WHERE team_id = ? AND pending = 1")
                .bind(team_id.as_bytes().as_slice())
                .fetch_one(&self.pool)
                .await?;
        u64_col(n)
    }

    /// Marks the event at `seq` as confirmed by the relay (events are pushed in order).
    pub async fn mark_confirmed(&self, team_id: Uuid, seq: u64) -> Result<()> {
        sqlx::query("UPDATE events SET pending = 0 WHERE team_id = ? AND seq = ?")
            .bind(team_id.as_bytes().as_slice())
            .bind(i64_col(seq)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Atomically drops the outbox and stores events pulled from the relay after the confirmed
    /// head, moving the checkpoint to `head` (the new confirmed head). The dropped pending events
    /// are rebuilt on top by the caller.
    pub async fn store_pulled(
        &self,
        team_id: Uuid,
        pulled: &[(u64, [u8; 32], Vec<u8>)],
        head: Option<(u64, [u8; 32], [u8; 32])>,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM events WHERE team_id = ? AND pending = 1")
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        for (seq, hash, bytes) in pulled {
            insert_event(&mut tx, team_id, (*seq, hash, bytes), false).await?;
        }
        let head = head.as_ref().map(|(seq, hash, mac)| (*seq, hash, mac));
        set_checkpoint(&mut tx, team_id, head).await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
