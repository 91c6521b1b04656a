/**
 * The cost analysis against its oracle, time: every HAVING of the shared corpus that the analysis
 * lets run natively must take about linear time in the window's size (the ratio from 2k to 8k
 * events about 4; quadratic would be 16). A control shows the measurement catches a quadratic one.
 */
import { parseExpressionAt } from 'acorn';
import { describe, expect, it } from 'vitest';
import { compileFunctionText, type CompiledFunction } from '../../src/lang/compile-expression.js';
import { nativeUnsafeReason } from '../../src/lang/native-safety.js';
import { createUtils } from '../../src/lang/utils.js';
import { EVENTS, HAVINGS } from '../fixtures/function-corpus.js';

const utils = createUtils({ inTable: () => false, classify: () => ({ label: '', cluster: 0, score: 0 }) });
const objects = EVENTS.filter((e): e is object => e !== null && typeof e === 'object' && !Array.isArray(e));
const reasonFor = (text: string) => nativeUnsafeReason(parseExpressionAt(text, 0, { ecmaVersion: 'latest' }), text);

function window(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({ ...objects[i % objects.length], host: `h${i % 50}`, id: i }));
}

function msPerCall(fn: CompiledFunction, input: object[], trials: number): number {
  let best = Infinity;
  for (let trial = 0; trial < trials; trial++) {
    const started = performance.now();
    try {
      fn(input);
    } catch {
      // Throwing is fine; only the time counts.
    }
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Time at 4× the events over time at `n`, or undefined when both are too fast to tell apart. */
function growth(fn: CompiledFunction, n = 2000, trials = 5): number | undefined {
  const small = msPerCall(fn, window(n), trials);
  const large = msPerCall(fn, window(4 * n), trials);
  return large < 2 ? undefined : large / Math.max(small, 0.05);
}

function compiled(text: string): CompiledFunction {
  const result = compileFunctionText(text, utils);
  if (!result.ok) throw new Error(result.reason);
  return result.fn;
}

describe('natively compiled HAVINGs take linear time', () => {
  it('the measurement catches a quadratic function (the oracle can fail)', () => {
    const quadratic = '(events) => events.filter(e => events.some(f => f.id === e.id + 1 && f.host === e.host)).length';
    expect(reasonFor(quadratic)).toMatch(/square/);
    expect(growth(compiled(quadratic), 1000, 2)).toBeGreaterThan(8);
  });

  const accepted = HAVINGS.filter((text) => reasonFor(text) === undefined);
  it('the analysis accepts most of the corpus', () => {
    expect(accepted.length).toBeGreaterThan(HAVINGS.length / 2);
  });

  it.each(accepted)('%s', (text) => {
    const ratio = growth(compiled(text));
    if (ratio !== undefined) expect(ratio).toBeLessThan(8);
  });
});
