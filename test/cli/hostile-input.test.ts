/**
 * Hostile input at the door of `vigil run`: a line nested deeper than 128 is refused with its line
 * number and the run goes on; and nothing that is accepted — nested exactly 128 deep, a group key
 * nested 127 deep, an array of half a million elements, a string just under the 1 MiB line cap,
 * keys named __proto__ — can make output, grouping or checkpoints throw later. The alerts are
 * checked against a recount written here, and a run resumed from a checkpoint taken in the middle
 * of the nasty lines must give the uninterrupted run's output byte for byte.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-input-'));
const T0 = Date.UTC(2026, 0, 1);
const LINES = 3000;
/** Where the input is cut in two for the checkpoint in the middle (past the first 1024-line batch). */
const CUT = 1100;

/** `depth` arrays one inside the other: `[[…]]` nests `depth` levels. */
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

interface Line {
  text: string;
  /** The parsed event when the line must be accepted. */
  accepted: boolean;
  /** For accepted events: the group's text (as the recount groups) and its value as printed. */
  user?: string;
  t?: number;
}

/** The input: ordinary events, with the nasty ones (accepted and refused) on both sides of CUT. */
function hostileLines(): Line[] {
  const nasty = new Map<number, (t: number) => Line>([
    // Event at depth 1 plus 127 levels of arrays: exactly 128, accepted.
    [100, (t) => ({ text: `{"kind":"e","user":"u1","t":${t},"deep":${nestedArrays(127)}}`, accepted: true, user: '"u1"', t })],
    [200, (t) => ({ text: `{"kind":"e","user":"u1","t":${t},"deep":${nestedArrays(128)}}`, accepted: false })],
    [300, (t) => ({ text: `{"kind":"e","user":"u2","t":${t},"deep":${nestedArrays(5000)}}`, accepted: false })],
    // A group key nested 127 deep (so [key] is 128 deep when it is encoded).
    [400, (t) => ({ text: `{"kind":"e","user":${nestedArrays(127)},"t":${t}}`, accepted: true, user: nestedArrays(127), t })],
    [500, (t) => ({ text: `{"kind":"e","user":"u3","t":${t},"arr":[${new Array(520_000).fill(0).join(',')}]}`, accepted: true, user: '"u3"', t })],
    [600, (t) => ({ text: `{"kind":"e","user":"u4","t":${t},"s":"${'x'.repeat(1_048_000)}"}`, accepted: true, user: '"u4"', t })],
    [700, (t) => ({ text: `{"kind":"e","user":"__proto__","t":${t},"__proto__":{"polluted":true},"constructor":"c","prototype":{"x":1}}`, accepted: true, user: '"__proto__"', t })],
    // Brackets inside strings are text, not nesting.
    [800, (t) => ({ text: `{"kind":"e","user":"u0","t":${t},"brackets":"${'[{'.repeat(3000)}"}`, accepted: true, user: '"u0"', t })],
    [1050, (t) => ({ text: `{"kind":"e","user":"u1","t":${t},"deep":${nestedArrays(127)}}`, accepted: true, user: '"u1"', t })],
    [1500, (t) => ({ text: `{"kind":"e","user":"u2","t":${t},"deep":${nestedArrays(5000)}}`, accepted: false })],
    [1600, (t) => ({ text: `{"kind":"e","user":${nestedArrays(127)},"t":${t}}`, accepted: true, user: nestedArrays(127), t })],
    [1700, (t) => ({ text: `{"kind":"e","user":"u3","t":${t},"arr":[${new Array(520_000).fill(0).join(',')}]}`, accepted: true, user: '"u3"', t })],
    [1800, (t) => ({ text: `{"kind":"e","user":"u4","t":${t},"s":"${'y'.repeat(1_048_000)}"}`, accepted: true, user: '"u4"', t })],
    [1900, (t) => ({ text: `{"kind":"e","user":"__proto__","t":${t},"__proto__":{"polluted":true},"constructor":"c"}`, accepted: true, user: '"__proto__"', t })],
    [2500, (t) => ({ text: `{"kind":"e","user":"u0","t":${t},"deep":{"a":${nestedArrays(200)}}}`, accepted: false })],
  ]);
  const lines: Line[] = [];
  for (let i = 0; i < LINES; i++) {
    const t = T0 + i * 1000;
    const make = nasty.get(i);
    if (make) lines.push(make(t));
    else {
      const user = `u${i % 5}`;
      lines.push({ text: JSON.stringify({ kind: 'e', user, t }), accepted: true, user: JSON.stringify(user), t });
    }
  }
  return lines;
}

