//! Types that hold secret material.
//!
//! Key material and plaintext live in zeroizing newtypes that cannot be printed: their `Debug`
//! redacts, they implement neither `Display` nor `Serialize`, and the accessor that exposes the bytes
//! is named `expose_*` so that every use stands out in review.

use zeroize::{Zeroize, Zeroizing};

/// A 32-byte symmetric key (account key, log key, vault key). Zeroized on drop.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random key from the operating system's CSPRNG.
    pub fn random() -> Self {
        Self(random_array())
    }

    /// The raw key bytes. Only crypto code should call this.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(<redacted>)")
    }
}

/// A secret string (a secret's value, a password). Zeroized on drop; `Debug` redacts.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of a string that holds secret material.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// Builds a secret from UTF-8 bytes, zeroizing the input buffer on failure too.
    pub fn from_utf8(bytes: Zeroizing<Vec<u8>>) -> Option<Self> {
        let s = std::str::from_utf8(&bytes).ok()?;
        Some(Self::new(s.to_owned()))
    }

    /// The secret as a string slice. Every call site is a place where the secret leaves its box.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Unwraps into a zeroizing string.
    pub fn into_zeroizing(self) -> Zeroizing<String> {
        self.0
    }
}

impl From<Zeroizing<String>> for SecretString {
    fn from(value: Zeroizing<String>) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

/// Serde helper for the agent protocol, the one place where a secret value is serialized on
/// purpose (over a Unix socket that only the same user can open). Use with
/// `#[serde(with = "crate::secret::expose_serde")]`.
pub mod expose_serde {
    use super::SecretString;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes the exposed string.
    pub fn serialize<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.expose())
    }

    /// Deserializes into a zeroizing string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        Ok(SecretString::new(String::deserialize(d)?))
    }
}

/// Fills an array from the operating system's CSPRNG.
///
/// Panics only if the OS RNG is unavailable, in which case no secure operation is possible.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut out).expect("the operating system's random number generator failed");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::new("hunter2-value".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let k = Key32::from_bytes([7u8; 32]);
        assert!(!format!("{k:?}").contains('7'));
    }
}
