import { clearMocks } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installFakeBackend, type FakeBackend } from '../../e2e/fake-backend';
import { settle } from '../test/helpers';
import { api } from './api';
import { ALERTS_REFRESH_MS } from './alerts';
import { ACTIVITY_THROTTLE_MS, HushStore } from './store.svelte';

let fake: FakeBackend;
let clock = 1_000_000;
let store: HushStore;

beforeEach(async () => {
  fake = installFakeBackend({ scenario: 'team' });
  clock = 1_000_000;
  store = new HushStore({ now: () => clock });
  await store.boot();
  await settle();
});

afterEach(() => {
  store.dispose();
  clearMocks();
});

function row(name: string, vault?: string) {
  const r = store.results.find((x) => x.name === name && (vault === undefined || x.vault === vault));
  if (!r) throw new Error(`no row ${name}`);
  return r;
}

describe('HushStore', () => {
  it('boots into main with teams, vaults, results and a first selection', () => {
    expect(store.phase).toBe('main');
    expect(store.teams.map((t) => t.id)).toEqual(['acme', 'side']);
    expect(store.totalSecrets).toBe(12);
    expect(store.results).toHaveLength(12);
    expect(store.selected?.name).toBe('AWS_SECRET_ACCESS_KEY');
  });

  it('reveal then hide drops the value', async () => {
    const r = row('GITHUB_TOKEN');
    await store.select(r);
    await store.reveal(r);
    expect(store.revealed?.value).toMatch(/^ghp_/);
    store.hide();
    expect(store.revealed).toBeNull();
  });

  it('changing the selection drops a revealed value', async () => {
    const r = row('GITHUB_TOKEN');
    await store.select(r);
    await store.reveal(r);
    store.move(1);
    expect(store.revealed).toBeNull();
  });

  it('lock wipes lists, detail, revealed value, search and dialogs', async () => {
    store.setQuery('git');
    await settle();
    const r = row('GITHUB_TOKEN');
    await store.select(r);
    await store.reveal(r);
    store.paletteOpen = true;
    store.dialog = { kind: 'settings' };
    await store.lock();
    expect(store.phase).toBe('locked');
    expect(store.lockReason).toBe('user');
    expect(store.revealed).toBeNull();
    expect(store.detail).toBeNull();
    expect(store.results).toEqual([]);
    expect(store.visible).toEqual([]);
    expect(store.query).toBe('');
    expect(store.teams).toEqual([]);
    expect(store.vaults).toEqual([]);
    expect(store.me).toBeNull();
    expect(store.paletteOpen).toBe(false);
    expect(store.dialog).toBeNull();
    expect(fake.unlocked).toBe(false);
  });

  it('the hush://locked event wipes state and records the reason', async () => {
    const r = row('GITHUB_TOKEN');
    await store.select(r);
    await store.reveal(r);
    await emit('hush://locked', { reason: 'idle' });
    await settle();
    expect(store.phase).toBe('locked');
    expect(store.lockReason).toBe('idle');
    expect(store.revealed).toBeNull();
    expect(store.results).toEqual([]);
  });

  it('a late search result after lock is ignored', async () => {
    store.setQuery('stripe');
    await store.lock();
    await settle();
    expect(store.results).toEqual([]);
  });

  it('the first keystroke searches at once; keystrokes during a search coalesce into one more', async () => {
    const before = fake.calls.filter((c) => c.cmd === 'search_secrets').length;
    store.setQuery('s');
    store.setQuery('st');
    store.setQuery('stripe');
    expect(store.query).toBe('stripe');
    await settle();
    const after = fake.calls.filter((c) => c.cmd === 'search_secrets').slice(before);
    expect(after.map((c) => c.args)).toEqual([
      { query: 's', limit: 500 },
      { query: 'stripe', limit: 500 },
    ]);
    expect(store.results.map((x) => x.name)).toEqual(['STRIPE_SECRET_KEY', 'STRIPE_SECRET_KEY']);
  });

  it('note_activity is throttled', async () => {
    const count = () => fake.calls.filter((c) => c.cmd === 'note_activity').length;
    store.noteActivity();
    store.noteActivity();
    clock += ACTIVITY_THROTTLE_MS - 1;
    store.noteActivity();
    await settle(1);
    expect(count()).toBe(1);
    clock += 1;
    store.noteActivity();
    await settle(1);
    expect(count()).toBe(2);
  });

  it('copy goes through copy_secret and toasts the clear delay', async () => {
    await store.copy(row('NPM_TOKEN'), 'value');
    expect(fake.copies).toEqual([{ team: 'acme', vault: 'ci', name: 'NPM_TOKEN', format: 'value' }]);
    expect(store.toasts.at(-1)?.title).toBe('Copied — clears in 30 s');
    // A reference holds no secret: it is not cleared, and the toast does not promise it.
    await store.copy(row('NPM_TOKEN'), 'reference');
    expect(store.toasts.at(-1)?.title).toBe('Reference copied');
  });

  it('a save while offline says the change waits on this device', async () => {
    await store.afterSecretSaved(row('NPM_TOKEN'), 'Saved');
    expect(store.toasts.at(-1)).toMatchObject({ title: 'Saved NPM_TOKEN' });
    expect(store.toasts.at(-1)?.detail).toBeUndefined();
    fake.setSync({ state: 'offline', outbox: 1 });
    await settle();
    await store.afterSecretSaved(row('NPM_TOKEN'), 'Saved');
    expect(store.toasts.at(-1)).toMatchObject({ title: 'Saved NPM_TOKEN on this device', detail: 'Offline: it syncs when the relay is reachable again.' });
  });

  it('an error with code "locked" relocks instead of toasting', async () => {
    fake.unlocked = false;
    await store.copy(row('NPM_TOKEN'), 'value');
    expect(store.phase).toBe('locked');
    expect(store.results).toEqual([]);
  });

  it('filters by vault and keeps the selection within it', async () => {
    store.setFilter({ team: 'acme', vault: 'ci' });
    await settle();
    expect(store.visible.map((r) => r.name)).toEqual(['GITHUB_TOKEN', 'NPM_TOKEN']);
    expect(store.selected?.vault).toBe('ci');
    // The search itself is scoped (the first 500 rows of 10k may hold none of this vault's).
    expect(fake.calls.filter((c) => c.cmd === 'search_secrets').at(-1)?.args).toEqual({ query: '', limit: 500, team: 'acme', vault: 'ci' });
    expect(store.scopeTotal).toBe(2);
    store.setFilter({});
    await settle();
    expect(store.scopeTotal).toBe(12);
  });

  it('needs attention: exposed, conflict, overdue and expired secrets, filtered by the query', async () => {
    expect(store.attention.map((r) => r.name).sort()).toEqual(['AWS_SECRET_ACCESS_KEY', 'DATABASE_URL', 'OPENAI_API_KEY', 'SENDGRID_API_KEY', 'SENTRY_DSN']);
    store.setFilter({ attention: true });
    await settle();
    expect(store.describeFilter()).toBe('Needs attention');
    expect(store.visible).toHaveLength(5);
    expect(store.selected !== null && store.attention.some((r) => r.name === store.selected?.name)).toBe(true);
    store.setQuery('sendgrid');
    await settle();
    expect(store.visible.map((r) => r.name)).toEqual(['SENDGRID_API_KEY']);
  });

  it('security alerts: loaded at unlock, most urgent first, counted with the secrets, wiped on lock', async () => {
    expect(store.alerts.map((a) => `${a.kind}:${a.subject}`)).toEqual(['service_new_ip:ci-deploy', 'usage_spike:Ken Thompson', 'device_unseen:Dennis Ritchie']);
    expect(store.attentionCount).toBe(store.attention.length + 3);
    await store.lock();
    expect(store.alerts).toEqual([]);
    expect(store.attentionCount).toBe(0);
  });

  it('security alerts follow syncs: on hush://changed and state changes, else at most once a minute', async () => {
    const loads = () => fake.calls.filter((c) => c.cmd === 'security_alerts').length;
    const before = loads();
    fake.setAlerts([]);
    await settle();
    expect(store.alerts).toEqual([]);
    expect(store.attentionCount).toBe(store.attention.length);
    expect(loads()).toBe(before + 1);
    // A routine sync right after that: nothing to ask.
    fake.setSync({ lastSyncMs: clock + 1 });
    await settle();
    expect(loads()).toBe(before + 1);
    // A minute later the relay's address table may have changed.
    clock += ALERTS_REFRESH_MS;
    fake.setSync({ lastSyncMs: clock });
    await settle();
    expect(loads()).toBe(before + 2);
    // A relay that starts misbehaving: at once.
    fake.setSync({ state: 'misbehaving', alert: 'the relay rolled back the log' });
    await settle();
    expect(loads()).toBe(before + 3);
  });

  it('a read-only vault takes no new secret', async () => {
    expect(store.canWrite('acme', 'staging')).toBe(true);
    fake.setRole('acme', 'staging', 'read');
    await store.loadTree();
    expect(store.canWrite('acme', 'staging')).toBe(false);
    expect(store.writableVaults.some((v) => v.id === 'staging')).toBe(false);
    store.setFilter({ team: 'acme', vault: 'staging' });
    expect(store.writableInScope()).toEqual([]);
    store.setFilter({ team: 'acme' });
    expect(store.writableInScope().map((v) => v.id).sort()).toEqual(['ci', 'production']);
  });

  it('a joining team shows its waiting state, then follows the team live when admitted', async () => {
    const r = await api.joinTeam('hush-inv-globex-7K3M', 'Globex (pending)');
    await store.afterJoin(r);
    expect(store.waitingTeam?.name).toBe('Globex (pending)');
    expect(store.waitingTeam?.safetyCode).toBe('31415926535897932384');
    expect(store.filter).toEqual({ team: r.teamId });
    expect(store.joining).toHaveLength(1);
    fake.admitMe();
    await settle();
    expect(store.joining).toEqual([]);
    expect(store.waitingTeam).toBeUndefined();
    expect(store.filter).toEqual({ team: 'globex' });
    expect(store.visible.map((x) => x.name)).toEqual(['PAYMENTS_TOKEN']);
    expect(store.canWrite('globex', 'production')).toBe(false);
    expect(store.toasts.some((t) => t.title === 'You were admitted to Globex')).toBe(true);
  });
});

