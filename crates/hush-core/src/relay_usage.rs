//! What the relay can tell a team's managers about usage, and the alerts drawn from it.
//!
//! The relay is the one place every device passes through. Without learning anything secret it
//! sees which address each device called from, when, and how often; it hands that table to
//! managers (`GET /v1/teams/{team}/devices`). From it the client raises two alerts:
//!
//! - a **service identity used from a new address**: CI runners usually come from a few known
//!   places, so every address after the first is worth a look (a leaked token used elsewhere
//!   looks exactly like this);
//! - a **device unseen for a long time** ([`UNSEEN_AFTER`]): a laptop nobody uses still holds
//!   keys; removing it is cheap, keeping it is a standing risk.
//!
//! What it cannot see: reads from a device's local copy (offline use never reaches the relay),
//! and the address behind a proxy or NAT (the relay records the peer it sees). The relay is
//! untrusted, so these are hints for a person, never inputs to access decisions.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::error::{Hint, Result};
use crate::relay_proto::DeviceUsage;
use crate::session::Session;
use crate::state::TeamState;

/// A device silent for this long is reported.
pub const UNSEEN_AFTER_MS: i64 = 30 * 86_400_000;
/// The same, as text for messages.
pub const UNSEEN_AFTER: &str = "30 days";

/// An alert drawn from relay usage.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceAlert {
    /// `service_new_ip` or `device_unseen`.
    pub kind: String,
    /// The member or service name.
    pub subject: String,
    /// What happened and what to do, in words (no command).
    pub detail: String,
    /// Since when.
    pub since_ms: i64,
    /// The next step about `subject`, which each front end words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}

/// One device's usage as the relay reports it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DeviceActivity {
    /// Member or service name.
    pub name: String,
    /// Device id.
    pub device_id: Uuid,
    /// Role.
    pub role: String,
    /// Latest request seen by the relay.
    pub last_seen_ms: Option<i64>,
    /// Requests counted.
    pub requests: i64,
    /// Addresses used, oldest first.
    pub ips: Vec<String>,
}

/// Alerts for `state`'s live members from the relay's usage table at `now_ms`.
pub fn device_alerts(st: &TeamState, usage: &[DeviceUsage], now_ms: i64) -> Vec<DeviceAlert> {
    let mut by_device: BTreeMap<Uuid, Vec<&DeviceUsage>> = BTreeMap::new();
    for u in usage {
        by_device.entry(u.device_id).or_default().push(u);
    }
    let mut out = Vec::new();
    for m in st.members.values().filter(|m| m.is_live(now_ms)) {
        let rows = by_device
            .get(&m.cert.device_id)
            .cloned()
            .unwrap_or_default();
        if m.is_service() {
            let mut rows = rows.clone();
            rows.sort_by_key(|r| (r.first_ms, r.ip.clone()));
            for r in rows.iter().skip(1) {
                out.push(DeviceAlert {
                    kind: "service_new_ip".into(),
                    subject: m.cert.name.clone(),
                    detail: format!(
                        "service identity `{}` was used from a new address {} ({} requests; first \
                         address {}). If that is not one of your CI runners, revoke it",
                        m.cert.name, r.ip, r.requests, rows[0].ip
                    ),
                    since_ms: r.first_ms,
                    hint: Some(Hint::RevokeService),
                });
            }
        }
        let last = rows.iter().map(|r| r.last_ms).max();
        let quiet_since = last.unwrap_or(m.joined_ms);
        if now_ms - quiet_since > UNSEEN_AFTER_MS {
            let what = if last.is_some() {
                "has not contacted the relay"
            } else {
                "has never contacted the relay"
            };
            out.push(DeviceAlert {
                kind: "device_unseen".into(),
                subject: m.cert.name.clone(),
                detail: format!(
                    "`{}` {what} for more than {UNSEEN_AFTER}; if the device is gone, remove it",
                    m.cert.name
                ),
                since_ms: quiet_since,
                hint: Some(Hint::RemoveMember),
            });
        }
    }
    out.sort_by(|a, b| (a.since_ms, &a.subject).cmp(&(b.since_ms, &b.subject)));
    out
}

