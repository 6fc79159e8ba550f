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
  id: string;
  name: string;
  relay?: string | null;
  selected: boolean;
  /** Assumed to be the number of vaults in the team. */
  vaults: number;
}

export interface VaultInfo {
  team: string;
  id: string;
  name: string;
  /** Number of live secrets in the vault. */
  secrets: number;
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
  /** Milliseconds since the epoch. */
  expires?: number | null;
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
  expires?: number;
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
  action: string;
  target: string;
}

export interface ConflictInfo {
  team: string;
  address: string;
  versions: number[];
}

export type SyncState = 'online' | 'offline' | 'syncing' | 'local' | 'misbehaving';

export interface TeamStatus {
  team: string;
  state?: SyncState;
  lastSyncMs?: number | null;
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
