/**
 * The Worker on workerd: a run split over partitions gives the alerts of one engine (rules keyed by
 * the partition field, and rules re-keyed by other fields, with alerts forwarded between Durable
 * Objects), a Durable Object killed mid-stream (workerd SIGKILLed, storage on disk) resumes with no
 * alert lost and none twice, and alarms close processing-time windows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { runCaseOnEngine, type ConformanceCase } from '../conformance/browser-harness.js';
import { buildEdge, envVars, flush, postEvents, readAlerts, runCaseOverHttp, setUpCase, startWorkerd, type RunningServer } from '../conformance/runtimes.js';
import { PARTITION_FIELD, countsByRule, perKey, referenceAlerts, rekeyCase } from './rekey-case.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

/** Rules whose keys are the partition field, over in-order traffic from 40 addresses. */
function keyedCase(): ConformanceCase & { eventLines: string[] } {
  const rules = `
RULE "bad port"
SOURCES kind = "conn"
FILTER function (e) { return e.port == 23 || e.port == 445; }
SINK function (e) { return { src: e.sourceAddress, port: e.port }; }

RULE "fan-out per source"
SOURCES kind = "conn"
USING ts
AGGREGATE BY sourceAddress
WITHIN 30:sec, 10:sec
HAVING function (events) {
  const ports = new Set();
  for (const e of events) ports.add(e.port);
  return ports.size >= 4 ? { ports: ports.size, n: events.length } : null;
}
SINK function (a) { return a; }

RULE "handshake"
SOURCES kind = "conn"
USING ts
STATE MACHINE BY sourceAddress ON flag
  INITIAL: syn -> S;
  S: ack -> TERM;
SINK function (a) { return { src: a.key.sourceAddress, state: a.state, flag: a.eventType }; }

RULE "repeat offender"
SOURCES rule = "fan-out per source"
SINK function (a) { return { src: a.key.sourceAddress, windowEnd: a.windowEnd }; }
`;
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const ports = [22, 23, 80, 443, 445, 8080, 3389];
  const events = Array.from({ length: 600 }, (_, i) => ({
    kind: 'conn',
    sourceAddress: `10.1.${Math.floor(random() * 4)}.${Math.floor(random() * 10)}`,
    port: ports[Math.floor(random() * ports.length)],
    flag: random() < 0.5 ? 'syn' : 'ack',
    ts: T0 + i * 500,
  }));
  return { name: 'keyed', rules, events, eventLines: events.map((e) => JSON.stringify(e)), iocs: {}, engine: {} };
}

async function reference(testCase: ConformanceCase): Promise<string[]> {
  const engine = await createNodeEngine({ clock: new ManualClock(T0).now });
  try {
    return runCaseOnEngine(engine, testCase, 1);
  } finally {
    engine.dispose();
  }
}

const sorted = (lines: string[]) => lines.map((l) => JSON.stringify(JSON.parse(l))).sort();

