/**
 * A real exporter: softflowd (Debian package `softflowd`) reads a pcap this test writes and exports
 * NetFlow v5, v9 and IPFIX to `vigil collect` on loopback. The flows must be the pcap's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCollect } from '../../src/cli/collect.js';
import type { CliIO } from '../../src/cli/io.js';
import { buildPcap, ipLength, type PacketSpec } from './pcap.js';

const SOFTFLOWD = ['/usr/sbin/softflowd', 'softflowd'].find((p) => spawnSync(p, ['-h']).error === undefined);
const dir = mkdtempSync(join(tmpdir(), 'vigil-softflowd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2026, 0, 1, 0, 0, 0);
const S = 2, A = 16, P = 8, F = 1;
const PACKETS: PacketSpec[] = [
  // ssh: 10.0.0.1:40000 <-> 10.0.0.2:22
  { time: T, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', sport: 40000, dport: 22, flags: S },
  { time: T + 12, src: '10.0.0.2', dst: '10.0.0.1', protocol: 'tcp', sport: 22, dport: 40000, flags: S | A },
  { time: T + 20, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', sport: 40000, dport: 22, flags: A },
  { time: T + 150, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', sport: 40000, dport: 22, flags: P | A, payload: 120 },
  { time: T + 310, src: '10.0.0.2', dst: '10.0.0.1', protocol: 'tcp', sport: 22, dport: 40000, flags: P | A, payload: 600 },
  { time: T + 900, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', sport: 40000, dport: 22, flags: F | A },
  // dns: 10.0.0.3:5353 -> 8.8.8.8:53 and back
  { time: T + 40, src: '10.0.0.3', dst: '8.8.8.8', protocol: 'udp', sport: 5353, dport: 53, payload: 40 },
  { time: T + 75, src: '8.8.8.8', dst: '10.0.0.3', protocol: 'udp', sport: 53, dport: 5353, payload: 120 },
  // a lone SYN (a scan probe): 203.0.113.5:50000 -> 10.0.0.9:445
  { time: T + 500, src: '203.0.113.5', dst: '10.0.0.9', protocol: 'tcp', sport: 50000, dport: 445, flags: S },
  // web: 10.0.0.4:41000 -> 10.0.0.5:80, payload-heavy
  { time: T + 1000, src: '10.0.0.4', dst: '10.0.0.5', protocol: 'tcp', sport: 41000, dport: 80, flags: S },
  { time: T + 1001, src: '10.0.0.4', dst: '10.0.0.5', protocol: 'tcp', sport: 41000, dport: 80, flags: P | A, payload: 1400 },
  { time: T + 1002, src: '10.0.0.4', dst: '10.0.0.5', protocol: 'tcp', sport: 41000, dport: 80, flags: P | A, payload: 1400 },
  { time: T + 1003, src: '10.0.0.4', dst: '10.0.0.5', protocol: 'tcp', sport: 41000, dport: 80, flags: P | A, payload: 777 },
];

interface Expected {
  'source.ip': string;
  'source.port': number;
  'destination.ip': string;
  'destination.port': number;
  'network.transport': string;
  'network.packets': number;
  'network.bytes': number;
  'tcp.flags'?: number;
  'event.start': number;
  'event.end': number;
}

/** The unidirectional flows of the pcap. */
function expectedFlows(packets: readonly PacketSpec[]): Expected[] {
  const flows = new Map<string, Expected>();
  for (const p of packets) {
    const key = `${p.src}|${p.sport}|${p.dst}|${p.dport}|${p.protocol}`;
    let f = flows.get(key);
    if (!f) {
      f = { 'source.ip': p.src, 'source.port': p.sport, 'destination.ip': p.dst, 'destination.port': p.dport, 'network.transport': p.protocol, 'network.packets': 0, 'network.bytes': 0, 'event.start': p.time, 'event.end': p.time };
      if (p.protocol === 'tcp') f['tcp.flags'] = 0;
      flows.set(key, f);
    }
    f['network.packets']++;
    f['network.bytes'] += ipLength(p);
    if (p.protocol === 'tcp') f['tcp.flags']! |= p.flags ?? 0;
    f['event.start'] = Math.min(f['event.start'], p.time);
    f['event.end'] = Math.max(f['event.end'], p.time);
  }
  // softflowd keeps one record per conversation and gives both directions its first and last time
  const conversation = (f: Expected) => [`${f['source.ip']}:${f['source.port']}`, `${f['destination.ip']}:${f['destination.port']}`].sort().join('|');
  const spans = new Map<string, [number, number]>();
  for (const f of flows.values()) {
    const s = spans.get(conversation(f)) ?? [Infinity, -Infinity];
    spans.set(conversation(f), [Math.min(s[0], f['event.start']), Math.max(s[1], f['event.end'])]);
  }
  for (const f of flows.values()) [f['event.start'], f['event.end']] = spans.get(conversation(f))!;
  return [...flows.values()].sort(order);
}

