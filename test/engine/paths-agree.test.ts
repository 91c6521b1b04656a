/**
 * The native fast path and the sandbox must give identical results: every function of the corpus
 * that compiles natively is also run in the sandbox over the same inputs, and the outcomes
 * (value after JSON, as alerts leave the engine, or "threw") must be the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExpressionAt } from 'acorn';
import { compileFunction, compileFunctionText, type CompiledFunction } from '../../src/lang/compile-expression.js';
import type { RuleSandbox } from '../../src/sandbox/sandbox.js';
import { createUtils } from '../../src/lang/utils.js';
import { EVENTS, FILTERS, GROUPS, HAVINGS, SINKS } from '../fixtures/function-corpus.js';
import { host, sandbox } from '../sandbox/helpers.js';
import { harness } from './helpers.js';

const utils = createUtils(host);
const objects = EVENTS.filter((e): e is object => e !== null && typeof e === 'object' && !Array.isArray(e));
// Spread first: `every` skips the holes of sparse arrays, which JSON (and so the sandbox) turns into null.
const windows = GROUPS.filter((g): g is object[] => Array.isArray(g) && [...g].every((e) => e !== null && typeof e === 'object'));

type Outcome = { value: unknown } | { threw: true };

function native(text: string): CompiledFunction {
  const result = compileFunctionText(text, utils);
  if (!result.ok) throw new Error(`${text} did not compile: ${result.reason}`);
  return result.fn;
}

function json(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** HAVING's events expose their fields under `fields` too, as the engine gives them. */
function withFields(events: object[]): object[] {
  return events.map((e) => {
    const copy = { ...e };
    if (!('fields' in copy)) Object.defineProperty(copy, 'fields', { value: copy, enumerable: false });
    return copy;
  });
}

function nativeOutcomes(fn: CompiledFunction, inputs: unknown[], truthy: boolean): Outcome[] {
  return inputs.map((input) => {
    try {
      const value = fn(input);
      return { value: truthy ? Boolean(value) : json(value) };
    } catch {
      return { threw: true };
    }
  });
}

function sandboxOutcomes(outcome: { results: unknown[]; errors: Map<number, string> }, truthy: boolean): Outcome[] {
  return outcome.results.map((value, i) => (outcome.errors.has(i) ? { threw: true } : { value: truthy ? Boolean(value) : json(value) }));
}

describe('native and sandbox agree', () => {
  let boxes: RuleSandbox[] = [];
  beforeAll(() => () => boxes.forEach((b) => b.dispose()));

  it.each(FILTERS)('FILTER %s', async (text) => {
    const box = await sandbox({ filter: text });
    boxes.push(box);
    expect(sandboxOutcomes(box.filter(objects), true)).toEqual(nativeOutcomes(native(text), objects, true));
  });

  it.each(HAVINGS)('HAVING %s', async (text) => {
    const box = await sandbox({ having: text });
    boxes.push(box);
    const expected = nativeOutcomes(native(text), windows.map(withFields), false);
    expect(sandboxOutcomes(box.having(windows), false)).toEqual(expected);
  });

  it.each(SINKS)('SINK %s', async (text) => {
    const box = await sandbox({ sink: text });
    boxes.push(box);
    expect(sandboxOutcomes(box.sink(objects), false)).toEqual(nativeOutcomes(native(text), objects, false));
  });
});

describe('native and sandbox agree through the engine', () => {
  // The same FILTER with and without sandboxOnly (which runs every FILTER in the sandbox).
  const run = async (sandboxOnly: boolean, filter: string, events: object[]) => {
    const h = await harness({ sandboxOnly });
    try {
      h.rules(`RULE "r"\nSOURCES kind = "x"\nFILTER ${filter}\nSINK function (e) { return { id: e.id }; }\n`);
      h.engine.push(events.map((e, id) => ({ kind: 'x', id, ...e })));
      h.engine.flush();
      return { where: h.engine.rule('r')!.functions![0]!.mode, hits: h.take().map((a) => (a as { id?: number }).id) };
    } finally {
      h.engine.dispose();
    }
  };

  it.each([
    ['a fraction in radix 36', 'function (e) { return e.n.toString(36) === "0.asssssssssp"; }'],
    ['a fraction in radix 7', 'function (e) { return e.n.toString(7) === "0.00000005523220033662416625"; }'],
  ])('%s', async (_, filter) => {
    const events = [{ n: 0.3 }, { n: 0.000001 }, { n: 255 }];
    const sandboxed = await run(true, filter, events);
    expect(sandboxed.where).toBe('sandbox');
    expect((await run(false, filter, events)).hits).toEqual(sandboxed.hits);
  });
});

describe('HAVING’s `fields` view: native as in the sandbox', () => {
  // The sandbox gives the window's events (the elements of HAVING's argument) a `fields` that reads
  // as the event; no other object has one. Natively every object read as `x.fields` was itself.
  it.each([
    ['the window array itself', 'function (events) { return events.fields === undefined; }'],
    ['an object inside an event', 'function (events) { return events.map((e) => e.user.fields === undefined); }'],
    ['an object the function built', 'function (events) { return ({ a: 1 }).fields === undefined; }'],
    ['an event, as before', 'function (events) { return events.map((e) => e.fields.user.name); }'],
  ])('%s', async (_, text) => {
    const window = [{ user: { name: 'ann' } }, { user: { name: 'bob' }, fields: { own: true } }];
    const box = await sandbox({ having: text });
    try {
      const expected = sandboxOutcomes(box.having([window]), false);
      const fn = compileFunction({ text, node: parseExpressionAt(text, 0, { ecmaVersion: 'latest' }) }, utils, { fieldsView: true });
      if (!fn.ok) throw new Error(fn.reason);
      expect(nativeOutcomes(fn.fn, [window], false)).toEqual(expected);
    } finally {
      box.dispose();
    }
  });
});