impl Session {
    /// The relay's usage table for a team, per device (managers only).
    pub async fn device_activity(&self, team: Option<&str>) -> Result<Vec<DeviceActivity>> {
        let tid = self.active_team(team)?;
        let usage = self.fetch_usage(tid).await?;
        let st = &self.team_ref(tid)?.state;
        let mut out: Vec<DeviceActivity> = st
            .members
            .values()
            .filter(|m| m.active)
            .map(|m| {
                let rows: Vec<&DeviceUsage> = usage
                    .iter()
                    .filter(|u| u.device_id == m.cert.device_id)
                    .collect();
                DeviceActivity {
                    name: m.cert.name.clone(),
                    device_id: m.cert.device_id,
                    role: m.role.as_str().into(),
                    last_seen_ms: rows.iter().map(|r| r.last_ms).max(),
                    requests: rows.iter().map(|r| r.requests).sum(),
                    ips: rows.iter().map(|r| r.ip.clone()).collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Alerts from the relay's usage table (managers of teams with a relay; empty otherwise).
    pub async fn device_alerts(&self, team: Option<&str>) -> Result<Vec<DeviceAlert>> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let me_manager = t
            .state
            .active_member(&self.identity.device_id)
            .is_some_and(|m| m.role.is_manager());
        if t.settings.relay.is_none() || !me_manager {
            return Ok(Vec::new());
        }
        let usage = self.fetch_usage(tid).await?;
        Ok(device_alerts(
            &self.team_ref(tid)?.state,
            &usage,
            (self.clock)(),
        ))
    }

    /// Relay-usage alerts for `hush status`, for every team this device manages that syncs
    /// (or only `team`). A relay that cannot be reached adds nothing: offline is normal.
    pub async fn relay_alerts(&self, team: Option<&str>) -> Vec<crate::anomaly::Alert> {
        let tids: Vec<Uuid> = match team {
            Some(_) => self.active_team(team).into_iter().collect(),
            None => self.teams.keys().copied().collect(),
        };
        let mut out = Vec::new();
        for tid in tids {
            let id = tid.to_string();
            let Ok(alerts) = self.device_alerts(Some(&id)).await else {
                continue;
            };
            let team_name = self.team_label(tid);
            out.extend(alerts.into_iter().map(|a| crate::anomaly::Alert {
                kind: a.kind,
                team: team_name.clone(),
                subject: a.subject,
                detail: a.detail,
                since_ms: Some(a.since_ms),
                hint: a.hint,
            }));
        }
        out
    }

    async fn fetch_usage(&self, tid: Uuid) -> Result<Vec<DeviceUsage>> {
        let client = self.client_for(tid)?;
        client
            .device_usage(&self.identity, &tid, (self.clock)())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TeamRole;
    use crate::identity::DeviceIdentity;
    use crate::state::Member;

    const DAY: i64 = 86_400_000;

    fn member(st: &mut TeamState, name: &str, role: TeamRole, expires: Option<i64>) -> Uuid {
        let id = DeviceIdentity::generate(name).expect("identity");
        let cert = id.cert();
        let device = cert.device_id;
        st.members.insert(
            device,
            Member {
                cert,
                role,
                active: true,
                joined_seq: 1,
                removed: None,
                expires_ms: expires,
                joined_ms: st.created_ms,
            },
        );
        device
    }

    fn row(device: Uuid, ip: &str, first: i64, last: i64) -> DeviceUsage {
        DeviceUsage {
            device_id: device,
            ip: ip.into(),
            first_ms: first,
            last_ms: last,
            requests: 3,
        }
    }

    #[test]
    fn a_service_on_a_second_address_and_a_silent_laptop_are_reported() {
        let now = 100 * DAY;
        let mut st = TeamState::new(Uuid::new_v4());
        st.created_ms = DAY;
        let ci = member(&mut st, "ci", TeamRole::Service, Some(now + DAY));
        let alice = member(&mut st, "alice", TeamRole::Owner, None);
        let old = member(&mut st, "old-laptop", TeamRole::Member, None);
        let usage = vec![
            row(ci, "10.0.0.1", 50 * DAY, 99 * DAY),
            row(ci, "203.0.113.9", 98 * DAY, 98 * DAY),
            row(alice, "10.0.0.2", 2 * DAY, 99 * DAY),
            row(old, "10.0.0.3", 2 * DAY, 60 * DAY),
        ];
        let alerts = device_alerts(&st, &usage, now);
        let kinds: Vec<(&str, &str)> = alerts
            .iter()
            .map(|a| (a.kind.as_str(), a.subject.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![("device_unseen", "old-laptop"), ("service_new_ip", "ci")]
        );
        assert!(alerts[1].detail.contains("203.0.113.9"));
        assert_eq!(alerts[0].since_ms, 60 * DAY);
        // The next step is a hint each front end words; the detail names no command.
        assert_eq!(
            (alerts[0].hint, alerts[1].hint),
            (Some(Hint::RemoveMember), Some(Hint::RevokeService))
        );
        assert!(alerts.iter().all(|a| !a.detail.contains("hush ")));
    }

    #[test]
    fn one_address_recent_use_and_expired_services_raise_nothing() {
        let now = 100 * DAY;
        let mut st = TeamState::new(Uuid::new_v4());
        st.created_ms = 90 * DAY;
        let ci = member(&mut st, "ci", TeamRole::Service, Some(now + DAY));
        let gone = member(&mut st, "expired-ci", TeamRole::Service, Some(now - DAY));
        let bob = member(&mut st, "bob", TeamRole::Member, None);
        let usage = vec![
            row(ci, "10.0.0.1", 91 * DAY, 99 * DAY),
            row(gone, "10.0.0.1", 91 * DAY, 92 * DAY),
            row(gone, "198.51.100.7", 92 * DAY, 92 * DAY),
        ];
        // bob never called the relay, but joined only ten days ago.
        assert!(st.members[&bob].joined_ms > now - UNSEEN_AFTER_MS);
        assert!(device_alerts(&st, &usage, now).is_empty());
    }

    #[test]
    fn a_device_that_never_synced_in_an_old_team_is_reported_as_never_seen() {
        let now = 100 * DAY;
        let mut st = TeamState::new(Uuid::new_v4());
        st.created_ms = DAY;
        member(&mut st, "bob", TeamRole::Member, None);
        let alerts = device_alerts(&st, &[], now);
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].detail.contains("never contacted"));
    }
}
