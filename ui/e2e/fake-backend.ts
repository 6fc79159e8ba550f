// An in-memory fake of the Rust shell implementing docs/DESKTOP-IPC.md, for Playwright
// (bundled and injected with `page.addInitScript`) and for Vitest (installed in jsdom).
//
// It keeps secret values only inside `versions[].value` and checks every response except
// `reveal_secret` for any stored value before returning it: a leak throws.
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';

type Json = Record<string, unknown>;

interface Version {
  version: number;
  timeMs: number;
  author: string;
  kind: 'set' | 'rotation';
  value: string;
}

interface Secret {
  team: string;
  vault: string;
  name: string;
  note: string;
  tags: string[];
  url?: string;
  scope?: string;
  /** "YYYY-MM-DD". */
  expires?: string;
  rotateEveryDays?: number;
  exposed?: { reason: string; sinceMs: number };
  versions: Version[];
  /** Versions in conflict (concurrent edits), if any. */
  conflict?: number[];
  deleted: boolean;
}

interface Member {
  name: string;
  id: string;
  role: string;
  status: 'active' | 'pending' | 'removed';
  fingerprint: string;
  safetyCode?: string;
}

interface Access {
  name: string;
  id: string;
  role: 'read' | 'write' | 'admin';
}

/** `security_alerts` (the shape of `AlertInfo`). */
export interface FakeAlert {
  kind: string;
  team: string;
  subject: string;
  detail: string;
  sinceMs?: number;
  /** The next step about `subject` (`revoke_service`, `remove_member`), which the UI words. */
  hint?: string;
}

interface SyncStatus {
  state: 'online' | 'offline' | 'syncing' | 'local' | 'misbehaving' | 'refused';
  lastSyncMs?: number;
  conflicts: number;
  outbox: number;
  alert?: string;
  teams: {
    team: string;
    state: string;
    lastSyncMs?: number;
    relay?: string | null;
    joining?: boolean;
    headSeq?: number;
    stateCode?: string;
    comparedMs?: number;
    comparedSeq?: number;
  }[];
}

interface Team {
  id: string;
  name: string;
  uuid: string;
  relay: string | null;
  /** Waiting for admission (then `id` is the UUID and `name` the join label). */
  joining?: { safetyCode: string; realId: string; realName: string };
}

export interface FakeOptions {
  /** "fresh": no identity; "empty": identity, no team; "team": a seeded team (default). */
  scenario?: 'fresh' | 'empty' | 'team';
  unlocked?: boolean;
  password?: string;
  now?: () => number;
  /**
   * A backup file already on this computer (say, copied from a lost laptop's USB stick): it holds
   * the "team" scenario's store as it was at `createdMs`, opened by `passphrase`.
   */
  backupFile?: { path: string; passphrase: string; createdMs: number };
  /** Other files on this computer, by full path: `restore_backup` says they are not backups. */
  otherFiles?: string[];
}

/** What a backup holds: the whole store as it was (its master password is `password`'s). */
interface StoreSnapshot {
  identity: FakeBackend['identity'];
  teams: Team[];
  vaults: FakeBackend['vaults'];
  secrets: Secret[];
  members: Map<string, Member[]>;
  access: Map<string, Access[]>;
  activityLog: FakeBackend['activityLog'];
  exposedList: FakeBackend['exposedList'];
  alertsList: FakeAlert[];
  sync: SyncStatus;
}

export interface CopyRecord {
  team: string;
  vault: string;
  name: string;
  format: string;
}

export interface CallRecord {
  cmd: string;
  args: Json;
}

const DAY = 86_400_000;

/** "YYYY-MM-DD" of a local time. */
function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** End of a "YYYY-MM-DD" day (local), in ms. */
function endOf(dayStr: string): number {
  const [y, m, d] = dayStr.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1, 23, 59, 59).getTime();
}
const ME_ID = 'dev-ada-7f3c';

class FakeError {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

function fail(code: string, message: string): never {
  throw new FakeError(code, message);
}

function str(args: Json, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') fail('invalid', `Missing argument "${key}".`);
  return v;
}

function fingerprintFor(seed: string): string {
  // FNV-1a over "<seed>#<block>": deterministic, different for every seed.
  let out = '';
  for (let block = 0; out.length < 30; block++) {
    let h = 2166136261;
    for (const c of `${seed}#${block}`) {
      h ^= c.charCodeAt(0);
      h = Math.imul(h, 16777619) >>> 0;
    }
    out += String(h % 100000).padStart(5, '0');
  }
  return out.slice(0, 30);
}

export class FakeBackend {
  readonly copies: CopyRecord[] = [];
  readonly calls: CallRecord[] = [];
  readonly password: string;
  now: () => number;

  identity: { name: string; deviceId: string; fingerprint: string } | null = null;
  unlocked = false;
  /** Backup files written by `create_backup`, by full path: what `restore_backup` puts back. */
  backups = new Map<string, { passphrase: string; createdMs: number; store: StoreSnapshot }>();
  /** Files that exist but are not backups. */
  otherFiles: Set<string>;
  settings = { clipboardClearSecs: 30, autoLockMins: 10 };
  teams: Team[] = [];
  vaults: { team: string; id: string; name: string }[] = [];
  secrets: Secret[] = [];
  members = new Map<string, Member[]>();
  access = new Map<string, Access[]>();
  activityLog = new Map<string, { seq: number; timeMs: number; actor: string; action: string; target: string; detail?: string }[]>();
  exposedList: { team: string; address: string; reason: string; sinceMs: number }[] = [];
  alertsList: FakeAlert[] = [];
  sync: SyncStatus;
  private seq = 100;
  private inviteSeq = 0;

