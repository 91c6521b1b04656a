/**
 * Exactly once across crashes, the way Flink's checkpointing tests check it: the real `vigil run`
 * is killed with SIGKILL at many random moments and resumed from its last checkpoint each time;
 * the final output file must equal the output of an uninterrupted run, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAndKill } from './kill-run.js';

const bin = join(process.cwd(), 'bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-resume-'));
const T0 = Date.UTC(2026, 0, 1);

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const rules = `
RULE "bad dst" SOURCES kind = "conn" IOC FILTERS in bad(dst) SINK function (e) { return { src: e.src, dst: e.dst, ts: e.ts }; }
RULE "burst" SOURCES kind = "conn" USING ts AGGREGATE BY src WITHIN 10:sec, 5:sec
HAVING function (events) { let n = 0; for (const e of events) if (e.port < 1024) n++; return n >= 4 ? { low: n } : null; }
SINK function (a) { return a; }
RULE "repeat offender" SOURCES rule = "burst" USING windowEnd AGGREGATE BY src WITHIN 1:min, 1:min
HAVING function (alerts) { return alerts.length >= 3; } SINK function (a) { return { src: a.src, bursts: a.count }; }
`;

function writeInputs(count: number): { events: string; rulesFile: string; ioc: string } {
  const random = seeded(99);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const src = `10.0.${Math.floor(random() * 4)}.${Math.floor(random() * 50)}`;
    const jitter = Math.floor(random() * 2000);
    lines.push(JSON.stringify({ kind: 'conn', src, dst: `192.0.2.${Math.floor(random() * 256)}`, port: Math.floor(random() * 4096), ts: T0 + i * 20 - jitter }));
    if (i % 997 === 0) lines.push('{ this line is not JSON');
  }
  const events = join(dir, 'events.jsonl');
  writeFileSync(events, lines.join('\n') + '\n');
  const rulesFile = join(dir, 'rules.vgl');
  writeFileSync(rulesFile, rules);
  const ioc = join(dir, 'bad.txt');
  writeFileSync(ioc, '192.0.2.7\n192.0.2.77\n');
  return { events, rulesFile, ioc };
}


/** On a difference, says where: the first differing line of each side, and the line counts. */
function expectSameLines(actual: string, expected: string): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const at = a.findIndex((line, i) => line !== e[i]);
  if (at >= 0 || a.length !== e.length) {
    expect({ lines: a.length, firstDifference: at, actual: a[at] }).toEqual({ lines: e.length, firstDifference: -1, actual: undefined });
  }
}

/** Runs `vigil run` with checkpoints, SIGKILLing it at random moments and resuming, until it finishes. */
async function killAndResume(common: string[], events: string, name: string, seed: number): Promise<{ out: string; ckpt: string; kills: number }> {
  const out = join(dir, `${name}.out.jsonl`);
  const ckpt = join(dir, `${name}.ckpt`);
  rmSync(ckpt, { force: true });
  const random = seeded(seed);
  let kills = 0;
  let resumes = 0;
  let finished = false;
  for (let attempt = 0; attempt < 12 && !finished; attempt++) {
    const args = [...common, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '2048'];
    if (existsSync(ckpt)) {
      args.push('--resume', ckpt);
      resumes++;
    }
    // The first attempt dies during start-up; the others at a random moment after a new checkpoint
    // (often in the middle of writing output or the next checkpoint).
    const kill = attempt === 0 ? { atMs: 30 } : { afterCheckpointMs: Math.floor(random() * 120) };
    const result = await runAndKill([...args, events], ckpt, kill);
    if (result.killed) kills++;
    else {
      expect(result.code, result.stderr).toBe(0);
      finished = true;
    }
  }
  if (!finished) {
    const last = spawnSync(bin, [...common, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '2048', ...(existsSync(ckpt) ? ['--resume', ckpt] : []), events], { encoding: 'utf8' });
    expect(last.status, last.stderr).toBe(0);
  }
  expect(kills).toBeGreaterThanOrEqual(5);
  expect(resumes).toBeGreaterThanOrEqual(3);
  return { out, ckpt, kills };
}

describe('vigil run --checkpoint / --resume', () => {
  it('produces the uninterrupted output byte for byte after many SIGKILLs', async () => {
    const { events, rulesFile, ioc } = writeInputs(60_000);
    const common = ['run', '--rules', rulesFile, '--ioc', `bad=${ioc}`, '--out-of-order', '2000'];
    const full = join(dir, 'full.jsonl');
    const clean = spawnSync(bin, [...common, '--out', full, events], { encoding: 'utf8' });
    expect(clean.status).toBe(0);
    const expected = readFileSync(full);
    expect(expected.toString().split('\n').filter(Boolean).length).toBeGreaterThan(100);
    expect(expected.toString()).toContain('"rule":"repeat offender"');

    const { out, ckpt } = await killAndResume(common, events, 'agg', 7);
    expectSameLines(readFileSync(out, 'utf8'), expected.toString());
    expect(readFileSync(out).equals(expected)).toBe(true);

    // Resuming a finished run changes nothing.
    const again = spawnSync(bin, [...common, '--out', out, '--checkpoint', ckpt, '--resume', ckpt, events], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(readFileSync(out).equals(expected)).toBe(true);
  }, 120_000);

  it.each([
    [0, 11],
    [0.01, 12],
  ])('gives the network rule pack the same alerts after SIGKILLs (error probability %f)', async (errorProbability, seed) => {
    const events = join(dir, `net-${errorProbability}.jsonl`);
    const sim = spawnSync(bin, ['simulate', 'network', '--count', '300000', '--capacity', '2000', '--rate', '500', '--seed', String(seed), '--error-probability', String(errorProbability), '--out', events], { encoding: 'utf8' });
    expect(sim.status, sim.stderr).toBe(0);
    const common = ['run', '--rules', 'rules/network-protocol.vgl', '--out-of-order', '0'];
    const full = join(dir, `net-${errorProbability}.full.jsonl`);
    expect(spawnSync(bin, [...common, '--out', full, events]).status).toBe(0);
    const expected = readFileSync(full);
    const { out } = await killAndResume(common, events, `net-${errorProbability}`, seed);
    if (errorProbability === 0) {
      // No protocol violation, so no alert, however many times the run died and resumed.
      expect(expected.length).toBe(0);
      expect(readFileSync(out).length).toBe(0);
    } else {
      expect(expected.toString()).toContain('"rule":"violations per network"');
      expectSameLines(readFileSync(out, 'utf8'), expected.toString());
      expect(readFileSync(out).equals(expected)).toBe(true);
    }
  }, 120_000);

  it('refuses --checkpoint without --out and a checkpoint that is not one', () => {
    const { events, rulesFile } = writeInputs(10);
    const noOut = spawnSync(bin, ['run', '--rules', rulesFile, '--checkpoint', join(dir, 'x.ckpt'), events], { encoding: 'utf8' });
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/--checkpoint and --resume need --out/);
    const bogus = join(dir, 'bogus.ckpt');
    writeFileSync(bogus, 'hello');
    const r = spawnSync(bin, ['run', '--rules', rulesFile, '--ioc', `bad=${join(dir, 'bad.txt')}`, '--out', join(dir, 'o.jsonl'), '--resume', bogus, events], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`vigil: cannot resume from '${bogus}': not a Vigil checkpoint (the file does not start with VIGILCKP)\n`);
  });
});
