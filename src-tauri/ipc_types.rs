//! The web view's TypeScript types, generated from the Rust types of the IPC contract.
//!
//! `ui/src/lib/ipc.gen.ts` is checked in; [`the_generated_typescript_is_up_to_date`] fails when
//! it differs from what these types generate (CI runs it with `cargo test --workspace`).
//! Regenerate with:
//!
//! ```text
//! HUSH_WRITE_TS=1 cargo test -p hush-desktop ipc_types
//! ```
//!
//! Names are the Rust names; `ui/src/lib/types.ts` re-exports them under the UI's names and adds
//! the shapes of command arguments (which are parameters in Rust, not types).

use std::fmt::Write as _;
use std::path::PathBuf;

use hush_core::event::{PutKind, TeamRole, VaultRole};
use hush_core::session::RotationState;
use hush_core::{ErrorCode, Hint};
use ts_rs::{Config, TS};

use crate::backup::{BackupDto, RestoreDto};
use crate::commands::CopyFormat;
use crate::dto::*;
use crate::error::CmdError;
use crate::events::{ChangedEvent, LockedEvent};

const HEADER: &str = "\
// Generated from the Rust types of the desktop IPC contract (src-tauri/ipc_types.rs). Do not edit:
// regenerate with `HUSH_WRITE_TS=1 cargo test -p hush-desktop ipc_types`.
";

fn push<T: TS>(cfg: &Config, out: &mut String) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    let _ = writeln!(out, "export {}\n", T::decl(cfg));
}

/// The whole generated file.
fn generate() -> String {
    // Every integer crosses as a JSON number (times in ms fit in 2^53).
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(HEADER);
    out.push('\n');
    let cfg = &cfg;
    // Errors.
    push::<ErrorCode>(cfg, &mut out);
    push::<Hint>(cfg, &mut out);
    push::<CmdError>(cfg, &mut out);
    // The core's enums that appear in answers.
    push::<RotationState>(cfg, &mut out);
    push::<VaultRole>(cfg, &mut out);
    push::<TeamRole>(cfg, &mut out);
    push::<PutKind>(cfg, &mut out);
    // Answers.
    push::<Settings>(cfg, &mut out);
    push::<AppStateDto>(cfg, &mut out);
    push::<WhoAmIDto>(cfg, &mut out);
    push::<TeamDto>(cfg, &mut out);
    push::<VaultDto>(cfg, &mut out);
    push::<ExposureDto>(cfg, &mut out);
    push::<SecretRow>(cfg, &mut out);
    push::<VersionRow>(cfg, &mut out);
    push::<AccessRow>(cfg, &mut out);
    push::<SecretDetail>(cfg, &mut out);
    push::<CopyFormat>(cfg, &mut out);
    push::<CopyOut>(cfg, &mut out);
    push::<MemberDto>(cfg, &mut out);
    push::<ExposedDto>(cfg, &mut out);
    push::<RemovedDto>(cfg, &mut out);
    push::<ConflictDto>(cfg, &mut out);
    push::<AlertDto>(cfg, &mut out);
    push::<InviteDto>(cfg, &mut out);
    push::<JoinDto>(cfg, &mut out);
    push::<ActivityDto>(cfg, &mut out);
    push::<TeamStatusDto>(cfg, &mut out);
    push::<SyncState>(cfg, &mut out);
    push::<SyncStatus>(cfg, &mut out);
    push::<BackupDto>(cfg, &mut out);
    push::<RestoreDto>(cfg, &mut out);
    // Events.
    push::<LockReason>(cfg, &mut out);
    push::<ChangedEvent>(cfg, &mut out);
    push::<LockedEvent>(cfg, &mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/ipc.gen.ts")
}

#[test]
fn the_generated_typescript_is_up_to_date() {
    let want = generate();
    if std::env::var_os("HUSH_WRITE_TS").is_some() {
        std::fs::write(path(), &want).expect("write ui/src/lib/ipc.gen.ts");
        return;
    }
    let have = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        have == want,
        "ui/src/lib/ipc.gen.ts is out of date with the Rust types of the IPC contract; \
         regenerate it with `HUSH_WRITE_TS=1 cargo test -p hush-desktop ipc_types` and commit it"
    );
}

#[test]
fn every_type_the_generated_file_names_is_declared_in_it() {
    let out = generate();
    // Each `export type X =`; every capitalised identifier used after a `:` must be one of them.
    let declared: std::collections::BTreeSet<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("export type "))
        .filter_map(|l| l.split([' ', '=']).next())
        .collect();
    assert!(declared.contains("ErrorCode") && declared.contains("SyncStatus"));
    for l in out
        .lines()
        .filter(|l| !l.trim_start().starts_with('*') && !l.contains("/*"))
    {
        for word in l.split(|c: char| !c.is_ascii_alphanumeric()) {
            let builtin = ["Array", "Record", "Partial"].contains(&word);
            if !builtin
                && word.starts_with(|c: char| c.is_ascii_uppercase())
                && l.contains(&format!(": {word}"))
            {
                assert!(
                    declared.contains(word),
                    "{word} is used but not declared: {l}"
                );
            }
        }
    }
}

#[test]
fn the_error_codes_are_the_core_enum_serialized() {
    let out = generate();
    let line = out
        .lines()
        .find(|l| l.starts_with("export type ErrorCode"))
        .expect("ErrorCode");
    for c in ErrorCode::ALL {
        assert!(line.contains(&format!("\"{}\"", c.as_str())), "{c}: {line}");
    }
}
