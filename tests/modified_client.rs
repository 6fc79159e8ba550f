//! A modified client: what a member who runs their own code (a compromised laptop, a hostile
//! teammate, a buggy old client) can do with their real keys. It reads its private identity out
//! of its own store, opens the key bundles addressed to it, and seals and signs events by hand.
//! Shared by `hostile_relay.rs` and `malicious_member.rs`.

#![allow(dead_code)]

use std::collections::HashMap;

use hush_core::event::{
    Body, BundlePlace, Envelope, GrantedKey, KeyBundle, KeyScope, Payload, Public, PutKind,
    SignedEvent,
};
use hush_core::identity::{DeviceCert, DeviceIdentity};
use hush_core::item::{ItemMeta, ItemSlot};
use hush_core::secret::{Key32, SecretString};
use hush_tests::{Device, PASSWORD, Relay};
use uuid::Uuid;

/// Runs a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(d.as_millis()).expect("time fits")
}

/// Recovers a device's private identity from its store, as a modified client could.
pub fn identity_of(d: &Device) -> DeviceIdentity {
    use hush_core::{session, store::Store};
    block_on(async {
        let store = Store::open(&d.home()).await.expect("open store");
        let account = session::unwrap_account_key(&store, &SecretString::new(PASSWORD.into()))
            .await
            .expect("account key");
        let (identity, _) = session::open_identity(&store, &account)
            .await
            .expect("identity opens");
        store.close().await;
        identity
    })
}

/// Every key handed to `me` in the bundles of `events`.
pub fn keys_of(me: &DeviceIdentity, events: &[SignedEvent]) -> HashMap<(KeyScope, u32), Key32> {
    let mut keys = HashMap::new();
    for ev in events {
        for b in ev
            .public
            .bundles
            .iter()
            .filter(|b| b.recipient == me.device_id)
        {
            if let Ok(granted) = b.open(&BundlePlace::of(&ev.envelope), me.encryption_secret()) {
                for k in granted {
                    keys.insert((k.scope, k.epoch), k.key);
                }
            }
        }
    }
    keys
}

/// The relay's stored events of its only team, in order.
pub fn relay_events(relay: &Relay) -> Vec<SignedEvent> {
    let rows: Vec<Vec<u8>> = block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        let rows = sqlx::query_scalar("SELECT bytes FROM events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("events");
        pool.close().await;
        rows
    });
    rows.iter()
        .map(|b| SignedEvent::decode(b).expect("stored events decode"))
        .collect()
}

/// Device ids in the relay's access list that it still lets in.
pub fn relay_devices(relay: &Relay) -> Vec<String> {
    block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        let rows = sqlx::query_scalar(
            "SELECT device_id FROM devices WHERE removed = 0 ORDER BY device_id",
        )
        .fetch_all(&pool)
        .await
        .expect("devices");
        pool.close().await;
        rows
    })
}

/// Stores `ev` at the head of the relay's log directly in its database, bypassing every check
/// the relay makes: a relay working with the event's author.
pub fn relay_insert(relay: &Relay, ev: &SignedEvent) {
    block_on(async {
        let pool = sqlx::SqlitePool::connect(&relay.database)
            .await
            .expect("relay db");
        let team = ev.envelope.team_id.to_string();
        sqlx::query(
            "INSERT INTO events (team_id, seq, hash, prev, epoch, author, size, bytes, received_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&team)
        .bind(i64::try_from(ev.envelope.seq).expect("seq"))
        .bind(ev.hash().to_vec())
        .bind(ev.envelope.prev.to_vec())
        .bind(i64::from(ev.envelope.epoch))
        .bind(ev.envelope.author.to_string())
        .bind(i64::try_from(ev.bytes().len()).expect("size"))
        .bind(ev.bytes().to_vec())
        .bind(now_ms())
        .execute(&pool)
        .await
        .expect("insert event");
        sqlx::query("UPDATE teams SET head_seq = $1, head_hash = $2 WHERE team_id = $3")
            .bind(i64::try_from(ev.envelope.seq).expect("seq"))
            .bind(ev.hash().to_vec())
            .bind(&team)
            .execute(&pool)
            .await
            .expect("move head");
        pool.close().await;
    });
}

/// The ids of the vaults created in `events` that `keys` can read the log of, in log order.
pub fn vaults(keys: &HashMap<(KeyScope, u32), Key32>, events: &[SignedEvent]) -> Vec<Uuid> {
    events
        .iter()
        .filter_map(|ev| {
            let key = keys.get(&(KeyScope::Log, ev.envelope.epoch))?;
            match ev.open_body(key).ok()?.payload {
                Payload::VaultCreate { vault_id, .. } => Some(vault_id),
                _ => None,
            }
        })
        .collect()
}

/// The id of the only vault created in `events`.
pub fn only_vault(keys: &HashMap<(KeyScope, u32), Key32>, events: &[SignedEvent]) -> Uuid {
    let v = vaults(keys, events);
    assert_eq!(v.len(), 1, "one vault");
    v[0]
}

/// A new secret sealed under the given vault key epoch.
pub fn put_payload(
    team_id: Uuid,
    vault_id: Uuid,
    key_epoch: u32,
    key: &Key32,
    name: &str,
    value: &str,
) -> Payload {
    let item_id = Uuid::new_v4();
    let slot = ItemSlot::new(team_id, vault_id, item_id, 1, key_epoch);
    let meta = ItemMeta {
        name: name.to_owned(),
        ..ItemMeta::default()
    };
    Payload::SecretPut {
        vault_id,
        item_id,
        version: 1,
        base_version: 0,
        key_epoch,
        kind: PutKind::Set,
        meta_ct: slot.seal_meta(key, &meta),
        value_ct: slot.seal_value(key, &SecretString::new(value.to_owned())),
    }
}

/// The envelope of the next event by `me` after `events`, at `log_epoch`.
pub fn next_envelope(me: &DeviceIdentity, events: &[SignedEvent], log_epoch: u32) -> Envelope {
    let head = events.last().expect("a team log");
    Envelope {
        team_id: head.envelope.team_id,
        seq: head.envelope.seq + 1,
        prev: head.hash(),
        epoch: log_epoch,
        author: me.device_id,
    }
}

/// A key bundle from `me` to `to` for the event at `envelope`.
pub fn bundle(envelope: &Envelope, to: &DeviceCert, keys: Vec<GrantedKey>) -> KeyBundle {
    KeyBundle::seal(&BundlePlace::of(envelope), to, &keys).expect("bundle")
}

/// An event signed by `me` at the head of `events`, sealed under the log key of `log_epoch`.
pub fn forge(
    me: &DeviceIdentity,
    events: &[SignedEvent],
    keys: &HashMap<(KeyScope, u32), Key32>,
    log_epoch: u32,
    payload: Payload,
) -> SignedEvent {
    forge_with(me, events, keys, log_epoch, payload, |_| Public::default())
}

/// [`forge`] with a public section (key bundles, ACL entries) made for the event's envelope.
pub fn forge_with(
    me: &DeviceIdentity,
    events: &[SignedEvent],
    keys: &HashMap<(KeyScope, u32), Key32>,
    log_epoch: u32,
    payload: Payload,
    public: impl FnOnce(&Envelope) -> Public,
) -> SignedEvent {
    let envelope = next_envelope(me, events, log_epoch);
    let public = public(&envelope);
    let body = Body {
        time_ms: now_ms(),
        payload,
    };
    let log_key = keys
        .get(&(KeyScope::Log, log_epoch))
        .expect("the forger holds that log key");
    SignedEvent::seal(envelope, public, &body, log_key, me).expect("seal")
}
