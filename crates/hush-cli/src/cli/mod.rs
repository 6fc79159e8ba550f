//! Command-line arguments. The names here are a contract that scripts rely on: add, never rename.
//!
//! This module holds the top level ([`Cli`], [`Command`]); the subcommands of the command
//! groups and the arguments of the bigger commands have a file each.

mod args;
mod groups;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use clap_complete::ArgValueCandidates;

pub use args::{AuditArgs, ExportFormat, ImportArgs, RotateArgs, RunArgs, ScanArgs, SetArgs};
pub use groups::{
    AuditCommand, EnvCommand, HookCommand, ImportCommand, OverrideCommand, ServiceCommand,
    TeamCommand, VaultCommand, WitnessCommand,
};

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
    /// Your own values for team secrets, on this device only.
    #[command(subcommand)]
    Override(OverrideCommand),
    /// Compare vaults as environments, and check a vault against a .env.example.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Set a secret: its value from stdin, or a hidden prompt on a terminal (a VALUE argument
    /// works, but other processes and shell history can see it, and hush warns).
    Set(SetArgs),
    /// Print a secret's value.
    Get {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        #[arg(add = ArgValueCandidates::new(crate::complete::addresses))]
        address: String,
    },
    /// List secrets (never values).
    Ls {
        /// Only this vault.
        #[arg(add = ArgValueCandidates::new(crate::complete::vaults))]
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
        #[arg(add = ArgValueCandidates::new(crate::complete::addresses))]
        address: String,
        /// Also print each version's value.
        #[arg(long)]
        reveal: bool,
    },
    /// Delete a secret (its history stays in the log).
    Rm {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        #[arg(add = ArgValueCandidates::new(crate::complete::addresses))]
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
        #[arg(add = ArgValueCandidates::new(crate::complete::vaults))]
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
        #[arg(add = ArgValueCandidates::new(crate::complete::vaults))]
        vault: String,
        /// Display name or device id prefix.
        member: String,
    },
    /// Who has which role on a vault.
    Access {
        /// Vault name.
        #[arg(add = ArgValueCandidates::new(crate::complete::vaults))]
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
        #[arg(add = ArgValueCandidates::new(crate::complete::addresses))]
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
    /// Write man pages (hush.1, hush-set.1, hush-team-create.1, …) into DIR, created if missing:
    /// e.g. `hush manpages ~/.local/share/man/man1`, then `man hush-run`.
    Manpages {
        /// The directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print a shell completion script: `source <(hush completions bash)` in ~/.bashrc, or
    /// `hush completions zsh|fish|elvish|powershell`. Vault and secret names complete from the
    /// unlocked agent (never a password prompt).
    Completions {
        /// The shell.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(["bash", "elvish", "fish", "powershell", "zsh"]))]
        shell: String,
    },
    /// Import secrets from a dotenv file or a password manager's export (all or nothing).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print every secret of a vault in plaintext (dotenv or JSON); refuses without --plaintext.
    Export {
        /// Vault name.
        #[arg(add = ArgValueCandidates::new(crate::complete::vaults))]
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
        #[arg(add = ArgValueCandidates::new(crate::complete::addresses))]
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
