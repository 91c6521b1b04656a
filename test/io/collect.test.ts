/** `vigil collect` on loopback: malformed datagrams are reported with their exporter and skipped. */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHostPort, runCollect, type CollectSpec } from '../../src/cli/collect.js';
import { UsageError } from '../../src/cli/io.js';
import { ipfixPacket, set, templateRecord, v4Record, V4_FIELDS, v5Packet, v9Packet } from './packets.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rules = join(dir, 'all.vgl');
writeFileSync(rules, 'RULE "every flow"\nSOURCES kind = "flow"\nSINK function (e) { return { src: e["source.ip"], dport: e["destination.port"] }; }\n');

const rec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 22, proto: 6, flags: 2, bytes: 44, packets: 1, first: 1, last: 1 };

/** Sends the datagrams one at a time to an in-process collector that stops after the last. */
async function collectDatagrams(datagrams: Uint8Array[], spec: Partial<CollectSpec> = {}): Promise<{ out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  const code = await runCollect(
    {
      udp: '127.0.0.1:0', rules: [rules], iocs: [], tables: [], maxPackets: datagrams.length, durationMs: 10_000, ...spec,
      onListening: ({ port }) => {
        const send = (i: number) => i < datagrams.length && client.send(datagrams[i], port, '127.0.0.1', () => send(i + 1));
        send(0);
      },
    },
    { stdin: new PassThrough(), stdout, stderr, version: 't' },
  );
  client.close();
  expect(code).toBe(0);
  return { out, err };
}

