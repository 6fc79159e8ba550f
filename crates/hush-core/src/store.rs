//! The encrypted local store: SQLite through sqlx.
//!
//! The store knows rows, not meaning: it holds the header, per-team settings and checkpoints, and
//! the raw event logs. All of it is either ciphertext or ids. Writes that must be atomic (an event
//! plus its checkpoint) happen in one `BEGIN IMMEDIATE` transaction; the `(team_id, seq)` primary
//! key makes appending a compare-and-swap on the head, so two processes writing at once cannot
//! fork the local log. WAL with `synchronous = FULL`: an acknowledged write survives a crash.
//!
//! # The team commitment
//!
//! Each team row carries a MAC-protected checkpoint of its own head, which catches edits to that
//! team's events. It cannot catch the *removal* of a whole team (rows and checkpoint together),
//! nor a team row replaced by an older one with its older, still valid checkpoint. So the header
//! also commits to the set: `teams` is the sorted list of every team's `(team_id, seq, hash)` and
//! `teams_mac` its HMAC under an account subkey ([`TEAMS_KEY_LABEL`]). Every write that adds,
//! removes or moves a team's head rewrites both inside the same SQLite transaction, so a crash
//! leaves either the old rows with the old commitment or the new with the new. Opening a store
//! ([`Store::verify_teams`]) refuses a missing team, a missing checkpoint and a head that differs
//! from the committed one, naming the team. Writes that move a head need the key: a store opened
//! without it ([`Store::set_teams_key`] not called) refuses them.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::crypto::{self, KdfParams};
use crate::error::{Error, Result};
use crate::secret::Key32;

/// HKDF label of the account subkey that MACs the team commitment.
pub const TEAMS_KEY_LABEL: &[u8] = b"hush/v1/store-teams";
/// Label prefixed to the committed list before it is MACed.
const TEAMS_MAC_LABEL: &[u8] = b"hush/v1/store-teams-mac";

/// Store format written by this version.
pub const FORMAT: i64 = 1;
/// File name of the database inside the home directory.
pub const DB_FILE: &str = "hush.db";

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

/// An open store.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    home: PathBuf,
    /// The key of the team commitment, once the account key is known.
    teams_key: std::sync::Arc<std::sync::Mutex<Option<Key32>>>,
}

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
                (Some(s), Some(h)) => Some((
                    u64_col(s)?,
                    h.try_into()
                        .map_err(|_| Error::Integrity("malformed checkpoint".into()))?,
                )),
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

/// Creates `dir` (and parents) with mode 0700, and tightens an existing one.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("cannot restrict {}", dir.display()), e))
}

fn u64_col(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Integrity("negative sequence number in store".into()))
}

fn i64_col(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Invalid("sequence number out of range".into()))
}

fn uuid_col(b: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(b).map_err(|_| Error::Integrity("malformed id in store".into()))
}