  constructor(opts: FakeOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.password = opts.password ?? 'correct horse battery staple';
    const scenario = opts.scenario ?? 'team';
    this.sync = { state: 'local', conflicts: 0, outbox: 0, teams: [] };
    if (scenario !== 'fresh') {
      this.identity = { name: 'Ada Lovelace', deviceId: ME_ID, fingerprint: fingerprintFor('ada') };
      this.unlocked = opts.unlocked ?? true;
    }
    if (scenario === 'team') this.seed();
    this.otherFiles = new Set(opts.otherFiles ?? []);
    if (opts.backupFile) {
      const { path, passphrase, createdMs } = opts.backupFile;
      const then = new FakeBackend({ scenario: 'team', password: this.password, now: () => createdMs });
      this.backups.set(backupPath({ path }), { passphrase, createdMs, store: then.snapshot() });
    }
  }

  // ---- seed --------------------------------------------------------------------------------

  private seed(): void {
    const now = this.now();
    this.teams = [
      { id: 'acme', name: 'Acme', uuid: 'uuid-acme', relay: 'https://relay.acme.dev' },
      { id: 'side', name: 'Side project', uuid: 'uuid-side', relay: null },
    ];
    this.vaults = [
      { team: 'acme', id: 'production', name: 'production' },
      { team: 'acme', id: 'staging', name: 'staging' },
      { team: 'acme', id: 'ci', name: 'ci' },
      { team: 'side', id: 'default', name: 'default' },
    ];
    const mk = (
      team: string,
      vault: string,
      name: string,
      value: string,
      extra: Partial<Secret> & { ageDays?: number; author?: string } = {},
    ): void => {
      const { ageDays = 3, author = 'Ada Lovelace', ...rest } = extra;
      const t = now - ageDays * DAY;
      this.secrets.push({
        team,
        vault,
        name,
        note: '',
        tags: [],
        deleted: false,
        versions: [
          { version: 1, timeMs: t - 40 * DAY, author: 'Grace Hopper', kind: 'set', value: `${value}-old` },
          { version: 2, timeMs: t, author, kind: 'set', value },
        ],
        ...rest,
      });
    };
    mk('acme', 'production', 'STRIPE_SECRET_KEY', 'sk_live_51HxQpLmNoPqRsTuV', {
      note: 'Live Stripe key for the billing service.',
      tags: ['billing', 'payments'],
      url: 'https://dashboard.stripe.com/apikeys',
      scope: 'billing-api only; restricted key with charges:write',
      rotateEveryDays: 90,
      ageDays: 12,
    });
    mk('acme', 'production', 'DATABASE_URL', 'postgres://app:Xk9vTq2@db.internal:5432/app', {
      note: 'Primary Postgres (read/write).',
      tags: ['postgres'],
      rotateEveryDays: 30,
      ageDays: 27,
    });
    mk('acme', 'production', 'OPENAI_API_KEY', 'sk-proj-AbCdEf0123456789', {
      note: 'Used by the summariser worker.',
      tags: ['ai'],
      url: 'https://platform.openai.com/api-keys',
      rotateEveryDays: 60,
      ageDays: 75,
    });
    mk('acme', 'production', 'AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY', {
      note: 'IAM user deploy-bot.',
      tags: ['aws', 'deploy'],
      scope: 'deploy-bot: s3:PutObject, ecs:UpdateService',
      exposed: { reason: 'Linus Torvalds was removed and could read it', sinceMs: now - 2 * DAY },
    });
    mk('acme', 'production', 'SENTRY_DSN', 'https://abc123@o1.ingest.sentry.io/42', {
      tags: ['observability'],
      conflict: [2, 3],
    });
    const sentry = this.secrets[this.secrets.length - 1];
    sentry?.versions.push({ version: 3, timeMs: now - 2 * DAY, author: 'Grace Hopper', kind: 'set', value: 'https://def456@o1.ingest.sentry.io/42' });
    mk('acme', 'production', 'SENDGRID_API_KEY', 'SG.xxYYzz-0987654321', {
      tags: ['email'],
      expires: day(now - 1 * DAY),
      ageDays: 200,
    });
    mk('acme', 'staging', 'STRIPE_SECRET_KEY', 'sk_test_51HxQpLmTEST', { tags: ['billing'], ageDays: 40 });
    mk('acme', 'staging', 'DATABASE_URL', 'postgres://app:stage@db.staging:5432/app', { tags: ['postgres'] });
    mk('acme', 'staging', 'FEATURE_FLAGS_TOKEN', 'ff_tok_8842', { note: 'LaunchDarkly SDK key' });
    mk('acme', 'ci', 'GITHUB_TOKEN', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', {
      note: 'Fine-grained token for release automation.',
      tags: ['github', 'ci'],
      url: 'https://github.com/settings/tokens',
      rotateEveryDays: 90,
      ageDays: 5,
    });
    mk('acme', 'ci', 'NPM_TOKEN', 'npm_a1b2c3d4e5f6', { tags: ['ci'], expires: day(now + 20 * DAY) });
    mk('side', 'default', 'CLOUDFLARE_API_TOKEN', 'cf-Zx81Q', { tags: ['dns'] });

