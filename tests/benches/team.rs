//! Team-sharing benchmarks: the core API driven in-process (a Tokio runtime, no process start or
//! Argon2id per operation) against real `hush-relay` processes on SQLite and on PostgreSQL.
//!
//! What it measures, for the list:
//!
//! 1. `Session::grant` on a vault of 1k and of 10k secrets (building, signing and storing the
//!    grant event locally), with and without a key bundle, and the ratio of the two sizes.
//! 2. `Session::revoke` and `Session::remove_member` on the same two vaults (both re-key).
//! 3. The relay: pushing a 10k-event outbox with `Session::sync_team` (one append per event),
//!    `RelayClient::pull` of that whole log by a member, the bare `RelayClient::append` of
//!    pre-sealed events one by one (the one-client case), and per-append latency with 16 and 64
//!    concurrent clients, each on its own team and all on one team (where they race for the head
//!    and retry as a client does).
//! 4. A newly admitted device: its first `sync_team` (pull and verify the whole log) until `get`
//!    of a secret in the 10k vault returns; then the same member's next `sync_team` when a
//!    teammate changed one secret.
//!
//! Run with `cargo bench -p hush-tests --bench team`, after `eval "$(scripts/postgres-test.sh)"`
//! for the PostgreSQL rows (they are skipped, with a note, when `HUSH_TEST_POSTGRES_URL` is not
//! set). `bench/README.md` explains each figure and records the numbers measured so far.
//!
//! Most figures are one-shot operations that change the state they measure (a grant, a removal, a
//! 10k-event push), so this is a plain harness rather than Criterion: each figure is repeated a few
//! times on fresh members or devices and reported as median, minimum and maximum, followed by
//! ratios between figures of the same run. The relays run with their rate limits lifted: with the
//! defaults (50 requests/s per device after a burst of 200), one `sync_team` of a 1000-event outbox
//! stops with "rate limited" after about 240 events.

#[path = "../raw_team.rs"]
mod raw_team;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hush_core::address::Address;
use hush_core::crypto::KdfParams;
use hush_core::event::{PutKind, SignedEvent, TeamRole, VaultRole};
use hush_core::identity::DeviceIdentity;
use hush_core::invite::{self, InviteCode};
use hush_core::relay_proto;
use hush_core::secret::SecretString;
use hush_core::session::{self, MetaUpdate, Session};
use hush_core::sync::{Appended, RelayClient};
use hush_tests::{PASSWORD, Relay, postgres_database};
use raw_team::RawTeam;
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The team every owner creates.
const TEAM: &str = "acme";
/// The vault of [`SMALL`] secrets.
const SMALL_VAULT: &str = "small";
/// The vault of [`LARGE`] secrets.
const LARGE_VAULT: &str = "large";
/// Secrets in the small vault.
const SMALL: usize = 1_000;
/// Secrets in the large vault.
const LARGE: usize = 10_000;
/// The secret a new device reads to prove the team usable.
const PROBE: &str = "large/KEY_05000";
/// Every secret's value.
const VALUE: &str = "sk_live_0123456789abcdefghijklmnopqrstuvwxyz";

/// Members per vault size for the grant, revoke and removal figures: every one gets a grant
/// (with a key bundle), the first then serves the role-change and revoke figures, and the others
/// are removed one by one.
const GROUP: usize = 10;
/// Role changes (grants without a key bundle) per vault size.
const ROLE_CHANGES: usize = 20;
/// Revocations per vault size (each after an untimed re-grant).
const REVOKES: usize = 5;
/// Newly admitted devices per relay backend.
const JOINERS: usize = 3;
/// Events appended one by one with the bare client (the one-client case of the concurrency
/// figures).
const RAW_APPENDS: usize = 2_000;
/// Full-log pulls with the bare client.
const PULLS: usize = 3;
/// Concurrency levels, each client on its own team, with appends per client.
const LEVELS: [(usize, usize); 2] = [(16, 64), (64, 16)];
/// Concurrency levels, all clients on one team (they serialise on its head), with appends per
/// client.
const SAME_TEAM_APPENDS: [(usize, usize); 2] = [(16, 16), (64, 4)];
/// Time after which the clients sharing one team stop starting new appends.
const SAME_TEAM_BUDGET: Duration = Duration::from_secs(25);

