#!/usr/bin/env node
// Desktop benchmark, run by bench/desktop.sh (which builds the binaries and the data first):
// the release hush-desktop with a 10k-secret store, driven by tauri-driver → WebKitWebDriver
// under Xvfb, against KeePassXC with the same 10k entries under the same Xvfb.
//
//   (a) cold start to the unlocked list: from the app process's start (/proc) until the unlock
//       screen is shown (WebDriver polls), plus — measured inside the page with performance.now()
//       — from submitting the password until the list and the sidebar's 10k count are rendered;
//   (b) PSS of the app and all its child processes (WebKit's web and network processes), summed
//       from /proc/PID/smaps_rollup, with the list shown;
//   (c) search-as-you-type latency at 10k: in the page, from setting the search box's value
//       (an `input` event, as typing does) until the expected row is first in the list and a
//       frame has been painted; median of the timed queries.
//   KeePassXC: from spawning `keepassxc --pw-stdin DB` until a window titled with the database
//   name (open, not locked) is mapped (xdotool polls), and its PSS the same way.
//
// Input (environment): HUSH_DESKTOP_BIN, BENCH_HOME (seeded HUSH_HOME), BENCH_PASSWORD,
// BENCH_SECRETS (the expected count), BENCH_QUERIES (a JSON file: [{ q, expect }]), KPXC_DB,
// KPXC_PASSWORD, KPXC_TITLE (the database name in the window title), BENCH_RUNS (default 3),
// BENCH_OUT (the JSON results), BENCH_SHOTS (a directory for screenshots), TAURI_DRIVER.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

if (!process.env.DISPLAY) {
  console.error('bench.mjs needs an X display (bench/desktop.sh runs it under xvfb-run)');
  process.exit(2);
}
const { remote } = await import('webdriverio');

const need = (k) => {
  const v = process.env[k];
  if (!v) {
    console.error(`bench.mjs: ${k} is not set (bench/desktop.sh sets it)`);
    process.exit(2);
  }
  return v;
};
const APP = resolve(need('HUSH_DESKTOP_BIN'));
const HOME = resolve(need('BENCH_HOME'));
const PASSWORD = need('BENCH_PASSWORD');
const SECRETS = Number(need('BENCH_SECRETS'));
const QUERIES = JSON.parse(readFileSync(need('BENCH_QUERIES'), 'utf8'));
const KPXC_DB = resolve(need('KPXC_DB'));
const KPXC_PASSWORD = need('KPXC_PASSWORD');
const KPXC_TITLE = need('KPXC_TITLE');
const RUNS = Number(process.env.BENCH_RUNS ?? '3');
const OUT = resolve(need('BENCH_OUT'));
const SHOTS = resolve(need('BENCH_SHOTS'));
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? (existsSync(join(homedir(), '.cargo', 'bin', 'tauri-driver')) ? join(homedir(), '.cargo', 'bin', 'tauri-driver') : 'tauri-driver');
const WARMUP_QUERIES = 3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function until(fn, what, timeout, interval = 20) {
  const start = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() - start > timeout) throw new Error(`timed out after ${timeout} ms: ${what}`);
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

// ---- /proc ------------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** { pid, ppid, comm, startTicks } of every process. */
function processes() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // comm is in parentheses and may contain spaces; the fields after it are space-separated.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.push({ pid: Number(d), ppid: Number(f[1]), comm, startTicks: Number(f[19]) });
    } catch {
      // gone
    }
  }
  return out;
}

/** `root` and all its descendants. */
function tree(root) {
  const all = processes();
  const ids = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!ids.has(p.pid) && ids.has(p.ppid)) {
        ids.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => ids.has(p.pid));
}

/** Summed PSS (KiB) of `root`'s process tree, with each process's share. */
function pssTree(root) {
  const parts = [];
  for (const p of tree(root)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
      if (m) parts.push({ pid: p.pid, comm: p.comm, kb: Number(m[1]) });
    } catch {
      // gone
    }
  }
  return { kb: parts.reduce((n, p) => n + p.kb, 0), parts };
}

/** Epoch ms at which a process started (10 ms resolution), from /proc/uptime and its stat. */
function startedAtMs(pid) {
  const now = Date.now();
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const p = processes().find((x) => x.pid === pid);
  if (!p) throw new Error(`process ${pid} is gone`);
  return now - (uptime - p.startTicks / CLK_TCK) * 1000;
}

