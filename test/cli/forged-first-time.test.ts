/**
 * `vigil run` over a file whose first line carries a forged timestamp (year 2100): the honest
 * events after it are not late, and their alerts are those of the same file without the line
 * (the oracle) — lazy and eager decoding, one and two threads. Before, every later event was
 * reported `vigil.late` and only the forger's window fired.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-forged-first-'));
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);
const rules = join(dir, 'rules.vgl');
writeFileSync(
  rules,
  `RULE "per user"
SOURCES kind = "e"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return { user: events[0].user, n: events.length }; }
SINK function (w) { return w; }
`,
);
const honest = Array.from({ length: 900 }, (_, i) => JSON.stringify({ kind: 'e', user: `u${i % 4}`, ts: T0 + i * 1000 }));
const forgedLine = JSON.stringify({ kind: 'e', user: 'forger', ts: Date.UTC(2100, 0, 1) });
const plainFile = join(dir, 'honest.jsonl');
const forgedFile = join(dir, 'forged.jsonl');
writeFileSync(plainFile, honest.join('\n') + '\n');
writeFileSync(forgedFile, [forgedLine, ...honest].join('\n') + '\n');

const saved = process.env.VIGIL_EAGER_DECODE;
afterEach(() => {
  if (saved === undefined) delete process.env.VIGIL_EAGER_DECODE;
  else process.env.VIGIL_EAGER_DECODE = saved;
});

describe('vigil run: a forged timestamp on the first line', () => {
  for (const eager of [false, true]) {
    for (const threads of ['1', '2']) {
      it(`${eager ? 'eager' : 'lazy'}, --threads ${threads}: the honest alerts are those of the file without it, and nothing is late`, async () => {
        if (eager) process.env.VIGIL_EAGER_DECODE = '1';
        else delete process.env.VIGIL_EAGER_DECODE;
        const oracle = await runVigil(['run', '--rules', rules, '--threads', threads, plainFile]);
        expect(oracle.code, oracle.stderr).toBe(0);
        const oracleAlerts = oracle.stdout.split('\n').filter(Boolean);
        expect(oracleAlerts.length).toBe(60); // 15 minutes × 4 users
        const forged = await runVigil(['run', '--rules', rules, '--threads', threads, forgedFile]);
        expect(forged.code, forged.stderr).toBe(0);
        const honestAlerts = forged.stdout.split('\n').filter((l) => l && !l.includes('"forger"'));
        expect(honestAlerts).toEqual(oracleAlerts);
        expect(forged.stderr).not.toMatch(/vigil\.late/);
        expect(forged.stderr).toMatch(/started at 1709283600000/);
      });
    }
  }
});
