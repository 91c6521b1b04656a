/**
 * Hostile Sigma input: alias bombs, huge documents and values, deep nesting, pathological wildcards.
 * Each ends in a clear diagnostic or a linear-time match. Time bounds are derived from the input's
 * size through a yardstick measured on the same machine in the same run (a benign input of the same
 * size, or one linear pass over the text), never a fixed wall-clock figure alone.
 */
import { describe, expect, it } from 'vitest';
import { loadSigma, MAX_VALUES_PER_FILE } from '../../src/sigma/index.js';
import { compile, ruleText } from './helpers.js';

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

/** Time to load a benign rule file padded to `length` characters (a long description). */
function benignLoadMs(length: number): number {
  const base = ruleText("    selection:\n        A: 'a'");
  const text = `${base}description: '${'x'.repeat(Math.max(0, length - base.length - 20))}'\n`;
  return timed(() => loadSigma([{ file: 'benign.yml', text }])).ms;
}

describe('YAML alias bombs (billion laughs)', () => {
  it('stop at the alias budget with a diagnostic, in time proportional to the source', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const text = `title: Laughs\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: 'a'\n    condition: sel\n${levels.join('\n')}\n`;
    const yardstick = benignLoadMs(text.length);
    const { value, ms } = timed(() => loadSigma([{ file: 'bomb.yml', text }]));
    expect(value.rules).toHaveLength(0);
    expect(value.diagnostics.map((d) => d.code)).toEqual(['sigma-yaml-limit']);
    expect(value.diagnostics[0].message).toMatch(/alias expansions|YAML nodes/);
    // 9^10 nodes would be expanded without the budget; with it, a small multiple of a benign load.
    expect(ms).toBeLessThan(50 * yardstick + 200);
  });

  it('an alias used inside the detection within the budget works like the anchored value', () => {
    const text = "title: Alias\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: &v 'evil'\n        B: *v\n    condition: sel\n";
    const m = compile(text).match;
    expect(m({ A: 'evil', B: 'EVIL' })).toBe(true);
    expect(m({ A: 'evil', B: 'good' })).toBe(false);
  });
});

describe('huge documents and values', () => {
  it('a file over the source limit is refused at once', () => {
    const text = `title: Big\n#${'x'.repeat(1 << 20)}\n`;
    const d = loadSigma([{ file: 'big.yml', text }]).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['sigma-too-large']);
    expect(d[0].message).toMatch(/limit of 1048576/);
  });

  it('a 1 MB value compiles, and matching a 1 MB command line is linear', () => {
    const value = 'a'.repeat(1_000_000);
    const text = ruleText(`    selection:\n        CommandLine|contains: '${value}b'`);
    const yardstick = benignLoadMs(text.length);
    const { value: plan, ms } = timed(() => compile(text));
    expect(ms).toBeLessThan(50 * yardstick + 200);
    const event = { CommandLine: 'a'.repeat(1_000_000) };
    const pass = timed(() => event.CommandLine.toLowerCase().indexOf('\u0001')).ms;
    const match = timed(() => plan.match(event));
    expect(match.value).toBe(false);
    expect(match.ms).toBeLessThan(200 * pass + 100);
  });

  it('too many documents in one file are refused', () => {
    const doc = "title: T\nlogsource:\n    product: x\ndetection:\n    s:\n        A: 1\n    condition: s\n";
    const text = Array(1001).fill(doc).join('---\n');
    const d = loadSigma([{ file: 'many.yml', text }]).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['sigma-too-many-documents']);
  });
});

describe('deep nesting', () => {
  it('flow-style nesting beyond the depth limit is a diagnostic', () => {
    const text = `title: Deep\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: ${'['.repeat(5000)}${']'.repeat(5000)}\n    condition: sel\n`;
    const yardstick = benignLoadMs(text.length);
    const { value, ms } = timed(() => loadSigma([{ file: 'deep.yml', text }]));
    expect(value.rules).toHaveLength(0);
    expect(value.diagnostics.some((d) => d.code === 'sigma-yaml-limit' || d.code === 'sigma-yaml')).toBe(true);
    expect(ms).toBeLessThan(50 * yardstick + 500);
  });

  it('block-style nesting beyond the depth limit is a diagnostic naming the place', () => {
    const lines = ['title: Deep', 'logsource:', '    product: x', 'detection:', '    sel:'];
    for (let i = 0; i < 100; i++) lines.push(`${' '.repeat(8 + 2 * i)}k${i}:`);
    lines.push(`${' '.repeat(208)}v`, '    condition: sel');
    const d = loadSigma([{ file: 'deep.yml', text: lines.join('\n') }]).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'sigma-yaml-limit', file: 'deep.yml' });
    expect(d[0].message).toMatch(/nested more than 64/);
    expect(d[0].line).toBeGreaterThan(60);
  });
});

