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

/// A growable byte buffer for secret material (encodings that hold keys or values, stdin reads,
/// agent frames). A `Vec`'s own growth frees the old allocation with the bytes still in it; this
/// one moves them to a larger allocation and wipes the old one first, and wipes itself on drop.
/// `Debug` redacts.
#[derive(Default)]
pub struct SecretBuf(Vec<u8>);

impl SecretBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    fn make_room(&mut self, more: usize) {
        let need = self.0.len().saturating_add(more);
        if need > self.0.capacity() {
            let mut bigger =
                Vec::with_capacity(need.max(self.0.capacity().saturating_mul(2)).max(64));
            bigger.extend_from_slice(&self.0);
            // `zeroize` on a `Vec` wipes its whole capacity before clearing it.
            self.0.zeroize();
            self.0 = bigger;
        }
    }

    /// Appends bytes.
    pub fn extend_from_slice(&mut self, v: &[u8]) {
        self.make_room(v.len());
        self.0.extend_from_slice(v);
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        self.make_room(1);
        self.0.push(b);
    }

    /// Shortens the buffer to `len` bytes, wiping the bytes cut off.
    pub fn truncate(&mut self, len: usize) {
        if len < self.0.len() {
            self.0[len..].zeroize();
            self.0.truncate(len);
        }
    }

    /// Reads `r` to its end into the buffer; the bytes read.
    pub fn read_to_end(&mut self, mut r: impl std::io::Read) -> std::io::Result<usize> {
        let mut chunk = Zeroizing::new([0u8; 8192]);
        let mut total = 0;
        loop {
            match r.read(&mut chunk[..]) {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    self.extend_from_slice(&chunk[..n]);
                    total += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The last byte, if any.
    pub fn last(&self) -> Option<u8> {
        self.0.last().copied()
    }

    /// The bytes as a plain vector, moved (not copied): for encodings that hold no secret, or
    /// whose caller wraps them again.
    pub fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }

    /// The bytes as a zeroizing vector, moved (not copied).
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.into_vec())
    }
}

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBuf(<{} bytes redacted>)", self.0.len())
    }
}

impl std::io::Write for SecretBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
    fn a_secret_buffer_grows_in_its_own_allocations_and_keeps_every_byte() {
        let mut b = SecretBuf::new();
        let mut want = Vec::new();
        for i in 0..10_000u32 {
            let bytes = i.to_be_bytes();
            b.extend_from_slice(&bytes);
            want.extend_from_slice(&bytes);
        }
        b.push(0xff);
        want.push(0xff);
        assert_eq!(b.as_slice(), &want[..]);
        assert!(b.0.capacity() >= b.len());
        b.truncate(3);
        assert_eq!(b.as_slice(), &want[..3]);
        let mut r = SecretBuf::with_capacity(1);
        let n = r.read_to_end(&want[..]).expect("read");
        assert_eq!((n, r.as_slice()), (want.len(), &want[..]));
        std::io::Write::write_all(&mut r, b"tail").expect("write");
        assert!(r.into_zeroizing().ends_with(b"tail"));
        assert!(!format!("{b:?}").contains('0'), "{b:?}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::new("hunter2-value".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let k = Key32::from_bytes([7u8; 32]);
        assert!(!format!("{k:?}").contains('7'));
    }
}
