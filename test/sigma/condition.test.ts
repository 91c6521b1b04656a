/**
 * Conditions: the specification's examples, and random condition trees printed with the fewest
 * parentheses the precedence allows (or, and, not, x of, parentheses) evaluated against the tree
 * itself, so the parser's precedence is checked by an evaluator that never reads condition text.
 */
import { describe, expect, it } from 'vitest';
import { compile, errorsOf, rng, ruleText } from './helpers.js';

/** Selections s0..s{n-1}: `sI: {fI: 'x'}`, so an event sets selection I true by holding fI = 'x'. */
function selections(n: number): string {
  return Array.from({ length: n }, (_, i) => `    s${i}:\n        f${i}: 'x'`).join('\n');
}

type Tree = { op: 'and' | 'or'; items: Tree[] } | { op: 'not'; item: Tree } | { op: 'ref'; index: number } | { op: 'of'; all: boolean; pattern: 'them' | string };

function evalTree(t: Tree, truth: boolean[], names: string[]): boolean {
  switch (t.op) {
    case 'and':
      return t.items.every((i) => evalTree(i, truth, names));
    case 'or':
      return t.items.some((i) => evalTree(i, truth, names));
    case 'not':
      return !evalTree(t.item, truth, names);
    case 'ref':
      return truth[t.index];
    case 'of': {
      const picked = names.map((n, i) => ({ n, v: truth[i] })).filter(({ n }) => (t.pattern === 'them' ? true : n.startsWith(t.pattern.slice(0, -1))));
      return t.all ? picked.every((p) => p.v) : picked.some((p) => p.v);
    }
  }
}

const LEVEL = { or: 0, and: 1, not: 2, of: 3, ref: 3 } as const;

function printTree(t: Tree, parent: number): string {
  const level = LEVEL[t.op];
  let text: string;
  switch (t.op) {
    case 'and':
    case 'or':
      text = t.items.map((i) => printTree(i, level + 1)).join(` ${t.op} `);
      break;
    case 'not':
      text = `not ${printTree(t.item, LEVEL.not)}`;
      break;
    case 'ref':
      text = `s${t.index}`;
      break;
    case 'of':
      text = `${t.all ? 'all' : '1'} of ${t.pattern}`;
      break;
  }
  return level < parent ? `(${text})` : text;
}

function randomTree(random: () => number, n: number, depth: number): Tree {
  const r = random();
  if (depth === 0 || r < 0.3) {
    if (random() < 0.15) return { op: 'of', all: random() < 0.5, pattern: random() < 0.5 ? 'them' : 's*' };
    return { op: 'ref', index: Math.floor(random() * n) };
  }
  if (r < 0.45) return { op: 'not', item: randomTree(random, n, depth - 1) };
  const items = Array.from({ length: 2 + Math.floor(random() * 2) }, () => randomTree(random, n, depth - 1));
  return { op: r < 0.72 ? 'and' : 'or', items };
}

describe('condition precedence and evaluation (oracle: the tree the text was printed from)', () => {
  it('random trees over 4 selections, every assignment', () => {
    const random = rng(21);
    const n = 4;
    const names = Array.from({ length: n }, (_, i) => `s${i}`);
    for (let k = 0; k < 150; k++) {
      const tree = randomTree(random, n, 4);
      const text = printTree(tree, 0);
      const match = compile(ruleText(selections(n), text)).match;
      for (let bits = 0; bits < 1 << n; bits++) {
        const truth = names.map((_, i) => ((bits >> i) & 1) === 1);
        const event: Record<string, unknown> = {};
        truth.forEach((v, i) => {
          if (v) event[`f${i}`] = 'x';
        });
        expect(match(event), `${text} with ${bits.toString(2)}`).toBe(evalTree(tree, truth, names));
      }
    }
  });
});

