/**
 * The expression compiler must agree with JavaScript: for every (function, input) of the corpus, the
 * compiled closure returns a deep-equal value, or throws an error of the same type, as the same
 * function run as real JavaScript. (Here, in the test only, the reference is built with `new Function`.)
 */
import { describe, expect, it, vi } from 'vitest';
import {
  compileFunctionText,
  ForbiddenMemberError,
  type CompiledFunction,
} from '../../src/lang/compile-expression.js';
import { createUtils, type Utils } from '../../src/sandbox/utils.js';

const utils: Utils = createUtils({ inTable: (table, value) => table === 'admins' && ['root', 'admin'].includes(value) });

/** The same function run as JavaScript (test only). */
function reference(text: string): CompiledFunction {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('utils', `return (${text})`)(utils) as CompiledFunction;
}

function compiled(text: string): CompiledFunction {
  const result = compileFunctionText(text, utils);
  if (!result.ok) throw new Error(`did not compile: ${text}\n  ${result.reason}`);
  return result.fn;
}

type Outcome = { value: unknown } | { error: string };

function outcome(fn: CompiledFunction, input: unknown): Outcome {
  try {
    return { value: fn(input) };
  } catch (err) {
    return { error: err instanceof Error ? Object.getPrototypeOf(err).constructor.name : typeof err };
  }
}

// ---- inputs -----------------------------------------------------------------------------------

const EVENTS: unknown[] = [
  {
    integer: 3, tag: 'id_tag_3', groupTag: 'alpha V12', host: 'web1', port: 443, user: { name: 'root' },
    outcome: 'failure', msg: 'login failed', tags: ['admin', 'b'], score: 0.75, count: 5, src_ip: '10.1.2.3', field: 'host',
  },
  {
    integer: '3', tag: 'id_tag_3', groupTag: 'Beta V', host: 'web1.example.com', port: '8080', user: { name: 'admin' },
    outcome: 'success', msg: 'Login ok', tags: [], score: '0.5', count: '5', src_ip: '192.168.0.1', field: 'tag',
  },
  {},
  { integer: null, tag: null, host: null, port: null, user: null, msg: null, tags: null, score: null, count: null, a: null },
  {
    integer: 4, tag: 'id_tag_4', groupTag: '123', host: 'db1', port: 22, user: { name: 'alice', id: 7 }, outcome: 'failure',
    msg: 'FAILED password for alice', tags: ['b', 'c', 'a'], score: 0.1, count: 0, src_ip: '::ffff:10.0.0.1',
  },
  { unicode: 'école', msg: 'éèê 😀 login', user: { name: 'ünï' }, tags: ['😀', 'émoji'], host: 'web2', port: 1e6 },
  { unicode: '😀x\u0301', msg: 'ﬁ ß İ', host: 'ÄÖÜ.example', outcome: 'failure', integer: 3 },
  { nested: { list: [{ v: 1 }, { v: 5 }, { v: 10 }] }, a: { b: { c: 1 } }, host: 'x.y.z', field: 'nested' },
  { nested: { list: [] }, a: { b: null }, tags: ['admin', 'admin'] },
  { nested: { list: [{ v: '3' }, {}] }, a: 5, tags: [null, 1, 'admin'] },
  { tags: 'admin', msg: 42, port: '443', integer: 3.0, score: 'x', field: 'port' },
  { tags: { 0: 'admin', length: 1, includes: 'no' }, msg: ['login'], user: 'root', port: -1, integer: true },
  { port: 'abc', score: '1e3', count: '', integer: '', msg: 'a'.repeat(40), outcome: 'failure', host: 'web1' },
  { msg: '  login  spaced  out  ', host: 'web1', outcome: 'failure', user: { name: 'root' }, count: 10, score: 0.5 },
  { msg: 'aaaa', field: 'msg', tags: ['a', 'aa', 'aaa'] },
  { msg: '', field: 'missing', score: 0.499, port: '0x1F' },
  { score: -0.5, count: -3, port: 0, integer: 0, tags: [true, false] },
  { score: 1e21, port: 65535, integer: '03', count: '10', msg: 'id 42 found', user: { name: 'root', extra: [1, 2] } },
  { user: { name: 'root', extra: [1, 2] }, tags: ['admin'], outcome: 'failure', host: 'web1', port: 443, integer: 3, score: 2.345 },
  { src_ip: 'not an ip', groupTag: 'Gamma V9', tag: 'id_tag_3', integer: '3.0', host: 'Web1' },
  JSON.parse('{"__proto__": {"x": 1}, "host": "evil", "integer": 3, "user": {"name": "root"}}'),
  { a: { b: { c: undefined } }, nested: { list: [{ v: 2 }, { v: 2 }, { v: 2 }, { v: 2 }, { v: 2 }, { v: 2 }] }, score: 0 },
  { integer: 3, tag: 'id_tag_3', groupTag: 'Alpha V', port: 443.5, msg: 'login ok', outcome: 'success', count: 7 },
];

