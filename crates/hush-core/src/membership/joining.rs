//! Joining a team: invite codes issued (the invite in the log, the secret kept locally), join
//! requests sent with a code, and the admission of a device whose safety code was confirmed.

use uuid::Uuid;

use super::MemberInfo;
use crate::error::{Error, Hint, Result};
use crate::event::{AclChange, KeyBundle, KeyScope, Payload, Public, TeamRole};
use crate::identity::DeviceCert;
use crate::invite::{self, InviteCode};
use crate::item::format_time_ms;
use crate::secret::Key32;
use crate::session::{Session, Team};
use crate::settings::{IssuedInvite, JoinTicket, TeamSettings};
use crate::state::TeamState;

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

impl Session {
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
}
