/**
 * One bad event inside a POST /events (regression: an event that made processing throw turned the
 * whole POST into a 500, the good events in it were never processed, and alertsOut stopped matching
 * GET /alerts). The bad one is rejected with its line and reason, every other event is processed
 * once, and /metrics agrees with GET /alerts: on one engine (with and without a checkpoint store)
 * and over partitions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import type { Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 's3cret-token';
const admin = { authorization: `Bearer ${TOKEN}` };
const T0 = Date.UTC(2026, 0, 1);
const config = readConfig({ VIGIL_TOKEN: TOKEN });

const RULES: [string, string][] = [
  ['all', 'RULE "all"\nSOURCES kind = "e"\nSINK function (e) { return { i: e.i }; }'],
  ['per user', 'RULE "per user"\nSOURCES kind = "e"\nUSING t\nAGGREGATE BY user WITHIN 1:min, 1:min\nSINK function (a) { return { n: a.count }; }'],
];

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));
const makeEngine = async (options = {}) => {
  const engine = await createNodeEngine({ ...config.engine, ...options, clock: () => T0 });
  engines.push(engine);
  return withMidBatchFault(engine);
};

/**
 * Fault injection: a batch holding an event marked `poison` is processed up to that event and
 * then throws, as a failure in the middle of processing would (state already changed by the events
 * before it). The engine itself has no input that throws any more; the roll-back must still hold
 * for whatever failure comes next.
 */
function withMidBatchFault(engine: Engine): Engine {
  const push = engine.push.bind(engine);
  engine.push = (events, options) => {
    const at = events.findIndex((e) => (e as { poison?: boolean }).poison === true);
    if (at < 0) return push(events, options);
    push(events.slice(0, at), options);
    throw new Error('injected fault in the middle of a batch');
  };
  // A partition pushes through pushLevel (one chain over its class engines).
  const pushLevel = engine.pushLevel.bind(engine);
  engine.pushLevel = (events, indexOf, options) => {
    const at = events.findIndex((e) => (e as { poison?: boolean }).poison === true);
    if (at < 0) return pushLevel(events, indexOf, options);
    pushLevel(events.slice(0, at), indexOf, options);
    throw new Error('injected fault in the middle of a batch');
  };
  return engine;
}

const call = (h: Handler, method: string, path: string, body?: string) => h(new Request(`http://vigil.test${path}`, { method, body, headers: admin }));

/**
 * 40 events; line 8 makes processing throw mid-batch (an injected fault), line 13 nests 300 deep,
 * line 16 is an array.
 */
function batch(from = 0): { body: string; good: { i: number; user: string; t: number }[] } {
  const lines: string[] = [];
  const good: { i: number; user: string; t: number }[] = [];
  for (let i = from; i < 40; i++) {
    const event = { kind: 'e', i, user: `u${i % 3}`, t: T0 + i * 1000 };
    if (i === 7) lines.push(JSON.stringify({ ...event, poison: true }));
    else if (i === 12) lines.push(`{"kind":"e","i":12,"deep":${'['.repeat(300)}${']'.repeat(300)}}`);
    else if (i === 15) lines.push('[1,2,3]');
    else {
      lines.push(JSON.stringify(event));
      good.push(event);
    }
  }
  return { body: lines.join('\n'), good };
}

