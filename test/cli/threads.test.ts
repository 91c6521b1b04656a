/**
 * `vigil run --threads N`: the same output bytes and the same rejected lines (with their numbers)
 * with 1, 2 and 4 threads — over the thesis workload (simple rules: the batches really are shared
 * between threads), against a naive model of its rules; over the hostile-case corpus (correlating
 * and sandboxed rules: one thread, said so on stderr); over a stateful workload (windows, a state
 * machine, alert-fed windows, late events and malformed lines: one thread, said so); and after
 * SIGKILLs and --resume, switching the number of threads from one resume to the next, for both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the benchmarks, without types.
import { iocEntries, ruleSpecs, vgl } from '../../bench/thesis-workload.mjs';
import { BENIGN_RULES, benignEvents, CASES, T0 } from '../security/hostile-cases.js';
import { runAndKill } from './kill-run.js';
import { runVigil } from './run-cli.js';

const bin = join(process.cwd(), 'bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-threads-'));
const PER_GROUP = 6;
const ONE_THREAD_NOTE = /running on one thread/;

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Thesis-workload events (bench/thesis-workload.mjs's shape), a third of them made to match a rule's (integer, tag). */
function thesisEvents(n: number, seed: number): Record<string, unknown>[] {
  const random = seeded(seed);
  const pick = (k: number) => Math.floor(random() * k);
  const hex = () => Array.from({ length: 4 }, () => (pick(2 ** 32) >>> 0).toString(16).padStart(8, '0')).join('');
  return Array.from({ length: n }, (_, i) => {
    const integer = pick(51);
    return { a: hex(), b: hex(), tag: `id_tag_${random() < 0.33 ? integer : pick(51)}`, integer, groupName: `Group${pick(6)}`, groupTag: 'Demo V01', timestamp: T0 + i };
  });
}

/**
 * The naive model: rule G{g}.id{i} (bench/thesis-workload.mjs) raises its event for an event of
 * Group{g} with integer i and tag id_tag_i (the tag is in the IOC list, the group tag matches).
 */
function expectedThesisAlerts(events: Record<string, unknown>[]): string {
  let out = '';
  for (const e of events) {
    const g = Number(String(e.groupName).slice(5));
    const i = e.integer as number;
    if (i < PER_GROUP && e.tag === `id_tag_${i}` && /([A-Za-z]+) V[0-9]*/.test(String(e.groupTag))) out += `${JSON.stringify({ rule: `G${g}.id${i}`, ...e })}\n`;
  }
  return out;
}

/** Lines the door refuses, each with a test of its error, spliced into the events at fixed places. */
const BAD_LINES: { text: string; error: RegExp }[] = [
  { text: '{ not json', error: /malformed JSON|not JSON/ },
  { text: '[1,2,3]', error: /array/ },
  { text: '"a string"', error: /string/ },
  { text: '{"groupName":"Group1","x":' + '{"a":'.repeat(200) + '1' + '}'.repeat(200) + '}', error: /deep/ },
  // Over the 1 MiB line limit, and across the reader's 1 MiB chunks.
  { text: '{"groupName":"Group1","pad":"' + 'p'.repeat(1_200_000) + '"}', error: /longer than the 1048576-byte limit/ },
];

/** The input: events as JSON lines with the bad lines (and blank lines) at known line numbers; the last line has no newline. */
function thesisInput(events: Record<string, unknown>[]): { text: string; badLines: number[] } {
  const lines: string[] = [];
  const badLines: number[] = [];
  events.forEach((e, i) => {
    if (i % 2500 === 1234) {
      const bad = BAD_LINES[(i / 2500) % BAD_LINES.length | 0]!;
      lines.push(bad.text);
      badLines.push(lines.length);
    }
    // A blank line at a batch boundary now and then: lines, not events, are what batches count.
    if (i % 3072 === 1023) lines.push('');
    lines.push(JSON.stringify(e));
  });
  return { text: lines.join('\n'), badLines };
}

function writeThesis(name: string, count: number, seed: number) {
  const events = thesisEvents(count, seed);
  const { text, badLines } = thesisInput(events);
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, text);
  const rules = join(dir, 'thesis.vgl');
  writeFileSync(rules, vgl(ruleSpecs(PER_GROUP)));
  const ioc = join(dir, 'id_list.txt');
  writeFileSync(ioc, (iocEntries(2000) as string[]).join('\n') + '\n');
  return { file, events, badLines, common: ['run', '--rules', rules, '--ioc', `id_list=${ioc}`] };
}

