//! What a sealed body records: the kinds of change to a team, with the limits on their sizes.

use uuid::Uuid;

use super::roles::{TeamRole, VaultRole};
use crate::identity::DeviceCert;

/// What kind of new value a [`Payload::SecretPut`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PutKind {
    /// An ordinary create or edit.
    Set,
    /// A rotation of the value at the provider.
    Rotation,
}

wire_codes!(PutKind, pub(super), "put kind", {
    Set = 0,
    Rotation = 1,
});

/// How a member read secrets, as recorded by a [`Payload::Usage`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum UsageAction {
    /// `hush get`.
    Get,
    /// Injected into a program (`hush run`).
    Run,
    /// Rendered into a template (`hush inject`).
    Inject,
    /// Shown on screen (desktop reveal).
    Reveal,
    /// Copied to the clipboard (desktop).
    Copy,
    /// Old values shown (`hush history --reveal`).
    History,
    /// Written out in plaintext (`hush export --plaintext`).
    Export,
    /// Copied into an encrypted backup (`hush backup`).
    Backup,
}

wire_codes!(UsageAction, pub, "usage action", {
    Get = 0,
    Run = 1,
    Inject = 2,
    Reveal = 3,
    Copy = 4,
    History = 5,
    Export = 6,
    Backup = 7,
});

impl UsageAction {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageAction::Get => "get",
            UsageAction::Run => "run",
            UsageAction::Inject => "inject",
            UsageAction::Reveal => "reveal",
            UsageAction::Copy => "copy",
            UsageAction::History => "history",
            UsageAction::Export => "export",
            UsageAction::Backup => "backup",
        }
    }
}

/// Most secrets one [`Payload::Usage`] event lists.
pub const MAX_USAGE_ITEMS: usize = 4096;

/// The sealed content of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// First event of a team.
    TeamCreate {
        /// Team name.
        name: String,
        /// The creating device (becomes owner).
        creator: DeviceCert,
        /// [`key_commit`](super::key_commit) of the log key of epoch 0.
        log_commit: [u8; 32],
    },
    /// A new vault; its name is sealed under the vault key.
    VaultCreate {
        /// Vault id.
        vault_id: Uuid,
        /// Vault key epoch the name is sealed under.
        key_epoch: u32,
        /// Sealed name.
        name_ct: Vec<u8>,
        /// [`key_commit`](super::key_commit) of the vault key of epoch 0.
        key_commit: [u8; 32],
    },
    /// A new version of a secret.
    SecretPut {
        /// Vault id.
        vault_id: Uuid,
        /// Item id.
        item_id: Uuid,
        /// Version number (1 for a new item).
        version: u32,
        /// The version the author was editing (0 for a new item). When it is not the item's
        /// current version at this point of the log, two edits were concurrent: the item is
        /// flagged as in conflict until a person resolves it.
        base_version: u32,
        /// Vault key epoch the ciphertexts are sealed under.
        key_epoch: u32,
        /// Set or rotation.
        kind: PutKind,
        /// Sealed [`crate::item::ItemMeta`].
        meta_ct: Vec<u8>,
        /// Sealed value.
        value_ct: Vec<u8>,
    },
    /// A secret marked deleted (its history stays).
    SecretDelete {
        /// Vault id.
        vault_id: Uuid,
        /// Item id.
        item_id: Uuid,
        /// The version current when it was deleted.
        version: u32,
    },
    /// An invite was issued (its secret never leaves the inviting device).
    InviteCreate {
        /// Invite id.
        invite_id: Uuid,
        /// Role the invitee will get.
        role: TeamRole,
        /// Expiry.
        expires_ms: i64,
    },
    /// A device joins the team through an invite.
    Admit {
        /// The invite it used.
        invite_id: Uuid,
        /// The new device.
        member: DeviceCert,
        /// Its role.
        role: TeamRole,
        /// HMAC under a key derived from the invite secret: proves to the joiner that the admitting
        /// device knew the secret (a relay cannot forge an admission into a fake team).
        proof: [u8; 32],
    },
    /// A device leaves the team; the log key and the keys of every vault it could read rotate.
    Remove {
        /// The removed device.
        device_id: Uuid,
        /// New log-key epoch.
        new_log_epoch: u32,
        /// [`key_commit`](super::key_commit) of the new log key.
        log_commit: [u8; 32],
        /// Vaults re-keyed, with their new epochs and the [`key_commit`](super::key_commit) of each new key.
        rekeyed: Vec<(Uuid, u32, [u8; 32])>,
    },
    /// A member gets (or changes) access to a vault.
    Grant {
        /// Vault.
        vault_id: Uuid,
        /// Member device.
        device_id: Uuid,
        /// Role.
        role: VaultRole,
    },
    /// A member loses access to a vault; its key rotates.
    Revoke {
        /// Vault.
        vault_id: Uuid,
        /// Member device.
        device_id: Uuid,
        /// New vault-key epoch.
        new_epoch: u32,
        /// [`key_commit`](super::key_commit) of the new vault key.
        key_commit: [u8; 32],
    },
    /// A team manager creates a service (CI/CD) identity: a member with role
    /// [`TeamRole::Service`], read access to exactly `vaults`, and an expiry. Its private keys
    /// were generated on the author's device and leave it only inside the printed token.
    ServiceCreate {
        /// The service's certificate (its display name is the service name).
        member: DeviceCert,
        /// Vaults it may read.
        vaults: Vec<Uuid>,
        /// Expiry, milliseconds since the Unix epoch.
        expires_ms: i64,
    },
    /// A member who can read a vault reports a secret's value as leaked: the item becomes
    /// exposed until a newer version is written.
    Leaked {
        /// Vault.
        vault_id: Uuid,
        /// Item.
        item_id: Uuid,
        /// The version reported (the current one when reported).
        version: u32,
        /// Vault key epoch the note is sealed under (the vault's current one).
        key_epoch: u32,
        /// The reporter's note, sealed under the vault key (see `item::seal_leak_note`).
        note_ct: Vec<u8>,
    },
    /// A member read secrets of a vault (best-effort record written by the reader's client).
    Usage {
        /// Vault.
        vault_id: Uuid,
        /// How they were read.
        action: UsageAction,
        /// (item id, version) of each secret read.
        items: Vec<(Uuid, u32)>,
    },
    /// A team manager makes a witness required for the team: every member's client checks the
    /// relay's log against the witness's co-signed head before storing or pushing (see
    /// [`crate::witness`]).
    WitnessAdd {
        /// Where the witness listens (`https://`, or `http://` to loopback).
        url: String,
        /// Its Ed25519 public key, pinned.
        key: [u8; 32],
    },
    /// A team manager stops requiring a witness.
    WitnessRemove {
        /// The witness key.
        key: [u8; 32],
    },
}

/// Longest witness URL in a [`Payload::WitnessAdd`].
pub const MAX_WITNESS_URL: usize = 2048;

/// Most vaults one service identity is created for.
pub const MAX_SERVICE_VAULTS: usize = 256;
