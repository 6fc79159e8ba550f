//! The rules of the log, one module per payload type: who may make the change at this position
//! of the log, its preconditions, the relay-visible ACL entries it must carry, the key epochs it
//! starts, and what committing it does to the state.
//!
//! [`TeamState::check`] has already placed the event, verified its author's signature and
//! membership and opened its body; `judge` hands the payload to its module, whose `Err` makes the
//! event a no-op with that reason. `commit_effect` hands the checked effect back to the same
//! module, which applies it and cannot fail.

mod admit;
mod grant;
mod invite_create;
mod leaked;
mod remove;
mod revoke;
mod secret_delete;
mod secret_put;
mod service_create;
mod team_create;
mod usage;
mod vault_create;
mod witness;

#[cfg(test)]
mod testkit;

use uuid::Uuid;

use super::keys::Commit;
use super::{Flagged, Member, TeamState, VaultState};
use crate::error::{Error, Result};
use crate::event::{AclChange, Body, Payload, SignedEvent, TeamRole, VaultRole};

/// What a checked event does once committed.
pub(super) enum Effect {
    /// A signed event that breaks a rule: kept in the chain, no effect.
    Rejected {
        reason: String,
    },
    Team(team_create::Created),
    Vault(vault_create::NewVault),
    Put(secret_put::Put),
    Delete(secret_delete::Delete),
    Invite(invite_create::NewInvite),
    Admit(admit::Admission),
    Remove(remove::Removal),
    Grant(grant::NewGrant),
    Revoke(revoke::Revocation),
    Service(service_create::NewService),
    Leaked(leaked::Leak),
    Usage(usage::Reads),
    Witness(witness::WitnessChange),
}

/// A change that keeps every rule: its effect, and the key commitments of the epochs it starts.
pub(super) struct Judged {
    pub(super) effect: Effect,
    pub(super) commits: Vec<Commit>,
}

impl From<Effect> for Judged {
    fn from(effect: Effect) -> Self {
        Self {
            effect,
            commits: Vec::new(),
        }
    }
}

/// Where a committed event sits: its position, its author and its author's time.
pub(super) struct At {
    pub(super) seq: u64,
    pub(super) author: Uuid,
    pub(super) time_ms: i64,
}

/// What a rule sees of an event: the state at its position, its author (an active member), and
/// what the event shows the relay.
pub(super) struct Ctx<'a> {
    pub(super) st: &'a TeamState,
    pub(super) author: &'a Member,
    pub(super) author_id: Uuid,
    pub(super) seq: u64,
    pub(super) time_ms: i64,
    acl: &'a [AclChange],
}

/// A broken precondition.
pub(super) fn broken(what: &str) -> Error {
    Error::Integrity(what.to_owned())
}

/// A change its author may not make.
pub(super) fn forbid(what: &str) -> Error {
    Error::Forbidden(what.to_owned())
}

impl<'a> Ctx<'a> {
    /// The relay-visible access changes are exactly `expected` (an invite's token hash is not
    /// in the sealed change and is not compared).
    pub(super) fn expect_acl(&self, expected: Vec<AclChange>) -> Result<()> {
        let matches = self.acl.len() == expected.len()
            && self.acl.iter().zip(&expected).all(|(a, b)| match (a, b) {
                (
                    AclChange::Invite {
                        invite_id: i1,
                        expires_ms: e1,
                        ..
                    },
                    AclChange::Invite {
                        invite_id: i2,
                        expires_ms: e2,
                        ..
                    },
                ) => i1 == i2 && e1 == e2,
                (x, y) => x == y,
            });
        if matches {
            Ok(())
        } else {
            Err(broken(
                "relay-visible access changes do not match the sealed change",
            ))
        }
    }

    /// The author's team role, when it is an owner or an admin; `denied` otherwise.
    pub(super) fn manager(&self, denied: &str) -> Result<TeamRole> {
        Some(self.author.role)
            .filter(|r| r.is_manager())
            .ok_or_else(|| forbid(denied))
    }

    /// The vault an event acts on, when its author holds at least `least` there (`Read`: any
    /// access). `unknown` and `denied` say what the event tried.
    pub(super) fn author_vault(
        &self,
        id: &Uuid,
        least: VaultRole,
        unknown: &str,
        denied: &str,
    ) -> Result<&'a VaultState> {
        let vault = self.st.vaults.get(id).ok_or_else(|| broken(unknown))?;
        match vault.access.get(&self.author_id) {
            Some(role) if *role >= least => Ok(vault),
            _ => Err(forbid(denied)),
        }
    }
}

