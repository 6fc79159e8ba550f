//! Shared helpers for the end-to-end tests: build the real binaries once, and give each test its
//! own data directory so tests run in parallel without seeing each other.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The master password every test store uses (passed through HUSH_PASSWORD, as scripts do).
pub const PASSWORD: &str = "correct horse battery staple";

/// Path of a workspace binary, built (once per test process) by the same cargo that runs the tests.
///
/// Cargo only builds a package's own binaries for its integration tests; these tests live in a
/// separate package (`tests/`) so that they can drive the CLI, the relay and later the desktop app
/// together, hence the explicit build.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // target/<profile>/deps/<test-binary>  ->  target/<profile>
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binaries live in target/<profile>/deps")
            .to_owned();
        if std::env::var_os("HUSH_TESTS_NO_BUILD").is_none() {
            let release = dir.file_name().is_some_and(|n| n == "release");
            let mut cmd = std::process::Command::new(env!("CARGO"));
            cmd.args([
                "build",
                "--quiet",
                "-p",
                "hush-cli",
                "--bin",
                "hush",
                "-p",
                "hush-relay",
                "--bin",
                "hush-relay",
            ]);
            if release {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("run cargo build");
            assert!(status.success(), "cargo build of the binaries failed");
        }
        dir
    });
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// One person's installation: a data directory and a way to run `hush` in it.
pub struct Device {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
}

impl Device {
    /// A fresh, uninitialised device.
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("hush-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A device after `hush init --name NAME`.
    pub fn init(name: &str) -> Self {
        let d = Self::new();
        d.hush(&["init", "--name", name]).assert().success();
        d
    }

    /// The data directory.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `hush` with this home and the test password in the environment.
    pub fn hush(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.hush_no_password(args);
        c.env("HUSH_PASSWORD", PASSWORD);
        c
    }

    /// `hush` with this home and no password source at all.
    pub fn hush_no_password(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(bin("hush"));
        c.env_remove("HUSH_PASSWORD")
            .env_remove("HUSH_SERVICE_TOKEN")
            .env("HUSH_HOME", self.home())
            .args(args);
        c
    }

    /// Runs `hush ARGS` with `value` on stdin (how values are given), asserting success.
    pub fn set_from_stdin(&self, args: &[&str], value: &str) {
        self.hush(args).write_stdin(value).assert().success();
    }

    /// Runs `hush` and returns stdout, asserting success.
    pub fn out(&self, args: &[&str]) -> String {
        let o = self.hush(args).output().expect("run hush");
        assert!(
            o.status.success(),
            "hush {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).expect("utf-8 stdout")
    }

    /// Runs `hush` expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let o = self.hush(args).output().expect("run hush");
        assert!(!o.status.success(), "hush {args:?} unexpectedly succeeded");
        let err = String::from_utf8(o.stderr).expect("utf-8 stderr");
        assert_clean_error(&err);
        err
    }
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // Stop an agent a test may have left running.
        let _ = assert_cmd::Command::new(bin("hush"))
            .env("HUSH_HOME", self.home())
            .arg("lock")
            .output();
    }
}

/// An error is one line starting with `hush: error:`, and never a panic.
pub fn assert_clean_error(stderr: &str) {
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "panic: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("hush: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "expected one error line, got: {stderr}");
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// True if `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A real `hush-relay` process on a loopback port, killed when dropped.
pub struct Relay {
    child: Option<std::process::Child>,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// Database URL it serves.
    pub database: String,
    /// Keeps the SQLite file alive.
    pub dir: tempfile::TempDir,
    /// Base URL of `GET /metrics`, when started with `--metrics-listen`.
    pub metrics: Option<String>,
    args: Vec<String>,
}

impl Relay {
    /// A relay on a fresh SQLite database.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hush-relay-test-")
            .tempdir()
            .expect("temp dir");
        let database = format!("sqlite://{}", dir.path().join("relay.db").display());
        Self::start_on(database, dir, &[])
    }

    /// A relay on the given database URL with extra arguments.
    pub fn start_on(database: String, dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let mut r = Relay {
            child: None,
            url: String::new(),
            database,
            dir,
            metrics: None,
            args: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        r.launch("127.0.0.1:0");
        r
    }

    fn launch(&mut self, listen: &str) {
        use std::io::BufRead;
        let mut child = std::process::Command::new(bin("hush-relay"))
            .args(["--listen", listen, "--database", &self.database])
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start hush-relay");
        let stdout = child.stdout.take().expect("relay stdout");
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read relay stdout");
            assert!(n > 0, "hush-relay exited before listening");
            if let Some(addr) = line.trim().strip_prefix("hush-relay metrics on ") {
                self.metrics = Some(format!("http://{addr}/metrics"));
            }
            if let Some(addr) = line.trim().strip_prefix("hush-relay listening on ") {
                self.url = format!("http://{addr}");
                break;
            }
        }
        // Keep draining so the relay never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        self.child = Some(child);
    }

    /// The `host:port` the relay listens on.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Kills the relay with SIGKILL (no graceful shutdown) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the relay again on the same database and port.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.addr().to_owned();
        self.launch(&addr);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh PostgreSQL database for one test, from `HUSH_TEST_POSTGRES_URL` (a URL whose role may
/// CREATE DATABASE). `None`, after saying so, when PostgreSQL is not configured; a panic when
/// `HUSH_REQUIRE_POSTGRES=1` (the README's test command sets it, so CI never skips).
pub fn postgres_database(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("HUSH_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("HUSH_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "{test}: HUSH_REQUIRE_POSTGRES=1 but HUSH_TEST_POSTGRES_URL is not set"
        );
        println!("{test}: skipped: set HUSH_TEST_POSTGRES_URL to run it against PostgreSQL");
        return None;
    };
    let name = format!("hush_e2e_{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to HUSH_TEST_POSTGRES_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        conn.close().await.ok();
    });
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .expect("database URL with a path");
    Some(format!("{base}/{name}"))
}

