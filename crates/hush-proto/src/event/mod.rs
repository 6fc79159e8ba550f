//! The signed, hash-chained event log: wire format v2.
//!
//! Every change to a team is an event. The same bytes are stored locally and (with the relay)
//! carried between devices, so the format separates what a relay may see from what it may not:
//!
//! ```text
//! event   = version:u8(=2) team_id:[16] seq:u64 prev:[32] epoch:u32 author:[16]
//!           public_len:u32 public  body_len:u32 body  sig:[64]
//! public  = count:u16 entry*      (key bundles, then ACL changes the relay must know about)
//! body    = nonce:[24] XChaCha20-Poly1305(log_key[epoch], pad(plain), ad = "hush/v1/event-body" || header||public)
//! sig     = Ed25519(author, "hush/v1/event-sig" || every byte before sig)
//! hash    = SHA-256("hush/v1/event-hash" || every byte of the event)
//! ```
//!
//! `prev` is the hash of the previous event of the team (all zeros for `seq = 0`). The relay sees
//! the envelope (team, seq, prev, epoch, author, sizes) and the recipients of key bundles; the body
//! (names, values, roles, timestamps) is sealed under the team's log key. Key bundles carry keys to
//! devices with HPKE and are readable only by their recipient; they sit outside the body because a
//! newly admitted device must read its bundle before it holds the log key. `docs/PROTOCOL.md` is the
//! normative description; its test vectors are checked by `tests/protocol_vectors.rs`.
//!
//! The rooms, in the order of an event's bytes: `envelope` is the fixed header and where each of
//! its fields lies ([`header`]); `keys` the key scopes and key commitments; `bundle` the
//! HPKE-sealed key bundles; `public` the relay-visible section (bundles and ACL changes); `roles`
//! the team and vault roles; `payload` the kinds of change a sealed body records; `body` the
//! canonical encoding of a decrypted body; `signed` the whole event: sealing, signing, parsing,
//! hashing, verifying and opening. Everything is re-exported here, so every type is
//! `hush_proto::event::Name`.

/// Gives a field-less enum its one-byte wire code in both directions from a single table, so the
/// encoding and the decoding cannot drift apart: `to_u8`, and `from_u8` refusing unknown codes with
/// `Error::Integrity("unknown <what>")`.
macro_rules! wire_codes {
    ($ty:ident, $vis:vis, $what:literal, { $($variant:ident = $code:literal),+ $(,)? }) => {
        impl $ty {
            /// The wire code.
            $vis fn to_u8(self) -> u8 {
                match self {
                    $($ty::$variant => $code,)+
                }
            }

            /// Parses a wire code, refusing unknown ones.
            $vis fn from_u8(v: u8) -> $crate::error::Result<Self> {
                match v {
                    $($code => Ok($ty::$variant),)+
                    _ => Err($crate::error::Error::Integrity(concat!("unknown ", $what).into())),
                }
            }
        }
    };
}

mod body;
mod bundle;
mod envelope;
mod keys;
mod payload;
mod public;
mod roles;
mod signed;

pub use body::Body;
pub use bundle::{BundlePlace, KeyBundle};
pub use envelope::{EVENT_VERSION, Envelope, HEADER_LEN, header};
pub use keys::{GrantedKey, KeyScope, key_commit};
pub use payload::{
    MAX_SERVICE_VAULTS, MAX_USAGE_ITEMS, MAX_WITNESS_URL, Payload, PutKind, UsageAction,
};
pub use public::{AclChange, MAX_BUNDLES, Public};
pub use roles::{TeamRole, VaultRole};
pub use signed::{MAX_EVENT_LEN, SignedEvent};
