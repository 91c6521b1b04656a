import { parseExpressionAt } from 'acorn';
import { describe, expect, it } from 'vitest';
import { isSafeRegex, MAX_FACTOR, nativeUnsafeReason } from '../../src/lang/native-safety.js';

const reasonFor = (text: string) => nativeUnsafeReason(parseExpressionAt(text, 0, { ecmaVersion: 'latest' }), text);

describe('isSafeRegex (linear on the built-in engine)', () => {
  it.each(['^admin$', 'a+b*c?', '(ab)+', '[(+*)]+', '(?:foo|bar)', 'x{2,5}', '^\\d+\\.\\d+$', 'fail(ed|ure)', '\\s+', 'foo(?!bar)'])('accepts %s', (p) => {
    expect(isSafeRegex(p)).toBe(true);
  });
  it.each([
    '(a+)+$', '(a*)*', '(a|a)*', '(a|ab)*c', '(\\w+\\s?)+$', '(\\w+\\s?)*$', '(x+x+)+y', '(a)\\1', '((ab)*)+', '(a{1,}){2,}',
    '(.*a){20}', '\\s+$', '\\d+\\.\\d+', '([A-Za-z]+) V[0-9]*', '[\\w.]+@', '(\\d|[0-5])+x', '^(a|[ab])*$', '(?=(a+)+)b',
  ])('refuses %s', (p) => {
    expect(isSafeRegex(p)).toBe(false);
  });
});

