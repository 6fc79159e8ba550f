//! The local store and its owner: `hush init` creates it, `hush whoami` says whose it is,
//! `hush passwd` changes its master password.

use anyhow::{Result, bail};
use hush_core::api;
use hush_core::crypto::KdfParams;
use hush_core::session::{Session, system_clock};

use crate::backend;
use crate::ctx::Ctx;

/// `hush init --name NAME`.
pub(super) fn init(ctx: &Ctx, name: &str) -> Result<i32> {
    if hush_core::store::Store::exists(&ctx.home) {
        return Err(hush_core::Error::AlreadyInitialized(ctx.home.clone()).into());
    }
    hush_core::identity::validate_display_name(name)?;
    let password = backend::new_password(backend::PASSWORD_ENV)?;
    if password.is_empty() {
        bail!("the master password must not be empty");
    }
    let session = ctx.rt.block_on(Session::init(
        &ctx.home,
        name,
        &password,
        KdfParams::DEFAULT,
        system_clock(),
    ))?;
    let who = session.whoami();
    ctx.rt.block_on(session.close());
    if ctx.json {
        ctx.print_json(&who)?;
    } else {
        eprintln!(
            "Created a Hush store in {} with a local team \"personal\".",
            ctx.home.display()
        );
        eprintln!("Your fingerprint (teammates compare it when they add you):");
        println!("{}", who.fingerprint);
    }
    Ok(0)
}

/// `hush whoami`.
pub(super) fn whoami(ctx: &Ctx) -> Result<i32> {
    let w = ctx.one(api::Whoami {})?;
    if ctx.json {
        ctx.print_json(&w)?;
    } else {
        println!("name:        {}", w.name);
        println!("device:      {}", w.device_id);
        println!("fingerprint: {}", w.fingerprint);
    }
    Ok(0)
}

/// `hush passwd`.
pub(super) fn passwd(ctx: &Ctx) -> Result<i32> {
    let current = backend::password("Current master password: ")?;
    let mut session = ctx
        .rt
        .block_on(Session::unlock(&ctx.home, &current, system_clock()))?;
    let new = backend::new_password("HUSH_NEW_PASSWORD")?;
    ctx.rt.block_on(session.change_password(&new))?;
    ctx.rt.block_on(session.close());
    eprintln!("master password changed");
    Ok(0)
}
