/**
 * `npm run bench` (bench/run.mjs): each benchmark prints its own table, then one summary of every
 * row against its peer and target. Run here on the two shortest benchmarks with `--quick`; the
 * oracle for the summary is each benchmark's own table printed above it in the same run.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const figure = (text: string) => Number(text.replace(/[^0-9.]/g, ''));

describe('npm run bench (bench/run.mjs)', () => {
  it('runs the named benchmarks and ends with a summary that agrees with their tables', () => {
    const run = spawnSync(process.execPath, ['bench/run.mjs', 'windows', 'statetable', '--quick'], { encoding: 'utf8', timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain('=== bench/windows ===');
    expect(out).toContain('=== bench/statetable ===');
    const summary = out.slice(out.indexOf('=== summary'));
    const rows = summary.split('\n').filter((line) => /^(windows|statetable) /.test(line));
    expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(['windows', 'statetable', 'statetable', 'statetable']);

    // The windows row: its events/s are the benchmark's own table's, and the ratio is theirs.
    const table = out.slice(out.indexOf('=== bench/windows ==='), out.indexOf('=== bench/statetable ==='));
    const rate = (name: string) => figure(table.split('\n').find((l) => l.startsWith(name))!.split(/\s{2,}/)[1]!);
    const [, , vigil, peer, ratio, target, met] = rows[0]!.split(/\s{2,}/);
    expect(figure(vigil!)).toBe(rate('vigil window buffers'));
    expect(figure(peer!)).toBe(rate('JS array per window'));
    expect(figure(ratio!)).toBeCloseTo(rate('vigil window buffers') / rate('JS array per window'), 1);
    expect(target).toBe('≥ 3×');
    expect(met).toBe(figure(ratio!) >= 3 ? 'yes' : 'NO');
  }, 320_000);
});
