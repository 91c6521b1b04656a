/**
 * One import for every runtime: a project that depends on Vigil writes
 * `import { createEngine } from 'vigil-engine'`, and the package's export conditions pick the entry that
 * loads both WebAssembly modules the way the runtime allows. Each runtime runs the same rule on the
 * same events, for real: Node, Deno (the `deno` binary), workerd (the Worker bundled by esbuild
 * with the `workerd` condition, as wrangler does), and Chromium in a module Web Worker.
 */
import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoBinary, freePort, ROOT, workerdBinary } from '../conformance/runtimes.js';

const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/** The program every runtime runs; it returns what it saw as JSON. */
const PROGRAM = `
import { createEngine } from 'vigil-engine';
export async function run() {
  const engine = await createEngine({ outOfOrderMs: 0 });
  const alerts = [];
  engine.onAlert((a) => alerts.push(a));
  const applied = engine.putRules(\`RULE "big transfer"
SOURCES kind = "flow"
FILTER function (e) { return e.bytes > 1000; }
SINK function (e) { return { host: e.host, bytes: e.bytes }; }

RULE "looping"
SOURCES kind = "flow"
FILTER function (e) { let i = 0; while (e.host == "loop") i++; return true; }
SINK function (e) { return { host: e.host }; }
\`);
  engine.iocs.create('bad', { capacity: 1024 });
  engine.iocs.add('bad', ['10.0.0.9']);
  engine.push([{ kind: 'flow', host: 'a', bytes: 10 }, { kind: 'flow', host: 'b', bytes: 5000 }]);
  const inList = engine.iocs.get('bad').hasMany(['10.0.0.9', '10.0.0.1']);
  engine.push([{ kind: 'flow', host: 'loop', bytes: 1 }]);
  const looping = engine.rules().find((r) => r.name === 'looping');
  return JSON.stringify({ ok: applied.ok, alerts: alerts.filter((a) => a.rule === 'big transfer'), inList: [...inList], looping: looping.state });
}
`;
const EXPECTED = { ok: true, alerts: [{ rule: 'big transfer', host: 'b', bytes: 5000 }], inList: [1, 0], looping: 'deactivated' };

let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'vigil-consumer-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules/vigil-engine'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', dependencies: { 'vigil-engine': '*' } }));
  writeFileSync(join(project, 'program.js'), PROGRAM);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('package exports', () => {
  it('lists the conditions in the order that makes the first match right', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'workerd', 'deno', 'worker', 'browser', 'node', 'default']);
    for (const target of Object.values(pkg.exports['.']) as string[]) expect(existsSync(join(ROOT, target)), target).toBe(true);
  });

  it('Node picks the node entry and runs the engine', () => {
    writeFileSync(join(project, 'node-main.js'), `import { run } from './program.js';\nconsole.log(import.meta.resolve('vigil-engine'));\nconsole.log(await run());\n`);
    const [resolved, output] = execFileSync(process.execPath, ['node-main.js'], { cwd: project, encoding: 'utf8' }).trim().split('\n');
    expect(resolved).toMatch(/\/dist\/node\.js$/);
    expect(JSON.parse(output!)).toEqual(EXPECTED);
  });

  it('Deno picks the deno entry, which reads both .wasm files from the package', () => {
    writeFileSync(join(project, 'deno-main.js'), `import { run } from './program.js';\nconsole.log(import.meta.resolve('vigil-engine'));\nconsole.log(await run());\n`);
    const [resolved, output] = execFileSync(denoBinary(), ['run', '--allow-read', '--allow-env', 'deno-main.js'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    })
      .trim()
      .split('\n');
    expect(resolved).toMatch(/\/dist\/entries\/deno\.js$/);
    expect(JSON.parse(output!)).toEqual(EXPECTED);
  });

  it('workerd picks the workerd entry: the .wasm files are imported as modules, nothing is compiled at run time', async () => {
    writeFileSync(join(project, 'worker.js'), `import { run } from './program.js';\nexport default { async fetch() { return new Response(await run()); } };\n`);
    const out = join(project, 'workerd');
    const result = await build({
      entryPoints: { worker: join(project, 'worker.js') },
      outdir: out,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['workerd', 'worker', 'browser', 'import'],
      loader: { '.wasm': 'copy' },
      assetNames: '[name]',
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).some((f) => f.endsWith('dist/entries/workerd.js'))).toBe(true);
    const port = await freePort();
    writeFileSync(
      join(out, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  compatibilityDate = "2025-09-01",
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "emscripten-module.wasm", wasm = embed "emscripten-module.wasm"),
    (name = "vigil.wasm", wasm = embed "vigil.wasm"),
  ],
);
`,
    );
    const child = spawn(workerdBinary(), ['serve', 'config.capnp'], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    try {
      let body: string | undefined;
      for (let i = 0; i < 200 && body === undefined; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => undefined);
        if (body === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(body, log).toBeDefined();
      expect(JSON.parse(body!), log).toEqual(EXPECTED);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it.skipIf(!existsSync(CHROMIUM))('a Web Worker picks the worker entry, which fetches both .wasm files by URL', async () => {
    writeFileSync(join(project, 'web-worker.js'), `import { run } from './program.js';\nrun().then((r) => postMessage(r), (e) => postMessage(JSON.stringify({ error: String(e) })));\n`);
    const out = join(project, 'web');
    const result = await build({
      entryPoints: { worker: join(project, 'web-worker.js') },
      outdir: out,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['worker', 'browser', 'import'],
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).some((f) => f.endsWith('dist/entries/browser.js'))).toBe(true);
    // esbuild does not copy `new URL(…, import.meta.url)` assets (Vite does): put them where those URLs point.
    copyFileSync(join(ROOT, 'node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm'), join(out, 'emscripten-module.wasm'));
    mkdirSync(join(project, 'build'), { recursive: true });
    copyFileSync(join(ROOT, 'build/vigil.wasm'), join(project, 'build/vigil.wasm'));
    const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
    const server = createServer((req, res) => {
      if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>consumer</title>');
      const file = join(project, decodeURIComponent(req.url ?? ''));
      if (!file.startsWith(project) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      const output = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const worker = new Worker('/web/worker.js', { type: 'module' });
            worker.onmessage = (e) => resolve(e.data as string);
            worker.onerror = (e) => resolve(JSON.stringify({ error: e.message }));
          }),
      );
      expect(JSON.parse(output)).toEqual(EXPECTED);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
