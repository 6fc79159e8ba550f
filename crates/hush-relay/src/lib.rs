//! Hush relay: the untrusted server that stores and orders a team's end-to-end encrypted events.
//!
//! The relay is deliberately dumb. It keeps, per team, one linear chain of opaque events and a
//! small access-control list derived from the *public* section of those events, and it answers
//! the HTTP protocol fixed by [`hush_proto::relay_proto`]. It never holds a key that decrypts
//! anything, and clients never trust it: every event is signed by its author and hash-chained, so
//! the worst a malicious relay can do is withhold or delay events (which clients detect as a
//! stale head), never forge, alter or reorder them undetected.
//!
//! # What the relay sees and stores
//!
//! Everything below is in its database and therefore visible to whoever runs or steals it:
//!
//! - **Team ids** (random UUIDs) and when each team was created (relay clock).
//! - **Device ids** (random UUIDs) of every member, their **relay-auth public keys** (Ed25519 keys
//!   used only to authenticate HTTP requests, distinct from the event-signing key) and a
//!   **manager flag** (may change the ACL), plus whether a device has been **removed**.
//! - **Invites**: invite id, SHA-256 of the relay token (`hush_proto::crypto::hash(
//!   "hush/v1/invite-token", token)`), expiry, and whether one join request used it. The relay
//!   sees the token itself once, when the joining device presents it.
//! - **Join requests**: an opaque blob (sealed by the joiner under a key from the invite secret,
//!   which the relay never sees) and its receive time.
//! - **Per event**: the envelope (team id, sequence number, previous hash, log-key epoch, author
//!   device id), the event hash, its **size** (padded, so sizes leak only coarse information),
//!   its receive time, and the public section: the **recipient device id of each key bundle**
//!   (bundle contents are HPKE-sealed to the recipient) and the ACL changes above.
//! - **Device notes**: at most one opaque blob (≤ 1 KiB) per device and team, written and read
//!   only by that device, with its last write time. A service (CI) identity keeps there the team
//!   head it last verified, signed with its own event-signing key: the relay sees that sequence
//!   number and head hash (both already known to it) and cannot forge a note.
//! - **Request metadata**: per-request nonces with receive times (pruned after 2 × the allowed
//!   clock skew), and, transiently in memory and in logs, client **IP addresses**, request paths
//!   (which contain team and invite ids), status codes and timing. Who talks to the relay, how
//!   often and how much is therefore visible to it.
//!
//! # What the relay never sees
//!
//! Event bodies are sealed under the team log key, which never reaches the relay: it never sees
//! team, vault or secret names, secret values, metadata of items, roles inside vaults, display
//! names of devices, their event-signing or encryption keys beyond what is listed above, author
//! timestamps, invite secrets (only a hash of a token derived from them), or the contents of key
//! bundles and join requests. Logs never contain request bodies, tokens or signatures.
//!
//! # Architecture
//!
//! All state lives in the database ([`db`]), so any number of relay processes may serve one
//! PostgreSQL database. The only per-process state is the rate limiter ([`ratelimit`]) and a
//! wake-up signal for long-polls, which is backed by polling the database so appends made through
//! another process are noticed too. Appends are compare-and-swap on the team head inside a
//! transaction, with `UNIQUE (team_id, seq)` and `UNIQUE (team_id, hash)` as a second line of
//! defence, so two processes can never both store an event at the same position.
//!
//! # Witness mode
//!
//! `hush-relay --witness` runs the same binary as a witness ([`witness`]): a second server, run by
//! someone else, that co-signs each team's head only if it extends the last one it co-signed, so
//! a relay that withholds or forks history is caught by clients that require the witness. It
//! stores its Ed25519 key, the `(seq, hash)` list of each team and the ACL, never event bytes.
//!
//! The router is built by [`app`] from an [`AppState`] and can be driven without a socket;
//! [`serve`] adds the listener, TLS and graceful shutdown; the `hush-relay` binary only parses
//! flags.

#![forbid(unsafe_code)]

pub mod auth;
pub mod db;
pub mod error;
pub mod metrics;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod state;
pub mod witness;

pub use db::{Backend, Db, DbError};
pub use error::ApiError;
pub use metrics::Metrics;
pub use ratelimit::RateLimits;
pub use routes::app;
pub use server::{Bound, Config, ServeError, TlsFiles, serve};
pub use state::{AppState, Clock};
pub use witness::witness_app;
