/**
 * The door's depth check (nesting.ts) has a fast path for flat events. Differential: its verdicts,
 * and what `push` refuses and raises, against an oracle that measures each object's height bottom
 * up (memoised, so a DAG with very many paths stays cheap; an object met again on its own path is a
 * cycle, infinitely high) and against the walks as they were before the fast path (kept below,
 * verbatim). Getters that throw, Proxies, arrays, many keys and prototype-polluting keys included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_EVENT_DEPTH, nestingDepthExceeds } from '../../src/engine/nesting.js';
import { seededRandom } from '../../src/bench/common.js';
import { harness, type Harness } from './helpers.js';

/** How many levels of objects and arrays `value` spans (a scalar 0, an object of scalars 1); Infinity when cyclic. */
function height(value: unknown, onPath = new Set<object>(), memo = new Map<object, number>()): number {
  if (value === null || typeof value !== 'object') return 0;
  if (onPath.has(value)) return Infinity;
  const known = memo.get(value);
  if (known !== undefined) return known;
  onPath.add(value);
  let below = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) below = Math.max(below, height(value[i], onPath, memo));
  } else {
    for (const key in value) below = Math.max(below, height((value as Record<string, unknown>)[key], onPath, memo));
  }
  onPath.delete(value);
  memo.set(value, 1 + below);
  return 1 + below;
}

const oracle = (value: unknown, max: number) => height(value) > max;

// ── the walks before the fast path, verbatim (the behaviour to keep) ─────────────────────────────
function previousNestingDepthExceeds(value: unknown, max: number = MAX_EVENT_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const visits = { left: 10_000 };
  const quick = previousQuickWalk(value as object, 1, max, visits);
  return quick ?? previousExactWalk(value as object, max);
}
function previousQuickWalk(node: object, depth: number, max: number, visits: { left: number }): boolean | undefined {
  if (depth > max) return true;
  if (--visits.left < 0) return undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object') {
        const r = previousQuickWalk(child, depth + 1, max, visits);
        if (r !== false) return r;
      }
    }
    return false;
  }
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object') {
      const r = previousQuickWalk(child, depth + 1, max, visits);
      if (r !== false) return r;
    }
  }
  return false;
}
function previousExactWalk(value: object, max: number): boolean {
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  const deepest = new Map<object, number>();
  while (stack.length) {
    const { value: node, depth } = stack.pop()!;
    if (depth > max) return true;
    if ((deepest.get(node) ?? 0) >= depth) continue;
    deepest.set(node, depth);
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/** The outcome of a check: its verdict, or the message of what it threw. */
function outcome(check: () => boolean): string {
  try {
    return String(check());
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function nested(levels: number, leaf: unknown = 1, asArray = false): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = asArray ? [value] : { next: value };
  return value;
}

/** Objects chained by two edges per level: 2^levels paths, `levels + 1` high. */
function diamond(levels: number): object {
  let node: object = { leaf: true };
  for (let i = 0; i < levels; i++) node = { left: node, right: node };
  return node;
}

function cases(): [string, unknown][] {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [1, 2];
  cyclicArray.push([cyclicArray]);
  const deepCycle = nested(50) as Record<string, unknown>;
  let tail = deepCycle;
  while (typeof tail.next === 'object') tail = tail.next as Record<string, unknown>;
  tail.next = deepCycle;
  const many: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) many[`k${i}`] = i % 3 ? `v${i}` : i;
  const manyThenDeep = { ...many, last: nested(MAX_EVENT_DEPTH) };
  const inherited = Object.create({ inheritedDeep: nested(MAX_EVENT_DEPTH + 5) }) as Record<string, unknown>;
  inherited.own = 1;
  const proxied = new Proxy({ a: 1, b: { c: nested(MAX_EVENT_DEPTH - 2) } }, { get: (target, key) => Reflect.get(target, key) });
  const proxiedDeep = new Proxy({ a: nested(MAX_EVENT_DEPTH + 1) }, {});
  const proxyOwnKeys = new Proxy({} as Record<string, unknown>, {
    ownKeys: () => ['x', 'y'],
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, value: undefined }),
    get: (_, key) => (key === 'y' ? nested(MAX_EVENT_DEPTH + 2) : 'flat'),
  });
  const flatArray = Array.from({ length: 1000 }, (_, i) => (i % 2 ? i : `s${i}`));
  return [
    ['empty object', {}],
    ['flat event', { a: 'x', b: 2, c: true, d: null, e: undefined, f: 1.5 }],
    ['flat with many keys', many],
    ['many keys, then a deep field', manyThenDeep],
    ['exactly the limit', nested(MAX_EVENT_DEPTH - 1)],
    ['one past the limit', nested(MAX_EVENT_DEPTH)],
    ['far past the limit', nested(5 * MAX_EVENT_DEPTH)],
    ['arrays at the limit', { a: nested(MAX_EVENT_DEPTH - 1, 1, true) }],
    ['arrays past the limit', { a: nested(MAX_EVENT_DEPTH, 1, true) }],
    ['a flat array field', { list: flatArray }],
    ['a top-level flat array', flatArray],
    ['a top-level deep array', nested(MAX_EVENT_DEPTH + 3, 'x', true)],
    ['sparse array', { a: [, , { b: 1 }] }],
    ['self cycle', cyclic],
    ['array cycle', { list: cyclicArray }],
    ['cycle 50 levels down', { root: deepCycle }],
    ['diamond DAG within the limit', { dag: diamond(60) }],
    ['diamond DAG past the limit', { dag: diamond(MAX_EVENT_DEPTH) }],
    ['__proto__ as a field (JSON)', JSON.parse('{"__proto__": {"polluted": {"x": 1}}, "a": 1}')],
    ['__proto__ deep (JSON)', JSON.parse(`{"__proto__": ${JSON.stringify(nested(MAX_EVENT_DEPTH))}}`)],
    ['constructor and prototype fields', JSON.parse('{"constructor": {"prototype": {"x": [1]}}, "toString": "s"}')],
    ['inherited enumerable deep field', inherited],
    ['Proxy within the limit', proxied],
    ['Proxy past the limit', proxiedDeep],
    ['Proxy with its own keys', proxyOwnKeys],
    ['a Date and a RegExp', { when: new Date(0), re: /x/ }],
    ['a boxed string', { s: new String('abc') }],
  ];
}

