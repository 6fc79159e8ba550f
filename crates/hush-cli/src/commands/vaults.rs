//! Vaults and who may open them: `hush vault create|list`, `hush grant`, `hush revoke` and
//! `hush access`.

use anyhow::Result;
use hush_core::api;
use hush_core::event::VaultRole;

use crate::cli::VaultCommand;
use crate::ctx::Ctx;
use crate::lifecycle::print_exposed;

/// `hush vault ...`
pub(super) fn vault(ctx: &Ctx, cmd: VaultCommand) -> Result<i32> {
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

/// `hush grant VAULT MEMBER --role R`.
pub(super) fn grant(ctx: &Ctx, vault: String, member: String, role: &str) -> Result<i32> {
    let role = VaultRole::parse(role)?;
    let a = ctx.one(api::Grant {
        team: ctx.team.clone(),
        vault: vault.clone(),
        member,
        role,
    })?;
    eprintln!("{} now has {} access to {vault}", a.name, a.role.as_str());
    Ok(0)
}

/// `hush revoke VAULT MEMBER`.
pub(super) fn revoke(ctx: &Ctx, vault: String, member: String) -> Result<i32> {
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

/// `hush access VAULT`.
pub(super) fn access(ctx: &Ctx, vault: String) -> Result<i32> {
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
