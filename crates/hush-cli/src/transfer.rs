//! `hush import`, `hush export`, `hush backup` and `hush restore`.
//!
//! Import and export are requests to the backend (the agent or a session unlocked here), so the
//! one implementation in `hush_core::transfer` serves every front end. Backup and restore work on
//! files in the data directory and stay in this process: the CLI never holds the agent's keys,
//! and a backup needs only the store file (ciphertext) plus the plaintext of every readable
//! secret, which it asks the backend for (`api::ExportAll {}`).
//!
//! # The backup file
//!
//! An [age](https://age-encryption.org) file encrypted to a passphrase (the scrypt recipient), so
//! the stock `age` tool opens it. Inside, a tar archive:
//!
//! | entry | what |
//! |---|---|
//! | `README.txt` | what this file is and how to use it |
//! | `manifest.json` | `{"format":"hush-backup","version":1,...}` |
//! | `store/hush.db` | a consistent copy of the encrypted store (SQLite `VACUUM INTO`) |
//! | `secrets.json` | every readable secret in plaintext: team, vault, name, value, metadata |
//!
//! The archive is written straight into the age encryptor and from there to a temporary file
//! next to the target (renamed into place when complete): no plaintext ever reaches the disk.
//! The plaintext `secrets.json` lives in a zeroizing buffer sized up front so it never moves.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use hush_core::api;
use hush_core::secret::SecretString;
use hush_core::store::Store;
use hush_core::transfer::{self, ExportedSecret, ImportFormat, ImportReport};
use zeroize::Zeroizing;

use crate::backend::{self, Backend};
use crate::cli::{ExportFormat, ImportCommand};

/// The environment variable scripts use to pass the backup passphrase.
pub const BACKUP_PASSPHRASE_ENV: &str = "HUSH_BACKUP_PASSPHRASE";
/// Shortest backup passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// Largest import file read.
const MAX_IMPORT_BYTES: u64 = 32 * 1024 * 1024;
/// Largest store accepted from a backup.
const MAX_STORE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// scrypt work factor of a backup: N = 2^18, as the `age` tool uses.
const SCRYPT_LOG_N: u8 = 18;
const BACKUP_FORMAT: &str = "hush-backup";
const BACKUP_VERSION: u32 = 1;
const ENTRY_README: &str = "README.txt";
const ENTRY_MANIFEST: &str = "manifest.json";
const ENTRY_STORE: &str = "store/hush.db";
const ENTRY_SECRETS: &str = "secrets.json";

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
        let mut b = self.rt.block_on(Backend::open(self.home))?;
        let r = self.rt.block_on(b.call(op));
        self.rt.block_on(b.close());
        r
    }

    fn print_json(&self, v: &impl serde::Serialize) -> Result<()> {
        println!(
            "{}",
            serde_json::to_string_pretty(v).context("cannot encode JSON")?
        );
        Ok(())
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
    let out: Zeroizing<Vec<u8>> = match format {
        ExportFormat::Dotenv => {
            let (text, left_out) = transfer::render_dotenv(&list);
            for n in left_out {
                eprintln!(
                    "hush: warning: {vault}/{n} left out: its name is not a dotenv variable name"
                );
            }
            Zeroizing::new(text.as_bytes().to_vec())
        }
        ExportFormat::Json => {
            let mut v = json_exact(&list)?;
            v.push(b'\n');
            v
        }
    };
    eprintln!(
        "hush: warning: printing {} secret value(s) of `{vault}` in plaintext; delete any file you write them to once done",
        list.len()
    );
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(0)
}

/// Counts bytes, to size a buffer before writing secrets into it.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Pretty JSON in a zeroizing buffer allocated once at the right size (a growing `Vec` would
/// leave copies of the plaintext behind in freed memory).
fn json_exact(v: &impl serde::Serialize) -> Result<Zeroizing<Vec<u8>>> {
    let mut counter = Counter(0);
    serde_json::to_writer_pretty(&mut counter, v).context("cannot encode JSON")?;
    let mut buf = Zeroizing::new(Vec::with_capacity(counter.0 + 1));
    serde_json::to_writer_pretty(&mut *buf, v).context("cannot encode JSON")?;
    Ok(buf)
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

/// The backup passphrase: from the environment, else asked twice on the terminal.
fn new_passphrase() -> Result<SecretString> {
    let p = match std::env::var_os(BACKUP_PASSPHRASE_ENV) {
        Some(p) => SecretString::new(
            p.into_string()
                .map_err(|_| anyhow!("{BACKUP_PASSPHRASE_ENV} is not valid UTF-8"))?,
        ),
        None => {
            let a = backend::prompt_hidden("Backup passphrase: ").map_err(|_| {
                anyhow!(
                    "a backup passphrase is needed: set {BACKUP_PASSPHRASE_ENV} or run in a terminal"
                )
            })?;
            let b = backend::prompt_hidden("Repeat the backup passphrase: ")?;
            if a != b {
                bail!("the passphrases do not match");
            }
            a
        }
    };
    if p.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        bail!(
            "the backup passphrase must be at least {MIN_PASSPHRASE_CHARS} characters: it is all that protects the plaintext copy of your secrets inside the backup"
        );
    }
    Ok(p)
}

