//! `hush import`, `hush export`, `hush backup` and `hush restore`.
//!
//! Import and export are requests to the backend (the agent or a session unlocked here), so the
//! one implementation in `hush_core::transfer` serves every front end. Backup and restore use
//! `hush_core::backup` (the file format, writing, opening and restoring) and stay in this
//! process: the CLI never holds the agent's keys, and a backup needs only the store file
//! (ciphertext) plus the plaintext of every readable secret, which it asks the backend for
//! (`api::ExportAll`, which leaves the `backup` usage record). What is the CLI's own here:
//! the passphrase prompts, `--force`, and the wording of errors that name a flag or a command.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use hush_core::api;
use hush_core::backup::{self, BACKUP_VERSION, BackupError, Contents};
use hush_core::secret::SecretString;
use hush_core::store::Store;
use hush_core::transfer::{self, ImportFormat, ImportReport};
use zeroize::Zeroizing;

use crate::backend;
use crate::cli::{ExportFormat, ImportCommand};
use crate::ctx::{exists_without_force, now_ms, write_stdout};

/// The environment variable scripts use to pass the backup passphrase.
pub const BACKUP_PASSPHRASE_ENV: &str = "HUSH_BACKUP_PASSPHRASE";
/// Largest import file read.
const MAX_IMPORT_BYTES: u64 = 32 * 1024 * 1024;

/// What the commands here need from the dispatcher.
pub struct Ctx<'a> {
    /// The async runtime.
    pub rt: &'a tokio::runtime::Runtime,
    /// The data directory.
    pub home: &'a Path,
    /// `--team`.
    pub team: Option<&'a str>,
    /// `--json`.
    pub json: bool,
}

impl Ctx<'_> {
    fn one<O: api::Op>(&self, op: O) -> Result<O::Output> {
        crate::ctx::one(self.rt, self.home, op)
    }

    fn print_json(&self, v: &impl serde::Serialize) -> Result<()> {
        crate::ctx::print_json(v)
    }
}

/// `hush import FORMAT FILE`.
pub fn import(ctx: &Ctx<'_>, cmd: ImportCommand) -> Result<i32> {
    let (format, args) = match cmd {
        ImportCommand::Dotenv(a) => (ImportFormat::Dotenv, a),
        ImportCommand::OnePassword(a) => (ImportFormat::OnePassword, a),
        ImportCommand::Bitwarden(a) => (ImportFormat::Bitwarden, a),
        ImportCommand::Keepassxc(a) => (ImportFormat::Keepassxc, a),
    };
    if format == ImportFormat::Dotenv && args.vault.is_none() {
        bail!("importing a dotenv file needs --vault VAULT (the vault its keys go into)");
    }
    // Parse (and fail on a malformed file) before asking for the password.
    let bytes = read_limited(&args.file, MAX_IMPORT_BYTES)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow!("{} is not valid UTF-8", args.file.display()))?;
    let parsed = transfer::parse(format, text)
        .map_err(|e| anyhow!("{}: {e}; nothing was imported", args.file.display()))?;
    drop(bytes);
    let report = ctx.one(api::Import {
        team: ctx.team.map(str::to_owned),
        vault: args.vault,
        items: parsed.items,
        skipped: parsed.skipped,
        overwrite: args.overwrite,
    })?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        print!("{}", import_summary(&report, format));
    }
    Ok(0)
}

/// The human summary of an import.
pub fn import_summary(r: &ImportReport, format: ImportFormat) -> String {
    let mut s = format!(
        "Imported {} {} from {} into team {}",
        r.imported.len(),
        if r.imported.len() == 1 {
            "secret"
        } else {
            "secrets"
        },
        format.label(),
        r.team
    );
    if !r.created_vaults.is_empty() {
        s.push_str(&format!(
            " (created vaults: {})",
            r.created_vaults.join(", ")
        ));
    }
    s.push_str(".\n");
    for i in &r.imported {
        s.push_str(&format!(
            "  {}: {}/{} (v{})\n",
            i.source, i.vault, i.name, i.version
        ));
        for w in &i.warnings {
            s.push_str(&format!("    note: {w}\n"));
        }
    }
    if !r.skipped.is_empty() {
        s.push_str(&format!("Skipped {}:\n", r.skipped.len()));
        for k in &r.skipped {
            s.push_str(&format!("  {} {:?}: {}\n", k.source, k.title, k.reason));
        }
    }
    s
}

/// `hush export VAULT --format F --plaintext`.
pub fn export(ctx: &Ctx<'_>, vault: &str, format: ExportFormat, plaintext: bool) -> Result<i32> {
    if !plaintext {
        bail!(
            "refusing to export without --plaintext: this prints every value of vault `{vault}` in plaintext, readable by anything that sees the output (terminal scrollback, files, logs); pass --plaintext if that is what you want"
        );
    }
    let list = ctx.one(api::Export {
        team: ctx.team.map(str::to_owned),
        vault: vault.to_owned(),
    })?;
    // Secrets the dotenv rendering could not hold: printed as errors, and the exit code is 1.
    let mut left_out = 0;
    let out: Zeroizing<Vec<u8>> = match format {
        ExportFormat::Dotenv => {
            let (text, left) = transfer::render_dotenv(&list);
            for (n, why) in &left {
                eprintln!("hush: error: {vault}/{n} left out: {why}");
            }
            left_out = left.len();
            Zeroizing::new(text.as_bytes().to_vec())
        }
        ExportFormat::Json => {
            let mut v = transfer::json_exact(&list)?;
            v.push(b'\n');
            v
        }
    };
    eprintln!(
        "hush: warning: printing {} secret value(s) of `{vault}` in plaintext; delete any file you write them to once done",
        list.len() - left_out
    );
    write_stdout(&[&out])?;
    Ok(i32::from(left_out > 0))
}

