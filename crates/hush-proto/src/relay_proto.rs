//! The relay's HTTP protocol, shared by the client (`sync`) and the server (`hush-relay`).
//!
//! ```text
//! GET  /v1/health                                   -> 200 "ok"                     (no auth)
//! PUT  /v1/teams/{team}                body: event  -> 201 AppendOk | 200 AppendOk (same event) | 409
//! POST /v1/teams/{team}/events         body: event  -> 200 AppendOk | 409 Head (not at the head)
//! GET  /v1/teams/{team}/events?after=N&limit=M      -> 200 event list (binary, see below)
//! GET  /v1/teams/{team}/head                        -> 200 Head
//! GET  /v1/teams/{team}/wait?after=N&timeout_ms=T   -> 200 Head when head > N, 204 on timeout
//! POST /v1/teams/{team}/joins/{invite}  body: blob  -> 201 | 410 (used/expired/unknown)
//!                                       header x-hush-invite-token: hex token   (no device auth)
//! GET  /v1/teams/{team}/joins                        -> 200 [JoinRequest]        (managers only)
//! ```
//!
//! The routes above are [`paths`]' constants (the relay's router uses them) and its builders (the
//! client's requests); neither side spells a path itself.
//!
//! Every other request is signed with the device's relay-auth key (Ed25519) over
//! [`auth_message`]: method, path and query, team id, SHA-256 of the body, timestamp and a random
//! nonce. Headers: `x-hush-device` (uuid), `x-hush-timestamp` (ms), `x-hush-nonce` (32 hex),
//! `x-hush-signature` (128 hex). The relay refuses timestamps more than [`MAX_SKEW_MS`] away from
//! its clock and nonces it has seen, so a captured request cannot be replayed.
//!
//! An event list is `count:u32 { len:u32 bytes }*`. Errors are JSON `{"error": code, "message"}`
//! with codes: `unauthorized`, `forbidden`, `not_found`, `conflict`, `gone`, `too_large`,
//! `rate_limited`, `bad_request`, `internal`.

use uuid::Uuid;

use crate::codec::{Reader, Writer};
use crate::crypto;
use crate::error::{Error, Result};
use crate::event::MAX_EVENT_LEN;
use crate::identity::{DeviceIdentity, verify_signature};

/// Largest clock difference accepted on a signed request.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// Largest request body the relay accepts.
pub const MAX_BODY: usize = MAX_EVENT_LEN + 1024;
/// Largest join request blob.
pub const MAX_JOIN_BLOB: usize = 16 * 1024;
/// Most events returned by one pull.
pub const MAX_PULL: u32 = 1000;

/// The relay's routes (axum syntax, `{team}` and `{invite}` are path parameters) and the paths
/// the client builds for them: one list both sides use.
pub mod paths {
    use uuid::Uuid;

    /// Liveness (no auth); the witness serves it too.
    pub const HEALTH: &str = "/v1/health";
    /// Create a team with its genesis event.
    pub const TEAM_ROUTE: &str = "/v1/teams/{team}";
    /// Append (POST) and pull (GET) events.
    pub const EVENTS_ROUTE: &str = "/v1/teams/{team}/events";
    /// The head the relay stores.
    pub const HEAD_ROUTE: &str = "/v1/teams/{team}/head";
    /// Long-poll for a newer head.
    pub const WAIT_ROUTE: &str = "/v1/teams/{team}/wait";
    /// Join requests waiting for admission (managers).
    pub const JOINS_ROUTE: &str = "/v1/teams/{team}/joins";
    /// Submit a join request for an invite.
    pub const JOIN_ROUTE: &str = "/v1/teams/{team}/joins/{invite}";
    /// Per-device usage (managers).
    pub const DEVICES_ROUTE: &str = "/v1/teams/{team}/devices";
    /// The calling device's head note (service identities).
    pub const NOTE_ROUTE: &str = "/v1/teams/{team}/devices/me/note";

    /// [`TEAM_ROUTE`] for `team`.
    pub fn team(team: &Uuid) -> String {
        format!("/v1/teams/{team}")
    }

    /// [`EVENTS_ROUTE`] for `team`, for an append.
    pub fn events(team: &Uuid) -> String {
        format!("{}/events", self::team(team))
    }

    /// [`EVENTS_ROUTE`] for `team`, for a pull of at most `limit` events after `after`.
    pub fn pull(team: &Uuid, after: Option<u64>, limit: u64) -> String {
        match after {
            Some(a) => format!("{}?after={a}&limit={limit}", events(team)),
            None => format!("{}?limit={limit}", events(team)),
        }
    }

    /// [`HEAD_ROUTE`] for `team`.
    pub fn head(team: &Uuid) -> String {
        format!("{}/head", self::team(team))
    }

    /// [`WAIT_ROUTE`] for `team`: a head newer than `after`, waiting up to `timeout_ms`.
    pub fn wait(team: &Uuid, after: Option<u64>, timeout_ms: u64) -> String {
        match after {
            Some(a) => format!(
                "{}/wait?after={a}&timeout_ms={timeout_ms}",
                self::team(team)
            ),
            None => format!("{}/wait?timeout_ms={timeout_ms}", self::team(team)),
        }
    }

