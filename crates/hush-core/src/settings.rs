//! Per-team local settings: what this device knows about a team beyond its log.
//!
//! Sealed in the store under an account subkey (AD = team id). Holds the relay URL, the secrets of
//! invites this device issued (they never leave it), join requests received for them, the ticket
//! of a join in progress, sync bookkeeping, and the person's own overrides of team values
//! (`hush override`), which never leave this device either.

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::event::TeamRole;
use crate::identity::DeviceCert;
use crate::secret::{Key32, SecretString};

/// An invite this device issued.
#[derive(Clone, Debug)]
pub struct IssuedInvite {
    /// Invite id.
    pub invite_id: Uuid,
    /// The secret in the invite code.
    pub secret: Key32,
    /// Role the invitee gets.
    pub role: TeamRole,
    /// Expiry.
    pub expires_ms: i64,
}

/// A join request that arrived for one of our invites and awaits `hush admit`.
#[derive(Clone, Debug)]
pub struct PendingJoin {
    /// Invite used.
    pub invite_id: Uuid,
    /// The joiner's certificate (authenticated with the invite secret).
    pub cert: DeviceCert,
    /// Relay's receive time.
    pub received_ms: i64,
}

/// A join in progress on the joining device.
#[derive(Clone, Debug)]
pub struct JoinTicket {
    /// Invite id.
    pub invite_id: Uuid,
    /// Invite secret.
    pub secret: Key32,
    /// Head the inviter pinned: the log we are shown must contain exactly this event.
    pub pinned_seq: u64,
    /// Its hash.
    pub pinned_hash: [u8; 32],
    /// Local label until the team's real name is known.
    pub label: String,
}

/// A value this person uses instead of the team's (`hush override set`): local, never synced,
/// never a version of the secret.
#[derive(Clone, Debug)]
pub struct Override {
    /// The vault.
    pub vault_id: Uuid,
    /// The secret's name in it.
    pub name: String,
    /// The value used instead of the team's.
    pub value: SecretString,
    /// When it was set.
    pub set_ms: i64,
}

/// Everything local about a team.
#[derive(Clone, Debug, Default)]
pub struct TeamSettings {
    /// Relay URL, for teams that sync.
    pub relay: Option<String>,
    /// Allow plain http:// to a non-loopback relay.
    pub allow_http: bool,
    /// Invites issued here.
    pub invites: Vec<IssuedInvite>,
    /// Join requests waiting for admission.
    pub pending_joins: Vec<PendingJoin>,
    /// Set while this device is joining.
    pub joining: Option<JoinTicket>,
    /// Last successful sync.
    pub last_sync_ms: Option<i64>,
    /// Last relay misbehaviour detected (cleared by a clean sync).
    pub relay_alert: Option<String>,
    /// The last time a person confirmed that a teammate read the same team state code:
    /// (head seq, head hash, when). A relay that forks the team must keep the two apart from then
    /// on; see `docs/THREAT-MODEL.md`.
    pub compared: Option<(u64, [u8; 32], i64)>,
    /// Per required witness (key): the highest position this device saw it co-sign.
    pub witness_seen: std::collections::BTreeMap<[u8; 32], u64>,
    /// This person's overrides of team values (version 4).
    pub overrides: Vec<Override>,
}

