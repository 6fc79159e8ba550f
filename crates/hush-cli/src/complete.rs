//! Shell completion: `hush completions SHELL` prints a registration script; at each TAB the shell
//! runs `hush` again with [`COMPLETE_ENV`] set, and clap_complete answers from the command
//! definitions — with vault and secret names read from the running agent, when there is one.
//!
//! Names come only from an unlocked agent: completion never prompts for a password, never opens
//! the store itself, and prints nothing extra when the agent is locked or absent (the shell then
//! offers no names). Values are never read.

use std::io::Write;

use anyhow::{Result, bail};
use clap_complete::CompletionCandidate;
use clap_complete::env::Shells;
use hush_core::agent::AgentClient;
use hush_core::api;

/// The variable that turns a run of `hush` into a completion request.
pub const COMPLETE_ENV: &str = "HUSH_COMPLETE";

/// The shells `hush completions` knows.
pub fn shells() -> Vec<&'static str> {
    Shells::builtins().names().collect()
}

/// `hush completions SHELL`: the registration script on stdout.
pub fn print_registration(shell: &str) -> Result<i32> {
    let builtins = Shells::builtins();
    let Some(completer) = builtins.completer(shell) else {
        bail!(
            "no completions for the shell `{shell}`; one of: {}",
            shells().join(", ")
        );
    };
    let mut out = Vec::new();
    completer.write_registration(COMPLETE_ENV, "hush", "hush", "hush", &mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(0)
}

/// Asks the running agent of the data directory (`HUSH_HOME`, else the default), if any.
fn from_agent<T>(ask: impl AsyncFnOnce(&mut AgentClient) -> Option<T>) -> Option<T> {
    let home =
        hush_core::local::resolve_home(std::env::var_os("HUSH_HOME").map(Into::into)).ok()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let mut agent = AgentClient::connect(&home).await?;
        ask(&mut agent).await
    })
}

/// `VAULT/NAME` of the selected team and `TEAM/VAULT/NAME` of every team.
pub fn addresses() -> Vec<CompletionCandidate> {
    from_agent(async |a| {
        let mut out: Vec<String> = a
            .call(api::List {
                team: None,
                vault: None,
            })
            .await
            .ok()?
            .into_iter()
            .map(|s| format!("{}/{}", s.vault, s.name))
            .collect();
        if let Ok(all) = a.call(api::ListAll {}).await {
            out.extend(
                all.into_iter()
                    .map(|s| format!("{}/{}/{}", s.team, s.vault, s.name)),
            );
        }
        Some(out)
    })
    .unwrap_or_default()
    .into_iter()
    .map(CompletionCandidate::new)
    .collect()
}

/// Vault names of the selected team.
pub fn vaults() -> Vec<CompletionCandidate> {
    from_agent(async |a| a.call(api::VaultList { team: None }).await.ok())
        .unwrap_or_default()
        .into_iter()
        .map(|v| CompletionCandidate::new(v.name))
        .collect()
}