/// Relay flags that lift the rate limits (all clients share 127.0.0.1 and few devices).
const NO_LIMITS: [&str; 6] = [
    "--rate-per-ip",
    "1000000",
    "--rate-per-device",
    "1000000",
    "--burst",
    "1000000",
];

/// Durations of one figure, in seconds.
#[derive(Clone, Debug, Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64());
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Nearest-rank quantile (`q` in 0..=1); 0 when empty.
    fn quantile(&self, q: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return 0.0;
        }
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    /// The middle value (the upper one of the two middles for an even count).
    fn median(&self) -> f64 {
        let v = self.sorted();
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }

    fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(0.0)
    }

    fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(0.0)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn extend(&mut self, other: &Samples) {
        self.0.extend_from_slice(&other.0);
    }
}

/// One line of the final table.
struct Row {
    figure: String,
    samples: Samples,
    note: String,
}

/// Everything measured in this run, in order, with each figure's samples kept by id for the
/// ratios at the end.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    by_id: BTreeMap<String, Samples>,
}

impl Report {
    /// Records a figure and prints it at once (so a long run shows progress).
    fn add(&mut self, id: &str, figure: String, samples: Samples, note: String) {
        println!(
            "  {figure}: median {} (min {}, max {}, n={}) {note}",
            human(samples.median()),
            human(samples.min()),
            human(samples.max()),
            samples.len()
        );
        self.by_id.insert(id.to_owned(), samples.clone());
        self.rows.push(Row {
            figure,
            samples,
            note,
        });
    }

    fn median(&self, id: &str) -> Option<f64> {
        self.by_id.get(id).map(Samples::median)
    }

    /// Prints how `a` compares with `b` (ratio of medians, `a` over `b`) when both ran.
    fn ratio(&self, what: &str, a: &str, b: &str) {
        if let (Some(x), Some(y)) = (self.median(a), self.median(b)) {
            println!("| {what} | {} | {} | {:.2}× |", human(x), human(y), x / y);
        }
    }

    fn print(&self) {
        println!("\n| figure | runs | median | min | max | note |");
        println!("|---|---|---|---|---|---|");
        for r in &self.rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.figure,
                r.samples.len(),
                human(r.samples.median()),
                human(r.samples.min()),
                human(r.samples.max()),
                r.note
            );
        }
        println!("\nRatios within this run (medians):\n");
        println!("| comparison | a | b | a / b |");
        println!("|---|---|---|---|");
        self.ratio(
            "grant with key bundle, 10k vs 1k secrets",
            "grant/10k",
            "grant/1k",
        );
        self.ratio(
            "grant, role change only, 10k vs 1k secrets",
            "role/10k",
            "role/1k",
        );
        self.ratio("revoke, 10k vs 1k secrets", "revoke/10k", "revoke/1k");
        self.ratio(
            "remove_member, 10k vs 1k secrets",
            "remove/10k",
            "remove/1k",
        );
        self.ratio("revoke vs grant, 10k secrets", "revoke/10k", "grant/10k");
        for b in ["sqlite", "postgres"] {
            self.ratio(
                &format!("{b}: sync_team push vs bare append, per event"),
                &format!("push-per-event/{b}"),
                &format!("append-seq/{b}"),
            );
        }
        self.ratio(
            "sync_team push per event, PostgreSQL vs SQLite",
            "push-per-event/postgres",
            "push-per-event/sqlite",
        );
        self.ratio(
            "bare append, PostgreSQL vs SQLite",
            "append-seq/postgres",
            "append-seq/sqlite",
        );
        self.ratio(
            "new device usable, PostgreSQL vs SQLite",
            "join/postgres",
            "join/sqlite",
        );
        for b in ["sqlite", "postgres"] {
            self.ratio(
                &format!("{b}: member's next sync (1 event) vs first sync (whole log)"),
                &format!("next-sync/{b}"),
                &format!("join/{b}"),
            );
            self.ratio(
                &format!("{b}: new device usable vs bare pull of the same log"),
                &format!("join/{b}"),
                &format!("pull/{b}"),
            );
        }
    }
}

