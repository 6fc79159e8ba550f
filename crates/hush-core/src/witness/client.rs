//! The HTTP client for one witness: its public key, its signed head of a team, and extending its
//! chain with events. Unreachable or overloaded witnesses become [`Error::WitnessUnavailable`]
//! (a sync fails closed on them); a head whose signature does not verify is an
//! [`Error::Integrity`] naming the witness.

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::relay_client::RelayClient;
use crate::relay_proto::{self, ErrorBody};
use crate::witness_proto::{self, CoSigned, WitnessFork, WitnessHead, WitnessKey};

/// An HTTP client for one witness. Same URL rules as the relay: `https://`, or plain `http://`
/// only to loopback (or with the team's `allow_http`).
pub struct WitnessClient {
    url: String,
    http: RelayClient,
}

/// What a witness answered to an extend.
#[derive(Debug)]
pub enum Extended {
    /// It co-signed this head.
    Head(WitnessHead),
    /// The events do not extend what it accepted: its own signed head and its words.
    Fork(WitnessHead, String),
}

impl WitnessClient {
    /// A client for `url`.
    pub fn new(url: &str, allow_http: bool) -> Result<Self> {
        witness_proto::validate_url(url)?;
        let http = RelayClient::new(url, allow_http).map_err(|e| match e {
            Error::Invalid(m) => Error::Invalid(format!("witness {url}: {m}")),
            other => other,
        })?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn unavailable(&self, e: Error) -> Error {
        match e {
            Error::Offline(m) => Error::WitnessUnavailable(format!("{} ({m})", self.url)),
            other => other,
        }
    }

    fn refused(&self, s: reqwest::StatusCode, b: &[u8]) -> Error {
        let detail = serde_json::from_slice::<ErrorBody>(b)
            .map(|e| crate::relay_client::relay_words(&e.message))
            .unwrap_or_else(|_| s.to_string());
        if s.is_server_error() || s.as_u16() == 429 {
            Error::WitnessUnavailable(format!("{} answered {} ({detail})", self.url, s.as_u16()))
        } else {
            Error::Relay(format!(
                "the witness {} refused this device: {} ({detail})",
                self.url,
                s.as_u16()
            ))
        }
    }

    /// The witness's public key (unauthenticated: compare its fingerprint out of band, or pin it
    /// with `--key`).
    pub async fn key(&self) -> Result<[u8; 32]> {
        let (s, b) = self
            .http
            .send(
                None,
                reqwest::Method::GET,
                witness_proto::KEY_PATH,
                &Uuid::nil(),
                Vec::new(),
                &[],
                0,
            )
            .await
            .map_err(|e| self.unavailable(e))?;
        if !s.is_success() {
            return Err(self.refused(s, &b));
        }
        serde_json::from_slice::<WitnessKey>(&b)
            .map_err(|_| {
                Error::Invalid(format!(
                    "{} did not answer like a Hush witness (is it running with --witness?)",
                    self.url
                ))
            })?
            .decode()
    }

    /// Its signed head of `team` (with the hash it accepted at `at`), `None` while it knows
    /// nothing of the team. The signature is checked against `key`.
    pub async fn head(
        &self,
        me: &DeviceIdentity,
        key: &[u8; 32],
        team: &Uuid,
        at: Option<u64>,
        now_ms: i64,
    ) -> Result<Option<CoSigned>> {
        let path = witness_proto::head_path(team, at);
        let (s, b) = self
            .http
            .signed(me, reqwest::Method::GET, &path, team, Vec::new(), now_ms)
            .await
            .map_err(|e| self.unavailable(e))?;
        if s.as_u16() == 404 {
            return Ok(None);
        }
        if !s.is_success() {
            return Err(self.refused(s, &b));
        }
        let head: WitnessHead = serde_json::from_slice(&b).map_err(|_| self.malformed())?;
        self.verified(&head, key, team).map(Some)
    }

    /// `head`'s signature checked against `key`; a failure names this witness.
    pub(super) fn verified(
        &self,
        head: &WitnessHead,
        key: &[u8; 32],
        team: &Uuid,
    ) -> Result<CoSigned> {
        head.verify(key, team).map_err(|e| match e {
            Error::Integrity(m) => Error::Integrity(format!("witness {}: {m}", self.url)),
            other => other,
        })
    }

    fn malformed(&self) -> Error {
        Error::Integrity(format!("the witness {} sent a malformed answer", self.url))
    }

    /// Sends events that continue the witness's chain.
    pub async fn extend(
        &self,
        me: &DeviceIdentity,
        team: &Uuid,
        events: &[&[u8]],
        now_ms: i64,
    ) -> Result<Extended> {
        let path = witness_proto::extend_path(team);
        let body = relay_proto::encode_event_list(events.iter().copied());
        let (s, b) = self
            .http
            .signed(me, reqwest::Method::POST, &path, team, body, now_ms)
            .await
            .map_err(|e| self.unavailable(e))?;
        match s.as_u16() {
            200 => Ok(Extended::Head(
                serde_json::from_slice(&b).map_err(|_| self.malformed())?,
            )),
            409 => {
                let fork =
                    serde_json::from_slice::<WitnessFork>(&b).map_err(|_| self.malformed())?;
                Ok(Extended::Fork(
                    fork.head,
                    crate::relay_client::relay_words(&fork.message),
                ))
            }
            _ => Err(self.refused(s, &b)),
        }
    }
}
