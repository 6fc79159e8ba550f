//! The HTTP client for one relay (or witness): signed requests, URL rules, retries on rate
//! limits, and the mapping of the relay's answers to errors front ends act on. The sync
//! algorithm that uses it is in [`crate::sync`]; it never believes what the relay says.

use std::net::IpAddr;
use std::time::Duration;

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::relay_proto::{self, AppendOk, ErrorBody, Head, JoinRequest, paths};

/// An HTTP client for one relay.
pub struct RelayClient {
    base: String,
    http: reqwest::Client,
}

/// Outcome of an append.
pub enum Appended {
    /// Stored at the head.
    Ok,
    /// The relay's head moved; pull first.
    Conflict,
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl RelayClient {
    /// A client for `url`. Plain `http://` is refused except to loopback, unless `allow_http`.
    pub fn new(url: &str, allow_http: bool) -> Result<Self> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| Error::Invalid(format!("invalid relay URL {url:?}")))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| Error::Invalid(format!("relay URL {url:?} has no host")))?;
        match parsed.scheme() {
            "https" => {}
            "http" if allow_http || is_loopback(host) => {}
            "http" => {
                return Err(Error::Invalid(format!(
                    "refusing plain http:// to {host}: use https://, or --allow-http if a trusted proxy terminates TLS"
                )));
            }
            other => {
                return Err(Error::Invalid(format!(
                    "unsupported relay URL scheme {other:?}"
                )));
            }
        }
        // One process-wide TLS provider (ring); a second install attempt is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(45))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Relay(format!("cannot create an HTTP client: {e}")))?;
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// A request signed with this device's relay-auth key.
    pub(crate) async fn signed(
        &self,
        me: &DeviceIdentity,
        method: reqwest::Method,
        path_and_query: &str,
        team: &Uuid,
        body: Vec<u8>,
        now_ms: i64,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        self.send(Some(me), method, path_and_query, team, body, &[], now_ms)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send(
        &self,
        me: Option<&DeviceIdentity>,
        method: reqwest::Method,
        path_and_query: &str,
        team: &Uuid,
        body: Vec<u8>,
        extra: &[(&str, String)],
        now_ms: i64,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        self.send_attempt(me, method, path_and_query, team, body, extra, now_ms, 0)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_attempt(
        &self,
        me: Option<&DeviceIdentity>,
        method: reqwest::Method,
        path_and_query: &str,
        team: &Uuid,
        body: Vec<u8>,
        extra: &[(&str, String)],
        now_ms: i64,
        attempt: u32,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path_and_query}", self.base));
        if let Some(me) = me {
            for (k, v) in
                relay_proto::sign_request(me, method.as_str(), path_and_query, team, &body, now_ms)
            {
                req = req.header(k, v);
            }
        }
        for (k, v) in extra {
            req = req.header(*k, v);
        }
        let resp = req
            .body(body.clone())
            .send()
            .await
            .map_err(|e| Error::Offline(describe(&e)))?;
        let status = resp.status();
        // Rate limited: wait as long as the relay asks (a little, a few times), then re-sign and
        // retry, so a large outbox is pushed at the relay's pace instead of failing halfway.
        if status.as_u16() == 429 && attempt < 5 {
            let wait = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 10);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            return Box::pin(self.send_attempt(
                me,
                method,
                path_and_query,
                team,
                body,
                extra,
                now_ms + 1000 * wait as i64,
                attempt + 1,
            ))
            .await;
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Offline(describe(&e)))?;
        Ok((status, bytes.to_vec()))
    }

    fn error(status: reqwest::StatusCode, body: &[u8]) -> Error {
        let detail = serde_json::from_slice::<ErrorBody>(body)
            .map(|e| relay_words(&e.message))
            .unwrap_or_else(|_| status.to_string());
        match status.as_u16() {
            401 | 403 => Error::Relay(format!(
                "the relay refused this device ({detail}); it may have been removed from the team"
            )),
            429 => Error::Relay(format!(
                "rate limited by the relay ({detail}); try again shortly"
            )),
            // A relay (or the proxy in front of it) that is down or overloaded: the same as
            // unreachable for the user, who keeps working offline while sync retries.
            500..=599 => {
                Error::Offline(format!("the relay answered {} ({detail})", status.as_u16()))
            }
            _ => Error::Relay(format!("{} ({detail})", status.as_u16())),
        }
    }

    /// Creates the team on the relay with its first event.
    pub async fn put_team(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        event: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        let path = paths::team(team);
        let (s, b) = self
            .signed(
                me,
                reqwest::Method::PUT,
                &path,
                team,
                event.to_vec(),
                now_ms,
            )
            .await?;
        match s.as_u16() {
            200 | 201 => Ok(()),
            409 => Err(Error::Integrity(
                "the relay already holds a different team with this id".into(),
            )),
            _ => Err(Self::error(s, &b)),
        }
    }

    /// Appends one event at the relay's head.
    pub async fn append(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        event: &[u8],
        now_ms: i64,
    ) -> Result<Appended> {
        let path = paths::events(team);
        let (s, b) = self
            .signed(
                me,
                reqwest::Method::POST,
                &path,
                team,
                event.to_vec(),
                now_ms,
            )
            .await?;
        match s.as_u16() {
            200 | 201 => {
                serde_json::from_slice::<AppendOk>(&b)
                    .map_err(|_| Error::Relay("malformed append answer".into()))?;
                Ok(Appended::Ok)
            }
            409 => Ok(Appended::Conflict),
            _ => Err(Self::error(s, &b)),
        }
    }

    /// The relay's head.
    pub async fn head(&self, me: &DeviceIdentity, team: &Uuid, now_ms: i64) -> Result<Head> {
        let path = paths::head(team);
        let (s, b) = self
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await?;
        if s.as_u16() == 404 {
            return Ok(Head {
                seq: None,
                hash: None,
            });
        }
        if !s.is_success() {
            return Err(Self::error(s, &b));
        }
        serde_json::from_slice(&b).map_err(|_| Error::Relay("malformed head answer".into()))
    }

    /// Every event after `after` (from the start when `None`).
    pub async fn pull(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        after: Option<u64>,
        until: u64,
        now_ms: i64,
    ) -> Result<Vec<Vec<u8>>> {
        // Exactly the events between our position and the head the relay announced: a relay
        // that keeps sending pages, or stops short, is caught instead of believed.
        let first = after.map_or(0, |a| a + 1);
        let expected = until
            .checked_add(1)
            .and_then(|end| end.checked_sub(first))
            .ok_or_else(|| {
                Error::Integrity("the relay announced a head behind this device".into())
            })?;
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            if out.len() as u64 == expected {
                return Ok(out);
            }
            // Ask for no more than what is left up to the announced head: others may append
            // meanwhile, and those events belong to the next round.
            let limit = (expected - out.len() as u64).min(u64::from(relay_proto::MAX_PULL));
            let path = paths::pull(team, cursor, limit);
            let (s, b) = self
                .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
                .await?;
            if !s.is_success() {
                return Err(Self::error(s, &b));
            }
            let page = relay_proto::decode_event_list(&b)
                .map_err(|_| Error::Integrity("the relay sent a malformed event list".into()))?;
            // The relay may cap a page by size; keep going until the announced head.
            if page.is_empty() {
                return Err(relay_lied(format!(
                    "it announced event {until} but served only {} of the {expected} events after this device's position",
                    out.len()
                )));
            }
            if page.len() as u64 > limit {
                return Err(relay_lied("it served more events than were asked for"));
            }
            out.extend(page);
            let last = out.len() as u64 - 1;
            cursor = Some(after.map_or(last, |a| a + 1 + last));
        }
    }

    pub(crate) fn wait_path(team: &Uuid, after: Option<u64>, timeout_ms: u64) -> String {
        paths::wait(team, after, timeout_ms)
    }

    /// Waits (long-poll) until the head passes `after`; `None` on timeout.
    pub async fn wait(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        after: Option<u64>,
        timeout_ms: u64,
        now_ms: i64,
    ) -> Result<Option<Head>> {
        let path = Self::wait_path(team, after, timeout_ms);
        let (s, b) = self
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await?;
        Self::wait_answer(s, &b)
    }

    fn wait_answer(s: reqwest::StatusCode, b: &[u8]) -> Result<Option<Head>> {
        match s.as_u16() {
            204 => Ok(None),
            200 => serde_json::from_slice(b)
                .map(Some)
                .map_err(|_| Error::Relay("malformed wait answer".into())),
            _ => Err(Self::error(s, b)),
        }
    }

    /// Submits a join request (authenticated by the invite's relay token, not a device key).
    pub async fn post_join(
        &self,
        team: &Uuid,
        invite_id: &Uuid,
        token: &[u8],
        blob: &[u8],
    ) -> Result<()> {
        let path = paths::join(team, invite_id);
        let (s, b) = self
            .send(
                None,
                reqwest::Method::POST,
                &path,
                team,
                blob.to_vec(),
                &[(relay_proto::header::INVITE_TOKEN, relay_proto::hex(token))],
                0,
            )
            .await?;
        match s.as_u16() {
            200 | 201 => Ok(()),
            410 => Err(Error::Invalid(
                "the relay does not accept this invite: it was already used, has expired, or is unknown; ask for a new one".into(),
            )),
            _ => Err(Self::error(s, &b)),
        }
    }

    /// Join requests waiting at the relay (managers only).
    pub async fn joins(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        now_ms: i64,
    ) -> Result<Vec<JoinRequest>> {
        let path = paths::joins(team);
        let (s, b) = self
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await?;
        if !s.is_success() {
            return Err(Self::error(s, &b));
        }
        serde_json::from_slice(&b).map_err(|_| Error::Relay("malformed join list".into()))
    }

    /// Which addresses the team's devices used and how often (managers only).
    pub async fn device_usage(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        now_ms: i64,
    ) -> Result<Vec<relay_proto::DeviceUsage>> {
        let path = paths::devices(team);
        let (s, b) = self
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await?;
        if !s.is_success() {
            return Err(Self::error(s, &b));
        }
        serde_json::from_slice(&b).map_err(|_| Error::Relay("malformed device usage".into()))
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or host unreachable".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        "network error".into()
    }
}

