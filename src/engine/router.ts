/**
 * The rules-tree: (field, value) → the rules that named it in SOURCES, so an event meets only its
 * own rules. A rule is indexed under its first selector; further selectors (ANDed) are checked
 * for the rules the index returns. Inside each (field, value) bucket, rules whose FILTER starts
 * with an equality test are indexed again by that test (see equality-index.ts), so 1,000 rules
 * that differ by `e.integer == i` cost about what a few do.
 */
import { valueKeys, type EqualityConjunct } from './equality-index.js';
import { fieldReader, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';

export interface RoutedRule {
  /** Position of the rule in evaluation order: lower runs first. */
  readonly order: number;
  readonly selectors: readonly { field: string; values: readonly string[] }[];
  /** An equality test every event passing the rule's FILTER satisfies. */
  readonly equality?: EqualityConjunct;
}

interface ConjunctIndex<R> {
  read: FieldReader;
  byKey: Map<string, R[]>;
  all: R[];
  /**
   * Number values (the common case: ports, ids, codes) → the rules of their keys, merged in rule
   * order, so a look-up builds no key strings. Filled on demand, emptied when the rules change.
   */
  byNumber: Map<number, R[]>;
}

/** Distinct numbers remembered per conjunct index before the memo starts afresh. */
const NUMBER_MEMO_LIMIT = 65_536;

interface Bucket<R> {
  /** Rules without an indexed equality test: always candidates. */
  plain: R[];
  byField: Map<string, ConjunctIndex<R>>;
}

interface FieldIndex<R> {
  field: string;
  read: FieldReader;
  byValue: Map<string, Bucket<R>>;
}

export class Router<R extends RoutedRule> {
  private readonly fields = new Map<string, FieldIndex<R>>();
  /** Rules with more than one selector need the rest checked after the index look-up. */
  private readonly extraSelectors = new Map<R, { read: FieldReader; values: Set<string> }[]>();
  /** How many lists the current look-up drew from: one list is already ordered and free of repeats. */
  private contributions = 0;

  add(rule: R): void {
    // Alerts re-enter through `rule` alone, so a rule that selects on it is indexed there.
    const selectors = [...rule.selectors].sort((a, b) => Number(b.field === 'rule') - Number(a.field === 'rule'));
    const [first, ...rest] = selectors;
    if (!first) throw new Error('a rule needs at least one SOURCES selector');
    let index = this.fields.get(first.field);
    if (!index) {
      index = { field: first.field, read: fieldReader(first.field), byValue: new Map() };
      this.fields.set(first.field, index);
    }
    for (const value of new Set(first.values)) {
      let bucket = index.byValue.get(value);
      if (!bucket) index.byValue.set(value, (bucket = { plain: [], byField: new Map() }));
      if (!rule.equality) {
        insertOrdered(bucket.plain, rule);
        continue;
      }
      let conjuncts = bucket.byField.get(rule.equality.field);
      if (!conjuncts) bucket.byField.set(rule.equality.field, (conjuncts = { read: fieldReader(rule.equality.field), byKey: new Map(), all: [], byNumber: new Map() }));
      insertOrdered(conjuncts.all, rule);
      conjuncts.byNumber.clear();
      for (const key of rule.equality.keys) {
        const list = conjuncts.byKey.get(key) ?? [];
        insertOrdered(list, rule);
        conjuncts.byKey.set(key, list);
      }
    }
    if (rest.length) {
      this.extraSelectors.set(
        rule,
        rest.map((s) => ({ read: fieldReader(s.field), values: new Set(s.values) })),
      );
    }
  }

  remove(rule: R): void {
    for (const index of this.fields.values()) {
      for (const [value, bucket] of index.byValue) {
        removeFrom(bucket.plain, rule);
        for (const [field, conjuncts] of bucket.byField) {
          removeFrom(conjuncts.all, rule);
          conjuncts.byNumber.clear();
          for (const [key, list] of conjuncts.byKey) {
            removeFrom(list, rule);
            if (!list.length) conjuncts.byKey.delete(key);
          }
          if (!conjuncts.all.length) bucket.byField.delete(field);
        }
        if (!bucket.plain.length && !bucket.byField.size) index.byValue.delete(value);
      }
      if (index.byValue.size === 0) this.fields.delete(index.field);
    }
    this.extraSelectors.delete(rule);
  }

  hasField(field: string): boolean {
    return this.fields.has(field);
  }

  /** Calls `visit` for every rule the event reaches, in rule order. */
  route(event: EventRecord, visit: (rule: R) => void): void {
    this.contributions = 0;
    let found: R[] | undefined;
    for (const index of this.fields.values()) {
      const text = scalarText(index.read(event));
      if (text === undefined) continue;
      const bucket = index.byValue.get(text);
      if (bucket) found = this.collect(bucket, event, found);
    }
    this.visitInOrder(found, event, visit);
  }

  /** Only the rules reached through `field` (alerts re-enter through `rule`). */
  routeBy(field: string, event: EventRecord, visit: (rule: R) => void): void {
    const index = this.fields.get(field);
    if (!index) return;
    const text = scalarText(index.read(event));
    const bucket = text === undefined ? undefined : index.byValue.get(text);
    this.contributions = 0;
    if (bucket) this.visitInOrder(this.collect(bucket, event, undefined), event, visit);
  }

  private collect(bucket: Bucket<R>, event: EventRecord, into: R[] | undefined): R[] | undefined {
    const add = (rules: R[]) => {
      if (!rules.length) return;
      this.contributions++;
      into = into ? into.concat(rules) : rules;
    };
    add(bucket.plain);
    for (const conjuncts of bucket.byField.values()) {
      const value = conjuncts.read(event);
      if (typeof value === 'number') {
        add(rulesForNumber(conjuncts, value));
        continue;
      }
      const keys = valueKeys(value);
      if (keys === undefined) {
        add(conjuncts.all);
        continue;
      }
      for (const key of keys) {
        const rules = conjuncts.byKey.get(key);
        if (rules) add(rules);
      }
    }
    return into;
  }

  private visitInOrder(found: R[] | undefined, event: EventRecord, visit: (rule: R) => void): void {
    if (!found) return;
    if (this.contributions > 1) {
      // Several sources (or keys) contributed: restore rule order and drop repeats.
      found = [...new Set(found)].sort((a, b) => a.order - b.order);
    }
    for (const rule of found) if (this.passesExtra(rule, event)) visit(rule);
  }

  private passesExtra(rule: R, event: EventRecord): boolean {
    const extra = this.extraSelectors.get(rule);
    if (!extra) return true;
    for (const s of extra) {
      const text = scalarText(s.read(event));
      if (text === undefined || !s.values.has(text)) return false;
    }
    return true;
  }
}

/** The rules of the keys a number value matches (`valueKeys`), merged in rule order; memoised. */
function rulesForNumber<R extends RoutedRule>(conjuncts: ConjunctIndex<R>, value: number): R[] {
  let rules = conjuncts.byNumber.get(value);
  if (rules) return rules;
  rules = [];
  for (const key of valueKeys(value)!) for (const rule of conjuncts.byKey.get(key) ?? []) if (!rules.includes(rule)) insertOrdered(rules, rule);
  if (conjuncts.byNumber.size >= NUMBER_MEMO_LIMIT) conjuncts.byNumber.clear();
  conjuncts.byNumber.set(value, rules);
  return rules;
}

function insertOrdered<R extends RoutedRule>(list: R[], rule: R): void {
  let at = list.length;
  while (at > 0 && list[at - 1].order > rule.order) at--;
  list.splice(at, 0, rule);
}

function removeFrom<R>(list: R[], rule: R): void {
  const at = list.indexOf(rule);
  if (at >= 0) list.splice(at, 1);
}
