//! An unlocked store: the one core API that the CLI, the agent and the desktop shell all call.
//!
//! Key schedule (see `docs/PROTOCOL.md`):
//! ```text
//! password --Argon2id(salt, m, t, p)--> KEK --XChaCha20-Poly1305(AD = header)--> account key
//! account key --HKDF("hush/v1/identity")--> seals the device identity
//!             --HKDF("hush/v1/settings")--> seals per-team settings
//!             --HKDF("hush/v1/checkpoint")--> MACs each team's stored head
//!             --HKDF("hush/v1/store-teams")--> MACs the set of teams and their heads
//! team log key[epoch]   seals event bodies      (reaches devices in HPKE key bundles)
//! vault key[epoch]      seals names and values  (reaches devices in HPKE key bundles)
//! ```
//! Team and vault keys are never stored outside the log: opening a store replays each log and
//! opens the key bundles addressed to this device. So the local state is exactly a projection
//! of the log, and changing the password rewraps one 32-byte key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::address::Address;
use crate::codec::Writer;
use crate::crypto::{self, KdfParams};
use crate::error::{Error, Hint, Result};
use crate::event::{
    AclChange, Body, Envelope, GrantedKey, KeyBundle, KeyScope, Payload, Public, PutKind,
    SignedEvent,
};
use crate::identity::{DeviceIdentity, fingerprint};
use crate::item::{ItemMeta, ItemSlot, vault_name_ad};
use crate::secret::{Key32, SecretString};
use crate::state::{Item, TeamState, VaultState};
use crate::store::{Append, Header, Store};

/// The name of the team created by `hush init`.
pub const PERSONAL_TEAM: &str = "personal";

/// A source of "now" in milliseconds since the Unix epoch (injectable for tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

pub use crate::settings::TeamSettings;

/// Who this device is.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WhoAmI {
    /// Display name.
    pub name: String,
    /// Device id.
    pub device_id: Uuid,
    /// Safety number.
    pub fingerprint: String,
}

/// A team, as listed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamInfo {
    /// Team id.
    pub id: Uuid,
    /// Team name.
    pub name: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Whether it is selected.
    pub selected: bool,
    /// Number of readable vaults.
    pub vaults: usize,
}

/// A vault, as listed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VaultInfo {
    /// Team name.
    pub team: String,
    /// Vault id.
    pub id: Uuid,
    /// Vault name.
    pub name: String,
    /// Number of live secrets.
    pub secrets: usize,
}

/// A secret, as listed (never with its value).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SecretInfo {
    /// Team name.
    pub team: String,
    /// Vault name.
    pub vault: String,
    /// Secret name.
    pub name: String,
    /// Current version.
    pub version: u32,
    /// Time of the current version.
    pub updated_ms: i64,
    /// Metadata of the current version.
    pub meta: ItemMeta,
    /// Set when the value must be rotated (a member who could read it lost access).
    #[serde(default)]
    pub exposed: Option<crate::state::Exposure>,
    /// Versions in conflict (empty when none).
    #[serde(default)]
    pub conflict: Vec<u32>,
}

/// A secret with a rotation period is due this many days before its deadline.
pub const ROTATION_DUE_DAYS: i64 = 7;
/// A secret with an expiry date is due this many days before it.
pub const EXPIRY_DUE_DAYS: i64 = 14;

/// Where a secret stands against its rotation period and expiry date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RotationState {
    /// No period and no expiry set.
    None,
    /// Within its period and far from expiry.
    Ok,
    /// Within [`ROTATION_DUE_DAYS`] of its rotation deadline or [`EXPIRY_DUE_DAYS`] of its expiry.
    Due,
    /// Past its rotation period.
    Overdue,
    /// Past its expiry date.
    Expired,
}

impl SecretInfo {
    /// The rotation state at `now_ms`.
    pub fn rotation_state(&self, now_ms: i64) -> RotationState {
        const DAY: i64 = 86_400_000;
        let today = now_ms.div_euclid(DAY);
        let expiry = self
            .meta
            .expires
            .as_deref()
            .and_then(|d| crate::item::parse_date(d).ok());
        if let Some(e) = expiry
            && today > e
        {
            return RotationState::Expired;
        }
        let deadline = self
            .meta
            .rotate_every_days
            .map(|d| self.updated_ms + i64::from(d) * DAY);
        if let Some(dl) = deadline
            && now_ms > dl
        {
            return RotationState::Overdue;
        }
        let due_rotation = deadline.is_some_and(|dl| now_ms > dl - ROTATION_DUE_DAYS * DAY);
        let due_expiry = expiry.is_some_and(|e| today > e - EXPIRY_DUE_DAYS);
        match (deadline, expiry) {
            (None, None) => RotationState::None,
            _ if due_rotation || due_expiry => RotationState::Due,
            _ => RotationState::Ok,
        }
    }
}

/// One version in a history listing.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VersionInfo {
    /// Version number.
    pub version: u32,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author's display name (or device id when unknown).
    pub author: String,
    /// Set or rotation.
    pub kind: PutKind,
    /// The value, only when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_secret")]
    pub value: Option<SecretString>,
}

mod opt_secret {
    use crate::secret::SecretString;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(v.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(SecretString::new))
    }
}

