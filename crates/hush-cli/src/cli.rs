//! Command-line arguments. The names here are a contract that scripts rely on: add, never rename.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Hush: an end-to-end encrypted vault for your team's API keys.
#[derive(Debug, Parser)]
#[command(name = "hush", version, about, max_term_width = 100)]
pub struct Cli {
    /// Data directory (default: $XDG_DATA_HOME/hush or ~/.local/share/hush).
    #[arg(long, env = "HUSH_HOME", global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Team to act on instead of the selected one.
    #[arg(long, global = true, value_name = "TEAM")]
    pub team: Option<String>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this device's identity and an encrypted store (with a local team "personal").
    Init {
        /// Your display name, as teammates will see it.
        #[arg(long)]
        name: String,
    },
    /// Show this device's name, id and fingerprint.
    Whoami,
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage vaults.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Set a secret (value from the argument, or stdin when omitted or "-").
    Set(SetArgs),
    /// Print a secret's value.
    Get {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        address: String,
    },
    /// List secrets (never values).
    Ls {
        /// Only this vault.
        vault: Option<String>,
    },
    /// Ranked fuzzy search over vault names, secret names, notes and tags.
    Search {
        /// What to look for.
        query: String,
        /// Maximum results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Show a secret's versions, newest first.
    History {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        address: String,
        /// Also print each version's value.
        #[arg(long)]
        reveal: bool,
    },
    /// Delete a secret (its history stays in the log).
    Rm {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        address: String,
    },
    /// Run a command with secrets injected as environment variables.
    Run(RunArgs),
    /// Render a template, replacing {{ hush://VAULT/NAME }} with values.
    Inject {
        /// Template file (default: stdin).
        #[arg(short = 'i', long = "in", value_name = "FILE")]
        input: Option<PathBuf>,
        /// Output file, created with mode 0600 (default: stdout).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Start the agent so that commands stop asking for the password.
    Unlock {
        /// Lock again after this long without use (e.g. 30s, 10m, 1h).
        #[arg(long, default_value = "10m")]
        timeout: String,
    },
    /// Stop the agent, wiping the keys it holds.
    Lock,
    /// Change the master password.
    Passwd,
    /// Who created, changed, rotated, granted, revoked, invited, admitted, removed, reported
    /// leaked and used what, and when, from the signed log (`hush audit verify` re-checks it).
    Audit(AuditArgs),
    /// Create a one-line invite code for a new teammate.
    Invite {
        /// Role of the newcomer: member or admin.
        #[arg(long, default_value = "member")]
        role: String,
        /// The code stops working after this long (e.g. 30m, 24h, 7d).
        #[arg(long, default_value = "24h")]
        expires: String,
    },
    /// Ask to join a team with an invite code; prints the safety code to compare.
    Join {
        /// The invite code.
        code: String,
        /// A local name for the team until you are admitted.
        #[arg(long)]
        name: Option<String>,
        /// Reach the team's relay at this URL instead of the one in the code (same relay
        /// cluster behind another address).
        #[arg(long)]
        relay: Option<String>,
        /// Allow plain http:// to a non-loopback relay (only behind a TLS-terminating proxy).
        #[arg(long)]
        allow_http: bool,
    },
    /// List the team's members, pending joins and their codes.
    Members,
    /// Admit a pending member after comparing safety codes.
    Admit {
        /// Display name or device id prefix.
        member: String,
    },
    /// Remove a member: re-keys the team and their vaults; lists keys to rotate.
    Remove {
        /// Display name or device id prefix.
        member: String,
    },
    /// Give a member access to a vault.
    Grant {
        /// Vault name.
        vault: String,
        /// Display name or device id prefix.
        member: String,
        /// read, write or admin.
        #[arg(long)]
        role: String,
    },
    /// Take a member's access to a vault away: re-keys the vault; lists keys to rotate.
    Revoke {
        /// Vault name.
        vault: String,
        /// Display name or device id prefix.
        member: String,
    },
    /// Who has which role on a vault.
    Access {
        /// Vault name.
        vault: String,
    },
    /// Push local changes and pull teammates' changes (every team with a relay, or --team).
    Sync,
    /// Secrets to rotate at their provider, and why.
    Exposed,
    /// Secrets edited concurrently that need a decision.
    Conflicts,
    /// Resolve a conflict by keeping one version.
    Resolve {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        address: String,
        /// The version to keep (see `hush history`).
        #[arg(long)]
        keep: u32,
    },
    /// Machine identities for CI/CD: read-only on chosen vaults, expiring, revocable.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Run the agent in the foreground (used by `hush unlock`).
    #[command(hide = true)]
    Agent {
        /// Idle timeout in seconds.
        #[arg(long)]
        idle_secs: u64,
    },
    /// Import secrets from a dotenv file or a password manager's export (all or nothing).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print every secret of a vault in plaintext (dotenv or JSON); refuses without --plaintext.
    Export {
        /// Vault name.
        vault: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "dotenv")]
        format: ExportFormat,
        /// Confirm that the values may be printed in plaintext.
        #[arg(long)]
        plaintext: bool,
    },
    /// Write the whole store to a passphrase-encrypted age file (the real `age` tool opens it).
    Backup {
        /// The backup file to write.
        file: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Put a store back from a `hush backup` file.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Move an existing store aside (kept, renamed) instead of refusing.
        #[arg(long)]
        force: bool,
    },
    /// Secrets due, overdue, expired or exposed (why, since when), conflicts and alerts.
    Status,
    /// Record a new value of an existing secret as a rotation (value from the argument, or stdin
    /// when omitted or "-"); clears "exposed" and restarts its rotation period.
    Rotate(RotateArgs),
    /// Report a secret as leaked: it becomes exposed for the whole team; lists who could read it.
    Leaked {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        address: String,
        /// What happened (sealed under the vault key: only people who can read it see the note).
        #[arg(long)]
        note: Option<String>,
    },
    /// Look for secrets in files (default: the current directory, respecting .gitignore), in
    /// what is staged for commit, or in git history: every value you can decrypt (all versions)
    /// and well-known key shapes. Exit 0 clean, 1 found, 2 error.
    Scan(ScanArgs),
    /// Git hooks: `hush hook install` blocks commits that contain secrets.
    #[command(subcommand)]
    Hook(HookCommand),
}

