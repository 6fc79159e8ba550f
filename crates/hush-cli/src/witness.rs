//! `hush team witness ...`: the witnesses a team requires (see `hush_core::witness`).

use anyhow::Result;
use hush_core::api;
use hush_core::witness::WitnessInfo;

use crate::cli::WitnessCommand;
use crate::ctx::Ctx;

fn last_seen(w: &WitnessInfo) -> String {
    w.last_seq.map_or_else(
        || "never seen co-signing".to_owned(),
        |s| format!("co-signed event {s}"),
    )
}

/// `hush team witness ...`
pub(crate) fn witness(ctx: &Ctx, cmd: WitnessCommand) -> Result<i32> {
    match cmd {
        WitnessCommand::Add { url, key } => {
            let added = ctx.one(api::WitnessAdd {
                team: ctx.team.clone(),
                url,
                key,
            })?;
            if ctx.json {
                ctx.print_json(&added)?;
            } else {
                let w = &added.witness;
                eprintln!("the team now requires witness {}", w.url);
                println!("key:         {}", w.key);
                println!("fingerprint: {}", w.fingerprint);
                eprintln!(
                    "compare the fingerprint with the witness's operator; every member's sync now \
                     checks the relay's log against it ({})",
                    last_seen(w)
                );
            }
        }
        WitnessCommand::List => {
            let list = ctx.one(api::WitnessList {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&list)?;
            } else if list.is_empty() {
                eprintln!("this team requires no witness (add one: hush team witness add URL)");
            } else {
                for w in &list {
                    println!("{}\t{}\t{}", w.url, w.fingerprint, last_seen(w));
                }
            }
        }
        WitnessCommand::Remove { url } => {
            ctx.one(api::WitnessRemove {
                team: ctx.team.clone(),
                witness: url.clone(),
            })?;
            eprintln!("the team no longer requires witness {url}");
        }
    }
    Ok(0)
}

/// The witness lines of `hush team status`.
pub(crate) fn print_status(list: &[WitnessInfo]) {
    if list.is_empty() {
        println!("witnesses:   none");
        return;
    }
    for w in list {
        let state = if w.co_signed {
            "co-signed the last sync"
        } else {
            "has NOT co-signed the current head"
        };
        println!("witness:     {} ({state}; {})", w.url, last_seen(w));
    }
}