const RULES = `
RULE "echo"
SOURCES kind = "e"
SINK function (e) { return e; }

RULE "per user"
SOURCES kind = "e"
USING t
AGGREGATE BY user WITHIN 1:min, 1:min
SINK function (a) { return { n: a.count }; }
`;

/**
 * The recount: "echo" gives each accepted line with `rule` in front (the line's own text: it was
 * written by JSON.stringify or by hand in that form); "per user" gives, per minute and user, the
 * number of accepted events. Compared as sorted lines (the engine's order between rules is its own).
 */
function recount(lines: Line[]): string[] {
  const out: string[] = [];
  const groups = new Map<string, number>();
  for (const line of lines) {
    if (!line.accepted) continue;
    out.push(`{"rule":"echo",${line.text.slice(1)}`);
    const start = Math.floor(line.t! / 60_000) * 60_000;
    const id = `${start}\u0000${line.user}`;
    groups.set(id, (groups.get(id) ?? 0) + 1);
  }
  for (const [id, n] of groups) {
    const [start, user] = id.split('\u0000');
    out.push(`{"rule":"per user","key":{"user":${user}},"windowStart":${start},"windowEnd":${Number(start) + 60_000},"n":${n}}`);
  }
  return out.sort();
}

/** Runs `vigil run` in-process with stdin in two parts; `between` runs after the first is consumed (and checkpointed). */
async function runInTwoParts(args: string[], first: string, second: string, between: () => void): Promise<{ code: number; stderr: string }> {
  async function* parts() {
    yield Buffer.from(first);
    between();
    yield Buffer.from(second);
  }
  // Not a Readable.from: that would read the second part ahead, before the checkpoint is written.
  const stdin = { [Symbol.asyncIterator]: () => parts() } as unknown as Readable;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stdout.resume();
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdin, stdout, stderr, version: 'test' });
  return { code, stderr: err };
}

describe('hostile input at the door', () => {
  it('a line nested 5,000 deep no longer kills vigil run, and resumed runs match (regression: deep JSON killed run and resume)', async () => {
    const lines = hostileLines();
    const text = lines.map((l) => l.text).join('\n') + '\n';
    const input = join(dir, 'hostile.jsonl');
    writeFileSync(input, text);
    const rules = join(dir, 'rules.vgl');
    writeFileSync(rules, RULES);
    const refused = lines.flatMap((l, i) => (l.accepted ? [] : [i + 1]));

    // Uninterrupted, no checkpoints.
    const plainOut = join(dir, 'plain.jsonl');
    const plain = await runVigil(['run', '--rules', rules, '--out', plainOut, input]);
    expect(plain.stderr.split('\n').filter(Boolean)).toEqual(refused.map((n) => `${input}:${n}: nested deeper than 128`));
    expect(plain.code).toBe(0);
    const plainText = readFileSync(plainOut, 'utf8');
    expect(plainText.split('\n').filter(Boolean).sort()).toEqual(recount(lines));

    // With checkpoints, reading stdin in two parts: a copy of the checkpoint taken after the first.
    const cut = lines.slice(0, CUT).map((l) => `${l.text}\n`).join('');
    const ckpt = join(dir, 'run.ckpt');
    const middle = join(dir, 'middle.ckpt');
    const out = join(dir, 'out.jsonl');
    const checkpointed = await runInTwoParts(['run', '--rules', rules, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '1024', '-'], cut, text.slice(cut.length), () =>
      copyFileSync(ckpt, middle),
    );
    expect(checkpointed.code).toBe(0);
    expect(checkpointed.stderr.split('\n').filter(Boolean)).toEqual(refused.map((n) => `<stdin>:${n}: nested deeper than 128`));
    expect(readFileSync(out, 'utf8')).toBe(plainText);

    // Resumed from the middle (line 1024): the output is cut back and completed, byte for byte.
    const resumedOut = join(dir, 'resumed.jsonl');
    copyFileSync(out, resumedOut);
    const resumed = await runVigil(['run', '--rules', rules, '--out', resumedOut, '--checkpoint', join(dir, 'again.ckpt'), '--resume', middle, input]);
    expect(resumed.stderr.split('\n').filter(Boolean)).toEqual(refused.filter((n) => n > 1024).map((n) => `${input}:${n}: nested deeper than 128`));
    expect(resumed.code).toBe(0);
    expect(readFileSync(resumedOut, 'utf8')).toBe(plainText);
  }, 120_000);
});
