//! What each fuzz target checks, one function per target.
//!
//! Every function takes arbitrary bytes, feeds them to a decoder or parser of untrusted input, and
//! panics (through `assert!`) only when a property breaks: decoders must return an error instead
//! of panicking, and whatever they accept must re-encode to the same bytes (the codecs are
//! canonical) or parse again to the same value. `fuzz_targets/*.rs` call these from libFuzzer;
//! `tests/reliability.rs` includes this file and runs every file under `fuzz/regressions/<target>/`
//! through [`TARGETS`] in the normal test suite, so a finding stays fixed.

use hush_core::address::Address;
use hush_core::event::{Body, SignedEvent};
use hush_core::invite::InviteCode;
use hush_core::relay_proto::{self, AuthHeaders, MAX_SKEW_MS};
use hush_core::secret::Key32;
use hush_core::service::ServiceToken;
use uuid::Uuid;

/// One target's checks over one input.
pub type Check = fn(&[u8]);

/// Every target, by the name of its `fuzz_targets/` file and its `regressions/` directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("event_decode", event_decode),
    ("invite_code", invite_code),
    ("address", address),
    ("dotenv", dotenv),
    ("relay_auth", relay_auth),
    ("event_list", event_list),
    ("service_token", service_token),
    ("head_note", head_note),
    ("team_commitment", team_commitment),
    ("witness", witness),
];

/// A fixed key: a fuzzer cannot forge a tag or signature under it, but the paths run.
const KEY: [u8; 32] = [7; 32];

/// `SignedEvent::decode` (the relay and every client parse events from the network) and
/// `Body::decode` (a decrypted body from a member who may be malicious).
pub fn event_decode(data: &[u8]) {
    if let Ok(ev) = SignedEvent::decode(data) {
        assert_eq!(ev.bytes(), data, "an accepted event keeps its exact bytes");
        let again = SignedEvent::decode(ev.bytes());
        assert!(
            again.as_ref().is_ok_and(|e| e == &ev),
            "decoding is deterministic"
        );
        // Signature and body checks must fail cleanly, never panic.
        let _ = ev.verify_signature(&KEY);
        if let Ok(body) = ev.open_body(&Key32::from_bytes(KEY)) {
            assert!(Body::decode(&body.encode()).is_ok_and(|b| b == body));
        }
    }
    if let Ok(body) = Body::decode(data) {
        assert_eq!(
            body.encode().as_slice(),
            data,
            "an accepted body re-encodes to the same bytes (canonical)"
        );
    }
}

/// `InviteCode::decode`: codes are pasted by people and arrive over chat.
pub fn invite_code(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = InviteCode::decode(s) {
        let encoded = c.encode();
        let again = InviteCode::decode(&encoded);
        assert!(
            again.as_ref().is_ok_and(|d| d.invite_id == c.invite_id
                && d.team_id == c.team_id
                && d.secret.expose_bytes() == c.secret.expose_bytes()
                && d.pinned_seq == c.pinned_seq
                && d.pinned_hash == c.pinned_hash
                && d.expires_ms == c.expires_ms
                && d.relay == c.relay),
            "an accepted invite code survives encode and decode"
        );
    }
}

/// `Address::parse` and `Address::parse_reference` (`hush://` references in committed files).
pub fn address(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = Address::parse(s) {
        assert_eq!(
            s,
            a.to_string(),
            "an accepted address prints as it was written"
        );
        assert_eq!(Address::parse_reference(&a.to_reference()).ok(), Some(a));
    }
    if let Ok(a) = Address::parse_reference(s) {
        assert_eq!(
            s,
            a.to_reference(),
            "an accepted reference prints as written"
        );
    }
}

/// `dotenv::parse` (`hush run --env-file`, dotenvx's rules): any text, with `${VAR}` lookups.
pub fn dotenv(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let lookup = |k: &str| (k == "HOME").then(|| "/home/someone".to_owned());
    // A line ends at LF, CRLF or a lone CR (dotenvx normalises all three).
    let lines = s.matches(['\n', '\r']).count() + 1;
    match hush_core::dotenv::parse(s, lookup, |_, v| Ok::<_, std::convert::Infallible>(v)) {
        Ok(parsed) => {
            let mut keys = std::collections::BTreeSet::new();
            for e in &parsed.entries {
                assert!(
                    !e.key.is_empty()
                        && e.key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')),
                    "keys are dotenvx names"
                );
                assert!(keys.insert(e.key.clone()), "one entry per key");
                assert!(
                    e.line >= 1 && e.line <= lines,
                    "entries carry a line of the file"
                );
            }
            let mut last = 0;
            for w in &parsed.warnings {
                assert!(w.line >= last, "warnings in line order");
                last = w.line;
                // Fixed text plus at most a key name: never a piece of a value.
                assert!(
                    !w.message.contains('\n') && w.message.len() < 300,
                    "warnings never echo the file"
                );
            }
        }
        Err(e) => {
            // Messages are fixed text plus a line number and a key: never a piece of a value.
            let msg = e.to_string();
            assert!(
                !msg.contains('\n') && msg.len() < 300,
                "error messages never echo the file"
            );
        }
    }
}

