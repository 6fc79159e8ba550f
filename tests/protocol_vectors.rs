//! The test vectors published in `docs/PROTOCOL.md` are recomputed here from their inputs.
//!
//! Run with `HUSH_PRINT_VECTORS=1` to print freshly computed values (for updating the document
//! after a deliberate format change, which must also bump the format version).

use std::collections::BTreeMap;

use hush_core::codec::Writer;
use hush_core::crypto::{self, KdfParams};
use hush_core::event::{Body, Envelope, KeyBundle, Payload, SignedEvent};
use hush_core::identity::{DeviceIdentity, fingerprint};
use hush_core::item::ItemSlot;
use hush_core::secret::Key32;
use uuid::Uuid;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn seq_bytes<const N: usize>(start: u8) -> [u8; N] {
    std::array::from_fn(|i| start.wrapping_add(i as u8))
}

/// The vectors block of docs/PROTOCOL.md as name -> value.
fn published() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md");
    let start = doc
        .find("```vectors")
        .expect("a ```vectors block in PROTOCOL.md");
    let block = &doc[start + "```vectors".len()..];
    let block = &block[..block.find("```").expect("closed block")];
    let mut map = BTreeMap::new();
    let mut last = String::new();
    for line in block.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once(" = ") {
            last = k.trim().to_owned();
            map.insert(last.clone(), v.trim().to_owned());
        } else {
            // Continuation of a long hex value.
            map.get_mut(&last)
                .expect("continuation after a key")
                .push_str(line);
        }
    }
    map
}

fn vector_identity() -> DeviceIdentity {
    let mut w = Writer::new();
    w.u8(1)
        .raw(&seq_bytes::<16>(0xd0))
        .str("alice")
        .raw(&seq_bytes::<32>(0x01))
        .raw(&seq_bytes::<32>(0x41))
        .raw(&seq_bytes::<32>(0x81));
    DeviceIdentity::from_secret_bytes(&w.into_vec()).expect("identity")
}

fn computed() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let id = vector_identity();
    let cert = id.cert();
    m.insert("identity.sign_pk".into(), hex(&cert.sign_pk));
    m.insert("identity.enc_pk".into(), hex(&cert.enc_pk));
    m.insert("identity.auth_pk".into(), hex(&cert.auth_pk));
    m.insert("identity.cert_sig".into(), hex(&cert.sig));
    m.insert(
        "identity.fingerprint".into(),
        fingerprint(&cert.sign_pk, &cert.enc_pk),
    );

    let kek = KdfParams::DEFAULT
        .derive(b"correct horse battery staple", &seq_bytes::<16>(0x00))
        .expect("argon2");
    m.insert("kdf.kek".into(), hex(kek.expose_bytes()));

    let vault_key = Key32::from_bytes(seq_bytes(0x00));
    let slot = ItemSlot::new(
        Uuid::from_bytes([0x11; 16]),
        Uuid::from_bytes([0x22; 16]),
        Uuid::from_bytes([0x33; 16]),
        1,
        0,
    );
    let mut w = Writer::new();
    w.raw(b"hush/v1/item-value")
        .raw(slot.team_id.as_bytes())
        .raw(slot.vault_id.as_bytes())
        .raw(slot.item_id.as_bytes())
        .u32(slot.version)
        .u32(slot.key_epoch);
    let sealed = crypto::seal_with_nonce(
        &vault_key,
        &seq_bytes(0x40),
        w.as_slice(),
        b"sk_test_vector",
    );
    m.insert("item.value_sealed".into(), hex(&sealed));
    // The library's own slot opener agrees with the hand-built associated data.
    assert_eq!(
        slot.open_value(&vault_key, &sealed).expect("open").expose(),
        "sk_test_vector"
    );

    // A leak report's note (same slot, nonce 80 81 … 97) and the bodies of tags 11 and 12.
    let mut w = Writer::new();
    w.raw(b"hush/v1/leak-note")
        .raw(slot.team_id.as_bytes())
        .raw(slot.vault_id.as_bytes())
        .raw(slot.item_id.as_bytes())
        .u32(slot.version)
        .u32(slot.key_epoch);
    let note_ct = crypto::seal_with_nonce(
        &vault_key,
        &seq_bytes(0x80),
        w.as_slice(),
        b"pasted in chat",
    );
    m.insert("leak.note_sealed".into(), hex(&note_ct));
    assert_eq!(
        hush_core::lifecycle::open_leak_note(&slot, &vault_key, &note_ct).expect("open note"),
        "pasted in chat"
    );
    let leaked = Body {
        time_ms: 1_767_225_600_000,
        payload: Payload::Leaked {
            vault_id: slot.vault_id,
            item_id: slot.item_id,
            version: 1,
            key_epoch: 0,
            note_ct,
        },
    };
    m.insert("body.leaked".into(), hex(&leaked.encode()));
    let usage = Body {
        time_ms: 1_767_225_600_000,
        payload: Payload::Usage {
            vault_id: slot.vault_id,
            action: hush_core::event::UsageAction::Run,
            items: vec![(slot.item_id, 1), (Uuid::from_bytes([0x44; 16]), 2)],
        },
    };
    m.insert("body.usage".into(), hex(&usage.encode()));
    // Tag 13 (a team requires a witness), and the two signed formats that live outside the
    // log: a witness's co-signed head and a service identity's head note (Ed25519 is
    // deterministic, so both are reproducible).
    let witness_add = Body {
        time_ms: 1_767_225_600_000,
        payload: Payload::WitnessAdd {
            url: "https://witness.example".into(),
            key: [0x77; 32],
        },
    };
    m.insert("body.witness_add".into(), hex(&witness_add.encode()));
    for b in [&leaked, &usage, &witness_add] {
        assert_eq!(&Body::decode(&b.encode()).expect("decode"), b);
    }
    let signer = hush_core::witness_proto::WitnessSigner::from_seed(&[0x66; 32]);
    let team = Uuid::from_bytes([0x11; 16]);
    let head = hush_core::witness_proto::WitnessHead::sign(&signer, &team, 7, &[0x88; 32]);
    m.insert("witness.key".into(), hex(&signer.public()));
    m.insert("witness.head_sig".into(), head.sig.clone());
    head.verify(&signer.public(), &team)
        .expect("the vector head verifies");
    let note = hush_core::service_note::HeadNote {
        team_id: team,
        device_id: id.device_id,
        seq: 7,
        hash: [0x88; 32],
    }
    .sign(&id);
    m.insert("service.head_note".into(), hex(&note));
    assert_eq!(
        hush_core::service_note::HeadNote::open(&note, &id, &team)
            .expect("the vector note opens")
            .seq,
        7
    );

    let log_key = Key32::from_bytes([0x55; 32]);
    let log_commit = hush_core::event::key_commit(
        &Uuid::from_bytes([0x11; 16]),
        hush_core::event::KeyScope::Log,
        0,
        &log_key,
    );
    m.insert("key_commit.log0".into(), hex(&log_commit));
    let env = Envelope {
        team_id: Uuid::from_bytes([0x11; 16]),
        seq: 0,
        prev: [0; 32],
        epoch: 0,
        author: id.device_id,
    };
    let body = Body {
        time_ms: 1_767_225_600_000,
        payload: Payload::TeamCreate {
            name: "acme".into(),
            creator: cert.clone(),
            log_commit,
        },
    };
    let public = hush_core::event::Public {
        bundles: Vec::new(),
        acl: vec![hush_core::event::AclChange::Add {
            device_id: id.device_id,
            auth_pk: cert.auth_pk,
            manager: true,
        }],
    };
    let ev =
        SignedEvent::seal_with(env, public, &body, &log_key, &id, &seq_bytes(0x60)).expect("event");
    m.insert("event.bytes".into(), hex(ev.bytes()));
    m.insert("event.hash".into(), hex(&ev.hash()));
    m
}

