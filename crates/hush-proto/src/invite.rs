//! Invite codes and the asynchronous join handshake.
//!
//! An invite code carries a 256-bit secret that never passes through the relay. From it:
//!
//! ```text
//! relay_token = HKDF(secret, "hush/v1/invite-relay-token")   the relay stores only H(relay_token)
//! join_key    = HKDF(secret, "hush/v1/invite-join")          seals the joiner's certificate
//! admit_key   = HKDF(secret, "hush/v1/invite-admit")         MACs the admission (proof)
//! safety code = H("hush/v1/safety-code", secret, joiner cert)  compared by the two people
//! ```
//!
//! A relay that wants to substitute the joiner's keys must forge the sealed join request, which
//! needs `join_key`; one that wants to lure the joiner into a fake team must forge the admission
//! proof, which needs `admit_key`, and must also reproduce the event the inviter pinned in the code.
//! The relay can only drop or delay. Why a long secret instead of a short code with SPAKE2: joining
//! is asynchronous (the lead may be offline when the teammate enters the code), and a PAKE needs
//! both parties online; a long random secret gives the relay no guess at all, and the safety code
//! still lets the two people confirm they see the same keys.

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity::{DeviceCert, digit_groups};
use crate::secret::Key32;

const PREFIX: &str = "hush1";

/// The content of an invite code.
#[derive(Clone, Debug)]
pub struct InviteCode {
    /// Invite id.
    pub invite_id: Uuid,
    /// Team id.
    pub team_id: Uuid,
    /// The secret.
    pub secret: Key32,
    /// Pinned log position.
    pub pinned_seq: u64,
    /// Hash of the event at that position.
    pub pinned_hash: [u8; 32],
    /// Expiry.
    pub expires_ms: i64,
    /// Relay URL.
    pub relay: String,
}

impl InviteCode {
    /// The one-line code.
    pub fn encode(&self) -> String {
        let mut w = Writer::new();
        w.u8(1)
            .raw(self.invite_id.as_bytes())
            .raw(self.team_id.as_bytes())
            .raw(self.secret.expose_bytes())
            .u64(self.pinned_seq)
            .raw(&self.pinned_hash)
            .i64(self.expires_ms)
            .str(&self.relay);
        let body = w.into_vec();
        let check = crypto::hash(b"hush/v1/invite-check", &[&body]);
        let mut all = body;
        all.extend_from_slice(&check[..4]);
        format!(
            "{PREFIX}{}",
            data_encoding::BASE32_NOPAD.encode(&all).to_lowercase()
        )
    }

    /// Parses a code, with a clear error for typos.
    pub fn decode(code: &str) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("invalid invite code: {why}"));
        let code = code.trim();
        let rest = code
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("it should start with hush1"))?;
        let all = data_encoding::BASE32_NOPAD
            .decode(rest.to_uppercase().as_bytes())
            .map_err(|_| bad("it contains characters that are not part of a code"))?;
        if all.len() < 5 {
            return Err(bad("it is too short"));
        }
        let (body, check) = all.split_at(all.len() - 4);
        let want = crypto::hash(b"hush/v1/invite-check", &[body]);
        if !crypto::ct_eq(&want[..4], check) {
            return Err(bad("it was mistyped or truncated"));
        }
        let mut r = Reader::new(body, "invite code");
        if r.u8()? != 1 {
            return Err(bad("it was made by a newer version of hush"));
        }
        let c = InviteCode {
            invite_id: Uuid::from_bytes(r.array()?),
            team_id: Uuid::from_bytes(r.array()?),
            secret: Key32::from_bytes(r.array()?),
            pinned_seq: r.u64()?,
            pinned_hash: r.array()?,
            expires_ms: r.i64()?,
            relay: r.str(2048)?.to_owned(),
        };
        r.finish()?;
        Ok(c)
    }
}

/// The token that lets the relay accept one join request.
pub fn relay_token(secret: &Key32) -> [u8; 32] {
    *crypto::subkey(secret, b"hush/v1/invite-relay-token").expose_bytes()
}

/// What the relay stores instead of the token.
pub fn token_hash(token: &[u8]) -> [u8; 32] {
    crypto::hash(b"hush/v1/invite-token", &[token])
}