/** Inputs a FILTER or SINK should never see but might: each must fail (or not) exactly as JavaScript does. */
const ODD_INPUTS: unknown[] = [null, undefined, 'a string event', 42, true, [], ['admin'], { tags: [[]] }];

const GROUPS: unknown[] = [
  [],
  [EVENTS[0]],
  EVENTS.slice(0, 4),
  EVENTS.slice(4, 10),
  EVENTS.slice(10, 16),
  EVENTS.slice(16),
  [EVENTS[0], EVENTS[13], EVENTS[18]],
  [EVENTS[0], EVENTS[0], EVENTS[4]],
  EVENTS.filter((e) => (e as { outcome?: string }).outcome === 'failure'),
  // eslint-disable-next-line no-sparse-arrays
  [, EVENTS[0], , EVENTS[1]],
  EVENTS,
  null,
  'not an array',
  [null, EVENTS[0]],
];

// ---- the corpus --------------------------------------------------------------------------------

const FILTERS: string[] = [
  "function (event) { return utils.matches(event['groupTag'], '([A-Za-z]+) V[0-9]*') && event['integer'] == 3 && event['tag'] == 'id_tag_' + 3; }",
  'function (event) { return event.integer == 3; }',
  "function (event) { return event['integer'] === 3; }",
  "function (e) { return e.user.name === 'root'; }",
  "function (e) { return e.user?.name === 'root'; }",
  "(e) => e.tags.includes('admin')",
  "e => e.tags?.includes?.('admin') ?? false",
  "function (e) { return utils.cidrContains('10.0.0.0/8', e.src_ip); }",
  "function (e) { return utils.inTable('admins', e.user?.name); }",
  "function (e) { return utils.includesIgnoreCase(e.msg, 'FAIL'); }",
  "function (e) { return utils.lower(e.msg) === 'login failed'; }",
  'function (e) { return e.port > 1024 && e.port < 65536; }',
  "function (e) { return e.port >= '1024'; }",
  "function (e) { return typeof e.port === 'number' ? e.port % 2 === 0 : String(e.port).endsWith('0'); }",
  "function (e) { return !e.outcome || e.outcome !== 'success'; }",
  "function (e) { return e.msg.toLowerCase().startsWith('login'); }",
  'function (e) { return /fail(ed|ure)/i.test(e.msg); }',
  'function (e) { return /a/g.test(e.msg) && /a/g.test(e.msg); }',
  'function (e) { return /a/y.test(e.msg); }',
  'function (e) { const m = e.msg; if (m == null) return false; return m.length > 5; }',
  'function (e) { const n = Number(e.port); let ok = n > 0; if (isNaN(n)) { return null; } else if (ok) return n < 1000; return ok; }',
  "function (e) { return 'user' in e; }",
  'function (e) { return e.count + 1 > 5; }',
  'function (e) { return e.count * 2 - 1 >= 9; }',
  'function (e) { return e.a?.b?.c === undefined; }',
  'function (e) { return (e.tags || []).length > 1; }',
  "function (e) { return e.tags?.[0] === 'admin'; }",
  "function (e) { return e[e.field] === 'web1'; }",
  'function (e) { return Math.max(e.port, 100) === e.port; }',
  'function (e) { return parseInt(e.port, 10) === 443 || parseFloat(e.score) > 0.5; }',
  "function (e) { return Array.isArray(e.tags) && e.tags.some(t => t.startsWith('a')); }",
  'function (e) { return Object.keys(e).length > 4; }',
  "(e) => JSON.stringify(e.user, null, 2) + JSON.stringify(e.tags, ['name']) + JSON.stringify(e.port, undefined)",
  'function (e) { return JSON.stringify(e.user) === \'{"name":"root"}\'; }',
  "function (e) { return `${e.user?.name}@${e.host}` === 'root@web1'; }",
  "function (e) { return e.msg?.match(/(\\d+)/)?.[1] === '42'; }",
  "function (e) { return e.host?.split('.').length === 3; }",
  "function (e) { return e.msg.replace('login', 'LOGIN').indexOf('LOGIN') === 0; }",
  '(e) => void e.x === undefined',
  "(e) => typeof e.user === 'object' && e.user !== null",
  "(e) => e.score.toFixed(1) === '0.5'",
  '(e) => (e.port, e.integer) == 3',
  '(e) => -e.port < -1000 && +e.integer === 3 && !!e.tags',
  '(e) => e.integer ** 2 === 9 && (e.integer & 1) === 1 && ~e.integer === -4',
  "(e) => e.msg?.at(-1) === 'd'",
  "(e) => e.tags?.join(',').includes('b')",
  "(e) => e.user?.name?.padStart(6, '*') === '**root'",
  '(e) => e.nested?.list?.map(x => x.v * 2).reduce((a, b) => a + b, 0) > 10',
  '(e) => e.unicode?.length',
  "(e) => e.unicode?.toUpperCase() === 'ÉCOLE'",
  "(e) => utils.matches(e.unicode, '^é')",
  "(e) => e.count != null && e.count !== '' ? e.count > 2 : null",
  '(e) => [e.integer, e.port].includes(3)',
  "(e) => ({ a: 1, ...e.user }).name === 'root'",
  "(e) => e.tags?.slice(1).concat(['z']).at(-1)",
  '(e) => e.msg?.trim().split(/\\s+/).length',
  "(e) => e.tags?.indexOf('b') ?? -2",
  "(e) => Boolean(e.msg) && String(e.msg).charAt(0) === 'l'",
  '(e) => isFinite(e.port) && !isNaN(e.score)',
  '(e) => Object.values(e.user ?? {}).length',
  '(e) => Object.entries(e.user ?? {}).map(kv => kv[0] + "=" + kv[1])',
  "(e) => e.msg?.substring(0, 5).trimEnd().endsWith('n')",
  '(e) => e.port?.toString(16)',
  '(e) => Math.round(e.score * 100) / 100',
  "(e) => e.integer == 3 ? 'three' : e.integer == null ? 'none' : 'other'",
  'function (e) { var x = e.port; if (x) { const y = x * 2; return y; } return x; }',
  'function (e) { const a = b + 1; const b = 2; return a; }',
  "function (e) { let r; if (e.integer == 3) return 'a'; return r; }",
  "function (e) { if (e.port) { const p = e.port; if (p > 100) { const q = p + 1; return q; } } else { return 'no port'; } return null; }",
  "(e) => e.tags?.find(t => t === 'b') ?? 'none'",
  "(e) => e.tags?.findIndex(t => t > 'a')",
  "(e) => e.tags?.every(t => typeof t === 'string')",
  "(e) => [...(e.tags ?? []), ...'xy'].length",
  "(e) => e.msg?.concat('!', e.port)",
  '(e) => e.score?.toFixed?.(2)',
  "(e) => e.user?.['name']",
  "(e) => e.tags?.lastIndexOf('admin')",
  "(e) => e.msg?.lastIndexOf?.('a')",
  "function (e) { 'use strict'; return e.host === undefined ? NaN : Infinity; }",
  "(e) => e.tags?.filter(t => t === e.tags[0]).length",
  "(e) => e.msg?.trimStart().padEnd(30, '.').slice(-5)",
  "(e) => e.tag?.toUpperCase?.() === 'ID_TAG_3'",
  "(e) => e.groupTag?.replace(/V(\\d+)/g, 'v$1')",
  "(e) => utils.startsWith(e.host, 'web') && !utils.endsWith(e.host, '.com')",
  '(e) => e.user?.name?.localeCompare',
  '(e) => `${e.integer}${e.tag}` === `3id_tag_3`',
  '(e) => Math.PI * 2 > e.score && Number.isInteger(e.port) && e.port <= Number.MAX_SAFE_INTEGER',
];

