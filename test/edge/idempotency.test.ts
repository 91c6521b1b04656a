/**
 * Idempotency keys in-process: a batch sent twice with one key is applied once and answered the
 * same (Idempotency-Key header or a body's `batch` id), across a restart from the checkpoint too;
 * a reused key with other events is refused; the ledger's bound is what it says; a batch some
 * partitions could not apply is reported partial and completed by the same request. The oracle
 * is a count made here of the events sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { openLocalPartitions, type PartitionClient, type PartitionNode, type RoutedBatch } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import type { VigilService } from '../../src/edge/service.js';
import type { EngineOptions } from '../../src/engine/engine.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 'ledger-token';
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const RULES = {
  'failed login': `RULE "failed login"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
SINK function (e) { return { user: e.user, ts: e.ts }; }`,
  'failures per user': `RULE "failures per user"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return { n: events.length }; }
SINK function (a) { return a; }`,
};

const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));

const config = readConfig({ VIGIL_TOKEN: TOKEN });
const clock = new ManualClock(T0 + 3_600_000);

async function engine(options: EngineOptions = {}) {
  const e = await createNodeEngine({ ...options, clock: clock.now });
  disposers.push(() => e.dispose());
  return e;
}

function events(count: number, seed: number): Record<string, unknown>[] {
  let s = seed;
  const random = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, (_, i) => ({
    kind: 'auth',
    user: `u${Math.floor(random() * 5)}`,
    outcome: random() < 0.6 ? 'failure' : 'success',
    ts: T0 + seed * 1000 + i * 250,
  }));
}

/** What the rules must say about `sent`, counted here: one alert per failure, and failures per user and minute. */
function expectedAlerts(sent: Record<string, unknown>[]): { failures: number; perWindow: Map<string, number> } {
  const failed = sent.filter((e) => e.outcome === 'failure');
  const perWindow = new Map<string, number>();
  for (const e of failed) {
    const key = `${e.user as string} ${Math.floor(((e.ts as number) - 0) / 60_000) * 60_000 + 60_000}`;
    perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
  }
  return { failures: failed.length, perWindow };
}

