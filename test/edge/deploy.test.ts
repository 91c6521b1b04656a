/**
 * Deploys as users deploy them, each served for real and checked against a conformance case's
 * expected alerts (generated from the Node engine, not from the server under test):
 *
 * - the repository's wrangler.toml, bundled by `wrangler deploy --dry-run` (wrangler's own rules,
 *   no extra config), that exact bundle on workerd with wrangler.toml's [vars] (4 partitions);
 * - a user's project made from `npm pack` of this package, with the files the README's edge section
 *   tells a user to write: a one-line Worker
 *   (`export { default, VigilPartition } from 'vigil-engine/server/cloudflare'`) with a plain
 *   wrangler.toml, bundled and served the same way, and served by `wrangler dev`; `deno serve` of
 *   `export { default } from 'vigil-engine/server/deno'`; and `npx vigil serve`.
 *
 * wrangler runs as scripts/wrangler-workerd.mjs runs it (npx on Node ≥ 22.12, else
 * `deno run -A npm:wrangler@4`, from Deno's cache or the npm registry).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { readWranglerVars, readWranglerWorker, workerdConfigForBundle, wranglerCommand, wranglerDryRun } from '../../scripts/wrangler-workerd.mjs';
import { loadCase } from '../conformance/cases.js';
import { denoBinary, freePort, ROOT, runCaseOverHttp, TOKEN, workerdBinary } from '../conformance/runtimes.js';

const testCase = loadCase('alert-reentry');
/** Partitions merge their alerts object by object: compare as multisets. */
const sorted = (lines: readonly string[] | undefined) => (lines ?? []).map((l) => JSON.stringify(JSON.parse(l))).sort();

const children: ChildProcess[] = [];
let work: string;
let project: string;

afterAll(async () => {
  await Promise.all(children.map((child) => stop(child)));
  if (work) rmSync(work, { recursive: true, force: true });
});

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    // Each server is the leader of its own process group (npx runs vigil as a grandchild).
    process.kill(-child.pid!, 'SIGTERM');
  });
}

/** Starts a server and waits for its output to name its URL (`pattern`'s first group) and for /health. */
async function startServer(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; startMs?: number },
  where: RegExp | string,
): Promise<{ url: string; output: () => string }> {
  const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const deadline = Date.now() + (options.startMs ?? 20_000);
  for (;;) {
    const found = typeof where === 'string' ? where : where.exec(text)?.[1];
    if (found) {
      const url = found.replace('0.0.0.0', '127.0.0.1').replace(/\/$/, '');
      try {
        if ((await fetch(`${url}/health`)).ok) return { url, output: () => text };
      } catch {
        // not answering yet
      }
    }
    if (child.exitCode !== null) throw new Error(`${file} ${args.join(' ')} exited (${child.exitCode}):\n${text}`);
    if (Date.now() > deadline) throw new Error(`${file} ${args.join(' ')} did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The bundle in `out` on workerd, with `vars` and the Durable Object wrangler.toml declares. */
async function serveBundle(out: string, toml: string, vars: Record<string, string>): Promise<string> {
  const port = await freePort();
  const configFile = join(out, 'workerd.capnp');
  writeFileSync(configFile, workerdConfigForBundle({ dir: out, port, vars, configFile, ...readWranglerWorker(toml) }));
  const { url } = await startServer(workerdBinary(), ['serve', configFile, '--experimental'], { cwd: out }, `http://127.0.0.1:${port}`);
  return url;
}

/** The alerts of the case through the API, and a management request without the token refused. */
async function checkDeployment(url: string): Promise<void> {
  const refused = await fetch(`${url}/rules/x`, { method: 'PUT', body: 'RULE "x"\nSOURCES kind = "a"\nSINK function (e) { return e; }' });
  expect(refused.status).toBe(401);
  const alerts = await runCaseOverHttp(url, testCase);
  expect(alerts.length).toBeGreaterThan(0);
  expect(sorted(alerts)).toEqual(sorted(testCase.expected));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
  // The package as it would be published (dist/ built by `npm run build`; --ignore-scripts: no rebuild).
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, stdio: 'pipe' });
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  project = join(work, 'user');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-vigil', private: true, type: 'module', dependencies: { 'vigil-engine': `file:${tarball}` } }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, stdio: 'pipe' });
  writeFileSync(join(project, 'src/index.js'), "export { default, VigilPartition } from 'vigil-engine/server/cloudflare';\n");
  writeFileSync(
    join(project, 'wrangler.toml'),
    `name = "my-vigil"
main = "src/index.js"
compatibility_date = "2025-09-01"

[vars]
VIGIL_PARTITIONS = "3"
VIGIL_PARTITION_FIELD = "sourceAddress"

[[durable_objects.bindings]]
name = "VIGIL_PARTITION"
class_name = "VigilPartition"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["VigilPartition"]
`,
  );
  writeFileSync(join(project, 'main.ts'), "export { default } from 'vigil-engine/server/deno';\n");
}, 60_000);

