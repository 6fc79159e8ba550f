//! The projection: a team's current state, computed by replaying its event log.
//!
//! Applying an event is two steps. [`TeamState::check`] verifies everything without touching the
//! state — continuity of `seq`/`prev`, the log-key epoch, the author's membership and signature,
//! the author's role *at this position of the log* (never anything a relay says), that the
//! relay-visible ACL changes match the sealed payload exactly, the key hand-overs this device is
//! owed, and the change's own preconditions — and returns a [`Checked`] value that only it can
//! build. [`TeamState::commit`] then applies that value and cannot fail, so a bad event never
//! leaves a half-applied state behind.
//!
//! Item versions are tracked for every vault, readable or not (ids and version numbers are in
//! the log body, which every member can read); names, metadata and values are sealed under vault
//! keys and are opened as soon as this device holds the key, including retroactively when access
//! is granted later.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use uuid::Uuid;

use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{
    AclChange, Body, BundlePlace, GrantedKey, KeyScope, Payload, PutKind, SignedEvent, TeamRole,
    VaultRole, key_commit,
};
use crate::identity::{DeviceCert, DeviceIdentity};
use crate::item::{ItemMeta, ItemSlot, vault_name_ad};
use crate::secret::{Key32, SecretString};

/// A device that belongs (or belonged) to the team.
#[derive(Clone, Debug)]
pub struct Member {
    /// Its certificate.
    pub cert: DeviceCert,
    /// Its role.
    pub role: TeamRole,
    /// False once removed.
    pub active: bool,
    /// Log position where it joined.
    pub joined_seq: u64,
    /// When and by whom it was removed.
    pub removed: Option<(i64, Uuid)>,
    /// When a service identity stops working (None for people).
    pub expires_ms: Option<i64>,
    /// Author's time of the event that added it.
    pub joined_ms: i64,
}

impl Member {
    /// Whether this is a service (CI/CD) identity.
    pub fn is_service(&self) -> bool {
        self.role == TeamRole::Service
    }

    /// Active and, for a service identity, not expired at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.active && self.expires_ms.is_none_or(|e| now_ms < e)
    }
}

/// An invite issued in the log.
#[derive(Clone, Debug)]
pub struct Invite {
    /// Role the invitee gets.
    pub role: TeamRole,
    /// Expiry.
    pub expires_ms: i64,
    /// Issuing device.
    pub created_by: Uuid,
    /// The device admitted with it.
    pub used_by: Option<Uuid>,
}

/// Why a secret must be rotated at its provider.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Exposure {
    /// Since when.
    pub since_ms: i64,
    /// The current version when it became exposed; a newer version clears the exposure.
    pub at_version: u32,
    /// Who could read it and lost access (display name), or another reason.
    pub reason: String,
    /// True for a leak report (only the reported version is exposed); false when someone who
    /// could read every version up to `at_version` lost access.
    #[serde(default)]
    pub leak: bool,
}

/// One version of a secret.
#[derive(Clone, Debug)]
pub struct Version {
    /// Version number, from 1.
    pub version: u32,
    /// The version its author was editing.
    pub base_version: u32,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author device.
    pub author: Uuid,
    /// Set or rotation.
    pub kind: PutKind,
    /// Vault key epoch of the ciphertexts.
    pub key_epoch: u32,
    /// Decrypted metadata, once this device holds the key.
    pub meta: Option<ItemMeta>,
    /// Sealed metadata.
    pub meta_ct: Vec<u8>,
    /// Sealed value (opened on demand).
    pub value_ct: Vec<u8>,
    /// Log position of the event that wrote it.
    pub seq: u64,
}

/// A secret and its history.
#[derive(Clone, Debug)]
pub struct Item {
    /// Item id.
    pub id: Uuid,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
    /// Deleted flag (the history stays).
    pub deleted: bool,
    /// Versions written concurrently that a person has not resolved yet (the current one
    /// included). Empty when there is no conflict.
    pub conflict: Vec<u32>,
    /// Set when the value must be rotated.
    pub exposed: Option<Exposure>,
}

impl Item {
    /// The newest version.
    pub fn current(&self) -> &Version {
        // Items are created with a first version and versions are never removed.
        &self.versions[self.versions.len() - 1]
    }

    /// The current metadata (present when the vault is readable).
    pub fn meta(&self) -> Option<&ItemMeta> {
        self.current().meta.as_ref()
    }

    /// The current name, when readable.
    pub fn name(&self) -> Option<&str> {
        self.meta().map(|m| m.name.as_str())
    }
}

/// A vault, readable or not.
#[derive(Clone, Debug)]
pub struct VaultState {
    /// Vault id.
    pub id: Uuid,
    /// Vault name, once this device holds its key.
    pub name: Option<String>,
    name_ct: Vec<u8>,
    name_epoch: u32,
    /// Current key epoch.
    pub key_epoch: u32,
    /// Who may do what.
    pub access: BTreeMap<Uuid, VaultRole>,
    /// Creating device.
    pub created_by: Uuid,
    /// Items by id.
    pub items: HashMap<Uuid, Item>,
    by_name: HashMap<String, Uuid>,
    /// The name each item is indexed under (so re-indexing one item is O(1)).
    indexed_as: HashMap<Uuid, String>,
}

impl VaultState {
    /// True when this device can read the vault.
    pub fn readable(&self) -> bool {
        self.name.is_some()
    }

    /// The live (not deleted) item with this name.
    pub fn find(&self, name: &str) -> Option<&Item> {
        self.by_name.get(name).and_then(|id| self.items.get(id))
    }

    /// Live readable items, sorted by name.
    pub fn live_items(&self) -> Vec<&Item> {
        let mut v: Vec<&Item> = self
            .items
            .values()
            .filter(|i| !i.deleted && i.meta().is_some())
            .collect();
        v.sort_by(|a, b| a.name().cmp(&b.name()));
        v
    }

    fn index(&mut self, item: Uuid) {
        let Some(it) = self.items.get(&item) else {
            return;
        };
        let name = it.name().map(str::to_owned);
        let deleted = it.deleted;
        if let Some(old) = self.indexed_as.remove(&item)
            && self.by_name.get(&old) == Some(&item)
        {
            self.by_name.remove(&old);
        }
        if let (Some(n), false) = (name, deleted) {
            self.by_name.insert(n.clone(), item);
            self.indexed_as.insert(item, n);
        }
    }
}

