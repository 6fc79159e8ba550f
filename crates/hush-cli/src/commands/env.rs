//! `hush env diff` and `hush env check`: vaults as environments, compared by name (values are
//! compared inside the core and never printed).

use anyhow::{Context, Result};
use hush_core::api;

use crate::cli::EnvCommand;
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