    const m = (name: string, role: string, status: Member['status'], id: string, safetyCode?: string): Member => {
      const base: Member = { name, id, role, status, fingerprint: fingerprintFor(id) };
      return safetyCode === undefined ? base : { ...base, safetyCode };
    };
    this.members.set('acme', [
      m('Ada Lovelace', 'owner', 'active', ME_ID),
      m('Grace Hopper', 'admin', 'active', 'dev-grace-19ab'),
      m('Linus Torvalds', 'member', 'removed', 'dev-linus-44c1'),
      m('Ken Thompson', 'member', 'active', 'dev-ken-0b2e'),
      m('Margaret Hamilton', 'member', 'pending', 'dev-margaret-5d0f', '48213 90577 16342'),
      m('Dennis Ritchie', 'member', 'active', 'dev-dennis-3e7a'),
      m('ci-deploy', 'service', 'active', 'svc-ci-deploy-91d2'),
    ]);
    this.members.set('side', [m('Ada Lovelace', 'owner', 'active', ME_ID)]);
    this.access.set('acme/production', [
      { name: 'Ada Lovelace', id: ME_ID, role: 'admin' },
      { name: 'Grace Hopper', id: 'dev-grace-19ab', role: 'write' },
      { name: 'Ken Thompson', id: 'dev-ken-0b2e', role: 'read' },
    ]);
    this.access.set('acme/staging', [
      { name: 'Ada Lovelace', id: ME_ID, role: 'admin' },
      { name: 'Ken Thompson', id: 'dev-ken-0b2e', role: 'write' },
    ]);
    this.access.set('acme/ci', [{ name: 'Ada Lovelace', id: ME_ID, role: 'admin' }]);
    this.access.set('side/default', [{ name: 'Ada Lovelace', id: ME_ID, role: 'admin' }]);
    this.exposedList.push({
      team: 'acme',
      address: 'production/AWS_SECRET_ACCESS_KEY',
      reason: 'Linus Torvalds was removed and could read it',
      sinceMs: now - 2 * DAY,
    });
    // As the core words them (anomaly.rs, relay_usage.rs), in the core's order.
    this.alertsList = [
      {
        kind: 'usage_spike',
        team: 'acme',
        subject: 'Ken Thompson',
        detail: 'Ken Thompson read 27 distinct keys in the last 24 h (usually 3 a day)',
        sinceMs: now - 5 * 3_600_000,
      },
      {
        kind: 'device_unseen',
        team: 'acme',
        subject: 'Dennis Ritchie',
        detail: '`Dennis Ritchie` has not contacted the relay for more than 30 days; if the device is gone, remove it',
        sinceMs: now - 41 * DAY,
        hint: 'remove_member',
      },
      {
        kind: 'service_new_ip',
        team: 'acme',
        subject: 'ci-deploy',
        detail:
          'service identity `ci-deploy` was used from a new address 203.0.113.9 (14 requests; first address 10.0.4.21). If that is not one of your CI runners, revoke it',
        sinceMs: now - 3 * 3_600_000,
        hint: 'revoke_service',
      },
    ];
    const log = (team: string, ago: number, actor: string, action: string, target: string, detail?: string): void => {
      const list = this.activityLog.get(team) ?? [];
      list.unshift({ seq: ++this.seq, timeMs: now - ago, actor, action, target, ...(detail === undefined ? {} : { detail }) });
      this.activityLog.set(team, list);
    };
    log('acme', 9 * DAY, 'Ada Lovelace', 'created_vault', 'production');
    log('acme', 8 * DAY, 'Ada Lovelace', 'admitted', 'Grace Hopper');
    log('acme', 5 * DAY, 'Grace Hopper', 'set', 'ci/GITHUB_TOKEN');
    log('acme', 2 * DAY, 'Ada Lovelace', 'removed', 'Linus Torvalds');
    log('acme', 2 * DAY - 60_000, 'Grace Hopper', 'set', 'production/SENTRY_DSN');
    log('acme', 3_600_000, 'Ken Thompson', 'used', 'staging/DATABASE_URL', 'copy');
    log('side', 30 * DAY, 'Ada Lovelace', 'created_team', 'Side project');
    this.sync = {
      state: 'online',
      lastSyncMs: now - 2 * 60_000,
      conflicts: 1,
      outbox: 0,
      teams: [
        { team: 'acme', state: 'online', lastSyncMs: now - 2 * 60_000, relay: 'https://relay.acme.dev', headSeq: 41, stateCode: '73105-22864-90517' },
        { team: 'side', state: 'local', relay: null },
      ],
    };
  }

  // ---- helpers for tests ---------------------------------------------------------------------

  /** A deep copy of the store (what a backup file holds). */
  snapshot(): StoreSnapshot {
    const { identity, teams, vaults, secrets, members, access, activityLog, exposedList, alertsList, sync } = this;
    return structuredClone({ identity, teams, vaults, secrets, members, access, activityLog, exposedList, alertsList, sync });
  }

  /** Every stored value (all versions): used by the leak check. */
  allValues(): string[] {
    return this.secrets.flatMap((s) => s.versions.map((v) => v.value));
  }

  setSync(patch: Partial<SyncStatus>): void {
    this.sync = { ...this.sync, ...patch };
    if (patch.alert === undefined && patch.state !== undefined && patch.state !== 'misbehaving' && patch.state !== 'refused') delete this.sync.alert;
    void emit('hush://sync', this.syncStatus());
  }

  fireLocked(reason: 'idle' | 'sleep' | 'user'): void {
    this.unlocked = false;
    void emit('hush://locked', { reason });
  }