async function setUp(handler: Handler): Promise<void> {
  for (const [name, text] of Object.entries(RULES)) {
    const response = await handler(new Request(`http://x/rules/${encodeURIComponent(name)}`, { method: 'PUT', body: text, headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(response.status, await response.clone().text()).toBeLessThan(300);
  }
}

const post = (handler: Handler, batch: Record<string, unknown>[], headers: Record<string, string> = {}) =>
  handler(new Request('http://x/events', { method: 'POST', body: batch.map((e) => JSON.stringify(e)).join('\n'), headers: { 'content-type': 'application/x-ndjson', ...headers } }));

async function alertsOf(service: VigilService): Promise<{ failures: number; perWindow: Map<string, number> }> {
  await service.flush();
  const page = await service.alerts(undefined, 10_000);
  const perWindow = new Map<string, number>();
  let failures = 0;
  for (const alert of page.alerts as unknown as Record<string, unknown>[]) {
    if (alert.rule === 'failed login') failures++;
    else perWindow.set(`${(alert.key as { user: string }).user} ${alert.windowEnd as number}`, alert.n as number);
  }
  return { failures, perWindow };
}

describe('one engine (EngineInstance)', () => {
  it('applies a batch sent twice with one key once, answers the same, also after a restart from its checkpoint', async () => {
    const store = new ChunkedCheckpointStore(new MemoryByteStore());
    let instance = await EngineInstance.open(await engine(), { store });
    let handler = createHttpHandler(instance, config.http);
    await setUp(handler);
    const [a, b] = [events(40, 1), events(40, 2)];
    const first = await post(handler, a, { 'idempotency-key': 'batch-a' });
    expect(first.status).toBe(202);
    const firstBody = await first.text();
    const again = await post(handler, a, { 'idempotency-key': 'batch-a' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
    // A restart from the checkpoint: the key is still there.
    instance = await EngineInstance.open(await engine(), { store });
    handler = createHttpHandler(instance, config.http);
    const afterRestart = await post(handler, a, { 'idempotency-key': 'batch-a' });
    expect(afterRestart.headers.get('idempotent-replayed')).toBe('true');
    expect(await afterRestart.text()).toBe(firstBody);
    // The same through the body's batch id.
    const envelope = JSON.stringify({ batch: 'batch-b', events: b });
    for (let i = 0; i < 2; i++) {
      const response = await handler(new Request('http://x/events', { method: 'POST', body: envelope, headers: { 'content-type': 'application/json' } }));
      expect(response.status).toBe(202);
      expect(response.headers.get('idempotent-replayed')).toBe(i ? 'true' : null);
    }
    expect(await alertsOf(instance)).toEqual(expectedAlerts([...a, ...b]));
  });

  it('refuses a key reused for other events (422), a bad key and a header that contradicts the body (400)', async () => {
    const instance = await EngineInstance.open(await engine());
    const handler = createHttpHandler(instance, config.http);
    await setUp(handler);
    expect((await post(handler, events(5, 1), { 'idempotency-key': 'k' })).status).toBe(202);
    const reused = await post(handler, events(5, 2), { 'idempotency-key': 'k' });
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('idempotency-key-reused');
    for (const bad of ['', 'x'.repeat(201), 'has space', 'é']) {
      const response = await handler(new Request('http://x/events', { method: 'POST', body: '{"kind":"auth"}', headers: { 'idempotency-key': bad } }).clone()).catch(() => undefined);
      // Headers with non-ASCII cannot even be built; the others reach the server and are refused.
      if (response) expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    const contradicting = await handler(
      new Request('http://x/events', { method: 'POST', body: JSON.stringify({ batch: 'one', events: [] }), headers: { 'content-type': 'application/json', 'idempotency-key': 'two' } }),
    );
    expect(contradicting.status).toBe(400);
    expect(await alertsOf(instance)).toEqual(expectedAlerts(events(5, 1)));
  });

  it('without a key a resent batch counts twice (documented), and keys older than the ledger bound are applied again', async () => {
    const bounded = readConfig({ VIGIL_TOKEN: TOKEN, VIGIL_IDEMPOTENCY_KEYS: '3' });
    expect(config.ledgerKeys).toBe(10_000);
    expect(() => readConfig({ VIGIL_IDEMPOTENCY_KEYS: '0' })).toThrow(/VIGIL_IDEMPOTENCY_KEYS=0 is not an integer ≥ 1/);
    const instance = await EngineInstance.open(await engine(), { ledgerKeys: bounded.ledgerKeys });
    const handler = createHttpHandler(instance, config.http);
    await setUp(handler);
    const a = events(10, 1);
    await post(handler, a);
    await post(handler, a);
    for (let i = 0; i < 3; i++) await post(handler, events(3, 10 + i), { 'idempotency-key': `k${i}` });
    // k0 is still one of the last 3 keys; then k3 pushes it out.
    expect((await post(handler, events(3, 10), { 'idempotency-key': 'k0' })).headers.get('idempotent-replayed')).toBe('true');
    await post(handler, events(3, 13), { 'idempotency-key': 'k3' });
    expect((await post(handler, events(3, 10), { 'idempotency-key': 'k0' })).headers.get('idempotent-replayed')).toBe(null);
    const sent = [...a, ...a, ...events(3, 10), ...events(3, 11), ...events(3, 12), ...events(3, 13), ...events(3, 10)];
    expect(await alertsOf(instance)).toEqual(expectedAlerts(sent));
  });
});

/** A partition whose next routed ingest fails: before applying, or after (the answer is lost). */
function flaky(node: PartitionNode, failure: { when?: 'before' | 'after' }): PartitionClient {
  return new Proxy(node, {
    get(target, property) {
      if (property === 'ingestRouted') {
        return async (batch: RoutedBatch) => {
          if (failure.when === 'before') {
            failure.when = undefined;
            throw new Error('connection reset');
          }
          const result = await target.ingestRouted(batch);
          if (failure.when === 'after') {
            failure.when = undefined;
            throw new Error('connection reset after the batch was applied');
          }
          return result;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('partitions (PartitionedService)', () => {
  for (const when of ['before', 'after'] as const) {
    it(`reports a batch one partition did not answer (failing ${when} applying it) as partial, and the same request completes it`, async () => {
      const nodes = await openLocalPartitions(3, engine, {
        partitionField: 'user',
        stores: [0, 1, 2].map(() => new ChunkedCheckpointStore(new MemoryByteStore())),
      });
      const failure: { when?: 'before' | 'after' } = {};
      const service = new PartitionedService(
        nodes.map((node, i) => (i === 1 ? flaky(node, failure) : node)),
        'user',
      );
      const handler = createHttpHandler(service, config.http);
      await setUp(handler);
      const [a, b] = [events(60, 1), events(60, 2)];
      expect((await post(handler, a, { 'idempotency-key': 'a' })).status).toBe(202);
      failure.when = when;
      const partial = await post(handler, b, { 'idempotency-key': 'b' });
      expect(partial.status).toBe(503);
      const error = ((await partial.json()) as { error: { code: string; applied: number[]; unreached: number[]; message: string } }).error;
      expect(error.code).toBe('partial-ingest');
      expect(error.unreached).toEqual([1]);
      expect(error.applied).toEqual([0, 2]);
      expect(error.message).toContain('same Idempotency-Key');
      const completed = await post(handler, b, { 'idempotency-key': 'b' });
      expect(completed.status).toBe(202);
      // Partitions 0 and 2 (and 1, when it had applied it) answered from their ledgers.
      expect(completed.headers.get('idempotent-replayed')).toBe('true');
      expect(await alertsOf(service)).toEqual(expectedAlerts([...a, ...b]));
    });
  }
});
