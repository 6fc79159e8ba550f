//! Request nonces: each is accepted once per device, so a captured request cannot be replayed.

use uuid::Uuid;

use super::Db;

impl Db {
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
}
