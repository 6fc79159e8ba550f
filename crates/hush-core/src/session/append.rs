//! Writing one event at the head of a team's log: sealed, signed, checked exactly as a received
//! event would be, stored with its checkpoint and applied.

use uuid::Uuid;

use super::Session;
use super::unlock::checkpoint_mac;
use crate::error::{Error, Result};
use crate::event::{Body, Envelope, KeyScope, Payload, Public, SignedEvent};
use crate::secret::Key32;
use crate::state::TeamState;
use crate::store::Append;

impl Session {
    pub(crate) async fn append(
        &mut self,
        team_id: Uuid,
        payload: Payload,
        public: Public,
    ) -> Result<()> {
        self.append_with_key(team_id, payload, public, None).await
    }

    /// Seals, signs, checks and stores one event at the head of a team's log. If another process
    /// appended first, reloads its events and tries again (the caller's payload is rebuilt only
    /// by the caller, so a conflict on a version number surfaces as an error to retry).
    pub(super) async fn append_with_key(
        &mut self,
        team_id: Uuid,
        payload: Payload,
        public: Public,
        genesis_key: Option<&Key32>,
    ) -> Result<()> {
        let team = self
            .teams
            .get(&team_id)
            .ok_or_else(|| Error::NotFound("team".into()))?;
        let ev = self.seal_at_head(&team.state, payload, public, genesis_key)?;
        let seq = ev.envelope.seq;
        let checked = team.state.check_own(&ev, &self.identity)?;
        let hash = ev.hash();
        let mac = checkpoint_mac(&self.account, &team_id, seq, &hash);
        let pending = team.settings.relay.is_some();
        match self
            .store
            .append(team_id, seq, &hash, ev.bytes(), pending, &mac)
            .await?
        {
            Append::Done => {
                if let Some(t) = self.teams.get_mut(&team_id) {
                    t.state.commit(checked);
                }
                Ok(())
            }
            Append::Conflict => {
                self.refresh().await?;
                Err(Error::Agent(
                    "another process changed this team at the same moment; run the command again"
                        .into(),
                ))
            }
        }
    }

    /// Seals and signs `payload` as this device's event at the head of `st` (its next position,
    /// under the current log key, or `genesis_key` for a team's first event). Not yet checked.
    pub(crate) fn seal_at_head(
        &self,
        st: &TeamState,
        payload: Payload,
        public: Public,
        genesis_key: Option<&Key32>,
    ) -> Result<SignedEvent> {
        let (seq, prev) = st.next_position();
        let epoch = st.log_epoch;
        let log_key = match genesis_key {
            Some(k) => k.clone(),
            None => st.key(KeyScope::Log, epoch).cloned().ok_or_else(|| {
                Error::Forbidden("this device holds no key for the team log".into())
            })?,
        };
        let body = Body {
            time_ms: (self.clock)(),
            payload,
        };
        SignedEvent::seal(
            Envelope {
                team_id: st.team_id,
                seq,
                prev,
                epoch,
                author: self.identity.device_id,
            },
            public,
            &body,
            &log_key,
            &self.identity,
        )
    }
}