impl TeamSettings {
    /// Canonical encoding, in a buffer wiped when dropped (it holds invite secrets and
    /// override values).
    pub fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.u8(4)
            .opt(self.relay.as_deref(), |w, v| {
                w.str(v);
            })
            .u8(u8::from(self.allow_http));
        w.u32(self.invites.len() as u32);
        for i in &self.invites {
            w.raw(i.invite_id.as_bytes())
                .raw(i.secret.expose_bytes())
                .str(i.role.as_str())
                .i64(i.expires_ms);
        }
        w.u32(self.pending_joins.len() as u32);
        for p in &self.pending_joins {
            w.raw(p.invite_id.as_bytes());
            p.cert.encode(&mut w);
            w.i64(p.received_ms);
        }
        w.opt(self.joining.as_ref(), |w, j| {
            w.raw(j.invite_id.as_bytes())
                .raw(j.secret.expose_bytes())
                .u64(j.pinned_seq)
                .raw(&j.pinned_hash)
                .str(&j.label);
        })
        .opt(self.last_sync_ms, |w, v| {
            w.i64(v);
        })
        .opt(self.relay_alert.as_deref(), |w, v| {
            w.str(v);
        });
        // Version 3: what each witness co-signed, then the last state-code comparison.
        w.u32(self.witness_seen.len() as u32);
        for (key, seq) in &self.witness_seen {
            w.raw(key).u64(*seq);
        }
        w.opt(self.compared.as_ref(), |w, (seq, hash, at)| {
            w.u64(*seq).raw(hash).i64(*at);
        });
        // Version 4: overrides.
        w.u32(self.overrides.len() as u32);
        for o in &self.overrides {
            w.raw(o.vault_id.as_bytes())
                .str(&o.name)
                .str(o.value.expose())
                .i64(o.set_ms);
        }
        w.into_zeroizing()
    }

    /// Decodes [`TeamSettings::encode`].
    pub fn decode(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b, "team settings");
        let version = r.u8()?;
        if !(2..=4).contains(&version) {
            return Err(Error::Integrity("unknown team settings version".into()));
        }
        let relay = r.opt(|r| r.str(4096).map(str::to_owned))?;
        let allow_http = r.u8()? == 1;
        let n = r.u32()?;
        let mut invites = Vec::new();
        for _ in 0..n.min(10_000) {
            invites.push(IssuedInvite {
                invite_id: Uuid::from_bytes(r.array()?),
                secret: Key32::from_bytes(r.array()?),
                role: match r.str(16)? {
                    "admin" => TeamRole::Admin,
                    "member" => TeamRole::Member,
                    _ => return Err(Error::Integrity("bad invite role".into())),
                },
                expires_ms: r.i64()?,
            });
        }
        let n = r.u32()?;
        let mut pending_joins = Vec::new();
        for _ in 0..n.min(10_000) {
            pending_joins.push(PendingJoin {
                invite_id: Uuid::from_bytes(r.array()?),
                cert: DeviceCert::decode(&mut r)?,
                received_ms: r.i64()?,
            });
        }
        let joining = r.opt(|r| {
            Ok(JoinTicket {
                invite_id: Uuid::from_bytes(r.array()?),
                secret: Key32::from_bytes(r.array()?),
                pinned_seq: r.u64()?,
                pinned_hash: r.array()?,
                label: r.str(256)?.to_owned(),
            })
        })?;
        let last_sync_ms = r.opt(|r| r.i64())?;
        let relay_alert = r.opt(|r| r.str(4096).map(str::to_owned))?;
        let mut witness_seen = std::collections::BTreeMap::new();
        if version >= 3 {
            for _ in 0..r.u32()? {
                let key = r.array()?;
                witness_seen.insert(key, r.u64()?);
            }
        }
        // The last comparison (version 3; absent in settings written before it existed).
        let compared = if r.at_end() {
            None
        } else {
            r.opt(|r| Ok((r.u64()?, r.array()?, r.i64()?)))?
        };
        let mut overrides = Vec::new();
        if version >= 4 {
            for _ in 0..r.u32()? {
                overrides.push(Override {
                    vault_id: Uuid::from_bytes(r.array()?),
                    name: r.str(crate::item::MAX_NAME_LEN)?.to_owned(),
                    value: SecretString::new(r.str(crate::item::MAX_VALUE_LEN)?.to_owned()),
                    set_ms: r.i64()?,
                });
            }
        }
        r.finish()?;
        Ok(Self {
            relay,
            allow_http,
            invites,
            pending_joins,
            joining,
            last_sync_ms,
            relay_alert,
            compared,
            witness_seen,
            overrides,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_round_trip_and_older_settings_still_open() {
        let mut s = TeamSettings {
            relay: Some("https://relay.example".into()),
            last_sync_ms: Some(7),
            ..TeamSettings::default()
        };
        s.overrides.push(Override {
            vault_id: Uuid::from_u128(9),
            name: "DATABASE_URL".into(),
            value: SecretString::new("postgres://mine".into()),
            set_ms: 42,
        });
        let back = TeamSettings::decode(&s.encode()).expect("decode");
        assert_eq!(back.overrides.len(), 1);
        let o = &back.overrides[0];
        assert_eq!(
            (o.vault_id, o.name.as_str(), o.value.expose(), o.set_ms),
            (Uuid::from_u128(9), "DATABASE_URL", "postgres://mine", 42)
        );
        assert_eq!(back.relay.as_deref(), Some("https://relay.example"));

        // Version 3 (before overrides): the same bytes without the override table.
        let v3 = TeamSettings {
            overrides: Vec::new(),
            ..back.clone()
        }
        .encode();
        let mut old = v3.to_vec();
        old[0] = 3;
        old.truncate(old.len() - 4); // the empty override count
        let opened = TeamSettings::decode(&old).expect("a version 3 settings blob");
        assert!(opened.overrides.is_empty());
        assert_eq!(opened.last_sync_ms, Some(7));
        // A truncated override table is refused, not half read.
        let full = s.encode();
        assert!(TeamSettings::decode(&full[..full.len() - 3]).is_err());
    }
}