/// Seconds as a short human-readable duration.
fn human(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

/// A Tokio runtime with two workers (this machine's cores): the concurrent clients need more
/// than one thread to overlap their request signing.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the benchmarks")
}

fn now_ms() -> i64 {
    (session::system_clock())()
}

fn value() -> SecretString {
    SecretString::new(VALUE.to_owned())
}

/// A fresh store under `home` (the default Argon2id parameters: the floor refuses weaker ones).
async fn init_session(home: &Path, name: &str) -> Session {
    Session::init(
        home,
        name,
        &SecretString::new(PASSWORD.to_owned()),
        KdfParams::DEFAULT,
        session::system_clock(),
    )
    .await
    .expect("Session::init in a fresh temporary directory")
}

/// Sets `n` secrets `VAULT/KEY_00000`… one by one.
async fn populate(s: &mut Session, vault: &str, n: usize) {
    let v = value();
    for i in 0..n {
        let addr = Address::parse(&format!("{vault}/KEY_{i:05}")).expect("a valid address");
        s.set(Some(TEAM), &addr, &v, MetaUpdate::default(), PutKind::Set)
            .await
            .expect("set a secret");
    }
}

/// Invites `names` and admits them, each a bare device identity whose join request is made by
/// hand (as `Session::join` does, without a store or an Argon2id unlock of its own). Returns the
/// identities, which can then authenticate to the relay as members.
async fn admit_bare(
    owner: &mut Session,
    team: Uuid,
    relay_url: &str,
    names: &[String],
) -> Vec<DeviceIdentity> {
    let client = RelayClient::new(relay_url, false).expect("relay client");
    let mut members = Vec::new();
    for name in names {
        let code = owner
            .invite(Some(TEAM), TeamRole::Member, 3_600_000)
            .await
            .expect("invite (pushes the outbox)")
            .code;
        let code = InviteCode::decode(&code).expect("a valid invite code");
        let me = DeviceIdentity::generate(name).expect("identity");
        let blob = invite::seal_join(&code.secret, &code.team_id, &code.invite_id, &me.cert());
        client
            .post_join(
                &code.team_id,
                &code.invite_id,
                &invite::relay_token(&code.secret),
                &blob,
            )
            .await
            .expect("post the join request");
        members.push(me);
    }
    owner
        .sync_team(team)
        .await
        .expect("sync: fetch join requests");
    for name in names {
        owner.admit(Some(TEAM), name).await.expect("admit");
    }
    members
}

/// Times one async call.
async fn timed<T>(samples: &mut Samples, f: impl std::future::Future<Output = T>) -> T {
    let start = Instant::now();
    let out = f.await;
    samples.push(start.elapsed());
    out
}