fn existing_passphrase() -> Result<SecretString> {
    let p = match std::env::var_os(BACKUP_PASSPHRASE_ENV) {
        Some(p) => SecretString::new(
            p.into_string()
                .map_err(|_| anyhow!("{BACKUP_PASSPHRASE_ENV} is not valid UTF-8"))?,
        ),
        None => backend::prompt_hidden("Backup passphrase: ").map_err(|_| {
            anyhow!(
                "a backup passphrase is needed: set {BACKUP_PASSPHRASE_ENV} or run in a terminal"
            )
        })?,
    };
    if p.is_empty() {
        bail!("the backup passphrase is empty");
    }
    Ok(p)
}

fn age_passphrase(p: &SecretString) -> age::secrecy::SecretString {
    age::secrecy::SecretString::from(p.expose().to_owned())
}

fn now_ms() -> i64 {
    (hush_core::session::system_clock())()
}

fn random_suffix() -> String {
    let nonce: [u8; 6] = hush_core::crypto::random_array();
    hush_core::relay_proto::hex(&nonce)
}

/// Creates `path` empty with mode 0600, failing if it exists.
fn create_private(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Removes a file when dropped (temporary files on every exit path), unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn new(path: &Path) -> Self {
        Self(Some(path.to_owned()))
    }

    /// The file was renamed into place: nothing to remove.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A consistent copy of the store's database file (ciphertext and ids only).
fn snapshot_store(ctx: &Ctx<'_>) -> Result<Vec<u8>> {
    let tmp = ctx.home.join(format!(".backup-{}.db", random_suffix()));
    create_private(&tmp)?;
    let _cleanup = RemoveOnDrop::new(&tmp);
    ctx.rt.block_on(async {
        let store = Store::open(ctx.home).await?;
        let r = store.snapshot_into(&tmp).await;
        store.close().await;
        r
    })?;
    std::fs::read(&tmp).with_context(|| format!("cannot read {}", tmp.display()))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    created_ms: i64,
    hush_version: String,
    secrets: usize,
}

#[derive(serde::Serialize)]
struct SecretsFile<'a> {
    format: &'static str,
    version: u32,
    created_ms: i64,
    secrets: &'a [ExportedSecret],
}

fn readme(created_ms: i64) -> String {
    format!(
        "This is a Hush backup, written by `hush backup` on {} UTC.

It is an age file (https://age-encryption.org) encrypted with the backup passphrase, holding a
tar archive:

  README.txt     this file
  manifest.json  format and version of this backup, date, number of secrets
  store/hush.db  a copy of the encrypted Hush store: `hush restore FILE` puts it back, and the
                 master password the store had on the day of the backup unlocks it
  secrets.json   every secret this device could read, IN PLAINTEXT (team, vault, name, value,
                 metadata), for an emergency where only the `age` tool is at hand

In an emergency, with only age and tar:

  age -d -o hush-backup.tar FILE
  tar -xf hush-backup.tar secrets.json

The backup passphrase is the only protection of secrets.json. Delete the extracted files as soon
as you are done with them.
",
        hush_core::item::format_time_ms(created_ms)
    )
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    data: &[u8],
    mtime_s: u64,
) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(mtime_s);
    h.set_cksum();
    tar.append_data(&mut h, path, data)
}

