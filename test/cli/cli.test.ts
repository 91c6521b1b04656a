import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runVigil as vigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const file = (name: string, text: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));

const rules = `
RULE "bad ip"
SOURCES kind = "conn"
IOC FILTERS in bad_ips(dst)
SINK function (e) { return { src: e.src, dst: e.dst }; }

RULE "admin"
SOURCES kind = "login"
FILTER function (e) { return utils.inTable('admins', e.user); }
SINK function (e) { return { user: e.user }; }
`;

let rulesFile: string;
let iocFile: string;
let tableFile: string;
beforeAll(() => {
  rulesFile = file('rules.vgl', rules);
  iocFile = file('bad.txt', '# known bad\n203.0.113.7\n\n198.51.100.1  \n');
  tableFile = file('admins.txt', 'root\nadmin\n');
});

const events = [
  { kind: 'conn', src: '10.0.0.1', dst: '203.0.113.7' },
  { kind: 'login', user: 'root' },
  { kind: 'conn', src: '10.0.0.2', dst: '192.0.2.1' },
  { kind: 'login', user: 'ann' },
  { kind: 'conn', src: '10.0.0.3', dst: '198.51.100.1' },
];
const jsonl = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const expected = [
  { rule: 'bad ip', src: '10.0.0.1', dst: '203.0.113.7' },
  { rule: 'admin', user: 'root' },
  { rule: 'bad ip', src: '10.0.0.3', dst: '198.51.100.1' },
];