impl TeamState {
    /// The rules of each change (roles, preconditions, relay-visible ACL entries). An `Err` makes
    /// the event a no-op; the key commitments of a change that starts an epoch are returned.
    pub(super) fn judge(&self, ev: &SignedEvent, body: &Body) -> Result<Judged> {
        let env = &ev.envelope;
        let author = self
            .active_member(&env.author)
            .ok_or_else(|| broken("its author is not an active member"))?;
        let cx = Ctx {
            st: self,
            author,
            author_id: env.author,
            seq: env.seq,
            time_ms: body.time_ms,
            acl: &ev.public.acl,
        };
        match &body.payload {
            Payload::TeamCreate { .. } => Err(broken("a team can be created only once")),
            Payload::VaultCreate {
                vault_id,
                key_epoch,
                name_ct,
                key_commit,
            } => vault_create::judge(&cx, *vault_id, *key_epoch, name_ct, *key_commit),
            Payload::SecretPut {
                vault_id,
                item_id,
                version,
                base_version,
                key_epoch,
                kind,
                meta_ct,
                value_ct,
            } => secret_put::judge(
                &cx,
                secret_put::NewVersion {
                    vault_id: *vault_id,
                    item_id: *item_id,
                    version: *version,
                    base_version: *base_version,
                    key_epoch: *key_epoch,
                },
                *kind,
                meta_ct,
                value_ct,
            ),
            Payload::SecretDelete {
                vault_id,
                item_id,
                version,
            } => secret_delete::judge(&cx, *vault_id, *item_id, *version),
            Payload::InviteCreate {
                invite_id,
                role,
                expires_ms,
            } => invite_create::judge(&cx, *invite_id, *role, *expires_ms),
            Payload::Admit {
                invite_id,
                member,
                role,
                ..
            } => admit::judge(&cx, *invite_id, member, *role),
            Payload::Remove {
                device_id,
                new_log_epoch,
                log_commit,
                rekeyed,
            } => remove::judge(&cx, *device_id, *new_log_epoch, *log_commit, rekeyed),
            Payload::Grant {
                vault_id,
                device_id,
                role,
            } => grant::judge(&cx, *vault_id, *device_id, *role),
            Payload::Revoke {
                vault_id,
                device_id,
                new_epoch,
                key_commit,
            } => revoke::judge(&cx, *vault_id, *device_id, *new_epoch, *key_commit),
            Payload::ServiceCreate {
                member,
                vaults,
                expires_ms,
            } => service_create::judge(&cx, member, vaults, *expires_ms),
            Payload::Leaked {
                vault_id,
                item_id,
                version,
                key_epoch,
                note_ct,
            } => leaked::judge(&cx, *vault_id, *item_id, *version, *key_epoch, note_ct),
            Payload::Usage {
                vault_id,
                action,
                items,
            } => usage::judge(&cx, *vault_id, *action, items),
            Payload::WitnessAdd { url, key } => witness::judge_add(&cx, url, *key),
            Payload::WitnessRemove { key } => witness::judge_remove(&cx, *key),
        }
    }

    /// Applies an effect: a rejected change is only recorded.
    pub(super) fn commit_effect(&mut self, at: &At, effect: Effect) {
        match effect {
            Effect::Rejected { reason } => self.rejected.push(Flagged {
                seq: at.seq,
                author: at.author,
                reason,
            }),
            Effect::Team(e) => team_create::commit(self, at, e),
            Effect::Vault(e) => vault_create::commit(self, at, e),
            Effect::Put(e) => secret_put::commit(self, at, e),
            Effect::Delete(e) => secret_delete::commit(self, e),
            Effect::Invite(e) => invite_create::commit(self, at, e),
            Effect::Admit(e) => admit::commit(self, at, e),
            Effect::Remove(e) => remove::commit(self, at, e),
            Effect::Grant(e) => grant::commit(self, e),
            Effect::Revoke(e) => revoke::commit(self, at, e),
            Effect::Service(e) => service_create::commit(self, at, e),
            Effect::Leaked(e) => leaked::commit(self, at, e),
            Effect::Usage(e) => usage::commit(self, at, e),
            Effect::Witness(e) => witness::commit(self, e),
        }
    }
}
