//! The key lifecycle: what is due, overdue, expired or exposed (`hush status`), rotation
//! (`hush rotate`), leak reports (`hush leaked`) and usage records.
//!
//! **Leak reports.** `Payload::Leaked` names a vault, an item and the version reported; any member
//! who can read the vault may author one. The reporter's note is sealed under the vault key with
//! associated data that binds it to its slot, exactly like item metadata:
//!
//! ```text
//! note_ct = AEAD(vault_key[e], "hush/v1/leak-note" || team_id || vault_id || item_id || version:u32 || e:u32, note)
//! ```
//!
//! so the relay and members without access to the vault learn only that *some* item was reported.
//! When the event lands on the item's current version, the item becomes exposed until a newer
//! version (a rotation) is written.
//!
//! **Usage records.** Reading a value is a local act: nothing on the wire shows it. The client
//! therefore writes a signed `Payload::Usage` (vault, how, which item versions) after each read,
//! through the normal outbox, so it syncs later when the device is offline. Readers are
//! de-duplicated: the same device reading the same item version the same way within an hour adds
//! nothing. Records are written only in teams that sync through a relay and have another active
//! member (nobody else could ever read them otherwise), and a failure to record never fails the
//! read. They are best-effort by nature: a member who holds a key can read it without any record
//! (see `docs/BREAK-GLASS.md`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use crate::address::Address;
use crate::anomaly::{Alert, usage_spikes};
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{KeyScope, Payload, Public, PutKind, SignedEvent, UsageAction, VaultRole};
use crate::item::{civil_from_days, parse_date};
use crate::secret::SecretString;
use crate::session::{MetaUpdate, RotationState, SecretInfo, Session, Team};

const HOUR_MS: i64 = 3_600_000;

/// (team id, vault id).
type VaultKey = (Uuid, Uuid);
/// (item id, version) pairs read.
type ItemVersions = Vec<(Uuid, u32)>;
const DAY_MS: i64 = 24 * HOUR_MS;

// Leak notes are sealed like item versions: the wire format lives with `item`.
pub use crate::item::{leak_note_ad, open_leak_note, seal_leak_note, validate_leak_note};

/// Why a secret is listed by `hush status`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Within 7 days of its rotation deadline or 14 days of its expiry.
    Due,
    /// Past its rotation period.
    Overdue,
    /// Past its expiry date.
    Expired,
    /// Someone who could read it lost access, or it was reported leaked.
    Exposed,
}

impl KeyState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Due => "due",
            KeyState::Overdue => "overdue",
            KeyState::Expired => "expired",
            KeyState::Exposed => "exposed",
        }
    }
}

/// One line of `hush status`: a secret that needs a person.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct KeyStatus {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// Due, overdue, expired or exposed.
    pub state: KeyState,
    /// Why, for a person.
    pub reason: String,
    /// Since when (ms since the Unix epoch).
    pub since_ms: i64,
}

/// The answer of `hush status`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StatusReport {
    /// The time the report was computed at.
    pub now_ms: i64,
    /// Secrets that are due, overdue, expired or exposed, most urgent first.
    pub keys: Vec<KeyStatus>,
    /// Secrets with unresolved concurrent edits.
    pub conflicts: usize,
    /// Things to look at: unusual reading, relay misbehaviour.
    pub alerts: Vec<Alert>,
}

/// Someone who could read a reported version.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Reader {
    /// Display name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// `has access`, `access revoked` or `removed from the team`.
    pub status: String,
    /// Current role on the vault, if any.
    pub role: Option<VaultRole>,
}

/// The answer of `hush leaked`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LeakReport {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// The version reported.
    pub version: u32,
    /// The exposure reason now recorded.
    pub reason: String,
    /// Where the key is managed, when the metadata says.
    pub url: Option<String>,
    /// Everyone who could read that version since it was written.
    pub readers: Vec<Reader>,
}

fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn date_of_ms(ms: i64) -> String {
    date_of_day(ms.div_euclid(DAY_MS))
}

/// Why `info` needs attention at `now_ms`: (state, reason, since when). Empty when it does not.
pub fn key_states(info: &SecretInfo, now_ms: i64) -> Vec<(KeyState, String, i64)> {
    let mut out = Vec::new();
    let expiry = info
        .meta
        .expires
        .as_deref()
        .and_then(|d| parse_date(d).ok());
    let period = info.meta.rotate_every_days.map(i64::from);
    let deadline = period.map(|d| info.updated_ms + d * DAY_MS);
    match info.rotation_state(now_ms) {
        RotationState::Expired => {
            if let Some(e) = expiry {
                out.push((
                    KeyState::Expired,
                    format!("expired on {}", date_of_day(e)),
                    e * DAY_MS,
                ));
            }
        }
        RotationState::Overdue => {
            if let (Some(dl), Some(days)) = (deadline, period) {
                out.push((
                    KeyState::Overdue,
                    format!(
                        "not rotated for {days} days (rotation was due {})",
                        date_of_ms(dl)
                    ),
                    dl,
                ));
            }
        }
        RotationState::Due => {
            let mut reasons = Vec::new();
            let mut since = i64::MAX;
            if let Some(dl) = deadline
                && now_ms > dl - 7 * DAY_MS
            {
                reasons.push(format!("rotation due by {}", date_of_ms(dl)));
                since = since.min(dl - 7 * DAY_MS);
            }
            if let Some(e) = expiry
                && now_ms.div_euclid(DAY_MS) > e - 14
            {
                reasons.push(format!("expires on {}", date_of_day(e)));
                since = since.min((e - 13) * DAY_MS);
            }
            if !reasons.is_empty() {
                out.push((KeyState::Due, reasons.join("; "), since));
            }
        }
        RotationState::None | RotationState::Ok => {}
    }
    if let Some(x) = &info.exposed {
        out.push((KeyState::Exposed, x.reason.clone(), x.since_ms));
    }
    out
}