const order = (a: Expected, b: Expected) => `${a['source.ip']}:${a['source.port']}`.localeCompare(`${b['source.ip']}:${b['source.port']}`);

const pcap = join(dir, 'flows.pcap');
writeFileSync(pcap, buildPcap(PACKETS));
const rules = join(dir, 'all.vgl');
writeFileSync(rules, 'RULE "every flow"\nSOURCES kind = "flow"\nSINK function (e) { return e; }\n');

function memoryIO(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdin: new PassThrough(), stdout, stderr, version: 'test', out: () => out, err: () => err };
}

/** Runs softflowd against a collector; resolves with the alerts (one per flow) and stderr. */
async function collectFrom(version: string): Promise<{ flows: Record<string, unknown>[]; stderr: string; exit: number | null }> {
  const io = memoryIO();
  const stop = new AbortController();
  let exit: number | null = null;
  const done = runCollect(
    {
      udp: '127.0.0.1:0',
      rules: [rules],
      iocs: [],
      tables: [],
      signal: stop.signal,
      durationMs: 20_000,
      onListening: ({ port }) => {
        const child = spawn(SOFTFLOWD!, ['-r', pcap, '-n', `127.0.0.1:${port}`, '-v', version, '-a', '-d', '-p', join(dir, `sf${version}.pid`), '-c', 'none'], { stdio: 'ignore' });
        // (-c none: no control socket, which with some paths keeps softflowd from exiting at EOF)
        // the datagrams are on the loopback before softflowd exits; give the event loop a turn to read them
        child.on('exit', (code) => {
          exit = code;
          setTimeout(() => stop.abort(), 300);
        });
      },
    },
    io,
  );
  expect(await done).toBe(0);
  const flows = io.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { flows, stderr: io.err(), exit };
}

describe.skipIf(!SOFTFLOWD)('softflowd → vigil collect', () => {
  const expected = expectedFlows(PACKETS);

  it.each([
    ['5', 'NetFlow v5'],
    ['9', 'NetFlow v9'],
    ['10', 'IPFIX'],
  ])('-v %s (%s): the collector decodes exactly the pcap flows', async (version) => {
    const { flows, stderr, exit } = await collectFrom(version);
    expect(exit).toBe(0);
    expect(stderr).not.toMatch(/malformed|no template/);
    const got = flows
      .map((f) => {
        const e: Expected = {
          'source.ip': f['source.ip'] as string,
          'source.port': f['source.port'] as number,
          'destination.ip': f['destination.ip'] as string,
          'destination.port': f['destination.port'] as number,
          'network.transport': f['network.transport'] as string,
          'network.packets': f['network.packets'] as number,
          'network.bytes': f['network.bytes'] as number,
          'event.start': f['event.start'] as number,
          'event.end': f['event.end'] as number,
        };
        if (f['tcp.flags'] !== undefined) e['tcp.flags'] = f['tcp.flags'] as number;
        return e;
      })
      .sort(order);
    const withoutTimes = (list: Expected[]) => list.map(({ 'event.start': _s, 'event.end': _e, ...rest }) => rest);
    expect(withoutTimes(got)).toEqual(withoutTimes(expected));
    for (const f of flows) {
      expect(f.kind).toBe('flow');
      expect(f['observer.ip']).toBe('127.0.0.1');
      expect(f.rule).toBe('every flow');
    }
    // durations are the pcap's, to the exporter's millisecond clock
    for (let i = 0; i < got.length; i++) expect(got[i]['event.end'] - got[i]['event.start']).toBe(expected[i]['event.end'] - expected[i]['event.start']);
    // with -a softflowd exports the pcap's clock: exact for v5 (export ns) and IPFIX (systemInitTime
    // in ms); NetFlow v9's header carries whole export seconds only, so its times may be early by < 1 s
    for (let i = 0; i < got.length; i++) {
      const lag = expected[i]['event.start'] - got[i]['event.start'];
      if (version === '9') expect(lag >= 0 && lag < 1000).toBe(true);
      else expect(lag).toBe(0);
    }
  });
});

if (!SOFTFLOWD) console.warn('softflowd is not installed (Debian: apt-get install softflowd): the real-exporter tests are skipped');
