// The one list of the app's IPC commands (docs/DESKTOP-IPC.md), shared by `build.rs` (which
// generates an `allow-<command>` permission for each, so nothing else is callable), the invoke
// handler in `lib.rs` and the contract tests. `with_commands!(m)` expands to `m!(a, b, ...)`.
macro_rules! with_commands {
    ($m:ident) => {
        $m!(
            app_state,
            init_identity,
            unlock,
            lock,
            whoami,
            list_teams,
            create_team,
            list_vaults,
            create_vault,
            list_secrets,
            search_secrets,
            attention,
            security_alerts,
            secret_detail,
            reveal_secret,
            copy_secret,
            set_secret,
            delete_secret,
            members,
            invite,
            join_team,
            admit_member,
            remove_member,
            vault_access,
            grant_access,
            revoke_access,
            activity,
            exposed,
            conflicts,
            resolve_conflict,
            sync_now,
            sync_status,
            mark_state_compared,
            update_settings,
            note_activity,
            create_backup,
            restore_backup
        )
    };
}
