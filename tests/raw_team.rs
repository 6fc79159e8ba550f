//! A team whose events the test seals and signs itself, as a client would, and sends straight to
//! the relay: the relay's own cost without a client session in the way. Shared by the load test
//! (`reliability_load.rs`) and the relay figures of the `team` bench (`benches/team.rs`).

use hush_core::event::{AclChange, Body, Envelope, Payload, Public, PutKind, SignedEvent};
use hush_core::identity::DeviceIdentity;
use hush_core::item::{ItemMeta, ItemSlot};
use hush_core::secret::{Key32, SecretString};
use hush_core::sync::RelayClient;
use uuid::Uuid;

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(d.as_millis()).expect("time fits")
}

/// The keys of a team created on the relay, and the hash of its first event.
pub struct RawTeam {
    pub id: Uuid,
    log_key: Key32,
    vault_id: Uuid,
    vault_key: Key32,
    pub genesis: [u8; 32],
}

impl RawTeam {
    /// Creates the team `name` on the relay with `owner` as manager and `others` as members.
    pub async fn create(
        client: &RelayClient,
        name: &str,
        owner: &DeviceIdentity,
        others: &[&DeviceIdentity],
    ) -> Self {
        let id = Uuid::new_v4();
        let log_key = Key32::random();
        let acl = std::iter::once((owner, true))
            .chain(others.iter().map(|o| (*o, false)))
            .map(|(m, manager)| AclChange::Add {
                device_id: m.device_id,
                auth_pk: m.cert().auth_pk,
                manager,
            })
            .collect();
        let genesis = SignedEvent::seal(
            Envelope {
                team_id: id,
                seq: 0,
                prev: [0; 32],
                epoch: 0,
                author: owner.device_id,
            },
            Public {
                acl,
                ..Public::default()
            },
            &Body {
                time_ms: now_ms(),
                payload: Payload::TeamCreate {
                    name: name.into(),
                    creator: owner.cert(),
                    log_commit: hush_core::event::key_commit(
                        &id,
                        hush_core::event::KeyScope::Log,
                        0,
                        &log_key,
                    ),
                },
            },
            &log_key,
            owner,
        )
        .expect("seal the genesis event");
        client
            .put_team(owner, &id, genesis.bytes(), now_ms())
            .await
            .expect("create the team on the relay");
        Self {
            id,
            log_key,
            vault_id: Uuid::new_v4(),
            vault_key: Key32::random(),
            genesis: genesis.hash(),
        }
    }

    /// A new secret `name` at `seq` after `prev`, sealed and signed by `author`.
    pub fn put(
        &self,
        author: &DeviceIdentity,
        seq: u64,
        prev: [u8; 32],
        name: String,
        value: &SecretString,
    ) -> SignedEvent {
        let item_id = Uuid::new_v4();
        let slot = ItemSlot::new(self.id, self.vault_id, item_id, 1, 0);
        let meta = ItemMeta {
            name,
            ..ItemMeta::default()
        };
        SignedEvent::seal(
            Envelope {
                team_id: self.id,
                seq,
                prev,
                epoch: 0,
                author: author.device_id,
            },
            Public::default(),
            &Body {
                time_ms: now_ms(),
                payload: Payload::SecretPut {
                    vault_id: self.vault_id,
                    item_id,
                    version: 1,
                    base_version: 0,
                    key_epoch: 0,
                    kind: PutKind::Set,
                    meta_ct: slot.seal_meta(&self.vault_key, &meta),
                    value_ct: slot.seal_value(&self.vault_key, value),
                },
            },
            &self.log_key,
            author,
        )
        .expect("seal an event")
    }
}