const HAVINGS: string[] = [
  "function (events) { return events.filter(e => e.outcome === 'failure').length >= 2; }",
  'function (events) { return events.length > 3 && events.every(e => e.user?.name === events[0].user?.name); }',
  "function (events) { const fails = events.filter(e => e.outcome === 'failure'); if (fails.length === 0) return null; return { count: fails.length, first: fails[0].host, users: fails.map(e => e.user?.name ?? null) }; }",
  "(events) => events.reduce((acc, e) => acc + (typeof e.port === 'number' ? e.port : 0), 0)",
  '(events) => events.reduce((acc, e, i) => i === 0 ? e.integer : acc + e.integer)',
  "(events) => events.map((e, i) => i + ':' + e.host).join('|')",
  '(events) => events.some(e => events.some(f => f !== e && f.host === e.host))',
  '(events) => events.find(e => e.score > 0.5)?.host',
  "(events) => events.findIndex(e => e.tags?.includes('admin'))",
  "function (events) { const hosts = events.map(e => e.host).filter(h => typeof h === 'string'); return hosts.length ? { hosts, n: hosts.length } : false; }",
  '(events) => Math.max(...events.map(e => Number(e.port) || 0))',
  '(events) => events.length >= 2 && events[events.length - 1].integer - events[0].integer',
  "(events) => events.filter(function (e) { return e.outcome === 'success'; }).length",
  '(events) => events.map(e => e.msg?.length ?? 0).reduce((a, b) => a > b ? a : b, -1)',
  "function (events) { const t = 'failure'; return events.filter(e => e.outcome === t).map(e => ({ h: e.host, t })); }",
  '(events) => events.filter(e => e.tags).map(e => e.tags.length)',
  'function (events) { const n = events.length; return events.map((e, i, all) => all.length === n && i < n).every(x => x); }',
  '(events) => events.map(e => { const u = e.user; if (!u) return null; var k = u.name; return k; })',
  "(events) => events.filter(e => e.tags?.some(t => t === 'admin' && e.outcome !== 'success')).length",
  '(events) => [...events].length + events.slice(1).length',
  "(events) => events?.filter?.(e => e?.host)?.map(e => e.host.toLowerCase()) ?? 'none'",
];

