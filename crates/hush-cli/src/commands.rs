//! Command implementations: each turns arguments into requests and prints the answers.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use hush_core::address::{Address, is_env_name};
use hush_core::api;
use hush_core::crypto::KdfParams;
use hush_core::duration::{parse_days, parse_duration};
use hush_core::event::{PutKind, TeamRole, VaultRole};
use hush_core::item::{format_time_ms, parse_date};
use hush_core::secret::SecretString;
use hush_core::session::{MetaUpdate, Session, system_clock};
use zeroize::Zeroizing;

use crate::backend::{self, Backend};
use crate::cli::{Cli, Command, RunArgs, SetArgs, TeamCommand, VaultCommand};

use crate::ctx::{Ctx, read_value_from_stdin};

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    let home = backend::resolve_home(cli.home)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ctx = Ctx {
        rt,
        home,
        team: cli.team,
        json: cli.json,
    };
    if backend::service_token()?.is_some() {
        crate::service::allowed_with_token(&cli.command)?;
    }
    match cli.command {
        Command::Init { name } => init(&ctx, &name),
        Command::Whoami => {
            let w = ctx.one(api::Whoami {})?;
            if ctx.json {
                ctx.print_json(&w)?;
            } else {
                println!("name:        {}", w.name);
                println!("device:      {}", w.device_id);
                println!("fingerprint: {}", w.fingerprint);
            }
            Ok(0)
        }
        Command::Team(t) => team(&ctx, t),
        Command::Vault(v) => vault(&ctx, v),
        Command::Set(args) => set(&ctx, args),
        Command::Get { address } => {
            let address = Address::parse(&address)?;
            let v = ctx.one(api::Get {
                team: ctx.team.clone(),
                address,
            })?;
            let mut out = std::io::stdout().lock();
            out.write_all(v.value.expose().as_bytes())?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(0)
        }
        Command::Ls { vault } => {
            let list = ctx.one(api::List {
                team: ctx.team.clone(),
                vault,
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for s in list {
                    println!("{}/{}", s.vault, s.name);
                }
            }
            Ok(0)
        }
        Command::Search { query, limit } => {
            let hits = ctx.one(api::Search { query, limit })?;
            if ctx.json {
                ctx.print_json(&hits)?;
            } else {
                let multi_team = hits.iter().any(|h| h.secret.team != hits[0].secret.team);
                for h in hits {
                    let s = h.secret;
                    if multi_team {
                        println!("{}/{}/{}", s.team, s.vault, s.name);
                    } else {
                        println!("{}/{}", s.vault, s.name);
                    }
                }
            }
            Ok(0)
        }
        Command::History { address, reveal } => {
            let address = Address::parse(&address)?;
            let versions = ctx.one(api::History {
                team: ctx.team.clone(),
                address,
                reveal,
            })?;
            if ctx.json {
                ctx.print_json(&versions)?;
            } else {
                for v in versions {
                    let kind = match v.kind {
                        PutKind::Set => "set",
                        PutKind::Rotation => "rotation",
                    };
                    let mut line = format!(
                        "v{}\t{}\t{}\t{kind}",
                        v.version,
                        format_time_ms(v.time_ms),
                        v.author
                    );
                    if let Some(value) = &v.value {
                        line.push('\t');
                        line.push_str(value.expose());
                    }
                    println!("{line}");
                }
            }
            Ok(0)
        }
        Command::Rm { address } => {
            let address = Address::parse(&address)?;
            ctx.one(api::Remove {
                team: ctx.team.clone(),
                address: address.clone(),
            })?;
            eprintln!("deleted {address}");
            Ok(0)
        }
        Command::Run(args) => run(&ctx, args),
        Command::Service(cmd) => crate::service::service(&ctx, cmd),
        Command::Inject {
            input,
            output,
            force,
        } => inject(&ctx, input, output, force),
        Command::Unlock { timeout } => unlock(&ctx, &timeout),
        Command::Lock => {
            match ctx
                .rt
                .block_on(hush_core::agent::AgentClient::connect(&ctx.home))
            {
                Some(mut c) => {
                    ctx.rt.block_on(c.call(api::Lock {}))?;
                    eprintln!("locked");
                }
                None => eprintln!("no agent was running"),
            }
            Ok(0)
        }
        Command::Passwd => passwd(&ctx),
        Command::Audit(args) => crate::lifecycle::audit(&ctx, args),
        Command::Agent { idle_secs } => agent(&ctx, idle_secs),
        Command::Invite { role, expires } => {
            let role = match role.as_str() {
                "member" => TeamRole::Member,
                "admin" => TeamRole::Admin,
                other => bail!("unknown role {other:?}: use member or admin"),
            };
            let ttl = parse_duration(&expires)?;
            let out = ctx.one(api::Invite {
                team: ctx.team.clone(),
                role,
                ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            })?;
            if ctx.json {
                ctx.print_json(&out)?;
            } else {
                eprintln!(
                    "Send this code to your teammate over a channel you trust (it expires {} UTC, single use):",
                    format_time_ms(out.expires_ms)
                );
                println!("{}", out.code);
                eprintln!(
                    "When they have run `hush join`, run `hush sync`, compare the safety code in `hush members` with theirs, then `hush admit NAME`."
                );
            }
            Ok(0)
        }
        Command::Join {
            code,
            name,
            relay,
            allow_http,
        } => {
            let out = ctx.one(api::Join {
                code,
                label: name,
                relay,
                allow_http,
            })?;
            if ctx.json {
                ctx.print_json(&out)?;
            } else {
                eprintln!(
                    "Join request sent. Read this safety code to the person who invited you; it must match theirs:"
                );
                println!("{}", out.safety_code);
                eprintln!("Once they admit you, `hush sync` brings the team to this device.");
            }
            Ok(0)
        }
        Command::Members => {
            let list = ctx.one(api::Members {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for m in list {
                    let code = m
                        .safety_code
                        .as_deref()
                        .map(|c| format!("\tsafety code {c}"))
                        .unwrap_or_default();
                    println!(
                        "{}\t{}\t{}\t{}{code}",
                        m.name,
                        m.id,
                        m.role.as_str(),
                        m.status
                    );
                }
            }
            Ok(0)
        }
        Command::Admit { member } => {
            let m = ctx.one(api::Admit {
                team: ctx.team.clone(),
                member,
            })?;
            eprintln!(
                "admitted {} as {}; `hush sync` to publish",
                m.name,
                m.role.as_str()
            );
            Ok(0)
        }
        Command::Remove { member } => {
            let removed = ctx.one(api::RemoveMember {
                team: ctx.team.clone(),
                member,
            })?;
            let (m, exposed) = (removed.member, removed.exposed);
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "removed": m, "exposed": exposed }))?;
            } else {
                eprintln!(
                    "removed {}: the team and their vaults were re-keyed; `hush sync` to publish",
                    m.name
                );
                print_exposed(&exposed);
            }
            Ok(0)
        }
        Command::Grant {
            vault,
            member,
            role,
        } => {
            let role = VaultRole::parse(&role)?;
            let a = ctx.one(api::Grant {
                team: ctx.team.clone(),
                vault: vault.clone(),
                member,
                role,
            })?;
            eprintln!("{} now has {} access to {vault}", a.name, a.role.as_str());
            Ok(0)
        }
        Command::Revoke { vault, member } => {
            let exposed = ctx.one(api::Revoke {
                team: ctx.team.clone(),
                vault: vault.clone(),
                member: member.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&exposed)?;
            } else {
                eprintln!("{member} no longer has access to {vault}; its key was rotated");
                print_exposed(&exposed);
            }
            Ok(0)
        }
        Command::Access { vault } => {
            let list = ctx.one(api::Access {
                team: ctx.team.clone(),
                vault,
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for a in list {
                    println!("{}\t{}\t{}", a.name, a.id, a.role.as_str());
                }
            }
            Ok(0)
        }
        Command::Sync => sync(&ctx),
        Command::Exposed => {
            let list = ctx.one(api::Exposed {})?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                print_exposed(&list);
            }
            Ok(0)
        }
        Command::Conflicts => {
            let list = ctx.one(api::Conflicts {})?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for c in list {
                    let v: Vec<String> = c.versions.iter().map(|v| format!("v{v}")).collect();
                    println!("{}\tversions {}", c.address, v.join(", "));
                }
            }
            Ok(0)
        }
        Command::Resolve { address, keep } => {
            let address = Address::parse(&address)?;
            let v = ctx.one(api::ResolveConflict {
                team: ctx.team.clone(),
                address: address.clone(),
                keep,
            })?;
            eprintln!("resolved {address}: kept v{keep} as v{v}");
            Ok(0)
        }
        Command::Status => crate::lifecycle::status(&ctx),
        Command::Rotate(args) => crate::lifecycle::rotate(&ctx, args),
        Command::Leaked { address, note } => crate::lifecycle::leaked(&ctx, &address, note),
        Command::Scan(args) => crate::scan::scan(&ctx.rt, &ctx.home, ctx.json, args),
        Command::Hook(cmd) => crate::scan::hook(cmd),
        Command::Import(cmd) => crate::transfer::import(&transfer_ctx(&ctx), cmd),
        Command::Export {
            vault,
            format,
            plaintext,
        } => crate::transfer::export(&transfer_ctx(&ctx), &vault, format, plaintext),
        Command::Backup { file, force } => {
            crate::transfer::backup(&transfer_ctx(&ctx), &file, force)
        }
        Command::Restore { file, force } => {
            crate::transfer::restore(&transfer_ctx(&ctx), &file, force)
        }
    }
}

