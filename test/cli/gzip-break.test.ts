/**
 * A gzip stream that breaks off — a corrupt member after a good one, or a file cut short — ends the
 * run with the windows flushed: every alert of the lines before the break is written, the break is
 * named (`file: gzip: <reason> after line N`) and the exit status is 2 (unreadable input). The
 * lines before the break are what zlib's synchronous decoder recovers from the same bytes; the
 * alerts are recounted here.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-gzip-'));
const T0 = Date.UTC(2026, 0, 1);

const RULES = `
RULE "per user"
SOURCES kind = "auth"
USING t
AGGREGATE BY user WITHIN 1:min, 1:min
SINK function (a) { return { n: a.count }; }
`;

function eventLines(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return JSON.stringify({ kind: 'auth', user: `u${i % 7}`, t: T0 + i * 250, pad: 'x'.repeat(i % 40) });
  });
}

/** Per minute and user, how many of these lines: the alerts "per user" must give. */
function recount(lines: string[]): string[] {
  const groups = new Map<string, number>();
  for (const line of lines) {
    const e = JSON.parse(line) as { user: string; t: number };
    const id = `${Math.floor(e.t / 60_000) * 60_000} ${e.user}`;
    groups.set(id, (groups.get(id) ?? 0) + 1);
  }
  return [...groups].map(([id, n]) => {
    const [start, user] = id.split(' ');
    return `{"rule":"per user","key":{"user":"${user}"},"windowStart":${start},"windowEnd":${Number(start) + 60_000},"n":${n}}`;
  }).sort();
}

/** The complete lines zlib's synchronous decoder gets out of a gzip file cut short. */
function linesBeforeCut(bytes: Uint8Array): string[] {
  return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n').slice(0, -1);
}

async function run(name: string, bytes: Uint8Array) {
  const rules = join(dir, 'rules.vgl');
  writeFileSync(rules, RULES);
  const input = join(dir, name);
  writeFileSync(input, bytes);
  const out = join(dir, `${name}.out`);
  const r = await runVigil(['run', '--rules', rules, '--out', out, input]);
  return { ...r, input, alerts: readFileSync(out, 'utf8').split('\n').filter(Boolean).sort() };
}

describe('a broken gzip stream (regression: a corrupt .gz lost the alerts of everything before it)', () => {
  it('a corrupt member after a good one: every line of the good member counts', async () => {
    const good = eventLines(3000);
    const second = gzipSync(eventLines(500, 3000).join('\n') + '\n');
    second.fill(0xff, 10, 40); // its deflate data begins with an invalid block type
    const bytes = Buffer.concat([gzipSync(good.join('\n') + '\n'), second]);
    const r = await run('two-members.jsonl.gz', bytes);
    expect(r.stderr).toBe(`${r.input}: gzip: invalid block type after line 3000\n`);
    expect(r.code).toBe(2);
    expect(r.alerts).toEqual(recount(good));
  });

  it('a file cut short: the lines zlib can decode count, the partial last one is not read', async () => {
    const all = gzipSync(eventLines(20_000).join('\n') + '\n');
    const cut = all.subarray(0, Math.floor(all.length * 0.6));
    const before = linesBeforeCut(cut);
    expect(before.length).toBeGreaterThan(5000);
    const r = await run('cut.jsonl.gz', cut);
    expect(r.stderr).toBe(`${r.input}: gzip: unexpected end of file after line ${before.length}\n`);
    expect(r.code).toBe(2);
    expect(r.alerts).toEqual(recount(before));
  });

  it('an intact file is read to the end with exit status 0', async () => {
    const lines = eventLines(5000);
    const r = await run('whole.jsonl.gz', gzipSync(lines.join('\n') + '\n'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.alerts).toEqual(recount(lines));
  });
});
