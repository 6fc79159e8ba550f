// Generated from the Rust types of the desktop IPC contract (src-tauri/ipc_types.rs). Do not edit:
// regenerate with `HUSH_WRITE_TS=1 cargo test -p hush-desktop ipc_types`.

/**
 * A stable, machine-readable error code: the one list shared by the core, the agent protocol,
 * the desktop shell and (generated from this enum) the web UI. Serialized in `snake_case`.
 *
 * Most codes are [`Error`]'s; the last three are the desktop shell's and the web UI's own (no core
 * error has them).
 */
export type ErrorCode = "wrong_password" | "password_required" | "integrity" | "weak_kdf" | "not_initialized" | "already_initialized" | "not_found" | "ambiguous" | "exists" | "invalid" | "forbidden" | "agent" | "offline" | "relay" | "witness_unavailable" | "database" | "io" | "locked" | "clipboard" | "internal";

/**
 * What a person can do next about an error. The core never words it as a command: each front
 * end renders it its own way (the CLI as the `hush` command to run, the app in words for people
 * without a terminal). Serialized in `snake_case` (the agent protocol and the desktop IPC).
 */
export type Hint = "init" | "unlock" | "sync" | "members" | "select_team" | "vaults" | "witnesses" | "create_secret" | "revoke_service" | "remove_member";

/**
 * A command's error, serialized as `{ code, message, hint? }`.
 */
export type CmdError = { 
/**
 * Stable, machine-readable code.
 */
code: ErrorCode, 
/**
 * What happened, for a person.
 */
message: string, 
/**
 * What the person can do next, when known (the UI words it).
 */
hint?: Hint, };

/**
 * Where a secret stands against its rotation period and expiry date.
 */
export type RotationState = "none" | "ok" | "due" | "overdue" | "expired";

/**
 * A member's access to one vault.
 */
export type VaultRole = "read" | "write" | "admin";

/**
 * A member's role in a team.
 */
export type TeamRole = "owner" | "admin" | "member" | "service";

/**
 * What kind of new value a [`Payload::SecretPut`] records.
 */
export type PutKind = "set" | "rotation";

/**
 * Desktop settings (stored unencrypted in `desktop.json` in the data directory: they hold no
 * secret).
 */
export type Settings = { 
/**
 * Seconds before a copied value is cleared from the clipboard.
 */
clipboardClearSecs: number, 
/**
 * Minutes without input before the app locks.
 */
autoLockMins: number, };

/**
 * `app_state`.
 */
export type AppStateDto = { 
/**
 * A store exists in the data directory.
 */
initialized: boolean, 
/**
 * A session is open.
 */
unlocked: boolean, 
/**
 * The data directory.
 */
home: string, 
/**
 * Desktop settings.
 */
settings: Settings, };

/**
 * `WhoAmI`.
 */
export type WhoAmIDto = { 
/**
 * Display name.
 */
name: string, 
/**
 * Device id.
 */
deviceId: string, 
/**
 * Safety number.
 */
fingerprint: string, };

/**
 * `TeamInfo`.
 */
export type TeamDto = { 
/**
 * The team's handle in this contract: its name (unique on a device), which is also what
 * `SecretRow.team` and `VaultDto.team` carry and what commands take as `team`. While
 * joining (no name known yet) it is the team's UUID, which commands also accept.
 */
id: string, 
/**
 * Name; while joining, the local join label.
 */
name: string, 
/**
 * The team's UUID: stable across admission, when `id` and `name` change to the real name.
 */
uuid: string, 
/**
 * Relay URL.
 */
relay: string | null, 
/**
 * Selected team.
 */
selected: boolean, 
/**
 * Readable vaults.
 */
vaults: number, 
/**
 * This device asked to join and waits to be admitted.
 */
joining: boolean, 
/**
 * While joining: the safety code the inviter must hear before admitting this device.
 */
safetyCode?: string, };

/**
 * `VaultInfo`.
 */
