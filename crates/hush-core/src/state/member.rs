//! Who belongs to a team: members (people and service identities) and the invites issued in the
//! log.

use uuid::Uuid;

use crate::event::TeamRole;
use crate::identity::DeviceCert;

/// A device that belongs (or belonged) to the team.
#[derive(Clone, Debug)]
pub struct Member {
    /// Its certificate.
    pub cert: DeviceCert,
    /// Its role.
    pub role: TeamRole,
    /// False once removed.
    pub active: bool,
    /// Log position where it joined.
    pub joined_seq: u64,
    /// When and by whom it was removed.
    pub removed: Option<(i64, Uuid)>,
    /// When a service identity stops working (None for people).
    pub expires_ms: Option<i64>,
    /// Author's time of the event that added it.
    pub joined_ms: i64,
}

impl Member {
    /// An active member that joined at log position `joined_seq`, at `joined_ms`.
    pub(super) fn joined(
        cert: DeviceCert,
        role: TeamRole,
        joined_seq: u64,
        joined_ms: i64,
        expires_ms: Option<i64>,
    ) -> Self {
        Self {
            cert,
            role,
            active: true,
            joined_seq,
            removed: None,
            expires_ms,
            joined_ms,
        }
    }

    /// Whether this is a service (CI/CD) identity.
    pub fn is_service(&self) -> bool {
        self.role == TeamRole::Service
    }

    /// Active and, for a service identity, not expired at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.active && self.expires_ms.is_none_or(|e| now_ms < e)
    }
}

/// An invite issued in the log.
#[derive(Clone, Debug)]
pub struct Invite {
    /// Role the invitee gets.
    pub role: TeamRole,
    /// Expiry.
    pub expires_ms: i64,
    /// Issuing device.
    pub created_by: Uuid,
    /// The device admitted with it.
    pub used_by: Option<Uuid>,
}