/// Figures 1 and 2: grant, role change, revoke and removal on a 1k and a 10k vault of one team.
async fn access_figures(owner: &mut Session, small: &[String], large: &[String], r: &mut Report) {
    let mut grant = [Samples::default(), Samples::default()];
    let mut role = [Samples::default(), Samples::default()];
    let mut revoke = [Samples::default(), Samples::default()];
    let mut remove = [Samples::default(), Samples::default()];
    let groups = [(SMALL_VAULT, small), (LARGE_VAULT, large)];
    // Interleaved, so drift on a busy machine affects both sizes alike.
    for i in 0..GROUP {
        for (k, (vault, members)) in groups.iter().enumerate() {
            timed(
                &mut grant[k],
                owner.grant(Some(TEAM), vault, &members[i], VaultRole::Read),
            )
            .await
            .expect("grant");
        }
    }
    for i in 0..ROLE_CHANGES {
        let to = if i % 2 == 0 {
            VaultRole::Write
        } else {
            VaultRole::Read
        };
        for (k, (vault, members)) in groups.iter().enumerate() {
            timed(
                &mut role[k],
                owner.grant(Some(TEAM), vault, &members[0], to),
            )
            .await
            .expect("role change");
        }
    }
    for i in 0..REVOKES {
        for (k, (vault, members)) in groups.iter().enumerate() {
            if i > 0 {
                owner
                    .grant(Some(TEAM), vault, &members[0], VaultRole::Read)
                    .await
                    .expect("grant again");
            }
            let exposed = timed(&mut revoke[k], owner.revoke(Some(TEAM), vault, &members[0]))
                .await
                .expect("revoke");
            assert!(
                !exposed.is_empty(),
                "a revocation exposes the vault's secrets"
            );
        }
    }
    for i in 1..GROUP {
        for (k, (_, members)) in groups.iter().enumerate() {
            timed(&mut remove[k], owner.remove_member(Some(TEAM), &members[i]))
                .await
                .expect("remove");
        }
    }
    let note_bundle = "one HPKE key bundle for the new reader";
    r.add(
        "grant/1k",
        format!("`grant` (new reader), {SMALL} secrets"),
        grant[0].clone(),
        note_bundle.into(),
    );
    r.add(
        "grant/10k",
        format!("`grant` (new reader), {LARGE} secrets"),
        grant[1].clone(),
        note_bundle.into(),
    );
    r.add(
        "role/1k",
        format!("`grant` (role change, no bundle), {SMALL} secrets"),
        role[0].clone(),
        String::new(),
    );
    r.add(
        "role/10k",
        format!("`grant` (role change, no bundle), {LARGE} secrets"),
        role[1].clone(),
        String::new(),
    );
    r.add(
        "revoke/1k",
        format!("`revoke`, {SMALL} secrets"),
        revoke[0].clone(),
        format!(
            "new vault key sealed to the {GROUP} remaining readers; every secret marked exposed"
        ),
    );
    r.add(
        "revoke/10k",
        format!("`revoke`, {LARGE} secrets"),
        revoke[1].clone(),
        "as above".into(),
    );
    r.add(
        "remove/1k",
        format!("`remove_member`, reader of {SMALL} secrets"),
        remove[0].clone(),
        format!(
            "new log key sealed to each remaining member ({} down to {}), new vault key",
            2 * GROUP,
            2 * GROUP + 1 - 2 * (GROUP - 1)
        ),
    );
    r.add(
        "remove/10k",
        format!("`remove_member`, reader of {LARGE} secrets"),
        remove[1].clone(),
        "as above".into(),
    );
}

