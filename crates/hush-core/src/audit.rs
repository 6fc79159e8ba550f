//! The activity timeline: the signed log read back as "who did what, when", and the full
//! re-verification of the local logs behind `hush audit verify`.
//!
//! Every entry comes from an event this device verified (signature, chain, author's role at that
//! position), so the timeline cannot be edited without breaking the chain. Names are shown only
//! where this device can read them; changes in vaults it cannot read appear without names, and
//! usage records of such vaults are not shown at all.

use uuid::Uuid;

use crate::crypto;
use crate::error::{Error, Result};
use crate::event::{KeyScope, Payload, PutKind, SignedEvent};
use crate::replay::{Replay, ReplayError, replay};
use crate::secret::Key32;
use crate::session::Session;
use crate::state::TeamState;
use crate::store::Store;

/// One line of the timeline.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ActivityEntry {
    /// Log position.
    pub seq: u64,
    /// Author's timestamp.
    pub time_ms: i64,
    /// Author's display name.
    pub actor: String,
    /// Machine-readable action: created_team, created_vault, set, rotated, deleted, invited,
    /// admitted, removed, granted, revoked, created_service, leaked, used, and `rejected` for a
    /// signed event that broke a rule and had no effect.
    pub action: String,
    /// What it acted on (`vault/NAME`, a member, a vault), when readable.
    pub target: String,
    /// The vault it concerns, when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<String>,
    /// For `used`: how (get, run, inject, reveal, copy, history); for `leaked`: the note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Which entries of the timeline to return; every field narrows.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ActivityFilter {
    /// Only entries concerning this vault (name or id).
    #[serde(default)]
    pub vault: Option<String>,
    /// Only entries by or about this member (display name or device-id prefix).
    #[serde(default)]
    pub member: Option<String>,
    /// Only entries at or after this time (author's clock).
    #[serde(default)]
    pub since_ms: Option<i64>,
    /// Only this action (e.g. `used`, `leaked`, `rotated`).
    #[serde(default)]
    pub action: Option<String>,
}

/// One entry before filtering: what it says plus what the filters look at.
struct Line {
    action: &'static str,
    target: String,
    vaults: Vec<Uuid>,
    subject: Option<Uuid>,
    detail: Option<String>,
}

impl Line {
    fn new(action: &'static str, target: String) -> Self {
        Self {
            action,
            target,
            vaults: Vec::new(),
            subject: None,
            detail: None,
        }
    }

    fn vault(mut self, v: Uuid) -> Self {
        self.vaults.push(v);
        self
    }

    fn about(mut self, member: Uuid) -> Self {
        self.subject = Some(member);
        self
    }
}

fn vault_name(st: &TeamState, id: &Uuid) -> String {
    st.vaults
        .get(id)
        .and_then(|v| v.name.clone())
        .unwrap_or_else(|| "(a vault you cannot read)".into())
}

fn item_name(st: &TeamState, vault: &Uuid, item: &Uuid, version: u32) -> String {
    let v = st.vaults.get(vault);
    let name = v
        .and_then(|v| v.items.get(item))
        .and_then(|i| i.versions.iter().find(|x| x.version == version))
        .and_then(|x| x.meta.as_ref())
        .map(|m| m.name.clone());
    match (v.and_then(|v| v.name.clone()), name) {
        (Some(vn), Some(n)) => format!("{vn}/{n}"),
        _ => "(a secret you cannot read)".into(),
    }
}