describe('the specification examples', () => {
  const sel = "    selection_main:\n        FieldA: 'something'\n    selection_empty1:\n        FieldB: ''\n    selection_empty2:\n        FieldB: null";
  it('selection_main and 1 of selection_empty*', () => {
    const m = compile(ruleText(sel, 'selection_main and 1 of selection_empty*')).match;
    expect(m({ FieldA: 'something' })).toBe(true);
    expect(m({ FieldA: 'something', FieldB: '' })).toBe(true);
    expect(m({ FieldA: 'something', FieldB: 'x' })).toBe(false);
  });

  it('1 of them / all of them skip identifiers starting with an underscore', () => {
    const det = "    selection:\n        A: 'a'\n    _helper:\n        B: 'b'";
    const one = compile(ruleText(det, '1 of them')).match;
    expect(one({ B: 'b' })).toBe(false);
    expect(one({ A: 'a' })).toBe(true);
    const all = compile(ruleText(det, 'all of them')).match;
    expect(all({ A: 'a' })).toBe(true);
    // But a pattern may name it.
    expect(compile(ruleText(det, '1 of _h*')).match({ B: 'b' })).toBe(true);
  });

  it('1 of selection* and not 1 of filter*; brackets; keywords or', () => {
    const det = "    selection1:\n        A: 'a'\n    selection2:\n        B: 'b'\n    filter_x:\n        C: 'c'\n    keywords1:\n        - 'evil'\n    keywords2:\n        - 'bad'";
    const m = compile(ruleText(det, '1 of selection* and not 1 of filter*')).match;
    expect(m({ B: 'b' })).toBe(true);
    expect(m({ B: 'b', C: 'c' })).toBe(false);
    const b = compile(ruleText(det, 'selection1 and (keywords1 or keywords2)')).match;
    expect(b({ A: 'a', msg: 'so BAD' })).toBe(true);
    expect(b({ A: 'a', msg: 'fine' })).toBe(false);
  });

  it('a condition list is OR-ed', () => {
    const text = "title: T\nlogsource:\n    product: x\ndetection:\n    a:\n        A: 1\n    b:\n        B: 2\n    condition:\n        - a\n        - b\n";
    const m = compile(text).match;
    expect(m({ A: 1 })).toBe(true);
    expect(m({ B: 2 })).toBe(true);
    expect(m({})).toBe(false);
  });

  it('N of: at least N', () => {
    const m = compile(ruleText(selections(3), '2 of s*')).match;
    expect(m({ f0: 'x' })).toBe(false);
    expect(m({ f0: 'x', f2: 'x' })).toBe(true);
  });
});

describe('bad conditions name the place', () => {
  it.each([
    ['selection and', /ends where a search identifier/, 14],
    ['selection and filter', /does not define/, 15],
    ['(selection', /never closed/, 1],
    ['selection)', /unexpected '\)'/, 10],
    ['1 of nothing*', /matches no search identifier/, 1],
    ['selection | count() > 5', /obsolete/, 11],
    ['selection*', /needs '1 of' or 'all of'/, 1],
    ['selection or or selection', /unexpected 'or'/, 14],
  ])('%s', (condition, message, offset) => {
    const text = ruleText("    selection:\n        A: 'a'", condition);
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('sigma-condition');
    expect(errors[0].message).toMatch(message);
    // Line 9 is `    condition: …`; the condition text starts at column 16.
    expect(errors[0].line).toBe(9);
    expect(errors[0].column).toBe(15 + offset);
  });

  it('a missing condition, a missing detection', () => {
    expect(errorsOf("title: T\nlogsource:\n    product: x\ndetection:\n    a:\n        A: 1\n")[0].message).toMatch(/no condition/);
    expect(errorsOf('title: T\nlogsource:\n    product: x\n')[0].message).toMatch(/no detection/);
  });

  it('deep nesting is bounded', () => {
    const deep = `${'('.repeat(200)}selection${')'.repeat(200)}`;
    expect(errorsOf(ruleText("    selection:\n        A: 'a'", deep))[0].message).toMatch(/nests more than/);
    const nots = `${'not '.repeat(100)}selection`;
    expect(errorsOf(ruleText("    selection:\n        A: 'a'", nots))[0].message).toMatch(/nests more than/);
  });
});
