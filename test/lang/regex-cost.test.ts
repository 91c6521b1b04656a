/**
 * The cost limit on host regexes (host-regex.ts MAX_REGEX_COST): patterns whose estimated work per
 * input character passes the limit are refused with a reason naming the estimate and the limit, and
 * the estimates are checked against counts rather than time (bench/regex-cost.mjs sets them beside
 * measured µs per character):
 * - on re2js, the estimate is the instructions of the program re2js runs (its NFA may visit every one
 *   at every character), which grows with counted repeats written out;
 * - on the built-in engine, it bounds how many match attempts examine one input character: an
 *   automaton simulation counts, for random patterns the check accepts and random inputs, the
 *   attempts that examine each character (what a backtracking engine reads before it fails), and the
 *   most any character gets must stay within the estimate.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { hostRegExp, MAX_REGEX_COST, RE2JS_STEPS_PER_INSTRUCTION, regexPlan, RegexRefused, regexProblem } from '../../src/lang/host-regex.js';
import { toRe2Syntax } from '../../src/lang/regex-re2.js';
import { parseRegex, type Ranges, type RegexNode } from '../../src/lang/regex-syntax.js';
import { rng } from '../wasm/build-wasm.js';

function costOf(pattern: string, flags = ''): number {
  const plan = regexPlan(pattern, flags, Infinity);
  if (plan.engine === 'none') throw new Error(`/${pattern}/ refused: ${plan.reason}`);
  return plan.cost;
}

function re2Instructions(pattern: string, flags = ''): number {
  return RE2JS.compile(toRe2Syntax(parseRegex(pattern, flags)), flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0).programSize();
}

describe('the cost limit on host regexes', () => {
  it('refuses counted repeats that make re2js run thousands of instructions per character, naming the estimate and the limit', () => {
    const reason = regexProblem('(\\w+\\s*){1000}', '');
    expect(reason).toMatch(/^is too costly: /);
    expect(reason).toMatch(/may backtrack catastrophically/);
    expect(reason).toMatch(/re2js\) takes about 30,010 \(6,002 instructions, each of which may run at every character\)/);
    expect(reason).toMatch(/the limit is 2,500 steps per input character$/);
    expect(() => hostRegExp('(\\w+\\s*){1000}')).toThrow(RegexRefused);
    for (const p of ['(\\w+\\s*){100}', '(?:\\w+\\s*){200}', '(a|ab|b){100}', '(?:.*a){300}', '((\\w{10}\\s?){10}){30}', '(\\w?)'.repeat(200)]) {
      expect(regexPlan(p, '').engine, p).toBe('none');
    }
  });

  it('refuses bounded repeats and lookarounds that make the built-in engine read every character thousands of times', () => {
    expect(regexProblem('[a-z]{3000}', '')).toMatch(/^is too costly: the built-in engine takes about 3,000 steps per input character .* the linear-time engine cannot run it \(a repeat count above 1000\)/);
    expect(regexProblem('[a-z]{900}[0-9]{900}[a-z]{900}', '')).toMatch(/about 2,700 steps .*\(re2js\) takes about [\d,]+ \([\d,]+ instructions/);
    expect(regexProblem('(?=[a-z]{5000})\\w', '')).toMatch(/the built-in engine takes about 5,001 steps .* the linear-time engine cannot run it \(lookahead\)/);
    expect(regexPlan('((a{10}){10}){10}', '')).toEqual({ engine: 'builtin', cost: 1000 });
    expect(regexPlan('((a{10}){10}){25}', '')).toEqual({ engine: 'builtin', cost: 2500 });
    expect(regexPlan('((a{10}){10}){26}', '').engine).toBe('none');
    // Nested counts past re2js's own limit (a product of 1,000) were refused before and still are.
    expect(regexProblem('((a{100}){100}){100}', '')).toMatch(/may backtrack catastrophically .* cannot run on the linear-time engine/);
  });

  it('keeps patterns under the limit on their engine, up to the limit itself', () => {
    expect(regexPlan('[a-z]{999}', '')).toEqual({ engine: 'builtin', cost: 999 });
    expect(regexPlan('.{1000,}', '')).toEqual({ engine: 'builtin', cost: 1000 });
    expect(regexPlan('(\\w+\\s*){82}', '')).toEqual({ engine: 're2js', cost: 2470 });
    expect(regexPlan('(\\w+\\s*){83}', '')).toEqual({ engine: 're2js', cost: 2500 });
    expect(regexPlan('(\\w+\\s*){84}', '').engine).toBe('none');
    expect(regexPlan('fail(ed|ure)', '').engine).toBe('builtin');
    expect(regexPlan('(x+x+)+y', '').engine).toBe('re2js');
    // The limit is a parameter: the same pattern under a lower one is refused, naming it.
    expect(regexPlan('[a-z]{999}', '', 500)).toEqual({ engine: 'none', reason: expect.stringMatching(/the limit is 500 steps per input character$/) });
    expect(MAX_REGEX_COST).toBe(2500);
  });

  it('estimates re2js patterns by the instructions of the program re2js compiles, counted repeats written out', () => {
    for (const n of [2, 10, 32, 100, 1000]) {
      const p = `(\\w+\\s*){${n}}`;
      expect(re2Instructions(p)).toBe(6 * n + 2);
      expect(costOf(p)).toBe(re2Instructions(p) * RE2JS_STEPS_PER_INSTRUCTION);
    }
    for (const [p, flags] of [['(\\d+)\\.(\\d+)', ''], ['(a|ab)(c|bcd)(d*)', 'i'], ['\\s+$', 'm'], ['-(W|R)\\s?(\\s|"|\')([0-9a-fA-F]{2}\\s?){2,20}(\\s|"|\')', '']]) {
      expect(regexPlan(p!, flags!).engine).toBe('re2js');
      expect(costOf(p!, flags!)).toBe(re2Instructions(p!, flags!) * RE2JS_STEPS_PER_INSTRUCTION);
    }
  });

  it('estimates built-in patterns by the attempts that may examine one character', () => {
    expect(costOf('[a-z]{1000}')).toBe(1000);
    expect(costOf('^[a-z]{1000}')).toBe(1);
    expect(costOf('[a-z]{1000}', 'y')).toBe(1);
    expect(costOf('(a{10}|b{20})!')).toBe(21);
    expect(costOf('a[b ]*#')).toBe(2);
    // A lookahead reads its width at every start position.
    expect(costOf('(?=[a-z]{300})x')).toBe(301);
  });
});

/** An ε-NFA of a pattern without lookarounds or back-references; ^ and $ exact (no m flag), \b and \B taken as true. */
interface Nfa {
  /** Per state: the character set it consumes (then goes to `to[0]`), or undefined for ε moves to every `to`. */
  sets: (Ranges | undefined)[];
  anchors: ('^' | '$' | undefined)[];
  to: number[][];
  start: number;
}