fn transfer_ctx(ctx: &Ctx) -> crate::transfer::Ctx<'_> {
    crate::transfer::Ctx {
        rt: &ctx.rt,
        home: &ctx.home,
        team: ctx.team.as_deref(),
        json: ctx.json,
    }
}

fn init(ctx: &Ctx, name: &str) -> Result<i32> {
    if hush_core::store::Store::exists(&ctx.home) {
        return Err(hush_core::Error::AlreadyInitialized(ctx.home.clone()).into());
    }
    hush_core::identity::validate_display_name(name)?;
    let password = backend::new_password(backend::PASSWORD_ENV)?;
    if password.is_empty() {
        bail!("the master password must not be empty");
    }
    let session = ctx.rt.block_on(Session::init(
        &ctx.home,
        name,
        &password,
        KdfParams::DEFAULT,
        system_clock(),
    ))?;
    let who = session.whoami();
    ctx.rt.block_on(session.close());
    if ctx.json {
        ctx.print_json(&who)?;
    } else {
        eprintln!(
            "Created a Hush store in {} with a local team \"personal\".",
            ctx.home.display()
        );
        eprintln!("Your fingerprint (teammates compare it when they add you):");
        println!("{}", who.fingerprint);
    }
    Ok(0)
}

fn team(ctx: &Ctx, cmd: TeamCommand) -> Result<i32> {
    match cmd {
        TeamCommand::Create {
            name,
            relay,
            allow_http,
        } => {
            let mut b = ctx.backend()?;
            let r = ctx.rt.block_on(b.call(api::TeamCreate {
                name,
                relay: relay.clone(),
                allow_http,
            }));
            let t = match r {
                Ok(t) => t,
                Err(e) => {
                    ctx.rt.block_on(b.close());
                    return Err(e);
                }
            };
            eprintln!("created team {} and selected it", t.name);
            if relay.is_some() {
                let r = ctx.rt.block_on(b.call(api::Sync {
                    team: Some(t.name.clone()),
                    all: false,
                }));
                match r {
                    Ok(s) if s.iter().all(|o| o.error.is_none()) => {
                        eprintln!("published the team to its relay");
                    }
                    Ok(s) => {
                        for o in s {
                            if let Some((_, m)) = o.error {
                                eprintln!("hush: warning: {m}");
                            }
                        }
                    }
                    Err(e) => eprintln!("hush: warning: {e}"),
                }
            }
            ctx.rt.block_on(b.close());
            if ctx.json {
                ctx.print_json(&t)?;
            }
        }
        TeamCommand::Compared => {
            let st = status_of(
                ctx,
                api::TeamCompared {
                    team: ctx.team.clone(),
                },
            )?;
            if ctx.json {
                ctx.print_json(&st)?;
            } else {
                eprintln!(
                    "recorded: a teammate read state code {} at event {}",
                    st.state_code,
                    st.compared_seq.unwrap_or_default()
                );
            }
        }
        TeamCommand::Status => {
            let st = status_of(
                ctx,
                api::TeamStatus {
                    team: ctx.team.clone(),
                },
            )?;
            if ctx.json {
                ctx.print_json(&st)?;
            } else {
                println!("team:        {}", st.team);
                println!(
                    "relay:       {}",
                    st.relay.as_deref().unwrap_or("(none: local only)")
                );
                println!(
                    "last sync:   {}",
                    st.last_sync_ms.map_or_else(
                        || "never".to_owned(),
                        |t| format!("{} UTC", format_time_ms(t))
                    )
                );
                println!(
                    "head:        {}",
                    st.head_seq
                        .map_or_else(|| "(empty)".to_owned(), |s| format!("event {s}"))
                );
                println!(
                    "state code:  {}  (compare with teammates: equal codes, same history)",
                    st.state_code
                );
                println!(
                    "compared:    {}",
                    match (st.compared_ms, st.compared_seq) {
                        (Some(t), Some(seq)) if Some(seq) == st.head_seq => {
                            format!("{} UTC, at this head", format_time_ms(t))
                        }
                        (Some(t), Some(seq)) => format!(
                            "{} UTC, at event {seq} (compare again: `hush team compared`)",
                            format_time_ms(t)
                        ),
                        _ => "never (read the code to a teammate, then `hush team compared`)"
                            .to_owned(),
                    }
                );
                println!("outbox:      {} event(s) waiting to sync", st.outbox);
                println!("conflicts:   {}", st.conflicts);
                if st.joining {
                    println!("membership:  waiting to be admitted");
                }
                crate::witness::print_status(&st.witnesses);
                if let Some(a) = st.relay_alert {
                    println!("ALERT:       {a}");
                }
                for r in &st.rejected {
                    println!("NO EFFECT:   {r}");
                }
            }
        }
        TeamCommand::Devices => return crate::service::devices(ctx),
        TeamCommand::Witness(cmd) => return crate::witness::witness(ctx, cmd),
        TeamCommand::List => {
            let list = ctx.one(api::TeamList {})?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for t in list {
                    let mark = if t.selected { "*" } else { " " };
                    let relay = t.relay.as_deref().unwrap_or("(local)");
                    println!("{mark} {}\t{} vaults\t{relay}", t.name, t.vaults);
                }
            }
        }
        TeamCommand::Use { name } => {
            let t = ctx.one(api::TeamUse { name })?;
            eprintln!("selected team {}", t.name);
        }
    }
    Ok(0)
}

