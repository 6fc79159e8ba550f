// A very small test harness on top of playwright-core: specs register tests with `test`,
// the runner (run.mjs) gives each test a fresh browser context with the fake backend.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { CopyRecord, CallRecord, FakeOptions } from './fake-backend';

export const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'test-results', 'screenshots');

export interface Env {
  browser: Browser;
  baseURL: string;
  fakeBundle: string;
}

export interface T {
  page: Page;
  context: BrowserContext;
  /** Opens the app with a fresh fake backend. */
  open(opts?: FakeOptions): Promise<Page>;
  /** Saves `<name>-light.png` and `<name>-dark.png`. */
  shot(name: string): Promise<void>;
  copies(): Promise<CopyRecord[]>;
  calls(): Promise<CallRecord[]>;
  /** Runs `fn` against `window.__hushFake` in the page. */
  fake<R>(fn: string): Promise<R>;
}

type TestFn = (t: T) => Promise<void>;
export const registry: { file: string; name: string; fn: TestFn }[] = [];
let currentFile = '';
export function setCurrentFile(f: string): void {
  currentFile = f;
}

export function test(name: string, fn: TestFn): void {
  registry.push({ file: currentFile, name, fn });
}

export class AssertionError extends Error {}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(message);
}

export async function visible(l: Locator, timeout = 5000): Promise<Locator> {
  await l.first().waitFor({ state: 'visible', timeout });
  return l;
}

export async function hidden(l: Locator, timeout = 5000): Promise<void> {
  await l.first().waitFor({ state: 'hidden', timeout });
}

/** Polls `fn` until it returns a truthy value. */
export async function until<R>(fn: () => Promise<R> | R, message: string, timeout = 5000): Promise<R> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeout) throw new AssertionError(`${message} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

export async function hasText(l: Locator, text: string | RegExp, timeout = 5000): Promise<void> {
  await until(
    async () => {
      const t = await l.first().innerText();
      return typeof text === 'string' ? t.includes(text) : text.test(t);
    },
    `expected ${String(l)} to contain ${String(text)}`,
    timeout,
  );
}

export async function count(l: Locator, n: number, timeout = 5000): Promise<void> {
  await until(async () => (await l.count()) === n, `expected ${String(l)} to have ${n} elements`, timeout);
}

export async function makeT(env: Env, failures: string[]): Promise<T & { close(): Promise<void> }> {
  const context = await env.browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
    deviceScaleFactor: 1,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.baseURL });
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(`console error: ${m.text()}`);
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const t = {
    page,
    context,
    async open(opts: FakeOptions = {}): Promise<Page> {
      await page.addInitScript({ content: `window.__hushFakeOptions = ${JSON.stringify(opts)};` });
      await page.addInitScript({ content: env.fakeBundle });
      await page.goto(env.baseURL);
      return page;
    },
    async shot(name: string): Promise<void> {
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}.png`) });
      }
      await page.emulateMedia({ colorScheme: 'light' });
    },
    copies: () => page.evaluate(() => (window as unknown as { __hushFake: { copies: CopyRecord[] } }).__hushFake.copies),
    calls: () => page.evaluate(() => (window as unknown as { __hushFake: { calls: CallRecord[] } }).__hushFake.calls),
    fake<R>(fn: string): Promise<R> {
      return page.evaluate(`(() => { const fake = window.__hushFake; return (${fn}); })()`) as Promise<R>;
    },
    close: () => context.close(),
  };
  return t;
}