describe('vigil run', () => {
  const base = () => ['run', '--rules', rulesFile, '--ioc', `bad_ips=${iocFile}`, '--table', `admins=${tableFile}`];

  it('reads a JSON-lines file and writes alerts as JSON lines', async () => {
    const r = await vigil([...base(), file('events.jsonl', jsonl)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(expected);
  });

  it('reads stdin, gzip files, and writes --out', async () => {
    expect(lines((await vigil([...base(), '-'], jsonl)).stdout)).toEqual(expected);
    expect(lines((await vigil(base(), jsonl)).stdout)).toEqual(expected);
    expect(lines((await vigil([...base(), file('events.jsonl.gz', gzipSync(jsonl))])).stdout)).toEqual(expected);
    const out = join(dir, 'alerts.jsonl');
    const r = await vigil([...base(), '--out', out, file('events2.jsonl', jsonl)]);
    expect(r.stdout).toBe('');
    expect(lines(readFileSync(out, 'utf8'))).toEqual(expected);
  });

  it('reports every bad line with its number and processes every good line', async () => {
    const bad = Buffer.concat([
      Buffer.from(`${JSON.stringify(events[0])}\n{"kind": "conn", \n[1,2]\n"text"\n`),
      Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
      Buffer.from(`{"pad":"${'x'.repeat(1_100_000)}"}\n\n${JSON.stringify(events[4])}\r\n${JSON.stringify(events[1])}`),
    ]);
    const r = await vigil([...base(), file('bad.jsonl', bad)]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([expected[0], expected[2], expected[1]]);
    const errors = r.stderr.trim().split('\n');
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/bad\.jsonl:2: malformed JSON/);
    expect(errors[1]).toBe(`${join(dir, 'bad.jsonl')}:3: expected a JSON object, found an array`);
    expect(errors[2]).toBe(`${join(dir, 'bad.jsonl')}:4: expected a JSON object, found string`);
    expect(errors[3]).toBe(`${join(dir, 'bad.jsonl')}:5: invalid UTF-8 at byte 6`);
    expect(errors[4]).toMatch(/bad\.jsonl:6: line is 1100010 bytes, longer than the 1048576-byte limit; skipped/);
  });

  it('exits 1 with every diagnostic and runs nothing when the rules have errors', async () => {
    const broken = file('broken.vgl', 'RULE "a" SOURCES k = "v" SINK function (e) { return e }\nRULE "b" SOURCES k = SINK function (e) { return e; }\n');
    const r = await vigil(['run', '--rules', broken, file('e.jsonl', '{"k":"v"}\n')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/broken\.vgl:2:\d+: error: /);
  });

  it('gives clear errors, not stack traces, for missing files and bad usage', async () => {
    const missing = await vigil(['run', '--rules', join(dir, 'nope.vgl'), '-']);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toBe(`vigil: cannot read rules '${join(dir, 'nope.vgl')}': no such file or directory\n`);
    const noList = await vigil(['run', '--rules', rulesFile, '--ioc', `bad_ips=${join(dir, 'none.txt')}`, '-']);
    expect(noList.stderr).toBe(`vigil: cannot read IOC list '${join(dir, 'none.txt')}': no such file\n`);
    const noEvents = await vigil(['run', '--rules', rulesFile, join(dir, 'none.jsonl')]);
    expect(noEvents.stderr).toBe(`vigil: cannot read events '${join(dir, 'none.jsonl')}': no such file\n`);
    const unknownFlag = await vigil(['run', '--frobnicate']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/^vigil: Unknown option '--frobnicate'/);
    expect((await vigil(['fly'])).stderr).toMatch(/^vigil: unknown command 'fly'/);
    expect((await vigil(['run', '--rules', rulesFile, '--out-of-order', 'soon'])).stderr).toMatch(/--out-of-order takes a whole number/);
    expect((await vigil(['run', '--rules', rulesFile, '--ioc', 'nameonly'])).stderr).toMatch(/--ioc takes name=path, got 'nameonly'/);
  });

  it('reports an unknown IOC list in a rule as a rule error', async () => {
    const r = await vigil(['run', '--rules', rulesFile, '--table', `admins=${tableFile}`, '-'], jsonl);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rules\.vgl:4:\d+: error: .*bad_ips/);
  });

  it('gives the same alerts with --sandbox-only', async () => {
    const r = await vigil([...base(), '--sandbox-only', file('events3.jsonl', jsonl)]);
    expect(lines(r.stdout)).toEqual(expected);
  });
});

describe('vigil check', () => {
  it('exits 0 for good rules and says where each function runs', async () => {
    const r = await vigil(['check', rulesFile, '--ioc', 'bad_ips', '--table', 'admins']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rule "admin" ok — simple; filter native, sink native/);
  });

  it('exits 1 and prints every error with file, line, column and a caret', async () => {
    const broken = file('two-errors.vgl', 'RULE "a"\nSOURCES k = "v"\nWITHIN 1:min, 2:min\nSINK function (e) { return e; }\n\nRULE "a" SOURCES k = "v" SINK function (e) { return e; }\n');
    const r = await vigil(['check', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/two-errors\.vgl:3:\d+: error: /);
    expect(r.stderr).toMatch(/two-errors\.vgl:6:\d+: error: .*duplicate|already/i);
    expect(r.stderr).toMatch(/\^/);
  });

  it('refuses a regular expression too costly per input character at its line and column, and a Sigma one naming its rule and field', async () => {
    const vgl = file('costly.vgl', 'RULE "costly"\nSOURCES k = "v"\nFILTER function (e) { return /(\\w+\\s*){1000}/.test(e.cmd); }\nSINK e => e\n');
    const r = await vigil(['check', vgl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/costly\.vgl:3:30: error: .*regular expression \/\(\\w\+\\s\*\)\{1000\}\/ is too costly: .*the limit is 2,500 steps per input character/);
    const sigma = file('costly.yml', "title: Costly\nlogsource:\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|re: '(\\w+\\s*){1000}'\n    condition: selection\n");
    const s = await vigil(['sigma', 'check', sigma]);
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/costly\.yml:6:25: refused rule "Costly": sigma-regex: the regular expression for field 'CommandLine' is too costly: .*the limit is 2,500 steps per input character/);
  });
});

describe('bin/vigil', () => {
  it('runs as a command end to end (built dist/)', () => {
    const bin = join(process.cwd(), 'bin/vigil');
    const out = execFileSync(bin, ['run', '--rules', rulesFile, '--ioc', `bad_ips=${iocFile}`, '--table', `admins=${tableFile}`], { input: jsonl, encoding: 'utf8' });
    expect(lines(out)).toEqual(expected);
    const usage = spawnSync(bin, [], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^Usage:/);
  });
});
