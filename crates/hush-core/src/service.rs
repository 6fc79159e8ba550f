//! Service (CI/CD) identities: non-human members that read a few vaults and nothing else.
//!
//! A team manager creates one with [`Session::service_create`]: fresh keys are generated on the
//! manager's device, the public half goes into a signed [`Payload::ServiceCreate`] event (role
//! [`TeamRole::Service`], read access to exactly the named vaults, an expiry), and the private
//! half leaves the device once, inside the printed token. The token also pins the hash of the
//! team's first event, so a relay cannot show a pipeline a fabricated team.
//!
//! With the token, [`Session::open_service`] builds a session that lives only in memory: it
//! pulls the log from the relay, verifies every signature and hash link from the pinned genesis,
//! decrypts what the identity may read, and writes nothing to disk. Clients reject every event a
//! service identity signs (it can never write, grant or invite), the relay refuses its appends
//! and, after the expiry, its requests. Revoking is an ordinary removal and re-keys.

use std::time::Duration;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{
    AclChange, GrantedKey, KeyBundle, KeyScope, Payload, Public, SignedEvent, TeamRole,
};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::membership::ExposedInfo;
use crate::relay_client::RelayClient;
use crate::secret::{Key32, SecretString};
use crate::session::{Clock, Session};
use crate::settings::TeamSettings;
use crate::state::TeamState;
use crate::store::{Header, Store};

/// Every service token starts with this.
pub const TOKEN_PREFIX: &str = "hush_sa_";
/// The environment variable CI jobs put the token in.
pub const TOKEN_ENV: &str = "HUSH_SERVICE_TOKEN";
const TOKEN_VERSION: u8 = 1;
const CHECKSUM_LABEL: &[u8] = b"hush/v1/service-token-checksum";
/// Longest lifetime a service identity may be created with: one year (366 days, so `1y` and a
/// leap year fit). A CI token is a bearer secret in someone else's secret store; a short life
/// bounds what a leak that nobody notices can read.
pub const MAX_SERVICE_LIFETIME: Duration = Duration::from_secs(366 * 86_400);
/// Lifetime of a service identity when none is given: 90 days.
pub const DEFAULT_SERVICE_LIFETIME: Duration = Duration::from_secs(90 * 86_400);

/// What a service token carries: where to go, which team, the pinned genesis, and the
/// identity's private keys.
pub struct ServiceToken {
    /// Relay URL.
    pub relay: String,
    /// Allow plain http:// to a non-loopback relay.
    pub allow_http: bool,
    /// Team id.
    pub team_id: Uuid,
    /// Hash of the team's first event.
    pub genesis: [u8; 32],
    /// When the identity expires.
    pub expires_ms: i64,
    /// The identity itself.
    pub identity: DeviceIdentity,
}

impl ServiceToken {
    /// The printable token: `hush_sa_` + base64url of the fields and a 4-byte checksum.
    pub fn encode(&self) -> SecretString {
        let mut w = Writer::new();
        w.u8(TOKEN_VERSION)
            .str(&self.relay)
            .u8(u8::from(self.allow_http))
            .raw(self.team_id.as_bytes())
            .raw(&self.genesis)
            .i64(self.expires_ms)
            .bytes(&self.identity.to_secret_bytes());
        let mut bytes = w.into_zeroizing();
        let sum = crypto::hash(CHECKSUM_LABEL, &[&bytes]);
        bytes.extend_from_slice(&sum[..4]);
        let body = Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&bytes));
        SecretString::new(format!("{TOKEN_PREFIX}{}", body.as_str()))
    }

    /// Parses a token, with clear errors for the usual copy-and-paste accidents.
    pub fn parse(token: &str) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("{TOKEN_ENV} is not a valid token: {why}"));
        let token = token.trim();
        let body = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or_else(|| bad("it does not start with hush_sa_"))?;
        let bytes = Zeroizing::new(
            data_encoding::BASE64URL_NOPAD
                .decode(body.as_bytes())
                .map_err(|_| bad("it is damaged (not base64url); copy it again"))?,
        );
        if bytes.len() < 5 {
            return Err(bad("it is too short"));
        }
        let (content, sum) = bytes.split_at(bytes.len() - 4);
        let want = crypto::hash(CHECKSUM_LABEL, &[content]);
        if !crypto::ct_eq(&want[..4], sum) {
            return Err(bad("its checksum does not match (truncated or altered)"));
        }
        let mut r = Reader::new(content, "service token");
        if r.u8()? != TOKEN_VERSION {
            return Err(bad("unsupported token version"));
        }
        let relay = r.str(2048)?.to_owned();
        let allow_http = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(bad("malformed flag")),
        };
        let team_id = Uuid::from_bytes(r.array()?);
        let genesis = r.array()?;
        let expires_ms = r.i64()?;
        let identity = DeviceIdentity::from_secret_bytes(r.bytes(4096)?)?;
        r.finish()?;
        Ok(Self {
            relay,
            allow_http,
            team_id,
            genesis,
            expires_ms,
            identity,
        })
    }
}

