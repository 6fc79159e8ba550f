//! Judging an event at its position in the log ([`TeamState::check`]) and applying the verdict
//! ([`TeamState::commit`]). What each change may do and what it does lives in `rules`; the keys it
//! hands over are checked in `keys`.

use uuid::Uuid;

use super::keys::Commit;
use super::rules::{At, Effect};
use super::{Flagged, TeamState};
use crate::error::{Error, Result};
use crate::event::{Body, GrantedKey, KeyScope, SignedEvent, TeamRole};
use crate::identity::DeviceIdentity;

/// An event that passed every check; only [`TeamState::check`] builds one.
pub struct Checked {
    pub(super) seq: u64,
    pub(super) hash: [u8; 32],
    /// Absent for a rejected event whose body could not be read.
    pub(super) body: Option<Body>,
    pub(super) author: Uuid,
    /// Keys for this device, each checked against its commitment.
    pub(super) keys: Vec<GrantedKey>,
    /// Key commitments of the epochs this event starts.
    pub(super) commits: Vec<Commit>,
    /// Something wrong that only this device can see (a bad key bundle addressed to it).
    pub(super) problem: Option<String>,
    pub(super) effect: Effect,
}

impl Checked {
    /// The decrypted body (absent only for a rejected event whose body is unreadable).
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// Why the event has no effect, if it breaks a rule.
    pub fn rejection(&self) -> Option<&str> {
        match &self.effect {
            Effect::Rejected { reason } => Some(reason),
            _ => None,
        }
    }

    /// The author device.
    pub fn author(&self) -> Uuid {
        self.author
    }
}

impl TeamState {
    /// Judges `ev` at the head of this state, the same way on every device.
    ///
    /// An `Err` means the event cannot be part of this team's log at all: wrong team or position,
    /// a broken hash chain, a signature that does not verify, an author the team never had, or a
    /// log key this device was never handed. Only a relay (or a damaged store) produces those;
    /// the caller refuses the whole batch.
    ///
    /// A signed, well-placed event that breaks a rule — an author without the role, a removed
    /// author, an old epoch, a payload whose preconditions fail, key bundles other than those its
    /// change implies — is *valid as a log entry but has no effect*: the returned [`Checked`]
    /// carries the reason ([`Checked::rejection`]), committing it only advances the head and
    /// records the author and reason in [`TeamState::rejected`]. Every client reaches the same
    /// verdict, so one bad event never stops a team. Writes of this device use
    /// [`TeamState::check_own`], which refuses such an event instead.
    ///
    /// `verify_signature` may be false only for events read back from the local store, whose
    /// integrity is covered by the MAC-protected checkpoint.
    pub fn check(
        &self,
        ev: &SignedEvent,
        me: &DeviceIdentity,
        verify_signature: bool,
    ) -> Result<Checked> {
        let env = &ev.envelope;
        let at =
            |what: &str| Error::Integrity(format!("event {} of the team log: {what}", env.seq));
        if env.team_id != self.team_id {
            return Err(at("belongs to another team"));
        }
        let (want_seq, want_prev) = self.next_position();
        if env.seq != want_seq {
            return Err(at(&format!("out of sequence (expected {want_seq})")));
        }
        if env.prev != want_prev {
            return Err(at("does not extend the previous event (hash chain broken)"));
        }
        if env.seq == 0 {
            let (body, key, judged) = self.judge_genesis(ev, me)?;
            return Ok(Checked {
                seq: 0,
                hash: ev.hash(),
                author: env.author,
                body: Some(body),
                keys: vec![key],
                commits: judged.commits,
                problem: None,
                effect: judged.effect,
            });
        }
        let author = self
            .members
            .get(&env.author)
            .ok_or_else(|| at("signed by a device that was never a member of the team"))?;
        if verify_signature {
            ev.verify_signature(&author.cert.sign_pk)?;
        }
        let rejected = |reason: String, body: Option<Body>| Checked {
            seq: env.seq,
            hash: ev.hash(),
            author: env.author,
            body,
            keys: Vec::new(),
            commits: Vec::new(),
            problem: None,
            effect: Effect::Rejected { reason },
        };
        if !author.active {
            return Ok(rejected(
                "its author had been removed from the team".into(),
                None,
            ));
        }
        if author.role == TeamRole::Service {
            return Ok(rejected(
                "a service identity may never write to the log".into(),
                None,
            ));
        }
        if env.epoch != self.log_epoch {
            return Ok(rejected(
                format!(
                    "sealed under log-key epoch {} while the team is at epoch {}",
                    env.epoch, self.log_epoch
                ),
                None,
            ));
        }
        let log_key = match self.keys.get(&(KeyScope::Log, env.epoch)) {
            Some(k) => k,
            None if self.active_member(&me.device_id).is_none() => {
                return Err(Error::Forbidden(
                    "this device is no longer a member of the team".into(),
                ));
            }
            None => {
                return Err(at(&format!(
                    "this device was never handed a valid key for log epoch {} (the key bundle \
                     addressed to it was missing or did not match the team's commitment)",
                    env.epoch
                )));
            }
        };
        let body = match ev.open_body(log_key) {
            Ok(b) => b,
            Err(e) => return Ok(rejected(format!("its body is unreadable ({e})"), None)),
        };
        let judged = match self.judge(ev, &body) {
            Ok(v) => v,
            Err(e) => return Ok(rejected(reason_of(e), Some(body))),
        };
        let handover = self.handovers(env.author, &body);
        if let Err(e) = handover.matches(&ev.public) {
            return Ok(rejected(e, Some(body)));
        }
        let (keys, problem) = self.my_keys(ev, me, &handover, &judged.commits);
        Ok(Checked {
            seq: env.seq,
            hash: ev.hash(),
            author: env.author,
            body: Some(body),
            keys,
            commits: judged.commits,
            problem,
            effect: judged.effect,
        })
    }

    /// [`TeamState::check`] for an event this device is about to write: a change that would have
    /// no effect is refused with its reason instead of being stored.
    pub fn check_own(&self, ev: &SignedEvent, me: &DeviceIdentity) -> Result<Checked> {
        let c = self.check(ev, me, true)?;
        match c.rejection() {
            Some(reason) => Err(Error::Forbidden(reason.to_owned())),
            None => Ok(c),
        }
    }

    /// Applies a checked event. Cannot fail.
    pub fn commit(&mut self, checked: Checked) {
        let Checked {
            seq,
            hash,
            body,
            author,
            keys,
            commits,
            problem,
            effect,
        } = checked;
        let new_vault_keys = self.take_keys(commits, keys);
        let at = At {
            seq,
            author,
            time_ms: body.as_ref().map_or(0, |b| b.time_ms),
        };
        if let Some(reason) = problem {
            self.damaged.push(Flagged {
                seq,
                author,
                reason,
            });
        }
        self.commit_effect(&at, effect);
        for vid in new_vault_keys {
            self.open_vault(vid);
        }
        self.head = Some((seq, hash));
    }
}

/// The words of a rule an event broke, without the error kind's prefix.
fn reason_of(e: Error) -> String {
    match e {
        Error::Integrity(m) | Error::Forbidden(m) | Error::Invalid(m) => m,
        other => other.to_string(),
    }
}