fn print_exposed(list: &[hush_core::membership::ExposedInfo]) {
    if list.is_empty() {
        eprintln!("no secrets need rotating");
        return;
    }
    eprintln!("Rotate these keys at their provider, then record the new value with `hush set`:");
    for e in list {
        println!(
            "{}/{}\t{} (since {} UTC)",
            e.team,
            e.address,
            e.reason,
            format_time_ms(e.since_ms)
        );
    }
}

/// An operation answered with a team's status.
fn status_of<O>(ctx: &Ctx, op: O) -> Result<hush_core::membership::TeamStatus>
where
    O: api::Op<Output = hush_core::membership::TeamStatus>,
{
    ctx.one(op)
}

fn sync(ctx: &Ctx) -> Result<i32> {
    let results = ctx.one(api::Sync {
        team: ctx.team.clone(),
        all: ctx.team.is_none(),
    })?;
    if ctx.json {
        ctx.print_json(&results)?;
    }
    if results.is_empty() && !ctx.json {
        eprintln!("no team syncs through a relay (hush team create TEAM --relay URL)");
    }
    let mut failed = false;
    for o in &results {
        match (&o.report, &o.error) {
            (Some(r), _) => {
                if !ctx.json {
                    if r.waiting_for_admission {
                        eprintln!("{}: waiting to be admitted", o.team);
                    } else {
                        eprintln!(
                            "{}: pulled {}, pushed {}; state code {}",
                            r.team, r.pulled, r.pushed, r.state_code
                        );
                    }
                    if r.pending_joins > 0 {
                        eprintln!(
                            "{}: {} join request(s) waiting: compare safety codes in `hush members`, then `hush admit NAME`",
                            r.team, r.pending_joins
                        );
                    }
                }
                // A lost write of this device, or a pulled event that could not be applied,
                // fails the sync (everything else it did is kept).
                for d in &r.dropped {
                    failed = true;
                    eprintln!(
                        "hush: error: {}: a change of this device was lost: {d}",
                        r.team
                    );
                }
                if !r.rejected.is_empty() {
                    failed = true;
                    eprintln!("hush: error: {}: {}", r.team, r.rejected.join("; "));
                }
                for d in &r.alerts {
                    eprintln!("hush: warning: {d}");
                }
            }
            (None, Some((_, message))) => {
                failed = true;
                eprintln!("hush: error: {}: {message}", o.team);
            }
            (None, None) => {}
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn vault(ctx: &Ctx, cmd: VaultCommand) -> Result<i32> {
    match cmd {
        VaultCommand::Create { name } => {
            let v = ctx.one(api::VaultCreate {
                team: ctx.team.clone(),
                name,
            })?;
            if ctx.json {
                ctx.print_json(&v)?;
            } else {
                eprintln!("created vault {} in team {}", v.name, v.team);
            }
        }
        VaultCommand::List => {
            let list = ctx.one(api::VaultList {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for v in list {
                    println!("{}", v.name);
                }
            }
        }
    }
    Ok(0)
}

fn set(ctx: &Ctx, args: SetArgs) -> Result<i32> {
    let address = Address::parse(&args.address)?;
    if let Some(d) = &args.expires {
        parse_date(d)?;
    }
    let rotate_every_days = args.rotate_every.as_deref().map(parse_days).transpose()?;
    let update = MetaUpdate {
        note: args.note,
        tags: if args.tags.is_empty() {
            None
        } else {
            Some(args.tags)
        },
        url: args.url,
        scope: args.scope,
        expires: args.expires,
        rotate_every_days,
    };
    // Open the backend (and ask for the password) before reading a value from stdin.
    let mut b = ctx.backend()?;
    let value = match args.value.as_deref() {
        None | Some("-") => read_value_from_stdin(&address)?,
        Some(v) => SecretString::new(v.to_owned()),
    };
    let r = ctx.rt.block_on(b.call(api::Set {
        team: ctx.team.clone(),
        address: address.clone(),
        value,
        update,
        kind: PutKind::Set,
    }));
    ctx.rt.block_on(b.close());
    let v = r?;
    eprintln!("set {address} (version {v})");
    Ok(0)
}

fn resolve_one(ctx: &Ctx, b: &mut Backend, reference: &str) -> Result<SecretString> {
    let mut v = ctx.rt.block_on(b.call(api::Resolve {
        team: ctx.team.clone(),
        references: vec![reference.to_owned()],
        usage: Some(hush_core::event::UsageAction::Run),
    }))?;
    match (v.pop(), v.is_empty()) {
        (Some(one), true) => Ok(one.value),
        _ => bail!("the agent answered a different number of values than asked for"),
    }
}

fn run(ctx: &Ctx, args: RunArgs) -> Result<i32> {
    let env_file = match &args.env_file {
        Some(p) => Some(Zeroizing::new(
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read env file {}", p.display()))?,
        )),
        None => None,
    };
    let mut b = ctx.backend()?;
    let mut env: Vec<(String, Zeroizing<String>)> = Vec::new();
    // Only values that came from a vault or a reference are concealed by --mask, not plain
    // settings such as PORT=80 from an env file.
    let mut conceal: Vec<(String, Zeroizing<String>)> = Vec::new();
    let put =
        |env: &mut Vec<(String, Zeroizing<String>)>, name: String, value: Zeroizing<String>| {
            env.retain(|(n, _)| *n != name);
            env.push((name, value));
        };
    for vault in &args.vaults {
        let values = ctx.rt.block_on(b.call(api::VaultValues {
            team: ctx.team.clone(),
            vault: vault.clone(),
        }))?;
        for nv in values {
            if is_env_name(&nv.name) {
                conceal.push((
                    nv.name.clone(),
                    Zeroizing::new(nv.value.expose().to_owned()),
                ));
                put(&mut env, nv.name, nv.value.into_zeroizing());
            } else {
                eprintln!(
                    "hush: warning: skipping {vault}/{}: not a valid environment variable name",
                    nv.name
                );
            }
        }
    }
    if let (Some(text), Some(path)) = (&env_file, &args.env_file) {
        let entries = hush_core::dotenv::parse(
            text,
            |k| std::env::var(k).ok(),
            |key: &str, raw: Zeroizing<String>| -> Result<Zeroizing<String>, hush_core::Error> {
                if raw.starts_with(hush_core::address::REF_PREFIX) {
                    let v = resolve_one(ctx, &mut b, raw.trim()).map_err(|e| {
                        e.downcast::<hush_core::Error>()
                            .unwrap_or_else(|e| hush_core::Error::Agent(e.to_string()))
                    })?;
                    conceal.push((key.to_owned(), Zeroizing::new(v.expose().to_owned())));
                    Ok(v.into_zeroizing())
                } else {
                    Ok(raw)
                }
            },
        )
        .map_err(|e| anyhow!("{}: {}", path.display(), one_error(&e)))?;
        for e in entries {
            if is_env_name(&e.key) {
                put(&mut env, e.key, e.value);
            } else {
                eprintln!(
                    "hush: warning: skipping {}: not a valid environment variable name",
                    e.key
                );
            }
        }
    }
    ctx.rt.block_on(b.close());
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| anyhow!("no command given: use hush run -- CMD [ARGS...]"))?;
    crate::run::run_child(
        program,
        rest,
        env,
        &crate::run::RunOptions {
            mask: args.mask,
            conceal,
        },
    )
}

fn one_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

fn inject(ctx: &Ctx, input: Option<PathBuf>, output: Option<PathBuf>, force: bool) -> Result<i32> {
    let template = match &input {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read template {}", p.display()))?,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the template from stdin")?;
            s
        }
    };
    if let Some(out) = &output
        && out.exists()
        && !force
    {
        bail!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        );
    }
    let refs = hush_core::template::references(&template)?;
    let mut values = HashMap::new();
    if !refs.is_empty() {
        let resolved = ctx.one(api::Resolve {
            team: ctx.team.clone(),
            references: refs,
            usage: Some(hush_core::event::UsageAction::Inject),
        })?;
        for nv in resolved {
            values.insert(nv.name, nv.value);
        }
    }
    let rendered = hush_core::template::render(&template, &values)?;
    match &output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(rendered.as_bytes())?;
            out.flush()?;
        }
        Some(path) => write_private_file(path, rendered.as_bytes(), force)?,
    }
    Ok(0)
}

