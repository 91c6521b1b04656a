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
import type { RequiredLiteral } from './prefilter-requirement.js';

export { AhoCorasick, AutomatonTooLarge, DEFAULT_AUTOMATON_LIMITS, type AutomatonLimits } from './prefilter-automaton.js';
export type { RequiredLiteral, Requirement } from './prefilter-requirement.js';

/** What the prefilter keeps in order: anything with a rule order. */
export interface Prefiltered {
  readonly order: number;
}

interface FieldAutomaton {
  access: FieldAccess;
  automaton: AhoCorasick;
  /** Per pattern of the automaton: the items (indices into `items`) that require it. */
  itemsOf: Int32Array[];
  found: (pattern: number) => void;
}

interface Built<T> {
  items: T[];
  /** Items left unfiltered by the limits: candidates for every event. */
  always: T[];
  fields: FieldAutomaton[];
  /** Per item, the stamp of the last scan that took it. */
  marks: Uint32Array;
}

export class LiteralPrefilter<T extends Prefiltered> {
  readonly #requirements = new Map<T, readonly RequiredLiteral[]>();
  #built: Built<T> | undefined;
  #stamp = 0;
  #out: T[] = [];

  constructor(private readonly limits: AutomatonLimits = DEFAULT_AUTOMATON_LIMITS) {}

  get size(): number {
    return this.#requirements.size;
  }

  /** Adds (or replaces) an item that can only match when one of `requires` occurs. */
  add(item: T, requires: readonly RequiredLiteral[]): void {
    this.#requirements.set(item, requires);
    this.#built = undefined;
  }

  remove(item: T): boolean {
    const had = this.#requirements.delete(item);
    if (had) this.#built = undefined;
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
      built.marks.fill(0);
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
    // Per field: literal → pattern index, and the items of each pattern; an item's literals all fit or it is unfiltered.
    const fields = new Map<string, { access: FieldAccess; patterns: Map<string, number>; units: number; itemsOf: number[][] }>();
    const marks = new Uint32Array(items.length);
    items.forEach((item, index) => {
      const requires = this.#requirements.get(item)!;
      const additions = new Map<string, Set<string>>();
      for (const r of requires) {
        const key = r.access.paths.join('\u0000');
        let field = fields.get(key);
        if (!field) fields.set(key, (field = { access: r.access, patterns: new Map(), units: 0, itemsOf: [] }));
        if (field.patterns.has(r.literal)) continue;
        let add = additions.get(key);
        if (!add) additions.set(key, (add = new Set()));
        add.add(r.literal);
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
      for (const r of requires) {
        const field = fields.get(r.access.paths.join('\u0000'))!;
        let id = field.patterns.get(r.literal);
        if (id === undefined) {
          id = field.patterns.size;
          field.patterns.set(r.literal, id);
          field.units += r.literal.length;
          field.itemsOf.push([]);
        }
        const list = field.itemsOf[id];
        if (list[list.length - 1] !== index) list.push(index);
      }
    });
    const built: Built<T> = { items, always, fields: [], marks };
    for (const field of fields.values()) {
      if (field.patterns.size === 0) continue;
      const itemsOf = field.itemsOf.map((list) => Int32Array.from(list));
      const found = (pattern: number) => {
        const list = itemsOf[pattern];
        const out = this.#out;
        for (let k = 0; k < list.length; k++) {
          const i = list[k];
          if (marks[i] !== this.#stamp) {
            marks[i] = this.#stamp;
            out.push(items[i]);
          }
        }
      };
      built.fields.push({ access: field.access, automaton: new AhoCorasick([...field.patterns.keys()], this.limits), itemsOf, found });
    }
    this.#built = built;
    return built;
  }
}

function byOrder(a: Prefiltered, b: Prefiltered): number {
  return a.order - b.order;
}
