//! The relay's storage: SQLite for a single process, PostgreSQL for several.
//!
//! One code path serves both through sqlx's `Any` driver; the schemas differ only in the byte
//! type (`BLOB`/`BYTEA`) and live in `migrations/sqlite` and `migrations/postgres`, applied at
//! start-up.
//!
//! # Why appends cannot fork the chain
//!
//! An append is one transaction that starts with a compare-and-swap on the team's head row:
//! `UPDATE teams SET head = new WHERE head = expected AND <author may append>`. In PostgreSQL the
//! row lock makes a concurrent second update wait and then re-check its `WHERE` against the new
//! head, so it matches nothing; in SQLite the transaction is `BEGIN IMMEDIATE`, so writers are
//! serialised outright. `PRIMARY KEY (team_id, seq)` and `UNIQUE (team_id, hash)` on the events
//! table refuse a second event at the same position even if the head logic were wrong.
//!
//! # Authorisation inside the query
//!
//! Every read and write that needs a permission carries it in its `WHERE` clause (an `EXISTS` on
//! the device row), so a device removed between authentication and the query gets nothing:
//! there is no window between "check" and "use".
//!
//! # The rooms
//!
//! `connect` opens the pool, applies the migrations and starts write transactions; `log` creates
//! teams and appends and reads their events; `access` is the device list the relay derives from
//! the events' ACL changes and authorises requests with; `invites` redeems invites and lists join
//! requests; `usage` counts requests per device and address; `notes` keeps each device's note;
//! `nonces` refuses replayed requests. All are methods of the one [`Db`].

mod access;
mod connect;
mod invites;
mod log;
mod nonces;
mod notes;
mod usage;

use sqlx::AnyPool;

pub use access::DeviceAuth;
pub(crate) use access::apply_acl;
pub use connect::{Backend, DbError};
pub use log::{AppendOutcome, CreateOutcome};

/// A connection pool plus the knowledge of which backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
}