/// `hush backup FILE`.
pub fn backup(ctx: &Ctx<'_>, file: &Path, force: bool) -> Result<i32> {
    if !Store::exists(ctx.home) {
        return Err(hush_core::Error::NotInitialized(ctx.home.to_owned()).into());
    }
    if file.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    let passphrase = new_passphrase()?;
    let secrets = ctx.one(api::ExportAll {})?;
    let db = snapshot_store(ctx)?;
    let created_ms = now_ms();
    let mtime = u64::try_from(created_ms / 1000).unwrap_or(0);
    let manifest = Manifest {
        format: BACKUP_FORMAT.into(),
        version: BACKUP_VERSION,
        created_ms,
        hush_version: env!("CARGO_PKG_VERSION").into(),
        secrets: secrets.len(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest).context("cannot encode JSON")?;
    let plain = json_exact(&SecretsFile {
        format: "hush-backup-secrets",
        version: BACKUP_VERSION,
        created_ms,
        secrets: &secrets,
    })?;
    drop(secrets);

    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", file.display()))?;
    let tmp = dir.join(format!(
        ".{}.hush-tmp-{}",
        name.to_string_lossy(),
        random_suffix()
    ));
    let out = create_private(&tmp)?;
    let mut cleanup = RemoveOnDrop::new(&tmp);
    let mut recipient = age::scrypt::Recipient::new(age_passphrase(&passphrase));
    // A fixed work factor (the `age` tool's default) rather than one timed on this machine: a
    // slow or busy machine must not write a weaker backup.
    recipient.set_work_factor(SCRYPT_LOG_N);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| anyhow!("cannot encrypt: {e}"))?;
    let write = || -> std::io::Result<std::fs::File> {
        let sink = encryptor.wrap_output(BufWriter::new(out))?;
        let mut tar = tar::Builder::new(sink);
        append_file(&mut tar, ENTRY_README, readme(created_ms).as_bytes(), mtime)?;
        append_file(&mut tar, ENTRY_MANIFEST, &manifest, mtime)?;
        append_file(&mut tar, ENTRY_STORE, &db, mtime)?;
        append_file(&mut tar, ENTRY_SECRETS, &plain, mtime)?;
        let sink = tar.into_inner()?;
        let buffered = sink.finish()?;
        let f = buffered.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        Ok(f)
    };
    write().with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(plain);
    if file.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    std::fs::rename(&tmp, file).with_context(|| format!("cannot write {}", file.display()))?;
    cleanup.disarm();
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "file": file,
            "secrets": manifest_count(&manifest),
            "created_ms": created_ms,
        }))?;
    } else {
        eprintln!(
            "wrote {}: your encrypted store and {} secret(s).",
            file.display(),
            manifest_count(&manifest)
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

fn manifest_count(manifest: &[u8]) -> usize {
    serde_json::from_slice::<Manifest>(manifest).map_or(0, |m| m.secrets)
}

/// The store and manifest read from a backup.
struct Unpacked {
    db: Vec<u8>,
    manifest: Manifest,
}

fn unpack(file: &Path, passphrase: &SecretString) -> Result<Unpacked> {
    let not_ours = || {
        anyhow!(
            "{} is not a backup made by `hush backup` (not a passphrase-encrypted age file)",
            file.display()
        )
    };
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let decryptor = age::Decryptor::new(BufReader::new(f)).map_err(|e| match e {
        age::DecryptError::Io(io) => anyhow!("cannot read {}: {io}", file.display()),
        _ => not_ours(),
    })?;
    if !decryptor.is_scrypt() {
        return Err(not_ours());
    }
    let identity = age::scrypt::Identity::new(age_passphrase(passphrase));
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::ExcessiveWork { .. } => anyhow!(
                "{}: its passphrase work factor is far above what this machine takes about a second for; refusing",
                file.display()
            ),
            age::DecryptError::Io(io) => anyhow!("cannot read {}: {io}", file.display()),
            _ => anyhow!(
                "wrong backup passphrase for {} (or the file is damaged)",
                file.display()
            ),
        })?;
    let damaged = || {
        anyhow!(
            "{} is damaged or was altered (it failed to decrypt part-way)",
            file.display()
        )
    };
    let mut archive = tar::Archive::new(reader);
    let mut db = None;
    let mut manifest = None;
    for entry in archive.entries().map_err(|_| damaged())? {
        let mut entry = entry.map_err(|_| damaged())?;
        let path = entry
            .path()
            .map_err(|_| damaged())?
            .to_string_lossy()
            .into_owned();
        match path.as_str() {
            ENTRY_STORE => {
                let size = entry.size();
                if size > MAX_STORE_BYTES {
                    bail!("{}: the store inside is implausibly large", file.display());
                }
                let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                entry.read_to_end(&mut buf).map_err(|_| damaged())?;
                db = Some(buf);
            }
            ENTRY_MANIFEST => {
                let mut buf = Vec::new();
                (&mut entry)
                    .take(64 * 1024)
                    .read_to_end(&mut buf)
                    .map_err(|_| damaged())?;
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&buf)
                        .map_err(|_| anyhow!("{}: malformed manifest.json", file.display()))?,
                );
            }
            // secrets.json is for people with only `age`; restore never reads it.
            _ => {}
        }
        if db.is_some() && manifest.is_some() {
            break;
        }
    }
    let manifest = manifest.ok_or_else(not_ours)?;
    if manifest.format != BACKUP_FORMAT {
        return Err(not_ours());
    }
    if manifest.version != BACKUP_VERSION {
        bail!(
            "{} is a version {} backup; this hush reads version {BACKUP_VERSION}: use a newer hush",
            file.display(),
            manifest.version
        );
    }
    let db = db.ok_or_else(|| anyhow!("{}: the backup holds no store", file.display()))?;
    if !db.starts_with(b"SQLite format 3\0") {
        bail!("{}: the store inside is not a database", file.display());
    }
    Ok(Unpacked { db, manifest })
}