/// A team's state as of its head.
pub struct TeamState {
    /// Team id.
    pub team_id: Uuid,
    /// Team name (from the creation event).
    pub name: String,
    /// Highest applied (seq, hash).
    pub head: Option<(u64, [u8; 32])>,
    /// Current log-key epoch.
    pub log_epoch: u32,
    /// Members by device id (removed ones included).
    pub members: BTreeMap<Uuid, Member>,
    /// Invites by id.
    pub invites: BTreeMap<Uuid, Invite>,
    /// Vaults by id.
    pub vaults: BTreeMap<Uuid, VaultState>,
    /// Creation time.
    pub created_ms: i64,
    /// Secrets read, from usage events in log order (item ids of vaults this device cannot read
    /// stay opaque).
    pub usage: Vec<crate::anomaly::UsageRecord>,
    /// Signed events that broke a rule and had no effect, with their authors.
    pub rejected: Vec<Flagged>,
    /// Valid events carrying something this device could not open (a damaged version, a bad
    /// key bundle addressed to it).
    pub damaged: Vec<Flagged>,
    keys: HashMap<(KeyScope, u32), Key32>,
    commits: HashMap<(KeyScope, u32), [u8; 32]>,
    candidates: HashMap<(KeyScope, u32), Vec<Key32>>,
    /// Witnesses the team requires (key → URL), from `WitnessAdd`/`WitnessRemove` events.
    pub witnesses: BTreeMap<[u8; 32], String>,
}

/// An event that passed every check; only [`TeamState::check`] builds one.
pub struct Checked {
    seq: u64,
    hash: [u8; 32],
    /// Absent for a rejected event whose body could not be read.
    body: Option<Body>,
    author: Uuid,
    /// Keys for this device, each checked against its commitment.
    keys: Vec<GrantedKey>,
    /// Key commitments of the epochs this event starts.
    commits: Vec<((KeyScope, u32), [u8; 32])>,
    /// Something wrong that only this device can see (a bad key bundle addressed to it).
    problem: Option<String>,
    effect: Effect,
}

/// An event that was flagged: rejected (no effect) or carrying something damaged.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Flagged {
    /// Its position in the log.
    pub seq: u64,
    /// Its author device (the signature was verified).
    pub author: Uuid,
    /// Why.
    pub reason: String,
}

/// The key hand-overs a change implies (see [`TeamState::check`]).
#[derive(Default)]
struct Handover {
    required: BTreeSet<Uuid>,
    allowed: BTreeSet<Uuid>,
    keys: BTreeMap<Uuid, BTreeSet<(KeyScope, u32)>>,
}

impl Handover {
    fn give(
        &mut self,
        device: Uuid,
        required: bool,
        keys: impl IntoIterator<Item = (KeyScope, u32)>,
    ) {
        if required {
            self.required.insert(device);
        }
        self.allowed.insert(device);
        self.keys.entry(device).or_default().extend(keys);
    }

    /// The event's bundles go to allowed recipients only, one each, and to every required one.
    fn matches(&self, public: &crate::event::Public) -> std::result::Result<(), String> {
        let mut seen = BTreeSet::new();
        for b in &public.bundles {
            if !self.allowed.contains(&b.recipient) {
                return Err(format!(
                    "it carries a key bundle for device {} that its change does not hand keys to",
                    b.recipient
                ));
            }
            if !seen.insert(b.recipient) {
                return Err("it carries two key bundles for one device".into());
            }
        }
        if let Some(missing) = self.required.difference(&seen).next() {
            return Err(format!(
                "it hands no keys to device {missing}, which its change requires"
            ));
        }
        Ok(())
    }
}

enum Effect {
    /// A signed event that breaks a rule: kept in the chain, no effect.
    Rejected {
        reason: String,
    },
    Team {
        name: String,
        creator: DeviceCert,
    },
    Vault {
        id: Uuid,
        name_ct: Vec<u8>,
        key_epoch: u32,
    },
    Put {
        vault: Uuid,
        item: Uuid,
        version: Version,
        damaged: bool,
    },
    Delete {
        vault: Uuid,
        item: Uuid,
    },
    Invite {
        id: Uuid,
        role: TeamRole,
        expires_ms: i64,
    },
    Admit {
        invite: Uuid,
        member: DeviceCert,
        role: TeamRole,
    },
    Remove {
        device: Uuid,
        new_log_epoch: u32,
        rekeyed: Vec<(Uuid, u32)>,
    },
    Grant {
        vault: Uuid,
        device: Uuid,
        role: VaultRole,
    },
    Revoke {
        vault: Uuid,
        device: Uuid,
        new_epoch: u32,
    },
    Service {
        member: DeviceCert,
        vaults: Vec<Uuid>,
        expires_ms: i64,
    },
    Leaked {
        vault: Uuid,
        item: Uuid,
        version: u32,
        reason: String,
    },
    Usage {
        vault: Uuid,
        action: crate::event::UsageAction,
        items: Vec<(Uuid, u32)>,
    },
    /// A witness required (`Some(url)`) or no longer required (`None`).
    Witness {
        key: [u8; 32],
        url: Option<String>,
    },
}

impl Checked {
    /// The decrypted body (absent only for a rejected event whose body is unreadable).
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// Why the event has no effect, if it breaks a rule.
    pub fn rejection(&self) -> Option<&str> {
        match &self.effect {
            Effect::Rejected { reason } => Some(reason),
            _ => None,
        }
    }

    /// The author device.
    pub fn author(&self) -> Uuid {
        self.author
    }
}

impl TeamState {
    /// An empty state awaiting the team's first event.
    pub fn new(team_id: Uuid) -> Self {
        Self {
            team_id,
            name: String::new(),
            head: None,
            log_epoch: 0,
            members: BTreeMap::new(),
            invites: BTreeMap::new(),
            vaults: BTreeMap::new(),
            created_ms: 0,
            usage: Vec::new(),
            rejected: Vec::new(),
            damaged: Vec::new(),
            keys: HashMap::new(),
            commits: HashMap::new(),
            candidates: HashMap::new(),
            witnesses: BTreeMap::new(),
        }
    }

    /// A key this device holds.
    pub fn key(&self, scope: KeyScope, epoch: u32) -> Option<&Key32> {
        self.keys.get(&(scope, epoch))
    }

    /// Every key this device holds for a scope, oldest epoch first (handed to new members so
    /// they can read history).
    pub fn keys_for(&self, scope: KeyScope) -> Vec<GrantedKey> {
        let mut v: Vec<GrantedKey> = self
            .keys
            .iter()
            .filter(|((s, _), _)| *s == scope)
            .map(|((s, e), k)| GrantedKey {
                scope: *s,
                epoch: *e,
                key: k.clone(),
            })
            .collect();
        v.sort_by_key(|k| k.epoch);
        v
    }

