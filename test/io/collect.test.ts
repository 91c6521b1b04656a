/** `vigil collect` on loopback: malformed datagrams are reported with their exporter and skipped. */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHostPort, runCollect } from '../../src/cli/collect.js';
import { UsageError } from '../../src/cli/io.js';
import { ipfixPacket, set, templateRecord, v4Record, V4_FIELDS, v5Packet } from './packets.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rules = join(dir, 'all.vgl');
writeFileSync(rules, 'RULE "every flow"\nSOURCES kind = "flow"\nSINK function (e) { return { src: e["source.ip"], dport: e["destination.port"] }; }\n');

const rec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 22, proto: 6, flags: 2, bytes: 44, packets: 1, first: 1, last: 1 };

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

  it('parses host:port', () => {
    expect(parseHostPort('0.0.0.0:2055')).toEqual({ host: '0.0.0.0', port: 2055 });
    expect(parseHostPort('[::1]:4739')).toEqual({ host: '::1', port: 4739 });
    expect(() => parseHostPort('2055')).toThrow(UsageError);
  });
});
