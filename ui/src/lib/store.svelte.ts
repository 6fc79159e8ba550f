// All UI state lives here. Components read it and call its methods; only this module and
// the components' dialogs call `api`. A revealed secret value is held in exactly one field,
// `revealed`, and is dropped on hide, on selection change, on lock and on `hush://locked`.
import { alertsDue, sortAlerts } from './alerts';
import { api, errorTitle, handlingFor, HushError, subscribe, toHushError, type SecretAddress } from './api';
import { dateTime, parseAddress, plural, secretKey } from './format';
import type {
  AccessRole,
  AlertInfo,
  BackupResult,
  ConflictInfo,
  CopyFormat,
  JoinResult,
  LockReason,
  RestoreResult,
  SecretDetail,
  SecretRow,
  Settings,
  SyncStatus,
  TeamInfo,
  VaultInfo,
  WhoAmI,
} from './types';

export type Phase = 'loading' | 'onboarding' | 'locked' | 'main';

export type View =
  | { kind: 'secrets' }
  | { kind: 'members'; team: string }
  | { kind: 'access'; team: string; vault: string }
  | { kind: 'activity'; team: string };

export interface Filter {
  team?: string;
  vault?: string;
  /** Only secrets that need attention (exposed, conflict, rotation due/overdue, expired). */
  attention?: boolean;
}

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error' | 'warning';
  title: string;
  detail?: string;
}

export type Dialog =
  | { kind: 'settings' }
  | { kind: 'newVault'; team?: string }
  | { kind: 'newTeam' }
  | { kind: 'joinTeam' }
  | { kind: 'secretForm'; mode: 'create' }
  | { kind: 'secretForm'; mode: 'edit'; row: SecretRow }
  | { kind: 'deleteSecret'; row: SecretRow }
  | { kind: 'resolveConflict'; row: SecretRow };

export interface Revealed {
  key: string;
  version?: number;
  value: string;
}

export const SEARCH_LIMIT = 500;
export const PALETTE_LIMIT = 8;
export const ACTIVITY_THROTTLE_MS = 10_000;

const DEFAULT_SETTINGS: Settings = { clipboardClearSecs: 30, autoLockMins: 10 };

/** Whether a vault role allows adding, editing and deleting secrets (unknown: let the core decide). */
export function canWriteRole(role: AccessRole | null | undefined): boolean {
  return role === undefined || role === 'write' || role === 'admin';
}

