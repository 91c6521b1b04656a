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

/** Why the pattern is not provably linear on a backtracking engine, or undefined when it is. */
export function backtrackingProblem(parsed: ParsedRegex): string | undefined {
  const g = new Glushkov(parsed);
  let root: Fragment;
  try {
    root = g.build(parsed.root);
  } catch (err) {
    if (err instanceof NotLinear) return err.message;
    throw err;
  }
  const overlapping = (list: Iterable<number>): boolean => {
    const ids = [...list];
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if (intersects(g.sets[ids[i]!]!, g.sets[ids[j]!]!)) return true;
    return false;
  };
  if (overlapping(new Set(root.first))) return 'two alternatives can start with the same character';
  for (let p = 0; p < g.sets.length; p++) {
    if (overlapping(g.follow[p]!)) return 'ambiguous: after one character, two parts of the pattern can take the same next character';
  }
  if (parsed.flags.sticky || anchored(parsed.root, parsed.flags.multiline)) return undefined;
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
      return 'a loop can consume a character that starts a match, so failed attempts overlap (quadratic)';
    }
  }
  return undefined;
}

/** True when V8's backtracking engine provably matches `pattern` (with `flags`) in linear time. */
export function isLinearOnBuiltin(pattern: string, flags = ''): boolean {
  try {
    return backtrackingProblem(parseRegex(pattern, flags)) === undefined;
  } catch {
    return false;
  }
}