/// A service identity as listed for admins.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ServiceInfo {
    /// Name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Vaults it can read (names where readable here).
    pub vaults: Vec<String>,
    /// Expiry.
    pub expires_ms: i64,
    /// active, expired or revoked.
    pub status: String,
}

/// The result of creating a service identity.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ServiceCreated {
    /// What was created.
    pub service: ServiceInfo,
    /// The token (shown once).
    #[serde(with = "crate::secret::expose_serde")]
    pub token: SecretString,
    /// Whether the creating event reached the relay (the token works only once it has).
    pub synced: bool,
}

impl Session {
    /// Creates a read-only service identity for `vaults` that expires at `expires_ms`, pushes
    /// it to the relay, and returns its token.
    pub async fn service_create(
        &mut self,
        team: Option<&str>,
        name: &str,
        vaults: &[String],
        expires_ms: i64,
    ) -> Result<ServiceCreated> {
        crate::identity::validate_display_name(name)?;
        let tid = self.active_team(team)?;
        let now = (self.clock)();
        if expires_ms <= now {
            return Err(Error::Invalid("the expiry must be in the future".into()));
        }
        if expires_ms - now > MAX_SERVICE_LIFETIME.as_millis() as i64 {
            return Err(Error::Invalid(
                "a service identity may live at most one year (366 days): use e.g. --expires 90d \
                 (the default) or 1y, and create a new one before it expires"
                    .into(),
            ));
        }
        if vaults.is_empty() {
            return Err(Error::Invalid(
                "name at least one vault with --vault".into(),
            ));
        }
        let t = self.team_ref(tid)?;
        let relay = t.settings.relay.clone().ok_or_else(|| {
            Error::Invalid(format!(
                "team `{}` has no relay; a service identity reads through one",
                self.team_label(tid)
            ))
        })?;
        let allow_http = t.settings.allow_http;
        let st = &t.state;
        if st.members.values().any(|m| m.active && m.cert.name == name) {
            return Err(Error::Exists(format!("member or service `{name}`")));
        }
        let mut vault_ids = Vec::new();
        for v in vaults {
            let (vt, vid) = self.locate_vault(Some(&st.name), None, v)?;
            if vt != tid {
                return Err(Error::NotFound(format!("vault `{v}` in this team")));
            }
            if !vault_ids.contains(&vid) {
                vault_ids.push(vid);
            }
        }
        let identity = DeviceIdentity::generate(name)?;
        let cert = identity.cert();
        let genesis = self.genesis_hash(tid).await?;
        let (payload, public) = self.build_service(tid, &cert, &vault_ids, expires_ms)?;
        self.append(tid, payload, public).await?;
        let synced = self.sync_team(tid).await.is_ok()
            && self.store.pending_count(tid).await.unwrap_or(1) == 0;
        let token = ServiceToken {
            relay,
            allow_http,
            team_id: tid,
            genesis,
            expires_ms,
            identity,
        }
        .encode();
        let service = self
            .service_list(Some(&tid.to_string()))?
            .into_iter()
            .find(|s| s.id == cert.device_id)
            .ok_or_else(|| Error::Integrity("created service missing".into()))?;
        Ok(ServiceCreated {
            service,
            token,
            synced,
        })
    }

