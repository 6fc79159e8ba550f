//! Team membership and vault access: invites, joins, admission, removal with re-keying, grants,
//! revocations, the exposed-keys checklist and conflicts.
//!
//! Every change here is a signed event built from the current state; the same builders run again
//! when a pending change is rebased onto events that arrived from the relay first
//! (see [`crate::sync`]), so permissions and key epochs are always re-checked at the position
//! where the event finally lands.

use uuid::Uuid;

use crate::address::Address;
use crate::error::{Error, Hint, Result};
use crate::event::{
    AclChange, GrantedKey, KeyBundle, KeyScope, Payload, Public, PutKind, TeamRole, VaultRole,
};
use crate::identity::DeviceCert;
use crate::invite::{self, InviteCode};
use crate::item::format_time_ms;
use crate::secret::Key32;
use crate::session::{Session, Team};
use crate::settings::{IssuedInvite, JoinTicket, TeamSettings};
use crate::state::TeamState;

/// A member as listed by `hush members`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MemberInfo {
    /// Display name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Role.
    pub role: TeamRole,
    /// `active`, `pending` or `removed`.
    pub status: String,
    /// The device's fingerprint.
    pub fingerprint: String,
    /// For pending joins: the code both people compare before admission.
    pub safety_code: Option<String>,
}

/// A secret that must be rotated at its provider.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ExposedInfo {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// Why.
    pub reason: String,
    /// Since when.
    pub since_ms: i64,
}

/// A secret with unresolved concurrent edits.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ConflictInfo {
    /// Team.
    pub team: String,
    /// `VAULT/NAME`.
    pub address: String,
    /// The competing versions; the last is current.
    pub versions: Vec<u32>,
}

/// Who has which role on a vault.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AccessInfo {
    /// Member name.
    pub name: String,
    /// Device id.
    pub id: Uuid,
    /// Role.
    pub role: VaultRole,
}

/// Output of `hush invite`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct InviteOut {
    /// The one-line code.
    pub code: String,
    /// Expiry.
    pub expires_ms: i64,
}

/// Output of `hush join`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct JoinOut {
    /// Team id.
    pub team_id: Uuid,
    /// Code to compare with the inviter.
    pub safety_code: String,
}

/// Output of `hush team status`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TeamStatus {
    /// Team name.
    pub team: String,
    /// Relay URL.
    pub relay: Option<String>,
    /// Last successful sync.
    pub last_sync_ms: Option<i64>,
    /// Head sequence number.
    pub head_seq: Option<u64>,
    /// Short code of the head to compare with teammates.
    pub state_code: String,
    /// Events waiting to be pushed.
    pub outbox: u64,
    /// Secrets in conflict.
    pub conflicts: usize,
    /// Set while joining: waiting for admission.
    pub joining: bool,
    /// Last relay misbehaviour detected.
    pub relay_alert: Option<String>,
    /// Signed events that broke a rule and had no effect, with their authors.
    #[serde(default)]
    pub rejected: Vec<String>,
    /// When a person last confirmed a teammate read the same state code, if ever.
    #[serde(default)]
    pub compared_ms: Option<i64>,
    /// The head event at that comparison.
    #[serde(default)]
    pub compared_seq: Option<u64>,
    /// Witnesses the team requires, and whether each co-signed the last sync's head.
    #[serde(default)]
    pub witnesses: Vec<crate::witness::WitnessInfo>,
}

/// Finds a member by unique display name, else by device-id prefix.
pub(crate) fn find_member(st: &TeamState, query: &str, active_only: bool) -> Result<Uuid> {
    let pool = st.members.values().filter(|m| m.active || !active_only);
    let by_name: Vec<Uuid> = pool
        .clone()
        .filter(|m| m.cert.name == query)
        .map(|m| m.cert.device_id)
        .collect();
    if by_name.len() == 1 {
        return Ok(by_name[0]);
    }
    let q = query.to_lowercase();
    let by_id: Vec<Uuid> = pool
        .filter(|m| q.len() >= 4 && m.cert.device_id.to_string().starts_with(&q))
        .map(|m| m.cert.device_id)
        .collect();
    match (by_name.len(), by_id.as_slice()) {
        (_, [one]) => Ok(*one),
        (0, []) => Err(Error::NotFound(format!("member `{query}`")).with_hint(Hint::Members)),
        _ => Err(Error::Ambiguous(format!(
            "`{query}` matches several members; use a device id prefix instead of the name"
        ))
        .with_hint(Hint::Members)),
    }
}

