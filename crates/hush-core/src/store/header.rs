//! The header row: this device's id, the password's key-derivation parameters and salt, the
//! wrapped account key, the sealed device identity and the selected team. (The header's
//! commitment to the teams' heads is in `commitment.rs`.)

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use super::columns::uuid_col;
use super::commitment::{encode_team_heads, team_heads_mac};
use crate::crypto::KdfParams;
use crate::error::{Error, Result};

/// Store format written by this version.
pub const FORMAT: i64 = 1;

/// The header row.
#[derive(Clone, Debug)]
pub struct Header {
    /// This device.
    pub device_id: Uuid,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// Argon2id salt.
    pub salt: [u8; 16],
    /// The wrapped account key.
    pub account_key: Vec<u8>,
    /// The sealed device identity.
    pub identity: Vec<u8>,
    /// The selected team.
    pub selected_team: Option<Uuid>,
}

impl Store {
    /// Writes the header of a new store, committing to an empty set of teams.
    pub(super) async fn write_header(&self, header: &Header) -> Result<()> {
        let list = encode_team_heads(&[]);
        let mac = team_heads_mac(&self.teams_key()?, &list);
        sqlx::query(
            "INSERT INTO header (id, format, device_id, kdf_m_kib, kdf_t, kdf_p, kdf_salt, account_key, identity, selected_team, teams, teams_mac)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(FORMAT)
        .bind(header.device_id.as_bytes().as_slice())
        .bind(i64::from(header.kdf.m_kib))
        .bind(i64::from(header.kdf.t))
        .bind(i64::from(header.kdf.p))
        .bind(header.salt.as_slice())
        .bind(&header.account_key)
        .bind(&header.identity)
        .bind(header.selected_team.map(|t| t.as_bytes().to_vec()))
        .bind(list)
        .bind(mac.as_slice())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Reads the header.
    pub async fn header(&self) -> Result<Header> {
        let row = sqlx::query(
            "SELECT format, device_id, kdf_m_kib, kdf_t, kdf_p, kdf_salt, account_key, identity, selected_team FROM header WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::Integrity("the store has no header".into()))?;
        let format: i64 = row.try_get(0)?;
        if format != FORMAT {
            return Err(Error::Invalid(format!(
                "store format {format} is not supported by this version of hush"
            )));
        }
        let param = |i: usize| -> Result<u32> {
            let v: i64 = row.try_get(i)?;
            u32::try_from(v)
                .map_err(|_| Error::Integrity("key-derivation parameter out of range".into()))
        };
        let salt: Vec<u8> = row.try_get(5)?;
        let selected: Option<Vec<u8>> = row.try_get(8)?;
        Ok(Header {
            device_id: uuid_col(&row.try_get::<Vec<u8>, _>(1)?)?,
            kdf: KdfParams {
                m_kib: param(2)?,
                t: param(3)?,
                p: param(4)?,
            },
            salt: salt
                .try_into()
                .map_err(|_| Error::Integrity("malformed salt in header".into()))?,
            account_key: row.try_get(6)?,
            identity: row.try_get(7)?,
            selected_team: selected.as_deref().map(uuid_col).transpose()?,
        })
    }

    /// Replaces the wrapped account key (password change): one row, no re-encryption.
    pub async fn rewrap(&self, kdf: KdfParams, salt: &[u8; 16], account_key: &[u8]) -> Result<()> {
        sqlx::query("UPDATE header SET kdf_m_kib = ?, kdf_t = ?, kdf_p = ?, kdf_salt = ?, account_key = ? WHERE id = 1")
            .bind(i64::from(kdf.m_kib))
            .bind(i64::from(kdf.t))
            .bind(i64::from(kdf.p))
            .bind(salt.as_slice())
            .bind(account_key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the selected team.
    pub async fn select_team(&self, team: Uuid) -> Result<()> {
        sqlx::query("UPDATE header SET selected_team = ? WHERE id = 1")
            .bind(team.as_bytes().as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