    /// The team's service identities, revoked and expired ones included.
    pub fn service_list(&self, team: Option<&str>) -> Result<Vec<ServiceInfo>> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let now = (self.clock)();
        let mut out: Vec<ServiceInfo> = st
            .members
            .values()
            .filter(|m| m.is_service())
            .map(|m| {
                let id = m.cert.device_id;
                let mut vaults: Vec<String> = st
                    .vaults
                    .values()
                    .filter(|v| v.access.contains_key(&id))
                    .map(|v| v.name.clone().unwrap_or_else(|| v.id.to_string()))
                    .collect();
                vaults.sort();
                ServiceInfo {
                    name: m.cert.name.clone(),
                    id,
                    vaults,
                    expires_ms: m.expires_ms.unwrap_or_default(),
                    status: if !m.active {
                        "revoked"
                    } else if m.is_live(now) {
                        "active"
                    } else {
                        "expired"
                    }
                    .into(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Revokes a service identity: a removal, which re-keys the log and its vaults. Returns the
    /// secrets it could read (to rotate if the token may have leaked).
    pub async fn service_revoke(
        &mut self,
        team: Option<&str>,
        name: &str,
    ) -> Result<(ServiceInfo, Vec<ExposedInfo>)> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let matches: Vec<Uuid> = st
            .members
            .values()
            .filter(|m| m.active && m.is_service())
            .filter(|m| m.cert.name == name || m.cert.device_id.to_string() == name)
            .map(|m| m.cert.device_id)
            .collect();
        let device = match matches.as_slice() {
            [d] => *d,
            [] => return Err(Error::NotFound(format!("active service identity `{name}`"))),
            _ => {
                return Err(Error::Ambiguous(format!(
                    "`{name}` matches several service identities; use its id"
                )));
            }
        };
        let (_, exposed) = self
            .remove_member(Some(&tid.to_string()), &device.to_string())
            .await?;
        let info = self
            .service_list(Some(&tid.to_string()))?
            .into_iter()
            .find(|s| s.id == device)
            .ok_or_else(|| Error::Integrity("revoked service missing".into()))?;
        Ok((info, exposed))
    }

    /// The event creating a service identity, with its key bundle built from the keys held now
    /// (also used to rebuild it on a newer head after a sync).
    pub(crate) fn build_service(
        &self,
        tid: Uuid,
        cert: &DeviceCert,
        vault_ids: &[Uuid],
        expires_ms: i64,
    ) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        let mut keys: Vec<GrantedKey> = st.keys_for(KeyScope::Log);
        for vid in vault_ids {
            keys.extend(st.keys_for(KeyScope::Vault(*vid)));
        }
        let bundle = KeyBundle::seal(&st.bundle_place(self.identity.device_id), cert, &keys)?;
        Ok((
            Payload::ServiceCreate {
                member: cert.clone(),
                vaults: vault_ids.to_vec(),
                expires_ms,
            },
            Public {
                bundles: vec![bundle],
                acl: vec![AclChange::AddService {
                    device_id: cert.device_id,
                    auth_pk: cert.auth_pk,
                    expires_ms,
                }],
            },
        ))
    }

    async fn genesis_hash(&self, tid: Uuid) -> Result<[u8; 32]> {
        let rows = self.store.events(tid, None).await?;
        let first = rows
            .first()
            .ok_or_else(|| Error::Integrity("the team log is empty".into()))?;
        first
            .hash
            .as_slice()
            .try_into()
            .map_err(|_| Error::Integrity("malformed stored hash".into()))
    }

    /// A session for a service token that lives only in memory: pulls and verifies the team
    /// log from the pinned genesis and decrypts what the identity may read. Nothing is written
    /// to disk.
    pub async fn open_service(token: &str, clock: Clock) -> Result<Self> {
        let token = ServiceToken::parse(token)?;
        let now = clock();
        if now >= token.expires_ms {
            return Err(Error::Forbidden(format!(
                "service identity `{}` expired on {}; ask a team admin for a new one",
                token.identity.name,
                crate::item::format_time_ms(token.expires_ms)
            )));
        }
        let client = RelayClient::new(&token.relay, token.allow_http)?;
        let tid = token.team_id;
        let me = &token.identity;
        let refused = |e: Error| match e {
            Error::Relay(m) if m.contains("not an active member") => Error::Forbidden(format!(
                "the relay refused service identity `{}`: it was revoked, or the event that \
                 created it has not reached the relay yet",
                me.name
            )),
            other => other,
        };
        let head = client.head(me, &tid, now).await.map_err(refused)?;
        let until = head
            .seq
            .ok_or_else(|| Error::Relay("the relay has no log for this team".into()))?;
        let pulled = client
            .pull(me, &tid, None, until, now)
            .await
            .map_err(refused)?;
        let lied = |why: String| {
            Error::Integrity(format!(
                "the relay's answer does not verify ({why}); not trusting it"
            ))
        };
        let events: Vec<SignedEvent> = pulled
            .iter()
            .map(|b| SignedEvent::decode(b))
            .collect::<Result<_>>()
            .map_err(|e| lied(format!("malformed event: {e}")))?;
        match events.first() {
            Some(first) if crypto::ct_eq(&first.hash(), &token.genesis) => {}
            _ => {
                return Err(lied(
                    "its first event is not the team genesis pinned in the token".into(),
                ));
            }
        }
        let mut st = TeamState::new(tid);
        st.preload_keys(crate::state::bundled_keys(&events, me));
        let mut rows = Vec::with_capacity(events.len());
        for (ev, bytes) in events.iter().zip(pulled) {
            let checked = st
                .check(ev, me, true)
                .map_err(|e| lied(format!("event {}: {e}", ev.envelope.seq)))?;
            st.commit(checked);
            rows.push((ev.envelope.seq, ev.hash(), bytes));
        }
        let hashes: Vec<[u8; 32]> = rows.iter().map(|r| r.1).collect();
        crate::witness::check_whole_log(&st.witnesses, token.allow_http, me, tid, &hashes, &clock)
            .await?;
        match st.members.get(&me.device_id) {
            Some(m) if m.role == TeamRole::Service && m.active => {
                if !m.is_live(now) {
                    return Err(Error::Forbidden(format!(
                        "service identity `{}` has expired",
                        me.name
                    )));
                }
            }
            Some(m) if m.role == TeamRole::Service => {
                return Err(Error::Forbidden(format!(
                    "service identity `{}` was revoked",
                    me.name
                )));
            }
            _ => {
                return Err(lied(
                    "the log does not contain this service identity".into(),
                ));
            }
        }
        // The head this identity verified on an earlier run, kept on the relay signed with its
        // own key (see `service_note`): a log older than that, or another history, is refused.
        let log_head = st
            .head
            .ok_or_else(|| lied("the team log is empty".into()))?;
        // The token may expire between the pull and these requests: say so, not "refused".
        let expired_meanwhile = |e: Error| {
            if clock() >= token.expires_ms {
                Error::Forbidden(format!(
                    "service identity `{}` expired on {}; ask a team admin for a new one",
                    me.name,
                    crate::item::format_time_ms(token.expires_ms)
                ))
            } else {
                e
            }
        };
        let seen = match client
            .head_note(me, &tid, now)
            .await
            .map_err(expired_meanwhile)?
        {
            Some(bytes) => {
                let note = crate::service_note::HeadNote::open(&bytes, me, &tid)?;
                note.check(log_head, |seq| {
                    rows.get(usize::try_from(seq).ok()?).map(|r| r.1)
                })?;
                Some((note.seq, note.hash))
            }
            None => None,
        };
        if seen != Some(log_head) {
            let note = crate::service_note::HeadNote {
                team_id: tid,
                device_id: me.device_id,
                seq: log_head.0,
                hash: log_head.1,
            };
            client
                .put_head_note(me, &tid, note.sign(me), now)
                .await
                .map_err(expired_meanwhile)?;
        }

        let account = Key32::random();
        let id_key = crypto::subkey(&account, b"hush/v1/identity");
        let header = Header {
            device_id: me.device_id,
            kdf: crate::crypto::KdfParams::DEFAULT,
            salt: [0; 16],
            account_key: Vec::new(),
            identity: crypto::seal(
                &id_key,
                &crate::session::identity_ad(&me.device_id, true),
                &me.to_secret_bytes(),
            ),
            selected_team: Some(tid),
        };
        let store = Store::create_in_memory(&header, crate::session::teams_key(&account)).await?;
        let settings = TeamSettings {
            relay: Some(token.relay.clone()),
            allow_http: token.allow_http,
            last_sync_ms: Some(now),
            ..TeamSettings::default()
        };
        let settings_key = crypto::subkey(&account, b"hush/v1/settings");
        store
            .insert_team(
                tid,
                &crypto::seal(&settings_key, tid.as_bytes(), &settings.encode()),
            )
            .await?;
        let head = st
            .head
            .map(|(s, h)| (s, h, crate::session::checkpoint_mac(&account, &tid, s, &h)));
        store.store_pulled(tid, &rows, head).await?;
        let ServiceToken { identity, .. } = token;
        let mut session = Session::from_parts(store, account, identity, clock);
        session.install_team(tid, st, settings);
        Ok(session)
    }

    /// True when this session belongs to a service identity (read-only, in memory).
    pub fn is_service(&self) -> bool {
        self.teams.values().any(|t| {
            t.state
                .members
                .get(&self.identity.device_id)
                .is_some_and(|m| m.is_service())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> ServiceToken {
        ServiceToken {
            relay: "https://relay.example.com".into(),
            allow_http: false,
            team_id: Uuid::new_v4(),
            genesis: [7; 32],
            expires_ms: 1_900_000_000_000,
            identity: DeviceIdentity::generate("ci-deploy").expect("identity"),
        }
    }

    #[test]
    fn a_token_round_trips_and_keeps_the_identity() {
        let t = token();
        let s = t.encode();
        assert!(s.expose().starts_with(TOKEN_PREFIX));
        let back = ServiceToken::parse(&format!("  {}\n", s.expose())).expect("parse");
        assert_eq!(back.relay, t.relay);
        assert_eq!(back.team_id, t.team_id);
        assert_eq!(back.genesis, t.genesis);
        assert_eq!(back.expires_ms, t.expires_ms);
        assert_eq!(back.identity.cert(), t.identity.cert());
    }

    #[test]
    fn damaged_tokens_are_clear_errors() {
        let s = token().encode();
        let full = s.expose();
        let mut cases = vec![
            full[..full.len() - 1].to_owned(),
            full.replacen("hush_sa_", "hush_sb_", 1),
            format!("{full}A"),
            "hush_sa_".to_owned(),
            "hush_sa_!!!!".to_owned(),
        ];
        // Every single-character substitution in the body is caught by the checksum.
        for i in (TOKEN_PREFIX.len()..full.len()).step_by(7) {
            let mut b = full.as_bytes().to_vec();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            cases.push(String::from_utf8(b).expect("ascii"));
        }
        for c in cases {
            let err = ServiceToken::parse(&c).err().expect("refused");
            let msg = err.to_string();
            assert!(
                msg.contains("not a valid token") || msg.contains("service token"),
                "{msg}"
            );
            assert!(
                !msg.contains(&full[20..40]),
                "error echoes the token: {msg}"
            );
        }
    }
}