describe('HushStore on a computer with no store yet', () => {
  const PASSPHRASE = 'a long backup passphrase 7f3a';
  const MADE = 1_700_000_000_000;

  beforeEach(async () => {
    store.dispose();
    clearMocks();
    fake = installFakeBackend({ scenario: 'fresh', backupFile: { path: '~/hush-backup.age', passphrase: PASSPHRASE, createdMs: MADE } });
    store = new HushStore({ now: () => clock });
    await store.boot();
    await settle();
  });

  it('a wrong passphrase leaves first run as it was', async () => {
    expect(store.phase).toBe('onboarding');
    await expect(store.restoreBackup('~/hush-backup.age', 'not the passphrase', false)).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('wrong backup passphrase') as unknown,
    });
    expect(store.phase).toBe('onboarding');
    expect(store.restored).toBeNull();
    expect(fake.identity).toBeNull();
  });

  it('restoring a backup leads to the unlock screen for its day, then to its secrets', async () => {
    const r = await store.restoreBackup('~/hush-backup.age', PASSPHRASE, false);
    expect(r).toEqual({ secrets: 12, backupCreatedMs: MADE, previousStore: null });
    expect(store.phase).toBe('locked');
    expect(store.restored?.backupCreatedMs).toBe(MADE);
    expect(store.lockReason).toBeNull();
    expect(store.toasts.at(-1)?.title).toBe('Backup restored');
    expect(fake.calls.find((c) => c.cmd === 'restore_backup')?.args).toEqual({ path: '~/hush-backup.age', passphrase: '<redacted>', replace: false });

    await store.unlock('correct horse battery staple');
    await settle();
    expect(store.phase).toBe('main');
    expect(store.restored).toBeNull();
    expect(store.me?.name).toBe('Ada Lovelace');
    expect(store.totalSecrets).toBe(12);
  });
});
