//! Secret items: the metadata a person types about a key, and how items are sealed.
//!
//! An item version is two ciphertexts under the vault key of an epoch: the metadata (name, note,
//! tags, URL, scope note, expiry, rotation period) and the value. Both bind, as associated data,
//! the team, vault, item, version and key epoch, so a ciphertext copied into another slot (another
//! item, another version, another vault) fails to decrypt. Values stay sealed in memory until a
//! command asks for one.

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::secret::{Key32, SecretString};

/// Longest secret value accepted, in bytes.
pub const MAX_VALUE_LEN: usize = 1024 * 1024;
/// Longest note accepted, in bytes.
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Longest secret or vault name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// What a person wrote about a secret (everything but the value).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemMeta {
    /// Secret name (unique among live secrets of a vault).
    pub name: String,
    /// Free-text note.
    pub note: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Where the key is managed (provider console URL).
    pub url: Option<String>,
    /// Free-text scope note (what the key may do).
    pub scope: Option<String>,
    /// Expiry date, `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// Rotation period in days.
    pub rotate_every_days: Option<u32>,
}

impl ItemMeta {
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.u8(1).str(&self.name).str(&self.note);
        w.u16(self.tags.len() as u16);
        for t in &self.tags {
            w.str(t);
        }
        w.opt(self.url.as_deref(), |w, v| {
            w.str(v);
        })
        .opt(self.scope.as_deref(), |w, v| {
            w.str(v);
        })
        .opt(self.expires.as_deref(), |w, v| {
            w.str(v);
        })
        .opt(self.rotate_every_days, |w, v| {
            w.u32(v);
        });
        w.into_zeroizing()
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, "item metadata");
        if r.u8()? != 1 {
            return Err(Error::Integrity("unknown item metadata version".into()));
        }
        let name = r.str(MAX_NAME_LEN)?.to_owned();
        let note = r.str(MAX_NOTE_LEN)?.to_owned();
        let n = r.u16()?;
        let mut tags = Vec::with_capacity(usize::from(n).min(64));
        for _ in 0..n {
            tags.push(r.str(MAX_NAME_LEN)?.to_owned());
        }
        let meta = ItemMeta {
            name,
            note,
            tags,
            url: r.opt(|r| r.str(4096).map(str::to_owned))?,
            scope: r.opt(|r| r.str(MAX_NOTE_LEN).map(str::to_owned))?,
            expires: r.opt(|r| r.str(10).map(str::to_owned))?,
            rotate_every_days: r.opt(|r| r.u32())?,
        };
        r.finish()?;
        Ok(meta)
    }

    /// Validates what a person typed.
    pub fn validate(&self) -> Result<()> {
        validate_name(&self.name, "secret")?;
        if self.note.len() > MAX_NOTE_LEN {
            return Err(Error::Invalid("the note is longer than 64 KiB".into()));
        }
        if self.tags.len() > 64 {
            return Err(Error::Invalid("at most 64 tags".into()));
        }
        for t in &self.tags {
            if t.is_empty() || t.len() > MAX_NAME_LEN || t.chars().any(char::is_control) {
                return Err(Error::Invalid(format!("invalid tag {t:?}")));
            }
        }
        if let Some(d) = &self.expires {
            parse_date(d)?;
        }
        if self.rotate_every_days == Some(0) {
            return Err(Error::Invalid(
                "the rotation period must be at least one day".into(),
            ));
        }
        Ok(())
    }
}