    /// Offers keys learned outside the normal order (a device that joined later reads its key
    /// bundles before replaying the log from the start). They are only candidates: one becomes
    /// a key when the event that starts its epoch commits to it, so a planted key is never used.
    pub fn preload_keys(&mut self, keys: Vec<GrantedKey>) {
        for k in keys {
            let slot = (k.scope, k.epoch);
            match self.commits.get(&slot) {
                Some(c) if !self.keys.contains_key(&slot) => {
                    if crypto::ct_eq(c, &key_commit(&self.team_id, k.scope, k.epoch, &k.key)) {
                        self.keys.insert(slot, k.key);
                    }
                }
                Some(_) => {}
                None => self.candidates.entry(slot).or_default().push(k.key),
            }
        }
    }

    /// Where the key bundles of the next event by `author` sit (see [`BundlePlace`]).
    pub fn bundle_place(&self, author: Uuid) -> BundlePlace {
        let (seq, prev) = self.next_position();
        BundlePlace {
            team_id: self.team_id,
            seq,
            prev,
            author,
        }
    }

    /// The key commitment for a new key of this team.
    pub fn commit_to(&self, scope: KeyScope, epoch: u32, key: &Key32) -> [u8; 32] {
        key_commit(&self.team_id, scope, epoch, key)
    }