export type VaultDto = { 
/**
 * Team name.
 */
team: string, 
/**
 * The vault's handle in this contract: its name (unique in its team), as in `SecretRow.vault`.
 */
id: string, 
/**
 * Vault name.
 */
name: string, 
/**
 * Live secrets.
 */
secrets: number, 
/**
 * This device's role on the vault (`read` cannot add, edit or delete secrets).
 */
role: VaultRole | null, };

/**
 * Why and since when a secret must be rotated.
 */
export type ExposureDto = { 
/**
 * Why.
 */
reason: string, 
/**
 * Since when.
 */
sinceMs: number, };

/**
 * `SecretRow` (never a value).
 */
export type SecretRow = { 
/**
 * Team.
 */
team: string, 
/**
 * Vault.
 */
vault: string, 
/**
 * Name.
 */
name: string, 
/**
 * Current version.
 */
version: number, 
/**
 * Time of the current version.
 */
updatedMs: number, 
/**
 * Note.
 */
note: string, 
/**
 * Tags.
 */
tags: Array<string>, 
/**
 * Provider URL.
 */
url?: string, 
/**
 * Scope note.
 */
scope?: string, 
/**
 * Expiry date.
 */
expires?: string, 
/**
 * Rotation period.
 */
rotateEveryDays?: number, 
/**
 * Set when it must be rotated.
 */
exposed?: ExposureDto, 
/**
 * Concurrent versions to resolve.
 */
conflict: boolean, 
/**
 * Rotation state now.
 */
rotation: RotationState, };

/**
 * `VersionRow` (never a value).
 */
export type VersionRow = { 
/**
 * Version.
 */
version: number, 
/**
 * Author's time.
 */
timeMs: number, 
/**
 * Author.
 */
author: string, 
/**
 * `set` or `rotation`.
 */
kind: PutKind, };

/**
 * `AccessRow`.
 */
export type AccessRow = { 
/**
 * Member name.
 */
name: string, 
/**
 * Device id.
 */
id: string, 
/**
 * Role on the vault.
 */
role: VaultRole, };

/**
 * `SecretDetail`.
 */
export type SecretDetail = { 
/**
 * The row.
 */
row: SecretRow, 
/**
 * Versions, newest first.
 */
history: Array<VersionRow>, 
/**
 * Who can read it.
 */
access: Array<AccessRow>, };

/**
 * What `copy_secret` puts on the clipboard.
 */
export type CopyFormat = "value" | "reference" | "env";

/**
 * `copy_secret`'s answer: no value, only how long it stays on the clipboard.
 */
export type CopyOut = { 
/**
 * Seconds until cleared; 0 for formats that hold no secret (`reference`), which are not
 * cleared.
 */
clearAfterSecs: number, };

/**
 * `MemberInfo`.
 */
export type MemberDto = { 
/**
 * Name.
 */
name: string, 
/**
 * Device id.
 */
id: string, 
/**
 * Team role.
 */
role: TeamRole, 
/**
 * `active`, `pending` or `removed`.
 */
status: string, 
/**
 * Fingerprint.
 */
fingerprint: string, 
/**
 * For pending joins.
 */
safetyCode?: string, };

/**
 * `ExposedInfo`.
 */
export type ExposedDto = { 
/**
 * Team.
 */
team: string, 
/**
 * `VAULT/NAME`.
 */
address: string, 
/**
 * Why.
 */
reason: string, 
/**
 * Since when.
 */
sinceMs: number, };

/**
 * `remove_member`'s answer.
 */
export type RemovedDto = { 
/**
 * The removed member.
 */
member: MemberDto, 
/**
 * Secrets to rotate.
 */
exposed: Array<ExposedDto>, };

/**
 * `ConflictInfo`.
 */
export type ConflictDto = { 
/**
 * Team.
 */
team: string, 
/**
 * `VAULT/NAME`.
 */
address: string, 
/**
 * Competing versions; the last is current.
 */
versions: Array<number>, };

/**
 * `security_alerts`: something a person should look at. Names, addresses and counts only,
 * never a value.
 */
