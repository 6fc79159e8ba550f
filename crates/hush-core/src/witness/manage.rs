//! `hush team witness`: listing a team's required witnesses with what this device last saw of
//! them, requiring a new one (owners and admins; its key fetched or checked against a pinned
//! one), and no longer requiring one. Also rebuilds a pending witness change on a new head.

use uuid::Uuid;

use super::client::WitnessClient;
use crate::error::{Error, Hint, Result};
use crate::event::{Payload, Public};
use crate::relay_proto;
use crate::session::Session;
use crate::witness_proto;

/// One required witness as `hush team witness list` and `hush team status` show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessInfo {
    /// URL.
    pub url: String,
    /// Public key, hex.
    pub key: String,
    /// Key fingerprint (30 digits).
    pub fingerprint: String,
    /// Highest position this device saw it co-sign.
    pub last_seq: Option<u64>,
    /// Whether it co-signed the head of this device's last sync.
    pub co_signed: bool,
}

/// What `hush team witness add` reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessAdded {
    /// The witness now required.
    pub witness: WitnessInfo,
}

impl Session {
    /// Rebuilds a pending witness change on a new head (skipped when it already holds).
    pub(crate) async fn rebase_witness(&mut self, tid: Uuid, payload: Payload) -> Result<()> {
        let st = &self.team_ref(tid)?.state;
        let done = match &payload {
            Payload::WitnessAdd { key, .. } => st.witnesses.contains_key(key),
            Payload::WitnessRemove { key } => !st.witnesses.contains_key(key),
            _ => false,
        };
        if done {
            return Ok(());
        }
        self.append(tid, payload, Public::default()).await
    }

    /// The witnesses a team requires, with what this device last saw of them.
    pub fn witnesses(&self, team: Option<&str>) -> Result<Vec<WitnessInfo>> {
        let tid = self.active_team(team)?;
        Ok(self.witness_infos(tid))
    }

    pub(crate) fn witness_infos(&self, tid: Uuid) -> Vec<WitnessInfo> {
        let Ok(t) = self.team_ref(tid) else {
            return Vec::new();
        };
        let head = t.state.head.map(|h| h.0);
        t.state
            .witnesses
            .iter()
            .map(|(key, url)| {
                let last_seq = t.settings.witness_seen.get(key).copied();
                WitnessInfo {
                    url: url.clone(),
                    key: relay_proto::hex(key),
                    fingerprint: witness_proto::key_fingerprint(key),
                    last_seq,
                    co_signed: last_seq.is_some() && last_seq == head,
                }
            })
            .collect()
    }

    /// Requires a witness for the team (owners and admins): fetches its key (or checks it against
    /// `pinned`), appends `WitnessAdd` and, for a team with a relay, syncs so the witness learns
    /// the log at once.
    pub async fn witness_add(
        &mut self,
        team: Option<&str>,
        url: &str,
        pinned: Option<&str>,
    ) -> Result<WitnessAdded> {
        let tid = self.active_team(team)?;
        let url = url.trim_end_matches('/').to_owned();
        let allow_http = self.team_ref(tid)?.settings.allow_http;
        let client = WitnessClient::new(&url, allow_http)?;
        let key = client.key().await?;
        if let Some(p) = pinned {
            let want = witness_proto::parse_key(p)?;
            if !crate::crypto::ct_eq(&want, &key) {
                return Err(Error::Integrity(format!(
                    "the witness at {url} presents key {} (fingerprint {}), not the one given with --key (fingerprint {}); not added",
                    relay_proto::hex(&key),
                    witness_proto::key_fingerprint(&key),
                    witness_proto::key_fingerprint(&want)
                )));
            }
        }
        let st = &self.team_ref(tid)?.state;
        if st.witnesses.contains_key(&key) {
            return Err(Error::Exists(format!("witness {url}")));
        }
        if !st
            .active_member(&self.identity.device_id)
            .is_some_and(|m| m.role.is_manager())
        {
            return Err(Error::Forbidden(
                "only owners and admins may require a witness".into(),
            ));
        }
        self.append(
            tid,
            Payload::WitnessAdd {
                url: url.clone(),
                key,
            },
            Public::default(),
        )
        .await?;
        self.sync_if_relayed(tid).await?;
        let witness = self
            .witness_infos(tid)
            .into_iter()
            .find(|w| w.key == relay_proto::hex(&key))
            .ok_or_else(|| Error::NotFound("the witness just added".into()))?;
        Ok(WitnessAdded { witness })
    }

    /// Stops requiring a witness (owners and admins), by URL or key (hex).
    pub async fn witness_remove(&mut self, team: Option<&str>, which: &str) -> Result<()> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let which_t = which.trim_end_matches('/');
        let key = st
            .witnesses
            .iter()
            .find(|(k, u)| {
                u.trim_end_matches('/') == which_t
                    || relay_proto::hex(k.as_slice()) == which_t.to_lowercase()
            })
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                Error::NotFound(format!("witness {which}")).with_hint(Hint::Witnesses)
            })?;
        self.append(tid, Payload::WitnessRemove { key }, Public::default())
            .await?;
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings.witness_seen.remove(&key);
        }
        self.save_settings(tid).await?;
        self.sync_if_relayed(tid).await
    }

    /// After a witness change: for a team with a relay, syncs so the change (and the log, for a
    /// new witness) reaches the relay and the witnesses at once.
    async fn sync_if_relayed(&mut self, tid: Uuid) -> Result<()> {
        if self.team_ref(tid)?.settings.relay.is_some() {
            self.sync_team(tid).await?;
        }
        Ok(())
    }
}