const SINKS: string[] = [
  "function (event) { return { rule: 'r1', user: event.user?.name ?? 'unknown', host: event.host, severity: event.integer > 2 ? 'high' : 'low' }; }",
  'function (e) { return { ...e, tagged: true }; }',
  "function (e) { return e.outcome === 'success' ? null : { msg: `[${e.host}] ${e.msg}`, tags: [...(Array.isArray(e.tags) ? e.tags : []), 'sink'] }; }",
  "(e) => ({ [e.host ?? 'none']: e.port, list: [1, , 3], nested: { a: { b: e.a?.b } } })",
  '(e) => [e.integer, e.port, e.score]',
  '(e) => ({ keys: Object.keys(e ?? {}), json: JSON.stringify(e.nested ?? null) })',
  "(e) => ({ upper: utils.upper(e.msg), low: utils.lower(e.user?.name), ends: utils.endsWith(e.host, '.com'), sw: utils.startsWith(e.host, 'web') })",
  "function (e) { const base = { id: 'x_' + 1, n: -0, 'quoted key': 1, 2: 'two' }; return { ...base, ...e.user, cnt: e.count }; }",
  '(e) => ({ s: e.score?.toFixed?.(3), p: e.port?.toString?.() })',
  "(e) => ({ u: e.unicode, cp: e.unicode?.split(''), cps: [...(e.unicode ?? '')] })",
  "(e) => ({ [e.field]: e[e.field] ?? null, ['__proto__']: e.host, constructor: 1 })",
  '(e) => ({ ...e.tags, ...e.msg, ...e.port })',
  '(e) => { const r = { a: e.a }; return r.a?.b ?? r; }',
];

// ---- agreement -----------------------------------------------------------------------------------

