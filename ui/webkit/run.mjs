#!/usr/bin/env node
// Real-WebKit end-to-end suite: the built `hush-desktop` binary (Rust shell + embedded UI) driven
// through tauri-driver → WebKitWebDriver, against a real `hush-relay` on 127.0.0.1, each app
// instance with its own HUSH_HOME. No mocks: every click goes through Tauri's IPC into hush-core.
//
//   node webkit/run.mjs            (npm run webkit) — re-runs itself under xvfb-run without DISPLAY
//   scripts/desktop-e2e.sh         installs what is missing, builds everything, runs this
//
// Environment: HUSH_DESKTOP_BIN, HUSH_RELAY_BIN, HUSH_CLI_BIN, TAURI_DRIVER (paths; defaults: target/debug/…,
// ~/.cargo/bin/tauri-driver), WEBKIT_KEEP_TMP=1 keeps the temp dir (homes, relay db, driver logs).
//
// One tauri-driver per app instance, on its own ports, started with that instance's HUSH_HOME in
// its environment: `tauri:options` only accepts `application` and `args` (no `env`), and the app
// inherits tauri-driver's → WebKitWebDriver's environment.
//
// Steps depend on each other (one story: first run → lock → a teammate joins → live change), so
// the first failure skips the rest. Exits non-zero on any failure. Screenshots of each main screen
// go to webkit/screenshots/, and FAILED-*.png for a failing step.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const repo = resolve(here, '..', '..');

if (!process.env.DISPLAY) {
  // xvfb-run sets DISPLAY and XAUTHORITY for the child; xclip (below) uses the same ones.
  const r = spawnSync('xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', process.execPath, self, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) console.error(`no DISPLAY and xvfb-run failed: ${r.error.message}`);
  process.exit(r.status ?? 1);
}

const { remote } = await import('webdriverio');

const APP = resolve(process.env.HUSH_DESKTOP_BIN ?? join(repo, 'target', 'debug', 'hush-desktop'));
const RELAY = resolve(process.env.HUSH_RELAY_BIN ?? join(repo, 'target', 'debug', 'hush-relay'));
const CLI = resolve(process.env.HUSH_CLI_BIN ?? join(repo, 'target', 'debug', 'hush'));
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? (existsSync(join(homedir(), '.cargo', 'bin', 'tauri-driver')) ? join(homedir(), '.cargo', 'bin', 'tauri-driver') : 'tauri-driver');
const SHOTS = join(here, 'screenshots');

const PASSWORD_1 = 'orbit lantern cobalt meadow quiver';
const PASSWORD_2 = 'apollo guidance rope core 1969!';
const SECRET_NAME = 'STRIPE_SECRET_KEY';
const SECRET_VALUE = 'sk_live_51WebKitE2e9f3Qz7xVb2LmN8pRt4';
const SECRET_NOTE = 'Billing API, live mode';
const NEW_VALUE = 'sk_live_51Rotated7Hq2Wd9KcX4vJ0yUe6sNa';
const NEW_NOTE = 'Billing API, rotated by the WebKit suite';
const SENTRY_VALUE = 'https://0000aaaa@o1.ingest.sentry.io/7';
const OFFLINE_VALUE_1 = 'sk_live_51OfflineAda3Kq8Zr5Tn1Wm7Yc2Hb';
const OFFLINE_VALUE_2 = 'sk_live_51OfflineGrace6Pd4Xs9Lf0Vj3Ge';
const CLIP_SECS = 5; // the Settings dialog accepts 5..600

// ---------------------------------------------------------------------------------------------
// Small utilities

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Failure extends Error {}

function assert(cond, message) {
  if (!cond) throw new Failure(message);
}

/** Polls `fn` until it returns a truthy value, or throws after `timeout` ms. */
async function until(fn, message, timeout = 10000, interval = 100) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e.message.split('\n')[0] : e;
    }
    if (Date.now() - start > timeout) throw new Failure(`${message} (after ${timeout} ms; last: ${String(last)})`);
    await sleep(interval);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function portOpen(port) {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
}