    /// The next sequence number and the prev hash for a new event.
    pub fn next_position(&self) -> (u64, [u8; 32]) {
        match self.head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (0, [0; 32]),
        }
    }

    /// An active member.
    pub fn active_member(&self, device: &Uuid) -> Option<&Member> {
        self.members.get(device).filter(|m| m.active)
    }

    /// Display name of a device (or its id when unknown).
    pub fn display_name(&self, device: &Uuid) -> String {
        self.members
            .get(device)
            .map_or_else(|| device.to_string(), |m| m.cert.name.clone())
    }

    /// A short code derived from the head that members compare out of band: equal codes mean
    /// the relay showed them the same history.
    pub fn state_code(&self) -> String {
        match self.head {
            None => "-".into(),
            Some((seq, hash)) => {
                let h = crypto::hash(
                    b"hush/v1/team-state",
                    &[self.team_id.as_bytes(), &seq.to_be_bytes(), &hash],
                );
                let full = crate::identity::digit_groups(&h);
                full.split(' ').take(3).collect::<Vec<_>>().join("-")
            }
        }
    }

    /// Judges `ev` at the head of this state, the same way on every device.
    ///
    /// An `Err` means the event cannot be part of this team's log at all: wrong team or position,
    /// a broken hash chain, a signature that does not verify, an author the team never had, or a
    /// log key this device was never handed. Only a relay (or a damaged store) produces those;
    /// the caller refuses the whole batch.
    ///
    /// A signed, well-placed event that breaks a rule — an author without the role, a removed
    /// author, an old epoch, a payload whose preconditions fail, key bundles other than those its
    /// change implies — is *valid as a log entry but has no effect*: the returned [`Checked`]
    /// carries the reason ([`Checked::rejection`]), committing it only advances the head and
    /// records the author and reason in [`TeamState::rejected`]. Every client reaches the same
    /// verdict, so one bad event never stops a team. Writes of this device use
    /// [`TeamState::check_own`], which refuses such an event instead.
    ///
    /// `verify_signature` may be false only for events read back from the local store, whose
    /// integrity is covered by the MAC-protected checkpoint.
    pub fn check(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<Checked> {
        let env = &ev.envelope;
        let at =
            |what: &str| Error::Integrity(format!("event {} of the team log: {what}", env.seq));
        if env.team_id != self.team_id {
            return Err(at("belongs to another team"));
        }
        let (want_seq, want_prev) = self.next_position();
        if env.seq != want_seq {
            return Err(at(&format!("out of sequence (expected {want_seq})")));
        }
        if env.prev != want_prev {
            return Err(at("does not extend the previous event (hash chain broken)"));
        }
        if env.seq == 0 {
            return self.check_genesis(ev, me);
        }
        let author = self
            .members
            .get(&env.author)
            .ok_or_else(|| at("signed by a device that was never a member of the team"))?;
        if verify_signature {
            ev.verify_signature(&author.cert.sign_pk)?;
        }
        let rejected = |reason: String, body: Option<Body>| Checked {
            seq: env.seq,
            hash: ev.hash(),
            author: env.author,
            body,
            keys: Vec::new(),
            commits: Vec::new(),
            problem: None,
            effect: Effect::Rejected { reason },
        };
        if !author.active {
            return Ok(rejected(
                "its author had been removed from the team".into(),
                None,
            ));
        }
        if author.role == TeamRole::Service {
            return Ok(rejected(
                "a service identity may never write to the log".into(),
                None,
            ));
        }
        if env.epoch != self.log_epoch {
            return Ok(rejected(
                format!(
                    "sealed under log-key epoch {} while the team is at epoch {}",
                    env.epoch, self.log_epoch
                ),
                None,
            ));
        }
        let log_key = match self.keys.get(&(KeyScope::Log, env.epoch)) {
            Some(k) => k,
            None if self.active_member(&me.device_id).is_none() => {
                return Err(Error::Forbidden(
                    "this device is no longer a member of the team".into(),
                ));
            }
            None => {
                return Err(at(&format!(
                    "this device was never handed a valid key for log epoch {} (the key bundle \
                     addressed to it was missing or did not match the team's commitment)",
                    env.epoch
                )));
            }
        };
        let body = match ev.open_body(log_key) {
            Ok(b) => b,
            Err(e) => return Ok(rejected(format!("its body is unreadable ({e})"), None)),
        };
        let (effect, commits) = match self.judge(ev, &body) {
            Ok(v) => v,
            Err(e) => return Ok(rejected(reason_of(e), Some(body))),
        };
        let handover = self.handovers(env.author, &body);
        if let Err(e) = handover.matches(&ev.public) {
            return Ok(rejected(e, Some(body)));
        }
        let (keys, problem) = self.my_keys(ev, me, &handover, &commits);
        Ok(Checked {
            seq: env.seq,
            hash: ev.hash(),
            author: env.author,
            body: Some(body),
            keys,
            commits,
            problem,
            effect,
        })
    }

    /// [`TeamState::check`] for an event this device is about to write: a change that would have
    /// no effect is refused with its reason instead of being stored.
    pub fn check_own(&self, ev: &SignedEvent, me: &DeviceIdentity) -> Result<Checked> {
        let c = self.check(ev, me, true)?;
        match c.rejection() {
            Some(reason) => Err(Error::Forbidden(reason.to_owned())),
            None => Ok(c),
        }
    }

    /// The first event: `TeamCreate` by its author, opened with the log key of epoch 0 that
    /// matches the commitment inside it. A bad first event is a broken team, not a no-op.
    fn check_genesis(&self, ev: &SignedEvent, me: &DeviceIdentity) -> Result<Checked> {
        let env = &ev.envelope;
        let at =
            |what: &str| Error::Integrity(format!("event {} of the team log: {what}", env.seq));
        let place = BundlePlace::of(env);
        let mut tries: Vec<Key32> = ev
            .public
            .bundles
            .iter()
            .filter(|b| b.recipient == me.device_id)
            .filter_map(|b| b.open(&place, me.encryption_secret()).ok())
            .flatten()
            .filter(|k| k.scope == KeyScope::Log && k.epoch == 0)
            .map(|k| k.key)
            .collect();
        if let Some(c) = self.candidates.get(&(KeyScope::Log, 0)) {
            tries.extend(c.iter().cloned());
        }
        let (key, body) = tries
            .into_iter()
            .find_map(|k| {
                let body = ev.open_body(&k).ok()?;
                match &body.payload {
                    Payload::TeamCreate { log_commit, .. }
                        if crypto::ct_eq(
                            &key_commit(&env.team_id, KeyScope::Log, 0, &k),
                            log_commit,
                        ) =>
                    {
                        Some((k, body))
                    }
                    _ => None,
                }
            })
            .ok_or_else(|| at("this device holds no key that opens the team's first event"))?;
        let Payload::TeamCreate {
            name,
            creator,
            log_commit,
        } = &body.payload
        else {
            return Err(at("the first event must create the team"));
        };
        if creator.device_id != env.author {
            return Err(at("team creator is not the author"));
        }
        creator.verify()?;
        ev.verify_signature(&creator.sign_pk)?;
        if env.epoch != 0 {
            return Err(at("the first event must be sealed at log epoch 0"));
        }
        crate::item::validate_name(name, "team")?;
        if ev.public.acl
            != vec![AclChange::Add {
                device_id: creator.device_id,
                auth_pk: creator.auth_pk,
                manager: true,
            }]
        {
            return Err(at(
                "relay-visible access changes do not match the sealed change",
            ));
        }
        let handover = self.handovers(env.author, &body);
        handover.matches(&ev.public).map_err(|e| at(&e))?;
        let effect = Effect::Team {
            name: name.clone(),
            creator: creator.clone(),
        };
        let commits = vec![((KeyScope::Log, 0), *log_commit)];
        Ok(Checked {
            seq: 0,
            hash: ev.hash(),
            author: env.author,
            body: Some(body),
            keys: vec![GrantedKey {
                scope: KeyScope::Log,
                epoch: 0,
                key,
            }],
            commits,
            problem: None,
            effect,
        })
    }

    /// The key hand-overs an event's change implies at this position of the log: who must get a
    /// bundle, who may, and exactly which (scope, epoch) keys each recipient gets. Every device
    /// computes the same answer from the body, so every device reaches the same verdict.
    fn handovers(&self, author: Uuid, body: &Body) -> Handover {
        let mut h = Handover::default();
        let all = |scope: KeyScope, upto: u32| (0..=upto).map(move |e| (scope, e));
        match &body.payload {
            Payload::TeamCreate { creator, .. } => {
                h.give(creator.device_id, true, [(KeyScope::Log, 0)]);
            }
            Payload::VaultCreate { vault_id, .. } => {
                h.give(author, true, [(KeyScope::Vault(*vault_id), 0)]);
            }
            Payload::Admit { member, .. } => {
                h.give(member.device_id, true, all(KeyScope::Log, self.log_epoch));
            }
            Payload::ServiceCreate { member, vaults, .. } => {
                let mut keys: Vec<_> = all(KeyScope::Log, self.log_epoch).collect();
                for v in vaults {
                    if let Some(vault) = self.vaults.get(v) {
                        keys.extend(all(KeyScope::Vault(*v), vault.key_epoch));
                    }
                }
                h.give(member.device_id, true, keys);
            }
            Payload::Grant {
                vault_id,
                device_id,
                ..
            } => {
                if let Some(v) = self.vaults.get(vault_id)
                    && !v.access.contains_key(device_id)
                {
                    h.give(
                        *device_id,
                        true,
                        all(KeyScope::Vault(*vault_id), v.key_epoch),
                    );
                }
            }
            Payload::Remove {
                device_id,
                new_log_epoch,
                rekeyed,
                ..
            } => {
                for m in self
                    .members
                    .values()
                    .filter(|m| m.active && m.cert.device_id != *device_id)
                {
                    let d = m.cert.device_id;
                    let mut keys = vec![(KeyScope::Log, *new_log_epoch)];
                    for (v, e, _) in rekeyed {
                        if self
                            .vaults
                            .get(v)
                            .is_some_and(|x| x.access.contains_key(&d))
                        {
                            keys.push((KeyScope::Vault(*v), *e));
                        }
                    }
                    h.give(d, m.is_live(body.time_ms), keys);
                }
            }
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                ..
            } => {
                if let Some(v) = self.vaults.get(vault_id) {
                    for d in v.access.keys().filter(|d| *d != device_id) {
                        if let Some(m) = self.active_member(d) {
                            h.give(
                                *d,
                                m.is_live(body.time_ms),
                                [(KeyScope::Vault(*vault_id), *new_epoch)],
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        h
    }

    /// The keys of this event's bundle addressed to this device, if the bundle holds exactly
    /// the keys the change implies for it and each matches the team's commitment for its scope
    /// and epoch. Otherwise no key is taken and the problem is returned: the event stays valid
    /// for everyone (the bundle's content is visible only to this device), and this device
    /// reports who handed it a bad bundle.
    fn my_keys(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        handover: &Handover,
        commits: &[((KeyScope, u32), [u8; 32])],
    ) -> (Vec<GrantedKey>, Option<String>) {
        let Some(bundle) = ev
            .public
            .bundles
            .iter()
            .find(|b| b.recipient == me.device_id)
        else {
            return (Vec::new(), None);
        };
        let bad = |what: &str| {
            (
                Vec::new(),
                Some(format!(
                    "event {}: the key bundle {} handed this device {what}; no key was taken from it",
                    ev.envelope.seq,
                    self.display_name(&ev.envelope.author)
                )),
            )
        };
        let keys = match bundle.open(&BundlePlace::of(&ev.envelope), me.encryption_secret()) {
            Ok(k) => k,
            Err(_) => return bad("does not open"),
        };
        let want = handover
            .keys
            .get(&me.device_id)
            .cloned()
            .unwrap_or_default();
        let got: BTreeSet<(KeyScope, u32)> = keys.iter().map(|k| (k.scope, k.epoch)).collect();
        if got != want || got.len() != keys.len() {
            return bad("holds other keys than its change implies");
        }
        for k in &keys {
            let commit = commits
                .iter()
                .find(|(se, _)| *se == (k.scope, k.epoch))
                .map(|(_, c)| c)
                .or_else(|| self.commits.get(&(k.scope, k.epoch)));
            let ok = commit.is_some_and(|c| {
                crypto::ct_eq(c, &key_commit(&self.team_id, k.scope, k.epoch, &k.key))
            });
            if !ok {
                return bad("holds a key that does not match the team's commitment");
            }
        }
        (keys, None)
    }

    /// The rules of each change (roles, preconditions, relay-visible ACL entries). An `Err` makes
    /// the event a no-op; the key commitments of a change that starts an epoch are returned.
    #[allow(clippy::type_complexity)]
    fn judge(
        &self,
        ev: &SignedEvent,
        body: &Body,
    ) -> Result<(Effect, Vec<((KeyScope, u32), [u8; 32])>)> {
        let env = &ev.envelope;
        let at = |what: &str| Error::Integrity(what.to_owned());
        let author = self
            .active_member(&env.author)
            .ok_or_else(|| at("its author is not an active member"))?;
        let author_role = Some(author.role);
        let key_of = |scope: KeyScope, epoch: u32| self.keys.get(&(scope, epoch));
        let mut commits = Vec::new();
        let forbid = |what: &str| Error::Forbidden(what.to_owned());
        let expect_acl = |expected: Vec<AclChange>| -> Result<()> {
            let matches = ev.public.acl.len() == expected.len()
                && ev
                    .public
                    .acl
                    .iter()
                    .zip(&expected)
                    .all(|(a, b)| match (a, b) {
                        (
                            AclChange::Invite {
                                invite_id: i1,
                                expires_ms: e1,
                                ..
                            },
                            AclChange::Invite {
                                invite_id: i2,
                                expires_ms: e2,
                                ..
                            },
                        ) => i1 == i2 && e1 == e2,
                        (x, y) => x == y,
                    });
            if matches {
                Ok(())
            } else {
                Err(at(
                    "relay-visible access changes do not match the sealed change",
                ))
            }
        };
        // The vault an event acts on, when its author holds at least `least` there (`Read`: any
        // access). `unknown` and `denied` say what the event tried.
        let author_vault =
            |id: &Uuid, least: VaultRole, unknown: &str, denied: &str| -> Result<&VaultState> {
                let vault = self.vaults.get(id).ok_or_else(|| at(unknown))?;
                match vault.access.get(&env.author) {
                    Some(role) if *role >= least => Ok(vault),
                    _ => Err(forbid(denied)),
                }
            };

        let effect = match &body.payload {
            Payload::TeamCreate { .. } => return Err(at("a team can be created only once")),
            Payload::VaultCreate {
                vault_id,
                key_epoch,
                name_ct,
                key_commit,
            } => {
                expect_acl(vec![])?;
                if self.vaults.contains_key(vault_id) {
                    return Err(at("vault created twice"));
                }
                if *key_epoch != 0 {
                    return Err(at("a new vault starts at key epoch 0"));
                }
                commits.push(((KeyScope::Vault(*vault_id), 0), *key_commit));
                Effect::Vault {
                    id: *vault_id,
                    name_ct: name_ct.clone(),
                    key_epoch: *key_epoch,
                }
            }
            Payload::SecretPut {
                vault_id,
                item_id,
                version,
                base_version,
                key_epoch,
                kind,
                meta_ct,
                value_ct,
            } => {
                expect_acl(vec![])?;
                let vault = author_vault(
                    vault_id,
                    VaultRole::Write,
                    "writes to an unknown vault",
                    "author may not write to this vault",
                )?;
                if *key_epoch != vault.key_epoch {
                    return Err(at("written under an old vault-key epoch"));
                }
                let expected = vault
                    .items
                    .get(item_id)
                    .map_or(1, |i| i.current().version + 1);
                if *version != expected {
                    return Err(at(&format!(
                        "version {version} does not follow (expected {expected})"
                    )));
                }
                if *base_version >= *version {
                    return Err(at("base version is not older than the version"));
                }
                let slot = ItemSlot {
                    team_id: self.team_id,
                    vault_id: *vault_id,
                    item_id: *item_id,
                    version: *version,
                    key_epoch: *key_epoch,
                };
                // Only readers can open the metadata, so what they find cannot decide validity
                // (non-readers would disagree): a version that does not open is kept, and
                // reported as damaged by its author.
                let meta = key_of(KeyScope::Vault(*vault_id), *key_epoch).map(|k| {
                    slot.open_meta(k, meta_ct)
                        .and_then(|m| m.validate().map(|()| m))
                });
                let (meta, damaged) = match meta {
                    Some(Ok(m)) => (Some(m), false),
                    Some(Err(_)) => (None, true),
                    None => (None, false),
                };
                Effect::Put {
                    vault: *vault_id,
                    item: *item_id,
                    damaged,
                    version: Version {
                        version: *version,
                        base_version: *base_version,
                        time_ms: body.time_ms,
                        author: env.author,
                        kind: *kind,
                        key_epoch: *key_epoch,
                        meta,
                        meta_ct: meta_ct.clone(),
                        value_ct: value_ct.clone(),
                        seq: env.seq,
                    },
                }
            }
            Payload::SecretDelete {
                vault_id,
                item_id,
                version,
            } => {
                expect_acl(vec![])?;
                let vault = author_vault(
                    vault_id,
                    VaultRole::Write,
                    "deletes in an unknown vault",
                    "author may not write to this vault",
                )?;
                let item = vault
                    .items
                    .get(item_id)
                    .ok_or_else(|| at("deletes an unknown secret"))?;
                if item.current().version != *version {
                    return Err(at("deletes a version that is not current"));
                }
                Effect::Delete {
                    vault: *vault_id,
                    item: *item_id,
                }
            }
            Payload::InviteCreate {
                invite_id,
                role,
                expires_ms,
            } => {
                expect_acl(vec![AclChange::Invite {
                    invite_id: *invite_id,
                    token_hash: [0; 32],
                    expires_ms: *expires_ms,
                }])?;
                if !author_role.is_some_and(TeamRole::is_manager) {
                    return Err(forbid("only owners and admins may invite"));
                }
                if *role == TeamRole::Owner {
                    return Err(forbid("nobody can be invited as owner"));
                }
                if *role == TeamRole::Service {
                    return Err(forbid("service identities are created, not invited"));
                }
                if self.invites.contains_key(invite_id) {
                    return Err(at("invite id reused"));
                }
                Effect::Invite {
                    id: *invite_id,
                    role: *role,
                    expires_ms: *expires_ms,
                }
            }
            Payload::Admit {
                invite_id,
                member,
                role,
                ..
            } => {
                expect_acl(vec![AclChange::Add {
                    device_id: member.device_id,
                    auth_pk: member.auth_pk,
                    manager: role.is_manager(),
                }])?;
                if !author_role.is_some_and(TeamRole::is_manager) {
                    return Err(forbid("only owners and admins may admit"));
                }
                let invite = self
                    .invites
                    .get(invite_id)
                    .ok_or_else(|| at("admits with an unknown invite"))?;
                if invite.used_by.is_some() {
                    return Err(at("admits with an invite that was already used"));
                }
                if invite.role != *role {
                    return Err(at("admits with a role other than the invite's"));
                }
                if body.time_ms > invite.expires_ms {
                    return Err(at("admits with an expired invite"));
                }
                if self.members.contains_key(&member.device_id) {
                    return Err(at("admits a device that is already known"));
                }
                member.verify()?;
                Effect::Admit {
                    invite: *invite_id,
                    member: member.clone(),
                    role: *role,
                }
            }
            Payload::Remove {
                device_id,
                new_log_epoch,
                log_commit,
                rekeyed,
            } => {
                expect_acl(vec![AclChange::Remove {
                    device_id: *device_id,
                }])?;
                let by = author_role
                    .filter(|r| r.is_manager())
                    .ok_or_else(|| forbid("only owners and admins may remove members"))?;
                let target = self
                    .active_member(device_id)
                    .ok_or_else(|| at("removes a device that is not an active member"))?;
                if target.role == TeamRole::Owner && by != TeamRole::Owner {
                    return Err(forbid("only an owner may remove an owner"));
                }
                if *device_id == env.author {
                    return Err(forbid("a device cannot remove itself"));
                }
                if *new_log_epoch != self.log_epoch + 1 {
                    return Err(at("removal must start the next log-key epoch"));
                }
                let must: BTreeSet<Uuid> = self
                    .vaults
                    .values()
                    .filter(|v| v.access.contains_key(device_id))
                    .map(|v| v.id)
                    .collect();
                let got: BTreeSet<Uuid> = rekeyed.iter().map(|(v, _, _)| *v).collect();
                if must != got || got.len() != rekeyed.len() {
                    return Err(at(
                        "removal does not re-key exactly the vaults the member could read",
                    ));
                }
                commits.push(((KeyScope::Log, *new_log_epoch), *log_commit));
                for (v, e, c) in rekeyed {
                    if *e != self.vaults[v].key_epoch + 1 {
                        return Err(at("removal must start the next key epoch of each vault"));
                    }
                    commits.push(((KeyScope::Vault(*v), *e), *c));
                }
                Effect::Remove {
                    device: *device_id,
                    new_log_epoch: *new_log_epoch,
                    rekeyed: rekeyed.iter().map(|(v, e, _)| (*v, *e)).collect(),
                }
            }
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => {
                expect_acl(vec![])?;
                let _ = author_vault(
                    vault_id,
                    VaultRole::Admin,
                    "grants access to an unknown vault",
                    "only a vault admin may grant access",
                )?;
                let grantee = self
                    .active_member(device_id)
                    .ok_or_else(|| at("grants access to a device that is not an active member"))?;
                if grantee.is_service() && *role != VaultRole::Read {
                    return Err(forbid("a service identity can only be given read access"));
                }
                Effect::Grant {
                    vault: *vault_id,
                    device: *device_id,
                    role: *role,
                }
            }
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                key_commit,
            } => {
                expect_acl(vec![])?;
                let vault = author_vault(
                    vault_id,
                    VaultRole::Admin,
                    "revokes access to an unknown vault",
                    "only a vault admin may revoke access",
                )?;
                if !vault.access.contains_key(device_id) {
                    return Err(at("revokes access the device does not have"));
                }
                if *new_epoch != vault.key_epoch + 1 {
                    return Err(at("revocation must start the next key epoch"));
                }
                commits.push(((KeyScope::Vault(*vault_id), *new_epoch), *key_commit));
                Effect::Revoke {
                    vault: *vault_id,
                    device: *device_id,
                    new_epoch: *new_epoch,
                }
            }
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => {
                expect_acl(vec![AclChange::AddService {
                    device_id: member.device_id,
                    auth_pk: member.auth_pk,
                    expires_ms: *expires_ms,
                }])?;
                if !author_role.is_some_and(TeamRole::is_manager) {
                    return Err(forbid(
                        "only owners and admins may create service identities",
                    ));
                }
                if self.members.contains_key(&member.device_id) {
                    return Err(at(
                        "creates a service with a device id that is already known",
                    ));
                }
                member.verify()?;
                if *expires_ms <= body.time_ms {
                    return Err(at("creates a service identity that has already expired"));
                }
                let distinct: BTreeSet<&Uuid> = vaults.iter().collect();
                if vaults.is_empty() || distinct.len() != vaults.len() {
                    return Err(at("a service identity needs distinct vaults"));
                }
                for v in vaults {
                    author_vault(
                        v,
                        VaultRole::Admin,
                        "gives a service access to an unknown vault",
                        "only a vault admin may give a service access to the vault",
                    )?;
                }
                Effect::Service {
                    member: member.clone(),
                    vaults: vaults.clone(),
                    expires_ms: *expires_ms,
                }
            }
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => {
                expect_acl(vec![])?;
                let vault = author_vault(
                    vault_id,
                    VaultRole::Read,
                    "reports a leak in an unknown vault",
                    "only members who can read a vault may report its secrets leaked",
                )?;
                let item = vault
                    .items
                    .get(item_id)
                    .ok_or_else(|| at("reports an unknown secret leaked"))?;
                if *version == 0 || *version > item.current().version {
                    return Err(at("reports a version of the secret that does not exist"));
                }
                if *key_epoch != vault.key_epoch {
                    return Err(at("leak note sealed under an old vault-key epoch"));
                }
                let slot = ItemSlot {
                    team_id: self.team_id,
                    vault_id: *vault_id,
                    item_id: *item_id,
                    version: *version,
                    key_epoch: *key_epoch,
                };
                // As with a put, only readers can open the note: one that does not open is
                // reported, never a reason to ignore the leak report.
                let note = key_of(KeyScope::Vault(*vault_id), *key_epoch).map(|k| {
                    crate::item::open_leak_note(&slot, k, note_ct)
                        .unwrap_or_else(|_| "(the note could not be opened)".into())
                });
                let who = self.display_name(&env.author);
                Effect::Leaked {
                    vault: *vault_id,
                    item: *item_id,
                    version: *version,
                    reason: match note.filter(|n| !n.is_empty()) {
                        Some(n) => format!("reported leaked by {who}: {n}"),
                        None => format!("reported leaked by {who}"),
                    },
                }
            }
            Payload::Usage {
                vault_id,
                action,
                items,
            } => {
                expect_acl(vec![])?;
                let vault = author_vault(
                    vault_id,
                    VaultRole::Read,
                    "records reading an unknown vault",
                    "only members who can read a vault may record reading it",
                )?;
                if items.is_empty() || items.len() > crate::event::MAX_USAGE_ITEMS {
                    return Err(at("bad number of secrets in a usage record"));
                }
                let mut seen = BTreeSet::new();
                for (item, version) in items {
                    let it = vault
                        .items
                        .get(item)
                        .ok_or_else(|| at("records reading an unknown secret"))?;
                    if *version == 0 || *version > it.current().version {
                        return Err(at("records reading a version that does not exist"));
                    }
                    if !seen.insert((*item, *version)) {
                        return Err(at("records reading one version twice"));
                    }
                }
                Effect::Usage {
                    vault: *vault_id,
                    action: *action,
                    items: items.clone(),
                }
            }
            Payload::WitnessAdd { url, key } => {
                expect_acl(vec![])?;
                if !author_role.is_some_and(TeamRole::is_manager) {
                    return Err(forbid("only owners and admins may require a witness"));
                }
                crate::witness_proto::validate_url(url)
                    .map_err(|_| at("names a malformed witness URL"))?;
                if self.witnesses.contains_key(key) {
                    return Err(at("requires a witness the team already requires"));
                }
                Effect::Witness {
                    key: *key,
                    url: Some(url.clone()),
                }
            }
            Payload::WitnessRemove { key } => {
                expect_acl(vec![])?;
                if !author_role.is_some_and(TeamRole::is_manager) {
                    return Err(forbid("only owners and admins may remove a witness"));
                }
                if !self.witnesses.contains_key(key) {
                    return Err(at("removes a witness the team does not require"));
                }
                Effect::Witness {
                    key: *key,
                    url: None,
                }
            }
        };
        Ok((effect, commits))
    }

    /// Applies a checked event. Cannot fail.
    pub fn commit(&mut self, checked: Checked) {
        let mut new_vault_keys = BTreeSet::new();
        for ((scope, epoch), c) in checked.commits {
            self.commits.entry((scope, epoch)).or_insert(c);
            // A joining device read its bundles before replaying: a candidate key becomes a key
            // once the event that starts its epoch commits to it.
            if let Some(cands) = self.candidates.remove(&(scope, epoch))
                && let Some(k) = cands
                    .into_iter()
                    .find(|k| crypto::ct_eq(&c, &key_commit(&self.team_id, scope, epoch, k)))
            {
                self.keys.entry((scope, epoch)).or_insert(k);
                if let KeyScope::Vault(v) = scope {
                    new_vault_keys.insert(v);
                }
            }
        }
        for k in checked.keys {
            if let KeyScope::Vault(v) = k.scope {
                new_vault_keys.insert(v);
            }
            // Never replace a key already held (each matches its one commitment anyway).
            self.keys.entry((k.scope, k.epoch)).or_insert(k.key);
        }
        let time = checked.body.as_ref().map_or(0, |b| b.time_ms);
        let author = checked.author;
        if let Some(what) = checked.problem {
            self.damaged.push(Flagged {
                seq: checked.seq,
                author,
                reason: what,
            });
        }
        match checked.effect {
            Effect::Rejected { reason } => {
                self.rejected.push(Flagged {
                    seq: checked.seq,
                    author,
                    reason,
                });
            }
            Effect::Team { name, creator } => {
                self.name = name;
                self.created_ms = time;
                self.members.insert(
                    creator.device_id,
                    Member {
                        cert: creator,
                        role: TeamRole::Owner,
                        active: true,
                        joined_seq: checked.seq,
                        removed: None,
                        expires_ms: None,
                        joined_ms: time,
                    },
                );
            }
            Effect::Vault {
                id,
                name_ct,
                key_epoch,
            } => {
                let mut access = BTreeMap::new();
                access.insert(author, VaultRole::Admin);
                self.vaults.insert(
                    id,
                    VaultState {
                        id,
                        name: None,
                        name_ct,
                        name_epoch: key_epoch,
                        key_epoch,
                        access,
                        created_by: author,
                        items: HashMap::new(),
                        by_name: HashMap::new(),
                        indexed_as: HashMap::new(),
                    },
                );
                new_vault_keys.insert(id);
            }
            Effect::Put {
                vault,
                item,
                version,
                damaged,
            } => {
                if damaged {
                    self.damaged.push(Flagged {
                        seq: checked.seq,
                        author,
                        reason: format!(
                            "version {} of a secret does not decrypt under its vault key",
                            version.version
                        ),
                    });
                }
                let team_id = self.team_id;
                let keys = &self.keys;
                if let Some(v) = self.vaults.get_mut(&vault) {
                    let entry = v.items.entry(item).or_insert_with(|| Item {
                        id: item,
                        versions: Vec::new(),
                        deleted: false,
                        conflict: Vec::new(),
                        exposed: None,
                    });
                    let previous = entry.versions.last().map(|p| p.version);
                    match previous {
                        // Written on top of the version its author saw: resolves any conflict.
                        Some(p) if p == version.base_version => entry.conflict.clear(),
                        // Concurrent edits: the later one in log order is current, the other
                        // stays in history and both are flagged until someone resolves them.
                        Some(p) => {
                            if !entry.conflict.contains(&p) {
                                entry.conflict.push(p);
                            }
                            entry.conflict.push(version.version);
                        }
                        None => {}
                    }
                    if entry
                        .exposed
                        .as_ref()
                        .is_some_and(|e| version.version > e.at_version)
                        && !repeats_exposed(team_id, vault, keys, entry, &version)
                    {
                        entry.exposed = None;
                    }
                    entry.versions.push(version);
                    entry.deleted = false;
                    v.index(item);
                }
            }
            Effect::Delete { vault, item } => {
                if let Some(v) = self.vaults.get_mut(&vault) {
                    if let Some(i) = v.items.get_mut(&item) {
                        i.deleted = true;
                        i.conflict.clear();
                    }
                    v.index(item);
                }
            }
            Effect::Invite {
                id,
                role,
                expires_ms,
            } => {
                self.invites.insert(
                    id,
                    Invite {
                        role,
                        expires_ms,
                        created_by: author,
                        used_by: None,
                    },
                );
            }
            Effect::Admit {
                invite,
                member,
                role,
            } => {
                if let Some(i) = self.invites.get_mut(&invite) {
                    i.used_by = Some(member.device_id);
                }
                self.members.insert(
                    member.device_id,
                    Member {
                        cert: member,
                        role,
                        active: true,
                        joined_seq: checked.seq,
                        removed: None,
                        expires_ms: None,
                        joined_ms: time,
                    },
                );
            }
            Effect::Remove {
                device,
                new_log_epoch,
                rekeyed,
            } => {
                let who = self.display_name(&device);
                if let Some(m) = self.members.get_mut(&device) {
                    m.active = false;
                    m.removed = Some((time, author));
                }
                self.log_epoch = new_log_epoch;
                for (vid, epoch) in rekeyed {
                    if let Some(v) = self.vaults.get_mut(&vid) {
                        v.access.remove(&device);
                        v.key_epoch = epoch;
                        expose_all(v, time, &format!("{who} was removed from the team"));
                    }
                }
            }
            Effect::Grant {
                vault,
                device,
                role,
            } => {
                if let Some(v) = self.vaults.get_mut(&vault) {
                    v.access.insert(device, role);
                }
            }
            Effect::Revoke {
                vault,
                device,
                new_epoch,
            } => {
                let who = self.display_name(&device);
                if let Some(v) = self.vaults.get_mut(&vault) {
                    v.access.remove(&device);
                    v.key_epoch = new_epoch;
                    expose_all(v, time, &format!("{who} lost access to the vault"));
                }
            }
            Effect::Service {
                member,
                vaults,
                expires_ms,
            } => {
                let device = member.device_id;
                self.members.insert(
                    device,
                    Member {
                        cert: member,
                        role: TeamRole::Service,
                        active: true,
                        joined_seq: checked.seq,
                        removed: None,
                        expires_ms: Some(expires_ms),
                        joined_ms: time,
                    },
                );
                for vid in vaults {
                    if let Some(v) = self.vaults.get_mut(&vid) {
                        v.access.insert(device, VaultRole::Read);
                    }
                }
            }
            Effect::Leaked {
                vault,
                item,
                version,
                reason,
            } => {
                // A leak of a version that was already replaced needs no rotation.
                if let Some(i) = self
                    .vaults
                    .get_mut(&vault)
                    .and_then(|v| v.items.get_mut(&item))
                    && i.current().version == version
                {
                    i.exposed = Some(Exposure {
                        since_ms: time,
                        at_version: version,
                        reason,
                        leak: true,
                    });
                }
            }
            Effect::Usage {
                vault,
                action,
                items,
            } => {
                self.usage.extend(items.into_iter().map(|(item, version)| {
                    crate::anomaly::UsageRecord {
                        seq: checked.seq,
                        time_ms: time,
                        member: author,
                        vault,
                        item,
                        version,
                        action,
                    }
                }));
            }
            Effect::Witness { key, url } => match url {
                Some(url) => {
                    self.witnesses.insert(key, url);
                }
                None => {
                    self.witnesses.remove(&key);
                }
            },
        }
        for vid in new_vault_keys {
            self.open_vault(vid);
        }
        self.head = Some((checked.seq, checked.hash));
    }

    /// Opens whatever of a vault became readable with the keys now held.
    fn open_vault(&mut self, vault_id: Uuid) {
        let team_id = self.team_id;
        let keys = &self.keys;
        let Some(v) = self.vaults.get_mut(&vault_id) else {
            return;
        };
        if v.name.is_none()
            && let Some(k) = keys.get(&(KeyScope::Vault(vault_id), v.name_epoch))
        {
            let ad = vault_name_ad(&team_id, &vault_id, v.name_epoch);
            v.name = crypto::open(k, &ad, &v.name_ct, "vault name")
                .ok()
                .and_then(|p| String::from_utf8(p.to_vec()).ok())
                .filter(|n| crate::item::validate_name(n, "vault").is_ok());
        }
        let mut changed = Vec::new();
        for item in v.items.values_mut() {
            for ver in item.versions.iter_mut().filter(|x| x.meta.is_none()) {
                if let Some(k) = keys.get(&(KeyScope::Vault(vault_id), ver.key_epoch)) {
                    let slot = ItemSlot {
                        team_id,
                        vault_id,
                        item_id: item.id,
                        version: ver.version,
                        key_epoch: ver.key_epoch,
                    };
                    ver.meta = slot.open_meta(k, &ver.meta_ct).ok();
                }
            }
            changed.push(item.id);
        }
        for id in changed {
            v.index(id);
        }
    }

    /// Checks and applies in one call.
    pub fn apply(
        &mut self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<()> {
        let c = self.check(ev, me, verify_signature)?;
        self.commit(c);
        Ok(())
    }

    /// Opens a version's value.
    pub fn open_value(
        &self,
        vault: &VaultState,
        item: &Item,
        version: &Version,
    ) -> Result<SecretString> {
        let key = self
            .keys
            .get(&(KeyScope::Vault(vault.id), version.key_epoch))
            .ok_or_else(|| {
                Error::Forbidden("this device holds no key for that vault epoch".into())
            })?;
        ItemSlot {
            team_id: self.team_id,
            vault_id: vault.id,
            item_id: item.id,
            version: version.version,
            key_epoch: version.key_epoch,
        }
        .open_value(key, &version.value_ct)
    }
}

/// The words of a rule an event broke, without the error kind's prefix.
fn reason_of(e: Error) -> String {
    match e {
        Error::Integrity(m) | Error::Forbidden(m) | Error::Invalid(m) => m,
        other => other.to_string(),
    }
}

/// Whether `new` repeats the value of a version the item's exposure covers (the reported one for
/// a leak; every version up to it when someone who could read them lost access). Such a write
/// does not clear the exposure: the exposed value is still in use. Only readers can compare;
/// others do not see the item at all.
fn repeats_exposed(
    team_id: Uuid,
    vault_id: Uuid,
    keys: &HashMap<(KeyScope, u32), Key32>,
    item: &Item,
    new: &Version,
) -> bool {
    let Some(exp) = &item.exposed else {
        return false;
    };
    let open = |v: &Version| {
        let key = keys.get(&(KeyScope::Vault(vault_id), v.key_epoch))?;
        ItemSlot {
            team_id,
            vault_id,
            item_id: item.id,
            version: v.version,
            key_epoch: v.key_epoch,
        }
        .open_value(key, &v.value_ct)
        .ok()
    };
    let Some(value) = open(new) else {
        return false;
    };
    item.versions
        .iter()
        .filter(|v| {
            if exp.leak {
                v.version == exp.at_version
            } else {
                v.version <= exp.at_version
            }
        })
        .filter_map(open)
        .any(|old| crypto::ct_eq(old.expose().as_bytes(), value.expose().as_bytes()))
}

fn expose_all(v: &mut VaultState, time: i64, reason: &str) {
    for item in v.items.values_mut().filter(|i| !i.deleted) {
        let at_version = item.current().version;
        // Keep the earliest reason if it is still unresolved.
        if item.exposed.is_none() {
            item.exposed = Some(Exposure {
                since_ms: time,
                at_version,
                reason: reason.to_owned(),
                leak: false,
            });
        }
    }
}