  /** A teammate adds a secret; a background sync pulls it and emits `hush://changed`. */
  teammateSets(team: string, vault: string, name: string, value: string): void {
    this.write({ team, vault, name, value, author: 'Grace Hopper' });
    this.sync.lastSyncMs = this.now();
    void emit('hush://changed', { teams: [team] });
  }

  clipboardCleared(): void {
    void emit('hush://clipboard-cleared', {});
  }

  /** This device's role on a vault (e.g. `read` to see the read-only UI). */
  setRole(team: string, vault: string, role: Access['role']): void {
    const key = `${team}/${vault}`;
    const rows = this.access.get(key) ?? [];
    const mine = rows.find((r) => r.id === ME_ID);
    if (mine) mine.role = role;
    else rows.push({ name: this.identity?.name ?? 'me', id: ME_ID, role });
    this.access.set(key, rows);
    // A teammate's grant arrives with a background sync.
    void emit('hush://changed', { teams: [team] });
  }

  /**
   * The admin admitted this device to the team it asked to join and granted it read access to
   * a vault with one secret: the next background sync pulls it and emits `hush://changed`
   * with the team's real name.
   */
  admitMe(): void {
    const t = this.teams.find((x) => x.joining !== undefined);
    if (!t?.joining) throw new Error('fake backend: no team is waiting for admission');
    const { realId, realName } = t.joining;
    t.id = realId;
    t.name = realName;
    delete t.joining;
    const me = this.identity?.name ?? 'me';
    this.members.set(realId, [
      { name: 'Ada Lovelace', id: 'dev-ada-owner', role: 'owner', status: 'active', fingerprint: fingerprintFor('dev-ada-owner') },
      { name: me, id: ME_ID, role: 'member', status: 'active', fingerprint: this.identity?.fingerprint ?? '' },
    ]);
    if (!this.vaults.some((v) => v.team === realId && v.id === 'production')) this.vaults.push({ team: realId, id: 'production', name: 'production' });
    this.access.set(`${realId}/production`, [
      { name: 'Ada Lovelace', id: 'dev-ada-owner', role: 'admin' },
      { name: me, id: ME_ID, role: 'read' },
    ]);
    this.write({ team: realId, vault: 'production', name: 'PAYMENTS_TOKEN', value: 'pay_live_4242424242', author: 'Ada Lovelace', note: 'Shared with new joiners' });
    this.sync = {
      ...this.sync,
      state: 'online',
      lastSyncMs: this.now(),
      teams: [...this.sync.teams.filter((x) => x.joining !== true), { team: realId, state: 'online', lastSyncMs: this.now(), relay: t.relay }],
    };
    void emit('hush://changed', { teams: [realId] });
    void emit('hush://sync', this.syncStatus());
  }

  /** The alerts change (e.g. a teammate dealt with them); a background sync brings the news. */
  setAlerts(alerts: FakeAlert[]): void {
    const teams = new Set([...this.alertsList, ...alerts].map((a) => a.team));
    this.alertsList = alerts;
    void emit('hush://changed', { teams: [...teams] });
  }

  /** Someone used an invite code: they appear as pending with a safety code. */
  simulateJoin(team: string, name: string): void {
    const list = this.members.get(team) ?? [];
    const id = `dev-${name.toLowerCase().replace(/\W+/g, '-')}`;
    list.push({ name, id, role: 'member', status: 'pending', fingerprint: fingerprintFor(id), safetyCode: '77031 52468 90914' });
    this.members.set(team, list);
    void emit('hush://changed', { teams: [team] });
  }

  // ---- the contract --------------------------------------------------------------------------

  handle(cmd: string, rawArgs: unknown): unknown {
    const args: Json = typeof rawArgs === 'object' && rawArgs !== null ? (rawArgs as Json) : {};
    this.calls.push({ cmd, args: redact(args) });
    const out = this.dispatch(cmd, args);
    if (cmd !== 'reveal_secret' && out !== undefined && out !== null) {
      const text = JSON.stringify(out);
      for (const v of this.allValues()) {
        if (v.length >= 6 && text.includes(v)) throw new Error(`fake backend: ${cmd} would leak a secret value`);
      }
      for (const b of this.backups.values()) {
        if (text.includes(b.passphrase)) throw new Error(`fake backend: ${cmd} would leak a backup passphrase`);
      }
    }
    return out === undefined ? null : JSON.parse(JSON.stringify(out));
  }

  private needUnlocked(): void {
    if (!this.identity) fail('not_initialized', 'Create an identity first.');
    if (!this.unlocked) fail('locked', 'Hush is locked.');
  }