/// Figures 1–4 through one relay: an owner with a 10k-secret vault (and, with `access`, a 1k one
/// and the access figures), its outbox pushed, the whole log pulled by a member's bare client,
/// then [`JOINERS`] new devices, each timed on its first sync and on its next one.
async fn team_figures(backend: &str, relay_url: &str, access: bool, r: &mut Report) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut owner = init_session(&dir.path().join("owner"), "owner").await;
    owner
        .team_create(TEAM, Some(relay_url.to_owned()), false)
        .await
        .expect("team create");
    let tid = owner.team_id(Some(TEAM)).expect("the team just created");
    owner
        .vault_create(Some(TEAM), LARGE_VAULT)
        .await
        .expect("vault");
    let (small, large): (Vec<String>, Vec<String>) = if access {
        owner
            .vault_create(Some(TEAM), SMALL_VAULT)
            .await
            .expect("vault");
        (
            (0..GROUP).map(|i| format!("s{i}")).collect(),
            (0..GROUP).map(|i| format!("l{i}")).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // Members are admitted while the log is short: their invites push the outbox.
    let names: Vec<String> = small.iter().chain(&large).cloned().collect();
    let started = Instant::now();
    admit_bare(&mut owner, tid, relay_url, &names).await;
    if access {
        populate(&mut owner, SMALL_VAULT, SMALL).await;
    }
    populate(&mut owner, LARGE_VAULT, LARGE).await;
    let outbox = owner.team_status(Some(TEAM)).await.expect("status").outbox;
    println!(
        "{backend}: setup ({} members admitted, {} secrets set) in {:.1} s; outbox {outbox} events",
        names.len(),
        LARGE + if access { SMALL } else { 0 },
        started.elapsed().as_secs_f64()
    );

    let mut push = Samples::default();
    let report = timed(&mut push, owner.sync_team(tid))
        .await
        .expect("push the outbox");
    assert_eq!(report.pushed as u64, outbox, "every pending event pushed");
    let per_event = push.median() / outbox as f64;
    r.add(
        &format!("push/{backend}"),
        format!("`sync_team` pushing {outbox} events ({backend})"),
        push,
        format!(
            "{:.0} events/s, {} per event",
            1.0 / per_event,
            human(per_event)
        ),
    );
    let mut pe = Samples::default();
    pe.push(Duration::from_secs_f64(per_event));
    r.by_id.insert(format!("push-per-event/{backend}"), pe);

    if access {
        access_figures(&mut owner, &small, &large, r).await;
    }

    // The whole log, as a member's bare client pulls it (no verification, nothing stored).
    let reader = admit_bare(&mut owner, tid, relay_url, &["reader".to_owned()])
        .await
        .pop()
        .expect("one reader");
    owner.sync_team(tid).await.expect("push the admission");
    let client = RelayClient::new(relay_url, false).expect("relay client");
    let mut pull = Samples::default();
    let mut events = 0;
    let head = client
        .head(&reader, &tid, now_ms())
        .await
        .expect("head")
        .seq
        .expect("the log is not empty");
    for _ in 0..PULLS {
        events = timed(&mut pull, client.pull(&reader, &tid, None, head, now_ms()))
            .await
            .expect("pull")
            .len();
    }
    let per = pull.median() / events as f64;
    r.add(
        &format!("pull/{backend}"),
        format!("`RelayClient::pull` of the whole log, {events} events ({backend})"),
        pull,
        format!(
            "{:.0} events/s, pages of {}",
            1.0 / per,
            relay_proto::MAX_PULL
        ),
    );

    let probe = Address::parse(PROBE).expect("a valid address");
    let mut join = Samples::default();
    let mut next = Samples::default();
    let mut pulled = 0;
    for j in 0..JOINERS {
        let name = format!("new{j}");
        let mut joiner = init_session(&dir.path().join(&name), &name).await;
        let code = owner
            .invite(Some(TEAM), TeamRole::Member, 3_600_000)
            .await
            .expect("invite")
            .code;
        joiner.join(&code, None, None, false).await.expect("join");
        owner.sync_team(tid).await.expect("fetch the join request");
        owner.admit(Some(TEAM), &name).await.expect("admit");
        owner
            .grant(Some(TEAM), LARGE_VAULT, &name, VaultRole::Read)
            .await
            .expect("grant");
        owner
            .sync_team(tid)
            .await
            .expect("push admission and grant");
        let jt = joiner.team_id(None).expect("the joined team is selected");
        let got = timed(&mut join, async {
            let report = joiner.sync_team(jt).await.expect("first sync");
            pulled = report.pulled;
            joiner.get(Some(TEAM), &probe).expect("the probe secret")
        })
        .await;
        assert_eq!(got.expose(), VALUE);

        // The same member's next sync, when a teammate changed one secret.
        let fresh = Address::parse(&format!("{LARGE_VAULT}/NEW_{j}")).expect("a valid address");
        owner
            .set(
                Some(TEAM),
                &fresh,
                &value(),
                MetaUpdate::default(),
                PutKind::Set,
            )
            .await
            .expect("set");
        owner.sync_team(tid).await.expect("push one event");
        let report = timed(&mut next, joiner.sync_team(jt))
            .await
            .expect("next sync");
        assert_eq!(report.pulled, 1, "one new event");
        joiner.get(Some(TEAM), &fresh).expect("the new secret");
        joiner.close().await;
    }
    r.add(
        &format!("join/{backend}"),
        format!("new device: first `sync_team` until `get` works ({backend})"),
        join,
        format!("pulls and verifies {pulled} events"),
    );
    r.add(
        &format!("next-sync/{backend}"),
        format!("member's next `sync_team`, 1 new event ({backend})"),
        next,
        format!("a team of {} events", pulled + 1),
    );
    owner.close().await;
}

/// `n` secret events `KEY_00000`… chained after the genesis of `team`, signed by `author`.
fn chain(team: &RawTeam, author: &DeviceIdentity, n: usize) -> Vec<SignedEvent> {
    let mut prev = team.genesis;
    (0..n)
        .map(|i| {
            let ev = team.put(author, i as u64 + 1, prev, format!("KEY_{i:05}"), &value());
            prev = ev.hash();
            ev
        })
        .collect()
}

/// One client on its own team appending pre-sealed events one after another; the latency of
/// each append.
async fn append_all(
    client: &RelayClient,
    me: &DeviceIdentity,
    team: Uuid,
    events: &[SignedEvent],
) -> Samples {
    let mut lat = Samples::default();
    for ev in events {
        let start = Instant::now();
        let ok = client
            .append(me, &team, ev.bytes(), now_ms())
            .await
            .expect("append");
        lat.push(start.elapsed());
        assert!(matches!(ok, Appended::Ok), "the only writer is at the head");
    }
    lat
}

/// Figure 3 with the bare client on teams of its own: sequential appends, then concurrent clients.
async fn relay_figures(backend: &str, url: &str, r: &mut Report) {
    let client = RelayClient::new(url, false).expect("relay client");
    let me = DeviceIdentity::generate("raw").expect("identity");
    let team = RawTeam::create(&client, "raw", &me, &[]).await;
    let events = chain(&team, &me, RAW_APPENDS);
    let size = events.iter().map(|e| e.bytes().len()).sum::<usize>() / events.len();
    let start = Instant::now();
    let lat = append_all(&client, &me, team.id, &events).await;
    let total = start.elapsed().as_secs_f64();
    r.add(
        &format!("append-seq/{backend}"),
        format!("`RelayClient::append`, {RAW_APPENDS} events one by one, 1 client ({backend})"),
        lat.clone(),
        format!(
            "{:.0} events/s; p99 {}; {size}-byte events",
            RAW_APPENDS as f64 / total,
            human(lat.quantile(0.99))
        ),
    );

    for (clients, each) in LEVELS {
        let (lat, wall) = concurrent_own_teams(url, clients, each).await;
        r.add(
            &format!("append-{clients}/{backend}"),
            format!("append latency, {clients} concurrent clients, one team each ({backend})"),
            lat.clone(),
            format!(
                "p99 {}; {} appends, {:.0} events/s in total",
                human(lat.quantile(0.99)),
                lat.len(),
                lat.len() as f64 / wall.as_secs_f64()
            ),
        );
    }
    for (clients, each) in SAME_TEAM_APPENDS {
        let (lat, tries, wall) = concurrent_one_team(url, clients, each).await;
        r.add(
            &format!("same-team-{clients}/{backend}"),
            format!("append latency, {clients} concurrent clients, one shared team ({backend})"),
            lat.clone(),
            format!(
                "p99 {}; {} appends in {:.1} s ({:.0} events/s), {:.1} attempts each (head + append, retried on conflict)",
                human(lat.quantile(0.99)),
                lat.len(),
                wall.as_secs_f64(),
                lat.len() as f64 / wall.as_secs_f64(),
                tries as f64 / lat.len().max(1) as f64
            ),
        );
    }
}

/// `clients` devices, each on its own team, append `each` pre-sealed events at once. Returns
/// every append's latency and the wall time of the whole run.
async fn concurrent_own_teams(url: &str, clients: usize, each: usize) -> (Samples, Duration) {
    let mut prepared = Vec::new();
    for _ in 0..clients {
        let client = RelayClient::new(url, false).expect("relay client");
        let me = DeviceIdentity::generate("conc").expect("identity");
        let team = RawTeam::create(&client, "raw", &me, &[]).await;
        let events = chain(&team, &me, each);
        prepared.push((client, me, team.id, events));
    }
    let start = Instant::now();
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|(client, me, team, events)| {
            tokio::spawn(async move { append_all(&client, &me, team, &events).await })
        })
        .collect();
    let mut all = Samples::default();
    for t in tasks {
        all.extend(&t.await.expect("client task"));
    }
    (all, start.elapsed())
}

