// The only module that talks to the Rust shell. Every command and event of
// docs/DESKTOP-IPC.md has one typed wrapper here; components and the store never call
// `invoke` or `listen` themselves.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { isHint, withHint } from './hints';
import type {
  AccessRole,
  AccessRow,
  ActivityEntry,
  AlertInfo,
  AppState,
  BackupResult,
  ChangedEvent,
  ConflictInfo,
  CopyFormat,
  CopyResult,
  ErrorCode,
  ExposedInfo,
  Hint,
  Invite,
  InviteRole,
  JoinResult,
  LockedEvent,
  MemberInfo,
  RemoveResult,
  RestoreResult,
  SecretDetail,
  SecretRow,
  SetSecretArgs,
  Settings,
  SyncStatus,
  TeamInfo,
  VaultInfo,
  WhoAmI,
} from './types';

/**
 * An error returned by a command: a stable `code` to branch on (`ErrorCode`, generated from the
 * Rust enum; a newer shell may send a code this UI does not know) and a `message` for people, with
 * the core's `hint` (what to do next) already put into words.
 */
export class HushError extends Error {
  readonly code: string;
  readonly hint: Hint | undefined;
  constructor(code: string, message: string, hint?: Hint) {
    super(message);
    this.name = 'HushError';
    this.code = code;
    this.hint = hint;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Normalises whatever a rejected `invoke` produced into a `HushError`. */
export function toHushError(e: unknown): HushError {
  if (e instanceof HushError) return e;
  if (isRecord(e) && typeof e.code === 'string') {
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : fallbackMessage(e.code);
    const hint = isHint(e.hint) ? e.hint : undefined;
    return new HushError(e.code, withHint(message, hint), hint);
  }
  if (typeof e === 'string') return new HushError('internal', e === '' ? fallbackMessage('internal') : e);
  if (e instanceof Error) return new HushError('internal', e.message);
  return new HushError('internal', fallbackMessage('internal'));
}

/** What the UI does with an error, chosen by code (never by message). */
export type ErrorHandling =
  | 'retry-password' // keep the user on the password field
  | 'relock' // the core is locked: wipe and show the unlock screen
  | 'offline' // a warning, the change waits in the outbox
  | 'denied' // the user lacks the role for this
  | 'missing' // the item vanished (deleted by a teammate): reload
  | 'fix-input' // the form has a problem
  | 'alarm' // integrity / relay misbehaviour: security-relevant
  | 'generic';

export function handlingFor(code: string): ErrorHandling {
  switch (code as ErrorCode) {
    case 'wrong_password':
      return 'retry-password';
    case 'locked':
      return 'relock';
    case 'offline':
      return 'offline';
    case 'forbidden':
      return 'denied';
    case 'not_found':
      return 'missing';
    case 'invalid':
    case 'exists':
      return 'fix-input';
    case 'integrity':
    case 'relay':
    case 'witness_unavailable':
      return 'alarm';
    default:
      return 'generic';
  }
}

/** A short heading for an error, by code; the core's `message` is shown beneath it. */
export function errorTitle(code: string): string {
  switch (code as ErrorCode) {
    case 'wrong_password':
      return 'Wrong password';
    case 'locked':
      return 'Hush is locked';
    case 'offline':
      return 'You are offline';
    case 'forbidden':
      return 'Not allowed';
    case 'not_found':
      return 'Not found';
    case 'invalid':
      return 'Check the input';
    case 'exists':
      return 'Already exists';
    case 'integrity':
      return 'Integrity check failed';
    case 'relay':
      return 'Relay problem';
    case 'witness_unavailable':
      return 'Witness unreachable';
    case 'clipboard':
      return 'Could not copy';
    default:
      return 'Something went wrong';
  }
}

function fallbackMessage(code: string): string {
  switch (code as ErrorCode) {
    case 'wrong_password':
      return 'That password does not unlock this device.';
    case 'locked':
      return 'Unlock Hush to continue.';
    case 'offline':
      return 'The relay is unreachable. Changes are kept locally and sent when you are back online.';
    case 'witness_unavailable':
      return 'A witness the team requires did not answer: nothing was synced. Changes are kept locally.';
    default:
      return 'The operation failed.';
  }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toHushError(e);
  }
}

/** Drops keys whose value is `undefined` so optional arguments are simply absent. */
function defined<T extends object>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

export interface SecretAddress {
  team: string;
  vault: string;
  name: string;
}

export const api = {
  appState: () => call<AppState>('app_state'),
  initIdentity: (name: string, password: string) => call<WhoAmI>('init_identity', { name, password }),
  unlock: (password: string) => call<WhoAmI>('unlock', { password }),
  lock: () => call<null>('lock'),
  whoami: () => call<WhoAmI>('whoami'),
  listTeams: () => call<TeamInfo[]>('list_teams'),
  createTeam: (name: string, relay?: string) => call<TeamInfo>('create_team', defined({ name, relay })),
  listVaults: (team?: string) => call<VaultInfo[]>('list_vaults', defined({ team })),
  createVault: (team: string, name: string) => call<VaultInfo>('create_vault', { team, name }),
  listSecrets: () => call<SecretRow[]>('list_secrets'),
  /** Ranked search; with `scope`, only that team's (or vault's) rows, scoped before the limit. */
  searchSecrets: (query: string, limit: number, scope: { team?: string | undefined; vault?: string | undefined } = {}) =>
    call<SecretRow[]>('search_secrets', defined({ query, limit, team: scope.team, vault: scope.vault })),
  /** Every secret that is exposed, in conflict, or due/overdue/expired. */
  attention: () => call<SecretRow[]>('attention'),
  /** The alerts of `hush status`, every team: unusual reading, a service on a new address, a quiet device, the relay. */
  securityAlerts: () => call<AlertInfo[]>('security_alerts'),
  secretDetail: (a: SecretAddress) => call<SecretDetail>('secret_detail', { team: a.team, vault: a.vault, name: a.name }),
  /** The one command that brings a value into the web view. Call only on an explicit Reveal. */
  revealSecret: (a: SecretAddress, version?: number) =>
    call<string>('reveal_secret', defined({ team: a.team, vault: a.vault, name: a.name, version })),
  copySecret: (a: SecretAddress, format: CopyFormat) =>
    call<CopyResult>('copy_secret', { team: a.team, vault: a.vault, name: a.name, format }),
  setSecret: (args: SetSecretArgs) => call<number>('set_secret', defined(args)),
  deleteSecret: (a: SecretAddress) => call<null>('delete_secret', { team: a.team, vault: a.vault, name: a.name }),
  members: (team: string) => call<MemberInfo[]>('members', { team }),
  invite: (team: string, role: InviteRole, expiresHours: number) => call<Invite>('invite', { team, role, expiresHours }),
  joinTeam: (code: string, label?: string) => call<JoinResult>('join_team', defined({ code, label })),
  admitMember: (team: string, member: string) => call<MemberInfo>('admit_member', { team, member }),
  removeMember: (team: string, member: string) => call<RemoveResult>('remove_member', { team, member }),
  vaultAccess: (team: string, vault: string) => call<AccessRow[]>('vault_access', { team, vault }),
  grantAccess: (team: string, vault: string, member: string, role: AccessRole) =>
    call<AccessRow>('grant_access', { team, vault, member, role }),
  revokeAccess: (team: string, vault: string, member: string) =>
    call<ExposedInfo[]>('revoke_access', { team, vault, member }),
  activity: (team: string, limit: number) => call<ActivityEntry[]>('activity', { team, limit }),
  exposed: () => call<ExposedInfo[]>('exposed'),
  conflicts: () => call<ConflictInfo[]>('conflicts'),
  resolveConflict: (a: SecretAddress, keep: number) =>
    call<number>('resolve_conflict', { team: a.team, vault: a.vault, name: a.name, keep }),
  syncNow: () => call<SyncStatus>('sync_now'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  markStateCompared: (team: string) => call<SyncStatus>('mark_state_compared', { team }),
  updateSettings: (settings: Settings) => call<Settings>('update_settings', { settings }),
  noteActivity: () => call<null>('note_activity'),
  /** Writes a backup file (`path`: absolute or `~/…`); the passphrase goes to Rust and is never returned. */
  createBackup: (path: string, passphrase: string, overwrite: boolean) =>
    call<BackupResult>('create_backup', { path, passphrase, overwrite }),
  /** Puts a backup's store in place; the app locks first. `replace`: a store exists and may be moved aside. */
  restoreBackup: (path: string, passphrase: string, replace: boolean) =>
    call<RestoreResult>('restore_backup', { path, passphrase, replace }),
};

export type Api = typeof api;

export const EVENTS = {
  changed: 'hush://changed',
  sync: 'hush://sync',
  locked: 'hush://locked',
  clipboardCleared: 'hush://clipboard-cleared',
} as const;

export interface EventHandlers {
  changed: (e: ChangedEvent) => void;
  sync: (e: SyncStatus) => void;
  locked: (e: LockedEvent) => void;
  clipboardCleared: () => void;
}

/** Subscribes to every event of the contract; resolves to one function that unsubscribes all. */
export async function subscribe(h: EventHandlers): Promise<() => void> {
  const offs: UnlistenFn[] = await Promise.all([
    listen<ChangedEvent>(EVENTS.changed, (e) => h.changed(e.payload)),
    listen<SyncStatus>(EVENTS.sync, (e) => h.sync(e.payload)),
    listen<LockedEvent>(EVENTS.locked, (e) => h.locked(e.payload)),
    listen<Record<string, never>>(EVENTS.clipboardCleared, () => h.clipboardCleared()),
  ]);
  return () => {
    for (const off of offs) off();
  };
}
