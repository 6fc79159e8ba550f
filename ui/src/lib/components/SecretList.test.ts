import { clearMocks } from '@tauri-apps/api/mocks';
import { mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installFakeBackend, type FakeBackend } from '../../../e2e/fake-backend';
import { settle } from '../../test/helpers';
import { store } from '../store.svelte';
import SecretDetail from './SecretDetail.svelte';
import SecretList from './SecretList.svelte';

let fake: FakeBackend;
let target: HTMLElement;
let components: Record<string, unknown>[] = [];

beforeEach(async () => {
  fake = installFakeBackend({ scenario: 'team' });
  await store.boot();
  target = document.createElement('div');
  document.body.appendChild(target);
  components = [mount(SecretList, { target }), mount(SecretDetail, { target })];
  await settle();
});

afterEach(() => {
  for (const c of components) void unmount(c);
  target.remove();
  store.wipe();
  store.dispose();
  clearMocks();
});

function input(): HTMLInputElement {
  const el = target.querySelector<HTMLInputElement>('input[aria-label="Search secrets"]');
  if (!el) throw new Error('no search input');
  return el;
}

function activeText(): string {
  return target.querySelector('[role=option][aria-selected=true]')?.textContent ?? '';
}

function key(k: string, init: KeyboardEventInit = {}): void {
  input().dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }));
}

describe('SecretList keyboard navigation', () => {
  it('moves with arrows, clamps at the ends and points aria-activedescendant at the row', async () => {
    expect(target.querySelectorAll('[role=option]')).toHaveLength(12);
    expect(activeText()).toContain('AWS_SECRET_ACCESS_KEY');
    key('ArrowDown');
    await settle();
    expect(activeText()).toContain('CLOUDFLARE_API_TOKEN');
    expect(input().getAttribute('aria-activedescendant')).toBe('row-1');
    key('ArrowUp');
    key('ArrowUp');
    await settle();
    expect(activeText()).toContain('AWS_SECRET_ACCESS_KEY');
    key('PageDown');
    key('PageDown');
    await settle();
    expect(activeText()).toContain('STRIPE_SECRET_KEY');
    expect(input().getAttribute('aria-activedescendant')).toBe('row-11');
  });

  it('typing filters through search_secrets and Enter copies the active row', async () => {
    const el = input();
    el.value = 'npm';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(target.querySelectorAll('[role=option]')).toHaveLength(1);
    key('Enter');
    await settle();
    expect(fake.copies).toEqual([{ team: 'acme', vault: 'ci', name: 'NPM_TOKEN', format: 'value' }]);
  });

  it('Ctrl+C copies unless text is selected in the box', async () => {
    key('c', { ctrlKey: true });
    await settle();
    expect(fake.copies).toHaveLength(1);
    const el = input();
    el.value = 'aws';
    el.setSelectionRange(0, 3);
    key('c', { ctrlKey: true });
    await settle();
    expect(fake.copies).toHaveLength(1);
  });

  it('shows an empty state when nothing matches', async () => {
    const el = input();
    el.value = 'no-such-thing';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(target.textContent).toContain('No secrets match “no-such-thing”');
  });
});

describe('SecretDetail reveal', () => {
  it('reveal shows the value; hide removes it from the DOM and the store', async () => {
    key('ArrowDown');
    await settle();
    const reveal = target.querySelector<HTMLButtonElement>('button[aria-label="Reveal value"]');
    reveal?.click();
    await settle();
    expect(target.textContent).toContain('cf-Zx81Q');
    target.querySelector<HTMLButtonElement>('button[aria-label="Hide value"]')?.click();
    await settle();
    expect(target.textContent).not.toContain('cf-Zx81Q');
    expect(store.revealed).toBeNull();
  });

  it('moving the selection drops the revealed value', async () => {
    target.querySelector<HTMLButtonElement>('button[aria-label="Reveal value"]')?.click();
    await settle();
    expect(target.textContent).toContain('wJalrXUtnFEMI');
    key('ArrowDown');
    await settle();
    expect(target.textContent).not.toContain('wJalrXUtnFEMI');
    expect(store.revealed).toBeNull();
  });
});

describe('Needs attention: security alerts', () => {
  const alerts = () => [...target.querySelectorAll<HTMLElement>('[data-testid=security-alert]')];

  it('are listed above the secrets, with a button to the page where a person acts', async () => {
    expect(target.querySelector('[data-testid=security-alerts]')).toBeNull();
    store.setFilter({ attention: true });
    await settle();
    expect(alerts().map((el) => el.querySelector('h3')?.textContent)).toEqual([
      'Service used from a new address',
      'Unusual number of reads',
      'Device not seen for 30 days — consider removing it',
    ]);
    const pane = target.querySelector('[data-testid=security-alerts]');
    const list = target.querySelector('[role=listbox]');
    expect(pane !== null && list !== null && (pane.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0).toBe(true);
    const unseen = alerts().find((el) => el.dataset.kind === 'device_unseen');
    expect(unseen?.textContent).toContain('Dennis Ritchie');
    expect(unseen?.querySelector('time')?.textContent).toMatch(/^since /);
    const go = unseen?.querySelector<HTMLButtonElement>('button');
    expect(go?.getAttribute('aria-label')).toBe('Go to Members of Acme');
    go?.click();
    expect(store.view).toEqual({ kind: 'members', team: 'acme' });
  });

  it('say so when there are none', async () => {
    fake.setAlerts([]);
    store.setFilter({ attention: true });
    await settle();
    expect(alerts()).toHaveLength(0);
    expect(target.querySelector('[data-testid=alerts-empty]')?.textContent).toContain('No security alerts');
  });
});

describe('SecretList rendering', () => {
  it('renders a page of rows at a time, more as the list scrolls, and always the active row', async () => {
    for (let i = 0; i < 200; i++) {
      const name = `BULK_${String(i).padStart(3, '0')}`;
      fake.secrets.push({ team: 'acme', vault: 'staging', name, note: '', tags: [], deleted: false, versions: [{ version: 1, timeMs: Date.now(), author: 'Ada Lovelace', kind: 'set', value: `v${i}` }] });
    }
    await store.runSearch();
    await settle();
    const rows = () => target.querySelectorAll('[role=option]').length;
    expect(store.visible).toHaveLength(212);
    expect(rows()).toBe(60);
    // PageDown past the first page: the active row is rendered, with rows after it.
    for (let i = 0; i < 8; i++) key('PageDown');
    await settle();
    expect(store.activeIndex).toBe(80);
    expect(target.querySelector('#row-80')?.getAttribute('aria-selected')).toBe('true');
    expect(rows()).toBe(110);
    // Scrolling near the end adds a page (jsdom has no layout: every scroll is "near the end").
    target.querySelector('#secret-listbox')?.dispatchEvent(new Event('scroll'));
    await settle();
    expect(rows()).toBe(120);
    // A new search starts again from the first page (the active row is near the top now).
    store.moveToEdge('first');
    await settle();
    const el = input();
    el.value = 'bulk';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(store.visible).toHaveLength(200);
    expect(store.activeIndex).toBeLessThan(30);
    expect(rows()).toBe(60);
  });
});