/// What an event says, as timeline lines (several for a usage record of several secrets).
fn describe(st: &TeamState, payload: &Payload) -> Vec<Line> {
    let name = |d: &Uuid| st.display_name(d);
    let one = |l: Line| vec![l];
    match payload {
        Payload::TeamCreate { name, .. } => one(Line::new("created_team", name.clone())),
        Payload::VaultCreate { vault_id, .. } => {
            one(Line::new("created_vault", vault_name(st, vault_id)).vault(*vault_id))
        }
        Payload::SecretPut {
            vault_id,
            item_id,
            version,
            kind,
            ..
        } => one(Line::new(
            match kind {
                PutKind::Set => "set",
                PutKind::Rotation => "rotated",
            },
            item_name(st, vault_id, item_id, *version),
        )
        .vault(*vault_id)),
        Payload::SecretDelete {
            vault_id,
            item_id,
            version,
        } => one(Line::new("deleted", item_name(st, vault_id, item_id, *version)).vault(*vault_id)),
        Payload::InviteCreate { role, .. } => {
            one(Line::new("invited", format!("a new {}", role.as_str())))
        }
        Payload::Admit { member, role, .. } => one(Line::new(
            "admitted",
            format!("{} as {}", member.name, role.as_str()),
        )
        .about(member.device_id)),
        Payload::Remove {
            device_id, rekeyed, ..
        } => {
            let mut l = Line::new("removed", name(device_id)).about(*device_id);
            l.vaults = rekeyed.iter().map(|(v, _, _)| *v).collect();
            one(l)
        }
        Payload::Grant {
            vault_id,
            device_id,
            role,
        } => one(Line::new(
            "granted",
            format!(
                "{} {} on {}",
                name(device_id),
                role.as_str(),
                vault_name(st, vault_id)
            ),
        )
        .vault(*vault_id)
        .about(*device_id)),
        Payload::Revoke {
            vault_id,
            device_id,
            ..
        } => one(Line::new(
            "revoked",
            format!("{} from {}", name(device_id), vault_name(st, vault_id)),
        )
        .vault(*vault_id)
        .about(*device_id)),
        Payload::ServiceCreate {
            member,
            vaults,
            expires_ms,
        } => {
            let mut l = Line::new(
                "created_service",
                format!(
                    "{} reading {} until {}",
                    member.name,
                    vaults
                        .iter()
                        .map(|v| vault_name(st, v))
                        .collect::<Vec<_>>()
                        .join(", "),
                    crate::item::format_time_ms(*expires_ms)
                ),
            )
            .about(member.device_id);
            l.vaults = vaults.clone();
            one(l)
        }
        Payload::Leaked {
            vault_id,
            item_id,
            version,
            key_epoch,
            note_ct,
        } => {
            let slot = st.item_slot(*vault_id, *item_id, *version, *key_epoch);
            let mut l =
                Line::new("leaked", item_name(st, vault_id, item_id, *version)).vault(*vault_id);
            l.detail = st
                .key(KeyScope::Vault(*vault_id), *key_epoch)
                .and_then(|k| crate::item::open_leak_note(&slot, k, note_ct).ok())
                .filter(|n| !n.is_empty());
            one(l)
        }
        Payload::Usage {
            vault_id,
            action,
            items,
        } => {
            // Shown only to devices that can read the vault: elsewhere the ids are opaque.
            if !st.vaults.get(vault_id).is_some_and(|v| v.readable()) {
                return Vec::new();
            }
            items
                .iter()
                .map(|(item, version)| {
                    let mut l =
                        Line::new("used", item_name(st, vault_id, item, *version)).vault(*vault_id);
                    l.detail = Some(action.as_str().to_owned());
                    l
                })
                .collect()
        }
        Payload::WitnessAdd { url, key } => {
            let mut l = Line::new("added_witness", url.clone());
            l.detail = Some(crate::witness_proto::key_fingerprint(key));
            one(l)
        }
        Payload::WitnessRemove { key } => one(Line::new(
            "removed_witness",
            st.witnesses
                .get(key)
                .cloned()
                .unwrap_or_else(|| crate::witness_proto::key_fingerprint(key)),
        )),
    }
}

impl Session {
    /// The team's activity, newest first (at most `limit` entries).
    pub async fn activity(&self, team: Option<&str>, limit: usize) -> Result<Vec<ActivityEntry>> {
        self.activity_filtered(team, &ActivityFilter::default(), limit)
            .await
    }

    /// The team's activity matching `filter`, newest first (at most `limit` entries).
    pub async fn activity_filtered(
        &self,
        team: Option<&str>,
        filter: &ActivityFilter,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let vault = match &filter.vault {
            Some(q) => {
                let by_id = Uuid::parse_str(q).ok();
                Some(
                    st.vaults
                        .values()
                        .filter(|v| v.readable())
                        .find(|v| v.name.as_deref() == Some(q.as_str()) || Some(v.id) == by_id)
                        .map(|v| v.id)
                        .ok_or_else(|| {
                            Error::NotFound(format!("vault `{q}` in team `{}`", st.name))
                        })?,
                )
            }
            None => None,
        };
        let member = filter
            .member
            .as_deref()
            .map(|m| crate::membership::find_member(st, m, false))
            .transpose()?;
        let rows = self.store.events(tid, None).await?;
        let rejected: std::collections::HashMap<u64, &str> = st
            .rejected
            .iter()
            .map(|f| (f.seq, f.reason.as_str()))
            .collect();
        let mut out = Vec::new();
        'rows: for row in rows.iter().rev() {
            let ev = SignedEvent::decode(&row.bytes)?;
            let author = ev.envelope.author;
            let body = st
                .key(KeyScope::Log, ev.envelope.epoch)
                .and_then(|k| ev.open_body(k).ok());
            // A signed event that broke a rule: shown with its author, never as if it happened.
            if let Some(reason) = rejected.get(&ev.envelope.seq) {
                let time_ms = body.as_ref().map_or(0, |b| b.time_ms);
                if out.len() >= limit {
                    break;
                }
                if filter.since_ms.is_some_and(|s| time_ms < s)
                    || filter.action.as_deref().is_some_and(|a| a != "rejected")
                    || vault.is_some()
                    || member.is_some_and(|m| m != author)
                {
                    continue;
                }
                out.push(ActivityEntry {
                    seq: ev.envelope.seq,
                    time_ms,
                    actor: st.display_name(&author),
                    action: "rejected".into(),
                    target: format!("no effect: {reason}"),
                    vault: None,
                    detail: None,
                });
                continue;
            }
            let Some(body) = body else {
                continue;
            };
            if filter.since_ms.is_some_and(|s| body.time_ms < s) {
                continue;
            }
            for l in describe(st, &body.payload).into_iter().rev() {
                if out.len() >= limit {
                    break 'rows;
                }
                if filter.action.as_deref().is_some_and(|a| a != l.action)
                    || vault.is_some_and(|v| !l.vaults.contains(&v))
                    || member.is_some_and(|m| m != author && l.subject != Some(m))
                {
                    continue;
                }
                out.push(ActivityEntry {
                    seq: ev.envelope.seq,
                    time_ms: body.time_ms,
                    actor: st.display_name(&author),
                    action: l.action.into(),
                    target: l.target,
                    vault: l
                        .vaults
                        .first()
                        .and_then(|v| st.vaults.get(v))
                        .and_then(|v| v.name.clone()),
                    detail: l.detail,
                });
            }
        }
        Ok(out)
    }

    /// Re-verifies every local log from scratch: see [`verify_store`].
    pub async fn verify_log(&self) -> Result<VerifyReport> {
        verify_store(&self.store, &self.account).await
    }
}

