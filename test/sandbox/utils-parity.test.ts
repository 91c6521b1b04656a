import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createUtils } from '../../src/lang/utils.js';
import { host, sandbox } from './helpers.js';

const CALLS: [string, unknown[]][] = [
  ['matches', ['Alpha V1', '([A-Za-z]+) V[0-9]*']],
  ['matches', ['12 V3', '^([A-Za-z]+) V[0-9]*$']],
  ['matches', [null, 'x']],
  ['matches', [42, '^4']],
  ['matches', ['abc', '[']],
  ['includesIgnoreCase', ['Hello WORLD', 'world']],
  ['includesIgnoreCase', ['ÄÖÜ', 'äö']],
  ['includesIgnoreCase', [undefined, 'x']],
  ['startsWith', ['powershell.exe', 'power']],
  ['startsWith', ['x', null]],
  ['endsWith', ['evil.ps1', '.ps1']],
  ['endsWith', [12345, 45]],
  ['lower', ['MiXeD Ünïcödé']],
  ['lower', [null]],
  ['upper', ['straße']],
  ['upper', [7]],
  ['cidrContains', ['10.0.0.0/8', '10.1.2.3']],
  ['cidrContains', ['10.0.0.0/8', '11.1.2.3']],
  ['cidrContains', ['192.168.1.0/24', '192.168.1.255']],
  ['cidrContains', ['0.0.0.0/0', '8.8.8.8']],
  ['cidrContains', ['1.2.3.4', '1.2.3.4']],
  ['cidrContains', ['10.0.0.0/8', '::ffff:10.9.8.7']],
  ['cidrContains', ['10.0.0.0/8', '::ffff:0a09:0807']],
  ['cidrContains', ['2001:db8::/32', '2001:db8:1::1']],
  ['cidrContains', ['2001:db8::/32', '2001:db9::1']],
  ['cidrContains', ['fe80::/10', 'fe80::1%eth0']],
  ['cidrContains', ['::/0', '::1']],
  ['cidrContains', ['2001:db8::/129', '2001:db8::1']],
  ['cidrContains', ['10.0.0.0/33', '10.0.0.1']],
  ['cidrContains', ['10.0.0.0/8', '10.0.0.256']],
  ['cidrContains', ['10.0.0.0/8', 'not an ip']],
  ['cidrContains', ['garbage', '10.0.0.1']],
  ['cidrContains', ['10.0.0.0/8', '2001:db8::1']],
  ['cidrContains', ['1:2:3:4:5:6:7:8:9/64', '1::']],
  ['cidrContains', ['10.0.0.0/8', null]],
  ['cidrContains', ['10.0.0.0/x', '10.0.0.1']],
  ['inTable', ['admins', 'root']],
  ['inTable', ['admins', 'mallory']],
  ['inTable', ['nope', 'root']],
  ['inTable', ['bad_ips', null]],
];

function nativeCall(name: string, args: unknown[]): unknown {
  const utils = createUtils(host) as unknown as Record<string, (...a: unknown[]) => unknown>;
  try {
    return { value: utils[name](...args) };
  } catch (e) {
    return { error: (e as Error).name };
  }
}

describe('utils: one implementation on both paths', () => {
  test('createUtils.toString() is self-contained under the test transform', () => {
    const text = createUtils.toString();
    expect(text.startsWith('function createUtils(')).toBe(true);
    expect(text).not.toMatch(/__name|__publicField|__awaiter|_ts_|__vite|import\.meta|require\(/);
  });

  test('createUtils survives tsc output without helpers', () => {
    const source = readFileSync(new URL('../../src/lang/utils.ts', import.meta.url), 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, verbatimModuleSyntax: false },
    }).outputText;
    const start = out.indexOf('function createUtils(');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(out).not.toMatch(/__name|__publicField|__awaiter|_ts_|__importDefault|tslib/);
  });

  test('the sandbox and the native utils agree on a corpus of calls', async () => {
    const sb = await sandbox({
      sink: `function (c) {
        try { return { value: utils[c.name].apply(null, c.args) }; } catch (e) { return { error: e.name }; }
      }`,
    });
    const inputs = CALLS.map(([name, args]) => ({ name, args }));
    const inVm = sb.sink(inputs).results;
    CALLS.forEach(([name, args], i) => {
      expect(inVm[i], `${name}(${JSON.stringify(args)})`).toEqual(JSON.parse(JSON.stringify(nativeCall(name, args))));
    });
    sb.dispose();
  });
});
