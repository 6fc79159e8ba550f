//! A small canonical binary codec.
//!
//! Everything Hush signs or hashes is encoded with this codec, never with JSON: one value has
//! exactly one encoding, so signatures and hash chains are reproducible across implementations.
//! Integers are big-endian; variable-length fields carry a length prefix; decoding rejects short
//! input, over-long length prefixes and trailing bytes ("parse, don't validate").

use crate::error::{Error, Result};
use crate::secret::SecretBuf;

/// Appends canonical encodings to a buffer. Encodings hold keys and values (key bundles, item
/// metadata, settings), so the buffer is a [`SecretBuf`]: growing it leaves no copy behind, and
/// a writer dropped unfinished is wiped.
#[derive(Default)]
pub struct Writer {
    buf: SecretBuf,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian i64.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends raw bytes with no length prefix (fixed-size fields).
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Appends bytes with a u32 length prefix.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.buf.extend_from_slice(&v[..len as usize]);
        self
    }

    /// Appends a UTF-8 string with a u32 length prefix.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// Appends an optional value: 0, or 1 followed by the value.
    pub fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                f(self, x);
                self
            }
        }
    }

    /// Current length.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.as_slice()
    }

    /// Finishes and returns the buffer, moved (not copied). For encodings that hold a key or a
    /// value, prefer [`Writer::into_zeroizing`].
    pub fn into_vec(self) -> Vec<u8> {
        self.buf.into_vec()
    }

    /// Finishes and returns the buffer as a zeroizing vector, moved (not copied).
    pub fn into_zeroizing(self) -> zeroize::Zeroizing<Vec<u8>> {
        self.buf.into_zeroizing()
    }
}

/// Reads canonical encodings from a slice, refusing anything malformed.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads `data`; `what` names the structure in error messages.
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Self { data, pos: 0, what }
    }

    fn err(&self, detail: &str) -> Error {
        Error::Integrity(format!("malformed {} ({detail})", self.what))
    }

    /// Takes `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| self.err("truncated"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// Reads a big-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian i64.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// Reads u32-length-prefixed bytes of at most `max` bytes.
    pub fn bytes(&mut self, max: usize) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(self.err("length out of range"));
        }
        self.take(len)
    }

    /// Reads a u32-length-prefixed UTF-8 string of at most `max` bytes.
    pub fn str(&mut self, max: usize) -> Result<&'a str> {
        let b = self.bytes(max)?;
        std::str::from_utf8(b).map_err(|_| self.err("invalid UTF-8"))
    }

    /// Reads an optional value written by [`Writer::opt`].
    pub fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        match self.u8()? {
            0 => Ok(None),
            1 => f(self).map(Some),
            _ => Err(self.err("bad option tag")),
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// True when every byte was consumed (for a trailing field added to a format later).
    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(self) -> Result<()> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(self.err("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let mut w = Writer::new();
        w.u8(1)
            .u16(2)
            .u32(3)
            .u64(4)
            .str("héllo")
            .opt(Some(9u32), |w, v| {
                w.u32(v);
            });
        let bytes = w.into_vec();
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u8().ok(), Some(1));
        assert_eq!(r.u16().ok(), Some(2));
        assert_eq!(r.u32().ok(), Some(3));
        assert_eq!(r.u64().ok(), Some(4));
        assert_eq!(r.str(64).ok(), Some("héllo"));
        assert_eq!(r.opt(|r| r.u32()).ok(), Some(Some(9)));
        assert!(r.finish().is_ok());

        // Trailing bytes are refused.
        let mut extra = bytes.clone();
        extra.push(0);
        let mut r = Reader::new(&extra, "test");
        r.take(bytes.len()).ok();
        assert!(r.finish().is_err());

        // A length prefix beyond the data or the limit is refused, never panics.
        let bad = [0u8, 0, 0, 200, 1, 2];
        assert!(Reader::new(&bad, "t").bytes(1000).is_err());
        assert!(Reader::new(&bad, "t").bytes(10).is_err());
        assert!(Reader::new(&[], "t").u64().is_err());
    }
}
