/**
 * A static proof that a backtracking engine (V8's irregexp) matches a pattern in time linear in the
 * input. A pattern passes when:
 *
 * 1. It is deterministic: in its Glushkov automaton (one state per character position, `{n,m}`
 *    unrolled), the positions that may follow any state have pairwise disjoint character sets
 *    (assertions count as always true, which only adds paths). Then at every choice point at most one
 *    branch can consume the next character, and every other branch fails within a number of steps
 *    bounded by the pattern: one attempt from one start position costs O(input · pattern).
 * 2. It is anchored (a leading `^` without `m` in every alternative, or the `y` flag), so there is one
 *    start position; or else no character that can start a match can be consumed inside a loop
 *    (`*`, `+`, `{n,}`) at a point from which the match can still fail. Then a failed attempt only
 *    overlaps the attempts that start in its loop-free stretches, so each input character is read by
 *    a bounded number of attempts. (From a point where the rest of the pattern can match empty
 *    without any assertion the attempt cannot fail, and the search stops at its match.)
 * 3. Loop bodies cannot match empty; there is no backreference; lookaround bodies have no loop and
 *    at most {@link MAX_LOOK_PATHS} paths (each evaluation then costs a constant).
 *
 * The proof is conservative: `/\d+\.\d+/` is refused (on `"1111…"` irregexp is quadratic) although
 * many patterns it refuses are fine in practice. Refused patterns run on re2js (regex-re2.ts).
 *
 * Linear is not cheap: the constant is the pattern's. Each input character is read by at most
 * `1 + C` attempts, C the most positions outside loops on one path (point 2: a later attempt's start
 * was read by every earlier overlapping attempt at a distinct such position), and each step may also
 * evaluate the lookarounds passed on the way. {@link analyzeBacktracking} returns that bound, the
 * steps per input character, which host-regex.ts holds to a limit: `/[a-z]{1000}!/` on `"aaa…"`
 * reads every character 1,000 times.
 */
import { caseClosure, intersects, parseRegex, type ParsedRegex, type Ranges, type RegexNode } from './regex-syntax.js';

const MAX_POSITIONS = 4000;
const MAX_LOOK_PATHS = 1000;

class NotLinear extends Error {}

interface Fragment {
  /** Matches empty when assertions are taken as true. */
  nullable: boolean;
  /** Matches empty with no assertion or lookaround on the way. */
  freeNullable: boolean;
  first: number[];
  last: number[];
  /** Positions after which the rest of the fragment can match empty without assertions. */
  freeLast: number[];
}

class Glushkov {
  readonly sets: Ranges[] = [];
  /** The work of every lookaround of the unrolled pattern together: a bound on what one step evaluates. */
  lookWork = 0;
  readonly inLoop: boolean[] = [];
  readonly follow: Set<number>[] = [];
  private loopDepth = 0;

  constructor(private readonly parsed: ParsedRegex) {}

  private position(ranges: Ranges): number {
    if (this.sets.length >= MAX_POSITIONS) throw new NotLinear('pattern too large to check');
    const { ignoreCase, unicode } = this.parsed.flags;
    this.sets.push(ignoreCase ? caseClosure(ranges, unicode ? 0x10ffff : 0xffff) : ranges);
    this.inLoop.push(this.loopDepth > 0);
    this.follow.push(new Set());
    return this.sets.length - 1;
  }

  private link(from: number[], to: number[]): void {
    for (const a of from) for (const b of to) this.follow[a]!.add(b);
  }

  build(node: RegexNode): Fragment {
    switch (node.type) {
      case 'empty':
        return { nullable: true, freeNullable: true, first: [], last: [], freeLast: [] };
      case 'assert':
        return { nullable: true, freeNullable: false, first: [], last: [], freeLast: [] };
      case 'look':
        checkLookBody(node.body);
        this.lookWork += lookWork(node.body);
        return { nullable: true, freeNullable: false, first: [], last: [], freeLast: [] };
      case 'backref':
        throw new NotLinear('backreference');
      case 'set': {
        const p = this.position(node.ranges);
        return { nullable: false, freeNullable: false, first: [p], last: [p], freeLast: [p] };
      }
      case 'group':
        return this.build(node.body);
      case 'alt': {
        const parts = node.alts.map((a) => this.build(a));
        return {
          nullable: parts.some((p) => p.nullable),
          freeNullable: parts.some((p) => p.freeNullable),
          first: parts.flatMap((p) => p.first),
          last: parts.flatMap((p) => p.last),
          freeLast: parts.flatMap((p) => p.freeLast),
        };
      }
      case 'seq':
        return this.sequence(node.items.map((item) => () => this.build(item)));
      case 'repeat': {
        const { min, max, body } = node;
        const copies: (() => Fragment)[] = [];
        for (let i = 0; i < min; i++) copies.push(() => this.build(body));
        if (max === Infinity) {
          copies.push(() => this.star(body));
        } else if (max > min) {
          // x{1,3} as x(x(x)?)?: nested, so the unrolled copies stay deterministic.
          const nested = (left: number): Fragment =>
            this.optional(left === 1 ? this.build(body) : this.sequence([() => this.build(body), () => nested(left - 1)]));
          copies.push(() => nested(max - min));
        }
        if (copies.length === 0) return this.build({ type: 'empty' });
        return this.sequence(copies);
      }
    }
  }

