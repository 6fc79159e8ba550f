//! Usage records: after a read, a signed `Usage` event through the outbox, de-duplicated per
//! device, version and action for an hour, and only where someone else could ever read it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use uuid::Uuid;

use super::HOUR_MS;
use crate::address::Address;
use crate::error::{Error, Result};
use crate::event::{Payload, Public, UsageAction};
use crate::session::Session;

/// (team id, vault id).
type VaultKey = (Uuid, Uuid);
/// (item id, version) pairs read.
type ItemVersions = Vec<(Uuid, u32)>;

impl Session {
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