/// The database file and its SQLite companions.
fn db_files(home: &Path) -> [PathBuf; 3] {
    let db = Store::db_path(home);
    let name = db.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut n = name.clone();
        n.push(suffix);
        PathBuf::from(n)
    };
    [db.clone(), with("-wal"), with("-shm")]
}

/// Renames the database (and its -wal/-shm) to `hush.db.SUFFIX` (and `-wal`/`-shm`).
fn move_store(from_home: &Path, suffix_from: &str, suffix_to: &str) -> Result<()> {
    for f in db_files(from_home) {
        let from = append_to_name(&f, suffix_from);
        let to = append_to_name(&f, suffix_to);
        if from.exists() {
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// `hush.db-wal` + `.x` → `hush.db.x-wal`: SQLite finds a WAL by appending `-wal` to the
/// database path, so the suffix goes before it.
fn append_to_name(path: &Path, suffix: &str) -> PathBuf {
    if suffix.is_empty() {
        return path.to_owned();
    }
    let s = path.as_os_str().to_string_lossy();
    for companion in ["-wal", "-shm"] {
        if let Some(base) = s.strip_suffix(companion) {
            return PathBuf::from(format!("{base}{suffix}{companion}"));
        }
    }
    PathBuf::from(format!("{s}{suffix}"))
}

/// `hush restore FILE`.
pub fn restore(ctx: &Ctx<'_>, file: &Path, force: bool) -> Result<i32> {
    let home = ctx.home;
    let existed = Store::exists(home);
    if existed && !force {
        bail!(
            "a Hush store already exists at {}; pass --force to move it aside (it is kept, renamed) and restore over it",
            home.display()
        );
    }
    if existed
        && ctx
            .rt
            .block_on(hush_core::agent::AgentClient::connect(home))
            .is_some()
    {
        bail!(
            "an agent is using the store at {}: run `hush lock` first",
            home.display()
        );
    }
    let passphrase = existing_passphrase()?;
    let unpacked = unpack(file, &passphrase)?;
    drop(passphrase);

    hush_core::store::ensure_private_dir(home)?;
    let tmp = home.join(format!(".restore-{}.db", random_suffix()));
    let mut cleanup = RemoveOnDrop::new(&tmp);
    {
        let mut f = create_private(&tmp)?;
        f.write_all(&unpacked.db)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    let aside = if existed {
        let stamp = hush_core::item::format_time_ms(now_ms())
            .replace([' ', ':'], "")
            .replace('-', "");
        let suffix = format!(".before-restore-{stamp}");
        move_store(home, "", &suffix)?;
        Some(suffix)
    } else {
        None
    };
    let db = Store::db_path(home);
    let placed = std::fs::rename(&tmp, &db)
        .with_context(|| format!("cannot write {}", db.display()))
        .and_then(|()| {
            cleanup.disarm();
            ctx.rt
                .block_on(async {
                    let store = Store::open(home).await?;
                    let r = async {
                        store.header().await?;
                        store.integrity_check().await
                    }
                    .await;
                    store.close().await;
                    r
                })
                .map_err(|e| anyhow!("the restored store does not open: {e}"))
        });
    if let Err(e) = placed {
        // Put things back as they were.
        for f in db_files(home) {
            let _ = std::fs::remove_file(f);
        }
        if let Some(suffix) = &aside {
            move_store(home, suffix, "")?;
        }
        return Err(e);
    }
    let kept = aside.map(|s| append_to_name(&db, &s));
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "home": home,
            "secrets": unpacked.manifest.secrets,
            "backup_created_ms": unpacked.manifest.created_ms,
            "previous_store": kept,
        }))?;
    } else {
        eprintln!(
            "restored the store from {} (backup of {} UTC, {} secret(s)) into {}",
            file.display(),
            hush_core::item::format_time_ms(unpacked.manifest.created_ms),
            unpacked.manifest.secrets,
            home.display()
        );
        if let Some(k) = kept {
            eprintln!("the previous store was kept as {}", k.display());
        }
        eprintln!("unlock it with the master password it had when the backup was made");
    }
    Ok(0)
}
