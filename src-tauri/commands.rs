//! The IPC commands of docs/DESKTOP-IPC.md. Each is one call into the core (a `Session` method,
//! or `hush_core::api::handle`) plus mapping to the contract's shapes; errors cross as
//! `{ code, message }` ([`CmdError`]).
//!
//! Secret values reach the web view only through [`reveal_secret`]. [`copy_secret`] puts the
//! value on the clipboard from here and answers with a number.

use std::time::Duration;

use hush_core::address::{Address, is_env_name};
use hush_core::api::{self, Request, Response};
use hush_core::crypto::KdfParams;
use hush_core::event::{PutKind, TeamRole, UsageAction, VaultRole};
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
use crate::error::{CmdError, CmdResult};
use crate::sensitive::{Revealed, Sensitive};
use crate::state::Desktop;

type D<'a> = State<'a, Desktop>;

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

/// Shortest master password accepted for a new store (as the CLI asks).
const MIN_PASSWORD_CHARS: usize = 8;

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
    if password.0.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(CmdError::invalid(format!(
            "the master password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let home = d.home().to_owned();
    d.unlock_with(Session::init(
        &home,
        &name,
        &password.0,
        KdfParams::DEFAULT,
        d.clock(),
    ))
    .await
    .map(Into::into)
}

#[tauri::command]
pub async fn unlock(d: D<'_>, password: Sensitive) -> CmdResult<WhoAmIDto> {
    let home = d.home().to_owned();
    if !Store::exists(&home) {
        return Err(hush_core::Error::NotInitialized(home).into());
    }
    d.unlock_with(Session::unlock(&home, &password.0, d.clock()))
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
    let req = Request::TeamCreate {
        name,
        relay: relay.filter(|r| !r.trim().is_empty()),
        allow_http: false,
    };
    d.write(|s| Box::pin(api::handle(s, req)))
        .await
        .and_then(|r| match r {
            Response::Team(t) => Ok(t.into()),
            other => Err(api::unexpected(&other).into()),
        })
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

/// Teams that have a name (those still waiting for admission have no vaults to show), as
/// their UUIDs: the core takes them wherever it takes a team name, and they are never ambiguous.
fn named_teams(s: &Session) -> Vec<String> {
    s.team_list()
        .into_iter()
        .filter(|t| !t.name.is_empty())
        .map(|t| t.id.to_string())
        .collect()
}

#[tauri::command]
pub async fn list_vaults(d: D<'_>, team: Option<String>) -> CmdResult<Vec<VaultDto>> {
    d.read(|s| {
        let me = s.whoami().device_id;
        let teams = match team {
            Some(t) => vec![t],
            None => named_teams(s),
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
    let now = d.now_ms();
    d.read(all_rows)
        .await
        .map(|rows| rows.into_iter().map(|r| SecretRow::new(r, now)).collect())
}

/// Every readable live secret of every team.
fn all_rows(s: &mut Session) -> hush_core::Result<Vec<hush_core::session::SecretInfo>> {
    let mut rows = Vec::new();
    for t in named_teams(s) {
        rows.extend(s.list(Some(&t), None)?);
    }
    Ok(rows)
}

#[tauri::command]
pub async fn attention(d: D<'_>) -> CmdResult<Vec<SecretRow>> {
    let now = d.now_ms();
    d.read(all_rows).await.map(|rows| {
        rows.into_iter()
            .map(|r| SecretRow::new(r, now))
            .filter(SecretRow::needs_attention)
            .collect()
    })
}

/// `hush status`'s alerts, every team: unusual reading, a service identity on a new address, a
/// device unseen for 30 days (the last two from the relay, for teams this device manages) and
/// relay misbehaviour. The app asks after syncs as well as when a person looks, so it does not
/// count as activity for the idle lock.
#[tauri::command]
pub async fn security_alerts(d: D<'_>) -> CmdResult<Vec<AlertDto>> {
    let req = Request::KeyStatus { team: None };
    d.session_call(false, |s| Box::pin(api::handle(s, req)))
        .await
        .and_then(|r| match r {
            Response::KeyStatus(report) => Ok(map(report.alerts)),
            other => Err(api::unexpected(&other).into()),
        })
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
    let a = addr(vault, name);
    let value = d
        .read(|s| match version {
            None => s.get(Some(&team), &a),
            Some(v) => s
                .history(Some(&team), &a, true)?
                .into_iter()
                .find(|h| h.version == v)
                .and_then(|h| h.value)
                .ok_or_else(|| hush_core::Error::NotFound(format!("version {v} of `{a}`"))),
        })
        .await?;
    let action = if version.is_some() {
        UsageAction::History
    } else {
        UsageAction::Reveal
    };
    record_usage(&d, team, a, action).await;
    Ok(Revealed(value))
}

/// Records that this device read a value (for the team's usage log), best-effort: the value
/// was already shown or copied, so a failure to record never fails the command.
async fn record_usage(d: &Desktop, team: String, address: Address, action: UsageAction) {
    let req = Request::RecordUsage {
        team: Some(team),
        address,
        action,
    };
    if let Ok(Response::Count(n)) = d
        .session_call(false, |s| Box::pin(api::handle(s, req)))
        .await
        && n > 0
    {
        // A usage event was appended: send it with the next sync.
        d.wake_sync();
    }
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
    let a = addr(vault, name);
    let text = d
        .read(|s| match format {
            CopyFormat::Value => s.get(Some(&team), &a),
            CopyFormat::Reference | CopyFormat::Env => {
                s.history(Some(&team), &a, false)?; // it exists and is readable
                let selected = s
                    .team_list()
                    .into_iter()
                    .any(|t| t.selected && t.name == team);
                let reference = Address {
                    team: (!selected).then(|| team.clone()),
                    ..a.clone()
                }
                .to_reference();
                if format == CopyFormat::Reference {
                    return Ok(SecretString::new(reference));
                }
                if !is_env_name(&a.name) {
                    return Err(hush_core::Error::Invalid(format!(
                        "`{}` is not a valid environment variable name",
                        a.name
                    )));
                }
                Ok(SecretString::new(format!("{}={reference}", a.name)))
            }
        })
        .await?;
    let secs = d.settings().clipboard_clear_secs;
    let clear_after = (format == CopyFormat::Value).then(|| Duration::from_secs(secs.into()));
    d.clipboard().copy(&text, clear_after)?;
    drop(text);
    if format == CopyFormat::Value {
        record_usage(&d, team, a, UsageAction::Copy).await;
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