  private optional(f: Fragment): Fragment {
    return { ...f, nullable: true, freeNullable: true, freeLast: f.freeLast };
  }

  private star(body: RegexNode): Fragment {
    this.loopDepth++;
    const f = this.build(body);
    this.loopDepth--;
    if (f.nullable) throw new NotLinear('a loop whose body can match empty');
    this.link(f.last, f.first);
    return { nullable: true, freeNullable: true, first: f.first, last: f.last, freeLast: f.freeLast };
  }

  private sequence(parts: (() => Fragment)[]): Fragment {
    let acc: Fragment = { nullable: true, freeNullable: true, first: [], last: [], freeLast: [] };
    for (const make of parts) {
      const f = make();
      this.link(acc.last, f.first);
      acc = {
        nullable: acc.nullable && f.nullable,
        freeNullable: acc.freeNullable && f.freeNullable,
        first: acc.nullable ? [...acc.first, ...f.first] : acc.first,
        last: f.nullable ? [...acc.last, ...f.last] : f.last,
        freeLast: f.freeNullable ? [...acc.freeLast, ...f.freeLast] : f.freeLast,
      };
    }
    return acc;
  }
}

function checkLookBody(node: RegexNode): void {
  if (paths(node) > MAX_LOOK_PATHS) throw new NotLinear('a lookaround with a loop or too many alternatives');
}

/**
 * Characters a backtracking engine may read evaluating a loop-free lookaround body once: every way
 * through it, each as long as the longest (lookarounds nested in it counted within).
 */
function lookWork(body: RegexNode): number {
  return paths(body) * (width(body) + nestedLookWork(body));
}

/** The most characters a loop-free fragment can match. */
function width(node: RegexNode): number {
  switch (node.type) {
    case 'set':
      return 1;
    case 'group':
      return width(node.body);
    case 'alt':
      return Math.max(0, ...node.alts.map(width));
    case 'seq':
      return node.items.reduce((s, a) => s + width(a), 0);
    case 'repeat':
      return node.max * width(node.body);
    default:
      return 0;
  }
}

function nestedLookWork(node: RegexNode): number {
  switch (node.type) {
    case 'look':
      return lookWork(node.body);
    case 'group':
      return nestedLookWork(node.body);
    case 'alt':
      return node.alts.reduce((s, a) => s + nestedLookWork(a), 0);
    case 'seq':
      return node.items.reduce((s, a) => s + nestedLookWork(a), 0);
    case 'repeat':
      return node.max * nestedLookWork(node.body);
    default:
      return 0;
  }
}

/** The number of ways a loop-free fragment can be walked (Infinity with a loop or a backreference). */
function paths(node: RegexNode): number {
  switch (node.type) {
    case 'empty':
    case 'assert':
    case 'set':
      return 1;
    case 'look':
      return paths(node.body) > MAX_LOOK_PATHS ? Infinity : 1;
    case 'backref':
      return Infinity;
    case 'group':
      return paths(node.body);
    case 'alt':
      return node.alts.reduce((s, a) => s + paths(a), 0);
    case 'seq':
      return node.items.reduce((s, a) => Math.min(Infinity, s * paths(a)), 1);
    case 'repeat': {
      if (node.max === Infinity) return Infinity;
      const p = paths(node.body);
      let total = 0;
      for (let k = node.min; k <= node.max && total <= MAX_LOOK_PATHS; k++) total += p ** k;
      return total;
    }
  }
}