/// `hush team ...`
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team and select it.
    Create {
        /// Team name.
        name: String,
        /// Relay URL the team syncs through.
        #[arg(long)]
        relay: Option<String>,
        /// Allow plain http:// to a non-loopback relay (only behind a TLS-terminating proxy).
        #[arg(long)]
        allow_http: bool,
    },
    /// List teams.
    List,
    /// Select a team.
    Use {
        /// Team name.
        name: String,
    },
    /// Relay, last sync, head and team state code, outbox, conflicts.
    Status,
    /// Record that a teammate read you the same team state code (`hush team status`): equal
    /// codes mean you both verified the same history. Shown by `team status` and the app.
    Compared,
    /// Which addresses each device and service identity used, and when (managers).
    Devices,
    /// Witnesses that co-sign the team's log (catch a relay that withholds or forks history).
    #[command(subcommand)]
    Witness(WitnessCommand),
}

/// `hush team witness ...`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Require a witness for the team (owners and admins); prints its key fingerprint.
    Add {
        /// Witness URL (a `hush-relay --witness`).
        url: String,
        /// The witness's key (64 hex digits, from its operator): refuse any other.
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
    },
    /// Required witnesses: URL, key fingerprint, last co-signed event seen.
    List,
    /// Stop requiring a witness (owners and admins).
    Remove {
        /// Its URL (or key in hex).
        url: String,
    },
}

/// `hush service ...`
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service identity and print its token once (team admins).
    Create {
        /// Service name, e.g. github-deploy.
        name: String,
        /// A vault it may read (repeatable; at least one).
        #[arg(long = "vault", value_name = "VAULT", required = true)]
        vaults: Vec<String>,
        /// Lifetime, e.g. 30d, 12w, 1y (default 90 days, at most one year).
        #[arg(long, default_value = "90d")]
        expires: String,
    },
    /// List service identities with their vaults, expiry and status.
    List,
    /// Revoke a service identity: re-keys its vaults; lists keys to rotate if its token leaked.
    Revoke {
        /// Service name or id.
        name: String,
    },
}

/// `hush vault ...`
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a vault in the team.
    Create {
        /// Vault name.
        name: String,
    },
    /// List the team's vaults.
    List,
}

/// `hush audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-check every signature, hash link and checkpoint of the local logs.
    Verify,
}

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
    pub address: String,
    /// The new value; omit or use "-" to read stdin (one trailing newline is removed).
    pub value: Option<String>,
    /// A new expiry date, YYYY-MM-DD (default: keep the current one).
    #[arg(long)]
    pub expires: Option<String>,
}

/// `hush set` arguments.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// VAULT/NAME or TEAM/VAULT/NAME.
    pub address: String,
    /// The value; omit or use "-" to read stdin (one trailing newline is removed).
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
    #[arg(long = "vault", value_name = "VAULT")]
    pub vaults: Vec<String>,
    /// A dotenv file whose values may be hush:// references.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Replace secret values in the command's output with <concealed by hush>.
    #[arg(long)]
    pub mask: bool,
    /// The command and its arguments (after --).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `hush import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A dotenv file (KEY=value lines); --vault is required.
    Dotenv(ImportArgs),
    /// A 1Password CSV export.
    #[command(name = "1password")]
    OnePassword(ImportArgs),
    /// A Bitwarden unencrypted JSON export.
    Bitwarden(ImportArgs),
    /// A KeePassXC CSV export.
    Keepassxc(ImportArgs),
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

/// `hush hook ...`
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install a git pre-commit hook in the current repository that runs `hush scan --staged`.
    Install {
        /// Replace a pre-commit hook that is not hush's (it is kept as pre-commit.hush-backup).
        #[arg(long)]
        force: bool,
    },
    /// Remove hush's pre-commit hook (never someone else's).
    Uninstall,
}
