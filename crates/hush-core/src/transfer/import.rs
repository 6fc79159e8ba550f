//! The all-or-nothing import: every event (new vaults included) is prepared and checked on a
//! private copy of the team state, then all are stored in one SQLite transaction.

use std::collections::HashMap;

use uuid::Uuid;

use super::{DEFAULT_VAULT, ImportItem, ImportReport, Imported, MAX_URL_LEN, Skipped};
use crate::error::{Error, Result};
use crate::event::{Payload, Public, PutKind, VaultRole};
use crate::item::{ItemMeta, MAX_VALUE_LEN};
use crate::replay::{Replay, replay};
use crate::session::{Session, checkpoint_mac};
use crate::state::TeamState;
use crate::store::Append;

impl Session {
    /// Writes imported items into the active (or named) team, all or nothing: every event is
    /// prepared and checked first, then all are stored in one transaction. `vault` overrides the
    /// vault each item names (default [`DEFAULT_VAULT`]); missing vaults are created in the
    /// same transaction. A name that exists already (or twice in the import) is skipped unless
    /// `overwrite`, which writes a new version of the existing secret instead.
    pub async fn import_items(
        &mut self,
        team: Option<&str>,
        vault: Option<&str>,
        mut items: Vec<ImportItem>,
        mut skipped: Vec<Skipped>,
        overwrite: bool,
    ) -> Result<ImportReport> {
        if let Some(v) = vault {
            crate::item::validate_name(v, "vault")?;
        }
        let tid = self.active_team(team)?;
        let mut st = self.working_state(tid).await?;
        let me = self.identity.device_id;
        let mut events: Vec<(u64, [u8; 32], Vec<u8>)> = Vec::new();
        let mut created = Vec::new();
        let mut imported = Vec::new();
        let mut first_seen: HashMap<(String, String), String> = HashMap::new();
        items.sort_by_key(|i| i.position);
        for item in items {
            let vname = vault
                .map(str::to_owned)
                .or_else(|| item.vault.clone())
                .unwrap_or_else(|| DEFAULT_VAULT.to_owned());
            crate::item::validate_name(&vname, "vault")?;
            if item.value.len() > MAX_VALUE_LEN {
                return Err(Error::Invalid(format!(
                    "{}: the value is larger than 1 MiB",
                    item.source
                )));
            }
            let skip =
                |reason: String| Skipped::new(item.position, &item.source, &item.title, reason);
            let key = (vname.clone(), item.name.clone());
            if let Some(first) = first_seen.get(&key) {
                skipped.push(skip(format!(
                    "{vname}/{} is also the name of an earlier entry of this file ({first})",
                    item.name
                )));
                continue;
            }
            first_seen.insert(key, item.source.clone());

            let vid = match st
                .vaults
                .values()
                .find(|v| v.name.as_deref() == Some(vname.as_str()))
            {
                Some(v) => v.id,
                None => {
                    let (payload, public, vid) = self.build_vault_create(&st, &vname)?;
                    self.seal_onto(&mut st, payload, public, &mut events)?;
                    created.push(vname.clone());
                    vid
                }
            };
            let v = &st.vaults[&vid];
            if !matches!(v.access.get(&me), Some(VaultRole::Write | VaultRole::Admin)) {
                return Err(Error::Forbidden(format!(
                    "you have read-only access to vault `{vname}`; nothing was imported"
                )));
            }
            let (item_id, base_version, mut meta) = match v.find(&item.name) {
                Some(_) if !overwrite => {
                    skipped.push(skip(format!(
                        "{vname}/{} already exists (--overwrite writes a new version)",
                        item.name
                    )));
                    continue;
                }
                Some(existing) => {
                    let cur = existing.current();
                    (
                        existing.id,
                        cur.version,
                        cur.meta.clone().unwrap_or_default(),
                    )
                }
                None => match v
                    .items
                    .values()
                    .find(|i| i.deleted && i.name() == Some(item.name.as_str()))
                {
                    // A deleted secret of the same name is revived with its history, as `set` does.
                    Some(dead) => (
                        dead.id,
                        dead.current().version,
                        dead.meta().cloned().unwrap_or_default(),
                    ),
                    None => (Uuid::new_v4(), 0, ItemMeta::default()),
                },
            };
            meta.name = item.name.clone();
            if !item.note.is_empty() || base_version == 0 {
                meta.note = item.note.clone();
            }
            if item.url.is_some() {
                meta.url = item.url.clone();
            }
            if !item.tags.is_empty() {
                meta.tags = item.tags.clone();
            }
            meta.validate()?;
            if meta.url.as_ref().is_some_and(|u| u.len() > MAX_URL_LEN) {
                return Err(Error::Invalid(format!(
                    "{}: the URL is longer than 4096 bytes",
                    item.source
                )));
            }
            let (payload, version) = crate::session::seal_put(
                &st,
                v,
                item_id,
                base_version,
                PutKind::Set,
                &meta,
                &item.value,
            )?;
            self.seal_onto(&mut st, payload, Public::default(), &mut events)?;
            imported.push(Imported {
                source: item.source,
                title: item.title,
                vault: vname,
                name: item.name,
                version,
                warnings: item.warnings,
            });
        }
        skipped.sort_by_key(|s| s.position);
        let report = ImportReport {
            team: st.name.clone(),
            created_vaults: created,
            imported,
            skipped,
        };
        let Some((seq, hash, _)) = events.last() else {
            return Ok(report);
        };
        let mac = checkpoint_mac(&self.account, &tid, *seq, hash);
        let pending = self.teams[&tid].settings.relay.is_some();
        match self.store.append_many(tid, &events, pending, &mac).await? {
            Append::Done => {
                if let Some(t) = self.teams.get_mut(&tid) {
                    t.state = st;
                }
                Ok(report)
            }
            Append::Conflict => {
                self.refresh().await?;
                Err(Error::Agent(
                    "another process changed this team at the same moment; nothing was imported, run the command again"
                        .into(),
                ))
            }
        }
    }