    /// [`JOINS_ROUTE`] for `team`.
    pub fn joins(team: &Uuid) -> String {
        format!("{}/joins", self::team(team))
    }

    /// [`JOIN_ROUTE`] for `team` and an invite id.
    pub fn join(team: &Uuid, invite: &Uuid) -> String {
        format!("{}/{invite}", joins(team))
    }

    /// [`DEVICES_ROUTE`] for `team`.
    pub fn devices(team: &Uuid) -> String {
        format!("{}/devices", self::team(team))
    }

    /// [`NOTE_ROUTE`] for `team`.
    pub fn note(team: &Uuid) -> String {
        format!("{}/me/note", devices(team))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Each builder fills its route's parameters (and adds only a query).
        #[test]
        fn every_path_is_its_route_with_the_parameters_filled_in() {
            let t = Uuid::from_u128(7);
            let i = Uuid::from_u128(9);
            let fill = |route: &str| {
                route
                    .replace("{team}", &t.to_string())
                    .replace("{invite}", &i.to_string())
            };
            let table = [
                (team(&t), TEAM_ROUTE),
                (events(&t), EVENTS_ROUTE),
                (pull(&t, Some(3), 10), EVENTS_ROUTE),
                (pull(&t, None, 10), EVENTS_ROUTE),
                (head(&t), HEAD_ROUTE),
                (wait(&t, Some(3), 500), WAIT_ROUTE),
                (wait(&t, None, 500), WAIT_ROUTE),
                (joins(&t), JOINS_ROUTE),
                (join(&t, &i), JOIN_ROUTE),
                (devices(&t), DEVICES_ROUTE),
                (note(&t), NOTE_ROUTE),
            ];
            for (path, route) in table {
                let bare = path.split('?').next().unwrap_or_default();
                assert_eq!(bare, fill(route), "{path}");
            }
            assert_eq!(
                pull(&t, Some(3), 10),
                format!("{}?after=3&limit=10", fill(EVENTS_ROUTE))
            );
            assert_eq!(
                wait(&t, None, 500),
                format!("{}?timeout_ms=500", fill(WAIT_ROUTE))
            );
        }
    }
}
/// Largest device note the relay stores (`PUT /v1/teams/{team}/devices/me/note`).
pub const MAX_NOTE: usize = 1024;

/// Header names.
pub mod header {
    /// Device id.
    pub const DEVICE: &str = "x-hush-device";
    /// Timestamp in ms.
    pub const TIMESTAMP: &str = "x-hush-timestamp";
    /// Random nonce, hex.
    pub const NONCE: &str = "x-hush-nonce";
    /// Signature, hex.
    pub const SIGNATURE: &str = "x-hush-signature";
    /// Invite token for join requests, hex.
    pub const INVITE_TOKEN: &str = "x-hush-invite-token";
}

/// The bytes a device signs for one request.
pub fn auth_message(
    method: &str,
    path_and_query: &str,
    team_id: &Uuid,
    body: &[u8],
    timestamp_ms: i64,
    nonce: &[u8; 16],
) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/relay-auth")
        .str(method)
        .str(path_and_query)
        .raw(team_id.as_bytes())
        .raw(&crypto::hash(b"hush/v1/relay-body", &[body]))
        .i64(timestamp_ms)
        .raw(nonce);
    w.into_vec()
}

/// Headers that authenticate one request: (name, value) pairs.
pub fn sign_request(
    me: &DeviceIdentity,
    method: &str,
    path_and_query: &str,
    team_id: &Uuid,
    body: &[u8],
    timestamp_ms: i64,
) -> Vec<(&'static str, String)> {
    let nonce: [u8; 16] = crypto::random_array();
    let msg = auth_message(method, path_and_query, team_id, body, timestamp_ms, &nonce);
    let sig = me.sign_relay_request(&msg);
    vec![
        (header::DEVICE, me.device_id.to_string()),
        (header::TIMESTAMP, timestamp_ms.to_string()),
        (header::NONCE, hex(&nonce)),
        (header::SIGNATURE, hex(&sig)),
    ]
}

/// Parsed authentication headers.
#[derive(Clone, Debug)]
pub struct AuthHeaders {
    /// Claimed device.
    pub device_id: Uuid,
    /// Claimed time.
    pub timestamp_ms: i64,
    /// Nonce.
    pub nonce: [u8; 16],
    /// Signature.
    pub signature: [u8; 64],
}

