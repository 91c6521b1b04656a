/**
 * `vigil run` decodes lines lazily where the rules allow it; eager decoding (VIGIL_EAGER_DECODE=1)
 * is the oracle. On the thesis workload with the hostile corpus spliced in (every malformed-line
 * case of the existing suites, deep nesting, duplicate keys, __proto__, -0, 1e400, lone
 * surrogates, NUL, non-UTF-8, a BOM, CRLF, a line over the 1 MiB limit), both give the same
 * alerts, the same errors with the same line numbers and the same exit code: guarded on one
 * thread, on two threads, unguarded, and from gzip.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the benchmarks, without types.
import { iocEntries, makeEvents, ruleSpecs, vgl } from '../../bench/thesis-workload.mjs';
import { hostileCorpus } from '../io/hostile-lines.js';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-lazy-decode-'));
const rulesFile = join(dir, 'rules.vgl');
const iocFile = join(dir, 'ioc.txt');
// The thesis rules, and one more that reads the hostile lines' fields (routing, FILTER and IOC).
writeFileSync(
  rulesFile,
  `${vgl(ruleSpecs(6))}
RULE "hostile"
SOURCES kind = "e"
FILTER function (e) { return e.user != 'u2' && e['n'] !== 5; }
IOC FILTERS not in id_list(user)
SINK function (e) { return e; }
`,
);
writeFileSync(iocFile, `${iocEntries(200).join('\n')}\n`);

/** Thesis events (including ones that match), with the hostile corpus spliced in twice. */
function input(): Buffer {
  const events = (makeEvents(4000, 7) as Record<string, unknown>[]).map((e: Record<string, unknown>, i: number) => (i % 97 === 0 ? { ...e, integer: i % 6, tag: `id_tag_${i % 6}`, kind: 'e', user: `u${i % 4}` } : e));
  const text = (from: number, to: number) => Buffer.from(events.slice(from, to).map((e) => `${JSON.stringify(e)}\n`).join(''));
  const corpus = hostileCorpus();
  // The corpus's last line has no newline: give it one where it is spliced in the middle.
  return Buffer.concat([text(0, 1500), corpus, Buffer.from('\n'), text(1500, 3000), corpus, Buffer.from('\n'), text(3000, 4000), corpus]);
}

const saved = process.env.VIGIL_EAGER_DECODE;
const savedScan = process.env.VIGIL_JSON_SCAN;
afterEach(() => {
  if (saved === undefined) delete process.env.VIGIL_EAGER_DECODE;
  else process.env.VIGIL_EAGER_DECODE = saved;
  if (savedScan === undefined) delete process.env.VIGIL_JSON_SCAN;
  else process.env.VIGIL_JSON_SCAN = savedScan;
});

async function run(args: string[], eager: boolean) {
  process.env.VIGIL_EAGER_DECODE = eager ? '1' : '0';
  return runVigil(['run', '--rules', rulesFile, '--ioc', `id_list=${iocFile}`, ...args]);
}

describe('vigil run, lazy against eager decoding', () => {
  const file = join(dir, 'events.jsonl');
  const gz = join(dir, 'events.jsonl.gz');
  const bytes = input();
  writeFileSync(file, bytes);
  writeFileSync(gz, gzipSync(bytes));

  for (const [name, args] of [
    ['guarded, one thread', ['--threads', '1', file]],
    ['guarded, two threads', ['--threads', '2', file]],
    ['unguarded', ['--no-guard', '--threads', '1', file]],
    ['gzip', ['--threads', '1', gz]],
  ] as const) {
    it(`gives the same alerts, errors and exit code: ${name}`, async () => {
      const eager = await run([...args], true);
      const lazy = await run([...args], false);
      expect(lazy.code).toBe(eager.code);
      expect(lazy.stderr).toBe(eager.stderr);
      expect(lazy.stdout).toBe(eager.stdout);
      // The comparison means something: alerts from both kinds of rule, and the corpus's errors (three times).
      expect(eager.stdout).toMatch(/"rule":"G\d\.id\d"/);
      expect(eager.stdout).toMatch(/"rule":"hostile"/);
      expect(eager.stderr).toMatch(/:\d+: nested deeper than 128\n/);
      expect(eager.stderr).toMatch(/:\d+: invalid UTF-8 at byte 6\n/);
      expect(eager.stderr).toMatch(/:\d+: malformed JSON: /);
      expect(eager.stderr).toMatch(/:\d+: line is 1100010 bytes, longer than the 1048576-byte limit; skipped\n/);
      expect(eager.stderr.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3 * 15);
    });
  }

  it('scans the same in TypeScript (VIGIL_JSON_SCAN=ts) as in WebAssembly, guarded and not', async () => {
    for (const args of [['--threads', '1', file], ['--no-guard', '--threads', '1', file]]) {
      delete process.env.VIGIL_JSON_SCAN;
      const wasm = await run([...args], false);
      process.env.VIGIL_JSON_SCAN = 'ts';
      const ts = await run([...args], false);
      expect(ts.code).toBe(wasm.code);
      expect(ts.stderr).toBe(wasm.stderr);
      expect(ts.stdout).toBe(wasm.stdout);
      expect(wasm.stdout).toMatch(/"rule":"G\d\.id\d"/);
      expect(wasm.stderr).toMatch(/:\d+: nested deeper than 128\n/);
    }
  });
});
