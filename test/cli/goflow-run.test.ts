/**
 * goflow2 JSON through `vigil run` (regression: goflow2 lines through the flow pack gave 0 alerts,
 * src/io/from-goflow.ts was imported nowhere). The `flows` simulator's flows are rendered as
 * goflow2 v1 (CamelCase) and v2 (snake_case, nanosecond times) lines by a renderer written here;
 * the flow pack must give the same alerts on both renderings as on the flows as NetFlow events.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-goflow-'));

interface Flow {
  'source.ip': string;
  'source.port': number;
  'destination.ip': string;
  'destination.port': number;
  'network.iana_number': number;
  'network.bytes': number;
  'network.packets': number;
  'tcp.flags'?: number;
  'event.start': number;
  'event.end': number;
  'observer.ip': string;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'IPv6-ICMP' };
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

/** goflow2 v2 (`-format json`): snake_case, times in nanoseconds (written as exact integers). */
function goflowV2(f: Flow, sequence: number): string {
  const v6 = f['source.ip'].includes(':');
  const fields = [
    `"type":"IPFIX"`,
    `"time_received_ns":${ns(f['event.end'] + 1500)}`,
    `"sequence_num":${sequence}`,
    `"sampling_rate":0`,
    `"sampler_address":${JSON.stringify(f['observer.ip'])}`,
    `"time_flow_start_ns":${ns(f['event.start'])}`,
    `"time_flow_end_ns":${ns(f['event.end'])}`,
    `"bytes":${f['network.bytes']}`,
    `"packets":${f['network.packets']}`,
    `"src_addr":${JSON.stringify(f['source.ip'])}`,
    `"dst_addr":${JSON.stringify(f['destination.ip'])}`,
    `"etype":"${v6 ? 'IPv6' : 'IPv4'}"`,
    `"proto":"${PROTOCOL_NAMES[f['network.iana_number']] ?? f['network.iana_number']}"`,
    `"src_port":${f['source.port']}`,
    `"dst_port":${f['destination.port']}`,
    `"in_if":1`,
    `"out_if":2`,
    `"src_mac":"00:00:00:00:00:00"`,
    `"dst_mac":"00:00:00:00:00:00"`,
    `"tcp_flags":${f['tcp.flags'] ?? 0}`,
  ];
  return `{${fields.join(',')}}`;
}

/** goflow2 v1 (`-format json`): CamelCase, seconds and milliseconds, protocol numbers. */
function goflowV1(f: Flow, sequence: number): string {
  return JSON.stringify({
    Type: 'NETFLOW_V9',
    TimeReceived: Math.floor((f['event.end'] + 1500) / 1000),
    SequenceNum: sequence,
    SamplingRate: 0,
    SamplerAddress: f['observer.ip'],
    TimeFlowStart: Math.floor(f['event.start'] / 1000),
    TimeFlowEnd: Math.floor(f['event.end'] / 1000),
    TimeFlowStartMs: f['event.start'],
    TimeFlowEndMs: f['event.end'],
    Bytes: f['network.bytes'],
    Packets: f['network.packets'],
    SrcAddr: f['source.ip'],
    DstAddr: f['destination.ip'],
    Etype: f['source.ip'].includes(':') ? 34525 : 2048,
    Proto: f['network.iana_number'],
    SrcPort: f['source.port'],
    DstPort: f['destination.port'],
    InIf: 1,
    OutIf: 2,
    TCPFlags: f['tcp.flags'] ?? 0,
  });
}

const alertsOf = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

let netflow: string;
let v1: string;
let v2: string;
let flows: Flow[];
beforeAll(async () => {
  const simulated = join(dir, 'simulated.jsonl');
  const made = await runVigil(['simulate', 'flows', '--count', '40000', '--error-probability', '0.05', '--out', simulated]);
  expect(made.code).toBe(0);
  // As NetFlow gives them: the simulator's extra `timestamp` field dropped.
  flows = readFileSync(simulated, 'utf8').split('\n').filter(Boolean).map((l) => {
    const { timestamp, ...flow } = JSON.parse(l) as Flow & { timestamp: number };
    void timestamp;
    return flow;
  });
  netflow = join(dir, 'netflow.jsonl');
  writeFileSync(netflow, flows.map((f) => JSON.stringify(f)).join('\n') + '\n');
  v1 = join(dir, 'goflow-v1.jsonl');
  writeFileSync(v1, flows.map((f, i) => goflowV1(f, i + 1)).join('\n') + '\n');
  v2 = join(dir, 'goflow-v2.jsonl');
  writeFileSync(v2, flows.map((f, i) => goflowV2(f, i + 1)).join('\n') + '\n');
}, 120_000);

describe('goflow2 JSON lines through vigil run', () => {
  it('the flow pack gives the same alerts on goflow2 v1 and v2 as on NetFlow events (auto-detected)', async () => {
    const reference = await runVigil(['run', '--rules', 'rules/flows', netflow]);
    expect(reference.code).toBe(0);
    const expected = alertsOf(reference.stdout);
    // The simulator's attacks make every detection fire: a comparison of nothing proves nothing.
    const fired = new Set(expected.map((a) => a.rule));
    for (const rule of ['tcp horizontal port scan', 'ssh brute force', 'dns to external resolver']) expect(fired, rule).toContain(rule);

    for (const file of [v1, v2]) {
      const r = await runVigil(['run', '--rules', 'rules/flows', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(alertsOf(r.stdout)).toEqual(expected);
    }
  }, 120_000);

  it('--format goflow2 reads them too, and names a bad line', async () => {
    const lines = readFileSync(v2, 'utf8').split('\n').filter(Boolean).slice(0, 2000);
    lines.splice(10, 0, '{"src_addr":"10.0.0.1","proto":"TCP"}', `{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":"TCP","x":${'['.repeat(300)}${']'.repeat(300)}}`);
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const rules = join(dir, 'echo.vgl');
    writeFileSync(rules, 'RULE "echo"\nSOURCES kind = "flow"\nSINK function (e) { return { s: e["source.ip"], t: e["event.start"] }; }\n');
    const r = await runVigil(['run', '--rules', rules, '--format', 'goflow2', file]);
    expect(r.stderr).toBe(`${file}:11: goflow2: src_addr and dst_addr (SrcAddr, DstAddr) must be strings\n${file}:12: goflow2: nested deeper than 128\n`);
    expect(alertsOf(r.stdout)).toEqual(flows.slice(0, 2000).map((f) => ({ rule: 'echo', s: f['source.ip'], t: f['event.start'] })));
    // Read as plain JSON lines, the same file's records are no flow events.
    const plain = await runVigil(['run', '--rules', rules, '--format', 'jsonl', file]);
    expect(alertsOf(plain.stdout)).toEqual([]);
  }, 120_000);
});