/// One team's log, verified.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamVerified {
    /// Team name (its id while joining).
    pub team: String,
    /// Events checked.
    pub events: u64,
    /// Head position.
    pub head_seq: Option<u64>,
    /// The head's team state code (compare with teammates: equal codes, same history).
    pub state_code: String,
    /// Signed events in the log that broke a rule and had no effect (they are part of the
    /// verified chain; their authors are named).
    #[serde(default)]
    pub rejected: Vec<String>,
}

/// The answer of `hush audit verify`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct VerifyReport {
    /// Events checked across teams.
    pub events: u64,
    /// Each team, by name.
    pub teams: Vec<TeamVerified>,
}

fn message(e: Error) -> String {
    match e {
        Error::Integrity(m) => m,
        other => other.to_string(),
    }
}

/// Verifies a store without loading a session (so a damaged store can still be examined):
/// SQLite's integrity check, then for each team every row against its position and hash, every
/// signature, every hash link, every author's right to make the change at that position, and the
/// MAC-protected checkpoint against the head. The first failure is reported with the team and the
/// position of the first bad event.
pub async fn verify_store(store: &Store, account: &Key32) -> Result<VerifyReport> {
    store.integrity_check().await?;
    let (me, committed) = crate::session::open_identity(store, account).await?;
    if committed {
        // The set of teams and their heads, before any single team: a team whose rows were all
        // deleted leaves nothing for the loop below to examine.
        store
            .verify_teams(&crate::session::teams_key(account))
            .await?;
    }
    // (A store from before the commitment existed has none to check until its next unlock.)
    let mut teams = Vec::new();
    let mut total = 0;
    for row in store.teams().await? {
        let tid = row.team_id;
        let label = |name: &str| {
            if name.is_empty() {
                tid.to_string()
            } else {
                name.to_owned()
            }
        };
        let st = match replay(store, tid, &me, Replay::VERIFIED).await {
            Ok(st) => st,
            Err(ReplayError::Store(e)) => return Err(e),
            Err(ReplayError::Event { seq, team, error }) => {
                return Err(Error::Integrity(format!(
                    "team `{}`: the local log is damaged at position {seq} (the first bad event): {}",
                    label(&team),
                    message(error)
                )));
            }
        };
        let events = st.head.map_or(0, |h| h.0 + 1);
        match (&row.checkpoint, st.head) {
            (None, None) => {}
            (Some((seq, hash, mac)), Some((hseq, hhash)))
                if *seq == hseq && crypto::ct_eq(hash, &hhash) =>
            {
                let want = crate::session::checkpoint_mac(account, &tid, *seq, hash);
                if !crypto::ct_eq(&want, mac) {
                    return Err(Error::Integrity(format!(
                        "team `{}`: the checkpoint of the local log does not verify",
                        label(&st.name)
                    )));
                }
            }
            (cp, head) => {
                return Err(Error::Integrity(format!(
                    "team `{}`: the local log ends at position {} but its checkpoint is at {}: events were removed, added or replaced",
                    label(&st.name),
                    head.map_or_else(|| "(none)".to_owned(), |h| h.0.to_string()),
                    cp.as_ref()
                        .map_or_else(|| "(none)".to_owned(), |c| c.0.to_string()),
                )));
            }
        }
        total += events;
        teams.push(TeamVerified {
            team: label(&st.name),
            events,
            head_seq: st.head.map(|h| h.0),
            state_code: st.state_code(),
            rejected: st
                .rejected
                .iter()
                .map(|f| {
                    format!(
                        "event {} by {} had no effect: {}",
                        f.seq,
                        st.display_name(&f.author),
                        f.reason
                    )
                })
                .collect(),
        });
    }
    teams.sort_by(|a, b| a.team.cmp(&b.team));
    Ok(VerifyReport {
        events: total,
        teams,
    })
}