fn read_limited(path: &Path, max: u64) -> Result<Zeroizing<Vec<u8>>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let len = f
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > max {
        bail!(
            "{} is larger than {} MiB; refusing to read it",
            path.display(),
            max / (1024 * 1024)
        );
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1));
    f.take(max + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > max {
        bail!("{} grew while it was read; try again", path.display());
    }
    Ok(buf)
}

/// The backup passphrase: from the environment, else asked on the terminal (twice for a new
/// backup, `new`), then checked by the core's rule for a new or an existing backup.
fn read_passphrase(new: bool) -> Result<SecretString> {
    let p = match backend::secret_from_env(BACKUP_PASSPHRASE_ENV)? {
        Some(p) => p,
        None => {
            let a = backend::prompt_hidden("Backup passphrase: ").map_err(|_| {
                anyhow!(
                    "a backup passphrase is needed: set {BACKUP_PASSPHRASE_ENV} or run in a terminal"
                )
            })?;
            if new && a != backend::prompt_hidden("Repeat the backup passphrase: ")? {
                bail!("the passphrases do not match");
            }
            a
        }
    };
    if new {
        backup::check_new_passphrase(&p)
    } else {
        backup::check_passphrase(&p)
    }
    .map_err(cli_error)?;
    Ok(p)
}

/// A backup error in the CLI's words: the flag to pass, the command to run.
fn cli_error(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::FileExists(file) => exists_without_force(&file),
        BackupError::StoreExists(home) => anyhow!(
            "a Hush store already exists at {}; pass --force to move it aside (it is kept, renamed) and restore over it",
            home.display()
        ),
        BackupError::AgentRunning(home) => anyhow!(
            "an agent is using the store at {}: run `hush lock` first",
            home.display()
        ),
        BackupError::NotABackup(file) => anyhow!(
            "{} is not a backup made by `hush backup` (not a passphrase-encrypted age file)",
            file.display()
        ),
        BackupError::UnknownVersion { file, version } => anyhow!(
            "{} is a version {version} backup; this hush reads version {BACKUP_VERSION}: use a newer hush",
            file.display()
        ),
        BackupError::Core(e) => e.into(),
        other => other.into(),
    }
}

/// `hush backup FILE`.
pub fn backup(ctx: &Ctx<'_>, file: &Path, force: bool) -> Result<i32> {
    if !Store::exists(ctx.home) {
        return Err(hush_core::Error::NotInitialized(ctx.home.to_owned()).into());
    }
    if file.exists() && !force {
        return Err(cli_error(BackupError::FileExists(file.to_owned())));
    }
    let passphrase = read_passphrase(true)?;
    let secrets = ctx.one(api::ExportAll {})?;
    let store = ctx.rt.block_on(async {
        let store = Store::open(ctx.home).await?;
        let r = backup::snapshot(&store, ctx.home).await;
        store.close().await;
        r
    })?;
    let contents = Contents {
        secrets,
        store,
        created_ms: now_ms(),
    };
    let written = backup::write(file, &passphrase, contents, force).map_err(cli_error)?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "file": written.file,
            "secrets": written.secrets,
            "created_ms": written.created_ms,
        }))?;
    } else {
        eprintln!(
            "wrote {}: your encrypted store and {} secret(s).",
            file.display(),
            written.secrets
        );
        eprintln!(
            "It also holds the PLAINTEXT of every secret (secrets.json, for emergencies with only `age` at hand): the backup passphrase is its only protection. Keep the file offline and the passphrase somewhere safe."
        );
        eprintln!(
            "Restore with `hush restore {}`; in an emergency: age -d -o backup.tar {} && tar -xf backup.tar secrets.json",
            file.display(),
            file.display()
        );
    }
    Ok(0)
}

/// `hush restore FILE`.
pub fn restore(ctx: &Ctx<'_>, file: &Path, force: bool) -> Result<i32> {
    let home = ctx.home;
    // Refuse before asking for the passphrase; `backup::restore` checks again.
    ctx.rt
        .block_on(backup::check_target(home, force))
        .map_err(cli_error)?;
    let passphrase = read_passphrase(false)?;
    let opened = backup::open(file, &passphrase).map_err(cli_error)?;
    drop(passphrase);
    let r = ctx
        .rt
        .block_on(backup::restore(home, opened, force, now_ms()))
        .map_err(cli_error)?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "home": r.home,
            "secrets": r.secrets,
            "backup_created_ms": r.backup_created_ms,
            "previous_store": r.previous_store,
        }))?;
    } else {
        eprintln!(
            "restored the store from {} (backup of {} UTC, {} secret(s)) into {}",
            file.display(),
            hush_core::item::format_time_ms(r.backup_created_ms),
            r.secrets,
            home.display()
        );
        if let Some(k) = r.previous_store {
            eprintln!("the previous store was kept as {}", k.display());
        }
        eprintln!("unlock it with the master password it had when the backup was made");
    }
    Ok(0)
}
