//! The HTTP routes of [`hush_proto::relay_proto`] and the router that serves them.
//!
//! Handlers are thin: they decode, check what only the HTTP layer knows (the path matches the
//! event, the sender is the author), and call one [`crate::db::Db`] function that does the rest
//! in a transaction. The relay never verifies an event's author signature (it does not know
//! event-signing keys and need not: clients verify every event), but it does insist that the
//! authenticated device is the event's author, so a device cannot post in another's name.
//!
//! A pull returns at most [`MAX_PULL`] events and stops early once about [`MAX_PULL_BYTES`] have
//! been gathered (always at least one event), so one request cannot make the relay buffer
//! gigabytes. Clients page with `after=` until they receive an empty list or reach the head.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hush_proto::event::{AclChange, SignedEvent};
use hush_proto::relay_proto::{self, MAX_BODY, MAX_JOIN_BLOB, MAX_NOTE, MAX_PULL, paths};
use serde::Deserialize;

use crate::auth::{RawRequest, Signed, check_signature, parse_headers};
use crate::db::{AppendOutcome, CreateOutcome};
use crate::error::ApiError;
use crate::metrics::Refusal;
use crate::state::AppState;

/// Longest a long-poll waits.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Soft cap on the bytes of one pull response (at least one event is always returned).
pub const MAX_PULL_BYTES: i64 = 16 * 1024 * 1024;

/// The relay's router over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(paths::HEALTH, get(health))
        .route(paths::TEAM_ROUTE, put(create_team))
        .route(paths::EVENTS_ROUTE, post(append).get(pull))
        .route(paths::HEAD_ROUTE, get(head))
        .route(paths::WAIT_ROUTE, get(wait))
        .route(paths::JOINS_ROUTE, get(list_joins))
        .route(paths::DEVICES_ROUTE, get(list_usage))
        .route(paths::NOTE_ROUTE, put(put_note).get(get_note))
        .route(paths::JOIN_ROUTE, post(submit_join))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), limit_by_ip))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Logs method, route template (not the concrete path: ids stay out of logs), status and time,
/// and counts them for `/metrics`.
pub(crate) async fn log_request(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let resp = next.run(req).await;
    let took = started.elapsed();
    state
        .metrics()
        .request(method.as_str(), &route, resp.status().as_u16(), took);
    tracing::info!(
        %method,
        route,
        status = resp.status().as_u16(),
        ms = took.as_millis() as u64,
        "request"
    );
    resp
}

pub(crate) async fn limit_by_ip(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match state.inner.ip_limiter.check(ip, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry_after_secs) => {
            state.metrics().refused(Refusal::Ip);
            ApiError::RateLimited { retry_after_secs }.into_response()
        }
    }
}

pub(crate) async fn health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.db().ping().await?;
    Ok("ok")
}

fn decode_event(body: &[u8]) -> Result<SignedEvent, ApiError> {
    SignedEvent::decode(body)
        .map_err(|_| ApiError::BadRequest("the body is not a valid event".into()))
}

async fn create_team(State(state): State<AppState>, req: RawRequest) -> Result<Response, ApiError> {
    let auth = parse_headers(&req.headers)?;
    let ev = decode_event(&req.body)?;
    let env = ev.envelope;
    if env.team_id != req.team_id {
        return Err(ApiError::BadRequest(
            "the event's team is not the team in the URL".into(),
        ));
    }
    if env.seq != 0 || env.prev != [0; 32] {
        return Err(ApiError::BadRequest(
            "a team starts with a genesis event (seq 0, all-zero prev)".into(),
        ));
    }
    if auth.device_id != env.author {
        return Err(ApiError::Forbidden("a genesis must be sent by its author"));
    }
    // No ACL exists yet: the key is the one the genesis grants its author as a manager.
    let auth_pk = ev
        .public
        .acl
        .iter()
        .find_map(|change| match change {
            AclChange::Add {
                device_id,
                auth_pk,
                manager: true,
            } if *device_id == env.author => Some(*auth_pk),
            _ => None,
        })
        .ok_or_else(|| {
            ApiError::BadRequest("the genesis must add its author as a manager".into())
        })?;
    check_signature(&state, &auth, &auth_pk, &req).await?;
    match state.db().create_team(&ev, state.now_ms()).await? {
        CreateOutcome::Created(ok) => {
            tracing::info!(team = %env.team_id, "team created");
            state.notify_appended();
            Ok((StatusCode::CREATED, Json(ok)).into_response())
        }
        CreateOutcome::AlreadyExists(ok) => Ok((StatusCode::OK, Json(ok)).into_response()),
        CreateOutcome::Conflict => Err(ApiError::Conflict(
            "this team already exists with a different first event",
        )),
    }
}

async fn append(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    let ev = decode_event(&signed.request.body)?;
    let env = ev.envelope;
    if env.team_id != signed.team_id {
        return Err(ApiError::BadRequest(
            "the event's team is not the team in the URL".into(),
        ));
    }
    if env.author != signed.device_id {
        return Err(ApiError::Forbidden("events must be sent by their author"));
    }
    if signed.read_only {
        return Err(ApiError::Forbidden(
            "a service identity is read-only and may not append events",
        ));
    }
    if !ev.public.acl.is_empty() && !signed.manager {
        return Err(ApiError::Forbidden(
            "only managers may change the team's access list",
        ));
    }
    match state.db().append(&ev, state.now_ms()).await? {
        AppendOutcome::Stored(ok) => {
            state.notify_appended();
            Ok(Json(ok).into_response())
        }
        AppendOutcome::AlreadyStored(ok) => Ok(Json(ok).into_response()),
        AppendOutcome::NotAtHead(head) => Err(ApiError::NotAtHead(head)),
        AppendOutcome::Forbidden => Err(ApiError::Forbidden(
            "this device may not append this event (removed, or not a manager)",
        )),
    }
}