/// Writes `data` to `path` with mode 0600: into a temporary file in the same directory, then
/// renamed over the target, so a failure never leaves a partial file.
fn write_private_file(path: &Path, data: &[u8], force: bool) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let nonce: [u8; 6] = hush_core::crypto::random_array();
    let tmp = dir.join(format!(
        ".{}.hush-tmp-{}",
        file_name.to_string_lossy(),
        hush_core::relay_proto::hex(&nonce)
    ));
    let result = (|| -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(data)?;
        f.sync_all()?;
        if !force && path.exists() {
            bail!(
                "{} already exists; pass --force to overwrite it",
                path.display()
            );
        }
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn unlock(ctx: &Ctx, timeout: &str) -> Result<i32> {
    let idle = parse_duration(timeout)?;
    if let Some(mut c) = ctx
        .rt
        .block_on(hush_core::agent::AgentClient::connect(&ctx.home))
    {
        // Replace a running agent so the new timeout applies.
        let _ = ctx.rt.block_on(c.call(api::Lock {}));
    }
    if !hush_core::store::Store::exists(&ctx.home) {
        return Err(hush_core::Error::NotInitialized(ctx.home.clone()).into());
    }
    let password = backend::password("Master password: ")?;
    let session = ctx
        .rt
        .block_on(Session::unlock(&ctx.home, &password, system_clock()))?;
    let key_hex = Zeroizing::new(data_encoding_hex(session.account_key().expose_bytes()));
    ctx.rt.block_on(session.close());

    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let exe = std::env::current_exe().context("cannot find the hush executable")?;
    let mut child = std::process::Command::new(exe)
        .arg("--home")
        .arg(&ctx.home)
        .arg("agent")
        .arg("--idle-secs")
        .arg(idle.as_secs().to_string())
        .env_remove(backend::PASSWORD_ENV)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C in this terminal must not kill the agent.
        .process_group(0)
        .spawn()
        .context("cannot start the agent")?;
    {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("agent stdin unavailable"))?;
        stdin.write_all(key_hex.as_bytes())?;
        stdin.write_all(b"\n")?;
    }
    let mut line = String::new();
    {
        use std::io::BufRead;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("agent stdout unavailable"))?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
    }
    if line.trim() != "ready" {
        let _ = child.kill();
        bail!("the agent failed to start");
    }
    eprintln!("unlocked; the agent locks after {timeout} without use (hush lock to lock now)");
    Ok(0)
}