/** Windows per network, beside the state machine per address and its alert-fed windows (rules/network-protocol.vgl). */
const PACKETS_PER_NETWORK = `
RULE "packets per network"
SOURCES kind = "packet"
USING timestamp
AGGREGATE BY networkId
WITHIN 10:sec, 5:sec
HAVING function (events) { return { networkId: events[0].networkId, packets: events.length, types: utils.distinct(events.map((e) => e.type)) }; }
SINK function (w) { return w; }
`;

/**
 * \`vigil simulate network\` traffic with, at fixed places, a malformed line, an event sent again
 * long after its time (late for the windows), and now and then an event of an unknown type.
 */
function writeStateful(name: string, count: number, seed: number) {
  const simulated = spawnSync(bin, ['simulate', 'network', '--count', String(count), '--seed', String(seed), '--error-probability', '0.01'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(simulated.status, simulated.stderr).toBe(0);
  const events = simulated.stdout.split('\n').filter(Boolean);
  const lines: string[] = [];
  events.forEach((line, i) => {
    lines.push(line);
    if (i % 2000 === 999) lines.push('{"kind":"packet","type":');
    if (i % 3000 === 2999) lines.push(events[i - 2500]!);
  });
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  const rules = join(dir, 'stateful.vgl');
  writeFileSync(rules, readFileSync(join(process.cwd(), 'rules/network-protocol.vgl'), 'utf8') + PACKETS_PER_NETWORK);
  return { file, common: ['run', '--rules', rules, '--out-of-order', '1000'] };
}

/** Every thread set up before the first range, so that even a short input is shared between threads. */
const SHARED = { ...process.env, VIGIL_THREADS_AWAIT_SETUP: '1' };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: SHARED });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The deactivation alert carries the wall-clock time it happened at: the one field two runs may not share. */
function withoutWallTime(output: string): string {
  return output.replace(/("rule":"vigil\.rule\.deactivated".*?"time":)\d+/g, '$1<time>');
}