function screenshot(name) {
  try {
    execFileSync('import', ['-window', 'root', join(SHOTS, `${name}.png`)], { stdio: 'ignore', timeout: 10000 });
  } catch {
    // ImageMagick missing: no screenshot
  }
}

// ---- Hush -------------------------------------------------------------------------------------

const processesToKill = [];
function killGroup(child) {
  try {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
process.on('exit', () => processesToKill.forEach(killGroup));

// Runs inside the page: submits the password as the unlock form does, then resolves with the
// milliseconds (performance.now) until the list has rows and the sidebar counts every secret.
const UNLOCK_AND_WAIT = `
  const [password, total, done] = arguments;
  // Record each IPC call's time as the page sees it (Tauri v2 on Linux invokes commands with
  // fetch('ipc://localhost/<cmd>')); calls wait for each other on the session's lock.
  window.__benchIpc = [];
  const orig = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : String(input && input.url);
    const p = orig(input, init);
    if (url.indexOf('ipc:') === 0 || url.indexOf('ipc.localhost') !== -1) {
      const cmd = decodeURIComponent(url.replace(/^.*\\//, '').split('?')[0]);
      const s = performance.now();
      p.then(() => window.__benchIpc.push({ cmd, start: s, ms: performance.now() - s }), () => {});
    }
    return p;
  };
  const input = document.querySelector('#unlock-pw');
  const t0 = performance.now();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  setter.call(input, password);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.form.requestSubmit();
  const ready = () => {
    const rows = document.querySelectorAll('[data-testid="secret-row"]').length;
    const all = document.querySelector('nav[aria-label="Teams and vaults"] .item .count');
    return rows > 0 && all !== null && all.textContent.trim() === String(total);
  };
  const finish = () =>
    requestAnimationFrame(() => {
      const ms = performance.now() - t0;
      const ipc = {};
      for (const e of window.__benchIpc) if (!(e.cmd in ipc)) ipc[e.cmd] = Math.round(e.ms);
      window.fetch = orig;
      done({ ms, rows: document.querySelectorAll('[data-testid="secret-row"]').length, ipc });
    });
  if (ready()) return finish();
  const obs = new MutationObserver(() => {
    if (ready()) {
      obs.disconnect();
      finish();
    }
  });
  obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  setTimeout(() => { obs.disconnect(); done({ ms: -1, rows: document.querySelectorAll('[data-testid="secret-row"]').length }); }, 60000);
`;

// Runs inside the page: types each query into the search box (one input event with the whole
// query, as a paste would) and waits until the expected row is first, then one frame.
const SEARCH = `
  const [queries, done] = arguments;
  const input = document.querySelector('input[aria-label="Search secrets"]');
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const first = () => document.querySelector('#secret-listbox [data-testid="secret-row"] .name')?.textContent?.trim() ?? null;
  // Time each search_secrets call as the page sees it (core search + JSON both ways), to split
  // the latency into the IPC answer and the rendering after it.
  const calls = [];
  const orig = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : String(input && input.url);
    const p = orig(input, init);
    if (url.indexOf('search_secrets') !== -1) {
      const s = performance.now();
      p.then(() => calls.push({ start: s, end: performance.now() }), () => {});
    }
    return p;
  };
  const out = [];
  const one = (i) => {
    if (i === queries.length) {
      window.fetch = orig;
      return done(out);
    }
    const { q, expect } = queries[i];
    const t0 = performance.now();
    let timer;
    const check = () => {
      if (first() !== expect) return false;
      obs.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => {
        const mine = calls.filter((c) => c.start >= t0);
        const last = mine[mine.length - 1];
        out.push({
          q,
          ms: performance.now() - t0,
          ipcMs: last ? last.end - last.start : -1,
          answeredMs: last ? last.end - t0 : -1,
          rows: document.querySelectorAll('[data-testid="secret-row"]').length,
        });
        setTimeout(() => one(i + 1), 150);
      });
      return true;
    };
    const obs = new MutationObserver(check);
    obs.observe(document.querySelector('#secret-listbox'), { childList: true, subtree: true, characterData: true });
    timer = setTimeout(() => {
      obs.disconnect();
      out.push({ q, ms: -1, first: first() });
      one(i + 1);
    }, 10000);
    setter.call(input, q);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  one(0);
`;

async function hushRun(run, withSearch) {
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), 'hush-bench-driver-'));
  const fd = openSync(join(tmp, 'driver.log'), 'a');
  const driver = spawn(TAURI_DRIVER, ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, HUSH_HOME: HOME, RUST_LOG: 'warn' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  processesToKill.push(driver);
  await until(() => portOpen(port), 'tauri-driver listening', 15000, 50);
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'error',
    connectionRetryCount: 1,
    capabilities: { browserName: 'wry', 'tauri:options': { application: APP }, 'wdio:enforceWebDriverClassic': true },
  });
  const result = { run };
  try {
    await browser.setTimeout({ script: 180000 });
    const app = await until(async () => tree(driver.pid).find((p) => p.comm.startsWith('hush-desktop')), 'the hush-desktop process', 15000);
    const started = startedAtMs(app.pid);
    await until(() => browser.execute(() => document.querySelector('#unlock-pw') !== null), 'the unlock screen', 30000, 10);
    result.toUnlockScreenMs = Date.now() - started;
    const unlocked = await browser.executeAsync(UNLOCK_AND_WAIT, PASSWORD, SECRETS);
    if (unlocked.ms < 0) throw new Error(`the list did not show ${SECRETS} secrets within 60 s`);
    result.unlockToListMs = unlocked.ms;
    result.rowsRendered = unlocked.rows;
    result.ipcMs = unlocked.ipc;
    result.coldStartMs = result.toUnlockScreenMs + result.unlockToListMs;
    // Let the background sync, the agent socket and WebKit settle before measuring memory.
    await sleep(3000);
    const pss = pssTree(app.pid);
    result.pssKb = pss.kb;
    result.pssParts = pss.parts;
    if (run === 1) screenshot('hush-10k-list');
    if (withSearch) {
      const timed = await browser.executeAsync(SEARCH, QUERIES);
      const failed = timed.filter((t) => t.ms < 0);
      if (failed.length > 0) throw new Error(`search did not show the expected first row for ${JSON.stringify(failed)}`);
      result.search = timed.slice(WARMUP_QUERIES);
      result.searchMedianMs = median(result.search.map((t) => t.ms));
      result.searchMaxMs = Math.max(...result.search.map((t) => t.ms));
      result.searchIpcMedianMs = median(result.search.map((t) => t.ipcMs));
      result.searchAnsweredMedianMs = median(result.search.map((t) => t.answeredMs));
      result.pssAfterSearchKb = pssTree(app.pid).kb;
      screenshot('hush-10k-search');
    }
  } finally {
    try {
      await browser.deleteSession();
    } catch {
      // gone
    }
    killGroup(driver);
    await sleep(500);
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

// ---- KeePassXC ----------------------------------------------------------------------------------

function windowNames() {
  const r = spawnSync('xdotool', ['search', '--onlyvisible', '--name', KPXC_TITLE], { encoding: 'utf8', timeout: 5000 });
  const ids = (r.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
  return ids.map((id) => spawnSync('xdotool', ['getwindowname', id], { encoding: 'utf8', timeout: 5000 }).stdout?.trim() ?? '');
}

async function keepassRun(run) {
  const tmp = mkdtempSync(join(tmpdir(), 'hush-bench-kpxc-'));
  const config = join(tmp, 'config', 'keepassxc');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(tmp, 'runtime'), { recursive: true, mode: 0o700 });
  // No first-start questions, no tray, no integrations: the window with the open database.
  writeFileSync(
    join(config, 'keepassxc.ini'),
    ['[General]', 'ConfigVersion=2', 'UpdateCheckMessageShown=true', 'RememberLastDatabases=false', '', '[GUI]', 'CheckForUpdates=false', 'ShowTrayIcon=false', 'MinimizeOnStartup=false', '', '[Browser]', 'Enabled=false', '', '[FdoSecrets]', 'Enabled=false', '', '[SSHAgent]', 'Enabled=false', ''].join('\n'),
  );
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(tmp, 'config'),
    XDG_CACHE_HOME: join(tmp, 'cache'),
    XDG_DATA_HOME: join(tmp, 'data'),
    XDG_RUNTIME_DIR: join(tmp, 'runtime'),
    TMPDIR: tmp,
  };
  const t0 = Date.now();
  const kp = spawn('keepassxc', ['--pw-stdin', KPXC_DB], { env, stdio: ['pipe', 'ignore', openSync(join(tmp, 'keepassxc.log'), 'a')], detached: true });
  processesToKill.push(kp);
  kp.stdin.end(`${KPXC_PASSWORD}\n`);
  const result = { run };
  try {
    const title = await until(
      async () => windowNames().find((n) => n.includes(KPXC_TITLE) && n.includes('KeePassXC') && !/locked/i.test(n)),
      `a KeePassXC window titled ${KPXC_TITLE}`,
      60000,
      20,
    );
    result.toWindowMs = Date.now() - t0;
    result.title = title;
    await sleep(3000);
    const pss = pssTree(kp.pid);
    result.pssKb = pss.kb;
    result.pssParts = pss.parts;
    if (run === 1) screenshot('keepassxc-10k');
  } finally {
    killGroup(kp);
    await sleep(500);
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

// ---- main -------------------------------------------------------------------------------------

mkdirSync(SHOTS, { recursive: true });
const hush = [];
const keepass = [];
for (let run = 1; run <= RUNS; run++) {
  // Alternate so that neither always runs on a page cache warmed by the other.
  const h = await hushRun(run, run === RUNS);
  console.log(`hush run ${run}: cold start ${h.coldStartMs.toFixed(0)} ms (unlock screen ${h.toUnlockScreenMs.toFixed(0)} + unlock to list ${h.unlockToListMs.toFixed(0)}; IPC ${JSON.stringify(h.ipcMs)}), PSS ${(h.pssKb / 1024).toFixed(1)} MiB ${h.pssParts.map((p) => `${p.comm} ${(p.kb / 1024).toFixed(1)}`).join(', ')}${h.searchMedianMs === undefined ? '' : `, search median ${h.searchMedianMs.toFixed(1)} ms (max ${h.searchMaxMs.toFixed(1)}; search_secrets answered after ${h.searchAnsweredMedianMs.toFixed(1)} ms, of which the call took ${h.searchIpcMedianMs.toFixed(1)})`}`);
  hush.push(h);
  const k = await keepassRun(run);
  console.log(`keepassxc run ${run}: window ${k.toWindowMs} ms ("${k.title}"), PSS ${(k.pssKb / 1024).toFixed(1)} MiB ${k.pssParts.map((p) => `${p.comm} ${(p.kb / 1024).toFixed(1)}`).join(', ')}`);
  keepass.push(k);
}
// The run with the median start, for its breakdown (medians of the parts need not add up).
const mid = [...hush].sort((a, b) => a.coldStartMs - b.coldStartMs)[(hush.length - 1) >> 1];
const summary = {
  runs: RUNS,
  secrets: SECRETS,
  hush: {
    coldStartMs: median(hush.map((h) => h.coldStartMs)),
    toUnlockScreenMs: mid?.toUnlockScreenMs,
    unlockToListMs: mid?.unlockToListMs,
    ipcMs: mid?.ipcMs,
    rowsRendered: hush[0]?.rowsRendered,
    pssKb: median(hush.map((h) => h.pssKb)),
    pssParts: hush[hush.length - 1]?.pssParts,
    searchMedianMs: hush[hush.length - 1]?.searchMedianMs,
    searchMaxMs: hush[hush.length - 1]?.searchMaxMs,
    searchIpcMedianMs: hush[hush.length - 1]?.searchIpcMedianMs,
    searchAnsweredMedianMs: hush[hush.length - 1]?.searchAnsweredMedianMs,
    searchQueries: hush[hush.length - 1]?.search?.length,
    pssAfterSearchKb: hush[hush.length - 1]?.pssAfterSearchKb,
  },
  keepassxc: {
    toWindowMs: median(keepass.map((k) => k.toWindowMs)),
    pssKb: median(keepass.map((k) => k.pssKb)),
    pssParts: keepass[keepass.length - 1]?.pssParts,
  },
  raw: { hush, keepass },
};
writeFileSync(OUT, JSON.stringify(summary, null, 2));
console.log(`results: ${OUT}`);
process.exit(0);
