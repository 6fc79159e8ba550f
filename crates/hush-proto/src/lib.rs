//! Hush's wire format, shared by the client core, the relay and the fuzz targets.
//!
//! Everything that crosses a trust boundary as bytes is defined here, and nothing else: the
//! canonical binary codec, the composition of audited cryptographic crates (AEAD, Argon2id,
//! HPKE, Ed25519, hashing with labels), device identities and certificates, the signed,
//! hash-chained team event with its key bundles and key commitments, item sealing, invite codes,
//! and the relay's HTTP protocol (request signing, JSON shapes). It holds no storage, no network
//! client and no team state: `hush-core` judges events against a team's history; the relay only
//! stores and orders them. `docs/PROTOCOL.md` is the normative description (protocol v2).

#![forbid(unsafe_code)]

pub mod codec;
pub mod crypto;
pub mod error;
pub mod event;
pub mod identity;
pub mod invite;
pub mod item;
pub mod relay_proto;
pub mod secret;
pub mod witness_proto;

pub use error::{Error, ErrorCode, Hint, Result};
