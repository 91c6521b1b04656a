/**
 * The outer guard is a drop-in: on benign input `vigil run` writes the same bytes — alerts,
 * diagnostics, exit code, checkpoints that resume — with the guard (the default) as without it
 * (`--no-guard`, the engine on the main thread, the oracle here). Over the README's example, the
 * simulator's network workload (event-time windows, alerts re-entering), the thesis workload of
 * bench/rules.mjs (36 rules, an IOC list) and input full of bad lines.
 *
 * Uses the built dist/ (bin/vigil): run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/vigil');
const TIMEOUT_MS = 120_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vigil(args: string[], stdin?: Buffer): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

/** Runs the same command guarded and with --no-guard; both must agree byte for byte. */
async function expectSame(args: string[], stdin?: Buffer): Promise<Result> {
  const [guarded, unguarded] = [await vigil(['run', ...args], stdin), await vigil(['run', '--no-guard', ...args], stdin)];
  expect(guarded.stderr).toBe(unguarded.stderr);
  expect(guarded.stdout).toBe(unguarded.stdout);
  expect(guarded.code).toBe(unguarded.code);
  return guarded;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-guard-dropin-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil run, guarded and not, byte for byte', () => {
  it('the README example', async () => {
    const result = await expectSame(['--rules', 'examples/auth.vgl', '--ioc', 'bad_ips=examples/bad-ips.txt', '--table', 'admins=examples/admins.txt', 'examples/auth.jsonl']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/"rule":"admin after brute force"/);
  }, TIMEOUT_MS);

  it('the simulated network workload: event-time windows and alerts re-entering the engine', async () => {
    const events = join(dir, 'network.jsonl');
    expect((await vigil(['simulate', 'network', '--count', '20000', '--seed', '7', '--error-probability', '0.01', '--out', events])).code).toBe(0);
    const result = await expectSame(['--rules', 'rules/network-protocol.vgl', events]);
    expect(result.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(10);
  }, TIMEOUT_MS);

  it("bench/rules.mjs's thesis workload: 36 rules, regexes, an IOC list of 100,000 entries", async () => {
    const { makeEvents, ruleSpecs, vgl, iocEntries } = (await import(join(root, 'bench/thesis-workload.mjs'))) as {
      makeEvents(n: number): unknown[];
      ruleSpecs(perGroup: number): unknown[];
      vgl(specs: unknown[]): string;
      iocEntries(size: number): string[];
    };
    const events = makeEvents(30_000);
    writeFileSync(join(dir, 'thesis.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(join(dir, 'thesis.vgl'), vgl(ruleSpecs(6)));
    writeFileSync(join(dir, 'ioc.txt'), iocEntries(100_000).join('\n') + '\n');
    const result = await expectSame(['--rules', join(dir, 'thesis.vgl'), '--ioc', `id_list=${join(dir, 'ioc.txt')}`, '--out-of-order', '0', join(dir, 'thesis.jsonl')]);
    // A recount: an event alerts when its integer is below 6 and its tag is id_tag_<integer>.
    const expected = (events as { integer: number; tag: string }[]).filter((e) => e.integer < 6 && e.tag === `id_tag_${e.integer}`).length;
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(expected);
  }, TIMEOUT_MS);

  it('bad lines, blank lines, CRLF, an oversized line, no final newline; from a file, gzip and stdin', async () => {
    const rules = join(dir, 'lines.vgl');
    writeFileSync(
      rules,
      `RULE "each"
SOURCES kind = "x"
FILTER function (e) { return e.n % 5 == 0; }
SINK function (e) { return { n: e.n }; }

RULE "per minute"
SOURCES kind = "x"
USING t
AGGREGATE BY g
WITHIN 1:min, 30:sec
SINK function (w) { return { g: w.g, count: w.count }; }
`,
    );
    const parts: string[] = [];
    for (let n = 0; n < 5000; n++) {
      if (n % 997 === 0) parts.push('{not json');
      else if (n % 1013 === 0) parts.push('');
      else if (n % 1031 === 0) parts.push('[1, 2]');
      else if (n === 2500) parts.push(`{"kind":"x","n":${n},"pad":"${'y'.repeat(1.5 * 1024 * 1024)}"}`);
      else parts.push(JSON.stringify({ kind: 'x', n, g: `g${n % 4}`, t: 1_700_000_000_000 + n * 37 }) + (n % 7 === 0 ? '\r' : ''));
    }
    const text = parts.join('\n');
    const file = join(dir, 'lines.jsonl');
    writeFileSync(file, text);
    writeFileSync(`${file}.gz`, gzipSync(text));
    const fromFile = await expectSame(['--rules', rules, '--out-of-order', '0', file]);
    expect(fromFile.stderr).toMatch(/lines\.jsonl:2501: line is \d+ bytes, longer than/);
    expect(fromFile.stderr).toMatch(/lines\.jsonl:998: malformed JSON/);
    const fromGzip = await expectSame(['--rules', rules, '--out-of-order', '0', `${file}.gz`]);
    expect(fromGzip.stdout).toBe(fromFile.stdout);
    const fromStdin = await expectSame(['--rules', rules, '--out-of-order', '0', '-'], Buffer.from(text));
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  }, TIMEOUT_MS);

  it('a checkpoint written under the guard resumes without it, to the output of an uninterrupted run', async () => {
    const rules = join(dir, 'ckpt.vgl');
    writeFileSync(rules, `RULE "per key"\nSOURCES kind = "x"\nUSING t\nAGGREGATE BY g\nWITHIN 10:sec, 10:sec\nSINK function (w) { return { g: w.g, count: w.count }; }\n`);
    const lines = Array.from({ length: 6000 }, (_, n) => JSON.stringify({ kind: 'x', g: `g${n % 3}`, t: 1_700_000_000_000 + n * 50 }) + '\n');
    const all = join(dir, 'all.jsonl');
    writeFileSync(all, lines.join(''));
    const uninterrupted = join(dir, 'uninterrupted.out');
    expect((await vigil(['run', '--no-guard', '--rules', rules, '--out-of-order', '0', '--out', uninterrupted, all])).code).toBe(0);

    // Guarded, from stdin: 3,000 lines, then nothing more; killed once the checkpoint of line 2,048 is on disk.
    const out = join(dir, 'resumed.out');
    const ckpt = join(dir, 'resumed.ckpt');
    const child = spawn(process.execPath, [bin, 'run', '--rules', rules, '--out-of-order', '0', '--out', out, '--checkpoint', ckpt, '--checkpoint-every', '2048', '-'], { cwd: root });
    const watcher = watch(dir);
    const written = new Promise<void>((resolve) => watcher.on('change', (_, name) => name === 'resumed.ckpt' && resolve()));
    child.stdin.write(lines.slice(0, 3000).join(''));
    await written;
    watcher.close();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    const resumed = await vigil(['run', '--no-guard', '--rules', rules, '--out-of-order', '0', '--out', out, '--resume', ckpt, all]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(uninterrupted, 'utf8'));
  }, TIMEOUT_MS);
});
