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
import { noModels } from '../fixtures/no-models.js';
import { createUtils, type Utils } from '../../src/lang/utils.js';
import { EVENTS, FILTERS, GROUPS, HAVINGS, ODD_INPUTS, SINKS, SPREADS_STRINGS } from '../fixtures/function-corpus.js';
import { jsReference } from '../fixtures/js-reference.js';

const utils: Utils = createUtils({ inTable: (table, value) => table === 'admins' && ['root', 'admin'].includes(value), classify: noModels });

/** The same function run as JavaScript (test only). */
function reference(text: string): CompiledFunction {
  return jsReference(text, utils);
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

describe('object spread of a string', () => {
  it('copies nothing, as QuickJS does in the sandbox (V8 would copy the characters)', () => {
    expect(compiled(SPREADS_STRINGS[1])({ tags: ['a'], msg: 'hi', port: 1 })).toEqual({ 0: 'a' });
    expect(compiled(SPREADS_STRINGS[0])({ user: 'root', count: 1 })).toEqual({ id: 'x_1', n: -0, 'quoted key': 1, 2: 'two', cnt: 1 });
  });
});

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