describe('the depth check at the door', () => {
  it.each(cases())('%s: the same verdict as the oracle and the walks before', (_, value) => {
    const expected = outcome(() => oracle(value, MAX_EVENT_DEPTH));
    expect(outcome(() => nestingDepthExceeds(value, MAX_EVENT_DEPTH))).toBe(expected);
    expect(outcome(() => previousNestingDepthExceeds(value, MAX_EVENT_DEPTH))).toBe(expected);
  });

  it('small limits, 0 to 4, agree with the oracle for trees of every shape up to 5 high', () => {
    const random = seededRandom(16);
    for (let n = 0; n < 2000; n++) {
      const value = randomTree(random, 5);
      for (let max = 0; max <= 4; max++) {
        expect(nestingDepthExceeds(value, max)).toBe(oracle(value, max));
        expect(nestingDepthExceeds(value, max)).toBe(previousNestingDepthExceeds(value, max));
      }
    }
  });

  it('random events around the limit agree with the oracle', () => {
    const random = seededRandom(7);
    for (let n = 0; n < 300; n++) {
      const event: Record<string, unknown> = randomTree(random, 3) as Record<string, unknown>;
      if (typeof event !== 'object' || event === null) continue;
      if (random() < 0.5) event.deep = nested(MAX_EVENT_DEPTH - 3 + Math.floor(random() * 6), 'leaf', random() < 0.5);
      expect(nestingDepthExceeds(event)).toBe(oracle(event, MAX_EVENT_DEPTH));
    }
  });

  it('a getter that throws throws the same error from the check, before and now, wherever it is', () => {
    const top = { a: 1, get b(): unknown { throw new Error('getter b') }, c: { d: 1 } };
    const nestedGetter = { a: 1, c: { get d(): unknown { throw new Error('getter d') } } };
    const proxyTrap = new Proxy({ a: 1 }, { get: () => { throw new Error('trap') } });
    for (const value of [top, nestedGetter, proxyTrap, { wrapper: proxyTrap }]) {
      const expected = outcome(() => oracle(value, MAX_EVENT_DEPTH));
      expect(expected).toMatch(/^threw /);
      expect(outcome(() => nestingDepthExceeds(value))).toBe(expected);
      expect(outcome(() => previousNestingDepthExceeds(value))).toBe(expected);
    }
  });
});

function randomTree(random: () => number, levels: number): unknown {
  const r = random();
  if (levels === 0 || r < 0.35) return r < 0.1 ? null : r < 0.2 ? Math.floor(r * 1000) : `s${Math.floor(r * 100)}`;
  const size = Math.floor(random() * 4);
  if (r < 0.55) return Array.from({ length: size }, () => randomTree(random, levels - 1));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) out[`f${i}`] = randomTree(random, levels - 1);
  return out;
}

describe('push: what the door refuses, and the alerts of what it lets in', () => {
  const open: Harness[] = [];
  afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
  const make = async () => {
    const h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "by kind" SOURCES kind = 'a' FILTER function (e) { return e.n == 3 || e.n == 4; } SINK function (e) { return { n: e.n, i: e.i }; }
RULE "all of b" SOURCES kind = 'b' SINK function (e) { return { i: e.i, json: JSON.stringify(e).length }; }
`);
    open.push(h);
    return h;
  };

  it('refused indices and reasons as the oracle says; the alerts as when only the accepted events are pushed', async () => {
    const random = seededRandom(99);
    const mixed = await make();
    const clean = await make();
    for (let round = 0; round < 20; round++) {
      const batch: unknown[] = [];
      for (let i = 0; i < 200; i++) {
        const r = random();
        const event: Record<string, unknown> = { kind: r < 0.5 ? 'a' : 'b', n: Math.floor(random() * 6), i: round * 1000 + i };
        if (r < 0.05) event.deep = nested(MAX_EVENT_DEPTH + Math.floor(random() * 3));
        else if (r < 0.1) event.ok = nested(MAX_EVENT_DEPTH - 1 - Math.floor(random() * 3), 'x', true);
        else if (r < 0.12) event.self = event;
        else if (r < 0.15) event.tree = randomTree(random, 4);
        batch.push(r < 0.17 ? [event] : r < 0.18 ? 'text' : event);
      }
      const expectedRefused: { index: number; reason: string }[] = [];
      const accepted: unknown[] = [];
      batch.forEach((value, index) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          expectedRefused.push({ index, reason: `event is ${Array.isArray(value) ? 'an array' : typeof value}, not an object` });
        } else if (oracle(value, MAX_EVENT_DEPTH)) {
          expectedRefused.push({ index, reason: `nested deeper than ${MAX_EVENT_DEPTH} (or cyclic)` });
        } else {
          accepted.push(value);
        }
      });
      const result = mixed.engine.push(batch);
      expect(result.rejected).toEqual(expectedRefused);
      expect(result.accepted).toBe(accepted.length);
      expect(clean.engine.push(accepted).rejected).toEqual([]);
      expect(mixed.take()).toEqual(clean.take());
    }
  });
});