describe('pathological wildcards against long fields', () => {
  it.each([
    "'*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'",
    "'*a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?b*'",
    "'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c'",
  ])('%s on a 1 MB field', (pattern) => {
    const plan = compile(ruleText(`    selection:\n        CommandLine: ${pattern}`));
    const event = { CommandLine: 'A'.repeat(1_000_000) };
    const pass = timed(() => event.CommandLine.toLowerCase().indexOf('\u0001')).ms;
    const { value, ms } = timed(() => plan.match(event));
    expect(value).toBe(false);
    expect(ms).toBeLessThan(200 * pass + 100);
  });

  it('a duplicate key is a YAML error, not a silent overwrite', () => {
    const d = loadSigma([{ file: 'dup.yml', text: ruleText("    selection:\n        A: 'a'\n        A: 'b'") }]).diagnostics;
    expect(d[0].code).toBe('sigma-yaml');
    expect(d[0].line).toBe(9);
  });

  it('one bad rule among good ones affects only itself', () => {
    const good = ruleText("    selection:\n        A: 'a'");
    const bad = ruleText("    selection:\n        A|nope: 'a'");
    const c = loadSigma([
      { file: 'good1.yml', text: good },
      { file: 'bad.yml', text: bad },
      { file: 'good2.yml', text: `${good}---\n${bad}` },
    ]);
    expect(c.rules.map((r) => r.file)).toEqual(['good1.yml', 'good2.yml']);
    expect(c.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}`)).toEqual(['bad.yml:8', 'good2.yml:19']);
  });
});

describe('prototype names', () => {
  it('__proto__, constructor and toString are fields like any other, in rules, pipelines and aliases', () => {
    const m = compile(ruleText("    selection:\n        __proto__: 'x'\n        constructor|contains: 'y'")).match;
    expect(m(JSON.parse('{"__proto__": "x", "constructor": "xyz"}') as Record<string, unknown>)).toBe(true);
    expect(m({})).toBe(false);
    const absent = compile(ruleText('    selection:\n        toString|exists: false')).match;
    expect(absent({})).toBe(true);
    const c = loadSigma([{ file: 'c.yml', text: 'title: a\nname: a\nlogsource:\n    product: x\ndetection:\n    s:\n        A: 1\n    condition: s\n---\ntitle: C\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [__proto__]\n    timespan: 1m\n    condition: {gte: 1}\n    aliases:\n        __proto__:\n            a: user\n' }]);
    expect(c.diagnostics).toEqual([]);
    expect(Object.getPrototypeOf(c.correlations[0].aliases)).toBeNull();
    expect(Object.keys(c.correlations[0].aliases)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });
});

describe('hostile regular expressions', () => {
  it('an over-long pattern is refused before any regex machinery sees it; nested counted repeats are refused', () => {
    const long = loadSigma([{ file: 'r.yml', text: ruleText(`    selection:\n        F|re: '${'(a|b)*'.repeat(1000)}'`) }]).diagnostics;
    expect(long.map((d) => d.code)).toEqual(['sigma-limit']);
    const nested = loadSigma([{ file: 'r.yml', text: ruleText("    selection:\n        F|re: '((((a{100}){100}){100}){100})'") }]).diagnostics;
    expect(nested.map((d) => d.code)).toEqual(['sigma-regex']);
  });

  it('a pattern linear but too costly per character is refused, naming the rule, the field and the limit; the other rules load', () => {
    // (\w+\s*){1000} is linear on re2js, but its 6,002 instructions cost hundreds of µs per character
    // (minutes for a 1 MB command line); the corpus's .{1000,} is at the limit and loads.
    const costly = ruleText("    selection:\n        Image|endswith: '.exe'\n        CommandLine|re: '(\\w+\\s*){1000}'").replace('title: Test rule', 'title: Costly');
    const atLimit = ruleText("    selection:\n        CommandLine|re: '.{1000,}'").replace('title: Test rule', 'title: Long line');
    const c = loadSigma([
      { file: 'costly.yml', text: costly },
      { file: 'long.yml', text: atLimit },
    ]);
    const errors = c.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.file, d.line, d.rule])).toEqual([['sigma-regex', 'costly.yml', 9, 'Costly']]);
    expect(errors[0]!.message).toMatch(/^the regular expression for field 'CommandLine' is too costly: /);
    expect(errors[0]!.message).toMatch(/\(6,002 instructions, each of which may run at every character\); the limit is 2,500 steps per input character$/);
    expect(c.rules.map((r) => r.name)).toEqual(['Long line']);
    expect(c.rules[0]!.match({ CommandLine: 'x'.repeat(1000) })).toBe(true);
    expect(c.rules[0]!.match({ CommandLine: `${'x'.repeat(999)}\n${'x'.repeat(999)}` })).toBe(false);
  });
});

describe('many keys', () => {
  it('a map of 40,000 fields loads in time linear in its size (duplicate keys checked with a set)', () => {
    const build = (n: number) => `title: T\nlogsource:\n    product: x\ndetection:\n    sel:\n${Array.from({ length: n }, (_, i) => `        k${i}: v`).join('\n')}\n    condition: sel\n`;
    const small = build(4000);
    const large = build(40_000);
    const tSmall = timed(() => loadSigma([{ file: 'k.yml', text: small }])).ms;
    const { value, ms } = timed(() => loadSigma([{ file: 'k.yml', text: large }]));
    expect(value.rules).toHaveLength(1);
    // Ten times the input: a linear loader takes about ten times as long; a pairwise key check, a hundred.
    expect(ms).toBeLessThan(30 * tSmall + 300);
    const dup = loadSigma([{ file: 'k.yml', text: build(3).replace('k2: v', 'k0: v') }]).diagnostics;
    expect(dup.map((d) => [d.code, d.line, d.column])).toEqual([['sigma-yaml', 8, 9]]);
    expect(dup[0].message).toMatch(/'k0' is repeated/);
  });
});

describe('values a file stands for after expansion', () => {
  // '-a0 -b -c -d' has 4 dashes: windash makes 5^4 = 625 variants, base64offset 3 encodings of each,
  // so each entry stands for 1,875 values, under the 16,384 of one entry. 2,000 such entries (a
  // 133 KB file) took V8 out of memory after two minutes; 200 took 5 s and 660 MB.
  const entry = (i: number) => `    - CommandLine|windash|base64offset|contains: '-a${i} -b -c -d'\n`;
  const doc = (title: string, entries: number) => `title: ${title}\nlogsource:\n    product: test\ndetection:\n  sel:\n${Array.from({ length: entries }, (_, i) => entry(i)).join('')}  condition: sel\n`;

  it(`refuses the field entry that takes a file past ${131_072} values, in the document or across documents`, () => {
    expect(MAX_VALUES_PER_FILE).toBe(131_072);
    const started = performance.now();
    const one = loadSigma([{ file: 'bomb.yml', text: doc('Bomb', 2000) }]);
    expect(one.rules).toEqual([]);
    // 69 × 1,875 = 129,375 values; the 70th entry (line 6 + 69) takes it to 131,250.
    expect(one.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['sigma-limit', 75, 7]]);
    expect(one.diagnostics[0]!.message).toMatch(/more than 131,072 values/);
    expect(performance.now() - started).toBeLessThan(20_000);

    // 40 entries (75,000 values) a document: the first loads, the second passes the limit at its
    // 30th entry (75,000 + 30 × 1,875 = 131,250), and so does every later one at its first.
    const many = loadSigma([{ file: 'many.yml', text: [doc('A', 40), doc('B', 40), doc('C', 40)].join('---\n') }]);
    expect(many.rules.map((r) => r.name)).toEqual(['A']);
    expect(many.diagnostics.map((d) => [d.code, d.line])).toEqual([['sigma-limit', 47 + 6 + 29], ['sigma-limit', 2 * 47 + 6]]);
    // The budget is the file's: another file loads.
    expect(loadSigma([{ file: 'a.yml', text: doc('A', 40) }, { file: 'b.yml', text: doc('B', 40) }]).rules).toHaveLength(2);
  });
});