function nfaOf(root: RegexNode): Nfa {
  const nfa: Nfa = { sets: [], anchors: [], to: [], start: 0 };
  const state = (set?: Ranges, anchor?: '^' | '$') => {
    nfa.sets.push(set);
    nfa.anchors.push(anchor);
    nfa.to.push([]);
    return nfa.sets.length - 1;
  };
  // Builds `node` so that it ends by moving to `next`; returns its entry state.
  const build = (node: RegexNode, next: number): number => {
    switch (node.type) {
      case 'empty':
        return next;
      case 'set': {
        const s = state(node.ranges);
        nfa.to[s]!.push(next);
        return s;
      }
      case 'assert': {
        const s = state(undefined, node.kind === '^' || node.kind === '$' ? node.kind : undefined);
        nfa.to[s]!.push(next);
        return s;
      }
      case 'group':
        return build(node.body, next);
      case 'seq':
        return node.items.reduceRight((after, item) => build(item, after), next);
      case 'alt': {
        const s = state();
        for (const a of node.alts) nfa.to[s]!.push(build(a, next));
        return s;
      }
      case 'repeat': {
        let after = next;
        if (node.max === Infinity) {
          const loop = state();
          nfa.to[loop]!.push(build(node.body, loop), next);
          after = loop;
        } else {
          for (let i = node.min; i < node.max; i++) {
            const optional = state();
            nfa.to[optional]!.push(build(node.body, after), next);
            after = optional;
          }
        }
        for (let i = 0; i < node.min; i++) after = build(node.body, after);
        return after;
      }
      default:
        throw new Error(`not simulated: ${node.type}`);
    }
  };
  const accept = state();
  nfa.start = build(root, accept);
  return nfa;
}

