//! The IPC commands of docs/DESKTOP-IPC.md. Each is one call into the core (a `Session` method,
//! or a typed `hush_core::api` operation) plus mapping to the contract's shapes; errors cross as
//! `{ code, message }` ([`CmdError`]).
//!
//! Secret values reach the web view only through [`reveal_secret`]. [`copy_secret`] puts the
//! value on the clipboard from here and answers with a number.

use std::time::Duration;

use hush_core::address::Address;
use hush_core::api::{self, Op};
use hush_core::crypto::KdfParams;
use hush_core::event::{PutKind, TeamRole, VaultRole};
use hush_core::secret::SecretString;
use hush_core::session::{MetaUpdate, Session};
use hush_core::store::Store;
use serde::Deserialize;
use tauri::State;
use uuid::Uuid;

use crate::dto::{
    AccessRow, ActivityDto, AlertDto, AppStateDto, ConflictDto, CopyOut, ExposedDto, InviteDto,
    JoinDto, LockReason, MemberDto, RemovedDto, SecretDetail, SecretRow, Settings, SyncStatus,
    TeamDto, VaultDto, VersionRow, WhoAmIDto,
};
use crate::error::CmdResult;
use crate::sensitive::{Revealed, Sensitive};
use crate::state::Desktop;

type D<'a> = State<'a, Desktop>;

// The backup commands live in `backup.rs`; the invoke handler finds every command here.
pub use crate::backup::*;

fn addr(vault: String, name: String) -> Address {
    Address {
        team: None,
        vault,
        name,
    }
}

fn map<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(U::from).collect()
}

#[tauri::command]
pub async fn app_state(d: D<'_>) -> CmdResult<AppStateDto> {
    Ok(AppStateDto {
        initialized: Store::exists(d.home()),
        unlocked: d.is_unlocked(),
        home: d.home().display().to_string(),
        settings: d.settings(),
    })
}

#[tauri::command]
pub async fn init_identity(d: D<'_>, name: String, password: Sensitive) -> CmdResult<WhoAmIDto> {
    hush_core::local::check_new_master_password(&password.0)?;
    let home = d.home().to_owned();
    crate::start::unlock(
        &d,
        Session::init(&home, &name, &password.0, KdfParams::DEFAULT, d.clock()),
    )
    .await
    .map(Into::into)
}

#[tauri::command]
pub async fn unlock(d: D<'_>, password: Sensitive) -> CmdResult<WhoAmIDto> {
    let home = d.home().to_owned();
    if !Store::exists(&home) {
        return Err(hush_core::Error::NotInitialized(home).into());
    }
    crate::start::unlock(&d, Session::unlock(&home, &password.0, d.clock()))
        .await
        .map(Into::into)
}

#[tauri::command]
pub async fn lock(d: D<'_>) -> CmdResult<()> {
    d.lock(LockReason::User).await;
    Ok(())
}

#[tauri::command]
pub async fn whoami(d: D<'_>) -> CmdResult<WhoAmIDto> {
    d.read(|s| Ok(s.whoami())).await.map(Into::into)
}

