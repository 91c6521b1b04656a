/**
 * Differential fuzzing of the expression compiler: random pure expressions over an event, built from a
 * seeded generator (deterministic), must agree with the same function run as JavaScript on every input.
 */
import { jsReference } from '../fixtures/js-reference.js';
import { describe, expect, it } from 'vitest';
import { compileFunctionText, type CompiledFunction } from '../../src/lang/compile-expression.js';
import { noModels } from '../fixtures/no-models.js';
import { createUtils } from '../../src/lang/utils.js';

const utils = createUtils({ inTable: (table, value) => table === 't' && value === 'root', classify: noModels });

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ['a', 'n', 's', 'tags', 'user', 'x', 'missing', 'nil', 'num'];
const LITERALS = ["'a'", "''", "'3'", '3', '0', '-1', '2.5', 'true', 'false', 'null', 'undefined', 'NaN', "'id_'", '[]', '{}'];
const BINARY = ['==', '!=', '===', '!==', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '**', '&', '|', '^', '<<', '>>', '>>>', 'in'];
const STRING_CALLS = [
  ".includes('a')", ".startsWith('i')", '.toLowerCase()', '.trim()', '.slice(1)', '.split(\'\')', ".indexOf('a')",
  '.at(-1)', ".padStart(4, '*')", '.charAt(0)', ".replace('a', 'b')", '.length', ".concat('!')", '.toUpperCase()',
];
const ARRAY_CALLS = [
  ".includes('a')", ".join('-')", '.slice(1)', '.at(0)', '.length', '.indexOf(3)', '.concat([1])',
  '.filter(v => v)', '.map(v => typeof v)', '.some(v => v == 3)', '.every(v => v !== null)', '.find(v => v)',
  '.findIndex(v => v === e.n)', '.reduce((p, v) => p + v, 0)',
];

function generator(seed: number) {
  const rnd = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const field = (): string => {
    const f = pick(FIELDS);
    const r = rnd();
    if (r < 0.5) return `e.${f}`;
    if (r < 0.7) return `e?.${f}`;
    if (r < 0.85) return `e['${f}']`;
    return `e.user?.${pick(['name', 'id', 'tags'])}`;
  };
  const expr = (depth: number): string => {
    if (depth <= 0) return rnd() < 0.6 ? field() : pick(LITERALS);
    const r = rnd();
    if (r < 0.2) return `${expr(depth - 1)} ${pick(BINARY)} ${expr(depth - 1)}`;
    if (r < 0.3) return `(${expr(depth - 1)} ${pick(['&&', '||', '??'])} ${expr(depth - 1)})`;
    if (r < 0.38) return `(${expr(depth - 1)} ? ${expr(depth - 1)} : ${expr(depth - 1)})`;
    if (r < 0.46) return `${pick(['!', '-', '+', '~', 'typeof ', 'void '])}${expr(depth - 1)}`;
    if (r < 0.56) return `${field()}${pick(STRING_CALLS)}`;
    if (r < 0.66) return `${field()}${rnd() < 0.5 ? '?' : ''}${pick(ARRAY_CALLS)}`;
    if (r < 0.72) return `\`${pick(['', 'x'])}\${${expr(depth - 1)}}-\${${expr(depth - 1)}}\``;
    if (r < 0.78) return `[${expr(depth - 1)}, ...(${field()} ?? [])]`;
    if (r < 0.83) return `({ k: ${expr(depth - 1)}, ...${field()} })`;
    if (r < 0.88) return `utils.${pick(['matches', 'includesIgnoreCase', 'startsWith', 'lower', 'cidrContains', 'inTable'])}(${expr(depth - 1)}, ${expr(depth - 1)})`;
    if (r < 0.93) return `${pick(['String', 'Number', 'Boolean', 'parseInt', 'isNaN', 'Math.abs', 'Math.max', 'Object.keys', 'JSON.stringify', 'Array.isArray'])}(${expr(depth - 1)})`;
    if (r < 0.97) return `(${expr(depth - 1)})[${expr(depth - 1)}]`;
    return `(${expr(depth - 1)}, ${expr(depth - 1)})`;
  };
  return () => `(e) => ${expr(3)}`;
}

const INPUTS: unknown[] = [
  { a: 'a', n: 3, s: 'id_3', tags: ['a', 3, null], user: { name: 'root', id: 1 }, x: '3', nil: null, num: 2.5 },
  { a: '', n: '3', s: '', tags: [], user: null, x: 0, nil: null, num: -0 },
  {},
  { a: 3, n: NaN, s: 'ÉCOLE 😀', tags: 'a,b', user: { tags: ['x'] }, x: [1, 2], num: 1e21 },
  { a: [3], n: -1, s: '10.0.0.1', tags: { 0: 'a' }, user: 'root', x: { y: 1 }, num: '0x10' },
  { a: true, n: 0, s: '  padded  ', tags: [[], {}], user: { name: null }, x: false, num: Infinity },
  null,
  'str',
  7,
  [1, 2],
];

type Outcome = { value: unknown } | { error: string };
function outcome(fn: CompiledFunction, input: unknown): Outcome {
  try {
    return { value: fn(input) };
  } catch (err) {
    return { error: err instanceof Error ? Object.getPrototypeOf(err).constructor.name : typeof err };
  }
}

describe('fuzz: compiled agrees with JavaScript on random expressions', () => {
  it('2000 expressions × 10 inputs', () => {
    const next = generator(Number(process.env.VIGIL_FUZZ_SEED ?? 20240611));
    let compiledCount = 0;
    for (let i = 0; i < 2000; i++) {
      const text = next();
      const result = compileFunctionText(text, utils);
      if (!result.ok) continue; // e.g. `x in y` with a literal needs nothing special; anything refused runs in the sandbox
      compiledCount++;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const ref = jsReference(text, utils) as CompiledFunction;
      for (const input of INPUTS) {
        expect(outcome(result.fn, input), `${text}\n  input: ${JSON.stringify(input)}`).toStrictEqual(outcome(ref, input));
      }
    }
    expect(compiledCount).toBeGreaterThan(1900);
  });
});
