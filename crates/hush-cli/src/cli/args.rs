//! The arguments of the commands that take more than a few: `hush set`, `hush rotate`,
//! `hush run`, `hush audit`, `hush import FORMAT`, `hush export --format` and `hush scan`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

use super::AuditCommand;

/// `hush audit [--vault V] [--member M] [--since DATE] [--action A]` or `hush audit verify`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// `verify`; without it, the timeline.
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only what concerns this vault.
    #[arg(long)]
    pub vault: Option<String>,
    /// Only what this member did or what was done to them (name or device-id prefix).
    #[arg(long)]
    pub member: Option<String>,
    /// Only from this date (YYYY-MM-DD, UTC) or this long ago (e.g. 24h, 7d).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only this action: created_vault, set, rotated, deleted, invited, admitted, removed,
    /// granted, revoked, created_service, leaked, used.
    #[arg(long)]
    pub action: Option<String>,
    /// At most this many entries, newest first.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// `hush rotate` arguments.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// VAULT/NAME or TEAM/VAULT/NAME.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::addresses))]
    pub address: String,
    /// The new value; omit it (a hidden prompt on a terminal) or use "-" to read stdin (one
    /// trailing newline is removed). Given here, it is visible to other processes and in shell
    /// history, and hush warns.
    pub value: Option<String>,
    /// A new expiry date, YYYY-MM-DD (default: keep the current one).
    #[arg(long)]
    pub expires: Option<String>,
}

/// `hush set` arguments.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// VAULT/NAME or TEAM/VAULT/NAME.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::addresses))]
    pub address: String,
    /// The value; omit it (a hidden prompt on a terminal) or use "-" to read stdin (one trailing
    /// newline is removed). Given here, it is visible to other processes and in shell history,
    /// and hush warns.
    pub value: Option<String>,
    /// A note about the key.
    #[arg(long)]
    pub note: Option<String>,
    /// A tag (repeatable; replaces the previous tags).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Where the key is managed.
    #[arg(long)]
    pub url: Option<String>,
    /// What the key is allowed to do.
    #[arg(long)]
    pub scope: Option<String>,
    /// Expiry date, YYYY-MM-DD.
    #[arg(long)]
    pub expires: Option<String>,
    /// Rotation period, e.g. 90d, 12w, 1y.
    #[arg(long, value_name = "PERIOD")]
    pub rotate_every: Option<String>,
}

/// `hush run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Inject every secret of this vault (repeatable).
    #[arg(long = "vault", value_name = "VAULT", add = clap_complete::ArgValueCandidates::new(crate::complete::vaults))]
    pub vaults: Vec<String>,
    /// A dotenv file whose values may be hush:// references.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Replace secret values in the command's output with <concealed by hush>.
    #[arg(long)]
    pub mask: bool,
    /// Start the command again when a value it was given changes (a teammate's change arrives
    /// through the relay's long-poll); says which variables changed, never their values.
    #[arg(long)]
    pub watch: bool,
    /// With --watch: the signal that stops the command before it starts again (default TERM;
    /// e.g. INT or QUIT for servers that shut down gracefully on those).
    #[arg(long, value_name = "SIG", requires = "watch", default_value = "TERM")]
    pub restart_signal: String,
    /// The command and its arguments (after --).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `hush import FORMAT` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file.
    pub file: PathBuf,
    /// Put every item into this vault (default: the item's folder/group/vault, else "imported").
    #[arg(long)]
    pub vault: Option<String>,
    /// Write a new version of a secret that already exists instead of skipping it.
    #[arg(long)]
    pub overwrite: bool,
}

/// `hush export --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// KEY='value' lines.
    Dotenv,
    /// A JSON array with values and metadata.
    Json,
}

/// `hush scan` arguments.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory).
    #[arg(value_name = "PATH", conflicts_with_all = ["staged", "history"])]
    pub paths: Vec<PathBuf>,
    /// Scan what is staged for commit in the current git repository (the index, not the files).
    #[arg(long, conflicts_with = "history")]
    pub staged: bool,
    /// Scan every file version in the git history of all branches and tags.
    #[arg(long)]
    pub history: bool,
    /// Only look for well-known key shapes; do not read the vault.
    #[arg(long)]
    pub patterns_only: bool,
    /// Threads for scanning files (default: the number of CPUs, at most 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Skip files larger than this (bytes, or with K, M, G), with a note.
    #[arg(long, value_name = "SIZE", default_value = "64M")]
    pub max_size: String,
    /// Run as the git hook: values only from a running agent, never a password prompt.
    #[arg(long, hide = true)]
    pub hook: bool,
}
