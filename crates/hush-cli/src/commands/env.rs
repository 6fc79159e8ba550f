//! A vault as an engineer's environment: `hush env diff` and `hush env check` compare by name
//! (values are compared inside the core and never printed), and `hush override` keeps a
//! person's own values for team secrets on this device.

use anyhow::{Context, Result};
use hush_core::api;

use hush_core::address::Address;

use crate::cli::{EnvCommand, OverrideCommand};
use crate::ctx::Ctx;

/// `hush env ...`: exit 1 when the vaults differ or a key is missing.
pub(super) fn env(ctx: &Ctx, cmd: EnvCommand) -> Result<i32> {
    match cmd {
        EnvCommand::Diff { left, right } => {
            let d = ctx.one(api::EnvDiff {
                team: ctx.team.clone(),
                left: left.clone(),
                right: right.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&d)?;
            } else {
                for n in &d.only_left {
                    println!("only in {left}\t{n}");
                }
                for n in &d.only_right {
                    println!("only in {right}\t{n}");
                }
                for n in &d.differ {
                    println!("differs\t{n}");
                }
                eprintln!(
                    "{left} and {right}: {} only in {left}, {} only in {right}, {} differ, {} the same",
                    d.only_left.len(),
                    d.only_right.len(),
                    d.differ.len(),
                    d.same
                );
            }
            Ok(i32::from(!d.is_empty()))
        }
        EnvCommand::Check { vault, example } => {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(&example)
                    .with_context(|| format!("cannot read {}", example.display()))?,
            );
            let parsed = hush_core::dotenv::parse(
                &text,
                |_| None,
                |_, v| Ok::<_, std::convert::Infallible>(v),
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", example.display()))?;
            for w in &parsed.warnings {
                eprintln!(
                    "hush: warning: {}:{}: {}",
                    example.display(),
                    w.line,
                    w.message
                );
            }
            let names: Vec<String> = parsed.entries.into_iter().map(|e| e.key).collect();
            let r = ctx.one(api::EnvCheck {
                team: ctx.team.clone(),
                vault: vault.clone(),
                names,
            })?;
            if ctx.json {
                ctx.print_json(&r)?;
            } else {
                for n in &r.missing {
                    println!("missing in {vault}\t{n}");
                }
                if r.missing.is_empty() {
                    eprintln!(
                        "{vault} holds all {} keys of {}",
                        r.present,
                        example.display()
                    );
                } else {
                    eprintln!(
                        "hush: error: {vault} lacks {} of the {} keys of {}",
                        r.missing.len(),
                        r.missing.len() + r.present,
                        example.display()
                    );
                }
            }
            Ok(i32::from(!r.missing.is_empty()))
        }
    }
}

/// `hush override set|rm|ls`.
pub(super) fn overrides(ctx: &Ctx, cmd: OverrideCommand) -> Result<i32> {
    match cmd {
        OverrideCommand::Set { address, value } => {
            let address = Address::parse(&address)?;
            let info = ctx.with_value(&address, value.as_deref(), |value| api::OverrideSet {
                team: ctx.team.clone(),
                address: address.clone(),
                value,
            })?;
            if ctx.json {
                ctx.print_json(&info)?;
            } else {
                let what = if info.team_value {
                    "instead of the team's value"
                } else {
                    "(the team has no value by that name)"
                };
                eprintln!(
                    "override set for {}/{} in team {}: your get, run and inject use it {what}; it never leaves this device",
                    info.vault, info.name, info.team
                );
            }
            Ok(0)
        }
        OverrideCommand::Rm { address } => {
            let parsed = Address::parse(&address)?;
            let removed = ctx.one(api::OverrideRemove {
                team: ctx.team.clone(),
                address: parsed,
            })?;
            if removed {
                eprintln!("override of {address} removed: the team's value is used again");
                Ok(0)
            } else {
                eprintln!("hush: error: you have no override of {address}");
                Ok(1)
            }
        }
        OverrideCommand::Ls => {
            let list = ctx.one(api::OverrideList {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else {
                for o in &list {
                    println!(
                        "{}/{}/{}\tset {}{}",
                        o.team,
                        o.vault,
                        o.name,
                        hush_core::item::format_time_ms(o.set_ms),
                        if o.team_value {
                            ""
                        } else {
                            "\t(no team value)"
                        }
                    );
                }
            }
            Ok(0)
        }
    }
}
