/**
 * Re-keying in-process: rules keyed by fields other than the partition field, and alert-fed rules,
 * give over 4 partitions exactly the alerts of one engine; forwarding is idempotent; checkpoints
 * hold every class's engine; rule changes re-route, even for a router whose table is stale.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler } from '../../src/edge/http.js';
import { openLocalPartitions, PartitionNode, type ForwardMessage } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import { partitionFor, routingClassOf, RoutingTable } from '../../src/edge/routing.js';
import { ManualClock } from '../../src/engine/event-time.js';
import type { Engine, EngineOptions } from '../../src/engine/engine.js';
import { parseRules } from '../../src/lang/parse.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { PARTITION_FIELD, T0, canonical, countsByRule, perKey, referenceAlerts, rekeyCase, sorted } from './rekey-case.js';

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

const makeEngine = async (options: EngineOptions) => {
  const engine = await createNodeEngine({ ...options, clock: new ManualClock(T0).now });
  engines.push(engine);
  return engine;
};

async function partitioned(count: number, stores?: ChunkedCheckpointStore[]) {
  const nodes = await openLocalPartitions(count, makeEngine, { partitionField: PARTITION_FIELD, stores });
  return { nodes, service: new PartitionedService(nodes, PARTITION_FIELD) };
}

async function setUp(service: PartitionedService, rules: string): Promise<void> {
  for (const rule of parseRules(rules, 'rules.vgl').rules) {
    const result = await service.putRule(rule.name, rule.text, 'test');
    if (!result.ok) throw new Error(`${rule.name}: ${JSON.stringify(result.diagnostics)}`);
  }
}

async function readAll(service: PartitionedService): Promise<string[]> {
  const page = await service.alerts(undefined, 100_000);
  return page.alerts.map((a) => JSON.stringify(a));
}

async function ingestInBatches(service: PartitionedService, events: Record<string, unknown>[], size: number): Promise<void> {
  for (let i = 0; i < events.length; i += size) {
    const result = await service.ingest(events.slice(i, i + size));
    expect(result.rejected).toEqual([]);
  }
}

const rule = (text: string) => parseRules(text, 'r.vgl').rules[0]!;

describe('routing classes', () => {
  it('puts each rule where its keys are co-located', () => {
    const cls = (text: string) => routingClassOf(rule(text), 'source.ip').id;
    expect(cls('RULE "a" SOURCES k = "x" SINK function (e) { return e; }')).toBe('events:partition');
    expect(cls('RULE "a" SOURCES k = "x" USING ts AGGREGATE BY user, source.ip WITHIN 1:min, 1:min SINK function (e) { return e; }')).toBe('events:partition');
    // Field order does not make another class: BY a, b and BY b, a group alike.
    expect(cls('RULE "a" SOURCES k = "x" USING ts AGGREGATE BY user, host WITHIN 1:min, 1:min SINK function (e) { return e; }')).toBe('events:key:["host","user"]');
    expect(cls('RULE "a" SOURCES k = "x" USING ts AGGREGATE BY host, user WITHIN 1:min, 1:min SINK function (e) { return e; }')).toBe('events:key:["host","user"]');
    expect(cls('RULE "a" SOURCES k = "x" STATE MACHINE BY user.name ON act INITIAL: a -> TERM; SINK function (e) { return e; }')).toBe('events:key:["user.name"]');
    expect(cls('RULE "a" SOURCES rule = "b" SINK function (e) { return e; }')).toBe('alerts:local');
    expect(cls('RULE "a" SOURCES rule = "b" USING ts AGGREGATE BY dst WITHIN 1:min, 1:min SINK function (e) { return e; }')).toBe('alerts:key:["dst"]');
    // The language has no empty key; a rule without one (built by hand) goes to partition 0.
    const keyless = { ...rule('RULE "a" SOURCES k = "x" USING ts AGGREGATE BY k WITHIN 1:min, 1:min SINK function (e) { return e; }'), aggregateBy: [] };
    const global = routingClassOf(keyless, 'source.ip');
    expect(global.id).toBe('events:global');
    expect(partitionFor(global, { k: 'x' }, 4)).toBe(0);
  });

  it('sends an event only to classes with a rule it reaches, each key to one partition', () => {
    const table = new RoutingTable(
      [
        { name: 'a', classId: 'events:partition', selectors: [{ field: 'kind', values: ['conn'] }] },
        { name: 'b', classId: 'events:key:["user.name"]', selectors: [{ field: 'kind', values: ['auth'] }] },
        { name: 'c', classId: 'events:key:["user.name"]', selectors: [{ field: 'kind', values: ['conn', 'auth'] }] },
      ],
      'source.ip',
    );
    expect(table.eventTargets({ kind: 'dns' }, 4)).toEqual([]);
    expect(table.eventTargets({ kind: 'conn', source: { ip: '10.0.0.1' }, user: { name: 'u' } }, 4).map((t) => t.classId)).toEqual(['events:partition', 'events:key:["user.name"]']);
    const owners = new Set(Array.from({ length: 20 }, (_, i) => table.eventTargets({ kind: 'auth', source: { ip: `10.0.0.${i}` }, user: { name: 'u' } }, 4)[0]!.partition));
    expect(owners.size).toBe(1);
    // The flat key "user.name" is the same field as the nested one, as the engine reads it.
    expect(table.eventTargets({ kind: 'auth', 'user.name': 'u' }, 4)).toEqual(table.eventTargets({ kind: 'auth', user: { name: 'u' } }, 4));
  });
});

describe('re-keying across 4 partitions in-process', () => {
  it('gives exactly the alerts of one engine (multiset, and order per rule and key)', async () => {
    const testCase = rekeyCase();
    const expected = await referenceAlerts(testCase);
    const counts = countsByRule(expected);
    // Every rule fires, so every class and both kinds of forwarding are exercised.
    for (const name of ['telnet', 'scan per source', 'busy destination', 'session protocol', 'volume', 'destination busy twice', 'protocol breach']) {
      expect(counts[name], name).toBeGreaterThan(0);
    }
    // The keys cross partitions: one destination is reached from sources of several partitions.
    const bySource = new RoutingTable([{ name: 'p', classId: 'events:partition', selectors: [{ field: 'kind', values: ['conn'] }] }], PARTITION_FIELD);
    const partitionsOf = (dst: string) => new Set(testCase.events.filter((e) => (e.destination as { ip: string } | undefined)?.ip === dst).map((e) => bySource.eventTargets(e, 4)[0]!.partition));
    expect(partitionsOf('192.168.0.1').size).toBe(4);

    const { nodes, service } = await partitioned(4);
    await setUp(service, testCase.rules);
    await ingestInBatches(service, testCase.events, 97);
    await service.flush();
    const actual = await readAll(service);
    expect(sorted(actual)).toEqual(sorted(expected));
    expect(perKey(actual)).toEqual(perKey(expected));

    const metrics = (await service.metrics()) as { perPartition: { eventsIn: number; alertsForwarded: number; classes: Record<string, unknown> }[] };
    expect(metrics.perPartition.every((p) => p.eventsIn > 0)).toBe(true);
    expect(metrics.perPartition.reduce((n, p) => n + p.alertsForwarded, 0)).toBeGreaterThan(0);
    expect(Object.keys(metrics.perPartition[0]!.classes).sort()).toEqual(
      ['alerts:key:["dst"]', 'alerts:local', 'events:key:["destination.ip"]', 'events:key:["tenant"]', 'events:key:["user.name"]', 'events:partition'].sort(),
    );
    // The rule list is one list, in the order the rules were added, whatever engine holds them.
    expect((await nodes[2]!.rules()).map((r) => r.name)).toEqual(parseRules(testCase.rules, 'x').rules.map((r) => r.name));
  });

  it('also matches one engine over the HTTP API, with the composite cursor', async () => {
    const testCase = rekeyCase(300);
    const expected = await referenceAlerts(testCase);
    const { service } = await partitioned(4);
    const h = createHttpHandler(service, readConfig({ VIGIL_TOKEN: 't' }).http);
    const auth = { authorization: 'Bearer t' };
    for (const r of parseRules(testCase.rules, 'x').rules) {
      expect((await h(new Request(`http://v/rules/${encodeURIComponent(r.name)}`, { method: 'PUT', body: r.text, headers: auth }))).status).toBe(201);
    }
    const half = testCase.eventLines.length / 2;
    await h(new Request('http://v/events', { method: 'POST', body: testCase.eventLines.slice(0, half).join('\n') }));
    const first = await h(new Request('http://v/alerts'));
    const before = (await first.text()).split('\n').filter(Boolean);
    const cursor = first.headers.get('vigil-cursor')!;
    expect(cursor.split('.')).toHaveLength(4);
    await h(new Request('http://v/events', { method: 'POST', body: testCase.eventLines.slice(half).join('\n') }));
    await h(new Request('http://v/flush', { method: 'POST', headers: auth }));
    const after = (await (await h(new Request(`http://v/alerts?since=${cursor}`))).text()).split('\n').filter(Boolean);
    expect(sorted([...before, ...after])).toEqual(sorted(expected));
  });

  it('resumes from checkpoints (every class engine, outbox and ring) without loss or duplicates', async () => {
    const testCase = rekeyCase();
    const expected = await referenceAlerts(testCase);
    const bytes = [0, 1, 2, 3].map(() => new MemoryByteStore());
    const stores = () => bytes.map((b) => new ChunkedCheckpointStore(b, 16 * 1024));
    let { service } = await partitioned(4, stores());
    await setUp(service, testCase.rules);
    const cut = 411;
    await ingestInBatches(service, testCase.events.slice(0, cut), 100);
    const before = await service.alerts(undefined, 100_000);
    engines.splice(0).forEach((e) => e.dispose());

    ({ service } = await partitioned(4, stores()));
    await ingestInBatches(service, testCase.events.slice(cut), 100);
    await service.flush();
    const after = await service.alerts(before.cursor, 100_000);
    const all = [...before.alerts, ...after.alerts].map((a) => JSON.stringify(a));
    expect(sorted(all)).toEqual(sorted(expected));
    expect(sorted(await readAll(service))).toEqual(sorted(expected));
  });

  it('applies a forwarded alert once when the forward is retried, and retries a failed forward', async () => {
    const testCase = rekeyCase(400);
    const expected = await referenceAlerts(testCase);
    const nodes: PartitionNode[] = [];
    let mode: 'deliver-then-fail' | 'fail' | 'ok' = 'deliver-then-fail';
    let failures = 0;
    const send = async (partition: number, message: ForwardMessage) => {
      if (mode === 'fail') {
        failures++;
        throw new Error('network down');
      }
      await nodes[partition]!.receiveForward(JSON.parse(JSON.stringify(message)) as ForwardMessage);
      if (mode === 'deliver-then-fail') {
        failures++;
        throw new Error('answer lost');
      }
    };
    for (let index = 0; index < 4; index++) nodes.push(await PartitionNode.open(makeEngine, { partitions: 4, partitionField: PARTITION_FIELD, index, send }));
    const service = new PartitionedService(nodes, PARTITION_FIELD);
    await setUp(service, testCase.rules);
    const third = Math.floor(testCase.events.length / 3);
    await ingestInBatches(service, testCase.events.slice(0, third), 50);
    mode = 'fail';
    await ingestInBatches(service, testCase.events.slice(third, 2 * third), 50);
    mode = 'ok';
    await ingestInBatches(service, testCase.events.slice(2 * third), 50);
    await service.flush();
    expect(failures).toBeGreaterThan(0);
    const actual = await readAll(service);
    expect(sorted(actual)).toEqual(sorted(expected));
    const metrics = (await service.metrics()) as { perPartition: { outbox: number }[] };
    expect(metrics.perPartition.map((p) => p.outbox)).toEqual([0, 0, 0, 0]);
  });

  it('re-routes when a rule changes class, also for a router whose table is stale', async () => {
    const { nodes, service } = await partitioned(4);
    const stale = new PartitionedService(nodes, PARTITION_FIELD);
    const byUser = (field: string) => `RULE "per user"
SOURCES kind = "auth"
USING ts
AGGREGATE BY ${field}
WITHIN 1:h, 1:h
HAVING function (events) { return { n: events.length }; }
SINK function (a) { return a; }`;
    await setUp(service, byUser('source.ip'));
    const events = (from: number) =>
      Array.from({ length: 40 }, (_, i) => ({ kind: 'auth', ts: T0 + (from + i) * 1000, source: { ip: `10.0.0.${i % 7}` }, user: `u${i % 3}` }));
    await stale.ingest(events(0)); // the stale router caches the table of this rule set
    await service.putRule('per user', byUser('user'), 'test');
    expect((await nodes[1]!.rules())[0]).toMatchObject({ name: 'per user', version: 2 });
    for (const node of nodes) expect(Object.keys(((await node.metrics()) as { classes: object }).classes).sort()).toEqual(['events:key:["user"]', 'events:partition']);
    await stale.ingest(events(40));
    await stale.flush();
    const alerts = (await stale.alerts(undefined, 1000)).alerts as unknown as { key: { user: string }; n: number }[];
    // The windows by source.ip were dropped with the old key (as on one engine); every event after
    // the change reached the rule once, though the router that sent them had the old table.
    expect(alerts.map((a) => [a.key.user, a.n]).sort()).toEqual([
      ['u0', 14],
      ['u1', 13],
      ['u2', 13],
    ]);
  });
});

describe('checkpoints from before re-keying', () => {
  it('opens a single-engine checkpoint: rules move to their classes, the ring is kept', async () => {
    const { EngineInstance } = await import('../../src/edge/instance.js');
    const bytes = new MemoryByteStore();
    const engine = await makeEngine({});
    const legacy = await EngineInstance.open(engine, { store: new ChunkedCheckpointStore(bytes) });
    await legacy.putRule('telnet', 'RULE "telnet" SOURCES kind = "conn" FILTER function (e) { return e.port == 23; } SINK function (e) { return { port: e.port }; }', 't');
    await legacy.putRule('per user', 'RULE "per user" SOURCES kind = "auth" USING ts AGGREGATE BY user WITHIN 1:h, 1:h SINK function (a) { return { n: a.count }; }', 't');
    await legacy.ingest([{ kind: 'conn', port: 23 }]);
    const node = await PartitionNode.open(makeEngine, { partitions: 1, partitionField: PARTITION_FIELD, store: new ChunkedCheckpointStore(bytes) });
    expect((await node.rules()).map((r) => r.name)).toEqual(['telnet', 'per user']);
    expect(canonical((await node.alerts(undefined, 10)).alerts.map((a) => JSON.stringify(a)))).toEqual(['{"rule":"telnet","port":23}']);
    await node.ingest([{ kind: 'auth', user: 'a', ts: T0 }, { kind: 'auth', user: 'a', ts: T0 + 1 }]);
    await node.flush();
    expect((await node.alerts('1', 10)).alerts).toEqual([{ rule: 'per user', key: { user: 'a' }, windowStart: expect.any(Number), windowEnd: expect.any(Number), n: 2 }]);
  });
});