async function expectIsolated(h: Handler): Promise<void> {
  for (const [name, text] of RULES) expect((await call(h, 'PUT', `/rules/${encodeURIComponent(name)}`, text)).status).toBe(201);
  // Two good batches first: what a failed push rolls back to comes before them (without a store,
  // they are pushed again after the roll-back, and their alerts must not come twice).
  const early = [0, 1, 2, 3].map((i) => ({ i, user: `u${i % 3}`, t: T0 + i * 1000 }));
  for (const part of [early.slice(0, 2), early.slice(2)]) {
    expect((await call(h, 'POST', '/events', part.map((e) => JSON.stringify({ kind: 'e', ...e })).join('\n'))).status).toBe(202);
  }
  const { body, good: rest } = batch(4);
  const good = [...early, ...rest];
  const response = await call(h, 'POST', '/events', body);
  expect(response.status).toBe(202);
  const result = (await response.json()) as { accepted: number; rejected: { line: number; reason: string }[] };
  expect(result.accepted).toBe(rest.length);
  expect(result.rejected.map((r) => r.line)).toEqual([4, 9, 12]);
  expect(result.rejected[0]!.reason).toMatch(/^processing failed: /);
  expect(result.rejected[1]!.reason).toBe('nested deeper than 128');

  expect((await call(h, 'POST', '/flush')).status).toBe(200);
  const alerts = (await (await call(h, 'GET', '/alerts')).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  // The recount: one "all" alert per good event, and per user the good events of the minute.
  expect(alerts.filter((a) => a.rule === 'all').map((a) => a.i).sort((x, y) => Number(x) - Number(y))).toEqual(good.map((e) => e.i));
  const perUser = new Map<string, number>();
  for (const e of good) perUser.set(e.user, (perUser.get(e.user) ?? 0) + 1);
  const windows = alerts.filter((a) => a.rule === 'per user').map((a) => [(a.key as { user: string }).user, a.n]);
  expect(new Map(windows as [string, number][])).toEqual(perUser);
  expect(windows).toHaveLength(perUser.size);

  const metrics = (await (await call(h, 'GET', '/metrics')).json()) as { eventsIn: number; alertsOut: number };
  expect(metrics.alertsOut).toBe(alerts.length);
  expect(metrics.eventsIn).toBe(good.length);

  // The engine is sound afterwards: a later batch is processed as usual.
  const later = await call(h, 'POST', '/events', JSON.stringify({ kind: 'e', i: 100, user: 'u0', t: T0 + 120_000 }));
  expect(await later.json()).toEqual({ accepted: 1, rejected: [] });
}

describe('a bad event inside a POST /events batch', () => {
  it('one engine, no checkpoint store', { timeout: 120_000 }, async () => {
    const instance = await EngineInstance.open(await makeEngine());
    await expectIsolated(createHttpHandler(instance, config.http));
  });

  it('one engine with a checkpoint store, which holds no trace of the failed event', { timeout: 120_000 }, async () => {
    const bytes = new MemoryByteStore();
    const instance = await EngineInstance.open(await makeEngine(), { store: new ChunkedCheckpointStore(bytes, 1 << 20) });
    await expectIsolated(createHttpHandler(instance, config.http));
    const reopened = await EngineInstance.open(await makeEngine(), { store: new ChunkedCheckpointStore(bytes, 1 << 20) });
    const page = await reopened.alerts(undefined, 10_000);
    expect(page.alerts.filter((a) => a.rule === 'all').map((a) => a.i)).not.toContain(7);
    expect(reopened.engine.metrics().eventsIn).toBe(38); // 37 good events and the later one
  });

  it('over three partitions', { timeout: 120_000 }, async () => {
    const parts = await openLocalPartitions(3, makeEngine, { partitionField: 'user', engine: config.engine });
    await expectIsolated(createHttpHandler(new PartitionedService(parts, 'user'), config.http));
  });
});

describe('decodeEvents refuses elements nested deeper than 128', () => {
  it('in a JSON array body, by element, and in JSON lines, by line', async () => {
    const { decodeEvents } = await import('../../src/edge/decode-body.js');
    const deep = (d: number) => `{"kind":"e","v":${'['.repeat(d - 1)}${']'.repeat(d - 1)}}`;
    const array = decodeEvents(`[${deep(128)},${deep(129)},{"kind":"e"},${deep(5000)}]`, 'application/json');
    expect(array.lines).toEqual([1, 3]);
    expect(array.rejected).toEqual([
      { line: 2, reason: 'nested deeper than 128' },
      { line: 4, reason: 'nested deeper than 128' },
    ]);
    const lines = decodeEvents([deep(128), deep(129), '{"kind":"e"}'].join('\n'));
    expect(lines.lines).toEqual([1, 3]);
    expect(lines.rejected).toEqual([{ line: 2, reason: 'nested deeper than 128' }]);
  });
});
