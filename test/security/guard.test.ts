/**
 * The outer guard (src/runtime/guard): a rule function that the in-engine limits do not stop — a
 * native infinite loop, a runaway allocation, a thread that dies — is deactivated with its reason,
 * the engine restored, and every other rule's alerts are byte-identical to a run without the
 * hostile rule. VGL can no longer express such a rule, so the fault is injected in the engine
 * thread through the test-only HostileFault hook (VIGIL_GUARD_TEST_HOSTILE for the CLI).
 *
 * The oracle is the unguarded engine on the main thread (`--no-guard`, `guard: false`) running the
 * benign rules alone, and a recount of one rule's matches straight from the events.
 *
 * Uses the built dist/ (bin/vigil, and the guard's threads): run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollect } from '../../src/cli/collect.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { v5Packet } from '../io/packets.js';
import type { GuardOptions } from '../../src/runtime/guard/guard-options.js';
import type { HostileFault } from '../../src/runtime/guard/protocol.js';

const bin = fileURLToPath(new URL('../../bin/vigil', import.meta.url));
const T0 = Date.UTC(2026, 0, 1);
const EVENTS = 12_000;
/** A budget shorter than the default (2000 ms), to keep the suite quick; the guard's behaviour is the same. */
const BUDGET_MS = 1000;
const TIMEOUT_MS = 120_000;

const BENIGN = `RULE "failures"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure' && e.n % 7 == 0; }
SINK function (e) { return { user: e.user, n: e.n }; }

RULE "bursts"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
USING time
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 10; }
SINK function (w) { return { user: w.user, count: w.count }; }

RULE "sandboxed"
SOURCES kind = "auth"
FILTER function (e) { var s = 0; for (var i = 0; i < 3; i++) s += i; return e.n % 101 == s; }
SINK function (e) { return { n: e.n, user: e.user }; }
`;

/** One hostile rule per phase; the fault hook decides which one misbehaves, and how. */
const HOSTILE = `RULE "hostile filter"
SOURCES kind = "auth"
FILTER function (e) { return e.n % 11 == 0; }
SINK function (e) { return { n: e.n }; }

RULE "hostile having"
SOURCES kind = "auth"
USING time
AGGREGATE BY user
WITHIN 30:sec, 30:sec
HAVING function (events) { return events.length > 1; }
SINK function (w) { return { user: w.user }; }

RULE "hostile sink"
SOURCES kind = "auth"
FILTER function (e) { return e.n % 13 == 0; }
SINK function (e) { return { n: e.n }; }
`;

interface TestEvent {
  kind: string;
  user: string;
  outcome: string;
  time: number;
  n: number;
}

