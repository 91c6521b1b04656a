/**
 * Issue 12: one forged timestamp must not blind the windowed rules. A JSON line a day ahead (and
 * one dated 2099) in the middle of simulated flow traffic, through `vigil run --rules rules/flows`:
 * every detection of a run without the forged lines still fires, the forged lines are reported as
 * vigil.future, and nothing is late. The oracle is the run without the forged lines (itself checked
 * against an independent recount in rules.test.ts), and the run of an engine without the
 * quarantine shows what the forged line did before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator } from '../../src/simulate/index.js';
import { runVigil } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-forged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DETECTIONS = ['tcp horizontal port scan', 'tcp vertical port scan', 'ssh brute force', 'dns to external resolver'];
let clean: string[];
let lines: string[];
let middle: number;

const alertsOf = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const detections = (alerts: Record<string, unknown>[]) => alerts.filter((a) => DETECTIONS.includes(a.rule as string)).map((a) => JSON.stringify(a));

beforeAll(async () => {
  const generator = createGenerator('flows', { seed: 3, rate: 100, errorProbability: 0.1 });
  const simulated = [...generator.take(30_000), ...generator.settle()];
  lines = simulated.map((s) => JSON.stringify(s.event));
  middle = Math.floor(lines.length / 2);
  writeFileSync(join(dir, 'clean.jsonl'), lines.join('\n') + '\n');
  const run = await runVigil(['run', '--rules', 'rules/flows', join(dir, 'clean.jsonl')]);
  expect(run.code, run.stderr).toBe(0);
  clean = detections(alertsOf(run.stdout));
  expect(new Set(clean.map((a) => JSON.parse(a).rule)).size).toBe(DETECTIONS.length);
}, 120_000);

describe('a forged timestamp in the middle of flow traffic', () => {
  for (const [label, shift] of [
    ['a line a day ahead', 86_400_000],
    ['a line dated 2099', Date.UTC(2099, 0, 1)],
  ] as const) {
    it(`${label}: every detection still fires, the line is reported, nothing is late`, async () => {
      const original = JSON.parse(lines[middle]) as Record<string, number>;
      const forged = { ...original, 'event.start': shift > 1e12 ? shift : original['event.start'] + shift, 'event.end': shift > 1e12 ? shift : original['event.end'] + shift };
      writeFileSync(join(dir, 'forged.jsonl'), [...lines.slice(0, middle), JSON.stringify(forged), ...lines.slice(middle)].join('\n') + '\n');
      const run = await runVigil(['run', '--rules', 'rules/flows', '--metrics', join(dir, 'forged.jsonl')]);
      expect(run.code, run.stderr).toBe(0);
      expect(detections(alertsOf(run.stdout))).toEqual(clean);
      expect(run.stderr).toMatch(/vigil\.future/);
      expect(run.stderr).toContain(String(forged['event.start']));
      expect(run.stderr).toMatch(/"lateEvents":\s*0/);
      expect(run.stderr).toMatch(/"quarantined":\s*1\b/);
    }, 120_000);
  }
});
