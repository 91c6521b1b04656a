/**
 * The literal prefilter: thousands of Sigma rules, and an event meets only those whose required
 * literals (prefilter-requirement.ts) it holds. Per field, one Aho–Corasick automaton over the
 * lower-cased literals of every rule finds in one pass over the value which literals are present;
 * the rules of those literals are the candidates. A rule without a requirement (or whose literals
 * would push an automaton past its limits) is always a candidate, so the prefilter can only save
 * evaluations that would return false — never hide a match.
 *
 * The value is read and lower-cased through the rule's own field access, so the read and the fold
 * are shared with the rules evaluated after (field-access.ts memoises both per event).
 */
import { scalarText, type EventRecord } from '../lang/fields.js';
import { Fold, scalarsOf, type FieldAccess } from './field-access.js';
import { AhoCorasick, DEFAULT_AUTOMATON_LIMITS, type AutomatonLimits } from './prefilter-automaton.js';
import type { Clause } from './prefilter-requirement.js';
import type { PatternMatcher, PatternMatcherFactory } from './prefilter-automaton.js';

export { AhoCorasick, AutomatonTooLarge, DEFAULT_AUTOMATON_LIMITS, type AutomatonLimits } from './prefilter-automaton.js';
export type { Clause, RequiredLiteral, Requirement } from './prefilter-requirement.js';

/** What the prefilter keeps in order: anything with a rule order. */
export interface Prefiltered {
  readonly order: number;
}

interface FieldAutomaton {
  access: FieldAccess;
  automaton: PatternMatcher;
  found: (pattern: number) => void;
}

interface Built<T> {
  items: T[];
  /** Items left unfiltered by the limits: candidates for every event. */
  always: T[];
  fields: FieldAutomaton[];
  /** Per item: the stamp of the last scan that touched it, the clauses it met there, all its clauses. */
  stamps: Uint32Array;
  met: Uint32Array;
  full: Uint32Array;
}

/**
 * Items (rules) offered only the events that meet their requirement: every clause has one of its
 * literals in the event. Per field one automaton; each literal lists the (item, clause) pairs it
 * satisfies; an item becomes a candidate when its last clause is met.
 */
export class LiteralPrefilter<T extends Prefiltered> {
  readonly #requirements = new Map<T, readonly Clause[]>();
  #built: Built<T> | undefined;
  #stamp = 0;
  #out: T[] = [];

  /**
   * @param limits per field automaton; an item whose literals would exceed them is left unfiltered
   * @param matchers the host's matchers (WebAssembly); absent: the JavaScript automaton
   */
  constructor(
    private readonly limits: AutomatonLimits = DEFAULT_AUTOMATON_LIMITS,
    private readonly matchers?: PatternMatcherFactory,
  ) {}