fn urgency(s: KeyState) -> u8 {
    match s {
        KeyState::Exposed => 0,
        KeyState::Expired => 1,
        KeyState::Overdue => 2,
        KeyState::Due => 3,
    }
}

impl Session {
    fn status_teams(&self, team: Option<&str>) -> Result<Vec<Uuid>> {
        Ok(match team {
            Some(_) => vec![self.active_team(team)?],
            None => self.teams.keys().copied().collect(),
        })
    }

    /// Secrets that are due, overdue, expired or exposed, the number of conflicts, and alerts;
    /// across every team, or only `team`.
    pub fn key_status(&self, team: Option<&str>) -> Result<StatusReport> {
        let now = (self.clock)();
        let mut keys = Vec::new();
        let mut conflicts = 0;
        let mut alerts = Vec::new();
        for tid in self.status_teams(team)? {
            let t = self.team_ref(tid)?;
            let st = &t.state;
            for v in st.vaults.values() {
                for item in v.live_items() {
                    if !item.conflict.is_empty() {
                        conflicts += 1;
                    }
                    let info = Self::secret_info(st, v, item);
                    for (state, reason, since_ms) in key_states(&info, now) {
                        keys.push(KeyStatus {
                            team: info.team.clone(),
                            address: format!("{}/{}", info.vault, info.name),
                            state,
                            reason,
                            since_ms,
                        });
                    }
                }
            }
            alerts.extend(Self::team_alerts(t, now));
        }
        keys.sort_by(|a, b| {
            (urgency(a.state), a.since_ms, &a.team, &a.address).cmp(&(
                urgency(b.state),
                b.since_ms,
                &b.team,
                &b.address,
            ))
        });
        Ok(StatusReport {
            now_ms: now,
            keys,
            conflicts,
            alerts,
        })
    }

    fn team_alerts(t: &Team, now: i64) -> Vec<Alert> {
        let st = &t.state;
        let mut out = Vec::new();
        if let Some(a) = &t.settings.relay_alert {
            out.push(Alert {
                kind: "relay".into(),
                team: st.name.clone(),
                subject: "relay".into(),
                detail: a.clone(),
                since_ms: None,
            });
        }
        // Signed events that broke a rule: they changed nothing, but a person should know who
        // sent them (a modified client, a compromised laptop). Damaged values likewise.
        for (kind, list) in [("rejected_event", &st.rejected), ("damaged", &st.damaged)] {
            for f in list {
                let name = st.display_name(&f.author);
                out.push(Alert {
                    kind: kind.into(),
                    team: st.name.clone(),
                    subject: name.clone(),
                    detail: if kind == "rejected_event" {
                        format!(
                            "event {} by {name} broke a rule and had no effect: {}",
                            f.seq, f.reason
                        )
                    } else {
                        format!("event {} by {name}: {}", f.seq, f.reason)
                    },
                    since_ms: None,
                });
            }
        }
        for s in usage_spikes(&st.usage, now) {
            let name = st.display_name(&s.member);
            let usual = match s.usual {
                Some(m) => format!("usually {m} a day"),
                None => "no reads in the 30 days before".into(),
            };
            out.push(Alert {
                kind: "usage_spike".into(),
                team: st.name.clone(),
                subject: name.clone(),
                detail: format!(
                    "{name} read {} distinct keys in the last 24 h ({usual})",
                    s.keys
                ),
                since_ms: Some(s.since_ms),
            });
        }
        out
    }

