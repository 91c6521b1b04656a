import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/cli/io.js';
import { parseSimulateArgs, runSimulate, type SimulateSpec } from '../../src/cli/simulate.js';
import { createGenerator } from '../../src/simulate/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-simulate-'));
const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function simulate(spec: SimulateSpec): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runSimulate(spec, { stdin: Readable.from([]), stdout, stderr, version: 'test' });
  return { code, stdout: out, stderr: err };
}

describe('vigil simulate', () => {
  it('writes count events as JSON lines, the same as the generator gives', async () => {
    const r = await simulate({ generator: 'network', seed: 3, count: 2500, errorProbability: 0.1, capacity: 50 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const expected = createGenerator('network', { seed: 3, errorProbability: 0.1, capacity: 50 }).take(2500).map((s) => s.event);
    expect(lines(r.stdout)).toEqual(expected);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect((await simulate({ generator: 'noise' })).stdout.split('\n').filter(Boolean).length).toBe(1000);
  });

  it('writes the truth file: one {index, truthKey, incident} line per anomaly, index counting events from 0', async () => {
    const out = join(dir, 'events.jsonl');
    const truth = join(dir, 'truth.jsonl');
    const r = await simulate({ generator: 'bruteforce', seed: 4, count: 20_000, errorProbability: 0.02, out, truth });
    expect(r.stdout).toBe('');
    const events = lines(readFileSync(out, 'utf8'));
    const g = createGenerator('bruteforce', { seed: 4, errorProbability: 0.02 });
    const stream = [...g.take(20_000), ...g.settle()];
    expect(events.length).toBe(stream.length);
    expect(events.length).toBeGreaterThanOrEqual(20_000);
    expect(events).toEqual(stream.map((s) => s.event));
    const expectedTruth = stream.flatMap((s, index) => (s.anomaly ? [{ index, truthKey: s.truthKey, incident: s.incident }] : []));
    expect(expectedTruth.length).toBeGreaterThan(100);
    expect(lines(readFileSync(truth, 'utf8'))).toEqual(expectedTruth);
    for (const t of expectedTruth) expect(`${events[t.index].user}@${events[t.index].server}`).toBe(t.truthKey);
  });

  it('writes an empty truth file when there are no anomalies', async () => {
    const truth = join(dir, 'none.jsonl');
    await simulate({ generator: 'wave', count: 10, truth, period: 1000 });
    expect(readFileSync(truth, 'utf8')).toBe('');
  });

  it('parses its flags', () => {
    expect(
      parseSimulateArgs(['network', '--seed', '7', '--rate', '250.5', '--count', '10', '--error-probability', '0.05', '--capacity', '20', '--truth', 't', '--out', 'o', '--start', '2026-02-01T00:00:00Z']),
    ).toEqual({
      generator: 'network',
      seed: 7,
      rate: 250.5,
      count: 10,
      errorProbability: 0.05,
      capacity: 20,
      period: undefined,
      shape: undefined,
      startTime: Date.UTC(2026, 1, 1),
      truth: 't',
      out: 'o',
    });
    expect(parseSimulateArgs(['wave', '--period', '1000', '--shape', 'square', '--start', '0'])).toMatchObject({ generator: 'wave', period: 1000, shape: 'square', startTime: 0 });
    expect(parseSimulateArgs(['--help'])).toBe('help');
    expect(() => parseSimulateArgs([])).toThrow(UsageError);
    expect(() => parseSimulateArgs(['network', 'wave'])).toThrow(UsageError);
    expect(() => parseSimulateArgs(['network', '--count', 'ten'])).toThrow(/--count takes a whole number/);
    expect(() => parseSimulateArgs(['network', '--start', 'yesterday'])).toThrow(/--start/);
    expect(() => parseSimulateArgs(['network', '--bogus'])).toThrow();
  });

  it('reports bad generators, bad values and unwritable files as usage or input errors', async () => {
    await expect(simulate({ generator: 'nope' })).rejects.toThrow(UsageError);
    await expect(simulate({ generator: 'nope' })).rejects.toThrow(/known: network, bruteforce, portscan, wave, noise/);
    await expect(simulate({ generator: 'network', errorProbability: 2 })).rejects.toThrow(/errorProbability must be in \[0, 1\]/);
    await expect(simulate({ generator: 'network', rate: 0 })).rejects.toThrow(UsageError);
    await expect(simulate({ generator: 'wave', shape: 'triangle' })).rejects.toThrow(/shape/);
    await expect(simulate({ generator: 'network', out: join(dir, 'missing', 'x.jsonl') })).rejects.toThrow(InputError);
  });
});