describe('nativeUnsafeReason', () => {
  it.each([
    `function (e) { return utils.matches(e.tag, '([A-Za-z]+) V[0-9]*') && /^a/.test(e.x); }`,
    `function (events) { return events.filter(e => e.ok).length > 2; }`,
    `(events) => events.filter(e => e.tags.some(t => t === 'admin')).length`,
    `(events) => events.reduce((acc, e) => acc + e.bytes, 0)`,
    `(events) => events.reduce((acc, e) => acc + (e.ok ? 1 : 0), 0) > 3`,
    `(events) => events.reduce((n, e) => Math.max(n, e.port), 0)`,
    `(events) => events.map((e, i) => i + ':' + e.host).join('|')`,
    `(events) => events.filter(e => e.user === events[0].user).length`,
    `(events) => events.some((e, i, all) => i > 0 && e.host === all[i - 1].host)`,
    `(e) => e.user?.name?.padStart(6, '*') === '**root'`,
    `(e) => e.user.padStart(10000, '*').length`,
    `(e) => e.n.toString() + e.m.toString(10) + e.tags.toString()`,
    `(events) => events.map((e) => e.port.padStart(64, '0')).join(',')`,
    `(e) => e.msg.replace('a', "[$&$\`$']").length`,
    `(e) => e.groupTag?.replace(/V(\\d+)/g, 'v$1')`,
    `(e) => ({ ...e, copy: [...e.tags, ...e.tags] })`,
    `function (e) { const m = e.msg; if (m == null) return false; return m.length > 5; }`,
  ])('lets %s run natively', (text) => {
    expect(reasonFor(text)).toBeUndefined();
  });

  it.each([
    // The three cases of issue 11, then their relatives.
    ['(events) => events.map(() => events.slice()).length > 0', /`\.slice\(\)` on `events` inside an array callback .* square .* at 1:30/],
    ['(e) => e.arr.reduce((a) => [...a, ...a], e.arr).length > 0', /returns `\[\.\.\.a, \.\.\.a\]`, built from the accumulator .* at 1:28/],
    ['(events) => events.reduce((acc, e) => [...acc, e], [])', /accumulator/],
    ['(events) => events.reduce((acc, e) => ({ ...acc, [e.k]: 1 }), {})', /accumulator/],
    ['(events) => events.reduce((acc, e) => acc.concat([e]), [])', /accumulator/],
    ['(events) => events.reduce((best, e) => e.score > best.score ? e : best)', /accumulator/],
    ["(events) => events.reduce((a, e) => (a - 1, a + e.msg), '')", /walks the accumulator/],
    ["(events) => events.reduce((a, e) => a + a, 'x')", /adds the accumulator to itself/],
    ['(events) => events.reduce((a, e) => `${a}${a}`, "x")', /holds the accumulator twice/],
    ['(events) => events.some(a => events.some(b => a.id != b.id))', /`\.some\(\)` on `events.some` .* square/],
    ['(a) => a.map(x => x.ip).filter((ip, i, all) => all.indexOf(ip) === i)', /`\.indexOf\(\)` on `all`/],
    ['(events) => events.map(() => events)', /returns `events`, a value from outside/],
    ['(events) => events.map(e => ({ e, all: events }))', /returns `\{ e, all: events \}`/],
    ['(events) => events.filter(e => e.msg == events[0].msg).length', /`==`/],
    ['(events) => events.map(e => `${events}`)', /template literal/],
    ['(events) => events.filter(e => JSON.stringify(events).includes(e.id))', /JSON\.stringify/],
    ['(events) => events.filter(e => utils.matches(events[0].msg, "a"))', /utils\.matches/],
    ['function (events) { if (events.length) { const events = 1; } return events.map(() => events.slice()).length; }', /square/],
    [`function (e) { const a = [...e.x, ...e.x]; const b = [...a, ...a]; const c = [...b, ...b]; const d = [...c, ...c]; const f = [...d, ...d]; const g = [...f, ...f]; return [...g, ...g]; }`, new RegExp(`128 times the size of its input \\(the limit is ${MAX_FACTOR}\\)`)],
    ['function (e) { return e.x.padStart(e.n).length; }', /padStart/],
    ["(e) => e.x.repeat(1000)", /repeat/],
    ['(e) => e.tags.join(e.sep)', /join/],
    ['(e) => e.msg.replace(/a/g, e.x)', /replace/],
    ["(e) => e.msg.replace(/a/g, '$`')", /replace/],
    // Without /g too: each $` or $' of the replacement copies the input before or after the one
    // match, so a replacement read from the event (or a literal with many of them) makes the
    // output the input's size times the replacement's: 500 KB × 1,000 $` from one 1 MB line,
    // 400 ms and 500 MB natively per event.
    ["(e) => e.msg.replace('a', e.rep).includes('zz')", /replace/],
    ['(e) => e.msg.replace(/a/, e.rep)', /replace/],
    [`(e) => e.msg.replace('a', '${'$`'.repeat(70)}')`, /replace/],
    [`(e) => e.msg.replace('a', "${"$'".repeat(70)}")`, /replace/],
    ['(e) => JSON.stringify(e, null, 2)', /indentation/],
    // The digits of a fraction in another radix differ between V8 and QuickJS ((0.3).toString(36):
    // '0.asssssssssp' natively, '0.asssssssssr' in the sandbox), and run to about 1,100 characters.
    ['(e) => e.n.toString(36)', /toString/],
    ['(e) => e.n.toString(e.radix) === e.s', /toString/],
    ['(events) => events.map((e) => e.n.toString(2).split(""))', /toString/],
    // Padding is a constant per call, but per element inside a callback: over a 20,000-event
    // window this made 200 million one-character strings natively (7 s, 1.7 GB, no deadline).
    ["(events) => events.map(e => ''.padStart(10000, 'x').split('')).length > 0", /padStart/],
    ['(e) => e.list.some((x) => x.padEnd(65) === e.name)', /padEnd/],
    ['(events) => events.map((e) => e.tags.map((t) => t.padStart(1000)))', /padStart/],
    ['function (e) { return utils.matches(e.x, e.pattern); }', /not a string literal/],
    ['function (e) { return /(a)\\1/.test(e.x); }', /backreference/],
    ["function (e) { return utils.matches(e.x, '(?=(a+)+$)'); }", /lookahead/],
    ['function (e) { return e.x.match(e.y); }', /not a literal/],
  ])('sends %s to the sandbox', (text, reason) => {
    expect(reasonFor(text as string)).toMatch(reason as RegExp);
  });
});

describe('utils.distinct, the linear form of the indexOf dedupe', () => {
  it('gives what xs.filter((x, i, all) => all.indexOf(x) === i) gives', async () => {
    const { createUtils } = await import('../../src/lang/utils.js');
    const utils = createUtils({ inTable: () => false, classify: () => ({ label: '', cluster: 0, score: 0 }) });
    let seed = 5;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pool = ['a', 'b', 1, '1', null, undefined, true, 0, -0, 'c'];
    for (let n = 0; n < 200; n++) {
      const xs = Array.from({ length: Math.floor(next() * 30) }, () => pool[Math.floor(next() * pool.length)]);
      expect(utils.distinct(xs)).toEqual(xs.filter((x, i, all) => all.indexOf(x) === i));
    }
    expect(() => utils.distinct('abc')).toThrow(TypeError);
    expect(reasonFor('(events) => utils.distinct(events.map((e) => e.ip)).length')).toBeUndefined();
  });
});