  private dispatch(cmd: string, a: Json): unknown {
    switch (cmd) {
      case 'app_state':
        return { initialized: this.identity !== null, unlocked: this.unlocked, home: '/home/ada/.hush', settings: this.settings };
      case 'init_identity': {
        if (this.identity) fail('exists', 'An identity already exists on this device.');
        const name = str(a, 'name');
        str(a, 'password');
        this.identity = { name, deviceId: ME_ID, fingerprint: fingerprintFor(name) };
        this.unlocked = true;
        return this.identity;
      }
      case 'unlock': {
        if (!this.identity) fail('not_initialized', 'Create an identity first.');
        if (a.password !== this.password) fail('wrong_password', 'That password does not unlock this device.');
        this.unlocked = true;
        return this.identity;
      }
      case 'lock':
        this.unlocked = false;
        return null;
      case 'note_activity':
        return null;
      case 'restore_backup':
        return this.restoreBackup(a);
    }
    this.needUnlocked();
    const me = this.identity?.name ?? 'me';
    switch (cmd) {
      case 'whoami':
        return this.identity;
      case 'list_teams':
        return this.teams.map((t, i) => ({
          id: t.id,
          name: t.name,
          uuid: t.uuid,
          relay: t.relay,
          selected: i === 0,
          vaults: this.vaults.filter((v) => v.team === t.id).length,
          joining: t.joining !== undefined,
          ...(t.joining ? { safetyCode: t.joining.safetyCode } : {}),
        }));
      case 'create_team': {
        const name = str(a, 'name');
        const id = name.toLowerCase().replace(/\W+/g, '-');
        if (this.teams.some((t) => t.id === id)) fail('exists', `A team named ${name} already exists.`);
        const relay = typeof a.relay === 'string' && a.relay !== '' ? a.relay : null;
        this.teams.push({ id, name, uuid: `uuid-${id}`, relay });
        this.members.set(id, [{ name: me, id: ME_ID, role: 'owner', status: 'active', fingerprint: this.identity?.fingerprint ?? '' }]);
        this.log(id, 'created_team', name);
        return { id, name, uuid: `uuid-${id}`, relay, selected: false, vaults: 0, joining: false };
      }
      case 'list_vaults': {
        const team = typeof a.team === 'string' ? a.team : undefined;
        return this.vaults.filter((v) => team === undefined || v.team === team).map((v) => this.vaultInfo(v));
      }
      case 'create_vault': {
        const team = this.team(str(a, 'team'));
        const name = str(a, 'name').trim();
        if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) fail('invalid', 'Vault names use letters, digits, dots, dashes and underscores.');
        if (this.vaults.some((v) => v.team === team && v.id === name)) fail('exists', `The vault ${name} already exists.`);
        const v = { team, id: name, name };
        this.vaults.push(v);
        this.access.set(`${team}/${name}`, [{ name: me, id: ME_ID, role: 'admin' }]);
        this.log(team, 'created_vault', name);
        return this.vaultInfo(v);
      }
      case 'list_secrets':
        return this.live().map((s) => this.row(s));
      case 'security_alerts':
        return this.alertsList;
      case 'attention':
        return this.live()
          .map((s) => this.row(s))
          .filter((r) => r.exposed !== undefined || r.conflict === true || ['due', 'overdue', 'expired'].includes(String(r.rotation)));
      case 'search_secrets':
        return this.search(typeof a.query === 'string' ? a.query : '', typeof a.limit === 'number' ? a.limit : 50, {
          team: typeof a.team === 'string' ? a.team : undefined,
          vault: typeof a.vault === 'string' ? a.vault : undefined,
        });
      case 'secret_detail': {
        const s = this.secret(a);
        return {
          row: this.row(s),
          history: [...s.versions].reverse().map(({ version, timeMs, author, kind }) => ({ version, timeMs, author, kind })),
          access: this.access.get(`${s.team}/${s.vault}`) ?? [],
        };
      }
      case 'reveal_secret': {
        const s = this.secret(a);
        const version = typeof a.version === 'number' ? a.version : undefined;
        const v = version === undefined ? s.versions[s.versions.length - 1] : s.versions.find((x) => x.version === version);
        if (!v) fail('not_found', `Version ${String(version)} does not exist.`);
        this.log(s.team, 'used', `${s.vault}/${s.name}`, version === undefined ? 'reveal' : 'history');
        return v.value;
      }
      case 'copy_secret': {
        const s = this.secret(a);
        const format = str(a, 'format');
        if (!['value', 'reference', 'env'].includes(format)) fail('invalid', `Unknown format ${format}.`);
        this.copies.push({ team: s.team, vault: s.vault, name: s.name, format });
        if (format === 'value') this.log(s.team, 'used', `${s.vault}/${s.name}`, 'copy');
        // As the shell: only a value is cleared.
        return { clearAfterSecs: format === 'value' ? this.settings.clipboardClearSecs : 0 };
      }
      case 'set_secret': {
        const value = a.value;
        if (typeof value !== 'string' || value === '') fail('invalid', 'A secret needs a value.');
        const name = str(a, 'name');
        if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) fail('invalid', 'Names start with a letter or underscore and use letters, digits, _ . -');
        return this.write({
          team: this.team(str(a, 'team')),
          vault: str(a, 'vault'),
          name,
          value,
          author: me,
          note: typeof a.note === 'string' ? a.note : undefined,
          tags: Array.isArray(a.tags) ? a.tags.filter((t): t is string => typeof t === 'string') : undefined,
          url: typeof a.url === 'string' ? a.url : undefined,
          scope: typeof a.scope === 'string' ? a.scope : undefined,
          expires: typeof a.expires === 'string' ? a.expires : undefined,
          rotateEveryDays: typeof a.rotateEveryDays === 'number' ? a.rotateEveryDays : undefined,
        });
      }
      case 'delete_secret': {
        const s = this.secret(a);
        s.deleted = true;
        this.log(s.team, 'deleted', `${s.vault}/${s.name}`);
        return null;
      }
      case 'members':
        return this.members.get(this.team(str(a, 'team'))) ?? [];
      case 'invite': {
        const team = this.team(str(a, 'team'));
        const role = str(a, 'role');
        if (role !== 'member' && role !== 'admin') fail('invalid', 'Role must be member or admin.');
        const hours = typeof a.expiresHours === 'number' ? a.expiresHours : 24;
        this.inviteSeq++;
        this.log(team, 'invited', `a new ${role}`);
        return { code: `hush-inv-${team}-7K3M-Q9XD-${this.inviteSeq}F2P`, expiresMs: this.now() + hours * 3_600_000 };
      }
      case 'join_team': {
        const code = str(a, 'code').trim();
        if (!code.startsWith('hush-inv-')) fail('invalid', 'That is not a Hush invite code.');
        if (code.includes('expired')) fail('expired', 'This invite has expired. Ask for a new one.');
        const realId = code.split('-')[2] ?? 'team';
        if (this.teams.some((t) => t.id === realId || t.joining?.realId === realId)) fail('exists', 'That team is already on this device.');
        const label = typeof a.label === 'string' && a.label.trim() !== '' ? a.label.trim() : `joining-${realId.slice(0, 8)}`;
        const uuid = `uuid-${realId}`;
        const safetyCode = '31415926535897932384';
        const relay = 'https://relay.example.com';
        this.teams.push({ id: uuid, name: label, uuid, relay, joining: { safetyCode, realId, realName: realId.charAt(0).toUpperCase() + realId.slice(1) } });
        this.sync = { ...this.sync, state: 'online', lastSyncMs: this.now(), teams: [...this.sync.teams, { team: label, state: 'online', lastSyncMs: this.now(), relay, joining: true }] };
        return { teamId: uuid, safetyCode };
      }
      case 'admit_member': {
        const m = this.member(a);
        if (m.status !== 'pending') fail('invalid', `${m.name} is not waiting to join.`);
        m.status = 'active';
        delete m.safetyCode;
        this.log(this.team(str(a, 'team')), 'admitted', m.name);
        return m;
      }
      case 'remove_member': {
        const team = this.team(str(a, 'team'));
        const m = this.member(a);
        if (m.id === ME_ID) fail('forbidden', 'You cannot remove yourself.');
        m.status = 'removed';
        const exposed: { team: string; address: string; reason: string; sinceMs: number }[] = [];
        for (const [key, rows] of this.access) {
          const [t, vault] = key.split('/');
          if (t !== team || !rows.some((r) => r.id === m.id)) continue;
          this.access.set(key, rows.filter((r) => r.id !== m.id));
          for (const s of this.live().filter((x) => x.team === team && x.vault === vault)) {
            const e = { team, address: `${s.vault}/${s.name}`, reason: `${m.name} was removed and could read it`, sinceMs: this.now() };
            s.exposed = { reason: e.reason, sinceMs: e.sinceMs };
            exposed.push(e);
          }
        }
        this.exposedList.push(...exposed);
        // The core only reports live members.
        this.alertsList = this.alertsList.filter((x) => x.team !== team || x.subject !== m.name);
        this.log(team, 'removed', m.name);
        return { member: m, exposed };
      }
      case 'vault_access': {
        const key = `${this.team(str(a, 'team'))}/${str(a, 'vault')}`;
        return this.access.get(key) ?? [];
      }
      case 'grant_access': {
        const team = this.team(str(a, 'team'));
        const vault = str(a, 'vault');
        const m = this.member(a);
        const role = str(a, 'role');
        if (!['read', 'write', 'admin'].includes(role)) fail('invalid', 'Role must be read, write or admin.');
        if (m.status !== 'active') fail('invalid', `${m.name} is not an active member.`);
        const key = `${team}/${vault}`;
        const rows = (this.access.get(key) ?? []).filter((r) => r.id !== m.id);
        const row: Access = { name: m.name, id: m.id, role: role as Access['role'] };
        rows.push(row);
        this.access.set(key, rows);
        this.log(team, 'granted', `${m.name} ${role} on ${vault}`);
        return row;
      }
      case 'revoke_access': {
        const team = this.team(str(a, 'team'));
        const vault = str(a, 'vault');
        const m = this.member(a);
        const key = `${team}/${vault}`;
        this.access.set(key, (this.access.get(key) ?? []).filter((r) => r.id !== m.id));
        const exposed = this.live()
          .filter((s) => s.team === team && s.vault === vault)
          .map((s) => {
            const e = { team, address: `${s.vault}/${s.name}`, reason: `${m.name} had access and may have copied it`, sinceMs: this.now() };
            s.exposed = { reason: e.reason, sinceMs: e.sinceMs };
            return e;
          });
        this.exposedList.push(...exposed);
        this.log(team, 'revoked', `${m.name} from ${vault}`);
        return exposed;
      }
      case 'activity': {
        const limit = typeof a.limit === 'number' ? a.limit : 50;
        return (this.activityLog.get(this.team(str(a, 'team'))) ?? []).slice(0, limit);
      }
      case 'exposed':
        return this.exposedList;
      case 'conflicts':
        return this.live()
          .filter((s) => s.conflict !== undefined)
          .map((s) => ({ team: s.team, address: `${s.vault}/${s.name}`, versions: s.conflict ?? [] }));
      case 'resolve_conflict': {
        const s = this.secret(a);
        const keep = a.keep;
        if (typeof keep !== 'number' || !s.conflict?.includes(keep)) fail('invalid', 'Pick one of the conflicting versions.');
        const kept = s.versions.find((v) => v.version === keep);
        delete s.conflict;
        const version = (s.versions[s.versions.length - 1]?.version ?? 0) + 1;
        s.versions.push({ version, timeMs: this.now(), author: me, kind: 'set', value: kept?.value ?? '' });
        this.sync.conflicts = this.live().filter((x) => x.conflict !== undefined).length;
        this.log(s.team, 'set', `${s.vault}/${s.name}`);
        return version;
      }
      case 'sync_now': {
        if (this.sync.state === 'offline') fail('offline', 'The relay is unreachable. Changes stay in the outbox until you are back online.');
        this.sync = { ...this.sync, state: this.sync.state === 'local' ? 'local' : 'online', lastSyncMs: this.now(), outbox: 0 };
        if (this.sync.state !== 'misbehaving') delete this.sync.alert;
        void emit('hush://sync', this.syncStatus());
        return this.syncStatus();
      }
      case 'sync_status':
        return this.syncStatus();
      case 'mark_state_compared': {
        const team = this.team(str(a, 'team'));
        const t = this.sync.teams.find((x) => x.team === team);
        if (!t || t.headSeq === undefined) fail('invalid', 'The team has no history yet: there is no state code to compare.');
        t.comparedMs = this.now();
        t.comparedSeq = t.headSeq;
        return this.syncStatus();
      }
      case 'update_settings': {
        const s = a.settings as { clipboardClearSecs?: unknown; autoLockMins?: unknown } | undefined;
        const c = s?.clipboardClearSecs;
        const l = s?.autoLockMins;
        if (typeof c !== 'number' || c < 5 || c > 600) fail('invalid', 'Clipboard clearing must be between 5 and 600 seconds.');
        if (typeof l !== 'number' || l < 1 || l > 240) fail('invalid', 'Auto-lock must be between 1 and 240 minutes.');
        this.settings = { clipboardClearSecs: c, autoLockMins: l };
        return this.settings;
      }
      case 'create_backup': {
        const file = backupPath(a);
        const passphrase = str(a, 'passphrase');
        if ([...passphrase].length < 12) fail('invalid', 'the backup passphrase must be at least 12 characters: it is all that protects the plaintext copy of your secrets inside the backup');
        if (this.backups.has(file) && a.overwrite !== true) fail('exists', `${file} already exists`);
        const secrets = this.live();
        this.backups.set(file, { passphrase, createdMs: this.now(), store: this.snapshot() });
        for (const t of new Set(secrets.map((x) => x.team))) this.log(t, 'used', `${secrets.filter((x) => x.team === t).length} secrets`, 'backup');
        return { file, secrets: secrets.length, createdMs: this.now() };
      }
      default:
        fail('invalid', `Unknown command ${cmd}.`);
    }
  }

  private restoreBackup(a: Json): unknown {
    const file = backupPath(a);
    const passphrase = str(a, 'passphrase');
    const home = '/home/ada/.hush';
    if (this.identity && a.replace !== true) fail('already_initialized', `a Hush store already exists at ${home}`);
    if (this.otherFiles.has(file)) fail('invalid', `${file} is not a Hush backup (not a passphrase-encrypted age file)`);
    const b = this.backups.get(file);
    if (!b) fail('io', `cannot read ${file}: No such file or directory (os error 2)`);
    if (b.passphrase !== passphrase) fail('invalid', `wrong backup passphrase for ${file} (or the file is damaged)`);
    // Works on a computer with no store yet (first run) as well as over one (kept aside).
    const previous = this.identity ? `${home}/hush.db.before-restore-${this.now()}` : null;
    if (this.unlocked) this.fireLocked('user');
    const s = structuredClone(b.store);
    this.identity = s.identity;
    this.teams = s.teams;
    this.vaults = s.vaults;
    this.secrets = s.secrets;
    this.members = s.members;
    this.access = s.access;
    this.activityLog = s.activityLog;
    this.exposedList = s.exposedList;
    this.alertsList = s.alertsList;
    this.sync = s.sync;
    this.unlocked = false;
    return { secrets: s.secrets.filter((x) => !x.deleted).length, backupCreatedMs: b.createdMs, previousStore: previous };
  }

  private syncStatus(): SyncStatus {
    return { ...this.sync, conflicts: this.live().filter((s) => s.conflict !== undefined).length };
  }

  private log(team: string, action: string, target: string, detail?: string): void {
    const list = this.activityLog.get(team) ?? [];
    list.unshift({ seq: ++this.seq, timeMs: this.now(), actor: this.identity?.name ?? 'me', action, target, ...(detail === undefined ? {} : { detail }) });
    this.activityLog.set(team, list);
  }

  private team(id: string): string {
    if (!this.teams.some((t) => t.id === id)) fail('not_found', `No team ${id}.`);
    return id;
  }

  private member(a: Json): Member {
    const team = this.team(str(a, 'team'));
    const id = str(a, 'member');
    const m = (this.members.get(team) ?? []).find((x) => x.id === id);
    if (!m) fail('not_found', `No member ${id} in ${team}.`);
    return m;
  }

  private live(): Secret[] {
    return this.secrets.filter((s) => !s.deleted);
  }

  private secret(a: Json): Secret {
    const team = str(a, 'team');
    const vault = str(a, 'vault');
    const name = str(a, 'name');
    const s = this.live().find((x) => x.team === team && x.vault === vault && x.name === name);
    if (!s) fail('not_found', `${vault}/${name} does not exist (it may have been deleted).`);
    return s;
  }

  private vaultInfo(v: { team: string; id: string; name: string }): Json {
    const role = (this.access.get(`${v.team}/${v.id}`) ?? []).find((r) => r.id === ME_ID)?.role ?? null;
    return { ...v, secrets: this.live().filter((s) => s.team === v.team && s.vault === v.id).length, role };
  }

  private write(w: {
    team: string;
    vault: string;
    name: string;
    value: string;
    author: string;
    note?: string | undefined;
    tags?: string[] | undefined;
    url?: string | undefined;
    scope?: string | undefined;
    expires?: string | undefined;
    rotateEveryDays?: number | undefined;
  }): number {
    if (!this.vaults.some((v) => v.team === w.team && v.id === w.vault)) fail('not_found', `No vault ${w.vault}.`);
    let s = this.live().find((x) => x.team === w.team && x.vault === w.vault && x.name === w.name);
    const isNew = s === undefined;
    if (!s) {
      s = { team: w.team, vault: w.vault, name: w.name, note: '', tags: [], versions: [], deleted: false };
      this.secrets.push(s);
    }
    const prev = s.versions[s.versions.length - 1];
    const version = (prev?.version ?? 0) + 1;
    const kind = prev !== undefined && prev.value !== w.value ? 'rotation' : 'set';
    s.versions.push({ version, timeMs: this.now(), author: w.author, kind: isNew ? 'set' : kind, value: w.value });
    s.note = w.note ?? s.note;
    s.tags = w.tags ?? s.tags;
    const opt = (k: 'url' | 'scope', v: string | undefined): void => {
      if (v === undefined) return;
      if (v !== '') s[k] = v;
      else if (k === 'url') delete s.url;
      else delete s.scope;
    };
    opt('url', w.url);
    opt('scope', w.scope);
    if (w.expires === '') delete s.expires;
    else if (w.expires !== undefined) s.expires = w.expires;
    if (w.rotateEveryDays !== undefined) s.rotateEveryDays = w.rotateEveryDays;
    if (kind === 'rotation') delete s.exposed;
    this.log(w.team, kind === 'rotation' && !isNew ? 'rotated' : 'set', `${w.vault}/${w.name}`);
    return version;
  }

  private rotation(s: Secret, updatedMs: number): string {
    const now = this.now();
    if (s.expires !== undefined && endOf(s.expires) < now) return 'expired';
    if (s.rotateEveryDays === undefined) return s.expires !== undefined ? 'ok' : 'none';
    const age = (now - updatedMs) / DAY;
    if (age > s.rotateEveryDays) return 'overdue';
    if (age > s.rotateEveryDays * 0.8) return 'due';
    return 'ok';
  }

  private row(s: Secret): Json {
    const last = s.versions[s.versions.length - 1];
    const updatedMs = last?.timeMs ?? 0;
    const row: Json = {
      team: s.team,
      vault: s.vault,
      name: s.name,
      version: last?.version ?? 0,
      updatedMs,
      note: s.note,
      tags: s.tags,
      conflict: s.conflict !== undefined,
      rotation: this.rotation(s, updatedMs),
    };
    if (s.url !== undefined) row.url = s.url;
    if (s.scope !== undefined) row.scope = s.scope;
    if (s.expires !== undefined) row.expires = s.expires;
    if (s.rotateEveryDays !== undefined) row.rotateEveryDays = s.rotateEveryDays;
    if (s.exposed !== undefined) row.exposed = s.exposed;
    return row;
  }

  private search(query: string, limit: number, scope: { team?: string | undefined; vault?: string | undefined } = {}): Json[] {
    const q = query.trim().toLowerCase();
    const rows = this.live().filter((s) => (scope.team === undefined || s.team === scope.team) && (scope.vault === undefined || s.vault === scope.vault));
    if (q === '') {
      return rows
        .slice()
        .sort((x, y) => x.name.localeCompare(y.name) || x.vault.localeCompare(y.vault))
        .slice(0, limit)
        .map((s) => this.row(s));
    }
    const scored: { s: Secret; score: number }[] = [];
    for (const s of rows) {
      const name = s.name.toLowerCase();
      const hay = [s.vault, s.note, ...s.tags, s.scope ?? ''].join(' ').toLowerCase();
      let score = 0;
      if (name === q) score = 100;
      else if (name.startsWith(q)) score = 80;
      else if (name.includes(q)) score = 60;
      else if (hay.includes(q)) score = 30;
      else if (subsequence(q.replace(/\s+/g, ''), name)) score = 10;
      if (score > 0) scored.push({ s, score });
    }
    return scored
      .sort((x, y) => y.score - x.score || x.s.name.localeCompare(y.s.name))
      .slice(0, limit)
      .map((x) => this.row(x.s));
  }
}

