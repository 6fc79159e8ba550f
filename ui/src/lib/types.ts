// Types of the desktop IPC contract (docs/DESKTOP-IPC.md). Shapes only — no values of secrets
// appear anywhere here except the `string` returned by `reveal_secret`.

export interface Settings {
  clipboardClearSecs: number;
  autoLockMins: number;
}

export interface AppState {
  initialized: boolean;
  unlocked: boolean;
  home: string;
  settings: Settings;
}

export interface WhoAmI {
  name: string;
  deviceId: string;
  fingerprint: string;
}

export interface TeamInfo {
  /** The handle commands take: the team's name, or its UUID while joining. */
  id: string;
  /** The name; while joining, the local join label. */
  name: string;
  /** Stable across admission (when `id` and `name` become the real name). */
  uuid: string;
  relay?: string | null;
  selected: boolean;
  /** Readable vaults in the team. */
  vaults: number;
  /** This device asked to join and waits to be admitted. */
  joining: boolean;
  /** While joining: the code the inviter must hear before admitting this device. */
  safetyCode?: string | null;
}

export interface VaultInfo {
  team: string;
  id: string;
  name: string;
  /** Number of live secrets in the vault. */
  secrets: number;
  /** This device's role on the vault: `read` cannot add, edit or delete secrets. */
  role?: AccessRole | null;
}

export type Rotation = 'ok' | 'due' | 'overdue' | 'expired' | 'none';

export interface Exposure {
  reason: string;
  sinceMs: number;
}

export interface SecretRow {
  team: string;
  vault: string;
  name: string;
  version: number;
  updatedMs: number;
  note: string;
  tags: string[];
  url?: string | null;
  scope?: string | null;
  /** A date, "YYYY-MM-DD". */
  expires?: string | null;
  rotateEveryDays?: number | null;
  exposed?: Exposure | null;
  conflict: boolean;
  rotation: Rotation;
}

export interface VersionRow {
  version: number;
  timeMs: number;
  author: string;
  kind: 'set' | 'rotation';
}

export type AccessRole = 'read' | 'write' | 'admin';

export interface AccessRow {
  name: string;
  id: string;
  role: AccessRole;
}

export interface SecretDetail {
  row: SecretRow;
  history: VersionRow[];
  access: AccessRow[];
}

export type CopyFormat = 'value' | 'reference' | 'env';

export interface CopyResult {
  clearAfterSecs: number;
}

export interface SetSecretArgs {
  team: string;
  vault: string;
  name: string;
  value: string;
  note?: string;
  tags?: string[];
  url?: string;
  scope?: string;
  /** "YYYY-MM-DD"; "" removes the expiry. */
  expires?: string;
  rotateEveryDays?: number;
}

export type MemberStatus = 'active' | 'pending' | 'removed';

export interface MemberInfo {
  name: string;
  id: string;
  /** "owner" | "admin" | "member" (the contract only names the invitable roles). */
  role: string;
  status: MemberStatus;
  fingerprint: string;
  safetyCode?: string | null;
}

export type InviteRole = 'member' | 'admin';

export interface Invite {
  code: string;
  expiresMs: number;
}

export interface JoinResult {
  teamId: string;
  safetyCode: string;
}

export interface ExposedInfo {
  team: string;
  address: string;
  reason: string;
  sinceMs: number;
}

export interface RemoveResult {
  member: MemberInfo;
  exposed: ExposedInfo[];
}

export interface ActivityEntry {
  seq: number;
  timeMs: number;
  actor: string;
  /** Machine-readable: created_team, created_vault, set, rotated, deleted, invited, admitted, removed, granted, revoked, created_service, leaked, used. */
  action: string;
  target: string;
  vault?: string | null;
  /** For `used`: how (get, run, inject, reveal, copy, history); for `leaked`: the note. */
  detail?: string | null;
}

/** `security_alerts`: something a person should look at. Names, addresses and counts, never a value. */
export interface AlertInfo {
  /** `usage_spike`, `service_new_ip`, `device_unseen`, `relay`; others may be added. */
  kind: string;
  team: string;
  /** Who or what it is about: a member, a service identity, the relay. */
  subject: string;
  /** One line for a person: what happened and what to do. */
  detail: string;
  sinceMs?: number | null;
}

export interface ConflictInfo {
  team: string;
  address: string;
  versions: number[];
}

export type SyncState = 'online' | 'offline' | 'syncing' | 'local' | 'misbehaving' | 'refused';

export interface TeamStatus {
  /** The team's name; its join label while `joining`. */
  team: string;
  relay?: string | null;
  lastSyncMs?: number | null;
  /** Waiting for admission. */
  joining?: boolean;
  /** Head event and the team state code derived from it (equal codes: same verified history). */
  headSeq?: number | null;
  stateCode?: string;
  /** When a person last confirmed a teammate read the same code, and the head then. */
  comparedMs?: number | null;
  comparedSeq?: number | null;
  /** Signed events without effect (a teammate's client broke a rule), with their authors. */
  rejected?: string[];
  [key: string]: unknown;
}

export interface SyncStatus {
  state: SyncState;
  lastSyncMs?: number | null;
  conflicts: number;
  outbox: number;
  alert?: string | null;
  teams: TeamStatus[];
}

export interface ChangedEvent {
  teams: string[];
}

export type LockReason = 'idle' | 'sleep' | 'user';

export interface LockedEvent {
  reason: LockReason;
}

/** `create_backup`: the file written (every readable value, encrypted to the backup passphrase). */
export interface BackupResult {
  file: string;
  secrets: number;
  createdMs: number;
}

/** `restore_backup`: the app is locked afterwards; the store's master password of `backupCreatedMs` unlocks it. */
export interface RestoreResult {
  secrets: number;
  backupCreatedMs: number;
  /** Where the store that was there before was moved (renamed aside, never deleted). */
  previousStore?: string | null;
}
