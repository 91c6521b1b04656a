/**
 * `vigil collect --threads N`: the same alerts and the same stderr (malformed datagrams, missing
 * templates and the rules' own errors, in the order the datagrams came) with 1, 2 and 3 threads,
 * guarded and not, as a naive model of the rules says; a rule set that correlates runs on one
 * thread and says why.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCollect, type CollectSpec } from '../../src/cli/collect.js';
import { guardOptionsFromEnv } from '../../src/runtime/guard/guard-options.js';
import { ipfixPacket, set, templateRecord, v4Record, V4_FIELDS, v5Packet, type V5Record } from '../io/packets.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-threads-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIMPLE_RULES = `RULE "every flow"
SOURCES kind = "flow"
SINK function (e) { return { src: e["source.ip"], dport: e["destination.port"] }; }

RULE "odd ports"
SOURCES kind = "flow"
FILTER function (e) { return e["destination.port"] % 2 === 1 && e["source.ip"] !== "10.9.9.9"; }
SINK function (e) { return { dport: e["destination.port"], deep: e["destination.port"] % 3 === 0 ? e.nope.deeper : 0 }; }
`;
const simple = join(dir, 'simple.vgl');
writeFileSync(simple, SIMPLE_RULES);
const correlating = join(dir, 'correlating.vgl');
writeFileSync(correlating, `${SIMPLE_RULES}
RULE "many ports"
SOURCES kind = "flow"
AGGREGATE BY "source.ip"
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 1000000 ? { n: events.length } : null; }
SINK function (a) { return a; }
`);

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Datagrams with known flows: v5 of up to 30 flows; now and then a malformed one, IPFIX data before its template, then the template. */
function traffic(count: number, seed: number): { datagrams: Uint8Array[]; flows: V5Record[][] } {
  const random = seeded(seed);
  const pick = (k: number) => Math.floor(random() * k);
  const datagrams: Uint8Array[] = [];
  const flows: V5Record[][] = [];
  for (let d = 0; d < count; d++) {
    if (d % 37 === 5) {
      datagrams.push(Uint8Array.of(0, 5, 0, 9, pick(256)));
      flows.push([]);
      continue;
    }
    const records = Array.from({ length: 1 + pick(30) }, (): V5Record => ({
      src: random() < 0.1 ? '10.9.9.9' : `10.0.${pick(4)}.${pick(250)}`,
      dst: '10.1.0.1',
      sport: 40000 + pick(1000),
      dport: pick(1024),
      proto: 6,
      flags: 2,
      bytes: 40 + pick(1000),
      packets: 1,
      first: 1000 + d,
      last: 1000 + d,
    }));
    if (d % 53 === 7) {
      // IPFIX: data before its template is skipped (and noted once), then sent with it.
      const rec = records[0]!;
      datagrams.push(ipfixPacket([set(256, v4Record(rec))], { domain: d }));
      flows.push([]);
      datagrams.push(ipfixPacket([set(2, templateRecord(256, V4_FIELDS)), set(256, v4Record(rec))], { domain: d }));
      flows.push([rec]);
      continue;
    }
    datagrams.push(v5Packet(records, { sequence: d * 30, engineId: d % 3 }));
    flows.push(records);
  }
  return { datagrams, flows };
}

/** The naive model: per flow in arrival order, "every flow", then "odd ports" for an odd port not from 10.9.9.9 (whose SINK throws on a multiple of 3). */
function expectedAlerts(flows: V5Record[][]): { alerts: string; sinkErrors: number } {
  let alerts = '';
  let sinkErrors = 0;
  for (const r of flows.flat()) {
    alerts += `${JSON.stringify({ rule: 'every flow', src: r.src, dport: r.dport })}\n`;
    if (r.dport % 2 !== 1 || r.src === '10.9.9.9') continue;
    if (r.dport % 3 === 0) sinkErrors++;
    else alerts += `${JSON.stringify({ rule: 'odd ports', dport: r.dport, deep: 0 })}\n`;
  }
  return { alerts, sinkErrors };
}

