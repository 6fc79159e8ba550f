// Types of the desktop IPC contract (docs/DESKTOP-IPC.md). The shapes of answers, event payloads,
// error codes and hints are generated from the Rust types into `ipc.gen.ts` (never edit that
// file: `HUSH_WRITE_TS=1 cargo test -p hush-desktop ipc_types` regenerates it); this file gives
// them the UI's names and adds the shapes of command arguments, which are parameters in Rust.
// No value of a secret appears anywhere here except the `string` returned by `reveal_secret`.
import type { TeamRole } from './ipc.gen';

export type {
  ActivityDto as ActivityEntry,
  AlertDto as AlertInfo,
  AccessRow,
  AppStateDto as AppState,
  BackupDto as BackupResult,
  ChangedEvent,
  CmdError,
  ConflictDto as ConflictInfo,
  CopyFormat,
  CopyOut as CopyResult,
  ErrorCode,
  ExposedDto as ExposedInfo,
  ExposureDto as Exposure,
  Hint,
  InviteDto as Invite,
  JoinDto as JoinResult,
  LockedEvent,
  LockReason,
  MemberDto as MemberInfo,
  RemovedDto as RemoveResult,
  RestoreDto as RestoreResult,
  RotationState as Rotation,
  SecretDetail,
  SecretRow,
  Settings,
  SyncState,
  SyncStatus,
  TeamDto as TeamInfo,
  TeamRole,
  TeamStatusDto as TeamStatus,
  VaultDto as VaultInfo,
  VaultRole as AccessRole,
  VersionRow,
  WhoAmIDto as WhoAmI,
} from './ipc.gen';

/** `MemberInfo.status`. */
export type MemberStatus = 'active' | 'pending' | 'removed';

/** The roles `invite` takes. */
export type InviteRole = Extract<TeamRole, 'member' | 'admin'>;

/** `set_secret`'s arguments. */
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
