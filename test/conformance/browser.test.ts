/**
 * The 4th runtime: the conformance cases in Chromium, in a module Web Worker (playwright-core
 * driving /usr/bin/chromium). Skipped when Chromium is not installed.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseOutcome } from './browser-harness.js';
import { loadCases } from './cases.js';
import { ROOT } from './runtimes.js';

const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

describe.skipIf(!existsSync(CHROMIUM))('conformance in Chromium (Web Worker)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-browser-'));
    await build({
      entryPoints: { worker: join(ROOT, 'test/conformance/browser-worker.ts') },
      outdir: dir,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['worker', 'browser', 'import'],
      logLevel: 'warning',
    });
    copyFileSync(join(ROOT, 'node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm'), join(dir, 'emscripten-module.wasm'));
    copyFileSync(join(ROOT, 'build/vigil.wasm'), join(dir, 'vigil.wasm'));
    server = createServer((req, res) => {
      const file = join(dir, (req.url ?? '/') === '/' ? 'index.html' : req.url!.slice(1));
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>vigil conformance</title>');
        return;
      }
      if (!existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('gives the expected alerts for every case', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      const cases = loadCases().map(({ eventLines: _, ...c }) => c);
      const result = (await page.evaluate(
        (cases) =>
          new Promise((resolve) => {
            const worker = new Worker('/worker.js', { type: 'module' });
            worker.onmessage = (e) => resolve(e.data);
            worker.onerror = (e) => resolve({ error: e.message });
            worker.postMessage({ cases });
          }),
        cases,
      )) as { outcomes?: CaseOutcome[]; error?: string };
      expect(result.error).toBeUndefined();
      const failed = result.outcomes!.filter((o) => !o.ok);
      expect(failed).toEqual([]);
      expect(result.outcomes!.map((o) => o.name)).toEqual(cases.map((c) => c.name));
    } finally {
      await browser.close();
    }
  });
});
