//! Witness mode (`hush-relay --witness`): the same binary as a second, independent server that
//! co-signs team heads (protocol in [`hush_proto::witness_proto`]).
//!
//! A witness keeps, per team, the list of `(seq, hash)` it accepted — never event bytes — and its
//! copy of the team ACL, derived from the public section of accepted events by the very function
//! a relay uses ([`crate::db::apply_acl`]), in the same tables. It answers only the witness
//! endpoints and health.
//!
//! # Rules of an extend, and what each stops
//!
//! 1. **Every event decodes** (`SignedEvent::decode`) and names the team in the URL.
//! 2. **Events it already holds must have the same hash** at the same position; otherwise it
//!    answers `409` with its own signed head. This is what makes a fork visible: a relay cannot
//!    show two members two histories and have the witness co-sign both.
//! 3. **New events continue its chain**: the first new one is at `head + 1` and its `prev` is the
//!    head's hash (a different `prev` is a fork: `409`), each next one chains on the previous. A
//!    first event is a genesis (seq 0, zero `prev`) that adds its author as a manager, as a relay
//!    requires.
//! 4. **Each new event's author may append it** by the ACL at that point (active, not a service,
//!    a manager when it changes the ACL), as a relay requires: a member cannot get the witness to
//!    accept an ACL change the relay would refuse.
//! 5. **The request is signed** ([`crate::auth::check_signature`]: timestamp, signature, fresh
//!    nonce, per-device rate limit) by a device that is active and not read-only once the batch is
//!    applied, with the relay-auth key the ACL holds for it. A removed member cannot move the
//!    witness; nobody outside the team can create or grow a team's chain.
//!
//! The head moves by compare-and-swap on the `teams` row inside the transaction, as relay appends
//! do, so concurrent extends through several witness processes cannot fork its chain either.

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hush_proto::event::{AclChange, SignedEvent};
use hush_proto::relay_proto::hex;
use hush_proto::witness_proto::{
    self, Accepted, EXTEND_ROUTE, HEAD_ROUTE, KEY_PATH, MAX_EXTEND_BODY, WitnessFork, WitnessHead,
    WitnessKey, WitnessSigner,
};
use serde::Deserialize;
use sqlx::{Any, Transaction};
use uuid::Uuid;

use crate::auth::{RawRequest, Signed, check_signature, parse_headers};
use crate::db::{Db, apply_acl};
use crate::error::ApiError;
use crate::routes::{bad_query, health, limit_by_ip, log_request, not_found};
use crate::state::AppState;

/// Result of an extend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtendOutcome {
    /// Accepted: the new head.
    Extended(u64, [u8; 32]),
    /// Disagrees with an accepted hash at this position: the witness's head (`None` if it knows
    /// nothing of the team).
    Fork(Option<(u64, [u8; 32])>),
    /// Starts past `head + 1`: the head.
    Gap(Option<(u64, [u8; 32])>),
    /// An event or the request is not allowed (rules 3–5).
    Forbidden(&'static str),
}

fn to_hash(v: Vec<u8>) -> Option<[u8; 32]> {
    v.try_into().ok()
}

fn seq_col(seq: u64) -> Result<i64, sqlx::Error> {
    i64::try_from(seq).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

async fn head_in(
    tx: &mut Transaction<'static, Any>,
    team: &str,
) -> Result<Option<(u64, [u8; 32])>, sqlx::Error> {
    let row: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT head_seq, head_hash FROM teams WHERE team_id = $1")
            .bind(team)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.and_then(|(s, h)| Some((u64::try_from(s).ok()?, to_hash(h)?))))
}

/// Whether `device` may append an event (with ACL changes when `acl`) by the ACL in `tx`.
async fn may_append(
    tx: &mut Transaction<'static, Any>,
    team: &str,
    device: &Uuid,
    acl: bool,
) -> Result<bool, sqlx::Error> {
    let row: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM devices WHERE team_id = $1 AND device_id = $2 AND removed = 0
           AND read_only = 0 AND (manager = 1 OR $3 = 0)",
    )
    .bind(team)
    .bind(device.to_string())
    .bind(i64::from(acl))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

