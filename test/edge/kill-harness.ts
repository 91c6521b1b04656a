/**
 * Killing a server (SIGKILL) while a request is in flight, restarting it on the same storage, and
 * resending the batch with the same Idempotency-Key: shared by test/edge/exactly-once.test.ts (a
 * few kills per runtime) and bench/edge-exactly-once.mjs (20 per runtime). The final alerts are
 * compared with an uninterrupted run on the same runtime and with one engine in this process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { envVars, flush, readAlerts, ROOT, setUpCase, startDeno, startWorkerd, type RunningServer } from '../conformance/runtimes.js';
import type { ConformanceCase } from '../conformance/browser-harness.js';

export type Runtime = 'workerd' | 'deno' | 'node';
export const RUNTIMES: Runtime[] = ['workerd', 'deno', 'node'];

export interface Bundles {
  workerd: string;
  deno: string;
  node: string;
}

/**
 * Bundles test/edge/node-server-main.ts to build/edge-node-<pid>/server.mjs: two levels below the
 * package root, where src/wasm/load-node.ts looks for build/vigil.wasm, with the packages left to
 * node_modules.
 */
export async function buildNodeServer(): Promise<string> {
  const outfile = join(ROOT, 'build', `edge-node-${process.pid}`, 'server.mjs');
  await build({
    entryPoints: [join(ROOT, 'test/edge/node-server-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** The Node server bundle as a child process, its state in `stateDir`. */
export async function startNode(script: string, vars: Record<string, string>, stateDir: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...vars, PORT: '0', VIGIL_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node server did not start:\n${output}`)), 20_000);
    const look = () => {
      const match = /vigil listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node server exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** A function starting `runtime` on one storage (fresh, made here), the same each time it is called. */
export function launcher(runtime: Runtime, bundles: Bundles, extra: Record<string, string> = {}): () => Promise<RunningServer> {
  const storage = mkdtempSync(join(tmpdir(), `vigil-kill-${runtime}-`));
  const vars = envVars({}, extra);
  if (runtime === 'workerd') return () => startWorkerd(bundles.workerd, vars, storage);
  if (runtime === 'deno') return () => startDeno(bundles.deno, vars, join(storage, 'kv.sqlite'));
  return () => startNode(bundles.node, vars, storage);
}

export interface Answer {
  status: number;
  body: string;
  replayed: boolean;
}

export async function postBatch(url: string, lines: string[], key: string | undefined): Promise<Answer> {
  const response = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: lines.join('\n') + '\n',
  });
  return { status: response.status, body: await response.text(), replayed: response.headers.get('idempotent-replayed') === 'true' };
}

export interface RunReport {
  alerts: string[];
  /** Milliseconds per request (of the requests not killed). */
  latencies: number[];
  kills: number;
  /** Killed requests the client got no answer to. */
  unanswered: number;
  /** Answers `503 partial-ingest` (some partitions had applied the batch). */
  partial: number;
  /** Resends answered from a ledger (the batch had been applied before the kill). */
  replayed: number;
  /** Killed requests that had been answered 202 and whose resend answered differently. */
  answerMismatches: string[];
}

/**
 * Runs `testCase` in `batches` requests, each with its own key. For each index in `kills`, the
 * request is sent, the server SIGKILLed after that many milliseconds, restarted on the same
 * storage, and the batch sent again with the same key until it is answered 202 (a resend of an
 * answered batch too: it must answer the same). Then flush, and every alert read from the start.
 * Without a key prefix (how clients retried before keys), only unanswered batches are sent again.
 */
export async function runWithKills(
  launch: () => Promise<RunningServer>,
  testCase: ConformanceCase,
  batches: string[][],
  kills: Map<number, number>,
  keyPrefix: string | undefined,
): Promise<RunReport> {
  const report: RunReport = { alerts: [], latencies: [], kills: 0, unanswered: 0, partial: 0, replayed: 0, answerMismatches: [] };
  let server = await launch();
  try {
    await setUpCase(server.url, testCase);
    for (let i = 0; i < batches.length; i++) {
      const key = keyPrefix === undefined ? undefined : `${keyPrefix}-${i}`;
      const delay = kills.get(i);
      if (delay === undefined) {
        const started = performance.now();
        const answer = await postBatch(server.url, batches[i]!, key);
        report.latencies.push(performance.now() - started);
        if (answer.status !== 202) throw new Error(`batch ${i}: ${answer.status} ${answer.body}`);
        continue;
      }
      const attempt = postBatch(server.url, batches[i]!, key).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await server.stop('SIGKILL');
      report.kills++;
      const first = await attempt;
      if (!first) report.unanswered++;
      server = await launch();
      if (key === undefined && first?.status === 202) continue;
      for (let tries = 0; ; tries++) {
        const again = await postBatch(server.url, batches[i]!, key);
        if (again.status === 503 && again.body.includes('partial-ingest')) {
          report.partial++;
          if (tries < 5) continue;
        }
        if (again.status !== 202) throw new Error(`batch ${i} resent: ${again.status} ${again.body}`);
        if (again.replayed) report.replayed++;
        if (first?.status === 202 && (!again.replayed || again.body !== first.body)) {
          report.answerMismatches.push(`batch ${i}: first ${first.body}, resent ${again.body} (replayed: ${again.replayed})`);
        }
        break;
      }
    }
    await flush(server.url);
    report.alerts = await readAlerts(server.url);
    return report;
  } finally {
    await server.stop('SIGKILL');
  }
}

/** Alerts of `actual` missing from `expected`'s multiset, and those in excess. */
export function difference(expected: string[], actual: string[]): { lost: string[]; duplicated: string[] } {
  const canonical = (line: string) => JSON.stringify(JSON.parse(line));
  const left = new Map<string, number>();
  for (const line of expected) left.set(canonical(line), (left.get(canonical(line)) ?? 0) + 1);
  const duplicated: string[] = [];
  for (const line of actual) {
    const text = canonical(line);
    const n = left.get(text) ?? 0;
    if (n > 0) left.set(text, n - 1);
    else duplicated.push(text);
  }
  const lost = [...left].flatMap(([text, n]) => Array.from({ length: n }, () => text));
  return { lost, duplicated };
}

/** `count` distinct batch indices out of `batches` (never the first, so rules are in), each with a delay below `maxDelayMs`. */
export function killPlan(batches: number, count: number, maxDelayMs: number, random: () => number): Map<number, number> {
  const indices = Array.from({ length: batches - 1 }, (_, i) => i + 1);
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return new Map(indices.slice(0, count).map((index) => [index, Math.floor(random() * maxDelayMs)]));
}

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function inBatches(lines: string[], size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < lines.length; i += size) out.push(lines.slice(i, i + size));
  return out;
}