impl Session {
    /// The id of a team by name (or the selected one).
    pub fn team_id(&self, team: Option<&str>) -> Result<Uuid> {
        self.active_team(team)
    }

    /// Resolves a member query (used by the CLI before destructive commands).
    pub fn member_id(&self, team: Option<&str>, query: &str) -> Result<Uuid> {
        let tid = self.active_team(team)?;
        find_member(&self.team_ref(tid)?.state, query, false)
    }

    pub(crate) fn team_ref(&self, tid: Uuid) -> Result<&Team> {
        self.teams
            .get(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))
    }

    pub(crate) async fn save_settings(&mut self, tid: Uuid) -> Result<()> {
        let key = crate::crypto::subkey(&self.account, b"hush/v1/settings");
        let sealed =
            crate::crypto::seal(&key, tid.as_bytes(), &self.team_ref(tid)?.settings.encode());
        self.store.update_team_settings(tid, &sealed).await
    }

    fn my_team_role(&self, st: &TeamState) -> Result<TeamRole> {
        st.active_member(&self.identity.device_id)
            .map(|m| m.role)
            .ok_or_else(|| {
                Error::Forbidden("this device is not an active member of the team".into())
            })
    }

    fn require_manager(&self, st: &TeamState) -> Result<()> {
        if self.my_team_role(st)?.is_manager() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only team owners and admins can do that".into(),
            ))
        }
    }

    /// Issues an invite and returns its one-line code. Needs the relay (the code pins the head).
    pub async fn invite(
        &mut self,
        team: Option<&str>,
        role: TeamRole,
        ttl_ms: i64,
    ) -> Result<InviteOut> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let relay = t.settings.relay.clone().ok_or_else(|| {
            Error::Invalid(
                "this team has no relay; create teams with --relay URL to share them".into(),
            )
        })?;
        self.require_manager(&t.state)?;
        if role == TeamRole::Owner {
            return Err(Error::Invalid("invite as member or admin".into()));
        }
        if ttl_ms <= 0 {
            return Err(Error::Invalid(
                "the invite must expire in the future".into(),
            ));
        }
        let invite_id = Uuid::new_v4();
        let secret = Key32::random();
        let expires_ms = (self.clock)().saturating_add(ttl_ms);
        let token = invite::relay_token(&secret);
        let payload = Payload::InviteCreate {
            invite_id,
            role,
            expires_ms,
        };
        let public = Public {
            bundles: Vec::new(),
            acl: vec![AclChange::Invite {
                invite_id,
                token_hash: invite::token_hash(&token),
                expires_ms,
            }],
        };
        self.append(tid, payload, public).await?;
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings.invites.push(IssuedInvite {
                invite_id,
                secret: secret.clone(),
                role,
                expires_ms,
            });
        }
        self.save_settings(tid).await?;
        // The code pins a head the relay has confirmed, so push now.
        self.sync_team(tid).await.map_err(|e| {
            Error::Invalid(format!(
                "the invite was recorded but could not reach the relay ({e})"
            ))
            .with_hint(Hint::Sync)
        })?;
        let (pinned_seq, pinned_hash) =
            self.store.confirmed_head(tid).await?.ok_or_else(|| {
                Error::Invalid("the team log has not reached the relay yet".into())
            })?;
        Ok(InviteOut {
            code: InviteCode {
                invite_id,
                team_id: tid,
                secret,
                pinned_seq,
                pinned_hash,
                expires_ms,
                relay,
            }
            .encode(),
            expires_ms,
        })
    }

    /// Sends a join request for an invite code; returns the safety code to compare.
    pub async fn join(
        &mut self,
        code: &str,
        label: Option<&str>,
        relay: Option<&str>,
        allow_http: bool,
    ) -> Result<JoinOut> {
        let mut c = InviteCode::decode(code)?;
        if let Some(r) = relay {
            c.relay = r.to_owned();
        }
        if self.teams.contains_key(&c.team_id) {
            return Err(Error::Exists("that team on this device".into()));
        }
        if c.expires_ms < (self.clock)() {
            return Err(Error::Invalid(format!(
                "this invite expired at {} UTC; ask for a new one",
                format_time_ms(c.expires_ms)
            )));
        }
        let client = crate::relay_client::RelayClient::new(&c.relay, allow_http)?;
        let cert = self.identity.cert();
        let blob = invite::seal_join(&c.secret, &c.team_id, &c.invite_id, &cert);
        client
            .post_join(
                &c.team_id,
                &c.invite_id,
                &invite::relay_token(&c.secret),
                &blob,
            )
            .await?;
        let label = label
            .map(str::to_owned)
            .unwrap_or_else(|| format!("joining-{}", &c.team_id.to_string()[..8]));
        let settings = TeamSettings {
            relay: Some(c.relay.clone()),
            allow_http,
            joining: Some(JoinTicket {
                invite_id: c.invite_id,
                secret: c.secret.clone(),
                pinned_seq: c.pinned_seq,
                pinned_hash: c.pinned_hash,
                label,
            }),
            ..TeamSettings::default()
        };
        let key = crate::crypto::subkey(&self.account, b"hush/v1/settings");
        self.store
            .insert_team(
                c.team_id,
                &crate::crypto::seal(&key, c.team_id.as_bytes(), &settings.encode()),
            )
            .await?;
        self.teams.insert(
            c.team_id,
            Team {
                state: TeamState::new(c.team_id),
                settings,
            },
        );
        self.store.select_team(c.team_id).await?;
        self.selected = Some(c.team_id);
        Ok(JoinOut {
            team_id: c.team_id,
            safety_code: invite::safety_code(&c.secret, &cert),
        })
    }

    /// Members (active, removed) and pending joins.
    pub fn members(&self, team: Option<&str>) -> Result<Vec<MemberInfo>> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let mut out: Vec<MemberInfo> = t
            .state
            .members
            .values()
            .map(|m| MemberInfo {
                name: m.cert.name.clone(),
                id: m.cert.device_id,
                role: m.role,
                status: if m.active { "active" } else { "removed" }.into(),
                fingerprint: m.cert.fingerprint(),
                safety_code: None,
            })
            .collect();
        for p in &t.settings.pending_joins {
            let Some(inv) = t
                .settings
                .invites
                .iter()
                .find(|i| i.invite_id == p.invite_id)
            else {
                continue;
            };
            out.push(MemberInfo {
                name: p.cert.name.clone(),
                id: p.cert.device_id,
                role: inv.role,
                status: "pending".into(),
                fingerprint: p.cert.fingerprint(),
                safety_code: Some(invite::safety_code(&inv.secret, &p.cert)),
            });
        }
        Ok(out)
    }

    pub(crate) fn build_admit(
        &self,
        tid: Uuid,
        invite_id: Uuid,
        cert: &DeviceCert,
        role: TeamRole,
        proof: [u8; 32],
    ) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        self.require_manager(st)?;
        let keys = st.keys_for(KeyScope::Log);
        let bundle = KeyBundle::seal(&st.bundle_place(self.identity.device_id), cert, &keys)?;
        Ok((
            Payload::Admit {
                invite_id,
                member: cert.clone(),
                role,
                proof,
            },
            Public {
                bundles: vec![bundle],
                acl: vec![AclChange::Add {
                    device_id: cert.device_id,
                    auth_pk: cert.auth_pk,
                    manager: role.is_manager(),
                }],
            },
        ))
    }

    /// Admits a pending member (after the safety codes were compared).
    pub async fn admit(&mut self, team: Option<&str>, query: &str) -> Result<MemberInfo> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let matches: Vec<usize> = t
            .settings
            .pending_joins
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.cert.name == query
                    || (query.len() >= 4
                        && p.cert
                            .device_id
                            .to_string()
                            .starts_with(&query.to_lowercase()))
            })
            .map(|(i, _)| i)
            .collect();
        let idx = match matches.as_slice() {
            [i] => *i,
            [] => {
                return Err(
                    Error::NotFound(format!("pending member `{query}`")).with_hint(Hint::Sync)
                );
            }
            _ => {
                return Err(Error::Ambiguous(format!(
                    "`{query}` matches several pending members; use a device id prefix"
                )));
            }
        };
        let pending = t.settings.pending_joins[idx].clone();
        let inv = t
            .settings
            .invites
            .iter()
            .find(|i| i.invite_id == pending.invite_id)
            .cloned()
            .ok_or_else(|| Error::NotFound("the invite of that join request".into()))?;
        if inv.expires_ms < (self.clock)() {
            return Err(Error::Invalid(
                "the invite expired before admission; send a new one".into(),
            ));
        }
        let proof = invite::admit_proof(&inv.secret, &tid, &inv.invite_id, &pending.cert);
        let (payload, public) =
            self.build_admit(tid, inv.invite_id, &pending.cert, inv.role, proof)?;
        self.append(tid, payload, public).await?;
        if let Some(t) = self.teams.get_mut(&tid) {
            t.settings
                .pending_joins
                .retain(|p| p.invite_id != inv.invite_id);
            t.settings.invites.retain(|i| i.invite_id != inv.invite_id);
        }
        self.save_settings(tid).await?;
        let info = self
            .members(Some(&self.team_ref(tid)?.state.name.clone()))?
            .into_iter()
            .find(|m| m.id == pending.cert.device_id && m.status == "active")
            .ok_or_else(|| Error::Integrity("admitted member missing".into()))?;
        Ok(info)
    }

    pub(crate) fn build_remove(&self, tid: Uuid, device: Uuid) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        self.require_manager(st)?;
        if device == self.identity.device_id {
            return Err(Error::Invalid(
                "you cannot remove this device; ask another admin".into(),
            ));
        }
        let now = (self.clock)();
        let new_log_epoch = st.log_epoch + 1;
        let new_log_key = Key32::random();
        let log_commit = st.commit_to(KeyScope::Log, new_log_epoch, &new_log_key);
        let place = st.bundle_place(self.identity.device_id);
        let mut rekeyed = Vec::new();
        let mut new_vault_keys = Vec::new();
        for v in st
            .vaults
            .values()
            .filter(|v| v.access.contains_key(&device))
        {
            let key = Key32::random();
            rekeyed.push((
                v.id,
                v.key_epoch + 1,
                st.commit_to(KeyScope::Vault(v.id), v.key_epoch + 1, &key),
            ));
            new_vault_keys.push((v.id, v.key_epoch + 1, key));
        }
        let mut bundles = Vec::new();
        for m in st
            .members
            .values()
            .filter(|m| m.is_live(now) && m.cert.device_id != device)
        {
            let mut keys = vec![GrantedKey {
                scope: KeyScope::Log,
                epoch: new_log_epoch,
                key: new_log_key.clone(),
            }];
            for (vid, epoch, key) in &new_vault_keys {
                if st.vaults[vid].access.contains_key(&m.cert.device_id) {
                    keys.push(GrantedKey {
                        scope: KeyScope::Vault(*vid),
                        epoch: *epoch,
                        key: key.clone(),
                    });
                }
            }
            bundles.push(KeyBundle::seal(&place, &m.cert, &keys)?);
        }
        Ok((
            Payload::Remove {
                device_id: device,
                new_log_epoch,
                log_commit,
                rekeyed,
            },
            Public {
                bundles,
                acl: vec![AclChange::Remove { device_id: device }],
            },
        ))
    }

    /// Removes a member: one event that re-keys the log and every vault they could read.
    /// Returns the secrets to rotate at their providers.
    pub async fn remove_member(
        &mut self,
        team: Option<&str>,
        query: &str,
    ) -> Result<(MemberInfo, Vec<ExposedInfo>)> {
        let tid = self.active_team(team)?;
        let st = &self.team_ref(tid)?.state;
        let device = find_member(st, query, true)?;
        let (payload, public) = self.build_remove(tid, device)?;
        self.append(tid, payload, public).await?;
        let info = self
            .members(Some(&self.team_ref(tid)?.state.name.clone()))?
            .into_iter()
            .find(|m| m.id == device)
            .ok_or_else(|| Error::Integrity("removed member missing".into()))?;
        let exposed = self
            .exposed()
            .into_iter()
            .filter(|e| e.reason.starts_with(&info.name))
            .collect();
        Ok((info, exposed))
    }

    pub(crate) fn build_grant(
        &self,
        tid: Uuid,
        vid: Uuid,
        device: Uuid,
        role: VaultRole,
    ) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vid)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        if v.access.get(&self.identity.device_id) != Some(&VaultRole::Admin) {
            return Err(Error::Forbidden(format!(
                "only admins of vault `{}` can grant access",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        let member = st
            .active_member(&device)
            .ok_or_else(|| Error::NotFound("active member".into()))?;
        if member.is_service() && role != VaultRole::Read {
            return Err(Error::Forbidden(
                "a service identity can only be given read access".into(),
            ));
        }
        let mut bundles = Vec::new();
        if !v.access.contains_key(&device) {
            let keys = st.keys_for(KeyScope::Vault(vid));
            bundles.push(KeyBundle::seal(
                &st.bundle_place(self.identity.device_id),
                &member.cert,
                &keys,
            )?);
        }
        Ok((
            Payload::Grant {
                vault_id: vid,
                device_id: device,
                role,
            },
            Public::bundles(bundles),
        ))
    }

    /// Grants (or changes) a member's access to a vault. Cost is one key bundle, whatever the
    /// number of secrets in the vault.
    pub async fn grant(
        &mut self,
        team: Option<&str>,
        vault: &str,
        query: &str,
        role: VaultRole,
    ) -> Result<AccessInfo> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let device = find_member(&self.team_ref(tid)?.state, query, true)?;
        let (payload, public) = self.build_grant(tid, vid, device, role)?;
        self.append(tid, payload, public).await?;
        let st = &self.team_ref(tid)?.state;
        Ok(AccessInfo {
            name: st.display_name(&device),
            id: device,
            role,
        })
    }

    pub(crate) fn build_revoke(
        &self,
        tid: Uuid,
        vid: Uuid,
        device: Uuid,
    ) -> Result<(Payload, Public)> {
        let st = &self.team_ref(tid)?.state;
        let v = st
            .vaults
            .get(&vid)
            .ok_or_else(|| Error::NotFound("vault".into()))?;
        if v.access.get(&self.identity.device_id) != Some(&VaultRole::Admin) {
            return Err(Error::Forbidden(format!(
                "only admins of vault `{}` can revoke access",
                v.name.as_deref().unwrap_or("?")
            )));
        }
        if !v.access.contains_key(&device) {
            return Err(Error::NotFound(format!(
                "{} has no access to that vault",
                st.display_name(&device)
            )));
        }
        if device == self.identity.device_id
            && v.access
                .values()
                .filter(|r| **r == VaultRole::Admin)
                .count()
                == 1
        {
            return Err(Error::Invalid(
                "you are the vault's only admin; grant admin to someone else first".into(),
            ));
        }
        let new_epoch = v.key_epoch + 1;
        let key = Key32::random();
        let key_commit = st.commit_to(KeyScope::Vault(vid), new_epoch, &key);
        let place = st.bundle_place(self.identity.device_id);
        let mut bundles = Vec::new();
        // Expired service identities get no new keys: they are dead even before removal.
        let now = (self.clock)();
        for d in v.access.keys().filter(|d| **d != device) {
            if let Some(m) = st.active_member(d).filter(|m| m.is_live(now)) {
                bundles.push(KeyBundle::seal(
                    &place,
                    &m.cert,
                    &[GrantedKey {
                        scope: KeyScope::Vault(vid),
                        epoch: new_epoch,
                        key: key.clone(),
                    }],
                )?);
            }
        }
        Ok((
            Payload::Revoke {
                vault_id: vid,
                device_id: device,
                new_epoch,
                key_commit,
            },
            Public::bundles(bundles),
        ))
    }

    /// Revokes a member's access to a vault: the vault key rotates; its secrets become exposed.
    pub async fn revoke(
        &mut self,
        team: Option<&str>,
        vault: &str,
        query: &str,
    ) -> Result<Vec<ExposedInfo>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let device = find_member(&self.team_ref(tid)?.state, query, false)?;
        let (payload, public) = self.build_revoke(tid, vid, device)?;
        self.append(tid, payload, public).await?;
        let st = &self.team_ref(tid)?.state;
        let vname = st.vaults[&vid].name.clone().unwrap_or_default();
        Ok(self
            .exposed()
            .into_iter()
            .filter(|e| e.address.starts_with(&format!("{vname}/")))
            .collect())
    }

    /// Who has which role on a vault.
    pub fn access(&self, team: Option<&str>, vault: &str) -> Result<Vec<AccessInfo>> {
        let (tid, vid) = self.locate_vault(team, None, vault)?;
        let st = &self.team_ref(tid)?.state;
        Ok(st.vaults[&vid]
            .access
            .iter()
            .map(|(d, r)| AccessInfo {
                name: st.display_name(d),
                id: *d,
                role: *r,
            })
            .collect())
    }

    /// Every exposed secret this device can read, across teams.
    pub fn exposed(&self) -> Vec<ExposedInfo> {
        let mut out = Vec::new();
        for t in self.teams.values() {
            for v in t.state.vaults.values() {
                for i in v.live_items() {
                    if let Some(e) = &i.exposed {
                        out.push(ExposedInfo {
                            team: t.state.name.clone(),
                            address: format!(
                                "{}/{}",
                                v.name.as_deref().unwrap_or("?"),
                                i.name().unwrap_or("?")
                            ),
                            reason: e.reason.clone(),
                            since_ms: e.since_ms,
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.team, &a.address).cmp(&(&b.team, &b.address)));
        out
    }

    /// Every secret in conflict, across teams.
    pub fn conflicts(&self) -> Vec<ConflictInfo> {
        let mut out = Vec::new();
        for t in self.teams.values() {
            for v in t.state.vaults.values() {
                for i in v
                    .live_items()
                    .into_iter()
                    .filter(|i| !i.conflict.is_empty())
                {
                    out.push(ConflictInfo {
                        team: t.state.name.clone(),
                        address: format!(
                            "{}/{}",
                            v.name.as_deref().unwrap_or("?"),
                            i.name().unwrap_or("?")
                        ),
                        versions: i.conflict.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.team, &a.address).cmp(&(&b.team, &b.address)));
        out
    }

    /// Resolves a conflict by making the kept version's value (and metadata) current.
    pub async fn resolve(&mut self, team: Option<&str>, addr: &Address, keep: u32) -> Result<u32> {
        let (tid, vid, item) = self.lookup(team, addr)?;
        let item_id = item.ok_or_else(|| Error::NotFound(format!("secret `{addr}`")))?;
        let (st, v) = self.vault_ref(tid, vid);
        let it = &v.items[&item_id];
        if it.conflict.is_empty() {
            return Err(Error::Invalid(format!(
                "`{addr}` has no conflict to resolve"
            )));
        }
        let kept = it
            .versions
            .iter()
            .find(|x| x.version == keep)
            .ok_or_else(|| Error::NotFound(format!("version {keep} of `{addr}`")))?;
        let value = st.open_value(v, it, kept)?;
        let meta = kept
            .meta
            .clone()
            .ok_or_else(|| Error::Forbidden("that version cannot be read on this device".into()))?;
        let base = it.current().version;
        self.put_item(tid, vid, item_id, base, &meta, &value, PutKind::Set)
            .await
    }

    /// Records that a person compared the team state code with a teammate's and they matched
    /// (both have verified the same history up to the current head).
    pub async fn mark_state_compared(&mut self, team: Option<&str>) -> Result<TeamStatus> {
        let tid = self.active_team(team)?;
        let now = (self.clock)();
        let t = self
            .teams
            .get_mut(&tid)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let (seq, hash) = t.state.head.ok_or_else(|| {
            Error::Invalid("the team has no history yet: there is no state code to compare".into())
        })?;
        t.settings.compared = Some((seq, hash, now));
        self.save_settings(tid).await?;
        self.team_status(team).await
    }

    /// Sync and membership status of a team.
    pub async fn team_status(&self, team: Option<&str>) -> Result<TeamStatus> {
        let tid = self.active_team(team)?;
        let t = self.team_ref(tid)?;
        let outbox = self.store.pending_count(tid).await?;
        Ok(TeamStatus {
            team: self.team_label(tid),
            relay: t.settings.relay.clone(),
            last_sync_ms: t.settings.last_sync_ms,
            head_seq: t.state.head.map(|h| h.0),
            state_code: t.state.state_code(),
            outbox,
            conflicts: self
                .conflicts()
                .iter()
                .filter(|c| c.team == t.state.name)
                .count(),
            joining: t.settings.joining.is_some(),
            relay_alert: t.settings.relay_alert.clone(),
            compared_ms: t.settings.compared.map(|c| c.2),
            compared_seq: t.settings.compared.map(|c| c.0),
            rejected: t
                .state
                .rejected
                .iter()
                .map(|f| {
                    format!(
                        "event {} by {}: {}",
                        f.seq,
                        t.state.display_name(&f.author),
                        f.reason
                    )
                })
                .collect(),
            witnesses: self.witness_infos(tid),
        })
    }

    /// A team's name, or its join label while joining.
    pub fn team_label(&self, tid: Uuid) -> String {
        match self.teams.get(&tid) {
            Some(t) if !t.state.name.is_empty() => t.state.name.clone(),
            Some(t) => t
                .settings
                .joining
                .as_ref()
                .map_or_else(|| tid.to_string(), |j| j.label.clone()),
            None => tid.to_string(),
        }
    }
}
