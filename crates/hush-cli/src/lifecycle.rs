//! `hush status`, `hush exposed`, `hush rotate`, `hush leaked` and `hush audit [verify]`: the
//! key lifecycle.

use anyhow::{Result, bail};
use hush_core::address::Address;
use hush_core::api;
use hush_core::audit::{ActivityFilter, VerifyReport};
use hush_core::item::{format_time_ms, parse_date};
use hush_core::lifecycle::KeyState;
use hush_core::membership::ExposedInfo;

use crate::backend;
use crate::cli::{AuditArgs, AuditCommand, RotateArgs};
use crate::ctx::{Ctx, now_ms};

/// `hush status`: exit 0 whatever it finds (it is a report).
pub(crate) fn status(ctx: &Ctx) -> Result<i32> {
    let r = ctx.one(api::KeyStatus {
        team: ctx.team.clone(),
    })?;
    if ctx.json {
        ctx.print_json(&r)?;
        return Ok(0);
    }
    if r.keys.is_empty() {
        eprintln!("no secret is due, overdue, expired or exposed");
    }
    for k in &r.keys {
        println!(
            "{}/{}\t{}\t{} (since {} UTC)",
            k.team,
            k.address,
            k.state.as_str(),
            k.reason,
            format_time_ms(k.since_ms)
        );
    }
    if r.conflicts > 0 {
        println!(
            "conflicts: {} secret(s) edited concurrently (see `hush conflicts`)",
            r.conflicts
        );
    } else {
        println!("conflicts: 0");
    }
    for a in &r.alerts {
        let since = a
            .since_ms
            .map(|t| format!(" (since {} UTC)", format_time_ms(t)))
            .unwrap_or_default();
        let next = a
            .hint
            .map(|h| crate::hint::for_subject(h, &a.subject))
            .unwrap_or_default();
        println!("ALERT: {}: {}{next}{since}", a.team, a.detail);
    }
    if r.keys.iter().any(|k| k.state == KeyState::Exposed) {
        eprintln!(
            "Rotate exposed keys at their provider first, then record each new value with `hush rotate VAULT/NAME`."
        );
    }
    Ok(0)
}

/// `hush exposed`.
pub(crate) fn exposed(ctx: &Ctx) -> Result<i32> {
    let list = ctx.one(api::Exposed {})?;
    if ctx.json {
        ctx.print_json(&list)?;
    } else {
        print_exposed(&list);
    }
    Ok(0)
}

/// The keys to rotate at their provider, and why: `hush exposed`, and what `hush remove` and
/// `hush revoke` exposed.
pub(crate) fn print_exposed(list: &[ExposedInfo]) {
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

/// `hush rotate VAULT/NAME [VALUE] [--expires DATE]`.
pub(crate) fn rotate(ctx: &Ctx, args: RotateArgs) -> Result<i32> {
    let address = Address::parse(&args.address)?;
    if let Some(d) = &args.expires {
        parse_date(d)?;
    }
    let v = ctx.with_value(&address, args.value.as_deref(), |value| api::Rotate {
        team: ctx.team.clone(),
        address: address.clone(),
        value,
        expires: args.expires,
    })?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "address": address.to_string(), "version": v }))?;
    } else {
        eprintln!("rotated {address}: version {v} recorded as a rotation; `hush sync` to share it");
    }
    Ok(0)
}

/// `hush leaked VAULT/NAME [--note TEXT]`.
pub(crate) fn leaked(ctx: &Ctx, address: &str, note: Option<String>) -> Result<i32> {
    let address = Address::parse(address)?;
    let r = ctx.one(api::Leaked {
        team: ctx.team.clone(),
        address: address.clone(),
        note: note.unwrap_or_default(),
    })?;
    if ctx.json {
        ctx.print_json(&r)?;
        return Ok(0);
    }
    eprintln!(
        "marked {}/{} (version {}) as leaked: {}",
        r.team, r.address, r.version, r.reason
    );
    eprintln!("Everyone who could read this value (they may hold a copy):");
    for p in &r.readers {
        println!("{}\t{}\t{}", p.name, p.id, p.status);
    }
    let at = r
        .url
        .as_deref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    eprintln!("What to do now:");
    eprintln!("  1. `hush sync` so every teammate sees the key as exposed");
    eprintln!("  2. rotate the key at its provider{at} and revoke the old value there");
    eprintln!(
        "  3. `hush rotate {}` with the new value (clears \"exposed\")",
        r.address
    );
    eprintln!(
        "  4. `hush audit --vault {}` to review who used it",
        r.address.split('/').next().unwrap_or_default()
    );
    Ok(0)
}

/// `hush audit ...`.
pub(crate) fn audit(ctx: &Ctx, args: AuditArgs) -> Result<i32> {
    match args.command {
        Some(AuditCommand::Verify) => verify(ctx),
        None => timeline(ctx, args),
    }
}

fn timeline(ctx: &Ctx, args: AuditArgs) -> Result<i32> {
    let since_ms = args
        .since
        .as_deref()
        .map(|s| hush_core::duration::parse_since(s, now_ms()))
        .transpose()?;
    if args.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    let filter = ActivityFilter {
        vault: args.vault,
        member: args.member,
        since_ms,
        action: args.action,
    };
    let entries = ctx.one(api::Audit {
        team: ctx.team.clone(),
        filter,
        limit: args.limit.unwrap_or(usize::MAX),
    })?;
    if ctx.json {
        ctx.print_json(&entries)?;
        return Ok(0);
    }
    if entries.is_empty() {
        eprintln!("no matching entries");
    }
    for e in entries {
        let detail = match (e.action.as_str(), e.detail) {
            ("used", Some(how)) => format!(" ({how})"),
            (_, Some(d)) => format!(": {d}"),
            (_, None) => String::new(),
        };
        println!(
            "{} UTC\t{}\t{}\t{}{detail}",
            format_time_ms(e.time_ms),
            e.actor,
            e.action,
            e.target
        );
    }
    Ok(0)
}

/// Verifies through the agent when one runs, else straight from the store (without loading a
/// session, so a damaged log is still examined and its first bad position reported).
fn verify(ctx: &Ctx) -> Result<i32> {
    let report: VerifyReport = match ctx.agent() {
        Some(mut c) => ctx.rt.block_on(c.call(api::AuditVerify {}))?,
        None => {
            if !hush_core::store::Store::exists(&ctx.home) {
                return Err(hush_core::Error::NotInitialized(ctx.home.clone()).into());
            }
            let password = backend::password("Master password: ")?;
            ctx.rt.block_on(async {
                let store = hush_core::store::Store::open(&ctx.home).await?;
                let r = async {
                    let account = hush_core::session::unwrap_account_key(&store, &password).await?;
                    hush_core::audit::verify_store(&store, &account).await
                }
                .await;
                store.close().await;
                r
            })?
        }
    };
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "events_verified": report.events,
            "teams": report.teams,
        }))?;
        return Ok(0);
    }
    println!(
        "ok: {} events verified (signatures, hash chain, checkpoints)",
        report.events
    );
    for t in &report.teams {
        let head = t
            .head_seq
            .map_or_else(|| "empty".to_owned(), |s| format!("head event {s}"));
        println!("{}\t{head}\tstate code {}", t.team, t.state_code);
        for r in &t.rejected {
            println!("{}\tno effect: {r}", t.team);
        }
    }
    Ok(0)
}