/// Names of vaults and secrets: 1–128 bytes, no `/`, no control characters, no surrounding spaces.
pub fn validate_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::Invalid(format!(
            "a {what} name must be 1 to {MAX_NAME_LEN} bytes long"
        )));
    }
    if name.contains('/') || name.chars().any(char::is_control) || name.trim() != name {
        return Err(Error::Invalid(format!(
            "invalid {what} name {name:?}: no '/', control characters or surrounding spaces"
        )));
    }
    Ok(())
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01, checking the calendar.
pub fn parse_date(s: &str) -> Result<i64> {
    let bad = || Error::Invalid(format!("invalid date {s:?}: expected YYYY-MM-DD"));
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64> { s[r].parse::<i64>().map_err(|_| bad()) };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > dim[(m - 1) as usize] {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn format_time_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The slot a ciphertext belongs to; bound as associated data.
#[derive(Clone, Copy, Debug)]
pub struct ItemSlot {
    /// Team id.
    pub team_id: Uuid,
    /// Vault id.
    pub vault_id: Uuid,
    /// Item id.
    pub item_id: Uuid,
    /// Version.
    pub version: u32,
    /// Vault key epoch.
    pub key_epoch: u32,
}

impl ItemSlot {
    /// The slot of `version` of item `item_id` in vault `vault_id` of team `team_id`, sealed under
    /// the vault key of `key_epoch`.
    pub fn new(team_id: Uuid, vault_id: Uuid, item_id: Uuid, version: u32, key_epoch: u32) -> Self {
        Self {
            team_id,
            vault_id,
            item_id,
            version,
            key_epoch,
        }
    }

    fn ad(&self, label: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(label)
            .raw(self.team_id.as_bytes())
            .raw(self.vault_id.as_bytes())
            .raw(self.item_id.as_bytes())
            .u32(self.version)
            .u32(self.key_epoch);
        w.into_vec()
    }

    /// Seals metadata for this slot.
    pub fn seal_meta(&self, key: &Key32, meta: &ItemMeta) -> Vec<u8> {
        crypto::seal(key, &self.ad(b"hush/v1/item-meta"), &meta.encode())
    }

    /// Opens metadata sealed for this slot.
    pub fn open_meta(&self, key: &Key32, ct: &[u8]) -> Result<ItemMeta> {
        let plain = crypto::open(key, &self.ad(b"hush/v1/item-meta"), ct, "secret metadata")?;
        ItemMeta::decode(&plain)
    }

    /// Seals a value for this slot.
    pub fn seal_value(&self, key: &Key32, value: &SecretString) -> Vec<u8> {
        crypto::seal(
            key,
            &self.ad(b"hush/v1/item-value"),
            value.expose().as_bytes(),
        )
    }

    /// Opens a value sealed for this slot.
    pub fn open_value(&self, key: &Key32, ct: &[u8]) -> Result<SecretString> {
        let plain = crypto::open(key, &self.ad(b"hush/v1/item-value"), ct, "secret value")?;
        SecretString::from_utf8(plain)
            .ok_or_else(|| Error::Integrity("secret value is not UTF-8".into()))
    }
}

/// AD for a vault name sealed under a vault key.
pub fn vault_name_ad(team_id: &Uuid, vault_id: &Uuid, key_epoch: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/vault-name")
        .raw(team_id.as_bytes())
        .raw(vault_id.as_bytes())
        .u32(key_epoch);
    w.into_vec()
}

/// The associated data binding a leak report's note to its slot (`Payload::Leaked`).
pub fn leak_note_ad(slot: &ItemSlot) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/leak-note")
        .raw(slot.team_id.as_bytes())
        .raw(slot.vault_id.as_bytes())
        .raw(slot.item_id.as_bytes())
        .u32(slot.version)
        .u32(slot.key_epoch);
    w.into_vec()
}

/// Checks a leak note: at most 64 KiB, one line, no control characters.
pub fn validate_leak_note(note: &str) -> Result<()> {
    if note.len() > MAX_NOTE_LEN {
        return Err(Error::Invalid("the note is longer than 64 KiB".into()));
    }
    if note.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "the note must be one line without control characters".into(),
        ));
    }
    Ok(())
}

/// Seals a leak note for its slot under the vault key.
pub fn seal_leak_note(slot: &ItemSlot, key: &Key32, note: &str) -> Vec<u8> {
    crypto::seal(key, &leak_note_ad(slot), note.as_bytes())
}

/// Opens a leak note sealed for this slot, refusing notes a client would not have written.
pub fn open_leak_note(slot: &ItemSlot, key: &Key32, ct: &[u8]) -> Result<String> {
    let plain = crypto::open(key, &leak_note_ad(slot), ct, "leak note")?;
    let note = String::from_utf8(plain.to_vec())
        .map_err(|_| Error::Integrity("leak note is not UTF-8".into()))?;
    validate_leak_note(&note).map_err(|_| Error::Integrity("malformed leak note".into()))?;
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(item: u8, version: u32) -> ItemSlot {
        ItemSlot::new(
            Uuid::from_bytes([1; 16]),
            Uuid::from_bytes([2; 16]),
            Uuid::from_bytes([item; 16]),
            version,
            0,
        )
    }

    #[test]
    fn ciphertext_moved_to_another_slot_fails() {
        let key = Key32::random();
        let v = SecretString::new("sk_live_123".into());
        let ct = slot(3, 1).seal_value(&key, &v);
        assert_eq!(slot(3, 1).open_value(&key, &ct).ok(), Some(v));
        assert!(slot(4, 1).open_value(&key, &ct).is_err());
        assert!(slot(3, 2).open_value(&key, &ct).is_err());
        let mut other_epoch = slot(3, 1);
        other_epoch.key_epoch = 1;
        assert!(other_epoch.open_value(&key, &ct).is_err());
        // A value ciphertext is not a metadata ciphertext either.
        assert!(slot(3, 1).open_meta(&key, &ct).is_err());
    }

    #[test]
    fn meta_round_trip() {
        let key = Key32::random();
        let meta = ItemMeta {
            name: "STRIPE_KEY".into(),
            note: "live key".into(),
            tags: vec!["payments".into(), "prod".into()],
            url: Some("https://dashboard.stripe.com".into()),
            scope: Some("charges:write".into()),
            expires: Some("2027-01-31".into()),
            rotate_every_days: Some(90),
        };
        let ct = slot(3, 1).seal_meta(&key, &meta);
        assert_eq!(slot(3, 1).open_meta(&key, &ct).ok(), Some(meta));
    }

    #[test]
    fn dates_and_periods() {
        assert_eq!(parse_date("1970-01-01").ok(), Some(0));
        assert_eq!(parse_date("2000-03-01").ok(), Some(11_017));
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_date("2024-13-01").is_err());
        assert!(parse_date("24-01-01").is_err());
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(
            format_time_ms(86_400_000 + 3_723_000),
            "1970-01-02 01:02:03"
        );
        assert!(validate_name("a/b", "secret").is_err());
        assert!(validate_name(" a", "secret").is_err());
        assert!(validate_name("STRIPE_KEY", "secret").is_ok());
    }
}