impl AuthHeaders {
    /// Parses the four headers (values as strings).
    pub fn parse(device: &str, timestamp: &str, nonce: &str, signature: &str) -> Result<Self> {
        let bad = |what: &str| Error::Invalid(format!("malformed {what} header"));
        Ok(Self {
            device_id: Uuid::parse_str(device).map_err(|_| bad("device"))?,
            timestamp_ms: timestamp.parse().map_err(|_| bad("timestamp"))?,
            nonce: unhex(nonce)
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad("nonce"))?,
            signature: unhex(signature)
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad("signature"))?,
        })
    }

    /// Verifies the signature with the device's relay-auth key and the timestamp against `now_ms`.
    pub fn verify(
        &self,
        auth_pk: &[u8; 32],
        method: &str,
        path_and_query: &str,
        team_id: &Uuid,
        body: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        if now_ms.abs_diff(self.timestamp_ms) > MAX_SKEW_MS.unsigned_abs() {
            return Err(Error::Forbidden(
                "request timestamp is stale or in the future".into(),
            ));
        }
        let msg = auth_message(
            method,
            path_and_query,
            team_id,
            body,
            self.timestamp_ms,
            &self.nonce,
        );
        verify_signature(auth_pk, &msg, &self.signature)
            .map_err(|_| Error::Forbidden("bad request signature".into()))
    }
}

/// The relay's head of a team.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    /// Highest sequence number (absent for an empty team).
    pub seq: Option<u64>,
    /// Its hash, hex.
    pub hash: Option<String>,
}

/// Answer to a successful append.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppendOk {
    /// Position stored.
    pub seq: u64,
    /// Hash, hex.
    pub hash: String,
}

/// A join request waiting for an admin.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JoinRequest {
    /// The invite used.
    pub invite_id: Uuid,
    /// Opaque blob (sealed with a key from the invite secret), hex.
    pub blob: String,
    /// Relay's receive time.
    pub received_ms: i64,
}

/// Error body.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub error: String,
    /// Human-readable message.
    pub message: String,
}

/// What the relay saw of one device from one address (`GET /v1/teams/{team}/devices`, for
/// managers): enough to notice a token used from somewhere new or a device gone quiet, nothing
/// secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceUsage {
    /// Device id.
    pub device_id: Uuid,
    /// Remote address as the relay saw it.
    pub ip: String,
    /// First request from this address.
    pub first_ms: i64,
    /// Latest request from this address.
    pub last_ms: i64,
    /// Requests from this address.
    pub requests: i64,
}

/// Encodes a list of events for a pull response.
pub fn encode_event_list<'a>(events: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let events: Vec<&[u8]> = events.into_iter().collect();
    let mut w = Writer::new();
    w.u32(events.len() as u32);
    for e in events {
        w.bytes(e);
    }
    w.into_vec()
}

/// Decodes a pull response.
pub fn decode_event_list(bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut r = Reader::new(bytes, "event list");
    let n = r.u32()?;
    if n > MAX_PULL {
        return Err(Error::Integrity("relay returned too many events".into()));
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(r.bytes(MAX_EVENT_LEN)?.to_vec());
    }
    r.finish()?;
    Ok(out)
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// Parses lowercase or uppercase hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE.decode(s.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_request_verifies_and_binds_everything() {
        let me = DeviceIdentity::generate("a").expect("id");
        let team = Uuid::new_v4();
        let hs = sign_request(&me, "POST", "/v1/teams/x/events", &team, b"body", 1000);
        let get = |n: &str| {
            hs.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
                .expect("header")
        };
        let a = AuthHeaders::parse(
            &get(header::DEVICE),
            &get(header::TIMESTAMP),
            &get(header::NONCE),
            &get(header::SIGNATURE),
        )
        .expect("parse");
        let pk = me.cert().auth_pk;
        assert!(
            a.verify(&pk, "POST", "/v1/teams/x/events", &team, b"body", 1000)
                .is_ok()
        );
        assert!(
            a.verify(&pk, "GET", "/v1/teams/x/events", &team, b"body", 1000)
                .is_err()
        );
        assert!(
            a.verify(&pk, "POST", "/v1/teams/y/events", &team, b"body", 1000)
                .is_err()
        );
        assert!(
            a.verify(
                &pk,
                "POST",
                "/v1/teams/x/events",
                &Uuid::new_v4(),
                b"body",
                1000
            )
            .is_err()
        );
        assert!(
            a.verify(&pk, "POST", "/v1/teams/x/events", &team, b"bodY", 1000)
                .is_err()
        );
        assert!(
            a.verify(
                &pk,
                "POST",
                "/v1/teams/x/events",
                &team,
                b"body",
                1000 + MAX_SKEW_MS + 1
            )
            .is_err()
        );
        // A hostile timestamp cannot overflow the skew check.
        let mut far = a.clone();
        far.timestamp_ms = i64::MIN;
        assert!(
            far.verify(&pk, "POST", "/v1/teams/x/events", &team, b"body", i64::MAX)
                .is_err()
        );
        // The event-signing key is not the relay-auth key.
        assert!(
            a.verify(
                &me.cert().sign_pk,
                "POST",
                "/v1/teams/x/events",
                &team,
                b"body",
                1000
            )
            .is_err()
        );
    }

    #[test]
    fn event_lists_round_trip_and_reject_garbage() {
        let list = encode_event_list([&b"one"[..], &b"two"[..]]);
        assert_eq!(
            decode_event_list(&list).ok(),
            Some(vec![b"one".to_vec(), b"two".to_vec()])
        );
        assert!(decode_event_list(&list[..list.len() - 1]).is_err());
        assert!(decode_event_list(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
