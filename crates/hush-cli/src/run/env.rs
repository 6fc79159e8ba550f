//! `hush run`: the environment it builds for the command, from every secret of each `--vault`
//! and the entries of an `--env-file` with their `hush://` references resolved, and which of
//! those values `--mask` conceals.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use hush_core::address::is_env_name;
use hush_core::api;
use hush_core::event::UsageAction;
use hush_core::secret::SecretString;
use zeroize::Zeroizing;

use super::{RunOptions, run_child};
use crate::backend::Backend;
use crate::cli::RunArgs;
use crate::ctx::Ctx;

/// `hush run [--vault V]... [--env-file FILE] [--mask] [--watch] -- CMD [ARGS...]`.
pub(super) fn run(ctx: &Ctx, args: RunArgs) -> Result<i32> {
    let Injected { env, conceal } = ctx.with_backend(|b| inject_all(ctx, b, &args))?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| anyhow!("no command given: use hush run -- CMD [ARGS...]"))?;
    run_child(
        program,
        rest,
        env,
        &RunOptions {
            mask: args.mask,
            conceal,
            restarts: None,
        },
    )
}

/// Every variable `args` asks for (each `--vault`, then the `--env-file`, read now).
pub(super) fn inject_all(ctx: &Ctx, b: &mut Backend, args: &RunArgs) -> Result<Injected> {
    let mut injected = Injected::default();
    for vault in &args.vaults {
        injected.add_vault(ctx, b, vault)?;
    }
    if let Some(path) = &args.env_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read env file {}", path.display()))?,
        );
        injected.add_env_file(ctx, b, &text, path)?;
    }
    Ok(injected)
}

/// The variables added to the command's environment.
#[derive(Default)]
pub(super) struct Injected {
    /// (name, value), each name once; a later source replaces an earlier one.
    pub(super) env: Vec<(String, Zeroizing<String>)>,
    /// Only values that came from a vault or a reference are concealed by --mask, not plain
    /// settings such as PORT=80 from an env file.
    pub(super) conceal: Vec<(String, Zeroizing<String>)>,
}

impl Injected {
    fn put(&mut self, name: String, value: Zeroizing<String>) {
        self.env.retain(|(n, _)| *n != name);
        self.env.push((name, value));
    }

    /// Every secret of `vault` whose name can be an environment variable.
    fn add_vault(&mut self, ctx: &Ctx, b: &mut Backend, vault: &str) -> Result<()> {
        let values = ctx.rt.block_on(b.call(api::VaultValues {
            team: ctx.team.clone(),
            vault: vault.to_owned(),
        }))?;
        for nv in values {
            if nv.overridden {
                crate::ctx::override_note(&format!("{vault}/{}", nv.name));
            }
            if is_env_name(&nv.name) {
                self.conceal.push((
                    nv.name.clone(),
                    Zeroizing::new(nv.value.expose().to_owned()),
                ));
                self.put(nv.name, nv.value.into_zeroizing());
            } else {
                eprintln!(
                    "hush: warning: skipping {vault}/{}: not a valid environment variable name",
                    nv.name
                );
            }
        }
        Ok(())
    }

    /// The entries of the env file at `path` (read into `text`), resolving `hush://` values.
    fn add_env_file(&mut self, ctx: &Ctx, b: &mut Backend, text: &str, path: &Path) -> Result<()> {
        let conceal = &mut self.conceal;
        let parsed = hush_core::dotenv::parse(
            text,
            |k| std::env::var(k).ok(),
            |key: &str, raw: Zeroizing<String>| -> Result<Zeroizing<String>, hush_core::Error> {
                if raw.starts_with(hush_core::address::REF_PREFIX) {
                    let v = resolve_one(ctx, b, raw.trim()).map_err(|e| {
                        e.downcast::<hush_core::Error>()
                            .unwrap_or_else(|e| hush_core::Error::Agent(e.to_string()))
                    })?;
                    conceal.push((key.to_owned(), Zeroizing::new(v.expose().to_owned())));
                    Ok(v.into_zeroizing())
                } else {
                    Ok(raw)
                }
            },
        )
        .map_err(|e| anyhow!("{}: {}", path.display(), one_error(&e)))?;
        for w in &parsed.warnings {
            eprintln!(
                "hush: warning: {}:{}: {}",
                path.display(),
                w.line,
                w.message
            );
        }
        for e in parsed.entries {
            if is_env_name(&e.key) {
                self.put(e.key, e.value);
            } else {
                eprintln!(
                    "hush: warning: {}:{}: skipping {}: not a valid environment variable name",
                    path.display(),
                    e.line,
                    e.key
                );
            }
        }
        Ok(())
    }
}

/// The value of one `hush://` reference, its use recorded as a run.
fn resolve_one(ctx: &Ctx, b: &mut Backend, reference: &str) -> Result<SecretString> {
    let mut v = ctx.rt.block_on(b.call(api::Resolve {
        team: ctx.team.clone(),
        references: vec![reference.to_owned()],
        usage: Some(UsageAction::Run),
    }))?;
    match (v.pop(), v.is_empty()) {
        (Some(one), true) => {
            if one.overridden {
                crate::ctx::override_note(reference.trim_start_matches("hush://"));
            }
            Ok(one.value)
        }
        _ => bail!("the agent answered a different number of values than asked for"),
    }
}

/// An error and its sources on one line.
fn one_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
