//! The team rows: each team's sealed settings and the MAC-protected checkpoint of its head.
//! Adding and forgetting a team rewrite the header's commitment in the same transaction.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use super::columns::{hash_col, u64_col, uuid_col};
use crate::error::{Error, Result};

/// A team row.
#[derive(Clone, Debug)]
pub struct TeamRow {
    /// Team id.
    pub team_id: Uuid,
    /// Sealed settings.
    pub settings: Vec<u8>,
    /// Checkpoint: (seq, hash, mac).
    pub checkpoint: Option<(u64, [u8; 32], Vec<u8>)>,
}

impl Store {
    /// All team rows.
    pub async fn teams(&self) -> Result<Vec<TeamRow>> {
        let rows =
            sqlx::query("SELECT team_id, settings, head_seq, head_hash, head_mac FROM teams")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let seq: Option<i64> = row.try_get(2)?;
                let hash: Option<Vec<u8>> = row.try_get(3)?;
                let mac: Option<Vec<u8>> = row.try_get(4)?;
                let checkpoint = match (seq, hash, mac) {
                    (Some(s), Some(h), Some(m)) => {
                        Some((u64_col(s)?, hash_col(h, "checkpoint")?, m))
                    }
                    (None, None, None) => None,
                    _ => return Err(Error::Integrity("incomplete checkpoint".into())),
                };
                Ok(TeamRow {
                    team_id: uuid_col(&row.try_get::<Vec<u8>, _>(0)?)?,
                    settings: row.try_get(1)?,
                    checkpoint,
                })
            })
            .collect()
    }

    /// Each team's stored head hash and sealed settings (cheap: lets a long-lived process notice
    /// writes by other processes).
    pub async fn heads(&self) -> Result<Vec<(Uuid, Option<Vec<u8>>, Vec<u8>)>> {
        let rows = sqlx::query("SELECT team_id, head_hash, settings FROM teams ORDER BY team_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    uuid_col(&row.try_get::<Vec<u8>, _>(0)?)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                ))
            })
            .collect()
    }

    /// Adds a team row.
    pub async fn insert_team(&self, team_id: Uuid, settings: &[u8]) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO teams (team_id, settings) VALUES (?, ?)")
            .bind(team_id.as_bytes().as_slice())
            .bind(settings)
            .execute(&mut *tx)
            .await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a team's sealed settings.
    pub async fn update_team_settings(&self, team_id: Uuid, settings: &[u8]) -> Result<()> {
        sqlx::query("UPDATE teams SET settings = ? WHERE team_id = ?")
            .bind(settings)
            .bind(team_id.as_bytes().as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets a team entirely (a join that never completed).
    pub async fn delete_team(&self, team_id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM events WHERE team_id = ?")
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM teams WHERE team_id = ?")
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