impl Db {
    /// A relay's database holds events; a witness's never does.
    pub async fn holds_events(&self) -> Result<bool, sqlx::Error> {
        let n: Option<i64> = sqlx::query_scalar("SELECT 1 FROM events LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(n.is_some())
    }

    /// Whether this database belongs to a witness (it has a witness key).
    pub async fn holds_witness_key(&self) -> Result<bool, sqlx::Error> {
        let n: Option<i64> = sqlx::query_scalar("SELECT 1 FROM witness_key LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(n.is_some())
    }

    /// The witness key, generated and stored on first start (every process of one database then
    /// reads the same key).
    pub async fn witness_signer(&self, now_ms: i64) -> Result<WitnessSigner, sqlx::Error> {
        let fresh = WitnessSigner::generate();
        sqlx::query(
            "INSERT INTO witness_key (id, secret, created_ms) VALUES (1, $1, $2)
             ON CONFLICT DO NOTHING",
        )
        .bind(fresh.expose_seed().to_vec())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let seed: Vec<u8> = sqlx::query_scalar("SELECT secret FROM witness_key WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let seed = zeroize::Zeroizing::new(seed);
        let seed: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| sqlx::Error::Protocol("the stored witness key is malformed".into()))?;
        Ok(WitnessSigner::from_seed(&seed))
    }

    /// The witness's head of a team and, with `at`, the hash it accepted there.
    pub async fn witness_head(
        &self,
        team_id: &Uuid,
        at: Option<u64>,
    ) -> Result<Option<(u64, [u8; 32], Option<[u8; 32]>)>, sqlx::Error> {
        let team = team_id.to_string();
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT head_seq, head_hash FROM teams WHERE team_id = $1")
                .bind(&team)
                .fetch_optional(&self.pool)
                .await?;
        let Some((seq, hash)) = row.and_then(|(s, h)| Some((u64::try_from(s).ok()?, to_hash(h)?)))
        else {
            return Ok(None);
        };
        let at_hash = match at {
            Some(a) if a <= seq => {
                let h: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT hash FROM witness_log WHERE team_id = $1 AND seq = $2",
                )
                .bind(&team)
                .bind(seq_col(a)?)
                .fetch_optional(&self.pool)
                .await?;
                h.and_then(to_hash)
            }
            _ => None,
        };
        Ok(Some((seq, hash, at_hash)))
    }

    /// Accepts `events` (rules 2–4 of the module documentation) if, afterwards, `signer` is an
    /// active, not read-only device of the team whose relay-auth key is `signer_pk` (rule 5).
    /// All or nothing.
    pub async fn witness_extend(
        &self,
        team_id: &Uuid,
        events: &[SignedEvent],
        signer: &Uuid,
        signer_pk: &[u8; 32],
    ) -> Result<ExtendOutcome, sqlx::Error> {
        let team = team_id.to_string();
        let mut tx = self.begin_write().await?;
        let before = head_in(&mut tx, &team).await?;
        let mut head = before;
        for ev in events {
            let env = &ev.envelope;
            let hash = ev.hash();
            let seq = seq_col(env.seq)?;
            if let Some((hs, _)) = head
                && env.seq <= hs
            {
                let stored: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT hash FROM witness_log WHERE team_id = $1 AND seq = $2",
                )
                .bind(&team)
                .bind(seq)
                .fetch_optional(&mut *tx)
                .await?;
                if stored.and_then(to_hash) != Some(hash) {
                    tx.rollback().await?;
                    return Ok(ExtendOutcome::Fork(before));
                }
                continue;
            }
            let next = head.map_or(0, |(s, _)| s + 1);
            if env.seq != next {
                tx.rollback().await?;
                return Ok(ExtendOutcome::Gap(before));
            }
            match head {
                None => {
                    let adds_author = ev.public.acl.iter().any(|c| {
                        matches!(c, AclChange::Add { device_id, manager: true, .. } if *device_id == env.author)
                    });
                    if env.prev != [0; 32] || !adds_author {
                        tx.rollback().await?;
                        return Ok(ExtendOutcome::Forbidden(
                            "a team's first event must be a genesis that adds its author as a manager",
                        ));
                    }
                    sqlx::query(
                        "INSERT INTO teams (team_id, genesis_hash, head_seq, head_hash, created_ms)
                         VALUES ($1, $2, 0, $2, 0)",
                    )
                    .bind(&team)
                    .bind(hash.to_vec())
                    .execute(&mut *tx)
                    .await?;
                }
                Some((hs, hh)) => {
                    if env.prev != hh {
                        tx.rollback().await?;
                        return Ok(ExtendOutcome::Fork(before));
                    }
                    if !may_append(&mut tx, &team, &env.author, !ev.public.acl.is_empty()).await? {
                        tx.rollback().await?;
                        return Ok(ExtendOutcome::Forbidden(
                            "an event's author may not append it (removed, a service, or not a manager)",
                        ));
                    }
                    let moved = sqlx::query(
                        "UPDATE teams SET head_seq = $1, head_hash = $2
                         WHERE team_id = $3 AND head_seq = $4 AND head_hash = $5",
                    )
                    .bind(seq)
                    .bind(hash.to_vec())
                    .bind(&team)
                    .bind(seq_col(hs)?)
                    .bind(hh.to_vec())
                    .execute(&mut *tx)
                    .await?;
                    if moved.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(ExtendOutcome::Fork(before));
                    }
                }
            }
            sqlx::query("INSERT INTO witness_log (team_id, seq, hash) VALUES ($1, $2, $3)")
                .bind(&team)
                .bind(seq)
                .bind(hash.to_vec())
                .execute(&mut *tx)
                .await?;
            apply_acl(&mut tx, &team, &ev.public.acl).await?;
            head = Some((env.seq, hash));
        }
        let allowed: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT auth_pk FROM devices WHERE team_id = $1 AND device_id = $2 AND removed = 0
               AND read_only = 0",
        )
        .bind(&team)
        .bind(signer.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if !allowed.is_some_and(|pk| hush_proto::crypto::ct_eq(&pk, signer_pk)) {
            tx.rollback().await?;
            return Ok(ExtendOutcome::Forbidden(
                "this device is not an active, writing member of the team at the witness",
            ));
        }
        tx.commit().await?;
        Ok(match head {
            Some((s, h)) => ExtendOutcome::Extended(s, h),
            None => ExtendOutcome::Forbidden("empty extend"),
        })
    }
}