describe('vigil run --threads', () => {
  it('gives the thesis workload the same bytes and rejects with 1, 2 and 4 threads, guarded and not, as the naive model', () => {
    const { file, events, badLines, common } = writeThesis('thesis', 24_000, 5);
    const expected = expectedThesisAlerts(events);
    expect(expected.split('\n').length).toBeGreaterThan(300);
    const one = run([...common, '--threads', '1', file]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toBe(expected);
    // Every bad line is reported once, with its line number, in input order.
    const reported = [...one.stderr.matchAll(/thesis\.jsonl:(\d+): /g)].map((m) => Number(m[1]));
    expect(reported).toEqual(badLines);
    badLines.forEach((line, k) => expect(one.stderr.split('\n')[k]).toMatch(BAD_LINES[k % BAD_LINES.length]!.error));

    for (const args of [['--threads', '2'], ['--threads', '4'], ['--threads', '2', '--no-guard'], ['--threads', '3', '--no-guard']]) {
      const many = run([...common, ...args, file]);
      expect(many.status, many.stderr).toBe(0);
      // Simple rules with native functions: the batches are shared, no "one thread" note.
      expect(many.stderr).not.toMatch(ONE_THREAD_NOTE);
      expect(many.stdout === one.stdout, `${args.join(' ')}: alerts differ`).toBe(true);
      expect(many.stderr).toBe(one.stderr);
    }
  }, 120_000);

  it("reports a rule's first errors, then the notice, as one engine does, whichever thread met them", () => {
    // Errors now and then, thinning out: the 10th and 11th fall in blocks far apart, met by different threads.
    const rules = join(dir, 'errors.vgl');
    writeFileSync(rules, `RULE "every event"\nSOURCES kind = "x"\nSINK function (e) { return { n: e.n }; }\n\nRULE "fragile"\nSOURCES kind = "x"\nFILTER function (e) { return e.n % 7 === 3; }\nSINK function (e) { return { n: e.n, deep: e.n % 1400 === 3 ? e.nope.deeper : 0 }; }\n`);
    const lines = Array.from({ length: 30_000 }, (_, n) => JSON.stringify({ kind: 'x', n }));
    const input = join(dir, 'errors.jsonl');
    writeFileSync(input, lines.join('\n') + '\n');
    const errors = Array.from({ length: 30_000 }, (_, n) => n).filter((n) => n % 1400 === 3);
    expect(errors.length).toBeGreaterThan(15);
    const one = run(['run', '--rules', rules, '--threads', '1', input]);
    expect(one.status, one.stderr).toBe(0);
    // The naive model: the first 10 errors reported, then one notice.
    expect(one.stderr.match(/sink threw TypeError/g)?.length).toBe(10);
    expect(one.stderr.match(/more errors from this rule/g)?.length).toBe(1);
    for (const threads of ['2', '3']) {
      for (const guard of [[], ['--no-guard']]) {
        const many = run(['run', '--rules', rules, '--threads', threads, ...guard, input]);
        expect(many.stdout === one.stdout).toBe(true);
        expect(many.stderr).toBe(one.stderr);
      }
    }
  }, 120_000);

  it('reads piped input, gzip and a broken gzip stream alike with 1 and 2 threads', async () => {
    const { file, common } = writeThesis('small', 4000, 9);
    const text = readFileSync(file, 'utf8');
    const one = await runVigil([...common, '--threads', '1', '-'], text);
    const two = await runVigil([...common, '--threads', '2', '-'], text);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(readFileSync(file));
    const whole = join(dir, 'small.jsonl.gz');
    writeFileSync(whole, gz);
    const broken = join(dir, 'broken.jsonl.gz');
    writeFileSync(broken, gz.subarray(0, Math.floor(gz.length * 0.6)));
    for (const input of [whole, broken]) {
      const a = run([...common, '--threads', '1', input]);
      const b = run([...common, '--threads', '2', input]);
      expect(b.status).toBe(a.status);
      expect(b.stdout === a.stdout).toBe(true);
      expect(b.stderr).toBe(a.stderr);
    }
    expect(run([...common, '--threads', '2', broken]).status).toBe(2);
  }, 120_000);

  it('gives the hostile-case corpus the same bytes with 1, 2 and 4 threads, and says why it ran on one', async () => {
    // Every case that loads (a refused rule stops the run), beside the benign rules, in one run;
    // not those stopped by a clock (loops until a deadline: the sandbox's CPU deadline and the
    // guard's watchdog race on a busy machine, and which wins differs from run to run even on one
    // thread), nor those with a larger budget.
    const byClock = (c: (typeof CASES)[number]) => c.kind === 'cpu' || c.kind === 'sparse-array' || c.kind === 'string-bomb' || /for \(/.test(c.rules ?? '');
    const loads = async (text: string) => {
      const f = join(dir, 'probe.vgl');
      writeFileSync(f, text);
      return (await runVigil(['check', f])).code === 0;
    };
    const cases: (typeof CASES)[number][] = [];
    for (const c of CASES) if (!byClock(c) && c.budgetMs === undefined && (!c.rules || (await loads(c.rules)))) cases.push(c);
    expect(cases.length).toBeGreaterThan(15);
    const lines: string[] = [];
    const benign = benignEvents();
    benign.forEach((e, i) => {
      lines.push(JSON.stringify(e));
      const c = cases[i % cases.length]!;
      if (i < cases.length) {
        for (const h of c.events?.() ?? []) lines.push(JSON.stringify(h));
        lines.push(...(c.lines?.() ?? []));
      }
    });
    const input = join(dir, 'hostile.jsonl');
    writeFileSync(input, lines.join('\n') + '\n');
    const rules = join(dir, 'hostile.vgl');
    writeFileSync(rules, [BENIGN_RULES, ...cases.map((c) => c.rules ?? '')].join('\n'));
    const simpleOnly = join(dir, 'hostile-simple.vgl');
    // The corpus's hostile lines through the shared path: a simple rule with a native function.
    writeFileSync(simpleOnly, `RULE ${BENIGN_RULES.split('\nRULE ')[1]!}`);

    for (const ruleFile of [rules, simpleOnly]) {
      const args = ['run', '--rules', ruleFile, '--out-of-order', '0'];
      const one = run([...args, '--threads', '1', input]);
      expect(one.status, one.stderr).toBe(0);
      expect(one.stdout).toContain('"rule":"failed login"');
      expect(one.stderr).toMatch(/hostile\.jsonl:\d+: /);
      for (const threads of ['2', '4']) {
        const many = run([...args, '--threads', threads, input]);
        expect(many.status, many.stderr).toBe(0);
        if (ruleFile === rules) expect(many.stderr).toMatch(ONE_THREAD_NOTE);
        else expect(many.stderr).not.toMatch(ONE_THREAD_NOTE);
        expect(withoutWallTime(many.stdout) === withoutWallTime(one.stdout), `${ruleFile} --threads ${threads}: alerts differ`).toBe(true);
        expect(many.stderr.replace(/^vigil: --threads \d+: running on one thread: .*\n/m, '')).toBe(one.stderr);
      }
    }
  }, 300_000);

  it('produces the one-thread output byte for byte after SIGKILLs, resuming with 2, 1 and 4 threads in turn', async () => {
    const { file, common } = writeThesis('resume', 100_000, 13);
    await expectKillsAndResumesMatch('resume', common, file, 4096);
  }, 300_000);

  it('gives a stateful workload (windows, a state machine, alert-fed windows, late events, malformed lines) the same bytes and exit code with 1, 2, 3 and 4 threads', () => {
    const { file, common } = writeStateful('stateful', 40_000, 3);
    const one = run([...common, '--threads', '1', file]);
    expect(one.status, one.stderr).toBe(0);
    // The workload does what it is meant to: every kind of alert, late events, rejected lines.
    for (const rule of ['protocol violation', 'violations per network', 'packets per network']) expect(one.stdout).toContain(`"rule":"${rule}"`);
    expect(one.stderr).toMatch(/vigil\.late rule "packets per network"/);
    expect(one.stderr).toMatch(/stateful\.jsonl:\d+: malformed JSON/);
    for (const threads of ['2', '3', '4']) {
      const many = run([...common, '--threads', threads, file]);
      expect(many.status).toBe(one.status);
      expect(many.stdout === one.stdout, `--threads ${threads}: alerts differ`).toBe(true);
      // Correlating rules run on one thread, and --threads says so first.
      expect(many.stderr).toMatch(/^vigil: --threads \d: running on one thread: rule "protocol violation" groups by sourceAddress\n/);
      expect(many.stderr.replace(/^vigil: --threads \d: running on one thread: .*\n/, '')).toBe(one.stderr);
    }
  }, 300_000);

  it('gives the stateful workload the one-thread output byte for byte after SIGKILLs, resuming with 2, 1 and 4 threads in turn', async () => {
    const { file, common } = writeStateful('stateful-resume', 100_000, 17);
    await expectKillsAndResumesMatch('stateful-resume', common, file, 8192);
  }, 300_000);
});


/** Runs to the end with one thread, then again with SIGKILLs and --resume (2, 1, 4 threads in turn): the same --out bytes. */
async function expectKillsAndResumesMatch(name: string, common: string[], file: string, every: number): Promise<void> {
  const full = run([...common, '--threads', '1', '--out', join(dir, `${name}.full.jsonl`), file]);
  expect(full.status, full.stderr).toBe(0);
  const expected = readFileSync(join(dir, `${name}.full.jsonl`));
  expect(expected.length).toBeGreaterThan(50_000);

  const out = join(dir, `${name}.out.jsonl`);
  const ckpt = join(dir, `${name}.ckpt`);
  rmSync(ckpt, { force: true });
  const random = seeded(21);
  const threadCounts = ['2', '1', '4'];
  let kills = 0;
  let resumes = 0;
  let finished = false;
  for (let attempt = 0; attempt < 14 && !finished; attempt++) {
    const args = [...common, '--threads', threadCounts[attempt % 3]!, '--out', out, '--checkpoint', ckpt, '--checkpoint-every', String(every)];
    if (existsSync(ckpt)) {
      args.push('--resume', ckpt);
      resumes++;
    }
    const kill = attempt === 0 ? { atMs: 30 } : { afterCheckpointMs: Math.floor(random() * 150) };
    const result = await runAndKill([...args, file], ckpt, kill);
    if (result.killed) kills++;
    else {
      expect(result.code, result.stderr).toBe(0);
      finished = true;
    }
  }
  if (!finished) {
    const last = run([...common, '--threads', '2', '--out', out, '--checkpoint', ckpt, '--resume', ckpt, file]);
    expect(last.status, last.stderr).toBe(0);
  }
  expect(kills).toBeGreaterThanOrEqual(4);
  expect(resumes).toBeGreaterThanOrEqual(3);
  const got = readFileSync(out);
  expect(got.length).toBe(expected.length);
  expect(got.equals(expected)).toBe(true);
}