fn data_encoding_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn agent(ctx: &Ctx, idle_secs: u64) -> Result<i32> {
    // Room for the key's 64 hex digits and a newline up front: growing would leave copies.
    let mut line = Zeroizing::new(String::with_capacity(128));
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the key")?;
    let hex = line.trim();
    if hex.len() != 64 {
        bail!("the agent expects a key on stdin");
    }
    let mut key = Zeroizing::new([0u8; 32]);
    for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).map_err(|_| anyhow!("bad key"))?;
        key[i] = u8::from_str_radix(s, 16).map_err(|_| anyhow!("bad key"))?;
    }
    let account = hush_core::secret::Key32::from_bytes(*key);
    let session = ctx
        .rt
        .block_on(Session::unlock_with_key(&ctx.home, account, system_clock()))?;
    ctx.rt.block_on(hush_core::agent::serve(
        session,
        Duration::from_secs(idle_secs.max(1)),
        || {
            println!("ready");
            let _ = std::io::stdout().flush();
        },
    ))?;
    Ok(0)
}

fn passwd(ctx: &Ctx) -> Result<i32> {
    let current = backend::password("Current master password: ")?;
    let mut session = ctx
        .rt
        .block_on(Session::unlock(&ctx.home, &current, system_clock()))?;
    let new = backend::new_password("HUSH_NEW_PASSWORD")?;
    ctx.rt.block_on(session.change_password(&new))?;
    ctx.rt.block_on(session.close());
    eprintln!("master password changed");
    Ok(0)
}
