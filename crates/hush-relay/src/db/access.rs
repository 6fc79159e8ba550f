//! Who the relay lets in: the device list it derives from events' ACL changes, and reading it to
//! authorise a request.

use hush_proto::event::AclChange;
use sqlx::{Any, Transaction};
use uuid::Uuid;

use super::Db;

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

impl Db {
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