/// The witness's router over `state` (built with [`AppState::witness`]).
pub fn witness_app(state: AppState) -> Router {
    Router::new()
        .route(hush_proto::relay_proto::paths::HEALTH, get(health))
        .route(KEY_PATH, get(key))
        .route(HEAD_ROUTE, get(head))
        .route(EXTEND_ROUTE, post(extend))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_EXTEND_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), limit_by_ip))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

fn signer(state: &AppState) -> Result<&WitnessSigner, ApiError> {
    state.inner.witness.as_ref().ok_or(ApiError::NotFound)
}

async fn key(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(WitnessKey {
        key: hex(&signer(&state)?.public()),
    })
    .into_response())
}

/// Query of a head request.
#[derive(Debug, Deserialize)]
pub struct HeadQuery {
    /// Also answer the hash accepted at this position.
    pub at: Option<u64>,
}

fn signed_head(
    state: &AppState,
    team: &Uuid,
    seq: u64,
    hash: &[u8; 32],
) -> Result<WitnessHead, ApiError> {
    Ok(WitnessHead::sign(signer(state)?, team, seq, hash))
}

async fn head(
    State(state): State<AppState>,
    query: Result<Query<HeadQuery>, QueryRejection>,
    signed: Signed,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let Some((seq, hash, at)) = state.db().witness_head(&signed.team_id, q.at).await? else {
        return Err(ApiError::NotFound);
    };
    let mut head = signed_head(&state, &signed.team_id, seq, &hash)?;
    head.at = q.at.zip(at).map(|(s, h)| Accepted {
        seq: s,
        hash: hex(&h),
    });
    Ok(Json(head).into_response())
}

async fn extend(State(state): State<AppState>, req: RawRequest) -> Result<Response, ApiError> {
    signer(&state)?;
    let auth = parse_headers(&req.headers)?;
    let raw = witness_proto::decode_extend(&req.body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not an event list: {e}")))?;
    let mut events = Vec::with_capacity(raw.len());
    for b in raw {
        let ev = SignedEvent::decode(b)
            .map_err(|_| ApiError::BadRequest("an event of the list is not valid".into()))?;
        if ev.envelope.team_id != req.team_id {
            return Err(ApiError::BadRequest(
                "an event's team is not the team in the URL".into(),
            ));
        }
        events.push(ev);
    }
    // The key that must sign: the ACL's, or (a device the batch itself adds) the batch's.
    let known = state.db().device_key(&req.team_id, &auth.device_id).await?;
    let from_batch = events
        .iter()
        .rev()
        .flat_map(|e| e.public.acl.iter().rev())
        .filter_map(|c| match c {
            AclChange::Add {
                device_id, auth_pk, ..
            } if *device_id == auth.device_id => Some(*auth_pk),
            _ => None,
        })
        .next();
    let Some(auth_pk) = from_batch.or(known.map(|d| d.auth_pk)) else {
        if !state.db().team_exists(&req.team_id).await? {
            return Err(ApiError::NotFound);
        }
        return Err(ApiError::Forbidden(
            "this device is not an active member of the team",
        ));
    };
    check_signature(&state, &auth, &auth_pk, &req).await?;
    let team = req.team_id;
    let fork = |head: Option<(u64, [u8; 32])>, message: &str| -> Result<Response, ApiError> {
        let Some((seq, hash)) = head else {
            return Err(ApiError::BadRequest(message.to_owned()));
        };
        let body = WitnessFork {
            error: "fork".into(),
            message: message.to_owned(),
            head: signed_head(&state, &team, seq, &hash)?,
        };
        Ok((StatusCode::CONFLICT, Json(body)).into_response())
    };
    match state
        .db()
        .witness_extend(&team, &events, &auth.device_id, &auth_pk)
        .await?
    {
        ExtendOutcome::Extended(seq, hash) => {
            Ok(Json(signed_head(&state, &team, seq, &hash)?).into_response())
        }
        ExtendOutcome::Fork(head) => {
            tracing::warn!(%team, "extend refused: it forks the accepted chain");
            fork(
                head,
                "these events do not extend the chain this witness accepted",
            )
        }
        ExtendOutcome::Gap(head) => fork(
            head,
            "these events start past the witness's head: send the events after it",
        ),
        ExtendOutcome::Forbidden(why) => Err(ApiError::Forbidden(why)),
    }
}