/** Whether every match must start at a `^` (without `m`): one start position. */
function anchored(node: RegexNode, multiline: boolean): boolean {
  if (multiline) return false;
  switch (node.type) {
    case 'assert':
      return node.kind === '^';
    case 'group':
      return anchored(node.body, multiline);
    case 'alt':
      return node.alts.every((a) => anchored(a, multiline));
    case 'seq': {
      for (const item of node.items) {
        if (anchored(item, multiline)) return true;
        // Zero-width items before the anchor do not move the start.
        if (item.type !== 'assert' && item.type !== 'look') return false;
      }
      return false;
    }
    default:
      return false;
  }
}

/**
 * What the check finds: why a backtracking engine may take super-linear time on the pattern, or a
 * bound on its steps per input character (see the top of this file) when it provably does not.
 */
export type BacktrackingAnalysis = { problem: string } | { problem?: undefined; stepsPerChar: number };

/** Why the pattern is not provably linear on a backtracking engine, or undefined when it is. */
export function backtrackingProblem(parsed: ParsedRegex): string | undefined {
  return analyzeBacktracking(parsed).problem;
}

export function analyzeBacktracking(parsed: ParsedRegex): BacktrackingAnalysis {
  const g = new Glushkov(parsed);
  let root: Fragment;
  try {
    root = g.build(parsed.root);
  } catch (err) {
    if (err instanceof NotLinear) return { problem: err.message };
    throw err;
  }
  const overlapping = (list: Iterable<number>): boolean => {
    const ids = [...list];
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if (intersects(g.sets[ids[i]!]!, g.sets[ids[j]!]!)) return true;
    return false;
  };
  if (overlapping(new Set(root.first))) return { problem: 'two alternatives can start with the same character' };
  for (let p = 0; p < g.sets.length; p++) {
    if (overlapping(g.follow[p]!)) return { problem: 'ambiguous: after one character, two parts of the pattern can take the same next character' };
  }
  const perStep = 1 + g.lookWork;
  // One start position: one attempt reads each character.
  if (parsed.flags.sticky || anchored(parsed.root, parsed.flags.multiline)) return { stepsPerChar: perStep };
  // Positions after which the attempt cannot fail any more: the rest matches empty without
  // assertions, and backtracking comes back to that exit at worst. Only positions an attempt can
  // reach before passing one of them matter.
  const safeEnd = new Set(root.freeLast);
  const beforeSafe = new Set<number>();
  const queue = root.first.filter((p) => !safeEnd.has(p));
  queue.forEach((p) => beforeSafe.add(p));
  while (queue.length) {
    for (const next of g.follow[queue.pop()!]!) {
      if (safeEnd.has(next) || beforeSafe.has(next)) continue;
      beforeSafe.add(next);
      queue.push(next);
    }
  }
  const firstChars = root.first.map((p) => g.sets[p]!);
  for (const p of beforeSafe) {
    if (!g.inLoop[p]) continue;
    if (firstChars.some((f) => intersects(f, g.sets[p]!))) {
      return { problem: 'a loop can consume a character that starts a match, so failed attempts overlap (quadratic)' };
    }
  }
  // A successful attempt ends the search (or, under g, the next starts after it): only attempts that
  // can still fail overlap, and those stay among the positions before a safe end.
  return { stepsPerChar: (1 + longestChain(g, root.first, beforeSafe)) * perStep };
}

/**
 * The most positions outside loops on one path through `within` (from a first position): how many
 * attempts that can still fail may read one input character. Positions outside loops lie on no
 * cycle (only a loop links back) and loops count nothing, so relaxing the edges in position order
 * until nothing grows ends (after about as many passes as loops are nested).
 */
function longestChain(g: Glushkov, first: number[], within: Set<number>): number {
  const weight = (p: number) => (g.inLoop[p] ? 0 : 1);
  const chain = new Map<number, number>();
  for (const p of first) if (within.has(p)) chain.set(p, weight(p));
  const order = [...within].sort((a, b) => a - b);
  let best = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of order) {
      const here = chain.get(p);
      if (here === undefined) continue;
      best = Math.max(best, here);
      for (const q of g.follow[p]!) {
        if (!within.has(q)) continue;
        const through = here + weight(q);
        if (through > (chain.get(q) ?? -1)) {
          chain.set(q, through);
          changed = true;
        }
      }
    }
  }
  return best;
}

/** True when V8's backtracking engine provably matches `pattern` (with `flags`) in linear time. */
export function isLinearOnBuiltin(pattern: string, flags = ''): boolean {
  try {
    return backtrackingProblem(parseRegex(pattern, flags)) === undefined;
  } catch {
    return false;
  }
}
