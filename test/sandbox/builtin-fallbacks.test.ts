/**
 * Arrays longer than the per-call work cap run in the prelude's interruptible JavaScript versions of
 * the built-ins. They must give what the built-ins give: the oracle is V8's own Array.prototype, run
 * on the host over the same array.
 */
import { describe, expect, test } from 'vitest';
import { MAX_NATIVE_WORK } from '../../src/sandbox/sandbox.js';
import { sandbox } from './helpers.js';

const N = MAX_NATIVE_WORK + 1000;

/** The same array on both sides: holes every 5th slot, numbers, strings, undefined, null and NaN. */
const BUILD = `
  const a = globalThis.built ?? [];
  if (!globalThis.built) {
  globalThis.built = a;
  a.length = ${N};
  for (let i = 0; i < ${N}; i++) {
    if (i % 5 === 0) continue;
    a[i] = i % 11 === 0 ? undefined : i % 13 === 0 ? null : i % 17 === 0 ? NaN : i % 3 === 0 ? 'k' + (i % 97) : (i * 7919) % 1009;
  }
  }
`;
const build = new Function(`const globalThis = {}; ${BUILD}; return a;`) as () => unknown[];

/** Expressions over `a`; each returns something JSON can carry faithfully (holes become 'hole'). */
const OPS = [
  'a.indexOf(500)', 'a.indexOf(500, 70000)', 'a.indexOf(undefined)', 'a.lastIndexOf(500)', 'a.lastIndexOf(500, -5000)',
  'a.includes(NaN)', 'a.includes(undefined)', 'a.includes(1008, -10)',
  "a.join('|').length", "a.join('|').slice(0, 200)", "a.join('|').slice(-200)", 'String(a).length',
  'shape(a.slice(3, -3))', 'shape(a.slice(-50))',
  'shape(a.map((x, i) => typeof x + i % 3))', 'shape(a.filter((x) => typeof x === "number" && x > 900))',
  'a.some((x) => x === 1008)', 'a.every((x) => x !== "k5")', 'a.find((x, i) => i > 1000 && x === undefined)',
  'a.findIndex((x) => x === undefined)', 'a.findLast((x) => typeof x === "string")', 'a.findLastIndex((x) => x === null)',
  'a.reduce((s, x) => s + (typeof x === "number" && x === x ? x : 1), 0)', 'a.reduceRight((s, x, i) => (s * 31 + i) % 1000003, 7)',
  '(() => { let n = 0; a.forEach((x, i) => { n = (n + i) % 1000003; }); return n; })()',
  'shape(a.slice().reverse())', 'shape(a.slice().sort())',
  'shape(a.slice().sort((x, y) => (String(y) < String(x) ? -1 : String(y) > String(x) ? 1 : 0)))',
  'shape(a.toSorted())', 'shape(a.slice().fill(9, 100, -100))', 'shape(a.slice().copyWithin(7, 1000))',
  'shape(a.slice().copyWithin(1000, 7, 90000))',
];

/** A digest of an array that tells holes, undefined, null, NaN, numbers and strings apart (JSON would blur them). */
const SHAPE = `function shape(arr) {
  let h = arr.length;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    const t = !(i in arr) ? 'hole' : v === undefined ? 'undef' : v !== v ? 'nan' : typeof v + ':' + String(v);
    for (let j = 0; j < t.length; j++) h = (h * 31 + t.charCodeAt(j)) % 1000000007;
  }
  return h;
}`;
const shape = new Function(`${SHAPE}; return shape;`)() as (a: unknown[]) => unknown[];

describe(`built-ins over more than ${MAX_NATIVE_WORK} elements agree with V8`, () => {
  test('every fallback, against the host engine', async () => {
    const sb = await sandbox(
      { sink: `function (e) { ${SHAPE} ${BUILD} return [${OPS.map((op) => `() => ${op}`).join(', ')}][e.i](); }` },
      { cpuMsPerEvent: 20_000, maxBatchMs: 60_000, memoryBytes: 256 * 1024 * 1024 },
    );
    const out = sb.sink(OPS.map((_, i) => ({ i })));
    expect(out.errors).toEqual(new Map());
    const a = build();
    OPS.forEach((op, i) => {
      const expected = (new Function('a', 'shape', `return ${op};`) as (a: unknown[], s: typeof shape) => unknown)(a, shape);
      expect(out.results[i], op).toEqual(JSON.parse(JSON.stringify(expected ?? null)));
    });
    sb.dispose();
  }, 120_000);
});
