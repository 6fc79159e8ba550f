//! Request authentication.
//!
//! Every endpoint but health and the join submission is signed by a device's relay-auth key over
//! the method, the path and query exactly as received, the team id, a hash of the body, a
//! timestamp and a random nonce ([`hush_proto::relay_proto::auth_message`]). The checks, in order,
//! and the attack each one stops:
//!
//! 1. **The device is an active member of the team in the URL** (else 403, or 404 when the team
//!    does not exist, which is how a client learns it must create it): the key comes from
//!    the relay's ACL, which only managers can change through events, so a removed device is
//!    refused from the moment its removal is stored.
//! 2. **The timestamp is within [`MAX_SKEW_MS`] of the relay clock** (else 401): bounds how long a
//!    captured request stays interesting, which bounds how long nonces must be remembered.
//! 3. **The signature verifies** (else 401): binds the request to the device and every part of
//!    the request, so a proxy or an attacker cannot retarget or alter it.
//! 4. **The nonce is new for this device** (else 401): nonces live in the database under a
//!    unique key, so a request captured from one relay process cannot be replayed through
//!    another. They are pruned once older than 2 × [`MAX_SKEW_MS`], when the timestamp check
//!    alone refuses a replay.
//!
//! Team creation is the one signed request whose key cannot come from the ACL (there is none
//! yet): it is verified with the key the genesis event itself adds for its author.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OriginalUri, RawPathParams, Request,
};
use axum::http::{HeaderMap, Method};
use axum::response::IntoResponse;
use hush_proto::relay_proto::{AuthHeaders, MAX_SKEW_MS, header};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// A request with its team id, method, path and body, before any authentication.
#[derive(Debug)]
pub struct RawRequest {
    /// Team id from the path.
    pub team_id: Uuid,
    /// Invite id from the path, on join routes.
    pub invite_id: Option<Uuid>,
    /// Method.
    pub method: Method,
    /// Path and query exactly as received (what the signature covers).
    pub path_and_query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most the router's body limit).
    pub body: Bytes,
    /// The peer's address, when the server knows it.
    pub peer_ip: Option<IpAddr>,
}

impl FromRequest<AppState> for RawRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let mut team_id = None;
        let mut invite_id = None;
        for (name, value) in &params {
            let id = Uuid::parse_str(value).map_err(|_| {
                ApiError::BadRequest(format!("{name} id in the path must be a UUID"))
            })?;
            match name {
                "team" => team_id = Some(id),
                "invite" => invite_id = Some(id),
                _ => {}
            }
        }
        let team_id = team_id.ok_or(ApiError::NotFound)?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let path_and_query = uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| uri.path().to_owned());
        let method = parts.method.clone();
        let headers = parts.headers.clone();
        let peer_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                if rejection.into_response().status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::BadRequest("could not read the request body".into())
                }
            })?;
        Ok(Self {
            team_id,
            invite_id,
            method,
            path_and_query,
            headers,
            body,
            peer_ip,
        })
    }
}

/// A request whose signature, timestamp and nonce were checked against an active device of the
/// team in its path. Only [`FromRequest`] constructs it.
#[derive(Debug)]
pub struct Signed {
    /// Team id from the path.
    pub team_id: Uuid,
    /// The authenticated device.
    pub device_id: Uuid,
    /// Whether the device is a manager (at authentication time).
    pub manager: bool,
    /// Whether the device is a read-only service identity.
    pub read_only: bool,
    /// The raw request.
    pub request: RawRequest,
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let request = RawRequest::from_request(req, state).await?;
        let auth = parse_headers(&request.headers)?;
        let Some(device) = state
            .db()
            .device_key(&request.team_id, &auth.device_id)
            .await?
        else {
            // A client asks for the head of a team it has not created yet: 404 tells it to PUT
            // the genesis. (Team ids are random UUIDs; telling "no such team" from "not a member"
            // reveals nothing guessable.)
            if !state.db().team_exists(&request.team_id).await? {
                return Err(ApiError::NotFound);
            }
            return Err(ApiError::Forbidden(
                "this device is not an active member of the team",
            ));
        };
        check_signature(state, &auth, &device.auth_pk, &request).await?;
        let now = state.now_ms();
        if device.expires_ms.is_some_and(|e| now >= e) {
            return Err(ApiError::Forbidden(
                "this service identity has expired; ask a team admin for a new token",
            ));
        }
        // Counted after the signature, so that only the device itself can make a row appear;
        // written at most once a minute per address (see `USAGE_WRITE_INTERVAL_MS`).
        if let Some(ip) = request.peer_ip
            && let Some(n) = state.usage_due(request.team_id, auth.device_id, ip, now)
        {
            state
                .db()
                .record_usage(&request.team_id, &auth.device_id, &ip.to_string(), n, now)
                .await?;
        }
        Ok(Self {
            team_id: request.team_id,
            device_id: auth.device_id,
            manager: device.manager,
            read_only: device.read_only,
            request,
        })
    }
}

/// Parses the four authentication headers.
pub fn parse_headers(headers: &HeaderMap) -> Result<AuthHeaders, ApiError> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized(
                "missing authentication headers: sign the request with the device's relay key",
            ))
    };
    AuthHeaders::parse(
        get(header::DEVICE)?,
        get(header::TIMESTAMP)?,
        get(header::NONCE)?,
        get(header::SIGNATURE)?,
    )
    .map_err(|_| ApiError::Unauthorized("malformed authentication headers"))
}

/// Checks timestamp, signature (with `auth_pk`) and nonce freshness, then the device's rate
/// limit.
pub async fn check_signature(
    state: &AppState,
    auth: &AuthHeaders,
    auth_pk: &[u8; 32],
    request: &RawRequest,
) -> Result<(), ApiError> {
    let now = state.now_ms();
    // Checked here with overflow-safe arithmetic before `verify`, which subtracts the
    // peer-controlled timestamp from `now` directly.
    let skew = now.checked_sub(auth.timestamp_ms).map(i64::unsigned_abs);
    if skew.is_none_or(|s| s > MAX_SKEW_MS.unsigned_abs()) {
        return Err(ApiError::Unauthorized(
            "request timestamp is too far from the relay's clock: check the device's clock",
        ));
    }
    auth.verify(
        auth_pk,
        request.method.as_str(),
        &request.path_and_query,
        &request.team_id,
        &request.body,
        now,
    )
    .map_err(|_| ApiError::Unauthorized("request signature did not verify"))?;
    let db = state.db();
    if state.should_prune(now) {
        let pruned = db.prune_nonces(now.saturating_sub(2 * MAX_SKEW_MS)).await?;
        tracing::debug!(pruned, "pruned old request nonces");
    }
    if !db.record_nonce(&auth.device_id, &auth.nonce, now).await? {
        return Err(ApiError::Unauthorized(
            "request nonce was already used (a replayed request)",
        ));
    }
    state
        .inner
        .device_limiter
        .check(auth.device_id, Instant::now())
        .map_err(|retry_after_secs| {
            state.metrics().refused(crate::metrics::Refusal::Device);
            ApiError::RateLimited { retry_after_secs }
        })
}