/// `clients` member devices of one team each append `each` events, as a client does: read the
/// head, seal at the head, append, and start again on a conflict. Returns the latency of each
/// successful append (retries included), the number of attempts and the wall time. Clients stop
/// starting appends after [`SAME_TEAM_BUDGET`].
async fn concurrent_one_team(url: &str, clients: usize, each: usize) -> (Samples, usize, Duration) {
    let ids: Vec<DeviceIdentity> = (0..clients)
        .map(|_| DeviceIdentity::generate("shared").expect("identity"))
        .collect();
    let owner = DeviceIdentity::generate("owner").expect("identity");
    let setup = RelayClient::new(url, false).expect("relay client");
    let others: Vec<&DeviceIdentity> = ids.iter().collect();
    let team = RawTeam::create(&setup, "raw", &owner, &others).await;
    let team = Arc::new(team);
    let start = Instant::now();
    let deadline = start + SAME_TEAM_BUDGET;
    let tasks: Vec<_> = ids
        .into_iter()
        .enumerate()
        .map(|(c, me)| {
            let team = Arc::clone(&team);
            let url = url.to_owned();
            tokio::spawn(async move {
                let client = RelayClient::new(&url, false).expect("relay client");
                let mut lat = Samples::default();
                let mut tries = 0;
                for i in 0..each {
                    if Instant::now() > deadline {
                        break;
                    }
                    let t0 = Instant::now();
                    loop {
                        tries += 1;
                        let head = client.head(&me, &team.id, now_ms()).await.expect("head");
                        let seq = head.seq.expect("the team has a genesis");
                        let prev: [u8; 32] = head
                            .hash
                            .as_deref()
                            .and_then(relay_proto::unhex)
                            .and_then(|h| h.try_into().ok())
                            .expect("a 32-byte head hash");
                        let ev = team.put(
                            &me,
                            seq + 1,
                            prev,
                            format!("KEY_{:05}", c * each + i),
                            &value(),
                        );
                        match client
                            .append(&me, &team.id, ev.bytes(), now_ms())
                            .await
                            .expect("append")
                        {
                            Appended::Ok => break,
                            Appended::Conflict => continue,
                        }
                    }
                    lat.push(t0.elapsed());
                }
                (lat, tries)
            })
        })
        .collect();
    let mut all = Samples::default();
    let mut tries = 0;
    for t in tasks {
        let (lat, n) = t.await.expect("client task");
        all.extend(&lat);
        tries += n;
    }
    (all, tries, start.elapsed())
}

