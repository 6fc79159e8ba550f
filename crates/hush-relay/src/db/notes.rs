//! Device notes: one opaque blob per device and team, written and read only by that device.

use uuid::Uuid;

use super::Db;

impl Db {
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
}