export type AlertDto = { 
/**
 * `service_new_ip`, `usage_spike`, `device_unseen` or `relay` (the UI shows others as
 * they come).
 */
kind: string, 
/**
 * Team.
 */
team: string, 
/**
 * Who or what it is about: a member, a service identity, the relay.
 */
subject: string, 
/**
 * One line for a person: what happened and what to do.
 */
detail: string, 
/**
 * Since when, when known.
 */
sinceMs?: number, 
/**
 * The next step about `subject` (the UI words it; `detail` names no command).
 */
hint?: Hint, };

/**
 * `invite`'s answer.
 */
export type InviteDto = { 
/**
 * The one-line code to send.
 */
code: string, 
/**
 * Expiry.
 */
expiresMs: number, };

/**
 * `join_team`'s answer.
 */
export type JoinDto = { 
/**
 * Team id.
 */
teamId: string, 
/**
 * Code to compare with the inviter.
 */
safetyCode: string, };

/**
 * `ActivityEntry`.
 */
export type ActivityDto = { 
/**
 * Log position.
 */
seq: number, 
/**
 * Author's time.
 */
timeMs: number, 
/**
 * Who.
 */
actor: string, 
/**
 * What (machine-readable).
 */
action: string, 
/**
 * On what.
 */
target: string, 
/**
 * The vault it concerns, when readable.
 */
vault?: string, 
/**
 * For `used`: how (get, run, inject, reveal, copy, history); for `leaked`: the note.
 */
detail?: string, };

/**
 * One team's sync state (`TeamStatus`).
 */
export type TeamStatusDto = { 
/**
 * Team.
 */
team: string, 
/**
 * Relay URL.
 */
relay: string | null, 
/**
 * Last successful sync.
 */
lastSyncMs: number | null, 
/**
 * Head sequence number.
 */
headSeq: number | null, 
/**
 * Short code of the head to compare with teammates.
 */
stateCode: string, 
/**
 * Events waiting to be pushed.
 */
outbox: number, 
/**
 * Secrets in conflict.
 */
conflicts: number, 
/**
 * Waiting for admission.
 */
joining: boolean, 
/**
 * Last relay misbehaviour detected.
 */
relayAlert: string | null, 
/**
 * When a person last confirmed a teammate read the same state code.
 */
comparedMs: number | null, 
/**
 * The head event at that comparison.
 */
comparedSeq: number | null, 
/**
 * Signed events that broke a rule and had no effect, with their authors.
 */
rejected: Array<string>, };

/**
 * The sync indicator's state.
 */
export type SyncState = "online" | "offline" | "syncing" | "local" | "misbehaving" | "refused";

/**
 * `SyncStatus`.
 */
export type SyncStatus = { 
/**
 * Overall state.
 */
state: SyncState, 
/**
 * Most recent successful sync of any team.
 */
lastSyncMs?: number, 
/**
 * Secrets in conflict, all teams.
 */
conflicts: number, 
/**
 * Events waiting to be pushed, all teams.
 */
outbox: number, 
/**
 * What a person should know (relay misbehaviour, refusal).
 */
alert?: string, 
/**
 * Per team.
 */
teams: Array<TeamStatusDto>, };

/**
 * What `create_backup` wrote.
 */
export type BackupDto = { 
/**
 * The backup file.
 */
file: string, 
/**
 * How many secrets it holds (in plaintext, under the backup passphrase).
 */
secrets: number, 
/**
 * When it was made.
 */
createdMs: number, };

/**
 * What `restore_backup` did.
 */
export type RestoreDto = { 
/**
 * How many secrets the backup listed.
 */
secrets: number, 
/**
 * When the backup was made: its master password of that day unlocks the restored store.
 */
backupCreatedMs: number, 
/**
 * Where the store that was there before now is (renamed aside, never deleted).
 */
previousStore: string | null, };

/**
 * `hush://locked`'s reason.
 */
export type LockReason = "idle" | "sleep" | "user";

/**
 * `hush://changed`'s payload.
 */
export type ChangedEvent = { 
/**
 * Teams that changed (their names; a team just admitted under its real name).
 */
teams: Array<string>, };

/**
 * `hush://locked`'s payload.
 */
export type LockedEvent = { 
/**
 * Why the app locked.
 */
reason: LockReason, };
