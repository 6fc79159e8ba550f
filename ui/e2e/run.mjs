#!/usr/bin/env node
// End-to-end runner: builds the UI (skip with E2E_SKIP_BUILD=1), bundles the fake backend, serves `dist/` with
// `vite preview` on a free port, runs every spec in headless Chromium, and always kills the
// preview server's process group. Exits non-zero on any failure.
//
//   npm run e2e               all specs
//   npm run e2e -- engineer   only specs whose file name contains "engineer"
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

register();

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** @param {string} url @param {number} timeoutMs */
async function waitForHttp(url, timeoutMs) {
  const start = Date.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`preview server did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bundleFake() {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      target: 'es2021',
      lib: { entry: join(here, 'fake-entry.ts'), formats: ['iife'], name: 'HushFake', fileName: 'fake' },
    },
  });
  const results = Array.isArray(out) ? out : [out];
  for (const r of results) {
    if ('output' in r) {
      const chunk = r.output.find((o) => o.type === 'chunk');
      if (chunk && chunk.type === 'chunk') return chunk.code;
    }
  }
  throw new Error('could not bundle e2e/fake-entry.ts');
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (process.env.E2E_SKIP_BUILD !== '1' || !existsSync(join(root, 'dist', 'index.html'))) {
    const b = spawnSync(process.execPath, [viteBin, 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('vite build failed');
  }
  const fakeBundle = await bundleFake();
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}/`;
  const preview = spawn(process.execPath, [viteBin, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killPreview = () => {
    try {
      if (preview.pid) process.kill(-preview.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', killPreview);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));

  let failed = 0;
  let passed = 0;
  let browser;
  try {
    await waitForHttp(baseURL, 15000);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const harness = await import(pathToFileURL(join(here, 'harness.ts')).href);
    const filter = process.argv[2];
    const specDir = join(here, 'specs');
    const files = readdirSync(specDir)
      .filter((f) => f.endsWith('.spec.ts') && (!filter || f.includes(filter)))
      .sort();
    for (const f of files) {
      harness.setCurrentFile(f);
      await import(pathToFileURL(join(specDir, f)).href);
    }
    for (const { file, name, fn } of harness.registry) {
      /** @type {string[]} */
      const failures = [];
      const t = await harness.makeT({ browser, baseURL, fakeBundle }, failures);
      const started = Date.now();
      try {
        await fn(t);
        if (failures.length > 0) throw new Error(failures.join('\n'));
        passed++;
        console.log(`  ✓ ${file} › ${name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${file} › ${name}\n      ${String(e instanceof Error ? e.stack ?? e.message : e).split('\n').join('\n      ')}`);
        try {
          await t.page.screenshot({ path: join(root, 'test-results', `FAILED-${file}-${name.replace(/\W+/g, '_')}.png`) });
        } catch {
          // page may be gone
        }
      } finally {
        await t.close();
      }
    }
  } finally {
    await browser?.close();
    killPreview();
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
