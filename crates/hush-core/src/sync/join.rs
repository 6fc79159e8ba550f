//! Joining: a manager's fetch of the join requests for the invites it issued, and a joining
//! device's first sync, which accepts the team's log only with the event the invite pinned and an
//! admission proven with the invite secret.

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::event::{Payload, SignedEvent};
use crate::invite;
use crate::relay_proto;
use crate::session::Session;
use crate::state::TeamState;

use super::SyncReport;
use crate::relay_client::{RelayClient, relay_lied};

impl Session {
    /// Collects join requests for the invites this device issued.
    pub(super) async fn fetch_joins(
        &mut self,
        tid: Uuid,
        client: &RelayClient,
    ) -> Result<Vec<String>> {
        let t = self.team_ref(tid)?;
        let mut alerts = Vec::new();
        if t.settings.invites.is_empty() {
            return Ok(alerts);
        }
        let now = (self.clock)();
        let requests = client.joins(&self.identity, &tid, now).await?;
        let mut found = Vec::new();
        for r in requests {
            let Some(inv) = t
                .settings
                .invites
                .iter()
                .find(|i| i.invite_id == r.invite_id)
            else {
                continue;
            };
            let Some(blob) = relay_proto::unhex(&r.blob) else {
                continue;
            };
            // A request that does not open with the invite secret was not made with the code:
            // the relay or someone else tried to substitute keys. Never admit it; say so.
            let Ok(cert) = invite::open_join(&inv.secret, &tid, &inv.invite_id, &blob) else {
                alerts.push(format!(
                    "a join request for invite {} does not authenticate with the invite's secret (substituted keys?); it was ignored: issue a new invite",
                    r.invite_id
                ));
                continue;
            };
            if t.state.members.contains_key(&cert.device_id) {
                continue;
            }
            found.push(crate::settings::PendingJoin {
                invite_id: r.invite_id,
                cert,
                received_ms: r.received_ms,
            });
        }
        if let Some(t) = self.teams.get_mut(&tid) {
            for f in found {
                if !t
                    .settings
                    .pending_joins
                    .iter()
                    .any(|p| p.invite_id == f.invite_id)
                {
                    t.settings.pending_joins.push(f);
                }
            }
            if !alerts.is_empty() {
                t.settings.relay_alert = Some(alerts.join("; "));
            }
        }
        Ok(alerts)
    }

    /// First sync of a joining device: pull the whole log and accept it only if it contains the
    /// event the inviter pinned and an admission of this device proven with the invite secret.
    pub(super) async fn sync_join(
        &mut self,
        tid: Uuid,
        client: &RelayClient,
        mut report: SyncReport,
    ) -> Result<SyncReport> {
        let ticket = self
            .team_ref(tid)?
            .settings
            .joining
            .clone()
            .ok_or_else(|| Error::Invalid("not joining".into()))?;
        let now = (self.clock)();
        let head = match client.head(&self.identity, &tid, now).await {
            Ok(h) => h,
            Err(Error::Relay(_)) => {
                report.waiting_for_admission = true;
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        let Some(until) = head.seq else {
            report.waiting_for_admission = true;
            return Ok(report);
        };
        let pulled = match client.pull(&self.identity, &tid, None, until, now).await {
            Ok(p) => p,
            Err(Error::Relay(_)) => {
                report.waiting_for_admission = true;
                return Ok(report);
            }
            Err(e) => return Err(e),
        };
        let events: Vec<SignedEvent> = pulled
            .iter()
            .map(|b| SignedEvent::decode(b))
            .collect::<Result<_>>()
            .map_err(|e| relay_lied(format!("malformed event ({e})")))?;
        let me = self.identity.cert();
        let admitted = events
            .iter()
            .any(|e| e.public.bundles.iter().any(|b| b.recipient == me.device_id));
        if !admitted {
            report.waiting_for_admission = true;
            return Ok(report);
        }
        let mut st = TeamState::new(tid);
        st.preload_keys(crate::state::bundled_keys(&events, &self.identity));
        let mut proven = false;
        let mut pinned_ok = false;
        let mut rows = Vec::with_capacity(events.len());
        for (ev, bytes) in events.iter().zip(pulled) {
            let checked = st.check(ev, &self.identity, true).map_err(relay_lied)?;
            // Only an admission that is valid at its place in the log counts.
            if checked.rejection().is_none()
                && let Some(crate::event::Body {
                    payload:
                        Payload::Admit {
                            invite_id,
                            member,
                            proof,
                            ..
                        },
                    ..
                }) = checked.body()
                && member.device_id == me.device_id
            {
                let want = invite::admit_proof(&ticket.secret, &tid, &ticket.invite_id, &me);
                proven = *invite_id == ticket.invite_id
                    && crate::crypto::ct_eq(&want, proof)
                    && *member == me;
            }
            if ev.envelope.seq == ticket.pinned_seq {
                pinned_ok = crate::crypto::ct_eq(&ev.hash(), &ticket.pinned_hash);
            }
            st.commit(checked);
            rows.push((ev.envelope.seq, ev.hash(), bytes));
        }
        if !pinned_ok {
            return Err(relay_lied(
                "the team log it shows does not contain the event pinned in the invite",
            ));
        }
        if !proven {
            return Err(relay_lied(
                "this device's admission is not proven with the invite secret",
            ));
        }
        let head = st.head.map(|(s, h)| {
            (
                s,
                h,
                crate::session::checkpoint_mac(&self.account, &tid, s, &h),
            )
        });
        self.store.store_pulled(tid, &rows, head).await?;
        report.pulled = rows.len();
        report.state_code = st.state_code();
        report.team = st.name.clone();
        if let Some(t) = self.teams.get_mut(&tid) {
            t.state = st;
            t.settings.joining = None;
        }
        Ok(report)
    }
}