/// Changes to a secret's metadata; `None` keeps the previous value.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct MetaUpdate {
    /// New note.
    pub note: Option<String>,
    /// New tags (replace the old set).
    pub tags: Option<Vec<String>>,
    /// New URL.
    pub url: Option<String>,
    /// New scope note.
    pub scope: Option<String>,
    /// New expiry date (`YYYY-MM-DD`).
    pub expires: Option<String>,
    /// New rotation period in days.
    pub rotate_every_days: Option<u32>,
}

/// A search result.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SearchHit {
    /// The secret.
    pub secret: SecretInfo,
    /// Match score (higher is better).
    pub score: u32,
}

pub(crate) struct Team {
    pub(crate) state: TeamState,
    pub(crate) settings: TeamSettings,
}

/// An unlocked store.
pub struct Session {
    pub(crate) store: Store,
    pub(crate) account: Key32,
    pub(crate) identity: DeviceIdentity,
    pub(crate) teams: BTreeMap<Uuid, Team>,
    pub(crate) selected: Option<Uuid>,
    pub(crate) clock: Clock,
    /// What the store looked like when loaded (to notice writes by other processes).
    seen: Vec<(Uuid, Option<Vec<u8>>, Vec<u8>)>,
    search_index: Option<SearchIndex>,
    searcher: crate::search::Searcher,
}

/// Every team's head: (team id, (seq, hash)).
type Heads = Vec<(Uuid, Option<(u64, [u8; 32])>)>;

/// What search runs over, valid for the team heads it was built at.
struct SearchIndex {
    heads: Heads,
    entries: Vec<(String, SecretInfo)>,
}

fn account_key_ad(device_id: &Uuid, kdf: &KdfParams, salt: &[u8; 16]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/account-key")
        .u32(crate::store::FORMAT as u32)
        .raw(device_id.as_bytes())
        .u32(kdf.m_kib)
        .u32(kdf.t)
        .u32(kdf.p)
        .raw(salt);
    w.into_vec()
}

/// Associated data of the sealed device identity. A store that commits to its set of teams
/// (see `store`) seals its identity under a different label than a store written before the
/// commitment existed, so stripping the commitment from the header cannot pass the store off as
/// an old one: the identity would no longer open.
pub fn identity_ad(device_id: &Uuid, committed: bool) -> Vec<u8> {
    if committed {
        [
            b"hush/v1/identity-committed".as_slice(),
            device_id.as_bytes(),
        ]
        .concat()
    } else {
        device_id.as_bytes().to_vec()
    }
}

/// The key of the store's team commitment.
pub(crate) fn teams_key(account: &Key32) -> Key32 {
    crypto::subkey(account, crate::store::TEAMS_KEY_LABEL)
}