/// The relays a multi-member test runs against: one SQLite relay, or two relay processes sharing
/// one PostgreSQL database. `url(i)` spreads members across them.
pub struct RelaySet {
    /// The relays.
    pub relays: Vec<Relay>,
    /// (admin URL, database name) of a PostgreSQL database to drop afterwards.
    postgres: Option<(String, String)>,
}

impl Drop for RelaySet {
    fn drop(&mut self) {
        for r in &mut self.relays {
            r.kill();
        }
        if let Some((admin, name)) = self.postgres.take() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        }
    }
}

impl RelaySet {
    /// An existing relay.
    pub fn of(relay: Relay) -> Self {
        Self {
            relays: vec![relay],
            postgres: None,
        }
    }

    /// One relay on SQLite.
    pub fn sqlite() -> Self {
        Self {
            relays: vec![Relay::start()],
            postgres: None,
        }
    }

    /// Two relay processes on one fresh PostgreSQL database (None when not configured).
    pub fn postgres_pair(test: &str) -> Option<Self> {
        let db = postgres_database(test)?;
        let a = Relay::start_on(db.clone(), tempfile::tempdir().expect("tmp"), &[]);
        let b = Relay::start_on(db.clone(), tempfile::tempdir().expect("tmp"), &[]);
        let admin = std::env::var("HUSH_TEST_POSTGRES_URL").expect("checked above");
        let name = db.rsplit('/').next().expect("database name").to_owned();
        Some(Self {
            relays: vec![a, b],
            postgres: Some((admin, name)),
        })
    }

    /// The relay URL for member number `i`.
    pub fn url(&self, i: usize) -> String {
        self.relays[i % self.relays.len()].url.clone()
    }

    /// Every event the relays' database holds, in order.
    pub fn events(&self) -> Vec<Vec<u8>> {
        let db = self.relays[0].database.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            if db.starts_with("postgres") {
                let pool = sqlx::PgPool::connect(&db).await.expect("relay db");
                let rows: Vec<Vec<u8>> =
                    sqlx::query_scalar("SELECT bytes FROM events ORDER BY seq")
                        .fetch_all(&pool)
                        .await
                        .expect("events");
                pool.close().await;
                rows
            } else {
                let pool = sqlx::SqlitePool::connect(&db).await.expect("relay db");
                let rows: Vec<Vec<u8>> =
                    sqlx::query_scalar("SELECT bytes FROM events ORDER BY seq")
                        .fetch_all(&pool)
                        .await
                        .expect("events");
                pool.close().await;
                rows
            }
        })
    }
}

/// ada, owner of team acme on the relay at `relay_url` with vault `prod` holding `prod/NAME` =
/// `value`, and bob, admitted with write access to `prod`; both synced.
pub fn owner_and_writer(relay_url: &str, name: &str, value: &str) -> (Device, Device) {
    let ada = Device::init("ada");
    ada.out(&["team", "create", "acme", "--relay", relay_url]);
    ada.out(&["vault", "create", "prod"]);
    ada.set_from_stdin(&["set", &format!("prod/{name}")], value);
    ada.out(&["sync"]);
    let bob = Device::init("bob");
    invite_and_admit(&ada, &bob, "bob", None);
    ada.out(&["grant", "prod", "bob", "--role", "write"]);
    ada.out(&["sync"]);
    bob.out(&["sync"]);
    (ada, bob)
}

/// `hush invite` on `owner`, `hush join` on `newcomer` (through `relay_url` when given, else the
/// relay in the code), checks that the safety code `hush members` shows the owner equals the one
/// the newcomer was shown, admits, and syncs both. Returns the invite code.
pub fn invite_and_admit(
    owner: &Device,
    newcomer: &Device,
    name: &str,
    relay_url: Option<&str>,
) -> String {
    let code = owner.out(&["invite", "--role", "member", "--expires", "1h"]);
    let code = code.trim().to_owned();
    assert!(code.starts_with("hush1"), "{code}");
    let mut join = vec!["join", code.as_str()];
    if let Some(url) = relay_url {
        join.extend(["--relay", url]);
    }
    let joiner_code = newcomer.out(&join);
    let joiner_code = joiner_code.trim().to_owned();
    assert_eq!(joiner_code.split(' ').count(), 4, "{joiner_code}");
    owner.out(&["sync"]);
    let members = owner.out(&["members"]);
    let line = members
        .lines()
        .find(|l| l.starts_with(&format!("{name}\t")) && l.contains("pending"))
        .unwrap_or_else(|| panic!("{name} is not pending: {members}"));
    assert!(
        line.ends_with(&format!("safety code {joiner_code}")),
        "codes differ: {line} vs {joiner_code}"
    );
    owner.out(&["admit", name]);
    owner.out(&["sync"]);
    newcomer.out(&["sync"]);
    let status = newcomer.out(&["team", "status"]);
    assert!(!status.contains("waiting to be admitted"), "{status}");
    code
}

impl Relay {
    /// The relay's process id while it runs (to sample its memory from `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }
}