/// The relay's request authentication: `AuthHeaders::parse` on four header values (the input
/// split at newlines) and `verify` against a fixed key.
pub fn relay_auth(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(5, '\n');
    let mut next = || parts.next().unwrap_or("");
    let (device, timestamp, nonce, signature) = (next(), next(), next(), next());
    let body = next().as_bytes().to_vec();
    if let Ok(h) = AuthHeaders::parse(device, timestamp, nonce, signature) {
        let team = Uuid::from_bytes([1; 16]);
        // A stale or future timestamp is refused before the signature is even looked at.
        let far = h.timestamp_ms.saturating_add(MAX_SKEW_MS.saturating_mul(2));
        assert!(
            h.verify(&KEY, "POST", "/v1/teams/x/events", &team, &body, far)
                .is_err()
        );
        let _ = h.verify(
            &KEY,
            "POST",
            "/v1/teams/x/events",
            &team,
            &body,
            h.timestamp_ms,
        );
    }
}

/// `relay_proto::decode_event_list`: a pull response from a relay that may lie.
pub fn event_list(data: &[u8]) {
    if let Ok(list) = relay_proto::decode_event_list(data) {
        assert_eq!(
            relay_proto::encode_event_list(list.iter().map(Vec::as_slice)),
            data,
            "an accepted event list re-encodes to the same bytes"
        );
    }
}

/// `ServiceToken::parse`: tokens come from CI secret stores and environment variables.
pub fn service_token(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = ServiceToken::parse(s) {
        let again = ServiceToken::parse(t.encode().expose());
        assert!(
            again.as_ref().is_ok_and(|u| u.relay == t.relay
                && u.allow_http == t.allow_http
                && u.team_id == t.team_id
                && u.genesis == t.genesis
                && u.expires_ms == t.expires_ms
                && u.identity.to_secret_bytes() == t.identity.to_secret_bytes()),
            "an accepted token survives encode and parse"
        );
    }
}

/// `HeadNote::open`: a service identity's head note comes back from the (untrusted) relay. A
/// fuzzer cannot sign under the identity's key, so nothing may open; the point is no panic.
pub fn head_note(data: &[u8]) {
    use hush_core::identity::DeviceIdentity;
    use hush_core::service_note::HeadNote;
    static ME: std::sync::OnceLock<DeviceIdentity> = std::sync::OnceLock::new();
    let me = ME.get_or_init(|| DeviceIdentity::generate("ci").expect("identity"));
    let team = Uuid::from_bytes([1; 16]);
    assert!(
        HeadNote::open(data, me, &team).is_err(),
        "a note nobody signed with the identity's key opened"
    );
}

/// `store::decode_team_heads`: the header's list of teams, read from a database file anyone with
/// the disk may edit. What it accepts re-encodes to the same bytes (one encoding per set).
pub fn team_commitment(data: &[u8]) {
    use hush_core::store::{decode_team_heads, encode_team_heads};
    if let Ok(heads) = decode_team_heads(data) {
        assert_eq!(encode_team_heads(&heads), data, "canonical encoding");
    }
}

/// What a witness sends and receives: the extend body (`witness_proto::decode_extend`, parsed by
/// the witness from any member) and the JSON of a signed head or fork answer (parsed by clients
/// from a witness that may lie), verified against a fixed key.
pub fn witness(data: &[u8]) {
    use hush_core::witness_proto::{WitnessFork, WitnessHead, decode_extend};
    if let Ok(list) = decode_extend(data) {
        assert_eq!(
            relay_proto::encode_event_list(list.iter().copied()),
            data,
            "an accepted extend body re-encodes to the same bytes"
        );
    }
    let team = Uuid::from_bytes([1; 16]);
    if let Ok(h) = serde_json::from_slice::<WitnessHead>(data)
        && let Ok(c) = h.verify(&KEY, &team)
    {
        assert_eq!(c.seq, h.seq);
        assert!(
            c.at.is_none_or(|(s, _)| s <= c.seq),
            "an accepted position is at or below the head"
        );
    }
    if let Ok(f) = serde_json::from_slice::<WitnessFork>(data) {
        let _ = f.head.verify(&KEY, &team);
    }
}
