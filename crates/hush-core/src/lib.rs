//! Hush core: crypto, wire format, encrypted store, vault model and agent protocol.
//!
//! This crate has no GUI dependency: the CLI, the relay and the desktop shell are thin tops over it.

pub mod address;
pub mod agent;
pub mod anomaly;
pub mod api;
pub mod audit;
pub mod codec;
pub mod crypto;
pub mod dotenv;
pub mod error;
pub mod event;
pub mod identity;
pub mod invite;
pub mod item;
pub mod known;
pub mod lifecycle;
pub mod membership;
pub mod relay_proto;
pub mod relay_usage;
pub mod search;
pub mod secret;
pub mod service;
pub mod session;
pub mod settings;
pub mod state;
pub mod store;
pub mod sync;
pub mod template;
pub mod transfer;
pub mod witness;
pub mod witness_proto;

pub use error::{Error, Result};
