//! The fixed, relay-visible header of an event, its encoding, and where each of its fields lies.

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};

/// Wire format version.
pub const EVENT_VERSION: u8 = 2;
/// Length of the fixed header: version, team, seq, prev, epoch, author.
pub const HEADER_LEN: usize = header::AUTHOR.end;

/// Where each field of the fixed header lies in an event's bytes (the envelope is encoded first,
/// in this order). Tools and tests that look into raw events use these, never their own numbers.
pub mod header {
    use std::ops::Range;

    /// The wire format version byte.
    pub const VERSION: usize = 0;
    /// Team id.
    pub const TEAM: Range<usize> = 1..17;
    /// Position in the log (big-endian u64).
    pub const SEQ: Range<usize> = 17..25;
    /// Hash of the previous event.
    pub const PREV: Range<usize> = 25..57;
    /// Log-key epoch (big-endian u32).
    pub const EPOCH: Range<usize> = 57..61;
    /// The signing device.
    pub const AUTHOR: Range<usize> = 61..77;
}

/// The relay-visible header of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Team the event belongs to.
    pub team_id: Uuid,
    /// Position in the team log, from 0.
    pub seq: u64,
    /// Hash of the previous event (zeros for seq 0).
    pub prev: [u8; 32],
    /// Log-key epoch the body is sealed under.
    pub epoch: u32,
    /// Device that signed the event.
    pub author: Uuid,
}

impl Envelope {
    /// Writes the header: the version byte, then the fields in the order of [`header`].
    pub(super) fn encode(&self, w: &mut Writer) {
        w.u8(EVENT_VERSION)
            .raw(self.team_id.as_bytes())
            .u64(self.seq)
            .raw(&self.prev)
            .u32(self.epoch)
            .raw(self.author.as_bytes());
    }

    /// Reads the header, refusing any version but [`EVENT_VERSION`].
    pub(super) fn decode(r: &mut Reader<'_>) -> Result<Self> {
        if r.u8()? != EVENT_VERSION {
            return Err(Error::Integrity("unsupported event version".into()));
        }
        Ok(Self {
            team_id: Uuid::from_bytes(r.array()?),
            seq: r.u64()?,
            prev: r.array()?,
            epoch: r.u32()?,
            author: Uuid::from_bytes(r.array()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_offsets_are_where_the_envelope_is_encoded() {
        let env = Envelope {
            team_id: Uuid::from_u128(0x0102),
            seq: 0x0a0b,
            prev: [7; 32],
            epoch: 0x0c0d,
            author: Uuid::from_u128(0x0304),
        };
        let mut w = Writer::new();
        env.encode(&mut w);
        let b = w.into_vec();
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(b[header::VERSION], EVENT_VERSION);
        assert_eq!(&b[header::TEAM], env.team_id.as_bytes());
        assert_eq!(b[header::SEQ], env.seq.to_be_bytes());
        assert_eq!(b[header::PREV], env.prev);
        assert_eq!(b[header::EPOCH], env.epoch.to_be_bytes());
        assert_eq!(&b[header::AUTHOR], env.author.as_bytes());
        let mut r = Reader::new(&b, "envelope");
        assert_eq!(Envelope::decode(&mut r).expect("decode"), env);
        r.finish().expect("nothing left");
    }
}