describe('Cloudflare Worker on workerd', () => {
  let dir: string;
  const servers: RunningServer[] = [];
  beforeAll(() => {
    dir = buildEdge().workerd;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  });

  it('gives the alerts of one engine when split over 4 partitions', async () => {
    const testCase = keyedCase();
    const expected = await reference(testCase);
    expect(expected.length).toBeGreaterThan(50);
    const server = await startWorkerd(dir, envVars({}, { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: 'sourceAddress' }));
    servers.push(server);
    const alerts = await runCaseOverHttp(server.url, testCase, undefined, 5);
    expect(sorted(alerts)).toEqual(sorted(expected));
    const metrics = (await (await fetch(`${server.url}/metrics`)).json()) as { partitions: number; eventsIn: number; perPartition: { eventsIn: number }[] };
    expect(metrics.partitions).toBe(4);
    expect(metrics.perPartition.filter((p) => p.eventsIn > 0).length).toBeGreaterThan(1);
    await server.stop();
  });

  it('resumes a Durable Object killed mid-stream without losing or repeating alerts', async () => {
    const testCase = keyedCase();
    const expected = await reference(testCase);
    const storage = mkdtempSync(join(tmpdir(), 'vigil-do-'));
    const vars = envVars({}, { VIGIL_PARTITIONS: '2', VIGIL_PARTITION_FIELD: 'sourceAddress' });
    const batches: string[][] = [];
    for (let i = 0; i < testCase.eventLines.length; i += 100) batches.push(testCase.eventLines.slice(i, i + 100));

    let server = await startWorkerd(dir, vars, storage);
    servers.push(server);
    await setUpCase(server.url, testCase);
    for (const batch of batches.slice(0, 3)) await postEvents(server.url, batch);
    const before = await readAlerts(server.url);
    const cursorResponse = await fetch(`${server.url}/alerts?limit=10000`);
    const cursor = cursorResponse.headers.get('vigil-cursor')!;
    await server.stop('SIGKILL');

    server = await startWorkerd(dir, vars, storage);
    servers.push(server);
    const rules = (await (await fetch(`${server.url}/rules`)).json()) as { rules: { name: string }[] };
    expect(rules.rules.map((r) => r.name)).toEqual(['bad port', 'fan-out per source', 'handshake', 'repeat offender']);
    for (const batch of batches.slice(3)) await postEvents(server.url, batch);
    await flush(server.url);
    const newer = await fetch(`${server.url}/alerts?limit=10000&since=${cursor}`);
    const after = (await newer.text()).split('\n').filter(Boolean);
    expect(sorted([...before, ...after])).toEqual(sorted(expected));
    // Everything read again from the start: the ring survived the restart too.
    expect(sorted(await readAlerts(server.url))).toEqual(sorted(expected));
    await server.stop();
  });

  it('re-keys rules by other fields over 4 Durable Object partitions: the alerts of one engine', async () => {
    const testCase = rekeyCase();
    const expected = await referenceAlerts(testCase);
    const server = await startWorkerd(dir, envVars({}, { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: PARTITION_FIELD }));
    servers.push(server);
    const alerts = await runCaseOverHttp(server.url, testCase, undefined, 7);
    expect(sorted(alerts)).toEqual(sorted(expected));
    expect(perKey(alerts)).toEqual(perKey(expected));
    const metrics = (await (await fetch(`${server.url}/metrics`)).json()) as { alertsForwarded: number; perPartition: { eventsIn: number }[] };
    expect(metrics.perPartition.every((p) => p.eventsIn > 0)).toBe(true);
    // Alerts crossed from one Durable Object to another.
    expect(metrics.alertsForwarded).toBeGreaterThan(0);
    await server.stop();
  });

  it('resumes re-keyed rules after workerd is killed mid-stream, without loss or duplicates', async () => {
    const testCase = rekeyCase();
    const expected = await referenceAlerts(testCase);
    expect(countsByRule(expected)['destination busy twice']).toBeGreaterThan(0);
    const storage = mkdtempSync(join(tmpdir(), 'vigil-do-'));
    const vars = envVars({}, { VIGIL_PARTITIONS: '4', VIGIL_PARTITION_FIELD: PARTITION_FIELD });
    const batches: string[][] = [];
    for (let i = 0; i < testCase.eventLines.length; i += 100) batches.push(testCase.eventLines.slice(i, i + 100));

    let server = await startWorkerd(dir, vars, storage);
    servers.push(server);
    await setUpCase(server.url, testCase);
    for (const batch of batches.slice(0, 4)) await postEvents(server.url, batch);
    const first = await fetch(`${server.url}/alerts?limit=10000`);
    const before = (await first.text()).split('\n').filter(Boolean);
    const cursor = first.headers.get('vigil-cursor')!;
    await server.stop('SIGKILL');

    server = await startWorkerd(dir, vars, storage);
    servers.push(server);
    for (const batch of batches.slice(4)) await postEvents(server.url, batch);
    await flush(server.url);
    const after = (await (await fetch(`${server.url}/alerts?limit=10000&since=${cursor}`)).text()).split('\n').filter(Boolean);
    expect(sorted([...before, ...after])).toEqual(sorted(expected));
    expect(sorted(await readAlerts(server.url))).toEqual(sorted(expected));
    await server.stop();
  });

  it('closes processing-time windows on Durable Object alarms, with no request to drive them', async () => {
    const server = await startWorkerd(dir, envVars({}, { VIGIL_PARTITIONS: '3', VIGIL_PARTITION_FIELD: PARTITION_FIELD, VIGIL_TICK_MS: '100' }));
    servers.push(server);
    // No USING: processing time. Keyed by user, not the partition field: it runs re-keyed.
    const rules = `RULE "logins per user"
SOURCES kind = "auth"
AGGREGATE BY user
WITHIN 1:sec, 1:sec
HAVING function (events) { return { n: events.length }; }
SINK function (a) { return a; }`;
    await setUpCase(server.url, { name: 'alarms', rules, events: [], iocs: {}, engine: {} });
    const events = Array.from({ length: 12 }, (_, i) => JSON.stringify({ kind: 'auth', user: `u${i % 3}`, source: { ip: `10.0.0.${i}` } }));
    await postEvents(server.url, events);
    const deadline = Date.now() + 10_000;
    let alerts: string[] = [];
    while (Date.now() < deadline) {
      alerts = await readAlerts(server.url);
      if (alerts.length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // One window per user (the events arrived in one request, at one processing time), 4 each.
    expect(alerts.map((a) => JSON.parse(a) as { key: { user: string }; n: number }).map((a) => [a.key.user, a.n]).sort()).toEqual([
      ['u0', 4],
      ['u1', 4],
      ['u2', 4],
    ]);
    // Later alarms find nothing more due: closing is idempotent.
    await new Promise((r) => setTimeout(r, 500));
    expect(await readAlerts(server.url)).toHaveLength(3);
    await server.stop();
  });
});
