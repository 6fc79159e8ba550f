//! `hush service ...`, `hush team devices`, and what a service token may do.
//!
//! With `HUSH_SERVICE_TOKEN` set, `hush` acts as that service identity: the session lives in
//! memory (pulled and verified from the relay), so only commands that read make sense.

use anyhow::{Result, anyhow, bail};
use hush_core::api;
use hush_core::item::format_time_ms;

use crate::cli::{Command, ServiceCommand, VaultCommand};
use crate::ctx::{Ctx, now_ms, write_stdout};

/// Refuses commands a service identity cannot run, before anything touches the disk.
pub fn allowed_with_token(cmd: &Command) -> Result<()> {
    let ok = matches!(
        cmd,
        Command::Get { .. }
            | Command::Run(_)
            | Command::Inject { .. }
            | Command::Ls { .. }
            | Command::Search { .. }
            | Command::Scan(_)
            | Command::Whoami
            | Command::Vault(VaultCommand::List)
            | Command::Env(_)
    );
    if ok {
        Ok(())
    } else {
        bail!(
            "with {} set, hush acts as a read-only service identity: only get, run, inject, ls, \
             search, scan, whoami, vault list and env work (unset it for other commands)",
            hush_core::service::TOKEN_ENV
        )
    }
}

/// `hush service ...`
pub(crate) fn service(ctx: &Ctx, cmd: ServiceCommand) -> Result<i32> {
    match cmd {
        ServiceCommand::Create {
            name,
            vaults,
            expires,
        } => {
            let lifetime = hush_core::duration::parse_duration_ms(&expires).map_err(|_| {
                anyhow!("invalid lifetime {expires:?}: use e.g. 30d, 12w, 1y (or 2h for a trial)")
            })?;
            let expires_ms = now_ms()
                .checked_add(lifetime)
                .ok_or_else(|| anyhow!("lifetime {expires:?} is too long"))?;
            let created = ctx.one(api::ServiceCreate {
                team: ctx.team.clone(),
                name,
                vaults,
                expires_ms,
            })?;
            let s = &created.service;
            eprintln!(
                "created service identity {} (read-only on {}), expires {} UTC",
                s.name,
                s.vaults.join(", "),
                format_time_ms(s.expires_ms)
            );
            if !created.synced {
                eprintln!(
                    "hush: warning: the relay could not be reached; the token works after this \
                     device syncs (hush sync)"
                );
            }
            eprintln!(
                "store the token in your CI's secret store as {}; it is shown only once:",
                hush_core::service::TOKEN_ENV
            );
            if ctx.json {
                ctx.print_json(&created)?;
            } else {
                write_stdout(&[created.token.expose().as_bytes(), b"\n"])?;
            }
            Ok(0)
        }
        ServiceCommand::List => {
            let list = ctx.one(api::ServiceList {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else if list.is_empty() {
                eprintln!("no service identities (create one with hush service create)");
            } else {
                for s in list {
                    println!(
                        "{}\t{}\texpires {} UTC\t{}",
                        s.name,
                        s.status,
                        format_time_ms(s.expires_ms),
                        s.vaults.join(",")
                    );
                }
            }
            Ok(0)
        }
        ServiceCommand::Revoke { name } => {
            let api::ServiceRevoked { service, exposed } = ctx.one(api::ServiceRevoke {
                team: ctx.team.clone(),
                name,
            })?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "service": service, "exposed": exposed }))?;
                return Ok(0);
            }
            eprintln!(
                "revoked service identity {}; its vaults were re-keyed and the relay refuses it",
                service.name
            );
            if !exposed.is_empty() {
                eprintln!(
                    "if its token may have leaked, rotate these at their providers, then \
                     `hush rotate VAULT/NAME`:"
                );
                for e in exposed {
                    println!("{}", e.address);
                }
            }
            Ok(0)
        }
    }
}

/// `hush team devices`
pub(crate) fn devices(ctx: &Ctx) -> Result<i32> {
    let list = ctx.one(api::DeviceActivity {
        team: ctx.team.clone(),
    })?;
    if ctx.json {
        ctx.print_json(&list)?;
        return Ok(0);
    }
    for d in list {
        println!(
            "{}\t{}\t{}\t{} requests\t{}",
            d.name,
            d.role,
            d.last_seen_ms.map_or_else(
                || "never seen".to_owned(),
                |t| format!("last seen {} UTC", format_time_ms(t))
            ),
            d.requests,
            if d.ips.is_empty() {
                "-".to_owned()
            } else {
                d.ips.join(",")
            }
        );
    }
    Ok(0)
}