#[tauri::command]
pub async fn list_teams(d: D<'_>) -> CmdResult<Vec<TeamDto>> {
    d.read(|s| {
        Ok(s.team_list()
            .into_iter()
            .map(|t| {
                let (label, code) = (s.team_label(t.id), s.join_safety_code(t.id));
                TeamDto::new(t, label, code)
            })
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn create_team(d: D<'_>, name: String, relay: Option<String>) -> CmdResult<TeamDto> {
    let op = api::TeamCreate {
        name,
        relay: relay.filter(|r| !r.trim().is_empty()),
        allow_http: false,
    };
    d.write(|s| Box::pin(op.run(s))).await.map(Into::into)
}

/// This device's role on a vault (`None` if it has none, e.g. a vault created by a teammate
/// and not shared with it).
fn my_role(s: &Session, me: Uuid, team: &str, vault: &str) -> Option<VaultRole> {
    s.access(Some(team), vault)
        .ok()?
        .into_iter()
        .find(|a| a.id == me)
        .map(|a| a.role)
}

#[tauri::command]
pub async fn list_vaults(d: D<'_>, team: Option<String>) -> CmdResult<Vec<VaultDto>> {
    d.read(|s| {
        let me = s.whoami().device_id;
        let teams = match team {
            Some(t) => vec![t],
            None => api::named_teams(s),
        };
        let mut out = Vec::new();
        for t in teams {
            for v in s.vault_list(Some(&t))? {
                let role = my_role(s, me, &t, &v.name);
                out.push(VaultDto::new(v, role));
            }
        }
        Ok(out)
    })
    .await
}

#[tauri::command]
pub async fn create_vault(d: D<'_>, team: String, name: String) -> CmdResult<VaultDto> {
    d.write(|s| {
        Box::pin(async move {
            let v = s.vault_create(Some(&team), &name).await?;
            let role = my_role(s, s.whoami().device_id, &team, &v.name);
            Ok(VaultDto::new(v, role))
        })
    })
    .await
}

#[tauri::command]
pub async fn list_secrets(d: D<'_>) -> CmdResult<Vec<SecretRow>> {
    rows(&d, api::ListAll {}).await
}

#[tauri::command]
pub async fn attention(d: D<'_>) -> CmdResult<Vec<SecretRow>> {
    rows(&d, api::Attention {}).await
}

/// A listing as rows, with each secret's rotation state now.
async fn rows<O>(d: &Desktop, op: O) -> CmdResult<Vec<SecretRow>>
where
    O: Op<Output = Vec<hush_core::session::SecretInfo>> + 'static,
{
    let now = d.now_ms();
    let rows = d.session_call(false, |s| Box::pin(op.run(s))).await?;
    Ok(rows.into_iter().map(|r| SecretRow::new(r, now)).collect())
}

/// `hush status`'s alerts, every team: unusual reading, a service identity on a new address, a
/// device unseen for 30 days (the last two from the relay, for teams this device manages) and
/// relay misbehaviour. The app asks after syncs as well as when a person looks, so it does not
/// count as activity for the idle lock.
#[tauri::command]
pub async fn security_alerts(d: D<'_>) -> CmdResult<Vec<AlertDto>> {
    let op = api::KeyStatus { team: None };
    d.session_call(false, |s| Box::pin(op.run(s)))
        .await
        .map(|report| map(report.alerts))
}

#[tauri::command]
pub async fn search_secrets(
    d: D<'_>,
    query: String,
    limit: usize,
    team: Option<String>,
    vault: Option<String>,
) -> CmdResult<Vec<SecretRow>> {
    let now = d.now_ms();
    // Scoped to a team or vault, the ranking is over everything and the scope is applied before
    // the limit: the first `limit` rows of all teams may hold none of a vault's secrets.
    let scoped = team.is_some() || vault.is_some();
    let in_scope = |r: &hush_core::session::SecretInfo| {
        team.as_ref().is_none_or(|t| &r.team == t) && vault.as_ref().is_none_or(|v| &r.vault == v)
    };
    d.read(|s| Ok(s.search(&query, if scoped { usize::MAX } else { limit })))
        .await
        .map(|hits| {
            hits.into_iter()
                .map(|h| h.secret)
                .filter(in_scope)
                .take(limit)
                .map(|r| SecretRow::new(r, now))
                .collect()
        })
}

#[tauri::command]
pub async fn secret_detail(
    d: D<'_>,
    team: String,
    vault: String,
    name: String,
) -> CmdResult<SecretDetail> {
    let now = d.now_ms();
    let a = addr(vault.clone(), name.clone());
    d.read(|s| {
        let row = s
            .list(Some(&team), Some(&vault))?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| hush_core::Error::NotFound(format!("secret `{a}`")))?;
        Ok(SecretDetail {
            row: SecretRow::new(row, now),
            history: map::<_, VersionRow>(s.history(Some(&team), &a, false)?),
            access: map::<_, AccessRow>(s.access(Some(&team), &vault)?),
        })
    })
    .await
}

#[tauri::command]
pub async fn reveal_secret(
    d: D<'_>,
    team: String,
    vault: String,
    name: String,
    version: Option<u32>,
) -> CmdResult<Revealed> {
    let op = api::Reveal {
        team: Some(team),
        address: addr(vault, name),
        version,
        purpose: api::ReadFor::Reveal,
    };
    let read = d.session_call(false, |s| Box::pin(op.run(s))).await?;
    if read.recorded {
        // A usage event was appended: send it with the next sync.
        d.wake_sync();
    }
    Ok(Revealed(read.value))
}

/// What `copy_secret` puts on the clipboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CopyFormat {
    /// The value (a secret: marked for clipboard managers and cleared).
    Value,
    /// `hush://VAULT/NAME` (team-qualified when not the selected team). Not secret.
    Reference,
    /// `NAME=hush://VAULT/NAME`, a line for an env file used with `hush run --env-file`.
    /// Not secret.
    Env,
}

#[tauri::command]
pub async fn copy_secret(
    d: D<'_>,
    team: String,
    vault: String,
    name: String,
    format: CopyFormat,
) -> CmdResult<CopyOut> {
    let address = addr(vault, name);
    let team = Some(team);
    let (text, recorded) = match format {
        CopyFormat::Value => {
            let op = api::Reveal {
                team,
                address,
                version: None,
                purpose: api::ReadFor::Copy,
            };
            let read = d.session_call(false, |s| Box::pin(op.run(s))).await?;
            (read.value, read.recorded)
        }
        CopyFormat::Reference | CopyFormat::Env => {
            let form = if format == CopyFormat::Reference {
                api::NameForm::Reference
            } else {
                api::NameForm::EnvLine
            };
            let op = api::NameAs {
                team,
                address,
                form,
            };
            let name = d.session_call(false, |s| Box::pin(op.run(s))).await?;
            (SecretString::new(name), false)
        }
    };
    let secs = d.settings().clipboard_clear_secs;
    let clear_after = (format == CopyFormat::Value).then(|| Duration::from_secs(secs.into()));
    d.clipboard().copy(&text, clear_after)?;
    drop(text);
    if recorded {
        d.wake_sync();
    }
    Ok(CopyOut {
        clear_after_secs: if clear_after.is_some() { secs } else { 0 },
    })
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn set_secret(
    d: D<'_>,
    team: String,
    vault: String,
    name: String,
    value: Sensitive,
    note: Option<String>,
    tags: Option<Vec<String>>,
    url: Option<String>,
    scope: Option<String>,
    expires: Option<String>,
    rotate_every_days: Option<u32>,
) -> CmdResult<u32> {
    let a = addr(vault, name);
    let update = MetaUpdate {
        note,
        tags,
        url,
        scope,
        expires,
        rotate_every_days,
    };
    d.write(|s| {
        Box::pin(async move { s.set(Some(&team), &a, &value.0, update, PutKind::Set).await })
    })
    .await
}

#[tauri::command]
pub async fn delete_secret(d: D<'_>, team: String, vault: String, name: String) -> CmdResult<()> {
    let a = addr(vault, name);
    d.write(|s| Box::pin(async move { s.remove(Some(&team), &a).await }))
        .await
}

#[tauri::command]
pub async fn members(d: D<'_>, team: String) -> CmdResult<Vec<MemberDto>> {
    d.read(|s| s.members(Some(&team))).await.map(map)
}

#[tauri::command]
pub async fn invite(
    d: D<'_>,
    team: String,
    role: TeamRole,
    expires_hours: u32,
) -> CmdResult<InviteDto> {
    let ttl_ms = i64::from(expires_hours) * 3_600_000;
    let for_team = team.clone();
    let out = d
        .write(|s| Box::pin(async move { s.invite(Some(&team), role, ttl_ms).await }))
        .await?;
    // Someone is about to use the code: look for their join request more often for a while.
    crate::sync::expect_join(&d, for_team);
    Ok(out.into())
}

#[tauri::command]
pub async fn join_team(d: D<'_>, code: String, label: Option<String>) -> CmdResult<JoinDto> {
    let label = label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    if let Some(l) = &label {
        hush_core::item::validate_name(l, "team")?;
    }
    d.write(|s| Box::pin(async move { s.join(code.trim(), label.as_deref(), None, false).await }))
        .await
        .map(Into::into)
}

#[tauri::command]
pub async fn admit_member(d: D<'_>, team: String, member: String) -> CmdResult<MemberDto> {
    d.write(|s| Box::pin(async move { s.admit(Some(&team), &member).await }))
        .await
        .map(Into::into)
}

#[tauri::command]
pub async fn remove_member(d: D<'_>, team: String, member: String) -> CmdResult<RemovedDto> {
    d.write(|s| Box::pin(async move { s.remove_member(Some(&team), &member).await }))
        .await
        .map(|(member, exposed)| RemovedDto {
            member: member.into(),
            exposed: map(exposed),
        })
}

#[tauri::command]
pub async fn vault_access(d: D<'_>, team: String, vault: String) -> CmdResult<Vec<AccessRow>> {
    d.read(|s| s.access(Some(&team), &vault)).await.map(map)
}

#[tauri::command]
pub async fn grant_access(
    d: D<'_>,
    team: String,
    vault: String,
    member: String,
    role: VaultRole,
) -> CmdResult<AccessRow> {
    d.write(|s| Box::pin(async move { s.grant(Some(&team), &vault, &member, role).await }))
        .await
        .map(Into::into)
}

#[tauri::command]
pub async fn revoke_access(
    d: D<'_>,
    team: String,
    vault: String,
    member: String,
) -> CmdResult<Vec<ExposedDto>> {
    d.write(|s| Box::pin(async move { s.revoke(Some(&team), &vault, &member).await }))
        .await
        .map(map)
}

#[tauri::command]
pub async fn activity(d: D<'_>, team: String, limit: usize) -> CmdResult<Vec<ActivityDto>> {
    d.session_call(false, |s| {
        Box::pin(async move { s.activity(Some(&team), limit).await })
    })
    .await
    .map(map)
}

#[tauri::command]
pub async fn exposed(d: D<'_>) -> CmdResult<Vec<ExposedDto>> {
    d.read(|s| Ok(s.exposed())).await.map(map)
}

#[tauri::command]
pub async fn conflicts(d: D<'_>) -> CmdResult<Vec<ConflictDto>> {
    d.read(|s| Ok(s.conflicts())).await.map(map)
}

#[tauri::command]
pub async fn resolve_conflict(
    d: D<'_>,
    team: String,
    vault: String,
    name: String,
    keep: u32,
) -> CmdResult<u32> {
    let a = addr(vault, name);
    d.write(|s| Box::pin(async move { s.resolve(Some(&team), &a, keep).await }))
        .await
}

#[tauri::command]
pub async fn sync_now(d: D<'_>) -> CmdResult<SyncStatus> {
    crate::sync::sync_once(&d, true).await
}

#[tauri::command]
pub async fn sync_status(d: D<'_>) -> CmdResult<SyncStatus> {
    crate::sync::status(&d, false).await
}

/// A person read the team state code to a teammate and it matched: record it (with the head).
#[tauri::command]
pub async fn mark_state_compared(d: D<'_>, team: String) -> CmdResult<SyncStatus> {
    d.write(|s| Box::pin(async move { s.mark_state_compared(Some(&team)).await.map(|_| ()) }))
        .await?;
    crate::sync::status(&d, true).await
}

#[tauri::command]
pub async fn update_settings(d: D<'_>, settings: Settings) -> CmdResult<Settings> {
    d.update_settings(settings)
}

#[tauri::command]
pub async fn note_activity(d: D<'_>) -> CmdResult<()> {
    d.touch();
    Ok(())
}
