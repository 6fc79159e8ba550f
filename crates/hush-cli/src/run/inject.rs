//! `hush inject`: renders a template, replacing each `{{ hush://VAULT/NAME }}` with its value,
//! to stdout or to a file only its owner can read.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use hush_core::api;
use hush_core::event::UsageAction;

use crate::ctx::{Ctx, exists_without_force, write_stdout};

/// `hush inject [-i FILE] [-o FILE] [--force]`.
pub(crate) fn inject(
    ctx: &Ctx,
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    force: bool,
) -> Result<i32> {
    let template = match &input {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read template {}", p.display()))?,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the template from stdin")?;
            s
        }
    };
    if let Some(out) = &output
        && out.exists()
        && !force
    {
        return Err(exists_without_force(out));
    }
    let refs = hush_core::template::references(&template)?;
    let mut values = HashMap::new();
    if !refs.is_empty() {
        let resolved = ctx.one(api::Resolve {
            team: ctx.team.clone(),
            references: refs,
            usage: Some(UsageAction::Inject),
        })?;
        for nv in resolved {
            if nv.overridden {
                crate::ctx::override_note(nv.name.trim_start_matches("hush://"));
            }
            values.insert(nv.name, nv.value);
        }
    }
    let rendered = hush_core::template::render(&template, &values)?;
    match &output {
        None => write_stdout(&[rendered.as_bytes()])?,
        Some(path) => write_private_file(path, rendered.as_bytes(), force)?,
    }
    Ok(0)
}

/// Writes `data` to `path` with mode 0600: into a temporary file in the same directory, then
/// renamed over the target, so a failure never leaves a partial file.
fn write_private_file(path: &Path, data: &[u8], force: bool) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let nonce: [u8; 6] = hush_core::crypto::random_array();
    let tmp = dir.join(format!(
        ".{}.hush-tmp-{}",
        file_name.to_string_lossy(),
        hush_core::relay_proto::hex(&nonce)
    ));
    let result = (|| -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(data)?;
        f.sync_all()?;
        if !force && path.exists() {
            return Err(exists_without_force(path));
        }
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
