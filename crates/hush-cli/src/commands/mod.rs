//! Command implementations: [`dispatch`] hands each parsed command to the module for its area
//! of the CLI, which turns the arguments into requests and prints the answers.

mod agent;
mod env;
mod members;
mod secrets;
mod store;
mod sync;
mod team;
mod vaults;

use anyhow::{Context, Result};

use crate::backend;
use crate::cli::{Cli, Command};
use crate::ctx::Ctx;

/// Runs a parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    // Needs no data directory: answer before resolving one.
    if let Command::Completions { shell } = &cli.command {
        return crate::complete::print_registration(shell);
    }
    if let Command::Manpages { dir } = &cli.command {
        return manpages(dir);
    }
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
        Command::Init { name } => store::init(&ctx, &name),
        Command::Whoami => store::whoami(&ctx),
        Command::Team(t) => team::team(&ctx, t),
        Command::Vault(v) => vaults::vault(&ctx, v),
        Command::Env(e) => env::env(&ctx, e),
        Command::Override(o) => env::overrides(&ctx, o),
        Command::Set(args) => secrets::set(&ctx, args),
        Command::Get { address } => secrets::get(&ctx, &address),
        Command::Ls { vault } => secrets::ls(&ctx, vault),
        Command::Search { query, limit } => secrets::search(&ctx, query, limit),
        Command::History { address, reveal } => secrets::history(&ctx, &address, reveal),
        Command::Rm { address } => secrets::rm(&ctx, &address),
        Command::Run(args) => crate::run::run(&ctx, args),
        Command::Service(cmd) => crate::service::service(&ctx, cmd),
        Command::Inject {
            input,
            output,
            force,
        } => crate::run::inject(&ctx, input, output, force),
        Command::Unlock { timeout } => agent::unlock(&ctx, &timeout),
        Command::Lock => agent::lock(&ctx),
        Command::Passwd => store::passwd(&ctx),
        Command::Audit(args) => crate::lifecycle::audit(&ctx, args),
        Command::Agent { idle_secs } => agent::agent(&ctx, idle_secs),
        Command::Completions { .. } | Command::Manpages { .. } => unreachable!("answered above"),
        Command::Invite { role, expires } => members::invite(&ctx, &role, &expires),
        Command::Join {
            code,
            name,
            relay,
            allow_http,
        } => members::join(&ctx, code, name, relay, allow_http),
        Command::Members => members::members(&ctx),
        Command::Admit { member } => members::admit(&ctx, member),
        Command::Remove { member } => members::remove(&ctx, member),
        Command::Grant {
            vault,
            member,
            role,
        } => vaults::grant(&ctx, vault, member, &role),
        Command::Revoke { vault, member } => vaults::revoke(&ctx, vault, member),
        Command::Access { vault } => vaults::access(&ctx, vault),
        Command::Sync => sync::sync(&ctx),
        Command::Exposed => crate::lifecycle::exposed(&ctx),
        Command::Conflicts => sync::conflicts(&ctx),
        Command::Resolve { address, keep } => sync::resolve(&ctx, &address, keep),
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

/// `hush manpages DIR`: one page per command, generated from the same definitions as `--help`.
fn manpages(dir: &std::path::Path) -> Result<i32> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let before = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .count();
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
    let pages = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
        .count();
    eprintln!(
        "wrote {pages} man pages into {} ({} files were there before); read them with man -l {}/hush.1",
        dir.display(),
        before,
        dir.display()
    );
    Ok(0)
}