function subsequence(q: string, s: string): boolean {
  let i = 0;
  for (const c of s) if (c === q[i]) i++;
  return i === q.length;
}

/** The full path of a backup file (`path`: absolute, or `~/…` under the home directory). */
function backupPath(a: Json): string {
  const p = str(a, 'path').trim();
  const full = p.startsWith('~/') ? `/home/ada/${p.slice(2)}` : p;
  if (!full.startsWith('/') || full.endsWith('/')) fail('invalid', "give the backup file's full path, such as /home/you/hush-backup.age or ~/hush-backup.age");
  return full;
}

function redact(a: Json): Json {
  const out: Json = { ...a };
  if ('password' in out) out.password = '<redacted>';
  if ('passphrase' in out) out.passphrase = '<redacted>';
  if ('value' in out) out.value = '<redacted>';
  return out;
}

/** Installs the fake as the Tauri IPC (errors reject with `{ code, message }`). */
export function installFakeBackend(opts: FakeOptions = {}): FakeBackend {
  const backend = new FakeBackend(opts);
  mockIPC(
    (cmd, args) => {
      try {
        return backend.handle(cmd, args);
      } catch (e) {
        if (e instanceof FakeError) throw { code: e.code, message: e.message };
        throw e;
      }
    },
    { shouldMockEvents: true },
  );
  return backend;
}
