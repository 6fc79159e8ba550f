//! Which key is which: key scopes, the keys handed to a device, and the commitments that pin them.

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::secret::Key32;

/// Which key a [`GrantedKey`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyScope {
    /// The team log key (seals event bodies).
    Log,
    /// A vault key (seals items of that vault).
    Vault(Uuid),
}

impl KeyScope {
    /// The scope as it is written everywhere: a tag (0 for the log, 1 for a vault) and the vault
    /// id (zeros for the log).
    fn wire(self) -> (u8, [u8; 16]) {
        match self {
            KeyScope::Log => (0, [0; 16]),
            KeyScope::Vault(v) => (1, *v.as_bytes()),
        }
    }

    /// Writes `tag:u8 vault_id:[16]`.
    pub(super) fn encode(self, w: &mut Writer) {
        let (tag, vault) = self.wire();
        w.u8(tag).raw(&vault);
    }

    /// Reads `tag:u8 vault_id:[16]` (the id of a log scope is read and ignored).
    pub(super) fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.u8()? {
            0 => {
                r.array::<16>()?;
                Ok(KeyScope::Log)
            }
            1 => Ok(KeyScope::Vault(Uuid::from_bytes(r.array()?))),
            _ => Err(Error::Integrity("unknown key scope in bundle".into())),
        }
    }
}

/// A key handed to a device inside a key bundle.
#[derive(Clone, Debug)]
pub struct GrantedKey {
    /// What the key is for.
    pub scope: KeyScope,
    /// Its epoch.
    pub epoch: u32,
    /// The key.
    pub key: Key32,
}

/// The commitment to a key that the event starting its epoch carries in its signed body:
/// `H("hush/v2/key-commit", team_id || scope:u8 || vault_id(16, zeros for the log) || epoch:u32 || key)`.
/// A device accepts a key from a bundle only if it matches the commitment for its scope and
/// epoch, so nobody can plant a key of their choosing.
pub fn key_commit(team_id: &Uuid, scope: KeyScope, epoch: u32, key: &Key32) -> [u8; 32] {
    let (tag, vault) = scope.wire();
    crypto::hash(
        b"hush/v2/key-commit",
        &[
            team_id.as_bytes(),
            &[tag],
            &vault,
            &epoch.to_be_bytes(),
            key.expose_bytes(),
        ],
    )
}