/// Query of a pull.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    /// Return events after this seq (absent: from seq 0).
    pub after: Option<u64>,
    /// At most this many (capped at [`MAX_PULL`]).
    pub limit: Option<u32>,
}

fn after_to_i64(after: Option<u64>) -> i64 {
    after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX))
}

pub(crate) fn bad_query(_: QueryRejection) -> ApiError {
    ApiError::BadRequest("malformed query string".into())
}

async fn pull(
    State(state): State<AppState>,
    query: Result<Query<PullQuery>, QueryRejection>,
    signed: Signed,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(MAX_PULL).min(MAX_PULL);
    let events = state
        .db()
        .events_after(
            &signed.team_id,
            &signed.device_id,
            after_to_i64(q.after),
            limit,
            MAX_PULL_BYTES,
        )
        .await?;
    state.metrics().served(events.len());
    let body = relay_proto::encode_event_list(events.iter().map(Vec::as_slice));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

async fn head(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    match state.db().head(&signed.team_id, &signed.device_id).await? {
        Some(head) => Ok(Json(head).into_response()),
        None => Err(ApiError::Forbidden(
            "this device is not an active member of the team",
        )),
    }
}

/// Query of a long-poll.
#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    /// Answer once the head is past this seq (absent: once the team has any event).
    pub after: Option<u64>,
    /// How long to wait, capped at [`MAX_WAIT`].
    pub timeout_ms: Option<u64>,
}

/// Long-poll: a local append wakes the wait at once; appends through other relay processes are
/// seen by re-reading the head every `poll_interval`.
async fn wait(
    State(state): State<AppState>,
    query: Result<Query<WaitQuery>, QueryRejection>,
    signed: Signed,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let after = after_to_i64(q.after);
    let timeout = q
        .timeout_ms
        .map_or(MAX_WAIT, Duration::from_millis)
        .min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut appended = state.inner.appended.subscribe();
    let mut shutdown = state.inner.shutdown.subscribe();
    loop {
        // Mark the current value seen before reading, so an append after the read wakes us.
        appended.borrow_and_update();
        let head = state
            .db()
            .head(&signed.team_id, &signed.device_id)
            .await?
            .ok_or(ApiError::Forbidden(
                "this device is not an active member of the team",
            ))?;
        if head
            .seq
            .is_some_and(|s| i64::try_from(s).unwrap_or(i64::MAX) > after)
        {
            return Ok(Json(head).into_response());
        }
        if *shutdown.borrow_and_update() {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        tokio::select! {
            _ = appended.changed() => {}
            _ = shutdown.changed() => {}
            () = tokio::time::sleep(state.inner.poll_interval) => {}
            () = tokio::time::sleep_until(deadline) => {
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
        }
    }
}

async fn submit_join(State(state): State<AppState>, req: RawRequest) -> Result<Response, ApiError> {
    let invite_id = req.invite_id.ok_or(ApiError::NotFound)?;
    if req.body.len() > MAX_JOIN_BLOB {
        return Err(ApiError::TooLarge);
    }
    let token = req
        .headers
        .get(relay_proto::header::INVITE_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest("missing x-hush-invite-token header".into()))?;
    // A malformed token gets the same answer as a wrong one.
    let token = relay_proto::unhex(token).ok_or(ApiError::Gone)?;
    if state
        .db()
        .redeem_invite(&req.team_id, &invite_id, &token, &req.body, state.now_ms())
        .await?
    {
        tracing::info!(team = %req.team_id, "join request stored");
        Ok(StatusCode::CREATED.into_response())
    } else {
        Err(ApiError::Gone)
    }
}

async fn list_joins(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    if !signed.manager {
        return Err(ApiError::Forbidden("only managers may read join requests"));
    }
    match state.db().joins(&signed.team_id, &signed.device_id).await? {
        Some(list) => Ok(Json(list).into_response()),
        None => Err(ApiError::Forbidden("only managers may read join requests")),
    }
}

/// Which addresses each device of the team used, and how often (managers only).
async fn list_usage(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    if !signed.manager {
        return Err(ApiError::Forbidden("only managers may read device usage"));
    }
    Ok(Json(state.db().usage(&signed.team_id).await?).into_response())
}

/// Stores the authenticated device's own note (opaque to the relay, at most [`MAX_NOTE`] bytes).
async fn put_note(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    let body = &signed.request.body;
    if body.is_empty() {
        return Err(ApiError::BadRequest("the note is empty".into()));
    }
    if body.len() > MAX_NOTE {
        return Err(ApiError::TooLarge);
    }
    state
        .db()
        .put_note(&signed.team_id, &signed.device_id, body, state.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The authenticated device's own note; 404 when it stored none. A device reads only its own.
async fn get_note(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    match state.db().note(&signed.team_id, &signed.device_id).await? {
        Some(note) => {
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], note).into_response())
        }
        None => Err(ApiError::NotFound),
    }
}