describe('vigil collect', () => {
  it('decodes good datagrams, reports and skips bad ones, stops after maxPackets', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const from = client.address().port;
    const datagrams = [
      v5Packet([rec]),
      new Uint8Array([0, 5, 0, 9, 1]), // truncated v5
      new Uint8Array([0, 42, 0, 0]), // unknown version
      ipfixPacket([set(256, v4Record(rec))]), // data before its template
      ipfixPacket([set(2, templateRecord(256, V4_FIELDS)), set(256, v4Record({ ...rec, dport: 80 }))]),
    ];
    const code = await runCollect(
      {
        udp: '127.0.0.1:0', rules: [rules], iocs: [], tables: [], maxPackets: datagrams.length, durationMs: 10_000,
        onListening: ({ port }) => {
          // one at a time, in order
          const send = (i: number) => i < datagrams.length && client.send(datagrams[i], port, '127.0.0.1', () => send(i + 1));
          send(0);
        },
      },
      { stdin: new PassThrough(), stdout, stderr, version: 't' },
    );
    client.close();
    expect(code).toBe(0);
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { rule: 'every flow', src: '10.0.0.1', dport: 22 },
      { rule: 'every flow', src: '10.0.0.1', dport: 80 },
    ]);
    expect(err).toContain(`vigil: malformed packet from 127.0.0.1:${from}: truncated:`);
    expect(err).toContain(`vigil: malformed packet from 127.0.0.1:${from}: bad-version: unsupported flow export version 42`);
    expect(err).toContain(`no template 256 from 127.0.0.1:${from}`);
    expect(err).toMatch(/5 packets, 2 flows, 2 malformed, 1 data sets without template, 2 alerts/);
  });

  it('missing-template notes ignore the v9 source id, and IPFIX is labelled "NetFlow v10": notes name the source id / domain and IPFIX as such', async () => {
    const { err } = await collectDatagrams([
      v9Packet([set(256, v4Record(rec))], { sourceId: 7 }),
      v9Packet([set(256, v4Record(rec))], { sourceId: 8 }),
      ipfixPacket([set(256, v4Record(rec))], { domain: 3 }),
    ]);
    expect(err).toMatch(/no template 256 from 127\.0\.0\.1:\d+ \(NetFlow v9 source id 7\)/);
    // another source id is another session: noted too
    expect(err).toMatch(/no template 256 from 127\.0\.0\.1:\d+ \(NetFlow v9 source id 8\)/);
    expect(err).toMatch(/no template 256 from 127\.0\.0\.1:\d+ \(IPFIX observation domain 3\)/);
    expect(err).not.toContain('v10');
  });

  it('UDP loss is silent: a gap in the sequence numbers is reported with the flows lost, per exporter and domain, and in --metrics', async () => {
    const flows = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rec, dport: 1000 + i }));
    // engine 2 sends 3 datagrams of 30, 30 and 10 flows; the second never arrives
    const { out, err } = await collectDatagrams([v5Packet(flows(30), { sequence: 0, engineId: 2 }), v5Packet(flows(10), { sequence: 60, engineId: 2 })], { metrics: true });
    expect(out.trim().split('\n')).toHaveLength(40);
    expect(err).toMatch(/flows lost in transit \(sequence numbers\): ~30 in all — 127\.0\.0\.1:\d+ NetFlow v5 engine 2: ~30 flows \(30 records in 1 gaps\)/);
    const metrics = JSON.parse(err.split('\n').filter((l) => l.startsWith('{')).pop()!);
    expect(metrics.collector.flowsLost).toBe(30);
    expect(metrics.collector.exporters[0]).toMatchObject({ version: 'NetFlow v5', domain: 2, source: '127.0.0.1#2', flows: 40, sequence: { gaps: 1, lostUnits: 30, estimatedFlowsLost: 30 } });
  });

  it('reports the receive buffer granted, and says when the system gave less than asked', async () => {
    const { err } = await collectDatagrams([v5Packet([rec])], { receiveBufferBytes: 1 << 30 });
    expect(err).toMatch(/receive buffer \d+ (bytes|KiB|MiB), less than the 1024 MiB asked for/);
    if (process.platform === 'linux') expect(err).toMatch(/Linux caps it at net\.core\.rmem_max/);
    const small = await collectDatagrams([v5Packet([rec])], { receiveBufferBytes: 64 * 1024 });
    expect(small.err).toMatch(/receive buffer 64 KiB\n/);
  });

  it('a burst the rules cannot keep up with waits in a bounded receive queue; what the queue turns away is counted, reported, and shows in the sequence numbers', async () => {
    const flows = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rec, dport: 1000 + i }));
    const burst = Array.from({ length: 20 }, (_, i) => Buffer.from(v5Packet(flows(30), { sequence: i * 30 })).toString('base64'));
    const final = v5Packet(flows(5), { sequence: 600 });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stderr.on('data', (d) => (err += d));
    // the burst and the datagram after it come from one exporter port (one session)
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const exporterPort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    let collectorPort = 0;
    const client = createSocket('udp4');
    let resumed = false;
    stdout.on('data', (d) => {
      out += d;
      // the queue has drained the one datagram it kept: the exporter goes on
      if (out.split('\n').length > 30 && !resumed) {
        resumed = true;
        client.once('listening', () => client.send(final, collectorPort, '127.0.0.1'));
        client.bind(exporterPort, '127.0.0.1');
      }
    });
    const code = await runCollect(
      {
        udp: '127.0.0.1:0', rules: [rules], iocs: [], tables: [], maxPackets: 2, durationMs: 10_000, metrics: true,
        // room for one full v5 datagram (1,464 bytes)
        receiveQueueBytes: 1500,
        onListening: ({ port }) => {
          collectorPort = port;
          // another process sends the burst while this one is blocked: all 20 wait in the kernel, and are read in one go
          const sender = `const s = require('node:dgram').createSocket('udp4'); const all = ${JSON.stringify(burst)}; s.bind(${exporterPort}, '127.0.0.1', () => { let n = 0; for (const b of all) s.send(Buffer.from(b, 'base64'), ${port}, '127.0.0.1', () => { if (++n === all.length) s.close(); }); });`;
          expect(spawnSync(process.execPath, ['-e', sender]).status).toBe(0);
        },
      },
      { stdin: new PassThrough(), stdout, stderr, version: 't' },
    );
    client.close();
    expect(code).toBe(0);
    expect(out.trim().split('\n'), err).toHaveLength(35);
    const metrics = JSON.parse(err.split('\n').filter((l) => l.startsWith('{')).pop()!);
    expect(metrics.collector.receiveQueue).toMatchObject({ limitBytes: 1500, dropped: 19 });
    expect(err).toContain("vigil: 19 datagrams dropped because the collector's receive queue was full (1500 bytes)");
    // the exporter's own numbering says 19 × 30 flows never reached the rules
    expect(metrics.collector.flowsLost).toBe(570);
  });

  it('parses host:port', () => {
    expect(parseHostPort('0.0.0.0:2055')).toEqual({ host: '0.0.0.0', port: 2055 });
    expect(parseHostPort('[::1]:4739')).toEqual({ host: '::1', port: 4739 });
    expect(() => parseHostPort('2055')).toThrow(UsageError);
  });
});
