//! `hush team ...`: creating, listing and selecting teams, and a team's status and state code
//! (`devices` and `witness` are answered by [`crate::service`] and [`crate::witness`]).

use anyhow::Result;
use hush_core::api;
use hush_core::item::format_time_ms;
use hush_core::membership::TeamStatus;

use crate::backend::Backend;
use crate::cli::TeamCommand;
use crate::ctx::Ctx;

/// `hush team ...`
pub(super) fn team(ctx: &Ctx, cmd: TeamCommand) -> Result<i32> {
    match cmd {
        TeamCommand::Create {
            name,
            relay,
            allow_http,
        } => {
            let publish = relay.is_some();
            let t = ctx.with_backend(|b| {
                let t = ctx.rt.block_on(b.call(api::TeamCreate {
                    name,
                    relay,
                    allow_http,
                }))?;
                eprintln!("created team {} and selected it", t.name);
                if publish {
                    publish_new_team(ctx, b, &t.name);
                }
                Ok(t)
            })?;
            if ctx.json {
                ctx.print_json(&t)?;
            }
        }
        TeamCommand::Compared => {
            let st = ctx.one(api::TeamCompared {
                team: ctx.team.clone(),
            })?;
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
            let st = ctx.one(api::TeamStatus {
                team: ctx.team.clone(),
            })?;
            if ctx.json {
                ctx.print_json(&st)?;
            } else {
                print_status(st);
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

/// The first sync of a team just created with a relay. The team exists either way, so a
/// failure is a warning, not an error.
fn publish_new_team(ctx: &Ctx, b: &mut Backend, team: &str) {
    let r = ctx.rt.block_on(b.call(api::Sync {
        team: Some(team.to_owned()),
        all: false,
    }));
    match r {
        Ok(s) if s.iter().all(|o| o.error.is_none()) => {
            eprintln!("published the team to its relay");
        }
        Ok(s) => {
            for o in s {
                if let Some((_, m)) = o.error {
                    let hint = o.hint.map(crate::hint::words).unwrap_or_default();
                    eprintln!("hush: warning: {m}{hint}");
                }
            }
        }
        Err(e) => eprintln!("hush: warning: {e}"),
    }
}

/// The human form of `hush team status`.
fn print_status(st: TeamStatus) {
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
            _ => "never (read the code to a teammate, then `hush team compared`)".to_owned(),
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
