//! Witnesses: a second server that keeps the relay honest about a team's history.
//!
//! # The attack
//!
//! A relay colluding with a removed member can keep serving a teammate the log as it was before
//! the removal. The teammate's client verifies every event it is shown, but it cannot know about
//! events it is never shown: it keeps writing values under the old log and vault keys, which the
//! removed member can read. Without a witness only people comparing team state codes notice.
//!
//! # The defence
//!
//! A team manager adds a witness (`WitnessAdd` in the signed log, so every member's client
//! requires it from then on). The witness ([`crate::witness_proto`]) remembers the chain of event
//! hashes it accepted for the team and co-signs a head only if it extends the last one. For a
//! team that requires witnesses, a sync:
//!
//! 1. after pulling, and **before storing** anything, asks each witness for its signed head
//!    (signature checked against the key pinned in the log) and compares it with the chain the
//!    relay served ([`Session::witness_check_pull`]): a witness head beyond the relay's head means
//!    the relay withholds history others have seen; a different hash at a position both know is a
//!    fork. Either is an [`Error::Integrity`] naming the witness, kept as the team's relay alert,
//!    and nothing is stored;
//! 2. **before pushing** anything, does the same against the stored, relay-confirmed chain and
//!    extends the witness with the events it lacks, so the witness co-signs the head the client
//!    builds on ([`Session::witness_settle`]); a refusal stops the push;
//! 3. after pushing, extends the witness with the pushed events.
//!
//! A witness that cannot be reached fails closed: [`Error::WitnessUnavailable`], nothing stored or
//! pushed, local changes kept in the outbox until the witness answers again. Teams without
//! witnesses sync exactly as before.
//!
//! The witness sees what the relay sees of the events (it never keeps their bytes), and nothing
//! more.
//!
//! The rooms: `client` is the HTTP client for one witness; `check` compares a witness's signed
//! head with a chain (and checks a service token's whole log); `sync_checks` is what a sync does
//! with the required witnesses before storing and around pushing; `manage` is
//! `hush team witness` (list, add, remove) and rebuilding a pending witness change.

mod check;
mod client;
mod manage;
mod sync_checks;

#[cfg(doc)]
use crate::error::Error;
#[cfg(doc)]
use crate::session::Session;

pub(crate) use check::check_whole_log;
pub use client::{Extended, WitnessClient};
pub use manage::{WitnessAdded, WitnessInfo};