/// A long-poll signed in a session, to be sent by a process without it (`hush run --watch`
/// asks the agent for one and waits on the relay itself, so the agent is never held by a
/// 30-second request). It carries no key material: only the request's signature headers, which
/// the relay accepts once (nonce) and only within its clock window.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SignedWait {
    /// The team's relay.
    pub relay: String,
    /// Plain `http://` to a non-loopback relay allowed for this team.
    pub allow_http: bool,
    /// The team.
    pub team: Uuid,
    /// The request path (with `after` and the timeout).
    pub path: String,
    /// The signature headers.
    pub headers: Vec<(String, String)>,
}

impl SignedWait {
    /// Sends it: true when the relay's head moved past the signer's, false on timeout.
    pub async fn send(self) -> Result<bool> {
        ChangeWait {
            client: RelayClient::new(&self.relay, self.allow_http)?,
            team: self.team,
            path: self.path,
            headers: self.headers,
        }
        .send()
        .await
    }
}

/// A signed long-poll request made by [`Session::change_wait`].
pub struct ChangeWait {
    pub(crate) client: RelayClient,
    pub(crate) team: Uuid,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl ChangeWait {
    /// The team it waits on.
    pub fn team(&self) -> Uuid {
        self.team
    }

    /// Sends the request: true when the relay's head moved past this device's, false on timeout.
    pub async fn send(self) -> Result<bool> {
        let extra: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let (s, b) = self
            .client
            .send(
                None,
                reqwest::Method::GET,
                &self.path,
                &self.team,
                Vec::new(),
                &extra,
                0,
            )
            .await?;
        Ok(RelayClient::wait_answer(s, &b)?.is_some())
    }
}

/// An error saying the relay misbehaved (what it did), and that nothing local changed.
pub(crate) fn relay_lied(what: impl std::fmt::Display) -> Error {
    Error::Integrity(format!(
        "the relay is misbehaving: {what}; local data was left unchanged"
    ))
}

/// The longest piece of a relay's own error message that is passed on.
const RELAY_WORDS_MAX: usize = 200;

/// A relay's error message as passed on in errors (the CLI prints them, the app shows them in a
/// banner): the relay is not trusted to keep it short, on one line, or free of control
/// characters, so it is cut and cleaned.
pub(crate) fn relay_words(message: &str) -> String {
    let mut out: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(RELAY_WORDS_MAX)
        .collect();
    if message.chars().count() > RELAY_WORDS_MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relays_words_are_cut_and_cleaned() {
        let long = format!("line one\nline two\u{1b}[31m{}", "x".repeat(500));
        let body = serde_json::to_vec(&ErrorBody {
            error: "forbidden".into(),
            message: long,
        })
        .expect("json");
        let e = RelayClient::error(reqwest::StatusCode::FORBIDDEN, &body).to_string();
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert!(e.contains("line one line two") && e.contains('…'), "{e}");
        assert!(e.len() < 400, "{} bytes: {e}", e.len());
    }

    #[test]
    fn relay_answers_map_to_codes_front_ends_act_on() {
        let body =
            br#"{"error":"forbidden","message":"this device is not an active member of the team"}"#;
        let code = |status: u16| {
            RelayClient::error(reqwest::StatusCode::from_u16(status).expect("status"), body)
                .code()
                .as_str()
        };
        // Refused: the app says so (removed, expired, clock skew); not worth retrying soon.
        assert_eq!(
            (code(401), code(403), code(404)),
            ("relay", "relay", "relay")
        );
        // Down or overloaded, or a proxy in front of it: offline, retried with backoff.
        assert_eq!(
            (code(500), code(502), code(503)),
            ("offline", "offline", "offline")
        );
        let refused = RelayClient::error(reqwest::StatusCode::FORBIDDEN, body).to_string();
        assert!(
            refused.contains("not an active member") && refused.contains("removed"),
            "{refused}"
        );
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        for ok in [
            "https://relay.example.com",
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            assert!(RelayClient::new(ok, false).is_ok(), "{ok}");
        }
        let e = RelayClient::new("http://relay.example.com", false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("refusing plain http://"), "{e}");
        assert!(RelayClient::new("http://10.0.0.5:8787", false).is_err());
        assert!(RelayClient::new("http://relay.example.com", true).is_ok());
        assert!(RelayClient::new("ftp://relay.example.com", true).is_err());
        assert!(RelayClient::new("not a url", true).is_err());
    }
}
