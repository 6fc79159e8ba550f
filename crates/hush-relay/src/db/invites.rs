//! Invites the relay honours: redeeming one for a join request, and listing join requests to managers.

use hush_proto::crypto;
use hush_proto::relay_proto::{self, JoinRequest};
use uuid::Uuid;

use super::Db;

impl Db {
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