/** Client-side filter for lists that are not ranked by the core (the attention list). */
export function matchesQuery(row: SecretRow, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  const hay = [row.name, row.vault, row.team, row.note, ...row.tags].join(' ').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export interface StoreDeps {
  api: typeof api;
  now: () => number;
  subscribe: typeof subscribe;
}

const defaultDeps = (): StoreDeps => ({
  api,
  now: () => Date.now(),
  subscribe,
});

export class HushStore {
  phase = $state<Phase>('loading');
  lockReason = $state<LockReason | null>(null);
  home = $state('');
  settings = $state<Settings>({ ...DEFAULT_SETTINGS });

  me = $state<WhoAmI | null>(null);
  teams = $state<TeamInfo[]>([]);
  vaults = $state<VaultInfo[]>([]);

  view = $state<View>({ kind: 'secrets' });
  filter = $state<Filter>({});
  query = $state('');
  results = $state<SecretRow[]>([]);
  resultsLoaded = $state(false);
  /** Secrets that need attention, from `attention` (not limited like search results). */
  attention = $state<SecretRow[]>([]);
  /** Security alerts (`security_alerts`), most urgent first. */
  alerts = $state<AlertInfo[]>([]);
  selectedKey = $state<string | null>(null);
  detail = $state<SecretDetail | null>(null);
  detailError = $state<string | null>(null);
  revealed = $state<Revealed | null>(null);

  sync = $state<SyncStatus | null>(null);
  conflicts = $state<ConflictInfo[]>([]);
  /** Bumped on `hush://changed` so open pages (members, activity) reload. */
  changeTick = $state(0);

  toasts = $state<Toast[]>([]);
  /** A backup was just restored: the unlock screen says which master password opens it. */
  restored = $state<RestoreResult | null>(null);
  paletteOpen = $state(false);
  dialog = $state<Dialog | null>(null);
  now = $state(0);

  readonly visible: SecretRow[] = $derived(
    this.filter.attention === true
      ? this.attention.filter((r) => matchesQuery(r, this.query))
      : this.results.filter(
          (r) =>
            (this.filter.team === undefined || r.team === this.filter.team) &&
            (this.filter.vault === undefined || r.vault === this.filter.vault),
        ),
  );
  /** Teams this device asked to join and that have not admitted it yet. */
  readonly joining: TeamInfo[] = $derived(this.teams.filter((t) => t.joining));
  /** The joining team the secrets view is filtered on, if any (shows the waiting state). */
  readonly waitingTeam: TeamInfo | undefined = $derived(
    this.filter.team === undefined ? undefined : this.teams.find((t) => t.joining && t.id === this.filter.team),
  );
  /** How many secrets the current filter covers (the list shows at most SEARCH_LIMIT). */
  readonly scopeTotal: number = $derived(
    this.filter.attention === true
      ? this.attention.length
      : this.vaults
          .filter((v) => (this.filter.team === undefined || v.team === this.filter.team) && (this.filter.vault === undefined || v.id === this.filter.vault))
          .reduce((n, v) => n + v.secrets, 0),
  );
  /** Vaults this device may add secrets to. */
  readonly writableVaults: VaultInfo[] = $derived(this.vaults.filter((v) => canWriteRole(v.role)));
  readonly activeIndex: number = $derived(
    this.selectedKey === null ? -1 : this.visible.findIndex((r) => secretKey(r) === this.selectedKey),
  );
  readonly selected: SecretRow | null = $derived(this.activeIndex >= 0 ? (this.visible[this.activeIndex] ?? null) : null);
  readonly totalSecrets: number = $derived(this.vaults.reduce((n, v) => n + v.secrets, 0));
  /** What "Needs attention" counts: secrets and security alerts. */
  readonly attentionCount: number = $derived(this.attention.length + this.alerts.length);

  private deps: StoreDeps;
  /** A search started by typing is running; `searchAgain`: the query changed meanwhile. */
  private searching = false;
  private searchAgain = false;
  private searchSeq = 0;
  private detailSeq = 0;
  private alertsSeq = 0;
  private alertsLoadedAt = Number.NEGATIVE_INFINITY;
  private lastActivity = Number.NEGATIVE_INFINITY;
  private toastSeq = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(deps: Partial<StoreDeps> = {}) {
    this.deps = { ...defaultDeps(), ...deps };
    this.now = this.deps.now();
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async boot(): Promise<void> {
    if (this.unsubscribe === null) {
      try {
        this.unsubscribe = await this.deps.subscribe({
          changed: () => void this.refresh(),
          sync: (s) => this.onSync(s),
          locked: (e) => this.onLocked(e.reason),
          clipboardCleared: () => this.toast('info', 'Clipboard cleared'),
        });
      } catch {
        this.unsubscribe = () => undefined;
      }
    }
    try {
      const st = await this.deps.api.appState();
      this.home = st.home;
      this.settings = st.settings;
      if (!st.initialized) this.phase = 'onboarding';
      else if (!st.unlocked) this.phase = 'locked';
      else await this.enterMain(await this.deps.api.whoami());
    } catch (e) {
      this.fail(e);
      this.phase = 'locked';
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async enterMain(me: WhoAmI): Promise<void> {
    this.me = me;
    this.lockReason = null;
    this.restored = null;
    this.phase = 'main';
    await Promise.all([this.loadTree(), this.runSearch(), this.loadSync(), this.loadAttention(), this.loadAlerts()]);
  }

  /** Throws a `HushError` on failure so the unlock form can branch on `code`. */
  async unlock(password: string): Promise<void> {
    const me = await this.deps.api.unlock(password);
    await this.enterMain(me);
  }

  async lock(): Promise<void> {
    this.wipe();
    this.phase = 'locked';
    this.lockReason = 'user';
    try {
      await this.deps.api.lock();
    } catch (e) {
      this.fail(e);
    }
  }

  private onLocked(reason: LockReason): void {
    if (this.phase === 'onboarding') return;
    // Already wiped (the lock button, or a restored backup): keep what the unlock screen says.
    if (this.phase === 'locked') return;
    this.wipe();
    this.phase = 'locked';
    this.lockReason = reason;
  }

  /** Forgets everything that came from the vault: lists, details, revealed values, search. */
  wipe(): void {
    this.searchSeq++;
    this.detailSeq++;
    this.revealed = null;
    this.detail = null;
    this.detailError = null;
    this.selectedKey = null;
    this.results = [];
    this.resultsLoaded = false;
    this.attention = [];
    this.alertsSeq++;
    this.alerts = [];
    this.alertsLoadedAt = Number.NEGATIVE_INFINITY;
    this.query = '';
    this.filter = {};
    this.view = { kind: 'secrets' };
    this.teams = [];
    this.vaults = [];
    this.conflicts = [];
    this.sync = null;
    this.me = null;
    this.paletteOpen = false;
    this.dialog = null;
    this.toasts = [];
  }

  // ---- loading ---------------------------------------------------------------------------

  async loadTree(): Promise<void> {
    try {
      const [teams, vaults] = await Promise.all([this.deps.api.listTeams(), this.deps.api.listVaults()]);
      if (this.phase !== 'main') return;
      const before = this.teams;
      this.teams = teams;
      this.vaults = vaults;
      this.followTeams(before);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * A joining team's handle changes when it is admitted (its UUID and join label become the
   * team's name): the open filter and page follow it by UUID, and the person is told. A team
   * that is gone takes the filter or page with it.
   */
  private followTeams(before: TeamInfo[]): void {
    const current = (id: string): string | undefined => {
      if (this.teams.some((t) => t.id === id)) return id;
      const uuid = before.find((t) => t.id === id)?.uuid;
      return uuid === undefined ? undefined : this.teams.find((t) => t.uuid === uuid)?.id;
    };
    const f = this.filter;
    if (f.team !== undefined) {
      const id = current(f.team);
      if (id === undefined) this.setFilter({});
      else if (id !== f.team) this.setFilter(f.vault === undefined ? { team: id } : { team: id, vault: f.vault });
    }
    const v = this.view;
    if (v.kind !== 'secrets') {
      const id = current(v.team);
      if (id === undefined) this.view = { kind: 'secrets' };
      else if (id !== v.team) this.view = { ...v, team: id };
    }
    for (const t of this.teams) {
      if (!t.joining && before.some((b) => b.uuid === t.uuid && b.joining)) {
        this.toast('success', `You were admitted to ${t.name}`, t.vaults > 0 ? undefined : 'Vaults appear here as soon as someone grants you access.');
      }
    }
  }

  async loadAttention(): Promise<void> {
    try {
      const rows = await this.deps.api.attention();
      if (this.phase !== 'main') return;
      this.attention = rows;
      if (this.filter.attention === true) this.reconcileSelection();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Security alerts; also called after syncs, so it does not count as activity in the shell. */
  async loadAlerts(): Promise<void> {
    const seq = ++this.alertsSeq;
    this.alertsLoadedAt = this.deps.now();
    try {
      const alerts = await this.deps.api.securityAlerts();
      if (seq !== this.alertsSeq || this.phase !== 'main') return;
      this.alerts = sortAlerts(alerts);
    } catch (e) {
      if (seq === this.alertsSeq) this.fail(e);
    }
  }

  /** After `join_team`: list the team (waiting for admission) and show its waiting state. */
  async afterJoin(r: JoinResult): Promise<void> {
    await Promise.all([this.loadTree(), this.loadSync()]);
    const t = this.teams.find((x) => x.uuid === r.teamId || x.id === r.teamId);
    if (t) this.setFilter({ team: t.id });
  }

  async loadSync(): Promise<void> {
    try {
      const s = await this.deps.api.syncStatus();
      if (this.phase !== 'main') return;
      this.onSync(s);
      await this.loadConflicts();
    } catch (e) {
      this.fail(e);
    }
  }

  async loadConflicts(): Promise<void> {
    try {
      const c = await this.deps.api.conflicts();
      if (this.phase === 'main') this.conflicts = c;
    } catch (e) {
      this.fail(e);
    }
  }

  /** A sync status answered by a command (e.g. recording a state-code comparison). */
  applySync(s: SyncStatus): void {
    this.onSync(s);
  }

  private onSync(s: SyncStatus): void {
    if (this.phase !== 'main') return;
    const prev = this.sync;
    const before = prev?.conflicts ?? 0;
    this.sync = s;
    this.now = this.deps.now();
    if (s.conflicts !== before) void this.loadConflicts();
    // The first status comes with entering main, which loads the alerts itself.
    if (prev !== null && alertsDue(prev, s, this.alertsLoadedAt, this.now)) void this.loadAlerts();
  }

  /**
   * Reloads everything a change can touch: the tree, the list, conflicts, "Needs attention",
   * alerts, the open page (through `changeTick`) and the selected secret's detail. Runs on
   * `hush://changed` and after this device's own membership and access changes, which alter
   * badges (exposed) and "Who has access" of secrets that were not edited.
   */
  async refresh(): Promise<void> {
    if (this.phase !== 'main') return;
    this.changeTick++;
    await Promise.all([this.loadTree(), this.runSearch(), this.loadConflicts(), this.loadAttention(), this.loadAlerts()]);
    if (this.selected) await this.loadDetail(this.selected, false);
  }

  async syncNow(): Promise<void> {
    if (this.sync) this.sync = { ...this.sync, state: 'syncing' };
    try {
      const s = await this.deps.api.syncNow();
      this.onSync(s);
      this.changeTick++;
      await Promise.all([this.loadTree(), this.runSearch(), this.loadConflicts(), this.loadAttention()]);
    } catch (e) {
      this.fail(e);
      await this.loadSync();
    }
  }

  tick(): void {
    this.now = this.deps.now();
  }

  // ---- search & selection -------------------------------------------------------------------

  /**
   * Called on every keystroke: the input updates at once and the search starts at once; the
   * keystrokes that arrive while it runs are coalesced into one more search for the latest
   * query, so a fast typist never queues a search per key.
   */
  setQuery(q: string): void {
    this.query = q;
    if (this.searching) {
      this.searchAgain = true;
      return;
    }
    void this.searchWhileTyping();
  }

  private async searchWhileTyping(): Promise<void> {
    this.searching = true;
    try {
      do {
        this.searchAgain = false;
        await this.runSearch();
      } while (this.searchAgain && this.phase === 'main');
    } finally {
      this.searching = false;
    }
  }

  async runSearch(): Promise<void> {
    const seq = ++this.searchSeq;
    try {
      // At 10k secrets the first SEARCH_LIMIT rows may hold none of a vault's: scope the search.
      const { team, vault } = this.filter.attention === true ? {} : this.filter;
      const rows = await this.deps.api.searchSecrets(this.query, SEARCH_LIMIT, { team, vault });
      if (seq !== this.searchSeq || this.phase !== 'main') return;
      this.results = rows;
      this.resultsLoaded = true;
      this.reconcileSelection();
    } catch (e) {
      if (seq === this.searchSeq) this.fail(e);
    }
  }

  /** Keeps the selection if it is still visible, else selects the first row. */
  private reconcileSelection(): void {
    if (this.activeIndex >= 0) return;
    const first = this.visible[0];
    if (first) void this.select(first);
    else this.clearSelection();
  }

  clearSelection(): void {
    this.detailSeq++;
    this.selectedKey = null;
    this.detail = null;
    this.detailError = null;
    this.revealed = null;
  }

  async select(row: SecretRow): Promise<void> {
    const key = secretKey(row);
    if (key !== this.selectedKey) {
      this.revealed = null;
      this.selectedKey = key;
      this.detail = null;
    }
    await this.loadDetail(row, true);
  }

  move(delta: number): void {
    const n = this.visible.length;
    if (n === 0) return;
    const from = this.activeIndex < 0 ? (delta > 0 ? -1 : n) : this.activeIndex;
    const to = Math.min(n - 1, Math.max(0, from + delta));
    const row = this.visible[to];
    if (row && to !== this.activeIndex) void this.select(row);
  }

  moveToEdge(end: 'first' | 'last'): void {
    const row = end === 'first' ? this.visible[0] : this.visible[this.visible.length - 1];
    if (row) void this.select(row);
  }

  async loadDetail(a: SecretAddress, clearError: boolean): Promise<void> {
    const seq = ++this.detailSeq;
    if (clearError) this.detailError = null;
    try {
      const d = await this.deps.api.secretDetail(a);
      if (seq !== this.detailSeq || this.selectedKey !== secretKey(a)) return;
      this.detail = d;
      this.detailError = null;
    } catch (e) {
      if (seq !== this.detailSeq) return;
      const err = toHushError(e);
      if (handlingFor(err.code) === 'relock') return this.fail(err);
      this.detailError = err.message;
    }
  }

  setFilter(f: Filter): void {
    this.view = { kind: 'secrets' };
    const rescope = f.team !== this.filter.team || f.vault !== this.filter.vault;
    this.filter = f;
    this.reconcileSelection();
    if (rescope && this.phase === 'main') void this.runSearch();
  }

  showView(v: View): void {
    this.view = v;
  }

  // ---- values ------------------------------------------------------------------------------

  /** The only path by which a secret value enters the web view. */
  async reveal(row: SecretRow, version?: number): Promise<void> {
    const key = secretKey(row);
    try {
      const value = await this.deps.api.revealSecret(row, version);
      if (this.selectedKey !== key || this.phase !== 'main') return;
      this.revealed = version === undefined ? { key, value } : { key, version, value };
    } catch (e) {
      this.fail(e);
    }
  }

  hide(): void {
    this.revealed = null;
  }

  async copy(row: SecretAddress, format: CopyFormat = 'value'): Promise<void> {
    try {
      const r = await this.deps.api.copySecret(row, format);
      const what = format === 'value' ? 'Copied' : format === 'reference' ? 'Reference copied' : 'Env line copied';
      // Only a value is cleared: a reference or an env line holds no secret (clearAfterSecs 0).
      this.toast('success', r.clearAfterSecs > 0 ? `${what} — clears in ${r.clearAfterSecs} s` : what);
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- mutations ---------------------------------------------------------------------------

  /** The toast after a write; offline, it says the change waits on this device. */
  private wrote(title: string): void {
    if (this.sync?.state === 'offline') this.toast('success', `${title} on this device`, 'Offline: it syncs when the relay is reachable again.');
    else this.toast('success', title);
  }

  async afterSecretSaved(a: SecretAddress, verb: string): Promise<void> {
    this.wrote(`${verb} ${a.name}`);
    this.dialog = null;
    await Promise.all([this.loadTree(), this.runSearch(), this.loadAttention()]);
    const row = this.visible.find((r) => secretKey(r) === secretKey(a));
    if (row) await this.select(row);
  }

  async deleteSecret(row: SecretRow): Promise<void> {
    try {
      await this.deps.api.deleteSecret(row);
      this.dialog = null;
      if (this.selectedKey === secretKey(row)) this.clearSelection();
      this.wrote(`Deleted ${row.name}`);
      await Promise.all([this.loadTree(), this.runSearch(), this.loadAttention()]);
    } catch (e) {
      this.fail(e);
    }
  }

  conflictFor(row: SecretRow): ConflictInfo | undefined {
    return this.conflicts.find((c) => {
      if (c.team !== row.team) return false;
      const a = parseAddress(c.address);
      return a.name === row.name && (a.vault === '' || a.vault === row.vault);
    });
  }

  async resolveConflict(row: SecretRow, keep: number): Promise<void> {
    try {
      const v = await this.deps.api.resolveConflict(row, keep);
      this.dialog = null;
      this.toast('success', `Kept version ${keep} of ${row.name}`, `Saved as version ${v}.`);
      await Promise.all([this.runSearch(), this.loadConflicts(), this.loadAttention(), this.loadDetail(row, true)]);
      const s = await this.deps.api.syncStatus();
      this.onSync(s);
    } catch (e) {
      this.fail(e);
    }
  }

  async saveSettings(s: Settings): Promise<boolean> {
    try {
      this.settings = await this.deps.api.updateSettings(s);
      this.toast('success', 'Settings saved');
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  // ---- backups ---------------------------------------------------------------------------

  /** Writes a backup file. Throws a `HushError` so the form can show it in place. */
  async createBackup(path: string, passphrase: string, overwrite: boolean): Promise<BackupResult> {
    const r = await this.deps.api.createBackup(path, passphrase, overwrite);
    this.toast('success', 'Backup written', `${plural(r.secrets, 'secret')} in ${r.file}`);
    return r;
  }

  /**
   * Restores a backup: the shell locks first, so on success everything decrypted is wiped and
   * the unlock screen asks for the master password of the backup's day. Throws a `HushError`
   * (nothing changed) so the form can show it in place.
   */
  async restoreBackup(path: string, passphrase: string, replace: boolean): Promise<RestoreResult> {
    const r = await this.deps.api.restoreBackup(path, passphrase, replace);
    this.wipe();
    this.restored = r;
    this.lockReason = null;
    this.phase = 'locked';
    this.toast(
      'success',
      'Backup restored',
      r.previousStore ? `The previous store was kept as ${r.previousStore}.` : `Made ${dateTime(r.backupCreatedMs)}.`,
    );
    return r;
  }

  // ---- activity & toasts -------------------------------------------------------------------

  /** Tells the shell the user is active, at most once per `ACTIVITY_THROTTLE_MS`. */
  noteActivity(): void {
    if (this.phase !== 'main') return;
    const t = this.deps.now();
    if (t - this.lastActivity < ACTIVITY_THROTTLE_MS) return;
    this.lastActivity = t;
    this.deps.api.noteActivity().catch(() => undefined);
  }

  toast(kind: Toast['kind'], title: string, detail?: string): void {
    const id = ++this.toastSeq;
    const t: Toast = detail === undefined ? { id, kind, title } : { id, kind, title, detail };
    this.toasts = [...this.toasts.slice(-3), t];
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** Reports an error by code: relock on `locked`, a toast otherwise. */
  fail(e: unknown): void {
    const err = e instanceof HushError ? e : toHushError(e);
    const h = handlingFor(err.code);
    if (h === 'relock') {
      this.onLocked('user');
      this.lockReason = null;
      return;
    }
    if (h === 'missing') void this.runSearch();
    this.toast(h === 'offline' ? 'warning' : 'error', h === 'offline' ? 'Offline — saved locally' : errorTitle(err.code), err.message);
  }

  // ---- lookups -----------------------------------------------------------------------------

  teamName(id: string): string {
    return this.teams.find((t) => t.id === id)?.name ?? id;
  }

  vaultName(team: string, id: string): string {
    return this.vaults.find((v) => v.team === team && v.id === id)?.name ?? id;
  }

  vaultsOf(team: string): VaultInfo[] {
    return this.vaults.filter((v) => v.team === team);
  }

  /** Whether this device may add, edit and delete secrets in a vault. */
  canWrite(team: string, vault: string): boolean {
    const v = this.vaults.find((x) => x.team === team && x.id === vault);
    return v !== undefined && canWriteRole(v.role);
  }

  /** Whether this device may grant and revoke access to a vault (vault admins only). */
  canAdmin(team: string, vault: string): boolean {
    return this.vaults.find((x) => x.team === team && x.id === vault)?.role === 'admin';
  }

  /** Vaults a new secret can go to from the current filter (all writable ones when unfiltered). */
  writableInScope(): VaultInfo[] {
    const { team, vault } = this.filter;
    return this.writableVaults.filter((v) => (team === undefined || v.team === team) && (vault === undefined || v.id === vault));
  }

  describeFilter(): string {
    if (this.filter.attention === true) return 'Needs attention';
    const { team, vault } = this.filter;
    if (team !== undefined && vault !== undefined) return this.vaultName(team, vault);
    if (team !== undefined) return this.teamName(team);
    return 'All secrets';
  }

  countLabel(): string {
    return plural(this.visible.length, 'secret');
  }
}

export const store = new HushStore();