    /// A private copy of a team's state, rebuilt from the store, to build a batch of events on.
    async fn working_state(&mut self, tid: Uuid) -> Result<TeamState> {
        for _ in 0..2 {
            let st = replay(&self.store, tid, &self.identity, Replay::STORED).await?;
            // The copy must be the state this session verified (checkpoint included); another
            // process may have written since: reload (which verifies) and build again.
            if self.teams.get(&tid).map(|t| t.state.head) == Some(st.head) {
                return Ok(st);
            }
            self.refresh().await?;
        }
        Err(Error::Agent(
            "another process keeps changing this team; run the command again".into(),
        ))
    }

    /// Seals and signs an event at the head of `st`, checks it exactly as a received event would
    /// be checked, applies it to `st` and queues its bytes.
    fn seal_onto(
        &self,
        st: &mut TeamState,
        payload: Payload,
        public: Public,
        events: &mut Vec<(u64, [u8; 32], Vec<u8>)>,
    ) -> Result<()> {
        let ev = self.seal_at_head(st, payload, public, None)?;
        let seq = ev.envelope.seq;
        let checked = st.check_own(&ev, &self.identity)?;
        st.commit(checked);
        events.push((seq, ev.hash(), ev.bytes().to_vec()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::crypto::KdfParams;
    use crate::secret::SecretString;
    use crate::session::{MetaUpdate, system_clock};

    fn item(position: u64, vault: Option<&str>, name: &str, value: &str) -> ImportItem {
        ImportItem {
            position,
            source: format!("line {position}"),
            title: name.into(),
            vault: vault.map(str::to_owned),
            name: name.into(),
            value: SecretString::new(value.into()),
            note: format!("note {position}"),
            url: None,
            tags: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[tokio::test]
    async fn import_is_all_or_nothing_and_skips_collisions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let pw = SecretString::new("correct horse battery".into());
        let mut s = Session::init(&home, "alice", &pw, KdfParams::DEFAULT, system_clock())
            .await
            .expect("init");
        s.vault_create(None, "prod").await.expect("vault");
        let addr = Address::parse("prod/EXISTING").expect("addr");
        s.set(
            None,
            &addr,
            &SecretString::new("old".into()),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        let before = s.store.heads().await.expect("heads");

        // A bad item after good ones (and after a new vault): nothing lands.
        let bad = vec![
            item(1, Some("new-vault"), "GOOD", "v1"),
            item(2, Some("prod"), "ALSO_GOOD", "v2"),
            item(3, Some("prod"), "bad/name", "v3"),
        ];
        assert!(
            s.import_items(None, None, bad, Vec::new(), false)
                .await
                .is_err()
        );
        assert_eq!(s.store.heads().await.expect("heads"), before);
        assert!(s.vault_list(None).expect("vaults").len() == 1);
        assert_eq!(s.list(None, None).expect("list").len(), 1);

        let items = vec![
            item(1, None, "A", "a-value"),
            item(2, Some("prod"), "EXISTING", "new"),
            item(3, None, "A", "again"),
            item(4, Some("prod"), "B", "b-value"),
        ];
        let parse_skip = Skipped {
            position: 2,
            source: "line 2b".into(),
            title: "t".into(),
            reason: "no password".into(),
        };
        let r = s
            .import_items(None, None, items, vec![parse_skip], false)
            .await
            .expect("import");
        assert_eq!(r.created_vaults, vec![DEFAULT_VAULT.to_owned()]);
        let done: Vec<String> = r
            .imported
            .iter()
            .map(|i| format!("{}/{}", i.vault, i.name))
            .collect();
        assert_eq!(done, vec!["imported/A", "prod/B"]);
        let skipped: Vec<&str> = r.skipped.iter().map(|k| k.source.as_str()).collect();
        // Parse-time skips first among equal positions (the order is stable).
        assert_eq!(skipped, vec!["line 2b", "line 2", "line 3"]);
        assert!(r.skipped[1].reason.contains("already exists"));
        assert!(r.skipped[2].reason.contains("(line 1)"));
        let get = |s: &Session, a: &str| {
            s.get(None, &Address::parse(a).expect("addr"))
                .expect("get")
                .expose()
                .to_owned()
        };
        assert_eq!(get(&s, "imported/A"), "a-value");
        assert_eq!(get(&s, "prod/EXISTING"), "old");

        // --overwrite: a new version of the existing secret.
        let r = s
            .import_items(
                None,
                Some("prod"),
                vec![item(1, None, "EXISTING", "new")],
                Vec::new(),
                true,
            )
            .await
            .expect("overwrite");
        assert_eq!(r.imported[0].version, 2);
        assert_eq!(get(&s, "prod/EXISTING"), "new");

        // What memory says is what the disk says.
        s.close().await;
        let s = Session::unlock(&home, &pw, system_clock())
            .await
            .expect("unlock");
        assert_eq!(get(&s, "prod/B"), "b-value");
        assert_eq!(get(&s, "prod/EXISTING"), "new");
        assert!(s.verify().await.expect("verify") > 0);
        let all = s.export_all().expect("export");
        assert_eq!(all.len(), 3);
        assert_eq!(s.export_vault(None, "prod").expect("vault").len(), 2);
    }
}