/// Why a store could not be opened, when the reason is that its directory cannot be written:
/// SQLite in WAL mode writes `hush.db-shm` and `hush.db-wal` next to the database even to read,
/// and on its own only says "unable to open database file". Probed by creating a file, which is
/// what SQLite needs (permissions, `chattr +i` and read-only mounts all show).
fn not_writable(home: &Path) -> Option<Error> {
    let probe = home.join(format!(".hush-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
        Err(e) => Some(Error::io(
            format!(
                "the data directory {} is not writable (Hush writes its store there, even to read it)",
                home.display()
            ),
            e,
        )),
    }
}

impl Store {
    /// The database path under `home`.
    pub fn db_path(home: &Path) -> PathBuf {
        home.join(DB_FILE)
    }

    /// True when a store exists under `home`.
    pub fn exists(home: &Path) -> bool {
        Self::db_path(home).exists()
    }

    async fn connect(home: &Path, create: bool) -> Result<Self> {
        let path = Self::db_path(home);
        if create {
            ensure_private_dir(home)?;
            // Create the file ourselves with mode 0600; SQLite gives -wal/-shm the same mode.
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Error::AlreadyInitialized(home.to_owned()),
                    _ => Error::io(format!("cannot create {}", path.display()), e),
                })?;
        } else if !path.exists() {
            return Err(Error::NotInitialized(home.to_owned()));
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(Error::from)?
            .filename(&path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref d) if d.message().contains("not a database") => {
                    Error::Integrity(format!("{} is not a Hush database", path.display()))
                }
                other => not_writable(home).unwrap_or_else(|| Error::from(other)),
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| not_writable(home).unwrap_or_else(|| Error::from(e)))?;
        Ok(Self {
            pool,
            home: home.to_owned(),
            teams_key: Default::default(),
        })
    }

    /// Creates a new store under `home` and writes its header, committing to an empty set of
    /// teams under `teams_key` (the account subkey [`TEAMS_KEY_LABEL`]).
    pub async fn create(home: &Path, header: &Header, teams_key: Key32) -> Result<Self> {
        let store = Self::connect(home, true).await?;
        store.set_teams_key(teams_key);
        store.write_header(header).await?;
        Ok(store)
    }

    async fn write_header(&self, header: &Header) -> Result<()> {
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

    /// Hands the store the key of its team commitment (after the account key was unwrapped).
    pub fn set_teams_key(&self, key: Key32) {
        *self
            .teams_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key);
    }

    fn teams_key(&self) -> Result<Key32> {
        self.teams_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| {
                Error::Invalid("the store is locked: unlock it before changing a team".into())
            })
    }

    /// Rewrites the team commitment from the team rows, inside the caller's transaction.
    async fn recommit(&self, conn: &mut sqlx::SqliteConnection) -> Result<()> {
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

    /// A store that lives only in this process's memory (a service identity's session in CI:
    /// nothing reaches the disk). One connection that never idles out, so the data lives as
    /// long as the store.
    pub async fn create_in_memory(header: &Header, teams_key: Key32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(Error::from)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Self {
            pool,
            home: PathBuf::new(),
            teams_key: Default::default(),
        };
        store.set_teams_key(teams_key);
        store.write_header(header).await?;
        Ok(store)
    }

    /// Opens the existing store under `home`.
    pub async fn open(home: &Path) -> Result<Self> {
        Self::connect(home, false).await
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
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
                    (Some(s), Some(h), Some(m)) => Some((
                        u64_col(s)?,
                        h.try_into()
                            .map_err(|_| Error::Integrity("malformed checkpoint".into()))?,
                        m,
                    )),
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let head: Option<i64> = sqlx::query_scalar("SELECT head_seq FROM teams WHERE team_id = ?")
            .bind(team_id.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let expected = match head {
            Some(h) => u64_col(h)? + 1,
            None => 0,
        };
        if seq != expected {
            tx.rollback().await?;
            return Ok(Append::Conflict);
        }
        sqlx::query(
            "INSERT INTO events (team_id, seq, hash, bytes, pending) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(team_id.as_bytes().as_slice())
        .bind(i64_col(seq)?)
        .bind(hash.as_slice())
        .bind(bytes)
        .bind(i64::from(pending))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE teams SET head_seq = ?, head_hash = ?, head_mac = ? WHERE team_id = ?")
            .bind(i64_col(seq)?)
            .bind(hash.as_slice())
            .bind(mac.as_slice())
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(Append::Done)
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
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(Append::Done);
        };
        if events.windows(2).any(|w| w[1].0 != w[0].0 + 1) {
            return Err(Error::Invalid(
                "events to append are not consecutive".into(),
            ));
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let head: Option<i64> = sqlx::query_scalar("SELECT head_seq FROM teams WHERE team_id = ?")
            .bind(team_id.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let expected = match head {
            Some(h) => u64_col(h)? + 1,
            None => 0,
        };
        if first.0 != expected {
            tx.rollback().await?;
            return Ok(Append::Conflict);
        }
        for (seq, hash, bytes) in events {
            sqlx::query(
                "INSERT INTO events (team_id, seq, hash, bytes, pending) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(team_id.as_bytes().as_slice())
            .bind(i64_col(*seq)?)
            .bind(hash.as_slice())
            .bind(bytes)
            .bind(i64::from(pending))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE teams SET head_seq = ?, head_hash = ?, head_mac = ? WHERE team_id = ?")
            .bind(i64_col(last.0)?)
            .bind(last.1.as_slice())
            .bind(mac.as_slice())
            .bind(team_id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        self.recommit(&mut tx).await?;
        tx.commit().await?;
        Ok(Append::Done)
    }

    /// Writes a consistent copy of the whole database to `dest` (SQLite `VACUUM INTO`), for
    /// backups. `dest` must not exist or be an empty file (create it first with the mode you
    /// want). The copy holds exactly what the store holds: ciphertext and ids.
    pub async fn snapshot_into(&self, dest: &Path) -> Result<()> {
        let path = dest
            .to_str()
            .ok_or_else(|| Error::Invalid(format!("{} is not valid UTF-8", dest.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
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
            let hash: Vec<u8> = r.try_get(1)?;
            out.push(
                hash.try_into()
                    .map_err(|_| Error::Integrity("malformed stored hash".into()))?,
            );
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
            let hash: Vec<u8> = r.try_get(1)?;
            Ok((
                u64_col(r.try_get(0)?)?,
                hash.try_into()
                    .map_err(|_| Error::Integrity("malformed stored hash".into()))?,
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
            sqlx::query(
                "INSERT INTO events (team_id, seq, hash, bytes, pending) VALUES (?, ?, ?, ?, 0)",
            )
            .bind(team_id.as_bytes().as_slice())
            .bind(i64_col(*seq)?)
            .bind(hash.as_slice())
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
        }
        match head {
            Some((seq, hash, mac)) => {
                sqlx::query(
                    "UPDATE teams SET head_seq = ?, head_hash = ?, head_mac = ? WHERE team_id = ?",
                )
                .bind(i64_col(seq)?)
                .bind(hash.as_slice())
                .bind(mac.as_slice())
                .bind(team_id.as_bytes().as_slice())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("UPDATE teams SET head_seq = NULL, head_hash = NULL, head_mac = NULL WHERE team_id = ?")
                    .bind(team_id.as_bytes().as_slice())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        self.recommit(&mut tx).await?;
        tx.commit().await?;
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

    /// Runs SQLite's own integrity check.
    pub async fn integrity_check(&self) -> Result<()> {
        let res: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        if res == "ok" {
            Ok(())
        } else {
            Err(Error::Integrity(format!("SQLite integrity check: {res}")))
        }
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