function agree(kind: string, texts: string[], inputs: unknown[]): void {
  describe(`${kind}: compiled agrees with JavaScript`, () => {
    for (const text of texts) {
      it(text, () => {
        const fn = compiled(text);
        const ref = reference(text);
        for (const input of inputs) {
          // Twice, so state carried between calls (regex lastIndex, reused environments) would show.
          for (let round = 0; round < 2; round++) {
            const want = outcome(ref, input);
            const got = outcome(fn, input);
            expect(got, `${text}\n  input: ${JSON.stringify(input)}`).toStrictEqual(want);
          }
        }
      });
    }
  });
}

describe('corpus size', () => {
  it('has at least 60 functions and 20 events', () => {
    expect(FILTERS.length + HAVINGS.length + SINKS.length).toBeGreaterThanOrEqual(60);
    expect(EVENTS.length).toBeGreaterThanOrEqual(20);
  });
});

agree('FILTER', FILTERS, [...EVENTS, ...ODD_INPUTS]);
agree('HAVING', HAVINGS, GROUPS);
agree('SINK', SINKS, [...EVENTS, ...ODD_INPUTS]);

// ---- what does not compile ---------------------------------------------------------------------------

const NOT_COMPILED: [string, string][] = [
  ['function (e) { while (e.x) {} return 1; }', '`while` loop at 1:16'],
  ['function (e) { for (;;) {} }', '`for` loop'],
  ['function (e) { for (const t of e.tags) {} return 1; }', '`for … of` loop'],
  ['function (e) { e.x = 1; return e; }', 'expression statement'],
  ['function (e) { return e.x = 1; }', 'assignment `=`'],
  ['function (e) { return e.n += 1; }', 'assignment `+=`'],
  ['function (e) { return e.n++; }', '`++`'],
  ['function (e) { return this.x; }', '`this`'],
  ['function (e) { return Date.now() > e.t; }', '`Date.now()` (not pure)'],
  ['function (e) { return Math.random() > 0.5; }', '`Math.random()` (not pure)'],
  ['function (e) { return e.constructor; }', 'member `.constructor`'],
  ["function (e) { return e.x.constructor.constructor('return process')(); }", 'member `.constructor`'],
  ['function (e) { return e.__proto__; }', 'member `.__proto__`'],
  ['function (e) { return e.f.prototype; }', 'member `.prototype`'],
  ["function (e) { return e['constructor']; }", 'member `.constructor`'],
  ["function (e) { return e['__pro' + 'to__']; }", 'member `.__proto__`'],
  ['function (e) { return foo(e); }', 'unknown identifier `foo`'],
  ['function (e) { return e.f(1); }', 'method `.f()` (not whitelisted)'],
  ['function (e) { return e(1); }', 'call of `e`'],
  ['function (e) { return process.env; }', 'unknown identifier `process`'],
  ['function (e) { return globalThis; }', 'unknown identifier `globalThis`'],
  ['function (e) { return arguments[0]; }', 'unknown identifier `arguments`'],
  ['function (e) { return utils.unknownFn(e); }', '`utils.unknownFn` (not a utils function)'],
  ['function (e) { return utils.matches; }', '`utils.matches` used as a value'],
  ['function (e) { return utils; }', '`utils` used as a value'],
  ['function (e) { return new Date(); }', '`new`'],
  ['function (e) { return delete e.x; }', '`delete`'],
  ['function ({ a }) { return a; }', 'parameter pattern'],
  ['function (e = {}) { return e; }', 'parameter pattern'],
  ['function (...e) { return e; }', 'parameter pattern'],
  ["function (e) { return e.x.hasOwnProperty('y'); }", 'method `.hasOwnProperty()`'],
  ['function (e) { return e.tags.sort(); }', 'method `.sort()`'],
  ['function (e) { return e.tags.map(String); }', 'without an arrow function'],
  ["function (e) { return eval('1'); }", 'unknown identifier `eval`'],
  ["function (e) { return Function('return 1')(); }", 'unknown identifier `Function`'],
  ['async function (e) { return 1; }', 'async function'],
  ['function (e) { switch (e.x) { default: return 1; } }', '`switch` statement'],
  ['function (e) { try { return 1; } catch (x) { return 2; } }', '`try` statement'],
  ['function (e) { return e.x instanceof Object; }', '`instanceof`'],
  ['function (e) { return { get x() { return 1; } }; }', 'getter/setter'],
  ['function (e) { return { m() { return 1; } }; }', 'method in an object literal'],
  ['function (e) { return /a/; }', 'regex literal'],
  ['function (e) { return 1n; }', 'BigInt literal'],
  ['function (e) { if (e) { var x = 1; } return x; }', '`var` inside a block'],
  ['(e) => e.tags.filter(t => { while (1) {} })', '`while` loop'],
  ['function (e) { return (0, e.f)(); }', 'call of `0, e.f`'],
  ['function (e) { return String.fromCharCode(65); }', '`String.fromCharCode()` (not whitelisted)'],
  ["function (e) { return e.x.toLowerCase.call('A'); }", 'method `.call()`'],
  ['function (e) { return e.x[e.m](); }', 'computed method call'],
  ['function (e) { return (() => 1)(); }', 'arrow function outside a callback argument'],
  ['function (e) { return [1].map(x => x, e).length + (x => x); }', 'arrow function outside a callback argument'],
  ['function (e) { return Math; }', '`Math` used as a value'],
  ['function (e) { return Math.max; }', '`Math.max` used as a value'],
  ['function (e) { function f() { return 1; } return f(); }', 'function declaration'],
  ['function (e) { throw e; }', '`throw` statement'],
  ['function (e) { return `${e}` + tag`x`; }', 'tagged template'],
  ['function (e) { const { a } = e; return a; }', 'destructuring declaration'],
  ['function* (e) { return 1; }', 'generator function'],
  ['function (e) { return /a/.exec(e); }', 'regex method `.exec()`'],
  ['1 + 1', 'expected a function'],
  ['(e) => JSON.stringify(e, e.tags.pop)', '`JSON.stringify` replacer'],
  ["(e) => e.__defineGetter__('x', e.valueOf)", 'member `.__defineGetter__`'],
];

