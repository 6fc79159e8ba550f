//! The shapes of docs/DESKTOP-IPC.md: camelCase JSON built from the core's types.
//!
//! The core's types serialize with snake_case fields for the agent protocol; the web view gets
//! these instead, so a change inside the core cannot silently change the contract. None of
//! them can hold a secret value (`reveal_secret` returns [`crate::sensitive::Revealed`]).
//!
//! The web view's TypeScript types are generated from these (`ts_rs::TS`) into
//! `ui/src/lib/ipc.gen.ts`; a test fails when that file is out of date (see `ipc_types.rs`).
//!
//! One file per area: `app` (app state, settings, who am I, lock reasons), `secrets` (vaults,
//! secrets, versions, access, copying), `teams` (teams, members, invites, joining), `activity`
//! (activity log, alerts, exposed and conflicting secrets), `sync` (the sync indicator).

mod activity;
mod app;
mod secrets;
mod sync;
mod teams;

pub use activity::*;
pub use app::*;
pub use secrets::*;
pub use sync::*;
pub use teams::*;