  /** Frees the automata (the prefilter builds them again if used). */
  dispose(): void {
    for (const f of this.#built?.fields ?? []) f.automaton.dispose?.();
    this.#built = undefined;
  }

  get size(): number {
    return this.#requirements.size;
  }

  /** Adds (or replaces) an item that can only match when every clause of `requires` is met. */
  add(item: T, requires: readonly Clause[]): void {
    this.#requirements.set(item, requires);
    this.dispose();
  }

  remove(item: T): boolean {
    const had = this.#requirements.delete(item);
    if (had) this.dispose();
    return had;
  }

  /** What the automata hold: fields, patterns, states, bytes, and items left unfiltered by the limits. */
  stats(): { fields: number; patterns: number; states: number; bytes: number; unfiltered: number } {
    const built = this.#build();
    let patterns = 0;
    let states = 0;
    let bytes = 0;
    for (const f of built.fields) {
      patterns += f.automaton.patternCount;
      states += f.automaton.stateCount;
      bytes += f.automaton.byteSize;
    }
    return { fields: built.fields.length, patterns, states, bytes, unfiltered: built.always.length };
  }

  /** The items whose requirement the event meets (and those left unfiltered), in order. */
  candidates(event: EventRecord): T[] {
    const built = this.#build();
    let stamp = ++this.#stamp;
    if (stamp === 0xffffffff) {
      built.stamps.fill(0);
      this.#stamp = stamp = 1;
    }
    const out: T[] = built.always.length ? built.always.slice() : [];
    this.#out = out;
    for (const field of built.fields) {
      const value = field.access.read(event);
      if (value === undefined || value === null) continue;
      if (typeof value === 'string') field.automaton.scan(field.access.folded(value, Fold.Lower), field.found);
      else if (typeof value !== 'object') field.automaton.scan(scalarText(value)!.toLowerCase(), field.found);
      else for (const x of scalarsOf(value)) field.automaton.scan(typeof x === 'string' ? field.access.folded(x, Fold.Lower) : scalarText(x)!.toLowerCase(), field.found);
    }
    this.#out = [];
    if (out.length > 1) out.sort(byOrder);
    return out;
  }

  #build(): Built<T> {
    if (this.#built) return this.#built;
    const items = [...this.#requirements.keys()].sort(byOrder);
    const always: T[] = [];
    // Per field: literal → pattern index, and per pattern the (item, clause bit) pairs it meets.
    // An item's literals all fit within the limits, or it is left unfiltered.
    const fields = new Map<string, { access: FieldAccess; patterns: Map<string, number>; units: number; pairs: number[][] }>();
    const full = new Uint32Array(items.length);
    items.forEach((item, index) => {
      const clauses = this.#requirements.get(item)!.slice(0, 31);
      const additions = new Map<string, Set<string>>();
      for (const clause of clauses) {
        for (const r of clause) {
          const key = r.access.paths.join('\u0000');
          let field = fields.get(key);
          if (!field) fields.set(key, (field = { access: r.access, patterns: new Map(), units: 0, pairs: [] }));
          if (field.patterns.has(r.literal)) continue;
          let add = additions.get(key);
          if (!add) additions.set(key, (add = new Set()));
          add.add(r.literal);
        }
      }
      for (const [key, literals] of additions) {
        const field = fields.get(key)!;
        let units = 0;
        for (const l of literals) units += l.length;
        if (field.patterns.size + literals.size > this.limits.maxPatterns || field.units + units > this.limits.maxPatternUnits) {
          always.push(item);
          return;
        }
      }
      if (clauses.length === 0) {
        always.push(item);
        return;
      }
      full[index] = clauses.length === 32 ? 0xffffffff : (1 << clauses.length) - 1;
      clauses.forEach((clause, c) => {
        for (const r of clause) {
          const field = fields.get(r.access.paths.join('\u0000'))!;
          let id = field.patterns.get(r.literal);
          if (id === undefined) {
            id = field.patterns.size;
            field.patterns.set(r.literal, id);
            field.units += r.literal.length;
            field.pairs.push([]);
          }
          field.pairs[id].push(index, 1 << c);
        }
      });
    });
    const stamps = new Uint32Array(items.length);
    const met = new Uint32Array(items.length);
    const built: Built<T> = { items, always, fields: [], stamps, met, full };
    for (const field of fields.values()) {
      if (field.patterns.size === 0) continue;
      const pairs = field.pairs.map((list) => Int32Array.from(list));
      const found = (pattern: number) => {
        const list = pairs[pattern];
        const stamp = this.#stamp;
        for (let k = 0; k < list.length; k += 2) {
          const i = list[k];
          let before = 0;
          if (stamps[i] === stamp) before = met[i];
          else stamps[i] = stamp;
          const after = before | list[k + 1];
          met[i] = after;
          if (after !== before && after === full[i]) this.#out.push(items[i]);
        }
      };
      const patterns = [...field.patterns.keys()];
      const automaton = this.matchers ? this.matchers.create(patterns, this.limits) : new AhoCorasick(patterns, this.limits);
      built.fields.push({ access: field.access, automaton, found });
    }
    this.#built = built;
    return built;
  }
}

function byOrder(a: Prefiltered, b: Prefiltered): number {
  return a.order - b.order;
}
