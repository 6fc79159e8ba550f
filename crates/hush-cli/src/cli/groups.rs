//! The subcommands of the command groups: `hush team ...`, `hush team witness ...`,
//! `hush service ...`, `hush vault ...`, `hush audit verify`, `hush import FORMAT` and
//! `hush hook ...`.

use clap::Subcommand;

use super::ImportArgs;

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

/// `hush override ...`
#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// Use your own value for a secret: only your `get`, `run` and `inject` see it; it stays
    /// on this device (sealed), is never synced and is never a version of the secret.
    Set {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::addresses))]
        address: String,
        /// The value; omit it (a hidden prompt on a terminal) or use "-" to read stdin. Given
        /// here, it is visible to other processes and in shell history, and hush warns.
        value: Option<String>,
    },
    /// Stop using your override: the team's value is used again.
    Rm {
        /// VAULT/NAME or TEAM/VAULT/NAME.
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::addresses))]
        address: String,
    },
    /// List your overrides (never their values).
    Ls,
}

/// `hush env ...`
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Names one vault has and the other lacks, and names whose values differ (never the
    /// values). Exits 1 when the vaults differ.
    Diff {
        /// The first vault.
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::vaults))]
        left: String,
        /// The second vault.
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::vaults))]
        right: String,
    },
    /// Exits 1 naming every key of an example file (a .env.example) the vault does not hold.
    Check {
        /// The vault.
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::vaults))]
        vault: String,
        /// The example file: its keys are read as dotenvx reads them, its values ignored.
        #[arg(long, value_name = "FILE")]
        example: std::path::PathBuf,
    },
}

/// `hush audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-check every signature, hash link and checkpoint of the local logs.
    Verify,
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
