//! The header's MAC-protected commitment to every team's head.
//!
//! Each team row carries a MAC-protected checkpoint of its own head, which catches edits to that
//! team's events. It cannot catch the *removal* of a whole team (rows and checkpoint together),
//! nor a team row replaced by an older one with its older, still valid checkpoint. So the header
//! also commits to the set: `teams` is the sorted list of every team's `(team_id, seq, hash)` and
//! `teams_mac` its HMAC under an account subkey ([`TEAMS_KEY_LABEL`]). Every write that adds,
//! removes or moves a team's head rewrites both inside the same SQLite transaction
//! ([`Store::recommit`]), so a crash leaves either the old rows with the old commitment or the
//! new with the new. Opening a store ([`Store::verify_teams`]) refuses a missing team, a missing
//! checkpoint and a head that differs from the committed one, naming the team. Writes that move
//! a head need the key: a store opened without it ([`Store::set_teams_key`] not called) refuses
//! them.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use super::columns::{hash_col, u64_col, uuid_col};
use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::secret::Key32;

/// HKDF label of the account subkey that MACs the team commitment.
pub const TEAMS_KEY_LABEL: &[u8] = b"hush/v1/store-teams";
/// Label prefixed to the committed list before it is MACed.
const TEAMS_MAC_LABEL: &[u8] = b"hush/v1/store-teams-mac";

/// One entry of the team commitment: a team and its head, if it has events.
pub type TeamHead = (Uuid, Option<(u64, [u8; 32])>);

/// Encodes the committed list (sorted by team id):
/// `count:u32 { team_id(16) head:opt(seq:u64 hash(32)) }*`.
pub fn encode_team_heads(heads: &[TeamHead]) -> Vec<u8> {
    let mut sorted = heads.to_vec();
    sorted.sort_by_key(|(t, _)| *t.as_bytes());
    let mut w = Writer::new();
    w.u32(u32::try_from(sorted.len()).unwrap_or(u32::MAX));
    for (team, head) in &sorted {
        w.raw(team.as_bytes()).opt(head.as_ref(), |w, (seq, hash)| {
            w.u64(*seq).raw(hash);
        });
    }
    w.into_vec()
}

/// Decodes the committed list, refusing malformed input (and teams out of order or repeated, so
/// that exactly one encoding of each set exists).
pub fn decode_team_heads(bytes: &[u8]) -> Result<Vec<TeamHead>> {
    let mut r = Reader::new(bytes, "team commitment");
    let n = r.u32()?;
    let mut out: Vec<TeamHead> = Vec::new();
    for _ in 0..n {
        let team = Uuid::from_bytes(r.array()?);
        if out
            .last()
            .is_some_and(|(prev, _)| prev.as_bytes() >= team.as_bytes())
        {
            return Err(Error::Integrity(
                "malformed team commitment (teams out of order or repeated)".into(),
            ));
        }
        let head = r.opt(|r| Ok((r.u64()?, r.array::<32>()?)))?;
        out.push((team, head));
    }
    r.finish()?;
    Ok(out)
}

/// The MAC of an encoded list under the commitment key.
pub fn team_heads_mac(key: &Key32, list: &[u8]) -> [u8; 32] {
    crypto::mac(key, &[TEAMS_MAC_LABEL, list])
}

/// Reads every team's head inside a transaction.
async fn read_team_heads(conn: &mut sqlx::SqliteConnection) -> Result<Vec<TeamHead>> {
    let rows = sqlx::query("SELECT team_id, head_seq, head_hash FROM teams ORDER BY team_id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            let team = uuid_col(&row.try_get::<Vec<u8>, _>(0)?)?;
            let seq: Option<i64> = row.try_get(1)?;
            let hash: Option<Vec<u8>> = row.try_get(2)?;
            let head = match (seq, hash) {
                (Some(s), Some(h)) => Some((u64_col(s)?, hash_col(h, "checkpoint")?)),
                (None, None) => None,
                _ => {
                    return Err(Error::Integrity(format!(
                        "team {team}: incomplete checkpoint"
                    )));
                }
            };
            Ok((team, head))
        })
        .collect()
}

fn show_head(head: Option<(u64, [u8; 32])>) -> String {
    head.map_or_else(|| "no events".to_owned(), |(seq, _)| format!("event {seq}"))
}

