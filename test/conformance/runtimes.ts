/**
 * Starting Vigil's HTTP API on each runtime for tests, and running a case against it over HTTP.
 * workerd and Deno run the bundles of scripts/edge-build.mjs on 127.0.0.1; wrangler is not used
 * (its CLI needs Node ≥ 22.12).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRules } from '../../src/lang/parse.js';
import type { ConformanceCase } from './browser-harness.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOKEN = 'conformance-token';

export interface RunningServer {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

/** Bundles the edge entries into a fresh temporary directory. */
export function buildEdge(): { workerd: string; deno: string } {
  const out = mkdtempSync(join(tmpdir(), 'vigil-edge-'));
  execFileSync(process.execPath, [join(ROOT, 'scripts/edge-build.mjs'), '--out', out], { stdio: 'pipe' });
  return { workerd: join(out, 'workerd'), deno: join(out, 'deno') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const require = createRequire(import.meta.url);

export function workerdBinary(): string {
  const module = require('workerd') as string | { default: string };
  return typeof module === 'string' ? module : module.default;
}

export function denoBinary(): string {
  const direct = join(ROOT, 'node_modules/deno/deno');
  if (existsSync(direct)) return direct;
  const scoped = join(ROOT, 'node_modules/@deno');
  for (const dir of existsSync(scoped) ? readdirSync(scoped) : []) if (existsSync(join(scoped, dir, 'deno'))) return join(scoped, dir, 'deno');
  throw new Error('deno binary not found under node_modules');
}

export function envVars(options: ConformanceCase['engine'] = {}, extra: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = { VIGIL_TOKEN: TOKEN, ...extra };
  if (options.outOfOrderMs !== undefined) vars.VIGIL_OUT_OF_ORDER_MS = String(options.outOfOrderMs);
  if (options.allowedLatenessMs !== undefined) vars.VIGIL_ALLOWED_LATENESS_MS = String(options.allowedLatenessMs);
  return vars;
}

function track(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return () => output;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server at ${url} did not become healthy:\n${output()}`);
}

function stopper(child: ChildProcess): (signal?: NodeJS.Signals) => Promise<void> {
  return (signal = 'SIGTERM') =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
}

/** `workerd serve` on a free port; Durable Object storage on disk when `storage` is given. */
export async function startWorkerd(dir: string, vars: Record<string, string>, storage?: string): Promise<RunningServer> {
  const port = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'vigil-workerd-')), 'config.capnp');
  const args = [join(ROOT, 'scripts/edge-workerd.mjs'), '--dir', dir, '--port', String(port), '--write-config', config];
  if (storage) {
    mkdirSync(storage, { recursive: true });
    args.push('--storage', storage);
  }
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}=${value}`);
  execFileSync(process.execPath, args, { stdio: 'pipe' });
  const child = spawn(workerdBinary(), ['serve', config, '--experimental'], { cwd: dirname(config), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, output);
  return { url, stop: stopper(child), output };
}

/** The Deno bundle on a port Deno picks (PORT=0), with Deno KV in `kvPath`. */
export async function startDeno(dir: string, vars: Record<string, string>, kvPath: string): Promise<RunningServer> {
  const child = spawn(denoBinary(), ['run', '--unstable-kv', '--allow-net', '--allow-read', '--allow-write', '--allow-env', join(dir, 'main.js')], {
    cwd: dir,
    env: { ...process.env, ...vars, PORT: '0', HOSTNAME: '127.0.0.1', VIGIL_KV_PATH: kvPath, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = track(child);
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!url) {
    const match = /vigil listening on (http:\/\/[\d.]+:\d+)/.exec(output());
    if (match) url = match[1];
    else if (child.exitCode !== null) throw new Error(`deno exited (${child.exitCode}):\n${output()}`);
    else if (Date.now() > deadline) throw new Error(`deno did not start:\n${output()}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  await waitHealthy(url, child, output);
  return { url, stop: stopper(child), output };
}

export type Fetcher = (request: Request) => Promise<Response>;

export const networkFetch: Fetcher = (request) => fetch(request);

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/** Applies a case's IOC lists and rules through the API (one PUT per rule, in file order). */
export async function setUpCase(base: string, testCase: ConformanceCase, send: Fetcher = networkFetch): Promise<void> {
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const [name, entries] of Object.entries(testCase.iocs)) {
    await expectOk(await send(new Request(`${base}/iocs/${name}`, { method: 'PUT', headers: auth, body: entries.join('\n') })), `PUT /iocs/${name}`);
  }
  const { rules, diagnostics } = parseRules(testCase.rules, 'rules.vgl');
  if (diagnostics.some((d) => d.severity === 'error')) throw new Error(`${testCase.name}: rules.vgl does not parse`);
  for (const rule of rules) {
    await expectOk(
      await send(new Request(`${base}/rules/${encodeURIComponent(rule.name)}`, { method: 'PUT', headers: auth, body: rule.text })),
      `PUT /rules/${rule.name}`,
    );
  }
}

export async function postEvents(base: string, lines: string[], send: Fetcher = networkFetch): Promise<{ accepted: number; rejected: unknown[] }> {
  const response = await expectOk(
    await send(new Request(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' })),
    'POST /events',
  );
  return (await response.json()) as { accepted: number; rejected: unknown[] };
}

export async function flush(base: string, send: Fetcher = networkFetch): Promise<void> {
  await expectOk(await send(new Request(`${base}/flush`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })), 'POST /flush');
}

/** Every alert from the start, following the cursor until a page comes back empty. */
export async function readAlerts(base: string, send: Fetcher = networkFetch): Promise<string[]> {
  const alerts: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: '500' });
    if (cursor !== undefined) query.set('since', cursor);
    const response = await expectOk(await send(new Request(`${base}/alerts?${query}`)), 'GET /alerts');
    const lines = (await response.text()).split('\n').filter(Boolean);
    cursor = response.headers.get('vigil-cursor') ?? undefined;
    if (!lines.length) return alerts;
    alerts.push(...lines);
  }
}

/** The whole case over HTTP: set up, events in `batches` requests, flush, read every alert. */
export async function runCaseOverHttp(base: string, testCase: ConformanceCase & { eventLines: string[] }, send: Fetcher = networkFetch, batches = 3): Promise<string[]> {
  await setUpCase(base, testCase, send);
  const size = Math.ceil(testCase.eventLines.length / batches);
  for (let i = 0; i < testCase.eventLines.length; i += size) {
    const result = await postEvents(base, testCase.eventLines.slice(i, i + size), send);
    if (result.rejected.length) throw new Error(`${testCase.name}: events rejected: ${JSON.stringify(result.rejected)}`);
  }
  await flush(base, send);
  return readAlerts(base, send);
}
