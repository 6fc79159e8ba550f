//! Request counts per device and address: what the team's managers are shown of who used the relay.

use hush_proto::relay_proto::DeviceUsage;
use uuid::Uuid;

use super::Db;

impl Db {
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
}
