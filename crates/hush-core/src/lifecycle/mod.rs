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
//!
//! The rooms: this one answers `hush status` and rotates; `leaks` reports a leak and names who
//! could read the reported version; `usage` records reads.

mod leaks;
mod usage;

#[cfg(test)]
mod tests;

use uuid::Uuid;

use crate::address::Address;
use crate::anomaly::{Alert, usage_spikes};
use crate::crypto;
use crate::error::{Error, Hint, Result};
use crate::event::PutKind;
use crate::item::civil_from_days;
use crate::secret::SecretString;
use crate::session::{MetaUpdate, RotationState, SecretInfo, Session, Team};

pub use leaks::{LeakReport, Reader};

const HOUR_MS: i64 = 3_600_000;
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

fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn date_of_ms(ms: i64) -> String {
    date_of_day(ms.div_euclid(DAY_MS))
}

impl SecretInfo {
    /// Exposed, in conflict, or due, overdue or expired at `now_ms`: something a person should
    /// act on (the app's "Needs attention" list; `hush status` lists the same keys).
    pub fn needs_attention(&self, now_ms: i64) -> bool {
        self.exposed.is_some()
            || !self.conflict.is_empty()
            || matches!(
                self.rotation_state(now_ms),
                RotationState::Due | RotationState::Overdue | RotationState::Expired
            )
    }
}

/// Why `info` needs attention at `now_ms`: (state, reason, since when). Empty when it does not.
pub fn key_states(info: &SecretInfo, now_ms: i64) -> Vec<(KeyState, String, i64)> {
    let mut out = Vec::new();
    let s = info.schedule();
    match info.rotation_state(now_ms) {
        RotationState::Expired => {
            if let Some(e) = s.expiry_day {
                out.push((
                    KeyState::Expired,
                    format!("expired on {}", date_of_day(e)),
                    e * DAY_MS,
                ));
            }
        }
        RotationState::Overdue => {
            if let (Some(dl), Some(days)) = (s.deadline_ms, info.meta.rotate_every_days) {
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
            if let (true, Some(dl), Some(from)) = (
                s.rotation_due(now_ms),
                s.deadline_ms,
                s.rotation_due_after_ms(),
            ) {
                reasons.push(format!("rotation due by {}", date_of_ms(dl)));
                since = since.min(from);
            }
            if let (true, Some(e), Some(from)) =
                (s.expiry_due(now_ms), s.expiry_day, s.expiry_due_from_ms())
            {
                reasons.push(format!("expires on {}", date_of_day(e)));
                since = since.min(from);
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
                hint: None,
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
                    hint: None,
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
                hint: None,
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
                "secret `{addr}` (rotate records a new value of an existing secret)"
            ))
            .with_hint(Hint::CreateSecret)
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
}
