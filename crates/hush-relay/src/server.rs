//! Listening, TLS and graceful shutdown around [`crate::app`].
//!
//! With a certificate and key the relay serves HTTPS through rustls (the `ring` provider); without
//! them it serves plain HTTP, meant for loopback or for running behind a TLS-terminating reverse
//! proxy. On shutdown the listener stops accepting, pending long-polls answer 204 at once, and
//! in-flight requests get up to [`GRACE`] to finish.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

use crate::db::{Db, DbError};
use crate::ratelimit::RateLimits;
use crate::routes::app;
use crate::state::AppState;

/// Longest in-flight requests may run after shutdown starts.
pub const GRACE: Duration = Duration::from_secs(30);

/// Certificate chain and private key, PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// Everything `serve` needs, parsed before any I/O.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://...`.
    pub database: String,
    /// HTTPS when set.
    pub tls: Option<TlsFiles>,
    /// Rate limits.
    pub limits: RateLimits,
    /// Serve as a witness (`--witness`) instead of a relay.
    pub witness: bool,
    /// Where to serve `GET /metrics` (plain HTTP, a listener of its own so it can stay on
    /// loopback or a private network while the relay faces the internet); none when unset.
    pub metrics_listen: Option<SocketAddr>,
}

/// The addresses a started relay listens on (port 0 in the config becomes a real port here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// The relay (or witness).
    pub addr: SocketAddr,
    /// `GET /metrics`, when `--metrics-listen` was given.
    pub metrics: Option<SocketAddr>,
}

/// Why the relay could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The TLS certificate or key could not be loaded.
    #[error("could not load the TLS certificate or key: {0}")]
    Tls(#[source] std::io::Error),
    /// The listen address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[source] std::io::Error),
    /// The database belongs to the other mode (a relay's events, or a witness's key).
    #[error("{0}")]
    WrongMode(String),
}

/// The state of a relay, or of a witness with its key (created on first start), refusing a
/// database that belongs to the other mode.
async fn mode_state(db: &Db, config: &Config) -> Result<AppState, ServeError> {
    let fault = |e: sqlx::Error| ServeError::WrongMode(format!("could not read the database: {e}"));
    if config.witness {
        if db.holds_events().await.map_err(fault)? {
            return Err(ServeError::WrongMode(
                "this database holds a relay's events: give the witness a database of its own"
                    .into(),
            ));
        }
        let clock = crate::state::Clock::system();
        let signer = db.witness_signer(clock.now_ms()).await.map_err(fault)?;
        let key = signer.public();
        tracing::info!(
            key = %hush_proto::relay_proto::hex(&key),
            fingerprint = %hush_proto::witness_proto::key_fingerprint(&key),
            "witness key"
        );
        Ok(AppState::witness(db.clone(), config.limits, clock, signer))
    } else {
        if db.holds_witness_key().await.map_err(fault)? {
            return Err(ServeError::WrongMode(
                "this database belongs to a witness: start it with --witness".into(),
            ));
        }
        Ok(AppState::new(db.clone(), config.limits))
    }
}

/// Opens the database, binds, calls `on_ready` with the bound addresses, and serves until
/// `shutdown` resolves; then drains in-flight requests (up to [`GRACE`]).
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(Bound),
) -> Result<(), ServeError> {
    let db = Db::connect(&config.database).await?;
    let state = mode_state(&db, &config).await?;
    let tls = match &config.tls {
        Some(files) => {
            // Ignore the error: it only means a provider is already installed in this process.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(ServeError::Tls)?,
            )
        }
        None => None,
    };
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Io)?;
    let handle = axum_server::Handle::new();
    let metrics_handle = axum_server::Handle::new();
    let metrics = match config.metrics_listen {
        Some(at) => Some(serve_metrics(at, state.clone(), metrics_handle.clone())?),
        None => None,
    };
    tokio::spawn({
        let handle = handle.clone();
        let state = state.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            state.begin_shutdown();
            metrics_handle.shutdown();
            handle.graceful_shutdown(Some(GRACE));
        }
    });
    let router = if config.witness {
        crate::witness::witness_app(state)
    } else {
        app(state)
    };
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tracing::info!(%addr, tls = tls.is_some(), backend = ?db.backend(), witness = config.witness, "listening");
    on_ready(Bound { addr, metrics });
    let result = match tls {
        Some(tls) => {
            axum_server::from_tcp_rustls(listener, tls)
                .map_err(ServeError::Io)?
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .map_err(ServeError::Io)?
                .handle(handle)
                .serve(service)
                .await
        }
    };
    db.close().await;
    result.map_err(ServeError::Io)
}

/// Binds `at` and serves `GET /metrics` there until `handle` shuts down; returns the bound address.
fn serve_metrics(
    at: SocketAddr,
    state: AppState,
    handle: axum_server::Handle<SocketAddr>,
) -> Result<SocketAddr, ServeError> {
    let listener =
        std::net::TcpListener::bind(at).map_err(|source| ServeError::Bind { addr: at, source })?;
    let bound = listener.local_addr().map_err(ServeError::Io)?;
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |axum::extract::State(s): axum::extract::State<AppState>| async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        s.metrics().render(),
                    )
                },
            ),
        )
        .with_state(state);
    let server = axum_server::from_tcp(listener)
        .map_err(ServeError::Io)?
        .handle(handle);
    tokio::spawn(async move {
        if let Err(e) = server.serve(router.into_make_service()).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!(addr = %bound, "serving /metrics");
    Ok(bound)
}