const events: TestEvent[] = Array.from({ length: EVENTS }, (_, n) => ({ kind: 'auth', user: `u${n % 37}`, outcome: n % 3 ? 'success' : 'failure', time: T0 + n * 100, n }));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-guard-'));
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'benign.vgl'), BENIGN);
  writeFileSync(join(dir, 'hostile.vgl'), HOSTILE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vigil(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (text: string) => text.split('\n').filter(Boolean);
const isHostileOrGuard = (line: string) => /"rule":"(hostile [a-z]+|vigil\.rule\.deactivated)"/.test(line);

/** The "failures" rule recounted from the events, not by the engine. */
const expectedFailures = events.filter((e) => e.outcome === 'failure' && e.n % 7 === 0).length;

let oracle: { code: number | null; stdout: string; stderr: string };
const runOracle = async () => (oracle ??= await vigil(['run', '--no-guard', '--rules', join(dir, 'benign.vgl'), '--out-of-order', '0', join(dir, 'events.jsonl')]));

describe('vigil run under the outer guard', () => {
  const cases: { fault: HostileFault; kind: string; env?: Record<string, string> }[] = [
    { fault: { rule: 'hostile filter', phase: 'filter', behavior: 'loop', after: 4 }, kind: 'cpu' },
    // A budget long enough that the heap, not the clock, stops the allocation.
    { fault: { rule: 'hostile having', phase: 'having', behavior: 'allocate', after: 3 }, kind: 'memory', env: { VIGIL_GUARD_BUDGET_MS: '60000', VIGIL_GUARD_HEAP_MB: '256' } },
    { fault: { rule: 'hostile sink', phase: 'sink', behavior: 'exit', after: 2 }, kind: 'crash' },
  ];

  it.each(cases)('deactivates a $fault.phase that does "$fault.behavior" (kind $kind); every other alert as without it', async ({ fault, kind, env }) => {
    const expected = await runOracle();
    expect(expected.code).toBe(0);
    expect(lines(expected.stdout).filter((l) => l.includes('"rule":"failures"'))).toHaveLength(expectedFailures);

    const run = await vigil(['run', '--rules', join(dir, 'benign.vgl'), '--rules', join(dir, 'hostile.vgl'), '--out-of-order', '0', join(dir, 'events.jsonl')], {
      VIGIL_GUARD_BUDGET_MS: String(BUDGET_MS),
      VIGIL_GUARD_TEST_HOSTILE: JSON.stringify(fault),
      ...env,
    });
    expect(run.stderr).toBe(expected.stderr);
    expect(run.code).toBe(0);
    const out = lines(run.stdout);
    expect(out.filter((l) => !isHostileOrGuard(l)).join('\n')).toBe(lines(expected.stdout).join('\n'));
    // The hostile rule worked before it turned: its alerts up to then are there.
    expect(out.some((l) => l.includes(`"rule":"${fault.rule}"`))).toBe(true);
    const deactivations = out.filter((l) => l.includes('vigil.rule.deactivated')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(deactivations).toHaveLength(1);
    expect(deactivations[0]).toMatchObject({ deactivatedRule: fault.rule, kind, phase: fault.phase });
    expect(deactivations[0].reason).toMatch(/outer guard/);
    if (kind === 'cpu') {
      const stoppedAfter = Number(/stopped after (\d+) ms/.exec(String(deactivations[0].reason))?.[1]);
      expect(stoppedAfter).toBeGreaterThanOrEqual(BUDGET_MS);
      expect(stoppedAfter).toBeLessThanOrEqual(BUDGET_MS + 100);
    }
  }, TIMEOUT_MS);

  it('exits 3 with a clear message when the engine fails outside any rule function, again and again', async () => {
    const run = await vigil(['run', '--rules', join(dir, 'benign.vgl'), '--out-of-order', '0', join(dir, 'events.jsonl')], {
      VIGIL_GUARD_TEST_HOSTILE: JSON.stringify({ call: 'push', behavior: 'exit' } satisfies HostileFault),
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^vigil: the engine thread failed 3 times outside any rule function \(crashed\) during lines\.push; giving up\n$/);
  }, TIMEOUT_MS);

  it('survives a single failure outside any rule function: restored, nothing lost, nothing twice', async () => {
    const expected = await runOracle();
    // The fourth feed call of the first engine thread kills it; its successor (counting afresh) goes on.
    const run = await vigil(['run', '--rules', join(dir, 'benign.vgl'), '--out-of-order', '0', join(dir, 'events.jsonl')], {
      VIGIL_GUARD_TEST_HOSTILE: JSON.stringify({ call: 'push', behavior: 'exit', after: 3 } satisfies HostileFault),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(expected.stdout);
  }, TIMEOUT_MS);
});

describe('the Node HTTP server under the outer guard', () => {
  const TOKEN = 'guard-test-token';
  const admin = { authorization: `Bearer ${TOKEN}` };
  const BATCH = 500;

  /** Rules in, events in batches, a flush; returns the alerts and the rules' states. */
  async function serve(rules: string[], guard: GuardOptions | false) {
    const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, VIGIL_OUT_OF_ORDER_MS: '0' }, guard, clock: () => T0 });
    const call = (method: string, path: string, body?: string) => handler(new Request(`http://vigil.test${path}`, { method, body, headers: admin }));
    try {
      for (const text of rules) {
        const name = /RULE "([^"]+)"/.exec(text)![1];
        expect((await call('PUT', `/rules/${encodeURIComponent(name)}`, text)).status).toBeLessThan(300);
      }
      for (let i = 0; i < events.length; i += BATCH) {
        const response = await call('POST', '/events', events.slice(i, i + BATCH).map((e) => JSON.stringify(e)).join('\n'));
        expect(response.status).toBe(202);
      }
      expect((await call('POST', '/flush')).status).toBeLessThan(300);
      // GET /alerts: JSON lines, the next cursor in Vigil-Cursor.
      const alerts: unknown[] = [];
      for (let cursor = '0'; ; ) {
        const page = await call('GET', `/alerts?limit=1000&since=${cursor}`);
        const text = await page.text();
        if (!text) break;
        alerts.push(...text.trim().split('\n').map((l) => JSON.parse(l) as unknown));
        cursor = page.headers.get('vigil-cursor')!;
      }
      const states = ((await (await call('GET', '/rules')).json()) as { rules: { name: string; state: string; deactivation?: { kind: string; reason: string } }[] }).rules;
      return { alerts, states };
    } finally {
      instance.engine.dispose();
    }
  }

  const split = (text: string) => text.split(/\n(?=RULE )/);

  it('deactivates a rule whose filter never returns, within its budget; the other rules answer as without it', async () => {
    const expected = await serve(split(BENIGN), false);
    const started = performance.now();
    const guarded = await serve([...split(BENIGN), split(HOSTILE)[0]], { budgetMs: BUDGET_MS, hostile: { rule: 'hostile filter', behavior: 'loop', after: 3 } });
    expect(performance.now() - started).toBeLessThan(60_000);
    const isOther = (a: unknown) => !/^(hostile|vigil\.)/.test((a as { rule: string }).rule);
    expect(JSON.stringify(guarded.alerts.filter(isOther))).toBe(JSON.stringify(expected.alerts));
    expect(expected.alerts.filter((a) => (a as { rule: string }).rule === 'failures')).toHaveLength(expectedFailures);
    const hostile = guarded.states.find((r) => r.name === 'hostile filter')!;
    expect(hostile.state).toBe('deactivated');
    expect(hostile.deactivation).toMatchObject({ kind: 'cpu' });
    const stoppedAfter = Number(/stopped after (\d+) ms/.exec(hostile.deactivation!.reason)?.[1]);
    expect(stoppedAfter).toBeGreaterThanOrEqual(BUDGET_MS);
    expect(stoppedAfter).toBeLessThanOrEqual(BUDGET_MS + 100);
    expect(guarded.states.filter((r) => r.name !== 'hostile filter').every((r) => r.state === 'active')).toBe(true);
  }, TIMEOUT_MS);

  it('deactivates a rule that exhausts the engine thread heap, and the process gets its memory back', async () => {
    const expected = await serve(split(BENIGN), false);
    const guarded = await serve([...split(BENIGN), split(HOSTILE)[1]], { budgetMs: 60_000, heapMb: 512, hostile: { rule: 'hostile having', phase: 'having', behavior: 'allocate', after: 1 } });
    const isOther = (a: unknown) => !/^(hostile|vigil\.)/.test((a as { rule: string }).rule);
    expect(JSON.stringify(guarded.alerts.filter(isOther))).toBe(JSON.stringify(expected.alerts));
    expect(guarded.states.find((r) => r.name === 'hostile having')!.deactivation).toMatchObject({ kind: 'memory' });
    // The heap the rule filled belonged to the terminated thread: the process is back under 300 MB.
    expect(process.memoryUsage().rss).toBeLessThan(300 * 1024 * 1024);
  }, TIMEOUT_MS);
});

describe('vigil collect under the outer guard', () => {
  it('deactivates a rule whose filter never returns; every flow still alerts, in order', async () => {
    const rules = join(dir, 'flows.vgl');
    writeFileSync(
      rules,
      `RULE "every flow"
SOURCES kind = "flow"
SINK function (e) { return { dport: e["destination.port"] }; }

RULE "hostile"
SOURCES kind = "flow"
FILTER function (e) { return e["destination.port"] > 0; }
SINK function (e) { return { dport: e["destination.port"] }; }
`,
    );
    const ports = Array.from({ length: 8 }, (_, i) => 1000 + i);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const code = await runCollect(
      {
        udp: '127.0.0.1:0',
        rules: [rules],
        iocs: [],
        tables: [],
        maxPackets: ports.length,
        durationMs: 60_000,
        guard: { budgetMs: BUDGET_MS, hostile: { rule: 'hostile', behavior: 'loop', after: 3 } },
        onListening: ({ port }) => {
          const send = (i: number) =>
            i < ports.length && client.send(v5Packet([{ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: ports[i], proto: 6, flags: 2, bytes: 44, packets: 1, first: 1, last: 1 }]), port, '127.0.0.1', () => send(i + 1));
          send(0);
        },
      },
      { stdin: new PassThrough(), stdout, stderr, version: 't' },
    );
    client.close();
    expect(code).toBe(0);
    const alerts = out.trim().split('\n').map((l) => JSON.parse(l) as { rule: string; dport?: number; deactivatedRule?: string; kind?: string });
    expect(alerts.filter((a) => a.rule === 'every flow').map((a) => a.dport)).toEqual(ports);
    expect(alerts.filter((a) => a.rule === 'hostile').map((a) => a.dport)).toEqual(ports.slice(0, 3));
    expect(alerts.filter((a) => a.rule === 'vigil.rule.deactivated')).toMatchObject([{ deactivatedRule: 'hostile', kind: 'cpu' }]);
  }, TIMEOUT_MS);
});
