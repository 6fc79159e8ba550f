//! The `hush-relay` binary: parses flags into a [`Config`], sets up logging, and serves until
//! SIGINT or SIGTERM.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use hush_relay::{Config, Db, RateLimits, TlsFiles};

/// Hush relay: stores and orders end-to-end encrypted team events. It never sees secrets.
/// With --witness: a witness that co-signs team heads.
#[derive(Debug, Parser)]
#[command(name = "hush-relay", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8787", env = "HUSH_RELAY_LISTEN")]
    listen: SocketAddr,
    /// sqlite://PATH or postgres://USER:PASSWORD@HOST/DB (default: relay.db in the data dir).
    #[arg(long, env = "HUSH_RELAY_DATABASE")]
    database: Option<String>,
    /// TLS certificate chain (PEM); serves HTTPS together with --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Sustained requests per second per client IP.
    #[arg(long, default_value_t = RateLimits::default().per_ip)]
    rate_per_ip: f64,
    /// Sustained requests per second per authenticated device.
    #[arg(long, default_value_t = RateLimits::default().per_device)]
    rate_per_device: f64,
    /// Requests allowed in a burst.
    #[arg(long, default_value_t = RateLimits::default().burst)]
    burst: f64,
    /// Run as a witness: co-sign team heads that extend the last one co-signed (serves only the
    /// witness endpoints). Give it its own database.
    #[arg(long)]
    witness: bool,
    /// Also serve Prometheus metrics at GET /metrics on this address (plain HTTP, its own
    /// listener: keep it on loopback or a private network). Counts only, no team or device ids.
    #[arg(long, value_name = "ADDR", env = "HUSH_RELAY_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Log lines as text, or as one JSON object per line (for log shippers).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "HUSH_RELAY_LOG_FORMAT")]
    log_format: LogFormat,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines (colored on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

fn default_database() -> anyhow::Result<String> {
    let dir = dirs::data_dir()
        .context("no data directory for this user: pass --database sqlite://PATH")?
        .join("hush-relay");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .with_context(|| format!("could not create {}", dir.display()))?;
    Ok(Db::sqlite_url(&dir.join("relay.db")))
}

fn config(args: &Args) -> anyhow::Result<Config> {
    for (name, v) in [
        ("--rate-per-ip", args.rate_per_ip),
        ("--rate-per-device", args.rate_per_device),
        ("--burst", args.burst),
    ] {
        if !(v.is_finite() && v > 0.0) {
            bail!("{name} must be a positive number");
        }
    }
    let database = match args.database.clone() {
        Some(url) => url,
        None => default_database()?,
    };
    let tls = match (args.tls_cert.clone(), args.tls_key.clone()) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    Ok(Config {
        listen: args.listen,
        database,
        tls,
        limits: RateLimits {
            per_ip: args.rate_per_ip,
            per_device: args.rate_per_device,
            burst: args.burst,
        },
        witness: args.witness,
        metrics_listen: args.metrics_listen,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "could not listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = config(&args)?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match args.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
    hush_relay::serve(config, shutdown_signal(), |bound| {
        let mut out = std::io::stdout().lock();
        // Tests and supervisors wait for the "listening" line, which comes last.
        if let Some(m) = bound.metrics {
            let _ = writeln!(out, "hush-relay metrics on {m}");
        }
        let _ = writeln!(out, "hush-relay listening on {}", bound.addr);
        let _ = out.flush();
    })
    .await?;
    Ok(())
}
