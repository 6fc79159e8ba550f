//! Sharing through the relay: `hush sync` pushes and pulls, `hush conflicts` lists the secrets
//! concurrent edits left undecided, `hush resolve` decides one.

use anyhow::Result;
use hush_core::address::Address;
use hush_core::api;

use crate::ctx::Ctx;

/// `hush sync`: exit 1 when some team failed, a change of this device was lost, or a pulled
/// event had no effect; what did work is kept either way.
pub(super) fn sync(ctx: &Ctx) -> Result<i32> {
    let results = ctx.one(api::Sync {
        team: ctx.team.clone(),
        all: ctx.team.is_none(),
    })?;
    if ctx.json {
        ctx.print_json(&results)?;
    }
    if results.is_empty() && !ctx.json {
        eprintln!("no team syncs through a relay (hush team create TEAM --relay URL)");
    }
    let mut failed = false;
    for o in &results {
        match (&o.report, &o.error) {
            (Some(r), _) => {
                if !ctx.json {
                    if r.waiting_for_admission {
                        eprintln!("{}: waiting to be admitted", o.team);
                    } else {
                        eprintln!(
                            "{}: pulled {}, pushed {}; state code {}",
                            r.team, r.pulled, r.pushed, r.state_code
                        );
                    }
                    if r.pending_joins > 0 {
                        eprintln!(
                            "{}: {} join request(s) waiting: compare safety codes in `hush members`, then `hush admit NAME`",
                            r.team, r.pending_joins
                        );
                    }
                }
                // A lost write of this device, or a pulled event that could not be applied,
                // fails the sync (everything else it did is kept).
                for d in &r.dropped {
                    failed = true;
                    eprintln!(
                        "hush: error: {}: a change of this device was lost: {d}",
                        r.team
                    );
                }
                if !r.rejected.is_empty() {
                    failed = true;
                    eprintln!("hush: error: {}: {}", r.team, r.rejected.join("; "));
                }
                for d in &r.alerts {
                    eprintln!("hush: warning: {d}");
                }
            }
            (None, Some((_, message))) => {
                failed = true;
                let hint = o.hint.map(crate::hint::words).unwrap_or_default();
                eprintln!("hush: error: {}: {message}{hint}", o.team);
            }
            (None, None) => {}
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `hush conflicts`.
pub(super) fn conflicts(ctx: &Ctx) -> Result<i32> {
    let list = ctx.one(api::Conflicts {})?;
    if ctx.json {
        ctx.print_json(&list)?;
    } else {
        for c in list {
            let v: Vec<String> = c.versions.iter().map(|v| format!("v{v}")).collect();
            println!("{}\tversions {}", c.address, v.join(", "));
        }
    }
    Ok(0)
}

/// `hush resolve VAULT/NAME --keep N`.
pub(super) fn resolve(ctx: &Ctx, address: &str, keep: u32) -> Result<i32> {
    let address = Address::parse(address)?;
    let v = ctx.one(api::ResolveConflict {
        team: ctx.team.clone(),
        address: address.clone(),
        keep,
    })?;
    eprintln!("resolved {address}: kept v{keep} as v{v}");
    Ok(0)
}
