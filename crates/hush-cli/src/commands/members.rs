//! Who is in a team: `hush invite` and `hush join` bring a device in, `hush members` lists
//! them with their safety codes, `hush admit` lets a pending one in, `hush remove` takes one out.

use anyhow::{Result, bail};
use hush_core::api;
use hush_core::duration::parse_duration;
use hush_core::event::TeamRole;
use hush_core::item::format_time_ms;

use crate::ctx::Ctx;
use crate::lifecycle::print_exposed;

/// `hush invite [--role R] [--expires T]`.
pub(super) fn invite(ctx: &Ctx, role: &str, expires: &str) -> Result<i32> {
    let role = match role {
        "member" => TeamRole::Member,
        "admin" => TeamRole::Admin,
        other => bail!("unknown role {other:?}: use member or admin"),
    };
    let ttl = parse_duration(expires)?;
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

/// `hush join CODE [--name N] [--relay URL] [--allow-http]`.
pub(super) fn join(
    ctx: &Ctx,
    code: String,
    label: Option<String>,
    relay: Option<String>,
    allow_http: bool,
) -> Result<i32> {
    let out = ctx.one(api::Join {
        code,
        label,
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

/// `hush members`.
pub(super) fn members(ctx: &Ctx) -> Result<i32> {
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

/// `hush admit MEMBER`.
pub(super) fn admit(ctx: &Ctx, member: String) -> Result<i32> {
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

/// `hush remove MEMBER`.
pub(super) fn remove(ctx: &Ctx, member: String) -> Result<i32> {
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