/** Sends the datagrams one at a time (from one client port, so stderr names the same exporter in every run) to an in-process collector. */
async function collect(client: ReturnType<typeof createSocket>, datagrams: Uint8Array[], spec: Partial<CollectSpec>): Promise<{ out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCollect(
    {
      udp: '127.0.0.1:0', rules: [simple], iocs: [], tables: [], maxPackets: datagrams.length, durationMs: 60_000, ...spec,
      onListening: ({ port }) => {
        const send = (i: number) => i < datagrams.length && client.send(datagrams[i]!, port, '127.0.0.1', () => send(i + 1));
        send(0);
      },
    },
    { stdin: new PassThrough(), stdout, stderr, version: 't' },
  );
  expect(code).toBe(0);
  // The line naming the port bound (a free one, different in every run).
  return { out, err: err.replace(/^vigil: collecting NetFlow .*\n/m, '') };
}

describe('vigil collect --threads', () => {
  it('gives the same alerts and stderr with 1, 2 and 3 threads, guarded and not, as the naive model', async () => {
    const { datagrams, flows } = traffic(400, 3);
    const { alerts, sinkErrors } = expectedAlerts(flows);
    expect(sinkErrors).toBeGreaterThan(10);
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    try {
      const one = await collect(client, datagrams, { threads: 1 });
      expect(one.out).toBe(alerts);
      expect(one.err).toMatch(/malformed packet from 127\.0\.0\.1:\d+: truncated/);
      expect(one.err).toMatch(/no template 256 from/);
      expect(one.err).toMatch(/vigil\.rule\.error rule "odd ports": sink threw TypeError/);
      // As the CLI runs it: each engine on its own thread under the watchdog (guarded), or not.
      const guard = guardOptionsFromEnv({});
      for (const spec of [{ threads: 1, guard }, { threads: 2, guard }, { threads: 3, guard }, { threads: 2, guard: false as const }, { threads: 3, guard: false as const }]) {
        const many = await collect(client, datagrams, spec);
        expect(many.out === one.out, `${JSON.stringify({ threads: spec.threads, guarded: spec.guard !== false })}: alerts differ`).toBe(true);
        expect(many.err).toBe(one.err);
      }
      // --metrics: the engines' counts summed over threads are one engine's.
      const engineMetrics = async (threads: number) => {
        const { err } = await collect(client, datagrams, { threads, metrics: true });
        const { engine } = JSON.parse(err.trim().split('\n').pop()!);
        return { eventsIn: engine.eventsIn, alertsOut: engine.alertsOut, rules: engine.rules };
      };
      const counted = await engineMetrics(1);
      expect(counted.eventsIn).toBe(flows.flat().length);
      expect(counted.rules['odd ports'].errors).toBe(sinkErrors);
      expect(await engineMetrics(3)).toEqual(counted);
      // Correlating rules run on one thread, said so when --threads is given.
      const seq = await collect(client, datagrams, { threads: 2, rules: [correlating] });
      expect(seq.err).toMatch(/^vigil: --threads 2: running on one thread: rule "many ports" groups by source\.ip\n/);
      expect(seq.out).toBe(alerts);
    } finally {
      client.close();
    }
  }, 240_000);

  it('writes notes on datagrams without flows while it runs: a flood of malformed ones is not held in memory until a flow comes', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d) => (err += d));
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const abort = new AbortController();
    const count = 50;
    const notes = () => err.split('vigil: malformed packet from').length - 1;
    const running = runCollect(
      {
        udp: '127.0.0.1:0', rules: [simple], iocs: [], tables: [], threads: 2, guard: false, signal: abort.signal,
        onListening: ({ port }) => {
          const send = (i: number) => i < count && client.send(Uint8Array.of(0, 42, 0, 0), port, '127.0.0.1', () => send(i + 1));
          send(0);
        },
      },
      { stdin: new PassThrough(), stdout: new PassThrough(), stderr, version: 't' },
    );
    try {
      for (let waited = 0; notes() < count && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      // Before the collector stops: every datagram's note is out.
      expect(notes()).toBe(count);
    } finally {
      abort.abort();
      expect(await running).toBe(0);
      client.close();
    }
    expect(notes()).toBe(count);
  }, 60_000);
});