const inSet = (ranges: Ranges, c: number) => ranges.some(([a, b]) => a <= c && c <= b);

/** For each character of `text`, how many match attempts (one per start position) examine it. */
function examined(nfa: Nfa, text: string): number[] {
  const counts = new Array<number>(text.length).fill(0);
  const closure = (states: number[], at: number): number[] => {
    const seen = new Set<number>();
    const stack = [...states];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (nfa.sets[s]) continue;
      const anchor = nfa.anchors[s];
      if ((anchor === '^' && at !== 0) || (anchor === '$' && at !== text.length)) continue;
      stack.push(...nfa.to[s]!);
    }
    return [...seen].filter((s) => nfa.sets[s] !== undefined);
  };
  for (let start = 0; start < text.length; start++) {
    let live = closure([nfa.start], start);
    for (let at = start; at < text.length && live.length > 0; at++) {
      // The attempt reads this character: it either goes on or fails here.
      counts[at]!++;
      const c = text.charCodeAt(at);
      live = closure(live.filter((s) => inSet(nfa.sets[s]!, c)).map((s) => nfa.to[s]![0]!), at + 1);
    }
  }
  return counts;
}

describe('the estimate on the built-in engine bounds the attempts that examine a character', () => {
  it('the simulation counts what the estimate predicts on the plain cases', () => {
    const most = (p: string, text: string) => Math.max(...examined(nfaOf(parseRegex(p, '').root), text));
    expect(most('[a-z]{50}#', 'a'.repeat(200))).toBe(51);
    expect(costOf('[a-z]{50}#')).toBe(51);
    expect(most('^[a-z]{50}#', 'a'.repeat(200))).toBe(1);
    expect(most('a[b ]*#', 'abbbabb ab')).toBe(2);
  });

  it('random patterns the check accepts: no character is examined by more attempts than the estimate', () => {
    const next = rng(2027);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const atom = (depth: number): string => {
      const r = next();
      if (depth > 0 && r < 0.25) return `(${pattern(depth - 1)})`;
      if (depth > 0 && r < 0.35) return `(?:${pattern(depth - 1)}|${pattern(depth - 1)})`;
      return pick(['a', 'b', '[ab]', '[^a]', '.', 'ab', ' ', '\\w', 'b a']);
    };
    const quantified = (depth: number): string => atom(depth) + pick(['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,4}', '{3,}', '{6}', '{2,9}']);
    const pattern = (depth: number): string => Array.from({ length: 1 + Math.floor(next() * 3) }, () => quantified(depth)).join('');
    let accepted = 0;
    let tight = 0;
    for (let i = 0; i < 3000 && accepted < 150; i++) {
      // '#' never occurs in the inputs: no attempt succeeds, every start position is tried.
      const p = pick(['', '', '', '^']) + pattern(2) + pick(['#', '#', '$#']);
      const plan = regexPlan(p, '', Infinity);
      if (plan.engine !== 'builtin') continue;
      accepted++;
      const nfa = nfaOf(parseRegex(p, '').root);
      let most = 0;
      for (let k = 0; k < 6; k++) {
        const text = Array.from({ length: 60 }, () => pick(['a', 'b', ' ', 'a', 'b'])).join('');
        most = Math.max(most, ...examined(nfa, text));
        most = Math.max(most, ...examined(nfa, pick(['a', 'b', 'ab', 'b a ', 'bb ']).repeat(30)));
      }
      expect(most, `/${p}/: estimate ${plan.cost}`).toBeLessThanOrEqual(plan.cost);
      if (most === plan.cost) tight++;
    }
    expect(accepted).toBeGreaterThan(100);
    // The bound is reached, not merely a large number.
    expect(tight).toBeGreaterThan(10);
  });
});