/// Opens the sealed device identity of `store` with the account key. Returns it with whether the
/// store commits to its teams (false only for a store written before the commitment existed).
/// A committed store whose commitment was removed from the header is an integrity error.
pub async fn open_identity(store: &Store, account: &Key32) -> Result<(DeviceIdentity, bool)> {
    let header = store.header().await?;
    let committed = store.has_team_commitment().await?;
    let id_key = crypto::subkey(account, b"hush/v1/identity");
    let open = |committed: bool| {
        crypto::open(
            &id_key,
            &identity_ad(&header.device_id, committed),
            &header.identity,
            "device identity",
        )
    };
    let plain = match open(committed) {
        Ok(p) => p,
        Err(e) if !committed => {
            if open(true).is_ok() {
                return Err(Error::Integrity(
                    "the store's commitment to its teams was removed from the header".into(),
                ));
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let identity = DeviceIdentity::from_secret_bytes(&plain)?;
    if identity.device_id != header.device_id {
        return Err(Error::Integrity(
            "device identity does not match the header".into(),
        ));
    }
    Ok((identity, committed))
}

pub(crate) fn checkpoint_mac(account: &Key32, team: &Uuid, seq: u64, hash: &[u8; 32]) -> [u8; 32] {
    let k = crypto::subkey(account, b"hush/v1/checkpoint");
    crypto::mac(&k, &[team.as_bytes(), &seq.to_be_bytes(), hash])
}

/// Keys handed to this device in the key bundles of `events` (bundles that do not open are
/// skipped: the events carrying them fail verification when applied).
pub fn bundled_keys(events: &[SignedEvent], me: &DeviceIdentity) -> Vec<GrantedKey> {
    let mut keys = Vec::new();
    for ev in events {
        for b in ev
            .public
            .bundles
            .iter()
            .filter(|b| b.recipient == me.device_id)
        {
            if let Ok(k) = b.open(
                &crate::event::BundlePlace::of(&ev.envelope),
                me.encryption_secret(),
            ) {
                keys.extend(k);
            }
        }
    }
    keys
}

/// The `SecretPut` of the next version of `item_id` in vault `v` of team state `st`, sealed under
/// the vault's current key (the caller has checked write access). Returns it with its version.
pub(crate) fn seal_put(
    st: &TeamState,
    v: &crate::state::VaultState,
    item_id: Uuid,
    base_version: u32,
    kind: PutKind,
    meta: &ItemMeta,
    value: &SecretString,
) -> Result<(Payload, u32)> {
    let key_epoch = v.key_epoch;
    let version = v.items.get(&item_id).map_or(1, |i| i.current().version + 1);
    let key = st
        .key(KeyScope::Vault(v.id), key_epoch)
        .ok_or_else(|| Error::Forbidden("this device holds no key for the vault".into()))?;
    let slot = ItemSlot {
        team_id: st.team_id,
        vault_id: v.id,
        item_id,
        version,
        key_epoch,
    };
    let payload = Payload::SecretPut {
        vault_id: v.id,
        item_id,
        version,
        base_version,
        key_epoch,
        kind,
        meta_ct: slot.seal_meta(key, meta),
        value_ct: slot.seal_value(key, value),
    };
    Ok((payload, version))
}

/// Reads the account key from the store with a password.
pub async fn unwrap_account_key(store: &Store, password: &SecretString) -> Result<Key32> {
    let h = store.header().await?;
    h.kdf.check_floor()?;
    let kek = h.kdf.derive(password.expose().as_bytes(), &h.salt)?;
    let plain = crypto::open(
        &kek,
        &account_key_ad(&h.device_id, &h.kdf, &h.salt),
        &h.account_key,
        "account key",
    )
    .map_err(|_| Error::WrongPassword)?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| Error::Integrity("account key has the wrong length".into()))?;
    Ok(Key32::from_bytes(bytes))
}

fn wrap_account_key(
    account: &Key32,
    password: &SecretString,
    device_id: &Uuid,
    kdf: KdfParams,
) -> Result<([u8; 16], Vec<u8>)> {
    if password.is_empty() {
        return Err(Error::Invalid(
            "the master password must not be empty".into(),
        ));
    }
    let salt: [u8; 16] = crypto::random_array();
    let kek = kdf.derive(password.expose().as_bytes(), &salt)?;
    let wrapped = crypto::seal(
        &kek,
        &account_key_ad(device_id, &kdf, &salt),
        account.expose_bytes(),
    );
    Ok((salt, wrapped))
}

impl Session {
    /// Creates identity and store under `home`, and the local team "personal" (selected).
    pub async fn init(
        home: &Path,
        name: &str,
        password: &SecretString,
        kdf: KdfParams,
        clock: Clock,
    ) -> Result<Self> {
        if Store::exists(home) {
            return Err(Error::AlreadyInitialized(home.to_owned()));
        }
        let identity = DeviceIdentity::generate(name)?;
        let account = Key32::random();
        let (salt, wrapped) = wrap_account_key(&account, password, &identity.device_id, kdf)?;
        let id_key = crypto::subkey(&account, b"hush/v1/identity");
        let identity_ct = crypto::seal(
            &id_key,
            &identity_ad(&identity.device_id, true),
            &identity.to_secret_bytes(),
        );
        let header = Header {
            device_id: identity.device_id,
            kdf,
            salt,
            account_key: wrapped,
            identity: identity_ct,
            selected_team: None,
        };
        let store = Store::create(home, &header, teams_key(&account)).await?;
        let mut s = Self {
            store,
            account,
            identity,
            teams: BTreeMap::new(),
            selected: None,
            clock,
            seen: Vec::new(),
            search_index: None,
            searcher: crate::search::Searcher::new(),
        };
        s.team_create(PERSONAL_TEAM, None, false).await?;
        Ok(s)
    }

    /// A session over an already prepared store and identity, with no teams loaded.
    pub(crate) fn from_parts(
        store: Store,
        account: Key32,
        identity: DeviceIdentity,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            account,
            identity,
            teams: BTreeMap::new(),
            selected: None,
            clock,
            seen: Vec::new(),
            search_index: None,
            searcher: crate::search::Searcher::new(),
        }
    }

    /// Adds a team whose state was built and verified elsewhere, and selects it.
    pub(crate) fn install_team(&mut self, tid: Uuid, state: TeamState, settings: TeamSettings) {
        self.teams.insert(tid, Team { state, settings });
        self.selected = Some(tid);
    }

    /// Opens the store under `home` with the master password.
    pub async fn unlock(home: &Path, password: &SecretString, clock: Clock) -> Result<Self> {
        let store = Store::open(home).await?;
        let account = unwrap_account_key(&store, password).await?;
        Self::load(store, account, clock).await
    }

    /// Opens the store with an already unwrapped account key (handed over to the agent).
    pub async fn unlock_with_key(home: &Path, account: Key32, clock: Clock) -> Result<Self> {
        let store = Store::open(home).await?;
        Self::load(store, account, clock).await
    }

    async fn load(store: Store, account: Key32, clock: Clock) -> Result<Self> {
        let header = store.header().await?;
        let (identity, committed) = open_identity(&store, &account).await?;
        let tkey = teams_key(&account);
        if committed {
            // Before anything else: a team whose rows were deleted, or rolled back to an older
            // checkpoint, is refused here (the per-team checks below cannot see it).
            store.verify_teams(&tkey).await?;
        }
        store.set_teams_key(tkey);
        let mut s = Self {
            store,
            account,
            identity,
            teams: BTreeMap::new(),
            selected: header.selected_team,
            clock,
            seen: Vec::new(),
            search_index: None,
            searcher: crate::search::Searcher::new(),
        };
        let settings_key = crypto::subkey(&s.account, b"hush/v1/settings");
        for row in s.store.teams().await? {
            let plain = crypto::open(
                &settings_key,
                row.team_id.as_bytes(),
                &row.settings,
                "team settings",
            )?;
            let settings = TeamSettings::decode(&plain)?;
            let mut team = Team {
                state: TeamState::new(row.team_id),
                settings,
            };
            s.replay(&mut team, None).await?;
            let head = team.state.head;
            match (&row.checkpoint, head) {
                (None, None) => {}
                (Some((seq, hash, mac)), Some((hseq, hhash))) if *seq == hseq && *hash == hhash => {
                    let want = checkpoint_mac(&s.account, &row.team_id, *seq, hash);
                    if !crypto::ct_eq(&want, mac) {
                        return Err(Error::Integrity(
                            "the local log checkpoint MAC does not match".into(),
                        ));
                    }
                }
                _ => {
                    return Err(Error::Integrity(
                        "the local log does not match its checkpoint".into(),
                    ));
                }
            }
            s.teams.insert(row.team_id, team);
        }
        if !committed {
            // A store written before the team commitment existed, now verified team by team:
            // commit to what it holds, and reseal the identity so the commitment cannot be
            // stripped again unnoticed.
            let id_key = crypto::subkey(&s.account, b"hush/v1/identity");
            let resealed = crypto::seal(
                &id_key,
                &identity_ad(&s.identity.device_id, true),
                &s.identity.to_secret_bytes(),
            );
            s.store.commit_teams_with_identity(&resealed).await?;
        }
        s.seen = s.store.heads().await?;
        Ok(s)
    }

    /// Records the store's current heads as seen (after this session's own writes), so that
    /// [`Session::refresh`] reloads only for writes by other processes.
    pub async fn mark_seen(&mut self) -> Result<()> {
        self.seen = self.store.heads().await?;
        Ok(())
    }

    /// Applies stored events after `after` to `team`, checking the stored hash chain.
    async fn replay(&self, team: &mut Team, after: Option<u64>) -> Result<()> {
        let mut events = Vec::new();
        for row in self.store.events(team.state.team_id, after).await? {
            let ev = SignedEvent::decode(&row.bytes)?;
            if ev.envelope.seq != row.seq || !crypto::ct_eq(&ev.hash(), &row.hash) {
                return Err(Error::Integrity(format!(
                    "stored event {} does not match its row",
                    row.seq
                )));
            }
            events.push(ev);
        }
        // A device that joined later holds keys for early events only through bundles that
        // come later in the log: read those first.
        team.state
            .preload_keys(bundled_keys(&events, &self.identity));
        for ev in &events {
            team.state.apply(ev, &self.identity, false)?;
        }
        Ok(())
    }

    /// Picks up events other processes wrote since this session loaded.
    pub async fn refresh(&mut self) -> Result<()> {
        let stored = self.store.heads().await?;
        if stored != self.seen {
            let fresh =
                Self::load(self.store.clone(), self.account.clone(), self.clock.clone()).await?;
            *self = fresh;
        } else {
            self.selected = self.store.header().await?.selected_team;
        }
        Ok(())
    }

    /// The account key (handed to the agent at unlock).
    pub fn account_key(&self) -> &Key32 {
        &self.account
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.store.home()
    }

    /// This device.
    pub fn whoami(&self) -> WhoAmI {
        let cert = self.identity.cert();
        WhoAmI {
            name: self.identity.name.clone(),
            device_id: cert.device_id,
            fingerprint: fingerprint(&cert.sign_pk, &cert.enc_pk),
        }
    }

    /// Changes the master password: rewraps the account key; nothing else is re-encrypted.
    pub async fn change_password(&mut self, new_password: &SecretString) -> Result<()> {
        let kdf = KdfParams::DEFAULT;
        let (salt, wrapped) =
            wrap_account_key(&self.account, new_password, &self.identity.device_id, kdf)?;
        self.store.rewrap(kdf, &salt, &wrapped).await
    }

    pub(crate) fn team_by_name(&self, name: &str) -> Result<Uuid> {
        // Front ends that list teams may refer to them by id.
        if let Ok(id) = Uuid::parse_str(name)
            && self.teams.contains_key(&id)
        {
            return Ok(id);
        }
        let found: Vec<Uuid> = self
            .teams
            .iter()
            .filter(|(_, t)| t.state.name == name)
            .map(|(id, _)| *id)
            .collect();
        match found.as_slice() {
            [id] => Ok(*id),
            [] => Err(Error::NotFound(format!("team `{name}`"))),
            _ => Err(Error::Ambiguous(format!(
                "more than one team is named `{name}`"
            ))),
        }
    }

    /// The team a command acts on: the named one, else the selected one.
    pub fn active_team(&self, team: Option<&str>) -> Result<Uuid> {
        match team {
            Some(name) => self.team_by_name(name),
            None => self
                .selected
                .filter(|id| self.teams.contains_key(id))
                .ok_or_else(|| Error::NotFound("selected team".into()).with_hint(Hint::SelectTeam)),
        }
    }

    /// Creates a team (with this device as owner) and selects it.
    pub async fn team_create(
        &mut self,
        name: &str,
        relay: Option<String>,
        allow_http: bool,
    ) -> Result<TeamInfo> {
        crate::item::validate_name(name, "team")?;
        if self.teams.values().any(|t| t.state.name == name) {
            return Err(Error::Exists(format!("team `{name}`")));
        }
        let team_id = Uuid::new_v4();
        let settings = TeamSettings {
            relay,
            allow_http,
            ..TeamSettings::default()
        };
        let settings_key = crypto::subkey(&self.account, b"hush/v1/settings");
        self.store
            .insert_team(
                team_id,
                &crypto::seal(&settings_key, team_id.as_bytes(), &settings.encode()),
            )
            .await?;
        self.teams.insert(
            team_id,
            Team {
                state: TeamState::new(team_id),
                settings,
            },
        );
        let log_key = Key32::random();
        let genesis = TeamState::new(team_id);
        let bundle = KeyBundle::seal(
            &genesis.bundle_place(self.identity.device_id),
            &self.identity.cert(),
            &[GrantedKey {
                scope: KeyScope::Log,
                epoch: 0,
                key: log_key.clone(),
            }],
        )?;
        let payload = Payload::TeamCreate {
            name: name.to_owned(),
            creator: self.identity.cert(),
            log_commit: genesis.commit_to(KeyScope::Log, 0, &log_key),
        };
        let cert = self.identity.cert();
        let public = Public {
            bundles: vec![bundle],
            acl: vec![AclChange::Add {
                device_id: cert.device_id,
                auth_pk: cert.auth_pk,
                manager: true,
            }],
        };
        self.append_with_key(team_id, payload, public, Some(&log_key))
            .await?;
        self.team_use_id(team_id).await?;
        self.team_info(team_id)
    }

    pub(crate) fn team_info(&self, id: Uuid) -> Result<TeamInfo> {
        let t = self
            .teams
            .get(&id)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        Ok(TeamInfo {
            id,
            name: t.state.name.clone(),
            relay: t.settings.relay.clone(),
            selected: self.selected == Some(id),
            vaults: t.state.vaults.values().filter(|v| v.readable()).count(),
        })
    }

    /// All teams, by name.
    pub fn team_list(&self) -> Vec<TeamInfo> {
        let mut v: Vec<TeamInfo> = self
            .teams
            .keys()
            .filter_map(|id| self.team_info(*id).ok())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// While this device waits to be admitted to a team it asked to join: the safety code to
    /// read to the inviter (the one `join` printed). `None` for any other team.
    pub fn join_safety_code(&self, team_id: Uuid) -> Option<String> {
        let ticket = self.teams.get(&team_id)?.settings.joining.as_ref()?;
        Some(crate::invite::safety_code(
            &ticket.secret,
            &self.identity.cert(),
        ))
    }

    /// Selects a team by name.
    pub async fn team_use(&mut self, name: &str) -> Result<TeamInfo> {
        let id = self.team_by_name(name)?;
        self.team_use_id(id).await?;
        self.team_info(id)
    }

    async fn team_use_id(&mut self, id: Uuid) -> Result<()> {
        self.store.select_team(id).await?;
        self.selected = Some(id);
        Ok(())
    }

    /// Creates a vault in the active team.
    pub async fn vault_create(&mut self, team: Option<&str>, name: &str) -> Result<VaultInfo> {
        crate::item::validate_name(name, "vault")?;
        let team_id = self.active_team(team)?;
        let t = &self.teams[&team_id];
        if t.state
            .vaults
            .values()
            .any(|v| v.name.as_deref() == Some(name))
        {
            return Err(Error::Exists(format!(
                "vault `{name}` in team `{}`",
                t.state.name
            )));
        }
        let (payload, public, vault_id) =
            self.build_vault_create(&self.team_ref(team_id)?.state, name)?;
        self.append(team_id, payload, public).await?;
        self.vault_info(team_id, vault_id)
    }

    /// The payload of a new vault (its key goes to this device in a bundle).
    pub(crate) fn build_vault_create(
        &self,
        st: &TeamState,
        name: &str,
    ) -> Result<(Payload, Public, Uuid)> {
        let tid = st.team_id;
        let vault_id = Uuid::new_v4();
        let vault_key = Key32::random();
        let name_ct = crypto::seal(
            &vault_key,
            &vault_name_ad(&tid, &vault_id, 0),
            name.as_bytes(),
        );
        let key_commit = st.commit_to(KeyScope::Vault(vault_id), 0, &vault_key);
        let bundle = KeyBundle::seal(
            &st.bundle_place(self.identity.device_id),
            &self.identity.cert(),
            &[GrantedKey {
                scope: KeyScope::Vault(vault_id),
                epoch: 0,
                key: vault_key,
            }],
        )?;
        let payload = Payload::VaultCreate {
            vault_id,
            key_epoch: 0,
            name_ct,
            key_commit,
        };
        Ok((payload, Public::bundles(vec![bundle]), vault_id))
    }

    fn vault_info(&self, team_id: Uuid, vault_id: Uuid) -> Result<VaultInfo> {
        let t = &self.teams[&team_id];
        let v = t
            .state
            .vaults
            .get(&vault_id)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        Ok(VaultInfo {
            team: t.state.name.clone(),
            id: vault_id,
            name: v.name.clone().unwrap_or_default(),
            secrets: v.live_items().len(),
        })
    }

    /// Vaults of the active team, by name.
    pub fn vault_list(&self, team: Option<&str>) -> Result<Vec<VaultInfo>> {
        let team_id = self.active_team(team)?;
        let mut v: Vec<VaultInfo> = self.teams[&team_id]
            .state
            .vaults
            .values()
            .filter(|v| v.readable())
            .filter_map(|v| self.vault_info(team_id, v.id).ok())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// Finds a vault: in the named team, else in the active team, else in exactly one other team.
    pub(crate) fn locate_vault(
        &self,
        team: Option<&str>,
        explicit_team: Option<&str>,
        vault: &str,
    ) -> Result<(Uuid, Uuid)> {
        let by_id = Uuid::parse_str(vault).ok();
        let in_team = |tid: Uuid| -> Option<Uuid> {
            self.teams[&tid]
                .state
                .vaults
                .values()
                .filter(|v| v.readable())
                .find(|v| v.name.as_deref() == Some(vault) || Some(v.id) == by_id)
                .map(|v| v.id)
        };
        if let Some(t) = explicit_team {
            let tid = self.team_by_name(t)?;
            return in_team(tid)
                .map(|v| (tid, v))
                .ok_or_else(|| Error::NotFound(format!("vault `{vault}` in team `{t}`")));
        }
        if let Ok(tid) = self.active_team(team) {
            if let Some(v) = in_team(tid) {
                return Ok((tid, v));
            }
            if team.is_some() {
                return Err(Error::NotFound(format!(
                    "vault `{vault}` in team `{}`",
                    self.teams[&tid].state.name
                )));
            }
        }
        let hits: Vec<(Uuid, Uuid)> = self
            .teams
            .keys()
            .filter_map(|tid| in_team(*tid).map(|v| (*tid, v)))
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::NotFound(format!("vault `{vault}`")).with_hint(Hint::Vaults)),
            many => Err(Error::Ambiguous(format!(
                "vault `{vault}` exists in teams {}; use TEAM/{vault}/NAME",
                many.iter()
                    .map(|(t, _)| format!("`{}`", self.teams[t].state.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    pub(crate) fn vault_ref(&self, team_id: Uuid, vault_id: Uuid) -> (&TeamState, &VaultState) {
        let st = &self.teams[&team_id].state;
        (st, &st.vaults[&vault_id])
    }

    pub(crate) fn lookup(
        &self,
        team: Option<&str>,
        addr: &Address,
    ) -> Result<(Uuid, Uuid, Option<Uuid>)> {
        let (tid, vid) = self.locate_vault(team, addr.team.as_deref(), &addr.vault)?;
        let (_, v) = self.vault_ref(tid, vid);
        Ok((tid, vid, v.find(&addr.name).map(|i| i.id)))
    }

    fn not_found(addr: &Address) -> Error {
        Error::NotFound(format!("secret `{addr}`"))
    }

    /// Sets a secret's value (creating it, or adding a version) and updates its metadata.
    pub async fn set(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        value: &SecretString,
        update: MetaUpdate,
        kind: PutKind,
    ) -> Result<u32> {
        if value.len() > crate::item::MAX_VALUE_LEN {
            return Err(Error::Invalid("the value is larger than 1 MiB".into()));
        }
        let (tid, vid, item) = self.lookup(team, addr)?;
        let (_, v) = self.vault_ref(tid, vid);
        let (item_id, base_version, mut meta) = match item {
            Some(id) => {
                let cur = v.items[&id].current();
                (id, cur.version, cur.meta.clone().unwrap_or_default())
            }
            None => {
                // A deleted secret of the same name is revived with its history.
                let dead = v
                    .items
                    .values()
                    .find(|i| i.deleted && i.name() == Some(addr.name.as_str()));
                match dead {
                    Some(i) => (
                        i.id,
                        i.current().version,
                        i.meta().cloned().unwrap_or_default(),
                    ),
                    None => (
                        Uuid::new_v4(),
                        0,
                        ItemMeta {
                            name: addr.name.clone(),
                            ..ItemMeta::default()
                        },
                    ),
                }
            }
        };
        if let Some(n) = update.note {
            meta.note = n;
        }
        if let Some(t) = update.tags {
            meta.tags = t;
        }
        if let Some(u) = update.url {
            meta.url = Some(u).filter(|u| !u.is_empty());
        }
        if let Some(s) = update.scope {
            meta.scope = Some(s).filter(|s| !s.is_empty());
        }
        if let Some(e) = update.expires {
            meta.expires = Some(e).filter(|e| !e.is_empty());
        }
        if let Some(r) = update.rotate_every_days {
            meta.rotate_every_days = Some(r);
        }
        meta.validate()?;
        self.put_item(tid, vid, item_id, base_version, &meta, value, kind)
            .await
    }

    /// Builds the payload of a new version of an item at the current head.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build_put(
        &self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        base_version: u32,
        meta: &ItemMeta,
        value: &SecretString,
        kind: PutKind,
    ) -> Result<(Payload, u32)> {
        let (st, v) = self.vault_ref(tid, vid);
        if !matches!(
            v.access.get(&self.identity.device_id),
            Some(crate::event::VaultRole::Write | crate::event::VaultRole::Admin)
        ) {
            return Err(Error::Forbidden(format!(
                "you have read-only access to vault `{}`",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        seal_put(st, v, item_id, base_version, kind, meta, value)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn put_item(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        base_version: u32,
        meta: &ItemMeta,
        value: &SecretString,
        kind: PutKind,
    ) -> Result<u32> {
        let (payload, version) =
            self.build_put(tid, vid, item_id, base_version, meta, value, kind)?;
        self.append(tid, payload, Public::default()).await?;
        Ok(version)
    }

    pub(crate) fn find_item(
        &self,
        team: Option<&str>,
        addr: &Address,
    ) -> Result<(&TeamState, &VaultState, &Item)> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let (st, v) = self.vault_ref(tid, vid);
        let id = item.ok_or_else(|| Self::not_found(addr))?;
        Ok((st, v, &v.items[&id]))
    }

    /// A secret's current value.
    pub fn get(&self, team: Option<&str>, addr: &Address) -> Result<SecretString> {
        let (st, v, item) = self.find_item(team, addr)?;
        st.open_value(v, item, item.current())
    }

    /// Resolves a `hush://` reference.
    pub fn resolve_reference(&self, team: Option<&str>, reference: &str) -> Result<SecretString> {
        let addr = Address::parse_reference(reference)?;
        self.get(team, &addr).map_err(|e| match e {
            // Hinted or not (a missing vault carries one): the reference is what was not found.
            e if e.code() == crate::error::ErrorCode::NotFound => {
                Error::NotFound(format!("reference `{reference}`"))
            }
            other => other,
        })
    }

    pub(crate) fn secret_info(st: &TeamState, v: &VaultState, item: &Item) -> SecretInfo {
        let cur = item.current();
        SecretInfo {
            team: st.name.clone(),
            vault: v.name.clone().unwrap_or_default(),
            name: item.name().unwrap_or_default().to_owned(),
            version: cur.version,
            updated_ms: cur.time_ms,
            meta: cur.meta.clone().unwrap_or_default(),
            exposed: item.exposed.clone(),
            conflict: item.conflict.clone(),
        }
    }

    /// Live secrets of one vault, or of every vault of the active team.
    pub fn list(&self, team: Option<&str>, vault: Option<&str>) -> Result<Vec<SecretInfo>> {
        let mut out = Vec::new();
        match vault {
            Some(name) => {
                let (tid, vid) = self.locate_vault(team, None, name)?;
                let (st, v) = self.vault_ref(tid, vid);
                out.extend(
                    v.live_items()
                        .into_iter()
                        .map(|i| Self::secret_info(st, v, i)),
                );
            }
            None => {
                let tid = self.active_team(team)?;
                let st = &self.teams[&tid].state;
                let mut vaults: Vec<&VaultState> = st.vaults.values().collect();
                vaults.sort_by(|a, b| a.name.cmp(&b.name));
                for v in vaults {
                    out.extend(
                        v.live_items()
                            .into_iter()
                            .map(|i| Self::secret_info(st, v, i)),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Every live secret of a vault with its value (for `hush run --vault`).
    pub fn vault_values(
        &self,
        team: Option<&str>,
        vault: &str,
    ) -> Result<Vec<(String, SecretString)>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let (st, v) = self.vault_ref(tid, vid);
        v.live_items()
            .into_iter()
            .map(|i| {
                Ok((
                    i.name().unwrap_or_default().to_owned(),
                    st.open_value(v, i, i.current())?,
                ))
            })
            .collect()
    }

    /// Ranked fuzzy search over vault names, secret names, notes and tags, across all teams.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<SearchHit> {
        let heads: Heads = self
            .teams
            .iter()
            .map(|(id, t)| (*id, t.state.head))
            .collect();
        // The index (addresses, notes, tags of every readable live secret) is rebuilt only when
        // some team's head moved, not on every keystroke.
        if self.search_index.as_ref().map(|ix| &ix.heads) != Some(&heads) {
            let mut entries = Vec::new();
            for t in self.teams.values() {
                for v in t.state.vaults.values() {
                    for i in v.live_items() {
                        let info = Self::secret_info(&t.state, v, i);
                        entries.push((format!("{}/{}", info.vault, info.name), info));
                    }
                }
            }
            self.search_index = Some(SearchIndex { heads, entries });
        }
        let Some(index) = &self.search_index else {
            return Vec::new();
        };
        let docs =
            index
                .entries
                .iter()
                .enumerate()
                .map(|(id, (address, s))| crate::search::SearchDoc {
                    id,
                    name: address,
                    note: &s.meta.note,
                    tags: &s.meta.tags,
                });
        self.searcher
            .search(query, docs, limit)
            .into_iter()
            .map(|h| SearchHit {
                secret: index.entries[h.id].1.clone(),
                score: h.score,
            })
            .collect()
    }

    /// A secret's versions, newest first; values only when `reveal`.
    pub fn history(
        &self,
        team: Option<&str>,
        addr: &Address,
        reveal: bool,
    ) -> Result<Vec<VersionInfo>> {
        let (st, v, item) = self.find_item(team, addr)?;
        item.versions
            .iter()
            .rev()
            .map(|ver| {
                Ok(VersionInfo {
                    version: ver.version,
                    time_ms: ver.time_ms,
                    author: st
                        .members
                        .get(&ver.author)
                        .map_or_else(|| ver.author.to_string(), |m| m.cert.name.clone()),
                    kind: ver.kind,
                    value: if reveal {
                        Some(st.open_value(v, item, ver)?)
                    } else {
                        None
                    },
                })
            })
            .collect()
    }

    /// Marks a secret deleted (history is kept in the log).
    pub async fn remove(&mut self, team: Option<&str>, addr: &Address) -> Result<()> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let id = item.ok_or_else(|| Self::not_found(addr))?;
        let version = self.vault_ref(tid, vid).1.items[&id].current().version;
        let payload = Payload::SecretDelete {
            vault_id: vid,
            item_id: id,
            version,
        };
        self.append(tid, payload, Public::default()).await
    }

    pub(crate) async fn append(
        &mut self,
        team_id: Uuid,
        payload: Payload,
        public: Public,
    ) -> Result<()> {
        self.append_with_key(team_id, payload, public, None).await
    }

    /// Seals, signs, checks and stores one event at the head of a team's log. If another process
    /// appended first, reloads its events and tries again (the caller's payload is rebuilt only
    /// by the caller, so a conflict on a version number surfaces as an error to retry).
    async fn append_with_key(
        &mut self,
        team_id: Uuid,
        payload: Payload,
        public: Public,
        genesis_key: Option<&Key32>,
    ) -> Result<()> {
        let team = self
            .teams
            .get(&team_id)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let (seq, prev) = team.state.next_position();
        let epoch = team.state.log_epoch;
        let log_key = match genesis_key {
            Some(k) => k.clone(),
            None => team
                .state
                .key(KeyScope::Log, epoch)
                .cloned()
                .ok_or_else(|| {
                    Error::Forbidden("this device holds no key for the team log".into())
                })?,
        };
        let body = Body {
            time_ms: (self.clock)(),
            payload,
        };
        let ev = SignedEvent::seal(
            Envelope {
                team_id,
                seq,
                prev,
                epoch,
                author: self.identity.device_id,
            },
            public,
            &body,
            &log_key,
            &self.identity,
        )?;
        let checked = team.state.check_own(&ev, &self.identity)?;
        let hash = ev.hash();
        let mac = checkpoint_mac(&self.account, &team_id, seq, &hash);
        let pending = team.settings.relay.is_some();
        match self
            .store
            .append(team_id, seq, &hash, ev.bytes(), pending, &mac)
            .await?
        {
            Append::Done => {
                if let Some(t) = self.teams.get_mut(&team_id) {
                    t.state.commit(checked);
                }
                Ok(())
            }
            Append::Conflict => {
                self.refresh().await?;
                Err(Error::Agent(
                    "another process changed this team at the same moment; run the command again"
                        .into(),
                ))
            }
        }
    }

    /// Verifies the whole local store: SQLite integrity, every signature, every hash link, every
    /// checkpoint. Returns the number of events checked.
    pub async fn verify(&self) -> Result<u64> {
        self.store.integrity_check().await?;
        let mut n = 0;
        for team_id in self.teams.keys() {
            let mut state = TeamState::new(*team_id);
            for row in self.store.events(*team_id, None).await? {
                let ev = SignedEvent::decode(&row.bytes)?;
                state.apply(&ev, &self.identity, true)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Ends the session, closing the database.
    pub async fn close(self) {
        self.store.close().await;
    }

    /// The home directory of a session-less caller (for messages).
    pub fn default_home() -> Option<PathBuf> {
        crate::local::default_home()
    }
}

/// Zeroizing helper for reading a password-like line.
pub fn zeroizing_string(s: String) -> Zeroizing<String> {
    Zeroizing::new(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A secret `t/v/K` at version 1 with a rotation period and an expiry.
    pub(crate) fn info(updated_ms: i64, rotate: Option<u32>, expires: Option<&str>) -> SecretInfo {
        SecretInfo {
            team: "t".into(),
            vault: "v".into(),
            name: "K".into(),
            version: 1,
            updated_ms,
            meta: ItemMeta {
                name: "K".into(),
                rotate_every_days: rotate,
                expires: expires.map(str::to_owned),
                ..ItemMeta::default()
            },
            exposed: None,
            conflict: Vec::new(),
        }
    }

    #[test]
    fn rotation_states() {
        const DAY: i64 = 86_400_000;
        let t0 = crate::item::parse_date("2030-01-01").expect("date") * DAY;
        assert_eq!(info(t0, None, None).rotation_state(t0), RotationState::None);
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 10 * DAY),
            RotationState::Ok
        );
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 85 * DAY),
            RotationState::Due
        );
        assert_eq!(
            info(t0, Some(90), None).rotation_state(t0 + 91 * DAY),
            RotationState::Overdue
        );
        let exp = Some("2030-02-01");
        assert_eq!(info(t0, None, exp).rotation_state(t0), RotationState::Ok);
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 25 * DAY),
            RotationState::Due
        );
        // The expiry day itself is still usable.
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 31 * DAY),
            RotationState::Due
        );
        assert_eq!(
            info(t0, None, exp).rotation_state(t0 + 32 * DAY),
            RotationState::Expired
        );
    }
}
