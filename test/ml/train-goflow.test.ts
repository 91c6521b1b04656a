/**
 * `vigil train` on goflow2 JSON (v2 snake_case, v1 CamelCase): the goflow2 rendering of simulated
 * flows trains exactly the model their Vigil flow events train (the oracle), told apart by the first
 * line or by --format; bad goflow2 lines are reported by line and skipped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModel } from '../../src/ml/index.js';
import { createGenerator } from '../../src/simulate/index.js';
import { runVigil } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-train-goflow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Flow = Record<string, any>;
const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };

/**
 * goflow2 v2 (`-format json`): times in ns. A JSON number holds ns exactly only down to 256 ns at
 * today's epoch, so the flows below start and end on whole seconds, which it holds exactly.
 */
const goflowV2 = (f: Flow, i: number) => ({
  type: 'IPFIX', time_received_ns: (f['event.end'] + 1000) * 1e6, sequence_num: i, sampling_rate: 0, sampler_address: f['observer.ip'],
  time_flow_start_ns: f['event.start'] * 1e6, time_flow_end_ns: f['event.end'] * 1e6, bytes: f['network.bytes'], packets: f['network.packets'],
  src_addr: f['source.ip'], dst_addr: f['destination.ip'], etype: 'IPv4', proto: PROTO_NAMES[f['network.iana_number']], src_port: f['source.port'], dst_port: f['destination.port'],
  ...(f['tcp.flags'] === undefined ? {} : { tcp_flags: f['tcp.flags'] }),
});
/** goflow2 v1: times in seconds, protocol as a number. */
const goflowV1 = (f: Flow, i: number) => ({
  Type: 'NETFLOW_V9', TimeReceived: f['event.end'] / 1000 + 1, SequenceNum: i, SamplingRate: 0, SamplerAddress: f['observer.ip'],
  TimeFlowStart: f['event.start'] / 1000, TimeFlowEnd: f['event.end'] / 1000, Bytes: f['network.bytes'], Packets: f['network.packets'],
  SrcAddr: f['source.ip'], DstAddr: f['destination.ip'], Etype: 2048, Proto: f['network.iana_number'], SrcPort: f['source.port'], DstPort: f['destination.port'],
  ...(f['tcp.flags'] === undefined ? {} : { TCPFlags: f['tcp.flags'] }),
});

let flows: { flow: Flow; anomaly: boolean }[];
const files = { flow: join(dir, 'flows.jsonl'), v2: join(dir, 'goflow-v2.jsonl'), v1: join(dir, 'goflow-v1.jsonl') };

beforeAll(() => {
  const g = createGenerator('flows', { seed: 3, rate: 20, errorProbability: 0.05 });
  flows = [...g.take(20 * 60 * 6), ...g.settle()].map((s) => {
    const f = { ...(s.event as Flow) };
    f['event.start'] = Math.floor(f['event.start'] / 1000) * 1000;
    f['event.end'] = Math.max(f['event.start'], Math.floor(f['event.end'] / 1000) * 1000);
    f.timestamp = f['event.start'];
    return { flow: f, anomaly: s.anomaly };
  });
  writeFileSync(files.flow, flows.map(({ flow, anomaly }) => JSON.stringify({ ...flow, anomaly })).join('\n'));
  writeFileSync(files.v2, flows.map(({ flow, anomaly }, i) => JSON.stringify({ ...goflowV2(flow, i), anomaly })).join('\n'));
  writeFileSync(files.v1, flows.map(({ flow, anomaly }, i) => JSON.stringify({ ...goflowV1(flow, i), anomaly })).join('\n'));
});

const train = async (input: string, ...options: string[]) => {
  const out = join(dir, `model-${Math.random().toString(36).slice(2)}.json`);
  const run = await runVigil(['train', input, '--out', out, ...options]);
  return { ...run, model: run.code === 0 ? checkModel(JSON.parse(readFileSync(out, 'utf8'))) : undefined };
};

describe('vigil train on goflow2 JSON', () => {
  it('trains from goflow2 v2 and v1 lines exactly the model the same flows as Vigil flow events train', async () => {
    const oracle = await train(files.flow);
    expect(oracle.code).toBe(0);
    expect(oracle.stderr).toMatch(new RegExp(`vigil: ${flows.length} flows, \\d+ feature rows \\(host-baseline, \\d+ host baselines\\)`));
    for (const file of [files.v2, files.v1]) {
      const got = await train(file);
      expect(got.stderr).toContain(`vigil: ${flows.length} goflow2 flows,`);
      expect(got.model).toEqual(oracle.model);
    }
    // the raw feature set too, and the model finds anomalies (the labels came through)
    const raw = await train(files.v2, '--features', 'raw');
    expect(raw.model).toEqual((await train(files.flow, '--features', 'raw')).model);
    expect(oracle.model!.pointLabels).toContain('anomalous');
  }, 240_000);

  it('--format says what the first line cannot; bad goflow2 lines are named and skipped', async () => {
    const mixed = join(dir, 'mixed.jsonl');
    const lines = readFileSync(files.v2, 'utf8').split('\n').slice(0, 2000);
    lines.splice(0, 0, 'not json');
    lines.splice(10, 0, JSON.stringify({ src_addr: '10.0.0.1', proto: 'TCP' }));
    writeFileSync(mixed, lines.join('\n'));
    const forced = await train(mixed, '--format', 'goflow2');
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(`${mixed}:1: malformed JSON`);
    expect(forced.stderr).toContain(`${mixed}:11: not a goflow2 flow: src_addr and dst_addr (SrcAddr, DstAddr) must be strings`);
    expect(forced.stderr).toContain('vigil: 2000 goflow2 flows,'); // 2000 good lines of 2002
    // read as Vigil flow events, goflow2 lines have no source.ip: no rows
    const wrong = await train(files.v2, '--format', 'jsonl');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('gives 0 feature rows');
    const unknown = await runVigil(['train', files.v2, '--out', join(dir, 'x.json'), '--format', 'csv']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--format takes auto, jsonl, goflow2, got 'csv'");
  }, 120_000);
});