describe('not compiled', () => {
  for (const [text, construct] of NOT_COMPILED) {
    it(text, () => {
      const result = compileFunctionText(text, utils);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toContain(construct);
      expect(result.reason).toMatch(/at \d+:\d+ — runs in the sandbox$/);
    });
  }

  it('names the line and column of the construct', () => {
    const result = compileFunctionText('function (e) {\n  const a = e.a;\n  while (a) {}\n  return 1;\n}', utils);
    expect(result).toMatchObject({
      ok: false,
      reason: '`while` loop at 3:3 — runs in the sandbox',
      at: { line: 3, column: 3, offset: 34 },
    });
  });

  it('reports a syntax error', () => {
    const result = compileFunctionText('function (e) { return e. }', utils);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^syntax error/);
    const trailing = compileFunctionText("(e) => e['a']includes('a')", utils);
    expect(trailing).toMatchObject({ ok: false, reason: 'syntax error: unexpected text after the function at 1:14' });
    expect(compileFunctionText('(e) => e.a; // trailing comment\n', utils).ok).toBe(true);
  });

  it('binds utils functions only, and never a shadowed global', () => {
    // A parameter named like a global is the parameter.
    const fn = compiled('function (Math) { return Math.max; }');
    expect(fn({ max: 7 })).toBe(7);
    const shadow = compiled("function (utils) { return utils.matches === 'x'; }");
    expect(shadow({ matches: 'x' })).toBe(true);
  });
});

// ---- run-time refusal of computed prototype keys ----------------------------------------------------