fn join_ad(team_id: &Uuid, invite_id: &Uuid) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/join-request")
        .raw(team_id.as_bytes())
        .raw(invite_id.as_bytes());
    w.into_vec()
}

/// Seals the joiner's certificate for the inviter.
pub fn seal_join(secret: &Key32, team_id: &Uuid, invite_id: &Uuid, cert: &DeviceCert) -> Vec<u8> {
    let mut w = Writer::new();
    cert.encode(&mut w);
    let key = crypto::subkey(secret, b"hush/v1/invite-join");
    crypto::seal(&key, &join_ad(team_id, invite_id), w.as_slice())
}

/// Opens and verifies a join request.
pub fn open_join(
    secret: &Key32,
    team_id: &Uuid,
    invite_id: &Uuid,
    blob: &[u8],
) -> Result<DeviceCert> {
    let key = crypto::subkey(secret, b"hush/v1/invite-join");
    let plain = crypto::open(&key, &join_ad(team_id, invite_id), blob, "join request")?;
    let mut r = Reader::new(&plain, "join request");
    let cert = DeviceCert::decode(&mut r)?;
    r.finish()?;
    Ok(cert)
}

/// The admission proof for `cert`.
pub fn admit_proof(
    secret: &Key32,
    team_id: &Uuid,
    invite_id: &Uuid,
    cert: &DeviceCert,
) -> [u8; 32] {
    let mut w = Writer::new();
    w.raw(team_id.as_bytes()).raw(invite_id.as_bytes());
    cert.encode(&mut w);
    crypto::mac(
        &crypto::subkey(secret, b"hush/v1/invite-admit"),
        &[w.as_slice()],
    )
}

/// The safety code both people compare before admission: 20 digits.
pub fn safety_code(secret: &Key32, cert: &DeviceCert) -> String {
    let mut w = Writer::new();
    cert.encode(&mut w);
    let h = crypto::hash(
        b"hush/v1/safety-code",
        &[secret.expose_bytes(), w.as_slice()],
    );
    digit_groups(&h)
        .split(' ')
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DeviceIdentity;

    fn code() -> InviteCode {
        InviteCode {
            invite_id: Uuid::new_v4(),
            team_id: Uuid::new_v4(),
            secret: Key32::random(),
            pinned_seq: 7,
            pinned_hash: [9; 32],
            expires_ms: 1_800_000_000_000,
            relay: "https://relay.example".into(),
        }
    }

    #[test]
    fn codes_round_trip_and_catch_typos() {
        let c = code();
        let s = c.encode();
        assert!(s.starts_with("hush1") && !s.contains(char::is_whitespace));
        let back = InviteCode::decode(&format!("  {s}\n")).expect("decode");
        assert_eq!(back.secret.expose_bytes(), c.secret.expose_bytes());
        assert_eq!(
            (back.pinned_seq, back.relay.as_str()),
            (7, "https://relay.example")
        );
        // One changed character anywhere is caught.
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(InviteCode::decode(&typo).is_err());
        assert!(InviteCode::decode(&s[..s.len() - 3]).is_err());
        assert!(InviteCode::decode("hush1!!!").is_err());
        assert!(InviteCode::decode("").is_err());
    }

    #[test]
    fn join_requests_need_the_secret() {
        let c = code();
        let joiner = DeviceIdentity::generate("bob").expect("id");
        let blob = seal_join(&c.secret, &c.team_id, &c.invite_id, &joiner.cert());
        assert_eq!(
            open_join(&c.secret, &c.team_id, &c.invite_id, &blob).ok(),
            Some(joiner.cert())
        );
        assert!(open_join(&Key32::random(), &c.team_id, &c.invite_id, &blob).is_err());
        assert!(open_join(&c.secret, &c.team_id, &Uuid::new_v4(), &blob).is_err());
        // A relay substituting keys must build its own blob, which needs the secret.
        let mallory = DeviceIdentity::generate("bob").expect("id");
        let forged = seal_join(&Key32::random(), &c.team_id, &c.invite_id, &mallory.cert());
        assert!(open_join(&c.secret, &c.team_id, &c.invite_id, &forged).is_err());
        assert_ne!(
            safety_code(&c.secret, &joiner.cert()),
            safety_code(&c.secret, &mallory.cert())
        );
        assert_eq!(safety_code(&c.secret, &joiner.cert()).len(), 23);
    }
}