    /// Records a new value of an existing secret as a rotation (metadata kept; the expiry date
    /// replaced when `expires` is given). Clears "exposed" and restarts the rotation period.
    pub async fn rotate(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        value: &SecretString,
        expires: Option<String>,
    ) -> Result<u32> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let item_id = item.ok_or_else(|| {
            Error::NotFound(format!(
                "secret `{addr}` (rotate records a new value of an existing secret; create it with `hush set`)"
            ))
        })?;
        {
            let (st, v) = self.vault_ref(tid, vid);
            let it = &v.items[&item_id];
            if let Ok(current) = st.open_value(v, it, it.current())
                && crypto::ct_eq(current.expose().as_bytes(), value.expose().as_bytes())
            {
                return Err(Error::Invalid(
                    "the new value is the same as the current one: rotate the key at its provider first, then record the new value".into(),
                ));
            }
        }
        let update = MetaUpdate {
            expires,
            ..MetaUpdate::default()
        };
        self.set(team, addr, value, update, PutKind::Rotation).await
    }

    /// Builds a leak report of `version` of an item, sealing the note at the vault's epoch.
    pub(crate) fn build_leaked(
        &self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        version: u32,
        note: &str,
    ) -> Result<Payload> {
        validate_leak_note(note)?;
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vid)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        if !v.access.contains_key(&self.identity.device_id) {
            return Err(Error::Forbidden(format!(
                "you no longer have access to vault `{}`",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        let current = v
            .items
            .get(&item_id)
            .map(|i| i.current().version)
            .ok_or_else(|| Error::NotFound("secret".into()))?;
        if version == 0 || version > current {
            return Err(Error::NotFound(format!("version {version} of the secret")));
        }
        let key_epoch = v.key_epoch;
        let key = st
            .key(KeyScope::Vault(vid), key_epoch)
            .ok_or_else(|| Error::Forbidden("this device holds no key for the vault".into()))?;
        let slot = st.item_slot(vid, item_id, version, key_epoch);
        Ok(Payload::Leaked {
            vault_id: vid,
            item_id,
            version,
            key_epoch,
            note_ct: seal_leak_note(&slot, key, note),
        })
    }

    /// Reports a secret's current value as leaked: records a signed `Leaked` event (the secret
    /// becomes exposed on every member's device once synced) and returns who could read it.
    pub async fn report_leak(
        &mut self,
        team: Option<&str>,
        addr: &Address,
        note: &str,
    ) -> Result<LeakReport> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let item_id = item.ok_or_else(|| Error::NotFound(format!("secret `{addr}`")))?;
        let (version, written_at, url) = {
            let (_, v) = self.vault_ref(tid, vid);
            let cur = v.items[&item_id].current();
            (
                cur.version,
                cur.seq,
                cur.meta.as_ref().and_then(|m| m.url.clone()),
            )
        };
        let payload = self.build_leaked(tid, vid, item_id, version, note)?;
        self.append(tid, payload, Public::default()).await?;
        let readers = self.readers_since(tid, vid, written_at).await?;
        let (st, v) = self.vault_ref(tid, vid);
        let it = &v.items[&item_id];
        Ok(LeakReport {
            team: st.name.clone(),
            address: format!(
                "{}/{}",
                v.name.as_deref().unwrap_or("?"),
                it.name().unwrap_or("?")
            ),
            version,
            reason: it
                .exposed
                .as_ref()
                .map(|e| e.reason.clone())
                .unwrap_or_default(),
            url,
            readers,
        })
    }

    /// Every device that held read access to a vault at some point from log position
    /// `since_seq` on (they could have read anything written at `since_seq`), replayed from the
    /// signed log: present members, members whose access was revoked, removed members.
    pub async fn readers_since(&self, tid: Uuid, vid: Uuid, since_seq: u64) -> Result<Vec<Reader>> {
        let st = &self.team_ref(tid)?.state;
        let mut access: BTreeSet<Uuid> = BTreeSet::new();
        let mut readers: BTreeSet<Uuid> = BTreeSet::new();
        for row in self.store.events(tid, None).await? {
            let ev = SignedEvent::decode(&row.bytes)?;
            let Some(key) = st.key(KeyScope::Log, ev.envelope.epoch) else {
                continue;
            };
            match ev.open_body(key)?.payload {
                Payload::VaultCreate { vault_id, .. } if vault_id == vid => {
                    access.insert(ev.envelope.author);
                }
                Payload::Grant {
                    vault_id,
                    device_id,
                    ..
                } if vault_id == vid => {
                    access.insert(device_id);
                }
                Payload::ServiceCreate { member, vaults, .. } if vaults.contains(&vid) => {
                    access.insert(member.device_id);
                }
                Payload::Revoke {
                    vault_id,
                    device_id,
                    ..
                } if vault_id == vid => {
                    access.remove(&device_id);
                }
                Payload::Remove { device_id, .. } => {
                    access.remove(&device_id);
                }
                _ => {}
            }
            if ev.envelope.seq >= since_seq {
                readers.extend(access.iter().copied());
            }
        }
        let v = st.vaults.get(&vid);
        let mut out: Vec<Reader> = readers
            .into_iter()
            .map(|id| {
                let role = v.and_then(|v| v.access.get(&id).copied());
                let active = st.active_member(&id).is_some();
                let status = match (active, role) {
                    (false, _) => "removed from the team".to_owned(),
                    (true, None) => "access revoked".to_owned(),
                    (true, Some(r)) => format!("has {} access", r.as_str()),
                };
                Reader {
                    name: st.display_name(&id),
                    id,
                    status,
                    role,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.role.is_none(), &a.name, a.id).cmp(&(b.role.is_none(), &b.name, b.id))
        });
        Ok(out)
    }

    /// Rebuilds a pending leak report on the current head (the note re-sealed at the vault's
    /// current epoch).
    pub(crate) async fn rebase_leaked(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        item_id: Uuid,
        version: u32,
        note: &str,
    ) -> Result<()> {
        let payload = self
            .build_leaked(tid, vid, item_id, version, note)
            .map_err(|e| Error::Forbidden(format!("a pending leak report was dropped: {e}")))?;
        self.append(tid, payload, Public::default()).await
    }

    /// Rebuilds a pending usage record on the current head, keeping its original time.
    pub(crate) async fn rebase_usage(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        action: UsageAction,
        items: Vec<(Uuid, u32)>,
        time_ms: i64,
    ) -> Result<()> {
        let items = {
            let st = &self.team_ref(tid)?.state;
            let v = st
                .vaults
                .get(&vid)
                .ok_or_else(|| Error::NotFound("the vault of a pending usage record".into()))?;
            if !v.access.contains_key(&self.identity.device_id) {
                return Err(Error::Forbidden(
                    "a pending usage record was dropped: this device lost access to its vault"
                        .into(),
                ));
            }
            items
                .into_iter()
                .filter(|(i, ver)| {
                    v.items
                        .get(i)
                        .is_some_and(|it| *ver >= 1 && *ver <= it.current().version)
                })
                .collect::<Vec<_>>()
        };
        if items.is_empty() {
            return Ok(());
        }
        let payload = Payload::Usage {
            vault_id: vid,
            action,
            items,
        };
        self.append_at(tid, payload, time_ms).await
    }

    /// Appends with the body time set to `time_ms` instead of now.
    async fn append_at(&mut self, tid: Uuid, payload: Payload, time_ms: i64) -> Result<()> {
        let real = std::mem::replace(&mut self.clock, Arc::new(move || time_ms));
        let r = self.append(tid, payload, Public::default()).await;
        self.clock = real;
        r
    }

    fn records_usage(&self, tid: Uuid) -> bool {
        let me = self.identity.device_id;
        self.teams.get(&tid).is_some_and(|t| {
            t.settings.relay.is_some()
                && t.state.active_member(&me).is_some_and(|m| !m.is_service())
                && t.state
                    .members
                    .values()
                    .any(|m| m.active && m.cert.device_id != me)
        })
    }

    /// Records that this device read `items` (item id, version) of a vault. Versions this
    /// device already recorded reading the same way within the last hour are skipped; returns
    /// how many were recorded. Nothing is recorded in local-only teams, in teams where this
    /// device is alone, or for vaults it no longer has access to.
    pub async fn record_usage(
        &mut self,
        tid: Uuid,
        vid: Uuid,
        action: UsageAction,
        items: &[(Uuid, u32)],
    ) -> Result<usize> {
        if !self.records_usage(tid) {
            return Ok(0);
        }
        let now = (self.clock)();
        let me = self.identity.device_id;
        let fresh: Vec<(Uuid, u32)> = {
            let st = &self.team_ref(tid)?.state;
            let Some(v) = st.vaults.get(&vid) else {
                return Ok(0);
            };
            if !v.access.contains_key(&me) {
                return Ok(0);
            }
            let mut recent: HashSet<(Uuid, u32)> = st
                .usage
                .iter()
                .filter(|r| {
                    r.member == me
                        && r.vault == vid
                        && r.action == action
                        && r.time_ms > now - HOUR_MS
                })
                .map(|r| (r.item, r.version))
                .collect();
            items
                .iter()
                .copied()
                .filter(|(i, ver)| {
                    v.items
                        .get(i)
                        .is_some_and(|it| *ver >= 1 && *ver <= it.current().version)
                })
                .filter(|x| recent.insert(*x))
                .collect()
        };
        for chunk in fresh.chunks(crate::event::MAX_USAGE_ITEMS) {
            let payload = Payload::Usage {
                vault_id: vid,
                action,
                items: chunk.to_vec(),
            };
            self.append(tid, payload, Public::default()).await?;
        }
        Ok(fresh.len())
    }

    /// The ((team, vault), [(item, version)]) a read of `addr` touched: its current version, or
    /// every version when `all_versions`.
    fn read_target(
        &self,
        team: Option<&str>,
        addr: &Address,
        all_versions: bool,
    ) -> Option<(VaultKey, ItemVersions)> {
        let (tid, vid, item) = self.lookup(team, addr).ok()?;
        let item = item?;
        let it = self.vault_ref(tid, vid).1.items.get(&item)?;
        let versions = if all_versions {
            it.versions.iter().map(|v| (item, v.version)).collect()
        } else {
            vec![(item, it.current().version)]
        };
        Some(((tid, vid), versions))
    }

    async fn record_grouped(
        &mut self,
        groups: BTreeMap<VaultKey, ItemVersions>,
        action: UsageAction,
    ) -> usize {
        let mut n = 0;
        for ((tid, vid), items) in groups {
            // A usage record never fails the read it accompanies.
            n += self
                .record_usage(tid, vid, action, &items)
                .await
                .unwrap_or(0);
        }
        n
    }

    /// Records reads of secrets by address (best-effort, never fails); returns how many item
    /// versions were recorded. With `all_versions`, every version of each (history reveal).
    pub async fn record_reads(
        &mut self,
        team: Option<&str>,
        addresses: &[Address],
        action: UsageAction,
        all_versions: bool,
    ) -> usize {
        let mut groups: BTreeMap<VaultKey, ItemVersions> = BTreeMap::new();
        for a in addresses {
            if let Some((vault, items)) = self.read_target(team, a, all_versions) {
                groups.entry(vault).or_default().extend(items);
            }
        }
        self.record_grouped(groups, action).await
    }

    /// Records reads of every live secret of every vault this device can read, in every team
    /// (`hush backup` reads them all); best-effort, like every usage record.
    pub async fn record_all_reads(&mut self, action: UsageAction) -> usize {
        let mut groups: BTreeMap<VaultKey, ItemVersions> = BTreeMap::new();
        for (tid, t) in &self.teams {
            for v in t.state.vaults.values().filter(|v| v.readable()) {
                let items: ItemVersions = v
                    .live_items()
                    .into_iter()
                    .map(|i| (i.id, i.current().version))
                    .collect();
                if !items.is_empty() {
                    groups.insert((*tid, v.id), items);
                }
            }
        }
        self.record_grouped(groups, action).await
    }

    /// Records reads of every live secret of a vault (`hush run --vault`); best-effort.
    pub async fn record_vault_read(
        &mut self,
        team: Option<&str>,
        vault: &str,
        action: UsageAction,
    ) -> usize {
        let Ok((tid, vid)) = self.locate_vault(team, None, vault) else {
            return 0;
        };
        let items: Vec<(Uuid, u32)> = self
            .vault_ref(tid, vid)
            .1
            .live_items()
            .into_iter()
            .map(|i| (i.id, i.current().version))
            .collect();
        let mut groups = BTreeMap::new();
        groups.insert((tid, vid), items);
        self.record_grouped(groups, action).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Body;
    use crate::item::{ItemMeta, ItemSlot};
    use crate::secret::Key32;
    use crate::session::tests::info;
    use std::sync::atomic::{AtomicI64, Ordering};

    fn slot() -> ItemSlot {
        ItemSlot::new(
            Uuid::from_bytes([1; 16]),
            Uuid::from_bytes([2; 16]),
            Uuid::from_bytes([3; 16]),
            4,
            5,
        )
    }

    #[test]
    fn new_payloads_round_trip_and_reject_garbage() {
        let bodies = [
            Body {
                time_ms: 1_767_225_600_000,
                payload: Payload::Leaked {
                    vault_id: Uuid::from_bytes([2; 16]),
                    item_id: Uuid::from_bytes([3; 16]),
                    version: 4,
                    key_epoch: 5,
                    note_ct: vec![7; 40],
                },
            },
            Body {
                time_ms: -1,
                payload: Payload::Usage {
                    vault_id: Uuid::from_bytes([2; 16]),
                    action: UsageAction::History,
                    items: vec![
                        (Uuid::from_bytes([3; 16]), 1),
                        (Uuid::from_bytes([3; 16]), 2),
                    ],
                },
            },
        ];
        for b in &bodies {
            let bytes = b.encode();
            assert_eq!(&Body::decode(&bytes).expect("decode"), b);
            let mut longer = bytes.to_vec();
            longer.push(0);
            assert!(Body::decode(&longer).is_err(), "trailing byte accepted");
            assert!(Body::decode(&bytes[..bytes.len() - 1]).is_err());
        }
        // Usage: the action byte sits after tag, time and vault id.
        let mut bad_action = bodies[1].encode().to_vec();
        bad_action[1 + 8 + 16] = 8;
        assert!(Body::decode(&bad_action).is_err(), "unknown action");
        for (code, a) in [
            (0, UsageAction::Get),
            (1, UsageAction::Run),
            (2, UsageAction::Inject),
            (3, UsageAction::Reveal),
            (4, UsageAction::Copy),
            (5, UsageAction::History),
            (6, UsageAction::Export),
            (7, UsageAction::Backup),
        ] {
            assert_eq!(a.to_u8(), code);
            assert_eq!(UsageAction::from_u8(code).ok(), Some(a));
        }
        // An empty usage list is refused by the decoder.
        let empty = Body {
            time_ms: 0,
            payload: Payload::Usage {
                vault_id: Uuid::nil(),
                action: UsageAction::Get,
                items: Vec::new(),
            },
        };
        assert!(Body::decode(&empty.encode()).is_err());
    }

    #[test]
    fn leak_notes_are_bound_to_their_slot() {
        let key = Key32::random();
        let ct = seal_leak_note(&slot(), &key, "pasted in #general");
        assert_eq!(
            open_leak_note(&slot(), &key, &ct).ok().as_deref(),
            Some("pasted in #general")
        );
        let mut other = slot();
        other.version = 3;
        assert!(open_leak_note(&other, &key, &ct).is_err());
        let mut other = slot();
        other.key_epoch = 6;
        assert!(open_leak_note(&other, &key, &ct).is_err());
        // A metadata ciphertext of the same slot is not a note.
        let meta = slot().seal_meta(
            &key,
            &ItemMeta {
                name: "K".into(),
                ..ItemMeta::default()
            },
        );
        assert!(open_leak_note(&slot(), &key, &meta).is_err());
        // Notes a client would refuse to write are refused when read.
        let evil = crypto::seal(&key, &leak_note_ad(&slot()), b"ok\x1b[2Jcleared");
        assert!(open_leak_note(&slot(), &key, &evil).is_err());
        assert!(validate_leak_note("line\nbreak").is_err());
    }

    #[test]
    fn states_say_why_and_since_when() {
        let t0 = parse_date("2030-01-01").expect("date") * DAY_MS;
        assert!(key_states(&info(t0, Some(90), None), t0 + DAY_MS).is_empty());
        let due = key_states(&info(t0, Some(90), None), t0 + 85 * DAY_MS);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0, KeyState::Due);
        assert_eq!(
            due[0].2,
            t0 + 83 * DAY_MS,
            "the due window opens 7 days before"
        );
        assert!(due[0].1.contains("2030-04-01"), "{}", due[0].1);
        let over = key_states(&info(t0, Some(90), None), t0 + 100 * DAY_MS);
        assert_eq!(over[0].0, KeyState::Overdue);
        assert_eq!(over[0].2, t0 + 90 * DAY_MS);
        let exp = key_states(&info(t0, Some(90), Some("2030-01-10")), t0 + 20 * DAY_MS);
        assert_eq!(exp.len(), 1);
        assert_eq!(exp[0].0, KeyState::Expired);
        assert_eq!(exp[0].2, t0 + 9 * DAY_MS, "since the expiry date");
        assert_eq!(exp[0].1, "expired on 2030-01-10");
        let soon = key_states(&info(t0, None, Some("2030-01-20")), t0 + 10 * DAY_MS);
        assert_eq!(soon[0].0, KeyState::Due);
        assert_eq!(soon[0].2, t0 + 6 * DAY_MS);
        let mut exposed = info(t0, None, None);
        exposed.exposed = Some(crate::state::Exposure {
            since_ms: t0 + 5,
            at_version: 1,
            reason: "bob was removed from the team".into(),
            leak: false,
        });
        let x = key_states(&exposed, t0 + DAY_MS);
        assert_eq!(
            x,
            vec![(
                KeyState::Exposed,
                "bob was removed from the team".to_owned(),
                t0 + 5
            )]
        );
    }

    /// A session on a temporary home whose clock the test moves.
    async fn session(dir: &std::path::Path, now: Arc<AtomicI64>) -> Session {
        let clock_now = now.clone();
        Session::init(
            dir,
            "alice",
            &SecretString::new("correct horse battery staple".into()),
            crate::crypto::KdfParams::DEFAULT,
            Arc::new(move || clock_now.load(Ordering::SeqCst)),
        )
        .await
        .expect("init")
    }

    #[tokio::test]
    async fn rotation_clears_overdue_and_exposure_and_refuses_the_same_value() {
        let dir = tempfile::tempdir().expect("tmp");
        let t0 = parse_date("2030-01-01").expect("date") * DAY_MS;
        let now = Arc::new(AtomicI64::new(t0));
        let mut s = session(&dir.path().join("h"), now.clone()).await;
        s.vault_create(None, "prod").await.expect("vault");
        let addr = Address::parse("prod/K").expect("addr");
        s.set(
            None,
            &addr,
            &SecretString::new("v1".into()),
            MetaUpdate {
                rotate_every_days: Some(30),
                ..MetaUpdate::default()
            },
            PutKind::Set,
        )
        .await
        .expect("set");
        assert!(s.key_status(None).expect("status").keys.is_empty());
        now.store(t0 + 31 * DAY_MS, Ordering::SeqCst);
        let report = s
            .report_leak(None, &addr, "in a screenshot")
            .await
            .expect("leak");
        assert_eq!(report.version, 1);
        assert_eq!(report.reason, "reported leaked by alice: in a screenshot");
        assert_eq!(report.readers.len(), 1);
        assert_eq!(report.readers[0].status, "has admin access");
        let st = s.key_status(None).expect("status");
        let states: Vec<KeyState> = st.keys.iter().map(|k| k.state).collect();
        assert_eq!(states, vec![KeyState::Exposed, KeyState::Overdue]);
        assert_eq!(st.keys[1].since_ms, t0 + 30 * DAY_MS);

        let e = s
            .rotate(None, &addr, &SecretString::new("v1".into()), None)
            .await
            .expect_err("same value");
        assert!(e.to_string().contains("same as the current one"), "{e}");
        let missing = Address::parse("prod/NOPE").expect("addr");
        assert!(matches!(
            s.rotate(None, &missing, &SecretString::new("x".into()), None)
                .await,
            Err(Error::NotFound(_))
        ));
        let v = s
            .rotate(None, &addr, &SecretString::new("v2".into()), None)
            .await
            .expect("rotate");
        assert_eq!(v, 2);
        assert!(s.key_status(None).expect("status").keys.is_empty());
        let hist = s.history(None, &addr, false).expect("history");
        assert_eq!(hist[0].kind, PutKind::Rotation);
        // Metadata is kept: the period still runs from the rotation.
        now.store(t0 + 62 * DAY_MS, Ordering::SeqCst);
        assert_eq!(
            s.key_status(None).expect("status").keys[0].state,
            KeyState::Overdue
        );
        s.close().await;
    }

    /// Alice's session with a shared team "acme" (relay set, never contacted), vault `prod`
    /// holding `prod/K`, and bob admitted without any vault access. Returns bob's identity.
    async fn team_with_bob(s: &mut Session) -> (Uuid, crate::identity::DeviceIdentity) {
        use crate::event::{AclChange, TeamRole};
        let info = s
            .team_create("acme", Some("http://127.0.0.1:9".into()), false)
            .await
            .expect("team");
        let tid = info.id;
        s.vault_create(None, "prod").await.expect("vault");
        s.set(
            None,
            &Address::parse("prod/K").expect("addr"),
            &SecretString::new("v1".into()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        let bob = crate::identity::DeviceIdentity::generate("bob").expect("bob");
        let invite_id = Uuid::new_v4();
        let expires_ms = (s.clock)() + DAY_MS;
        s.append(
            tid,
            Payload::InviteCreate {
                invite_id,
                role: TeamRole::Member,
                expires_ms,
            },
            Public {
                bundles: Vec::new(),
                acl: vec![AclChange::Invite {
                    invite_id,
                    token_hash: [0; 32],
                    expires_ms,
                }],
            },
        )
        .await
        .expect("invite");
        let (p, public) = s
            .build_admit(tid, invite_id, &bob.cert(), TeamRole::Member, [0; 32])
            .expect("admit");
        s.append(tid, p, public).await.expect("admit");
        (tid, bob)
    }

    /// An event authored by `who` at the head of `tid`, checked (not applied) on alice's state.
    fn check_as(
        s: &Session,
        tid: Uuid,
        who: &crate::identity::DeviceIdentity,
        payload: Payload,
    ) -> Result<()> {
        let st = &s.teams[&tid].state;
        let (seq, prev) = st.next_position();
        let ev = SignedEvent::seal(
            crate::event::Envelope {
                team_id: tid,
                seq,
                prev,
                epoch: st.log_epoch,
                author: who.device_id,
            },
            Public::default(),
            &crate::event::Body {
                time_ms: (s.clock)(),
                payload,
            },
            st.key(KeyScope::Log, st.log_epoch).expect("log key"),
            who,
        )?;
        st.check_own(&ev, &s.identity).map(|_| ())
    }

    #[tokio::test]
    async fn only_readers_of_the_vault_may_record_usage_or_report_leaks() {
        let dir = tempfile::tempdir().expect("tmp");
        let now = Arc::new(AtomicI64::new(1_900_000_000_000));
        let mut s = session(&dir.path().join("h"), now).await;
        let (tid, bob) = team_with_bob(&mut s).await;
        let (vid, item, key_epoch) = {
            let st = &s.teams[&tid].state;
            let v = st.vaults.values().next().expect("vault");
            (v.id, v.find("K").expect("item").id, v.key_epoch)
        };
        let usage = || Payload::Usage {
            vault_id: vid,
            action: UsageAction::Get,
            items: vec![(item, 1)],
        };
        // Bob holds no vault key, so he cannot seal a note; any bytes will do for the check.
        let leaked = || Payload::Leaked {
            vault_id: vid,
            item_id: item,
            version: 1,
            key_epoch,
            note_ct: vec![0; 40],
        };
        for p in [usage(), leaked()] {
            let e = check_as(&s, tid, &bob, p).expect_err("bob cannot read prod");
            assert!(
                matches!(e, Error::Forbidden(ref m) if m.contains("only members who can read")),
                "{e}"
            );
        }
        // Unknown items and versions are refused even from a reader.
        for items in [
            vec![(Uuid::new_v4(), 1)],
            vec![(item, 2)],
            vec![(item, 1), (item, 1)],
        ] {
            let p = Payload::Usage {
                vault_id: vid,
                action: UsageAction::Get,
                items,
            };
            assert!(check_as(&s, tid, &s.identity, p).is_err());
        }
        let (p, public) = s
            .build_grant(tid, vid, bob.device_id, VaultRole::Read)
            .expect("grant");
        s.append(tid, p, public).await.expect("grant");
        check_as(&s, tid, &bob, usage()).expect("a reader may record usage");
        // Only readers can open a note, so what they find cannot decide validity (non-readers
        // would disagree): a reader's report with a note that does not open still counts.
        check_as(&s, tid, &bob, leaked()).expect("a reader's report counts, note or not");
        s.close().await;
    }

    #[tokio::test]
    async fn usage_is_deduplicated_per_version_and_action_for_an_hour() {
        let dir = tempfile::tempdir().expect("tmp");
        let t0 = 1_900_000_000_000;
        let now = Arc::new(AtomicI64::new(t0));
        let mut s = session(&dir.path().join("h"), now.clone()).await;
        let (tid, _bob) = team_with_bob(&mut s).await;
        let addr = Address::parse("prod/K").expect("addr");
        let reads = |s: &Session| s.teams[&tid].state.usage.len();
        assert_eq!(
            s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
                .await,
            1
        );
        assert_eq!(reads(&s), 1);
        now.store(t0 + 59 * 60_000, Ordering::SeqCst);
        assert_eq!(
            s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
                .await,
            0,
            "same version, same action, within the hour"
        );
        assert_eq!(
            s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Run, false)
                .await,
            1,
            "another action is another record"
        );
        now.store(t0 + 61 * 60_000, Ordering::SeqCst);
        assert_eq!(
            s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
                .await,
            1,
            "an hour later"
        );
        s.set(
            None,
            &addr,
            &SecretString::new("v2".into()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        assert_eq!(
            s.record_reads(None, std::slice::from_ref(&addr), UsageAction::Get, false)
                .await,
            1,
            "a new version"
        );
        assert_eq!(
            s.record_reads(
                None,
                std::slice::from_ref(&addr),
                UsageAction::History,
                true
            )
            .await,
            2,
            "a history reveal reads every version"
        );
        let r = &s.teams[&tid].state.usage;
        assert_eq!(r.len(), 6);
        assert!(r.iter().all(|x| x.member == s.identity.device_id));
        // The records survive a reload from the store (they come from the signed log).
        let home = s.home().to_owned();
        let account = s.account.clone();
        s.close().await;
        let s = Session::unlock_with_key(&home, account, Arc::new(move || t0))
            .await
            .expect("reload");
        assert_eq!(s.teams[&tid].state.usage.len(), 6);
        s.close().await;
    }

    #[tokio::test]
    async fn usage_is_not_recorded_in_a_team_of_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let now = Arc::new(AtomicI64::new(1_900_000_000_000));
        let mut s = session(&dir.path().join("h"), now).await;
        s.vault_create(None, "prod").await.expect("vault");
        let addr = Address::parse("prod/K").expect("addr");
        s.set(
            None,
            &addr,
            &SecretString::new("v1".into()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        let head = s.teams.values().map(|t| t.state.head).collect::<Vec<_>>();
        assert_eq!(
            s.record_reads(None, &[addr], UsageAction::Get, false).await,
            0
        );
        let after = s.teams.values().map(|t| t.state.head).collect::<Vec<_>>();
        assert_eq!(head, after, "nothing appended");
        s.close().await;
    }
    #[tokio::test]
    async fn only_owners_and_admins_require_or_drop_a_witness() {
        let dir = tempfile::tempdir().expect("tmp");
        let now = Arc::new(AtomicI64::new(1_900_000_000_000));
        let mut s = session(&dir.path().join("h"), now).await;
        let (tid, bob) = team_with_bob(&mut s).await;
        let key = [0x42; 32];
        let add = |url: &str| Payload::WitnessAdd {
            url: url.into(),
            key,
        };
        let e = check_as(&s, tid, &bob, add("https://w.example")).expect_err("a member");
        assert!(e.to_string().contains("only owners and admins"), "{e}");
        for bad in [
            "ftp://w.example",
            "https://",
            "https://w.example/\nx",
            "w.example",
        ] {
            assert!(check_as(&s, tid, &s.identity, add(bad)).is_err(), "{bad}");
        }
        let e = check_as(&s, tid, &s.identity, Payload::WitnessRemove { key })
            .expect_err("not required");
        assert!(e.to_string().contains("does not require"), "{e}");
        s.append(tid, add("https://w.example"), Public::default())
            .await
            .expect("owner adds");
        assert_eq!(
            s.teams[&tid].state.witnesses.get(&key).map(String::as_str),
            Some("https://w.example")
        );
        assert!(check_as(&s, tid, &s.identity, add("https://other.example")).is_err());
        let e = check_as(&s, tid, &bob, Payload::WitnessRemove { key }).expect_err("a member");
        assert!(e.to_string().contains("only owners and admins"), "{e}");
        let listed = s.witnesses(None).expect("list");
        assert_eq!(listed.len(), 1);
        assert!(!listed[0].co_signed, "never seen co-signing");
        // What a sync saw of it survives the settings' encoding.
        let mut settings = s.teams[&tid].settings.clone();
        settings.witness_seen.insert(key, 7);
        let again = crate::settings::TeamSettings::decode(&settings.encode()).expect("decode");
        assert_eq!(again.witness_seen.get(&key), Some(&7));
        s.append(tid, Payload::WitnessRemove { key }, Public::default())
            .await
            .expect("owner removes");
        assert!(s.teams[&tid].state.witnesses.is_empty());
        s.close().await;
    }
}