describe('computed member reads refuse prototype keys at run time', () => {
  const fn = compiled('function (e) { return e[e.key]; }');
  const optional = compiled('function (e) { return e.a?.[e.key]; }');
  const nested = compiled('(events) => events.map(e => e[e.key])');

  it.each(['constructor', '__proto__', 'prototype', '__defineGetter__', '__lookupSetter__'])('%s', (key) => {
    expect(() => fn({ key })).toThrow(ForbiddenMemberError);
    expect(() => fn({ key })).toThrow(TypeError);
    expect(() => fn({ key: [key] })).toThrow(ForbiddenMemberError); // an array key converts to the same string
    expect(() => optional({ a: {}, key })).toThrow(ForbiddenMemberError);
    expect(() => nested([{ key }])).toThrow(ForbiddenMemberError);
  });

  it('reads every other key as JavaScript does', () => {
    expect(fn({ key: 'key' })).toBe('key');
    expect(fn({ key: 'missing' })).toBeUndefined();
    expect(fn({ key: 'toString' })).toBe(Object.prototype.toString);
    expect(compiled('(e) => e.list[e.i]')({ list: [5, 6], i: 1 })).toBe(6);
    expect(optional({ key: 'x' })).toBeUndefined();
  });

  it('cannot reach the Function constructor through data', () => {
    const hostile = compiled('(e) => e.f[e.k][e.k]');
    expect(() => hostile({ f: 'abc', k: 'constructor' })).toThrow(ForbiddenMemberError);
    // Calling what a computed read returns does not compile at all.
    expect(compileFunctionText("(e) => e.f[e.k][e.k]('return globalThis')()", utils).ok).toBe(false);
  });
});

// ---- regex literals ------------------------------------------------------------------------------------

describe('regex literals', () => {
  it('are compiled once: the same RegExp object on every call', () => {
    const fn = compiled('(e) => /ab+c/i.test(e.s)');
    const spy = vi.spyOn(RegExp.prototype, 'exec');
    try {
      expect(fn({ s: 'xABBC' })).toBe(true);
      expect(fn({ s: 'nope' })).toBe(false);
      const contexts = spy.mock.contexts.filter((re) => re instanceof RegExp && re.source === 'ab+c');
      expect(contexts.length).toBe(2);
      expect(contexts[0]).toBe(contexts[1]);
    } finally {
      spy.mockRestore();
    }
  });

  it('as a method argument, are built once too', () => {
    const fn = compiled("(e) => e.s.replace(/b+/g, '-')");
    const spy = vi.spyOn(RegExp.prototype, 'exec');
    try {
      expect(fn({ s: 'abbcb' })).toBe('a-c-');
      expect(fn({ s: 'bb' })).toBe('-');
      const seen = new Set(spy.mock.contexts.filter((re) => re instanceof RegExp && re.source === 'b+'));
      expect(seen.size).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('with g or y behave as a fresh literal each time (lastIndex starts at 0)', () => {
    const fn = compiled('(e) => /a/g.test(e.s)');
    expect([fn({ s: 'a' }), fn({ s: 'a' }), fn({ s: 'a' })]).toEqual([true, true, true]);
    const sticky = compiled('(events) => events.map(s => /a/y.test(s))');
    expect(sticky(['a', 'a', 'ba'])).toEqual([true, true, false]);
  });
});

// ---- shapes the engine relies on ---------------------------------------------------------------------

describe('compiled closures', () => {
  it('constant-fold literal subexpressions', () => {
    const fn = compiled("(e) => e.tag == 'id_tag_' + 3 && `${1 + 1}x` === '2x'");
    expect(fn({ tag: 'id_tag_3' })).toBe(true);
  });

  it('take several parameters', () => {
    const fn = compiled('function (a, b, c) { return [a, b, c]; }');
    expect(fn(1, 2)).toEqual([1, 2, undefined]);
    const four = compiled('(a, b, c, d) => a + b + c + d');
    expect(four(1, 2, 3, 4)).toBe(10);
  });

  it('are reentrant: nested callbacks over the same array see their own elements', () => {
    const fn = compiled('(xs) => xs.map(x => xs.map(y => [x, y]))');
    expect(fn([1, 2])).toEqual([
      [
        [1, 1],
        [1, 2],
      ],
      [
        [2, 1],
        [2, 2],
      ],
    ]);
  });

  it('reset `var` locals of a callback on every call', () => {
    const fn = compiled('(xs) => xs.map(x => { var seen = seen || x; return seen; })');
    expect(fn([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('define `__proto__` from data as an own property, as object spread does', () => {
    const text = '(e) => ({ ...e })';
    const input = JSON.parse('{"__proto__": {"polluted": 1}}');
    const out = compiled(text)(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect((out as { polluted?: number }).polluted).toBeUndefined();
  });
});
