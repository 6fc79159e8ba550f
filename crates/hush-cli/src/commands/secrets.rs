//! Secrets one at a time: `hush set`, `hush get`, `hush ls`, `hush search`, `hush history` and
//! `hush rm`.

use anyhow::Result;
use hush_core::address::Address;
use hush_core::api;
use hush_core::duration::parse_days;
use hush_core::event::PutKind;
use hush_core::item::{format_time_ms, parse_date};
use hush_core::session::MetaUpdate;

use crate::cli::SetArgs;
use crate::ctx::{Ctx, write_stdout};

/// `hush set VAULT/NAME [VALUE] [--note ...]`.
pub(super) fn set(ctx: &Ctx, args: SetArgs) -> Result<i32> {
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
    let v = ctx.with_value(&address, args.value.as_deref(), |value| api::Set {
        team: ctx.team.clone(),
        address: address.clone(),
        value,
        update,
        kind: PutKind::Set,
    })?;
    eprintln!("set {address} (version {v})");
    Ok(0)
}

/// `hush get VAULT/NAME`: the value and a newline on stdout, nothing else.
pub(super) fn get(ctx: &Ctx, address: &str) -> Result<i32> {
    let address = Address::parse(address)?;
    let shown = address.to_string();
    let v = ctx.one(api::Get {
        team: ctx.team.clone(),
        address,
    })?;
    if v.overridden {
        crate::ctx::override_note(&shown);
    }
    write_stdout(&[v.value.expose().as_bytes(), b"\n"])?;
    Ok(0)
}

/// `hush ls [VAULT]`.
pub(super) fn ls(ctx: &Ctx, vault: Option<String>) -> Result<i32> {
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

/// `hush search QUERY [--limit N]`.
pub(super) fn search(ctx: &Ctx, query: String, limit: usize) -> Result<i32> {
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

/// `hush history VAULT/NAME [--reveal]`.
pub(super) fn history(ctx: &Ctx, address: &str, reveal: bool) -> Result<i32> {
    let address = Address::parse(address)?;
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

/// `hush rm VAULT/NAME`.
pub(super) fn rm(ctx: &Ctx, address: &str) -> Result<i32> {
    let address = Address::parse(address)?;
    ctx.one(api::Remove {
        team: ctx.team.clone(),
        address: address.clone(),
    })?;
    eprintln!("deleted {address}");
    Ok(0)
}