describe('deploying with wrangler, serving the bundle with workerd', () => {
  it("the repository's wrangler.toml bundles under wrangler's rules and serves the case on 4 partitions", async () => {
    const out = join(work, 'repo-bundle');
    const log = wranglerDryRun(ROOT, out) as string;
    expect(log).toContain('--dry-run: exiting now.');
    const vars = readWranglerVars(join(ROOT, 'wrangler.toml')) as Record<string, string>;
    expect(vars.VIGIL_PARTITIONS).toBe('4');
    const url = await serveBundle(out, join(ROOT, 'wrangler.toml'), { ...vars, VIGIL_TOKEN: TOKEN });
    await checkDeployment(url);
    const metrics = (await (await fetch(`${url}/metrics`)).json()) as { partitions: number };
    expect(metrics.partitions).toBe(4);
  }, 60_000);

  it("a user's Worker importing the packed package bundles under wrangler's default rules and serves the case", async () => {
    const out = join(project, 'dist');
    wranglerDryRun(project, out);
    // Both modules arrive as .wasm files beside the Worker (CompiledWasm), none inlined or fetched.
    expect(readdirSync(out).filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/^[0-9a-f]+-/, '')).sort()).toEqual(['emscripten-module.wasm', 'vigil.wasm']);
    const url = await serveBundle(out, join(project, 'wrangler.toml'), { ...(readWranglerVars(join(project, 'wrangler.toml')) as Record<string, string>), VIGIL_TOKEN: TOKEN });
    await checkDeployment(url);
  }, 60_000);

  it("`wrangler dev --var VIGIL_TOKEN:…` serves the user's project with local Durable Objects", async () => {
    const { file, args } = wranglerCommand() as { file: string; args: string[] };
    const port = await freePort();
    const { url } = await startServer(
      file,
      [...args, 'dev', '--port', String(port), '--ip', '127.0.0.1', '--var', `VIGIL_TOKEN:${TOKEN}`, '--persist-to', join(work, 'wrangler-dev-state')],
      { cwd: project, env: { WRANGLER_SEND_METRICS: 'false', CI: '1' }, startMs: 120_000 },
      /Ready on (http:\/\/[\w.]+:\d+)/,
    );
    await checkDeployment(url);
    const metrics = (await (await fetch(`${url}/metrics`)).json()) as { partitions: number };
    expect(metrics.partitions).toBe(3); // the project's wrangler.toml [vars]
  }, 180_000);
});

describe('serving from the installed package', () => {
  it('`vigil serve` refuses a bad port or a bad VIGIL_* setting with exit 2 and says which', () => {
    const vigil = join(project, 'node_modules/.bin/vigil');
    const badPort = spawnSync(vigil, ['serve', '--port', 'eighty'], { cwd: project, encoding: 'utf8' });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain("--port takes a port number (0 to 65535), got 'eighty'");
    const badEnv = spawnSync(vigil, ['serve', '--port', '0'], { cwd: project, encoding: 'utf8', env: { ...process.env, VIGIL_PARTITIONS: 'many' } });
    expect(badEnv.status).toBe(2);
    expect(badEnv.stderr).toContain('VIGIL_PARTITIONS=many is not an integer ≥ 1');
  });

  it('`deno serve` of vigil-engine/server/deno', async () => {
    const { url } = await startServer(
      denoBinary(),
      ['serve', '--unstable-kv', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--port', '0', 'main.ts'],
      { cwd: project, env: { VIGIL_TOKEN: TOKEN, VIGIL_KV_PATH: join(work, 'deno-kv.db') } },
      /Listening on (http:\/\/[\d.]+:\d+)/,
    );
    await checkDeployment(url);
  });

  it('`npx vigil serve` (tokens from the environment, state in --state-dir)', async () => {
    const { url } = await startServer('npx', ['--no-install', 'vigil', 'serve', '--port', '0', '--state-dir', join(work, 'node-state')], { cwd: project, env: { VIGIL_TOKEN: TOKEN } }, /vigil listening on (http:\/\/[\d.]+:\d+)/);
    await checkDeployment(url);
    expect(readdirSync(join(work, 'node-state')).length).toBeGreaterThan(0);
  });
});