#[test]
fn published_vectors_match_the_implementation() {
    let computed = computed();
    if std::env::var_os("HUSH_PRINT_VECTORS").is_some() {
        for (k, v) in &computed {
            println!("{k} = {v}");
        }
    }
    let published = published();
    for (k, v) in &computed {
        let p = published
            .get(k)
            .unwrap_or_else(|| panic!("{k} is missing from docs/PROTOCOL.md"));
        assert_eq!(p, v, "vector {k} differs from docs/PROTOCOL.md");
    }
}

#[test]
fn published_event_decodes_verifies_and_opens() {
    let published = published();
    let bytes = unhex(&published["event.bytes"]);
    let ev = SignedEvent::decode(&bytes).expect("decode");
    let pk: [u8; 32] = unhex(&published["identity.sign_pk"])
        .try_into()
        .expect("32 bytes");
    ev.verify_signature(&pk).expect("signature");
    let body = ev.open_body(&Key32::from_bytes([0x55; 32])).expect("body");
    assert_eq!(body.time_ms, 1_767_225_600_000);
    assert!(matches!(body.payload, Payload::TeamCreate { ref name, .. } if name == "acme"));
    assert_eq!(hex(&ev.hash()), published["event.hash"]);
}

/// The place of the vector bundle: team `11…11`, event 0 (prev all zeros), authored by the
/// vector identity.
fn bundle_place(id: &DeviceIdentity) -> hush_core::event::BundlePlace {
    hush_core::event::BundlePlace {
        team_id: Uuid::from_bytes([0x11; 16]),
        seq: 0,
        prev: [0; 32],
        author: id.device_id,
    }
}

#[test]
fn published_key_bundle_opens_with_the_recipient_key() {
    // A bundle is HPKE with a fresh ephemeral key, so it is not reproducible; the published one
    // was made once by `KeyBundle::seal` and must keep opening.
    let id = vector_identity();
    if std::env::var_os("HUSH_PRINT_VECTORS").is_some() {
        let fresh = KeyBundle::seal(
            &bundle_place(&id),
            &id.cert(),
            &[hush_core::event::GrantedKey {
                scope: hush_core::event::KeyScope::Log,
                epoch: 0,
                key: Key32::from_bytes([0x55; 32]),
            }],
        )
        .expect("seal");
        println!(
            "bundle.enc = {}\nbundle.ct = {}",
            hex(&fresh.enc),
            hex(&fresh.ct)
        );
    }
    let published = published();
    let bundle = KeyBundle {
        recipient: id.device_id,
        enc: unhex(&published["bundle.enc"])
            .try_into()
            .expect("32 bytes"),
        ct: unhex(&published["bundle.ct"]),
    };
    let keys = bundle
        .open(&bundle_place(&id), id.encryption_secret())
        .expect("open bundle");
    // Bound to its place: the same bundle at another position or by another author is refused.
    let mut moved = bundle_place(&id);
    moved.seq = 1;
    assert!(bundle.open(&moved, id.encryption_secret()).is_err());
    let mut other_author = bundle_place(&id);
    other_author.author = Uuid::from_bytes([0x99; 16]);
    assert!(bundle.open(&other_author, id.encryption_secret()).is_err());
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].epoch, 0);
    assert_eq!(hex(keys[0].key.expose_bytes()), "55".repeat(32));
}