/** The X CLIPBOARD selection as text, or null when nobody owns it (or it is empty). */
function readClipboard() {
  try {
    const out = execFileSync('xclip', ['-o', '-selection', 'clipboard'], { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

/** An XPath literal for any string. */
function lit(s) {
  if (!s.includes('"')) return `"${s}"`;
  if (!s.includes("'")) return `'${s}'`;
  return `concat("${s.split('"').join(`", '"', "`)}")`;
}
/** A button whose visible text (whitespace-normalized) is exactly `text`. */
const button = (text, scope = '') => `${scope}//button[normalize-space(.)=${lit(text)}]`;
/** A button whose visible text contains `text`. */
const buttonHas = (text, scope = '') => `${scope}//button[contains(normalize-space(.), ${lit(text)})]`;
const labelled = (label) => `[aria-label=${JSON.stringify(label)}]`;
const dialog = (title) => `//*[@role="dialog"][.//*[normalize-space(.)=${lit(title)}]]`;

const processes = [];
let tmp = '';

function killGroup(child) {
  try {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

function cleanup() {
  for (const p of processes) killGroup(p);
  if (tmp && process.env.WEBKIT_KEEP_TMP !== '1') {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

// ---------------------------------------------------------------------------------------------
// The relay and the app instances

/**
 * Starts hush-relay on `listen` (a free port by default) over the suite's SQLite database.
 * Returns { url, port, child }; `stopRelay` ends it, and a new one on the same port and
 * database is the same relay coming back.
 */
async function startRelay(listen = '127.0.0.1:0') {
  const child = spawn(RELAY, ['--listen', listen, '--database', `sqlite://${join(tmp, 'relay.db')}`], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', openSync(join(tmp, 'relay.log'), 'a')],
    detached: true,
  });
  processes.push(child);
  const lines = createInterface({ input: child.stdout });
  const addr = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('hush-relay did not print its address within 20 s')), 20000);
    child.on('exit', (code) => rej(new Error(`hush-relay exited (${code}) before listening; see relay.log`)));
    lines.on('line', (line) => {
      const m = /^hush-relay listening on (\S+)/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
  });
  // Keep draining stdout so the relay never blocks on a full pipe.
  lines.on('line', () => {});
  return { url: `http://${addr}`, port: Number(addr.split(':').pop()), child };
}

/** SIGTERM (the relay drains and exits), and waits until the process is gone. */
async function stopRelay(relay) {
  if (relay.child.exitCode !== null) return;
  const exited = new Promise((res) => relay.child.once('exit', res));
  killGroup(relay.child);
  await Promise.race([exited, sleep(20000).then(() => Promise.reject(new Failure('hush-relay did not exit within 20 s of SIGTERM')))]);
}

/**
 * Starts tauri-driver (with HUSH_HOME in its environment) and a WebDriver session, which launches
 * the app. Returns { label, home, browser, log }.
 */
async function launchApp(label) {
  const home = mkdtempSync(join(tmp, `home-${label}-`));
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const log = join(tmp, `tauri-driver-${label}.log`);
  const fd = openSync(log, 'a');
  const driver = spawn(TAURI_DRIVER, ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, HUSH_HOME: home, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  processes.push(driver);
  await until(() => portOpen(port), `tauri-driver (${label}) listening on ${port}`, 15000);
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'error',
    connectionRetryCount: 1,
    waitforTimeout: 10000,
    capabilities: {
      browserName: 'wry',
      'tauri:options': { application: APP },
      'wdio:enforceWebDriverClassic': true,
    },
  });
  const app = { label, home, browser, log, driver };
  await installIpcRecorder(app);
  return app;
}

async function closeApp(app) {
  if (!app) return;
  try {
    await app.browser.deleteSession();
  } catch {
    // the app may be gone already
  }
  killGroup(app.driver);
}

// Records every IPC answer the web view receives (Tauri v2 on Linux invokes commands with
// fetch('ipc://localhost/<cmd>')), so the suite can check that a secret value reached the web
// view only through reveal_secret. The positive control is the Reveal step: its answer must be
// recorded, or the recorder is not seeing IPC and the negative checks would mean nothing.
const IPC_RECORDER = `
  if (!window.__hushIpcLog) {
    window.__hushIpcLog = [];
    const orig = window.fetch.bind(window);
    window.fetch = function (input, init) {
      const p = orig(input, init);
      try {
        const url = typeof input === 'string' ? input : String(input && input.url);
        if (url.indexOf('ipc:') === 0 || url.indexOf('ipc.localhost') !== -1) {
          const cmd = decodeURIComponent(url.replace(/^.*\\//, '').split('?')[0]);
          // Logged when the call starts (the backend may act, e.g. write the clipboard, before
          // the answer reaches the page); the answer is filled in when it arrives.
          const entry = { cmd, body: '', done: false, t0: Date.now(), ms: 0 };
          window.__hushIpcLog.push(entry);
          const settle = (body) => {
            entry.body = body;
            entry.ms = Date.now() - entry.t0;
            entry.done = true;
          };
          p.then((res) => res.clone().text()).then(settle, () => settle(''));
        }
      } catch (e) {
        // never break the app's IPC
      }
      return p;
    };
  }
  return window.fetch !== undefined && Array.isArray(window.__hushIpcLog);
`;

async function installIpcRecorder(app) {
  await until(() => app.browser.execute('return document.readyState === "complete"'), `${app.label}: page loaded`, 15000);
  assert(await app.browser.execute(IPC_RECORDER), 'IPC recorder installed');
}

/** Waits until every IPC call the page has started so far has its answer recorded. */
async function ipcSettled(app) {
  const started = await app.browser.execute(() => (window.__hushIpcLog || []).length);
  await until(
    () => app.browser.execute((n) => (window.__hushIpcLog || []).slice(0, n).every((e) => e.done), started),
    `${app.label}: every IPC answer recorded`,
    10000,
  );
}

/** The recorded IPC answers that contain `needle`: [{ cmd, body }] (after all calls settled). */
async function ipcAnswersWith(app, needle) {
  await ipcSettled(app);
  return app.browser.execute((n) => (window.__hushIpcLog || []).filter((e) => e.body.includes(n)).map((e) => e.cmd), needle);
}
async function ipcCommands(app) {
  return app.browser.execute(() => (window.__hushIpcLog || []).map((e) => e.cmd));
}

// ---------------------------------------------------------------------------------------------
// UI helpers (the same labels and roles the Chromium suite in ui/e2e uses)

async function shot(app, name) {
  // The element a step waited for is in the DOM, not necessarily on screen: wait for the fonts
  // and two animation frames (the second runs after the first one's paint) before the capture.
  const painted = await app.browser.execute(
    () => document.fonts.ready.then(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))),
  );
  assert(painted === true, `${app.label}: page painted before screenshot ${name}`);
  await app.browser.saveScreenshot(join(SHOTS, `${name}.png`));
}

async function el(app, selector, timeout = 10000) {
  const e = await app.browser.$(selector);
  await e.waitForDisplayed({ timeout, timeoutMsg: `${app.label}: ${selector} not displayed after ${timeout} ms` });
  return e;
}

async function click(app, selector, timeout = 10000) {
  const e = await el(app, selector, timeout);
  await e.waitForEnabled({ timeout, timeoutMsg: `${app.label}: ${selector} not enabled` });
  await e.click();
  return e;
}

async function fill(app, selector, value) {
  const e = await el(app, selector);
  await e.clearValue();
  await e.setValue(value);
  await until(async () => (await e.getValue()) === value, `${app.label}: ${selector} holds the typed value`, 5000);
  return e;
}

async function gone(app, selector, timeout = 10000) {
  await until(async () => !(await (await app.browser.$(selector)).isDisplayed()), `${app.label}: ${selector} gone`, timeout);
}

async function text(app, selector) {
  return (await el(app, selector)).getText();
}

async function bodyText(app) {
  return app.browser.execute(() => document.body.innerText);
}
async function pageHtml(app) {
  // outerHTML plus every form field's live value (values set by typing are not attributes).
  return app.browser.execute(
    () => document.documentElement.outerHTML + '\n' + Array.from(document.querySelectorAll('input, textarea')).map((i) => i.value).join('\n'),
  );
}

/** innerText of the first element matching a CSS or (leading `/` or `(`) XPath selector, or null. */
async function innerTextOf(app, selector) {
  return app.browser.execute((sel) => {
    const node = /^[/(]/.test(sel)
      ? document.evaluate(sel, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue
      : document.querySelector(sel);
    return node instanceof HTMLElement ? node.innerText : null;
  }, selector);
}

// innerText, not WebDriver's Get Element Text: WebKitWebDriver answered '' for the list's
// role="option" rows while they were plainly rendered.
async function hasText(app, selector, wanted, timeout = 10000) {
  return until(
    async () => {
      const t = (await innerTextOf(app, selector)) ?? '';
      return (typeof wanted === 'string' ? t.includes(wanted) : wanted.test(t)) && t;
    },
    `${app.label}: ${selector} contains ${String(wanted)}`,
    timeout,
  );
}

async function toast(app, wanted, timeout = 10000) {
  return hasText(app, '.toasts', wanted, timeout);
}

/** Opens one of a team's pages ("Members", "Activity") from the sidebar. */
async function openTeamPage(app, teamName, page) {
  await click(app, `//*[@role="group"][.//button[normalize-space(.)=${lit(teamName)}]]//button[normalize-space(.)=${lit(page)}]`);
  await el(app, `//h1[normalize-space(.)=${lit(page)}] | //h2[normalize-space(.)=${lit(page)}]`);
}
const openMembers = (app, teamName) => openTeamPage(app, teamName, 'Members');

async function openVault(app, vaultName) {
  await click(app, `//nav[@aria-label="Teams and vaults"]//button[.//span[contains(@class,"label") and normalize-space(.)=${lit(vaultName)}]]`);
}

/** The digit groups (CodeGroups' `.g` spans) inside the first element matching a CSS selector. */
async function digitGroups(app, css) {
  return app.browser.execute((sel) => Array.from(document.querySelectorAll(`${sel} .g`)).map((g) => (g.textContent ?? '').trim()), css);
}

/**
 * Opens the Stripe key in the vault, saves a new version (value, and the note when given) and
 * returns the time of the click on Save, once the dialog has closed.
 */
async function editStripeKey(app, vaultName, { value, note }) {
  await openVault(app, vaultName);
  await click(app, row(SECRET_NAME));
  await click(app, `//section[@aria-label="Secret details"]${button('Edit')}`);
  const ed = dialog(`Edit ${SECRET_NAME}`);
  await el(app, ed);
  await fill(app, '#sf-value', value);
  if (note !== undefined) await fill(app, '#sf-note', note);
  await click(app, button('Save new version', ed));
  const savedAt = Date.now();
  await gone(app, ed);
  return savedAt;
}

const row = (name) => `//*[@data-testid="secret-row"][.//span[contains(@class,"name") and normalize-space(.)=${lit(name)}]]`;
const SEARCH = 'input[aria-label="Search secrets"]';

/** Creates an identity through the onboarding flow; returns the fingerprint's digit groups. */
async function createIdentity(app, { intent, name, password, shots }) {
  await el(app, '//h1[normalize-space(.)="Welcome to Hush"]', 20000);
  if (shots) await shot(app, '01-welcome');
  await click(app, buttonHas(intent === 'join' ? 'Join a team' : 'Create an identity'));
  await fill(app, '#ob-name', name);
  await fill(app, '#ob-pw', password);
  await fill(app, '#ob-confirm', password);
  if (shots) await shot(app, '02-create-identity');
  await click(app, button('Create identity'));
  await el(app, '[data-testid="fingerprint"]', 30000);
  const groups = await digitGroups(app, '[data-testid="fingerprint"]');
  assert(groups.length === 6 && groups.every((g) => /^\d{5}$/.test(g)), `fingerprint is six groups of five digits: ${groups.join(' ')}`);
  if (shots) await shot(app, '03-fingerprint');
  return groups;
}

// ---------------------------------------------------------------------------------------------
// The story

const results = [];
let aborted = false;
let apps = [];

async function step(name, fn) {
  if (aborted) {
    results.push({ name, status: 'skipped' });
    console.log(`  - ${name} (skipped)`);
    return;
  }
  const started = Date.now();
  try {
    await fn();
    results.push({ name, status: 'passed', ms: Date.now() - started });
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    aborted = true;
    results.push({ name, status: 'failed', ms: Date.now() - started });
    console.log(`  ✗ ${name}\n      ${String(e instanceof Error ? (e.stack ?? e.message) : e).split('\n').join('\n      ')}`);
    for (const app of apps) {
      try {
        await shot(app, `FAILED-${app.label}-${name.replace(/\W+/g, '_').slice(0, 60)}`);
      } catch {
        // the app may be gone
      }
      try {
        const t = readFileSync(app.log, 'utf8').trim().split('\n').slice(-15).join('\n        ');
        if (t) console.log(`      ${app.label} log (tauri-driver, WebKitWebDriver, app):\n        ${t}`);
      } catch {
        // no log
      }
    }
  }
}

async function main() {
  for (const [what, p] of [
    ['hush-desktop (HUSH_DESKTOP_BIN)', APP],
    ['hush-relay (HUSH_RELAY_BIN)', RELAY],
    ['hush (HUSH_CLI_BIN)', CLI],
  ]) {
    if (!existsSync(p)) throw new Error(`${what} not found at ${p}: build it first (scripts/desktop-e2e.sh does)`);
  }
  for (const tool of ['xclip', 'WebKitWebDriver']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not on PATH (scripts/desktop-e2e.sh installs it)`);
  }
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (f.endsWith('.png')) rmSync(join(SHOTS, f));
  tmp = mkdtempSync(join(tmpdir(), 'hush-webkit-'));
  const t0 = Date.now();
  console.log(`WebKit e2e: app ${APP}\n            DISPLAY ${process.env.DISPLAY}, temp ${tmp}`);

  let relayProcess = await startRelay();
  const relay = relayProcess.url;
  console.log(`            relay ${relay}`);

  let a1;
  let a2;
  let fingerprint1 = [];
  let team = 'Acme';
  const vault = 'production';

  await step('app 1 starts (tauri-driver → WebKitWebDriver → hush-desktop) with its own HUSH_HOME', async () => {
    a1 = await launchApp('app1');
    apps = [a1];
    const title = await a1.browser.getTitle();
    assert(title === 'Hush', `window title ${title}`);
  });

  await step('first run: create an identity (name, master password, confirmation) and see the fingerprint', async () => {
    fingerprint1 = await createIdentity(a1, { intent: 'create', name: 'Ada Lovelace', password: PASSWORD_1, shots: true });
    await click(a1, button('Open Hush'));
    // The Chromium suite's fake backend starts with no team ("You're not in a team yet"); the real
    // core creates a local "Personal" team at init, so the main screen opens on it instead.
    await el(a1, SEARCH, 20000);
    assert(readdirSync(a1.home).length > 0, `the identity was written into HUSH_HOME (${a1.home})`);
    const teams = await a1.browser.execute(() => Array.from(document.querySelectorAll('nav[aria-label="Teams and vaults"] .team-name')).map((b) => b.textContent?.trim()));
    console.log(`      teams after first run: ${JSON.stringify(teams)}`);
    await shot(a1, '04-main-first-run');
  });

  await step('create a team with the relay URL, then a vault', async () => {
    // The sidebar's team actions (also in the command palette, Ctrl+K).
    await click(a1, `//nav[@aria-label="Teams and vaults"]${button('Create a team')}`);
    const d = dialog('Create a team');
    await el(a1, d);
    await fill(a1, '#nt-name', team);
    await fill(a1, '#nt-relay', relay);
    await shot(a1, '05-new-team-dialog');
    await click(a1, button('Create team', d));
    // The shell opens "New vault" for the new team right away.
    const vd = dialog('New vault');
    await el(a1, vd);
    await fill(a1, '#nv-name', vault);
    await click(a1, button('Create vault', vd));
    await until(async () => {
      const alert = await innerTextOf(a1, `${vd}//*[@role="alert"]`);
      if (alert) throw new Failure(`New vault dialog shows an error: ${alert}`);
      return !(await (await a1.browser.$(vd)).isDisplayed());
    }, 'New vault dialog closed');
    await el(a1, `//nav[@aria-label="Teams and vaults"]//button[normalize-space(.)=${lit(team)}]`);
    await el(a1, '//*[normalize-space(.)="No secrets here yet"]');
    await until(async () => (await text(a1, '[data-testid="sync-indicator"]')).length > 0, 'sync indicator shows a state');
    await shot(a1, '06-empty-vault');
  });

  await step('add a secret (name, value, note); the value is not kept in the web view after saving', async () => {
    await click(a1, buttonHas('New secret'));
    const form = dialog('New secret');
    await el(a1, form);
    const chosen = await a1.browser.execute(() => {
      const s = document.querySelector('#sf-vault');
      return s instanceof HTMLSelectElement ? s.options[s.selectedIndex]?.text : null;
    });
    assert(chosen !== null && chosen.includes(vault), `the form defaults to the open vault (${chosen})`);
    // WebKitGTK shows today's date in an empty <input type="date">: the expiry is a text field.
    const exp = await a1.browser.execute(() => {
      const i = document.querySelector('#sf-exp');
      return i instanceof HTMLInputElement ? { type: i.type, value: i.value, placeholder: i.placeholder } : null;
    });
    assert(exp !== null && exp.type === 'text' && exp.value === '' && exp.placeholder === 'YYYY-MM-DD', `an empty expiry looks empty: ${JSON.stringify(exp)}`);
    await fill(a1, '#sf-name', SECRET_NAME);
    await fill(a1, '#sf-value', SECRET_VALUE);
    await fill(a1, '#sf-note', SECRET_NOTE);
    await shot(a1, '07-secret-form');
    await click(a1, button('Create secret', form));
    await gone(a1, form);
    await hasText(a1, '[data-testid="detail-name"]', SECRET_NAME);
    await el(a1, row(SECRET_NAME));
    assert(!(await pageHtml(a1)).includes(SECRET_VALUE), 'the value is not in the DOM after saving');
  });

  await step('Settings: clear the clipboard after 5 s', async () => {
    await click(a1, labelled('Settings'));
    const d = dialog('Settings');
    await el(a1, d);
    const fp = await text(a1, `${d}//*[@role="group"]`);
    assert(fingerprint1.every((g) => fp.includes(g)), `Settings shows the same fingerprint (${fp})`);
    await fill(a1, '#st-clip', String(CLIP_SECS));
    await shot(a1, '08-settings');
    await click(a1, button('Save', d));
    await gone(a1, d);
    const saved = JSON.parse(readFileSync(join(a1.home, 'desktop.json'), 'utf8'));
    assert(saved.clipboardClearSecs === CLIP_SECS, `desktop.json has clipboardClearSecs ${CLIP_SECS}: ${JSON.stringify(saved)}`);
  });

  await step('search ranks the secret; Copy puts the value on the X clipboard without it reaching the web view; cleared after 5 s', async () => {
    // A second secret so the ranked list has something to rank against.
    await click(a1, buttonHas('New secret'));
    const form = dialog('New secret');
    await fill(a1, '#sf-name', 'SENTRY_DSN');
    await fill(a1, '#sf-value', SENTRY_VALUE);
    await fill(a1, '#sf-note', 'Error reporting');
    await click(a1, button('Create secret', form));
    await gone(a1, form);
    await el(a1, row('SENTRY_DSN'));

    const search = await el(a1, SEARCH);
    await search.click();
    await search.setValue('strip');
    const rows = await until(async () => {
      const names = await a1.browser.execute(() => Array.from(document.querySelectorAll('[data-testid="secret-row"] .name')).map((n) => n.textContent?.trim()));
      return names.length === 1 && names[0] === SECRET_NAME && names;
    }, 'search "strip" lists exactly the Stripe key');
    await search.setValue('s');
    const ranked = await until(async () => {
      const names = await a1.browser.execute(() => Array.from(document.querySelectorAll('[data-testid="secret-row"] .name')).map((n) => n.textContent?.trim()));
      return names.length === 2 && names;
    }, 'search "s" lists both secrets');
    await search.setValue('stripe key');
    await until(async () => {
      const names = await a1.browser.execute(() => Array.from(document.querySelectorAll('[data-testid="secret-row"] .name')).map((n) => n.textContent?.trim()));
      return names[0] === SECRET_NAME && names;
    }, 'search "stripe key" ranks the Stripe key first');
    await shot(a1, '09-search');
    console.log(`      ranked: "strip" → ${rows.join(', ')}; "s" → ${ranked.join(', ')}`);

    await click(a1, row(SECRET_NAME));
    await hasText(a1, '[data-testid="detail-name"]', SECRET_NAME);
    assert(!(await bodyText(a1)).includes(SECRET_VALUE), 'value not in document.body.innerText before copy');
    assert(readClipboard() !== SECRET_VALUE, 'the clipboard does not hold the value yet');

    await click(a1, `//section[@aria-label="Secret details"]${button('Copy')}`);
    const copiedAt = Date.now();
    await until(() => readClipboard() === SECRET_VALUE, 'xclip reads the secret value from the CLIPBOARD selection', 5000);
    await toast(a1, `Copied — clears in ${CLIP_SECS} s`);
    await shot(a1, '10-copied');
    assert(!(await pageHtml(a1)).includes(SECRET_VALUE), 'the value is not in the DOM (or any input) after copy');
    assert((await ipcAnswersWith(a1, SECRET_VALUE)).length === 0, 'no IPC answer carried the value during copy');
    assert((await ipcCommands(a1)).includes('copy_secret'), `the IPC recorder saw copy_secret (${(await ipcCommands(a1)).join(',')})`);

    await until(() => readClipboard() !== SECRET_VALUE, `clipboard cleared after ${CLIP_SECS} s`, (CLIP_SECS + 5) * 1000, 100);
    const clearedAfter = (Date.now() - copiedAt) / 1000;
    assert(clearedAfter >= CLIP_SECS - 1, `cleared after ${clearedAfter.toFixed(1)} s, not before ~${CLIP_SECS} s`);
    console.log(`      clipboard cleared ${clearedAfter.toFixed(1)} s after the copy (now ${JSON.stringify(readClipboard())})`);
    await toast(a1, 'Clipboard cleared', 5000);
  });

  await step('Reveal shows the value (its only path into the web view), Hide removes it', async () => {
    assert(!(await bodyText(a1)).includes(SECRET_VALUE), 'body.innerText has no value before Reveal');
    await click(a1, labelled('Reveal value'));
    await hasText(a1, '[data-testid="secret-value"]', SECRET_VALUE);
    await shot(a1, '11-revealed');
    const via = await ipcAnswersWith(a1, SECRET_VALUE);
    assert(via.length === 1 && via[0] === 'reveal_secret', `the value came only through reveal_secret (recorded: ${JSON.stringify(via)})`);
    await click(a1, labelled('Hide value'));
    await until(async () => !(await pageHtml(a1)).includes(SECRET_VALUE), 'value gone from the DOM after Hide');
    await el(a1, labelled('Value hidden'));
  });

  await step('Enter in the search box copies; the Lock button clears the clipboard at once and shows the unlock screen', async () => {
    const search = await el(a1, SEARCH);
    await search.click();
    await search.setValue('stripe');
    await until(
      async () => (await a1.browser.execute(() => document.querySelector('[role="option"][aria-selected="true"] .name')?.textContent?.trim() ?? null)) === SECRET_NAME,
      'Stripe row is the active option',
    );
    await a1.browser.keys('Enter');
    await until(() => readClipboard() === SECRET_VALUE, 'Enter copied the value to the X clipboard', 5000);
    const lockedAt = Date.now();
    await click(a1, button('Lock'));
    await el(a1, '#unlock-pw');
    await until(() => readClipboard() !== SECRET_VALUE, 'locking cleared the clipboard', 3000);
    console.log(`      clipboard cleared ${Date.now() - lockedAt} ms after Lock`);
    const html = await pageHtml(a1);
    assert(!html.includes(SECRET_NAME) && !html.includes(SECRET_NOTE), 'no secret names or notes in the DOM after lock');
    await shot(a1, '12-unlock');
  });

  await step('wrong password is refused; unlock with the password brings the list back', async () => {
    await fill(a1, '#unlock-pw', 'not my password');
    await a1.browser.keys('Enter');
    await hasText(a1, '#unlock-err', /wrong password/i, 20000);
    await shot(a1, '13-unlock-wrong');
    await fill(a1, '#unlock-pw', PASSWORD_1);
    await a1.browser.keys('Enter');
    await el(a1, row(SECRET_NAME), 30000);
    assert((await (await el(a1, SEARCH)).getValue()) === '', 'search was wiped by the lock');
  });

  await step('Ctrl+L locks; unlock again', async () => {
    await (await el(a1, row(SECRET_NAME))).click();
    await a1.browser.keys(['Control', 'l']);
    await el(a1, '#unlock-pw');
    await fill(a1, '#unlock-pw', PASSWORD_1);
    await click(a1, button('Unlock'));
    await el(a1, row(SECRET_NAME), 30000);
    await shot(a1, '14-main');
  });

  await step('a terminal: hush run gets the keys from the unlocked app without a password; after Ctrl+L it gets nothing', async () => {
    // The app serves the CLI's agent protocol on the data directory's socket while unlocked.
    const env = { ...process.env, HUSH_HOME: a1.home };
    delete env.HUSH_PASSWORD;
    const run = () =>
      spawnSync(CLI, ['run', '--team', team, '--vault', vault, '--', 'sh', '-c', 'printf %s "$STRIPE_SECRET_KEY"'], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30000,
      });
    const unlocked = run();
    assert(unlocked.status === 0 && unlocked.stdout === SECRET_VALUE, `hush run through the app: exit ${unlocked.status}, stderr ${unlocked.stderr}`);
    await a1.browser.keys(['Control', 'l']);
    await el(a1, '#unlock-pw');
    const locked = run();
    assert(locked.status !== 0 && locked.stdout === '', `after the lock hush run gets nothing (exit ${locked.status})`);
    assert(/password/i.test(locked.stderr) && !locked.stderr.includes(SECRET_VALUE), `and says a password is needed: ${locked.stderr.trim()}`);
    console.log(`      unlocked: the child printed the key; locked: "${locked.stderr.trim().split('\n')[0]}"`);
    await fill(a1, '#unlock-pw', PASSWORD_1);
    await a1.browser.keys('Enter');
    await el(a1, row(SECRET_NAME), 30000);
  });

  let inviteCode = '';
  let safety2 = '';
  await step('app 1 creates an invite (code read from the UI)', async () => {
    await openMembers(a1, team);
    await click(a1, button('Invite'));
    const d = dialog(`Invite to ${team}`);
    await el(a1, d);
    await click(a1, button('Create invite', d));
    inviteCode = (await text(a1, '[data-testid="invite-code"]')).trim();
    // The core's codes are `hush1…` (base32); the Chromium suite's fake uses `hush-inv-…`.
    assert(/^hush[0-9a-z-]{20,}$/.test(inviteCode), `invite code ${inviteCode}`);
    await shot(a1, '15-invite');
    await click(a1, button('Done', d));
    await gone(a1, d);
    assert(!(await (await a1.browser.$('//section[contains(@aria-label, "is waiting to join")]')).isExisting()), 'no join request yet: the Members page stays open while app 2 joins');
  });

  const JOIN_LABEL = "Ada's team";
  await step('app 2 (second HUSH_HOME) joins through "Join a team", shows a safety code, then waits for admission under its join label', async () => {
    a2 = await launchApp('app2');
    apps = [a1, a2];
    await createIdentity(a2, { intent: 'join', name: 'Grace Hopper', password: PASSWORD_2, shots: false });
    await click(a2, button('Next: enter invite code'));
    await fill(a2, '#invite-code', inviteCode);
    await fill(a2, '#join-label', JOIN_LABEL);
    await click(a2, button('Join team'));
    await el(a2, '[data-testid="join-safety"]', 30000);
    safety2 = (await digitGroups(a2, '[data-testid="join-safety"]')).join('');
    assert(/^\d{10,}$/.test(safety2), `safety code digits: ${safety2}`);
    await shot(a2, '16-app2-join-safety');
    await click(a2, button('Done'));
    // Not "Local only" and a blank header: the team under its label, waiting, with the same code.
    await hasText(a2, '[data-testid="join-waiting"]', JOIN_LABEL, 20000);
    const waiting = (await digitGroups(a2, '[data-testid="waiting-safety"]')).join('');
    assert(waiting === safety2, `the waiting state shows the join's safety code (${waiting} vs ${safety2})`);
    await el(a2, `//nav[@aria-label="Teams and vaults"]//*[normalize-space(.)=${lit(JOIN_LABEL)}]`);
    await el(a2, `//nav[@aria-label="Teams and vaults"]${button('Waiting for admission')}`);
    await hasText(a2, '[data-testid="sync-indicator"]', 'Waiting for admission', 10000);
    assert(await (await el(a2, labelled('Sync now'))).isEnabled(), 'Sync now is usable while waiting');
    await hasText(a2, '[data-testid="join-waiting"]', /Checked (just now|\d+ min ago)/, 15000);
    await shot(a2, '17-app2-waiting');
  });

  await step('app 1 sees the request on its open Members page by itself, the safety code matches, admits and grants the vault', async () => {
    const pending = '//section[@aria-label="Grace Hopper is waiting to join"]';
    // No clicks: the shell looks for join requests every few seconds after an invite, and the
    // open page reloads on hush://changed.
    // App 1 has stayed on its Members page since creating the invite (before app 2 joined).
    await el(a1, '//h1[normalize-space(.)="Members"] | //h2[normalize-space(.)="Members"]');
    const shownAt = await a1.browser.execute(() => document.querySelector('section[aria-label="Grace Hopper is waiting to join"]') !== null);
    await el(a1, pending, 20000);
    console.log(`      app 1's open Members page showed the join request ${shownAt ? 'already' : 'after waiting'}, without a click`);
    const shown = (await digitGroups(a1, 'section[aria-label="Grace Hopper is waiting to join"] [data-testid="pending-safety"]')).join('');
    assert(shown === safety2, `safety codes match: app 1 shows ${shown}, app 2 shows ${safety2}`);
    const admit = await el(a1, button('Admit Grace Hopper', pending));
    assert(!(await admit.isEnabled()), 'Admit is disabled until the codes are confirmed');
    await shot(a1, '18-members-pending');
    await click(a1, `${pending}//label[contains(normalize-space(.), "read to me matches")]/input`);
    await click(a1, button('Admit Grace Hopper', pending));
    await gone(a1, pending, 20000);
    await hasText(a1, '//*[@role="row"][contains(normalize-space(.), "Grace Hopper")]', 'active');
    await shot(a1, '19-members');

    await openVault(a1, vault);
    await click(a1, buttonHas('Access'));
    await el(a1, `//h1[normalize-space(.)="Access to ${vault}"] | //h2[normalize-space(.)="Access to ${vault}"]`);
    const member = await el(a1, '#ga-member');
    await member.selectByVisibleText('Grace Hopper');
    await (await el(a1, '#ga-role')).selectByAttribute('value', 'read');
    await click(a1, button('Grant'));
    await hasText(a1, 'ul[aria-label="People with access"]', 'Grace Hopper');
    await shot(a1, '20-vault-access');
  });

  await step('app 2 switches live to the admitted team: its name, the vault and the secret, without a restart or a click', async () => {
    // Admission arrives with app 2's poll (every few seconds while waiting), the grant with the
    // team's long-poll once admitted. No clicks in app 2.
    const waitStart = Date.now();
    const ipcBefore = (await ipcCommands(a2)).length;
    await el(a2, row(SECRET_NAME), 25000);
    console.log(`      app 2 listed the secret ${Date.now() - waitStart} ms after the grant`);
    const after = (await ipcCommands(a2)).slice(ipcBefore);
    assert(!after.includes('sync_now'), `app 2 did not call sync_now (${after.join(',')})`);
    await gone(a2, '[data-testid="join-waiting"]');
    await el(a2, `//nav[@aria-label="Teams and vaults"]//button[normalize-space(.)=${lit(team)}]`);
    assert(!((await innerTextOf(a2, 'nav[aria-label="Teams and vaults"]')) ?? '').includes(JOIN_LABEL), 'the join label gave way to the team name');
    await click(a2, row(SECRET_NAME));
    await hasText(a2, '[data-testid="detail-name"]', SECRET_NAME);
    await hasText(a2, row(SECRET_NAME), SECRET_NOTE);
    await click(a2, labelled('Reveal value'));
    await hasText(a2, '[data-testid="secret-value"]', SECRET_VALUE);
    await click(a2, labelled('Hide value'));
    // Granted read: no Edit/Delete, and the reason is on screen.
    await el(a2, '[data-testid="read-only"]');
    assert(!(await (await a2.browser.$(`//section[@aria-label="Secret details"]${button('Edit')}`)).isExisting()), 'no Edit for a read-only member');
    await shot(a2, '21-app2-secret');
  });

  await step('app 1 changes the value and note; app 2 shows the change live (≤ 10 s, pushed by background sync)', async () => {
    const ipcBefore = (await ipcCommands(a2)).length;
    const savedAt = await editStripeKey(a1, vault, { value: NEW_VALUE, note: NEW_NOTE });
    // No clicks in app 2 from here on: the change must arrive by itself.
    await hasText(a2, row(SECRET_NAME), NEW_NOTE, 10000);
    const live = Date.now() - savedAt;
    console.log(`      app 2 showed the new note ${live} ms after app 1 saved`);
    const after = (await ipcCommands(a2)).slice(ipcBefore);
    assert(!after.includes('sync_now'), `app 2 did not call sync_now (${after.join(',')})`);
    await hasText(a2, 'section[aria-labelledby="hist-h"]', 'v2', 10000);
    assert(!(await bodyText(a2)).includes(NEW_VALUE), 'app 2 has not received the new value before Reveal');
    await shot(a2, '22-app2-live-change');
    await click(a2, labelled('Reveal value'));
    await hasText(a2, '[data-testid="secret-value"]', NEW_VALUE);
    await shot(a2, '23-app2-revealed-new');
    await click(a2, labelled('Hide value'));
  });

  await step('Ctrl+K on the Members page finds the Sentry DSN and Enter copies it; the detail pane copies a hush:// reference and a NAME= line', async () => {
    await openMembers(a1, team);
    await a1.browser.keys(['Control', 'k']);
    const q = await el(a1, 'input[aria-label="Search secrets and commands"]');
    await q.setValue('sentry');
    await hasText(a1, '#pal-0', 'SENTRY_DSN');
    await shot(a1, '25-palette');
    const ipcBefore = (await ipcCommands(a1)).length;
    await a1.browser.keys('Enter');
    await until(() => readClipboard() === SENTRY_VALUE, 'the palette copied the Sentry DSN to the X clipboard', 5000);
    await gone(a1, 'input[aria-label="Search secrets and commands"]');
    const during = await until(async () => {
      const cmds = (await ipcCommands(a1)).slice(ipcBefore);
      return cmds.includes('copy_secret') && cmds;
    }, 'the palette copied through copy_secret', 5000);
    assert(during.includes('copy_secret'), `the palette copied through copy_secret (${during.join(',')})`);
    assert((await ipcAnswersWith(a1, SENTRY_VALUE)).length === 0, 'no IPC answer carried the Sentry value');

    await openVault(a1, vault);
    await click(a1, row(SECRET_NAME));
    await hasText(a1, '[data-testid="detail-name"]', SECRET_NAME);
    await click(a1, buttonHas('reference', '//section[@aria-label="Secret details"]'));
    const reference = await until(() => {
      const c = readClipboard();
      return c && c.startsWith('hush://') && c;
    }, 'a hush:// reference on the clipboard', 5000);
    assert(reference === `hush://${vault}/${SECRET_NAME}`, `reference ${reference}`);
    // Not a secret: not cleared, and the toast says just that it was copied.
    await toast(a1, 'Reference copied');
    assert(!((await innerTextOf(a1, '.toasts')) ?? '').includes('clears in 0'), 'no "clears in 0 s" for a reference');
    await click(a1, buttonHas('Copy as', '//section[@aria-label="Secret details"]'));
    await until(() => readClipboard() === `${SECRET_NAME}=hush://${vault}/${SECRET_NAME}`, 'a NAME=hush://… line on the clipboard', 5000);
    console.log(`      copied ${reference} and ${readClipboard()}`);
  });

  await step('Lead: app 1 makes Grace a writer on the Access page; app 2 gets Edit by itself', async () => {
    await click(a1, buttonHas('Access'));
    await el(a1, `//h1[normalize-space(.)="Access to ${vault}"] | //h2[normalize-space(.)="Access to ${vault}"]`);
    const role = await el(a1, 'select[aria-label="Role of Grace Hopper"]');
    await role.selectByAttribute('value', 'write');
    await until(async () => (await role.getValue()) === 'write', 'the role select says write');
    await toast(a1, `Grace Hopper can now write ${vault}`);
    // App 2 is on the secret's detail pane: Edit appears without a click.
    await el(a2, `//section[@aria-label="Secret details"]${button('Edit')}`, 20000);
    await gone(a2, '[data-testid="read-only"]');
    await shot(a1, '26-access-writer');
  });

  let relayPort = relayProcess.port;
  await step('Offline: the relay stops; both apps say Offline by themselves, and each saves a new Stripe key, queued', async () => {
    await stopRelay(relayProcess);
    const stoppedAt = Date.now();
    await hasText(a1, '[data-testid="sync-indicator"]', 'Offline', 15000);
    await hasText(a2, '[data-testid="sync-indicator"]', 'Offline', 15000);
    console.log(`      both apps said Offline ${Date.now() - stoppedAt} ms after the relay stopped`);

    for (const [app, value] of [
      [a1, OFFLINE_VALUE_1],
      [a2, OFFLINE_VALUE_2],
    ]) {
      await editStripeKey(app, vault, { value });
      await toast(app, `Saved ${SECRET_NAME} on this device`);
      await hasText(app, '[data-testid="sync-indicator"]', 'Offline · 1 queued', 15000);
    }
    // Offline, everything stays readable: search, and reveal of what was just saved.
    const search = await el(a2, SEARCH);
    await search.click();
    await search.setValue('stripe');
    await el(a2, row(SECRET_NAME));
    await click(a2, row(SECRET_NAME));
    await click(a2, labelled('Reveal value'));
    await hasText(a2, '[data-testid="secret-value"]', OFFLINE_VALUE_2);
    await click(a2, labelled('Hide value'));
    // Clear by keyboard: WebDriver's clearValue fires no input event, so the list would stay filtered.
    await search.click();
    await a2.browser.keys(['Control', 'a']);
    await a2.browser.keys('Backspace');
    await until(async () => (await a2.browser.execute(() => document.querySelectorAll('[data-testid="secret-row"]').length)) === 2, 'both secrets listed again');
    await shot(a1, '27-offline-queued');
  });

  await step('The relay comes back on the same address: the queued edits leave by themselves and both apps show the conflict', async () => {
    relayProcess = await startRelay(`127.0.0.1:${relayPort}`);
    const backAt = Date.now();
    // Retries back off to 30 s at most; both edits must arrive, so allow two rounds.
    for (const app of [a1, a2]) {
      await hasText(app, '[data-testid="sync-indicator"]', '1 conflict', 70000);
      assert(!((await innerTextOf(app, '[data-testid="sync-indicator"]')) ?? '').includes('queued'), `${app.label}: nothing left queued`);
    }
    console.log(`      both apps showed the conflict ${Date.now() - backAt} ms after the relay came back`);
    await shot(a1, '28-conflict');
  });

  await step('app 2 resolves the conflict by keeping app 1\'s value; app 1 sees it resolved live', async () => {
    await click(a2, buttonHas('conflict', '//*[@data-testid="sync-indicator"]'));
    await hasText(a2, '[data-testid="detail-name"]', SECRET_NAME);
    await click(a2, button('Resolve…'));
    const d = dialog('Resolve conflict');
    await el(a2, d);
    const versions = await a2.browser.execute(() =>
      Array.from(document.querySelectorAll('[role="radiogroup"][aria-label="Version to keep"] input[type="radio"]')).map((i) => Number(i.value)),
    );
    assert(versions.length === 2, `two conflicting versions: ${JSON.stringify(versions)}`);
    // Reveal each version in turn (one at a time) to learn which one is app 1's.
    const valueOf = {};
    const offlineValues = [OFFLINE_VALUE_1, OFFLINE_VALUE_2];
    for (const v of versions) {
      await click(a2, labelled(`Reveal version ${v}`));
      valueOf[v] = await until(async () => {
        const t = (await innerTextOf(a2, d)) ?? '';
        return offlineValues.find((x) => t.includes(x));
      }, `version ${v} revealed`);
      await click(a2, labelled(`Hide version ${v}`));
      await until(async () => {
        const t = (await innerTextOf(a2, d)) ?? '';
        return !offlineValues.some((x) => t.includes(x));
      }, `version ${v} hidden`);
    }
    const keep = versions.find((v) => valueOf[v] === OFFLINE_VALUE_1);
    assert(keep !== undefined && new Set(Object.values(valueOf)).size === 2, `the two versions hold the two offline values: ${JSON.stringify(valueOf)}`);
    await click(a2, `${d}//input[@type="radio" and @value="${keep}"]`);
    await shot(a2, '29-resolve-conflict');
    await click(a2, button(`Keep version ${keep}`, d));
    await gone(a2, d);
    await gone(a2, buttonHas('conflict', '//*[@data-testid="sync-indicator"]'), 15000);
    assert(!(await pageHtml(a2)).includes(OFFLINE_VALUE_1), 'revealed versions dropped after resolving');
    // App 1: no click; the resolution arrives with the long-poll.
    await gone(a1, buttonHas('conflict', '//*[@data-testid="sync-indicator"]'), 20000);
    await click(a1, row(SECRET_NAME));
    await click(a1, labelled('Reveal value'));
    await hasText(a1, '[data-testid="secret-value"]', OFFLINE_VALUE_1);
    await click(a1, labelled('Hide value'));
  });

  await step('Lead removes Grace: the exposed-keys checklist lists what she could read; app 2 says the relay refused it, not "offline"', async () => {
    await openMembers(a1, team);
    await click(a1, `button${labelled('Remove Grace Hopper')}`);
    const confirm = dialog('Remove Grace Hopper?');
    await el(a1, confirm);
    await click(a1, button('Remove member', confirm));
    const done = dialog('Grace Hopper was removed');
    await el(a1, done, 20000);
    const exposed = (await innerTextOf(a1, `${done}//ul[@aria-label="Exposed secrets"]`)) ?? '';
    assert(exposed.includes(SECRET_NAME) && exposed.includes('SENTRY_DSN'), `the checklist lists both keys of ${vault}: ${exposed}`);
    assert(!exposed.includes(OFFLINE_VALUE_1) && !exposed.includes(SENTRY_VALUE), 'the checklist shows no value');
    await shot(a1, '30-removed-checklist');
    await click(a1, button('Done', done));
    await gone(a1, done);
    await hasText(a1, '//*[@role="row"][contains(normalize-space(.), "Grace Hopper")]', 'removed');
    // The relay refuses the removed device from now on; its app says so by itself.
    await hasText(a2, '[data-testid="sync-indicator"]', 'Sync refused', 40000);
    await hasText(a2, '//*[@role="alert"][contains(., "The relay refused to sync.")]', 'removed from the team');
    await shot(a2, '31-app2-removed');
  });

  await step('app 1: the activity timeline lists the signed story: vault created, admitted, granted, copied, removed', async () => {
    await openTeamPage(a1, team, 'Activity');
    const timeline = await hasText(a1, '//main[@id="main"]', 'removed', 15000);
    for (const phrase of ['created vault', 'admitted', 'granted', 'removed', 'copied']) {
      assert(timeline.includes(phrase), `the timeline says "${phrase}"`);
    }
    assert(timeline.includes('Grace Hopper') && timeline.includes(SECRET_NAME), 'the timeline names the member and the key');
    for (const v of [SECRET_VALUE, NEW_VALUE, OFFLINE_VALUE_1, OFFLINE_VALUE_2, SENTRY_VALUE]) assert(!timeline.includes(v), 'no value in the timeline');
    await shot(a1, '32-activity');
  });

  await step('app 1: "Needs attention" lists the two exposed keys and no security alerts; the open key no longer lists Grace', async () => {
    // Real `security_alerts`: hush status's alerts, with the relay's address table for this
    // team, which app 1 manages. Nothing is unusual in this story, so the empty state shows;
    // the keys Grace could read are exposed by her removal.
    await click(a1, '[data-testid="attention-filter"]');
    await el(a1, '[data-testid="alerts-empty"]', 15000);
    await hasText(a1, '[data-testid="security-alerts"]', 'No security alerts');
    assert((await ipcCommands(a1)).includes('security_alerts'), 'the alerts came through the IPC');
    await hasText(a1, '[data-testid="attention-filter"]', '2');
    for (const name of [SECRET_NAME, 'SENTRY_DSN']) await hasText(a1, row(name), 'Exposed');
    await click(a1, row(SECRET_NAME));
    await hasText(a1, '[data-testid="detail-name"]', SECRET_NAME);
    await hasText(a1, '//section[@aria-label="Secret details"]', 'Grace Hopper was removed from the team');
    const access = await hasText(a1, 'section[aria-labelledby="acc-h"]', 'Ada Lovelace');
    assert(!access.includes('Grace Hopper'), `"Who has access" no longer lists Grace: ${access}`);
    await shot(a1, '24-attention-exposed');
  });

  await step('app 1 locks itself after 1 minute without input (Settings: lock when idle for 1 min)', async () => {
    await click(a1, labelled('Settings'));
    const d = dialog('Settings');
    await el(a1, d);
    await fill(a1, '#st-lock', '1');
    await click(a1, button('Save', d));
    await gone(a1, d);
    const saved = JSON.parse(readFileSync(join(a1.home, 'desktop.json'), 'utf8'));
    assert(saved.autoLockMins === 1, `desktop.json has autoLockMins 1: ${JSON.stringify(saved)}`);
    // Nothing touches app 1 from here: the idle timer must run out by itself, while the sync
    // loop and the page's own reloads keep running.
    const quietFrom = Date.now();
    await hasText(a1, '//main', 'Locked after 1 min without activity.', 90000);
    const after = (Date.now() - quietFrom) / 1000;
    assert(after >= 55, `locked after ${after.toFixed(0)} s, not before the minute`);
    console.log(`      app 1 locked itself ${after.toFixed(0)} s after the last input`);
    const html = await pageHtml(a1);
    assert(!html.includes(SECRET_NAME) && !html.includes('SENTRY_DSN'), 'no secret names in the DOM after the idle lock');
    await shot(a1, '33-idle-locked');
  });

  await step('Settings → Backup: app 1 writes a backup file (age, no plaintext outside it), then restores it: locked, kept aside, unlocks with its password', async () => {
    await fill(a1, '#unlock-pw', PASSWORD_1);
    await a1.browser.keys('Enter');
    await el(a1, row(SECRET_NAME), 30000);
    const file = join(tmp, 'hush-backup.age');
    const passphrase = 'webkit backup passphrase 2b9c';
    await click(a1, labelled('Settings'));
    const d = dialog('Settings');
    await el(a1, d);
    await fill(a1, '#bk-path', file);
    await fill(a1, '#bk-pass', passphrase);
    await fill(a1, '#bk-confirm', passphrase);
    await click(a1, button('Make backup', d));
    await hasText(a1, `${d}//*[@role="status"]`, `in ${file}`, 60000);
    const bytes = readFileSync(file);
    assert(bytes.subarray(0, 22).toString() === 'age-encryption.org/v1\n', 'the backup is an age file');
    for (const v of [SECRET_VALUE, OFFLINE_VALUE_1, SENTRY_VALUE]) assert(!bytes.includes(v), 'no value in plaintext in the backup file');
    assert(!(await pageHtml(a1)).includes(passphrase), 'the passphrase fields were cleared');
    await shot(a1, '34-backup-written');

    // The restore form is below the fold of the dialog's scrolling body.
    await (await el(a1, '#rs-path')).scrollIntoView();
    await fill(a1, '#rs-path', file);
    await fill(a1, '#rs-pass', passphrase);
    await click(a1, `${d}//label[contains(normalize-space(.), "Replace the current store")]/input`);
    await click(a1, button('Restore backup', d));
    await hasText(a1, '//main', 'Backup restored.', 60000);
    const kept = readdirSync(a1.home).filter((n) => n.startsWith('hush.db.before-restore-'));
    assert(kept.length > 0, `the previous store was kept aside: ${readdirSync(a1.home).join(' ')}`);
    assert(!(await pageHtml(a1)).includes(SECRET_NAME), 'nothing decrypted in the DOM after the restore');
    await shot(a1, '35-backup-restored');
    await fill(a1, '#unlock-pw', PASSWORD_1);
    await a1.browser.keys('Enter');
    await el(a1, row(SECRET_NAME), 30000);
  });

  await step('closing both apps', async () => {
    await closeApp(a2);
    await closeApp(a1);
    apps = [];
  });

  for (const app of apps) await closeApp(app);
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
  if (failed > 0 && process.env.WEBKIT_KEEP_TMP !== '1') console.log('(WEBKIT_KEEP_TMP=1 keeps the homes, relay database and driver logs)');
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

// Exit explicitly: the relay's stdout pipe and driver handles would keep the event loop alive.
main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => process.exit(process.exitCode ?? 1));