/// A PostgreSQL database dropped at the end (after the relay using it was stopped).
struct PgDatabase {
    admin: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                )))
                .execute(&mut conn)
                .await;
            }
        });
    }
}

fn main() {
    let rt = runtime();
    let mut report = Report::default();
    let started = Instant::now();

    println!("SQLite relay");
    {
        let dir = tempfile::Builder::new()
            .prefix("hush-bench-relay-")
            .tempdir()
            .expect("temporary directory");
        let db = format!("sqlite://{}", dir.path().join("relay.db").display());
        let relay = Relay::start_on(db, dir, &NO_LIMITS);
        rt.block_on(team_figures("sqlite", &relay.url, true, &mut report));
        rt.block_on(relay_figures("sqlite", &relay.url, &mut report));
    }

    println!("PostgreSQL relay");
    if let Some(db) = postgres_database("team benchmarks") {
        let _cleanup = PgDatabase {
            admin: std::env::var("HUSH_TEST_POSTGRES_URL").expect("checked by postgres_database"),
            name: db.rsplit('/').next().expect("database name").to_owned(),
        };
        let relay = Relay::start_on(db, tempfile::tempdir().expect("tmp"), &NO_LIMITS);
        rt.block_on(team_figures("postgres", &relay.url, false, &mut report));
        rt.block_on(relay_figures("postgres", &relay.url, &mut report));
        drop(relay);
    } else {
        println!("  PostgreSQL rows skipped: run `eval \"$(scripts/postgres-test.sh)\"` first");
    }

    report.print();
    println!("\nwhole run: {:.0} s", started.elapsed().as_secs_f64());
}
