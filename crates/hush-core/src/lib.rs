//! Hush core: the encrypted store, team state (judging the signed log), sessions, sync, the
//! vault model and the agent protocol, over the wire format of `hush-proto`.
//!
//! This crate has no GUI dependency: the CLI, the relay and the desktop shell are thin tops over it.

pub mod address;
pub mod agent;
pub mod anomaly;
pub mod api;
pub mod audit;
pub mod backup;
pub mod dotenv;
pub mod duration;
pub mod known;
pub mod lifecycle;
pub mod local;
pub mod membership;
pub mod relay_client;
pub mod relay_usage;
pub mod replay;
pub mod search;
pub mod service;
pub mod service_note;
pub mod session;
pub mod settings;
pub mod state;
pub mod store;
pub mod sync;
pub mod template;
pub mod transfer;
pub mod witness;

// The wire format lives in `hush-proto`; its modules are re-exported under their old paths.
pub use hush_proto::{
    codec, crypto, error, event, identity, invite, item, relay_proto, secret, witness_proto,
};

pub use error::{Error, ErrorCode, Hint, Result};