/// Compares the committed list with the rows, naming the first difference.
fn compare_team_heads(committed: &[TeamHead], rows: &[TeamHead]) -> Result<()> {
    for (team, want) in committed {
        let Some((_, have)) = rows.iter().find(|(t, _)| t == team) else {
            return Err(Error::Integrity(format!(
                "team {team} is missing from the store (its rows were deleted)"
            )));
        };
        match (want, have) {
            (Some(_), None) => {
                return Err(Error::Integrity(format!(
                    "team {team} has lost its checkpoint: the store committed to {} and holds none",
                    show_head(*want)
                )));
            }
            (Some((ws, _)), Some((hs, _))) if hs < ws => {
                return Err(Error::Integrity(format!(
                    "team {team} was rolled back: the store committed to event {ws} and holds event {hs}"
                )));
            }
            (w, h) if w != h => {
                return Err(Error::Integrity(format!(
                    "team {team}: its head ({}) is not the one the store committed to ({})",
                    show_head(*h),
                    show_head(*w)
                )));
            }
            _ => {}
        }
    }
    if let Some((team, _)) = rows
        .iter()
        .find(|(t, _)| !committed.iter().any(|(c, _)| c == t))
    {
        return Err(Error::Integrity(format!(
            "team {team} is in the store but not in its commitment (a row was added)"
        )));
    }
    Ok(())
}

impl Store {
    /// Hands the store the key of its team commitment (after the account key was unwrapped).
    pub fn set_teams_key(&self, key: Key32) {
        *self
            .teams_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key);
    }

    /// The commitment key; refused while the store is locked.
    pub(super) fn teams_key(&self) -> Result<Key32> {
        self.teams_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| {
                Error::Invalid("the store is locked: unlock it before changing a team".into())
            })
    }

    /// Rewrites the team commitment from the team rows, inside the caller's transaction.
    pub(super) async fn recommit(&self, conn: &mut sqlx::SqliteConnection) -> Result<()> {
        let key = self.teams_key()?;
        let list = encode_team_heads(&read_team_heads(&mut *conn).await?);
        let mac = team_heads_mac(&key, &list);
        sqlx::query("UPDATE header SET teams = ?, teams_mac = ? WHERE id = 1")
            .bind(&list)
            .bind(mac.as_slice())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// True when the header holds a team commitment (every store written by this version; a
    /// store from an older version has none until it is upgraded at unlock).
    pub async fn has_team_commitment(&self) -> Result<bool> {
        let mac: Option<Vec<u8>> = sqlx::query_scalar("SELECT teams_mac FROM header WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::Integrity("the store has no header".into()))?;
        Ok(mac.is_some())
    }

    /// Checks the team commitment against the team rows, in one read transaction (so a
    /// concurrent writer cannot make them disagree): the MAC must verify under `key`, and every
    /// committed team must be present with exactly the committed head. Names the first team
    /// that is missing, lost its checkpoint, or was rolled back.
    pub async fn verify_teams(&self, key: &Key32) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT teams, teams_mac FROM header WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::Integrity("the store has no header".into()))?;
        let list: Option<Vec<u8>> = row.try_get(0)?;
        let mac: Option<Vec<u8>> = row.try_get(1)?;
        let (Some(list), Some(mac)) = (list, mac) else {
            return Err(Error::Integrity(
                "the store's commitment to its teams is missing from the header".into(),
            ));
        };
        if !crypto::ct_eq(&team_heads_mac(key, &list), &mac) {
            return Err(Error::Integrity(
                "the store's commitment to its teams does not verify".into(),
            ));
        }
        let committed = decode_team_heads(&list)?;
        let rows = read_team_heads(&mut tx).await?;
        tx.commit().await?;
        compare_team_heads(&committed, &rows)
    }

    /// Upgrades a store written before the team commitment existed: replaces the sealed identity
    /// (resealed by the caller so that it can no longer be read as an uncommitted store's) and
    /// commits to the current teams, in one transaction.
    pub async fn commit_teams_with_identity(&self, identity: &[u8]) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE header SET identity = ? WHERE id = 1")
            .bind(identity)
            .execute(&mut *tx)
            .await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
