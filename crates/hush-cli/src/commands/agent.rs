//! The agent, which holds the unlocked account key so commands stop asking for the password:
//! `hush unlock` starts it, `hush lock` stops it, and the hidden `hush agent` is the agent.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use hush_core::api;
use hush_core::duration::parse_duration;
use hush_core::relay_proto::{hex, unhex};
use hush_core::session::{Session, system_clock};
use zeroize::Zeroizing;

use crate::backend;
use crate::ctx::Ctx;

/// `hush unlock [--timeout T]`: unlocks here, then hands the account key to a new agent
/// process on its stdin.
pub(super) fn unlock(ctx: &Ctx, timeout: &str) -> Result<i32> {
    let idle = parse_duration(timeout)?;
    if let Some(mut c) = ctx.agent() {
        // Replace a running agent so the new timeout applies.
        let _ = ctx.rt.block_on(c.call(api::Lock {}));
    }
    if !hush_core::store::Store::exists(&ctx.home) {
        return Err(hush_core::Error::NotInitialized(ctx.home.clone()).into());
    }
    let password = backend::password("Master password: ")?;
    let session = ctx
        .rt
        .block_on(Session::unlock(&ctx.home, &password, system_clock()))?;
    let key_hex = Zeroizing::new(hex(session.account_key().expose_bytes()));
    ctx.rt.block_on(session.close());

    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let exe = std::env::current_exe().context("cannot find the hush executable")?;
    let mut child = std::process::Command::new(exe)
        .arg("--home")
        .arg(&ctx.home)
        .arg("agent")
        .arg("--idle-secs")
        .arg(idle.as_secs().to_string())
        .env_remove(backend::PASSWORD_ENV)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C in this terminal must not kill the agent.
        .process_group(0)
        .spawn()
        .context("cannot start the agent")?;
    {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("agent stdin unavailable"))?;
        stdin.write_all(key_hex.as_bytes())?;
        stdin.write_all(b"\n")?;
    }
    let mut line = String::new();
    {
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("agent stdout unavailable"))?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
    }
    if line.trim() != "ready" {
        let _ = child.kill();
        bail!("the agent failed to start");
    }
    eprintln!("unlocked; the agent locks after {timeout} without use (hush lock to lock now)");
    Ok(0)
}

/// `hush lock`.
pub(super) fn lock(ctx: &Ctx) -> Result<i32> {
    match ctx.agent() {
        Some(mut c) => {
            ctx.rt.block_on(c.call(api::Lock {}))?;
            eprintln!("locked");
        }
        None => eprintln!("no agent was running"),
    }
    Ok(0)
}

/// `hush agent --idle-secs N`: reads the account key (hex) from stdin, says "ready" on stdout,
/// then serves requests until it locks.
pub(super) fn agent(ctx: &Ctx, idle_secs: u64) -> Result<i32> {
    // Room for the key's 64 hex digits and a newline up front: growing would leave copies.
    let mut line = Zeroizing::new(String::with_capacity(128));
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the key")?;
    let key_hex = line.trim();
    if key_hex.len() != 64 {
        bail!("the agent expects a key on stdin");
    }
    let bytes = Zeroizing::new(unhex(key_hex).ok_or_else(|| anyhow!("bad key"))?);
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != key.len() {
        bail!("bad key");
    }
    key.copy_from_slice(&bytes);
    let account = hush_core::secret::Key32::from_bytes(*key);
    let session = ctx
        .rt
        .block_on(Session::unlock_with_key(&ctx.home, account, system_clock()))?;
    ctx.rt.block_on(hush_core::agent::serve(
        session,
        Duration::from_secs(idle_secs.max(1)),
        || {
            println!("ready");
            let _ = std::io::stdout().flush();
        },
    ))?;
    Ok(0)
}
