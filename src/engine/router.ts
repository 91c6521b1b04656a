/**
 * The rules-tree: (field, value) → the rules that named it in SOURCES, so an event meets only its
 * own rules. A rule is indexed under its first selector; further selectors (ANDed) are checked
 * for the rules the index returns. Inside each (field, value) bucket, rules whose FILTER holds
 * equality tests are indexed again by the most selective one (see equality-index.ts), so 1,000
 * rules that differ by `e.integer == i` cost about what a few do; the rule's other equality tests
 * are checked before it is offered, so an event meets only rules whose every equality holds.
 */
import { valueKeys, type RuleEqualities } from './equality-index.js';
import { fieldReader, readsDirectly, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';
import { LiteralPrefilter, type Clause } from '../sigma/prefilter.js';

export interface RoutedRule {
  /** Position of the rule in evaluation order: lower runs first. */
  readonly order: number;
  readonly selectors: readonly { field: string; values: readonly string[] }[];
  /** Equality tests every event passing the rule's FILTER satisfies. */
  readonly equality?: RuleEqualities;
  /** Clauses of literals every event passing the FILTER holds (each: one of its literals; none: always offered), a Sigma rule's: see sigma/prefilter.ts. */
  readonly requires?: readonly Clause[];
}

/** A test a candidate rule must pass before it is offered: a further selector or an equality of its FILTER. */
interface Check {
  read: FieldReader;
  /** The field's name when `read` is `event[name]` (see readsDirectly): read inline. */
  name: string | undefined;
  passes(value: unknown): boolean;
  /**
   * How `passes` may be evaluated inline (the same test, without a call per event): CALL calls it;
   * LOOSE and STRICT are a FILTER's `e.f == constant` / `e.f === constant`.
   */
  mode: CheckMode;
  constant: string | number | undefined;
}

const CheckMode = { CALL: 0, LOOSE: 1, STRICT: 2 } as const;
type CheckMode = (typeof CheckMode)[keyof typeof CheckMode];

/** A rule as the index holds it: with the tests to pass after the look-up (undefined: none). */
interface Entry<R> {
  readonly rule: R;
  readonly order: number;
  readonly checks: readonly Check[] | undefined;
  /**
   * One equality of the FILTER (`e.f == c` / `e.f === c` on a flat field) kept on the entry itself
   * and tested before `checks`: the common rule has one, and this saves two loads per candidate.
   */
  readonly inlineName: string | undefined;
  readonly inlineStrict: boolean;
  readonly inlineConstant: string | number | undefined;
  /** The batch (`Router.batches`) whose events `hits` holds, in `routeBatch`. */
  stamp: number;
  /** The indices of the events of batch `stamp` that reach the rule. */
  hits: number[];
}

/** A batch routed: the rules it reached (in the order of their first event) and, for each, the indices of its events, in order. */
export interface RoutedBatch<R> {
  rules: R[];
  indices: number[][];
}

const NO_HITS: number[] = [];

interface ConjunctIndex<R> {
  read: FieldReader;
  name: string | undefined;
  byKey: Map<string, Entry<R>[]>;
  all: Entry<R>[];
  /**
   * Number values (the common case: ports, ids, codes) → the rules of their keys, merged in rule
   * order, so a look-up builds no key strings. Filled on demand, emptied when the rules change;
   * small non-negative integers in an array, other numbers in a map.
   */
  bySmallInteger: (Entry<R>[] | undefined)[];
  byNumber: Map<number, Entry<R>[]>;
}

/** Distinct numbers remembered per conjunct index before the memo starts afresh. */
const NUMBER_MEMO_LIMIT = 65_536;
/** Integers below this are memoised by array index (-0 included: it has the keys of 0). */
const SMALL_INTEGER_LIMIT = 4096;

interface Bucket<R> {
  /** Rules without an indexed equality test: always candidates. */
  plain: Entry<R>[];
  byField: Map<string, ConjunctIndex<R>>;
  /** `byField`'s values, for iteration without an iterator per event. */
  conjunctIndexes: ConjunctIndex<R>[];
  /** Rules with required literals: candidates only when the event holds one (undefined: none). */
  prefiltered?: LiteralPrefilter<Entry<R>>;
  /** The bucket's one conjunct index when it holds nothing else (the common case): `routeBatch` looks it up inline. */
  single: ConjunctIndex<R> | undefined;
}

/**
 * The index turned around, for the common shape of a rule set: every rule reached through one
 * field (SOURCES on a log type) and indexed by an equality on one other field (a FILTER comparing
 * an event code, a port). An event's number in that field is looked up first — one array load,
 * which for most events is the end of routing when few codes have rules — and only then the field
 * its rules are reached through. Same candidates, in the same order, as the buckets give.
 */
interface Inverted<R> {
  index: FieldIndex<R>;
  /** The field every bucket's one conjunct index is on (read as `event[name]`). */
  name: string;
  /** Each bucket's value → its slot in the memo's lists. */
  slotOf: Map<string, number>;
  /** The buckets, by slot. */
  buckets: Bucket<R>[];
  /** Per small integer: each bucket's rules for it, by slot (null: no rule has it). Filled on demand. */
  bySmallInteger: ((Probes<R> | undefined)[] | null | undefined)[];
}

/** Buckets up to which the index is turned around (a look-up of a new number visits each). */
const INVERTED_BUCKET_LIMIT = 256;

interface FieldIndex<R> {
  field: string;
  read: FieldReader;
  name: string | undefined;
  byValue: Map<string, Bucket<R>>;
}

export class Router<R extends RoutedRule> {
  private readonly fields = new Map<string, FieldIndex<R>>();
  /** `fields`' values, for iteration without an iterator per event. */
  private fieldIndexes: FieldIndex<R>[] = [];
  private readonly entries = new Map<R, Entry<R>>();
  /** How many lists the current look-up drew from: one list is already ordered and free of repeats. */
  private contributions = 0;
  private found: Entry<R>[] | undefined;
  /** Rules without selectors (a Sigma rule or correlation the pipeline does not route): every event reaches them. */
  private unrouted: Entry<R>[] = [];
  /** Batches routed by `routeBatch`, to tell an entry's hits of this batch from stale ones. */
  private batches = 0;
  /** The index turned around (see Inverted): null when the rules do not have its shape, undefined until known. */
  private inverted: Inverted<R> | null | undefined;

  add(rule: R): void {
    this.inverted = undefined;
    // Alerts re-enter through `rule` alone, so a rule that selects on it is indexed there.
    const selectors = [...rule.selectors].sort((a, b) => Number(b.field === 'rule') - Number(a.field === 'rule'));
    const [first, ...rest] = selectors;
    if (!first) {
      const entry: Entry<R> = { rule, order: rule.order, checks: undefined, inlineName: undefined, inlineStrict: false, inlineConstant: undefined, stamp: 0, hits: NO_HITS };
      this.entries.set(rule, entry);
      insertOrdered(this.unrouted, entry);
      return;
    }
    // Further selectors (ANDed) and the FILTER's other equalities are checked after the look-up.
    const checks: Check[] = rest.map((s) => {
      const values = new Set(s.values);
      return {
        read: fieldReader(s.field),
        name: directName(s.field),
        passes: (value) => {
          const text = scalarText(value);
          return text !== undefined && values.has(text);
        },
        mode: CheckMode.CALL,
        constant: undefined,
      };
    });
    for (const conjunct of rule.equality?.checked ?? []) {
      const equals = conjunct.equals;
      checks.push({
        read: fieldReader(conjunct.field),
        name: directName(conjunct.field),
        passes: conjunct.holds,
        mode: equals === undefined ? CheckMode.CALL : equals.strict ? CheckMode.STRICT : CheckMode.LOOSE,
        constant: typeof equals?.constant === 'string' ? internalized(equals.constant) : equals?.constant,
      });
    }
    // The first equality that can be tested inline moves onto the entry (the checks are pure tests: their order does not matter).
    const at = checks.findIndex((c) => c.mode !== CheckMode.CALL && c.name !== undefined);
    const inline = at >= 0 ? checks.splice(at, 1)[0] : undefined;
    const entry: Entry<R> = {
      rule,
      order: rule.order,
      checks: checks.length ? checks : undefined,
      inlineName: inline?.name,
      inlineStrict: inline?.mode === CheckMode.STRICT,
      inlineConstant: inline?.constant,
      stamp: 0,
      hits: NO_HITS,
    };
    this.entries.set(rule, entry);
    let index = this.fields.get(first.field);
    if (!index) {
      index = { field: first.field, read: fieldReader(first.field), name: directName(first.field), byValue: new Map() };
      this.fields.set(first.field, index);
      this.fieldIndexes = [...this.fields.values()];
    }
    for (const value of new Set(first.values)) {
      let bucket = index.byValue.get(value);
      if (!bucket) index.byValue.set(value, (bucket = { plain: [], byField: new Map(), conjunctIndexes: [], prefiltered: undefined, single: undefined }));
      const indexed = rule.equality?.indexed;
      if (!indexed && rule.requires) {
        (bucket.prefiltered ??= new LiteralPrefilter()).add(entry, rule.requires);
        continue;
      }
      if (!indexed) {
        insertOrdered(bucket.plain, entry);
        continue;
      }
      let conjuncts = bucket.byField.get(indexed.field);
      if (!conjuncts) {
        conjuncts = { read: fieldReader(indexed.field), name: directName(indexed.field), byKey: new Map(), all: [], bySmallInteger: [], byNumber: new Map() };
        bucket.byField.set(indexed.field, conjuncts);
        bucket.conjunctIndexes = [...bucket.byField.values()];
      }
      insertOrdered(conjuncts.all, entry);
      forgetNumbers(conjuncts);
      for (const key of indexed.keys) {
        const list = conjuncts.byKey.get(key) ?? [];
        insertOrdered(list, entry);
        conjuncts.byKey.set(key, list);
      }
    }
    for (const value of new Set(first.values)) refreshSingle(index.byValue.get(value)!);
  }

  remove(rule: R): void {
    const entry = this.entries.get(rule);
    if (!entry) return;
    this.inverted = undefined;
    this.entries.delete(rule);
    removeFrom(this.unrouted, entry);
    for (const index of this.fields.values()) {
      for (const [value, bucket] of index.byValue) {
        removeFrom(bucket.plain, entry);
        for (const [field, conjuncts] of bucket.byField) {
          removeFrom(conjuncts.all, entry);
          forgetNumbers(conjuncts);
          for (const [key, list] of conjuncts.byKey) {
            removeFrom(list, entry);
            if (!list.length) conjuncts.byKey.delete(key);
          }
          if (!conjuncts.all.length) bucket.byField.delete(field);
        }
        bucket.conjunctIndexes = [...bucket.byField.values()];
        if (bucket.prefiltered?.remove(entry) && bucket.prefiltered.size === 0) {
          bucket.prefiltered.dispose();
          bucket.prefiltered = undefined;
        }
        refreshSingle(bucket);
        if (!bucket.plain.length && !bucket.byField.size && !bucket.prefiltered) index.byValue.delete(value);
      }
      if (index.byValue.size === 0) this.fields.delete(index.field);
    }
    this.fieldIndexes = [...this.fields.values()];
  }

  hasField(field: string): boolean {
    return this.fields.has(field);
  }

  /** Calls `visit` for every rule the event reaches, in rule order. */
  route(event: EventRecord, visit: (rule: R) => void): void {
    this.contributions = 0;
    this.found = undefined;
    if (this.unrouted.length) this.add1(this.unrouted);
    const indexes = this.fieldIndexes;
    for (let i = 0; i < indexes.length; i++) {
      const index = indexes[i]!;
      const text = scalarText(index.read(event));
      if (text === undefined) continue;
      const bucket = index.byValue.get(text);
      if (bucket) this.collect(bucket, event);
    }
    if (this.found !== undefined) this.visitFound(event, visit);
  }

  /**
   * Routes a whole batch, as `route` (or, with `only`, `routeBy`) would event by event: the rules
   * reached, in the order of the first event reaching each, and each rule's event indices in order.
   * One call per batch, no callback per event: each reached rule collects its own indices.
   */
  routeBatch(batch: readonly EventRecord[], only?: string): RoutedBatch<R> {
    const stamp = ++this.batches;
    const reached: Entry<R>[] = [];
    let indexes = this.fieldIndexes;
    let unrouted = this.unrouted;
    if (only !== undefined) {
      const index = this.fields.get(only);
      indexes = index ? [index] : [];
      unrouted = [];
    }
    const inverted = only === undefined ? this.invertedIndex() : null;
    if (inverted !== null) this.routeInverted(batch, inverted, stamp, reached);
    else for (let i = 0; i < batch.length; i++) this.routeEvent(batch[i]!, i, indexes, unrouted, stamp, reached);
    const rules: R[] = new Array(reached.length);
    const indices: number[][] = new Array(reached.length);
    for (let k = 0; k < reached.length; k++) {
      const entry = reached[k]!;
      rules[k] = entry.rule;
      indices[k] = entry.hits;
      entry.hits = NO_HITS;
    }
    return { rules, indices };
  }

  /** `routeBatch` through the index turned around; an event whose number it does not memoise goes the usual way. */
  private routeInverted(batch: readonly EventRecord[], inverted: Inverted<R>, stamp: number, reached: Entry<R>[]): void {
    const name = inverted.name;
    const index = inverted.index;
    const slotOf = inverted.slotOf;
    const memos = inverted.bySmallInteger;
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!;
      const value = event[name];
      if (typeof value !== 'number' || !(value >= 0 && value < SMALL_INTEGER_LIMIT)) {
        this.routeEvent(event, i, this.fieldIndexes, this.unrouted, stamp, reached);
        continue;
      }
      let memo = memos[value];
      if (memo === undefined) memo = invertedFor(inverted, value);
      if (memo === null) continue;
      const raw = index.name !== undefined ? event[index.name] : index.read(event);
      const text = typeof raw === 'string' ? raw : scalarText(raw);
      const slot = text === undefined ? undefined : slotOf.get(text);
      const rules = slot === undefined ? undefined : memo[slot];
      if (rules !== undefined) this.probe(rules, event, i, stamp, reached);
    }
  }

  /** One event routed as `route` would (through `indexes` and `unrouted`): the rules it reaches get it among their hits. */
  private routeEvent(event: EventRecord, i: number, indexes: readonly FieldIndex<R>[], unrouted: Entry<R>[], stamp: number, reached: Entry<R>[]): void {
    // The candidates: one list (already in rule order, free of repeats) or several to merge.
    let found: Entry<R>[] | undefined;
    let lists = 0;
    if (unrouted.length) {
      found = unrouted;
      lists = 1;
    }
    for (let x = 0; x < indexes.length; x++) {
      const index = indexes[x]!;
      const text = scalarText(index.name !== undefined ? event[index.name] : index.read(event));
      if (text === undefined) continue;
      const bucket = index.byValue.get(text);
      if (bucket === undefined) continue;
      const single = bucket.single;
      if (single !== undefined) {
        // `collect` for a bucket of one conjunct index and a number (the memo), without a call.
        const value = single.name !== undefined ? event[single.name] : single.read(event);
        if (typeof value === 'number') {
          const rules = (value >= 0 && value < SMALL_INTEGER_LIMIT ? single.bySmallInteger[value] : undefined) ?? rulesForNumber(single, value);
          if (rules.length) {
            found = lists === 0 ? rules : found!.concat(rules);
            lists++;
          }
          continue;
        }
      }
      this.contributions = lists;
      this.found = found;
      this.collect(bucket, event);
      found = this.found;
      lists = this.contributions;
      this.found = undefined;
    }
    if (found === undefined) return;
    // Several sources (or keys) contributed: restore rule order and drop repeats.
    if (lists > 1) found = [...new Set(found)].sort((a, b) => a.order - b.order);
    this.offer(found, event, i, stamp, reached);
  }

  /** `offer` over probes (see Probes): the inline string equality tested from them, the entry read only when it holds. */
  private probe(probes: Probes<R>, event: EventRecord, i: number, stamp: number, reached: Entry<R>[]): void {
    for (let k = 0; k < probes.length; k += 3) {
      const name = probes[k] as string | undefined;
      if (name !== undefined) {
        const value = event[name];
        // Another string is not equal to a string constant (`==` or `===`); anything else takes the full test.
        if (value !== probes[k + 1] && (typeof value === 'string' || !offered(probes[k + 2] as Entry<R>, event))) continue;
      } else if (!offered(probes[k + 2] as Entry<R>, event)) continue;
      const entry = probes[k + 2] as Entry<R>;
      if (entry.stamp !== stamp) {
        entry.stamp = stamp;
        entry.hits = [];
        reached.push(entry);
      }
      entry.hits.push(i);
    }
  }

  /** The candidates that pass their tests get event `i` (of batch `stamp`) among their hits. */
  private offer(candidates: Entry<R>[], event: EventRecord, i: number, stamp: number, reached: Entry<R>[]): void {
    for (let k = 0; k < candidates.length; k++) {
      const entry = candidates[k]!;
      if (!offered(entry, event)) continue;
      if (entry.stamp !== stamp) {
        entry.stamp = stamp;
        entry.hits = [];
        reached.push(entry);
      }
      entry.hits.push(i);
    }
  }

  /** The index turned around, when the rules have its shape (see Inverted). */
  private invertedIndex(): Inverted<R> | null {
    if (this.inverted !== undefined) return this.inverted;
    this.inverted = null;
    if (this.unrouted.length || this.fieldIndexes.length !== 1) return null;
    const index = this.fieldIndexes[0]!;
    if (index.byValue.size === 0 || index.byValue.size > INVERTED_BUCKET_LIMIT) return null;
    let name: string | undefined;
    for (const bucket of index.byValue.values()) {
      const single = bucket.single;
      if (single === undefined || single.name === undefined || (name !== undefined && single.name !== name)) return null;
      name = single.name;
    }
    const buckets = [...index.byValue.values()];
    const slotOf = new Map([...index.byValue.keys()].map((text, slot) => [text, slot]));
    return (this.inverted = { index, name: name!, slotOf, buckets, bySmallInteger: [] });
  }

  /** Only the rules reached through `field` (alerts re-enter through `rule`). */
  routeBy(field: string, event: EventRecord, visit: (rule: R) => void): void {
    this.contributions = 0;
    this.found = undefined;
    const index = this.fields.get(field);
    if (!index) return;
    const text = scalarText(index.read(event));
    const bucket = text === undefined ? undefined : index.byValue.get(text);
    if (bucket) this.collect(bucket, event);
    this.visitFound(event, visit);
  }

  private add1(entries: Entry<R>[]): void {
    if (!entries.length) return;
    this.contributions++;
    this.found = this.found ? this.found.concat(entries) : entries;
  }

  private collect(bucket: Bucket<R>, event: EventRecord): void {
    this.add1(bucket.plain);
    if (bucket.prefiltered) this.add1(bucket.prefiltered.candidates(event));
    const indexes = bucket.conjunctIndexes;
    for (let i = 0; i < indexes.length; i++) {
      const conjuncts = indexes[i]!;
      const value = conjuncts.name !== undefined ? event[conjuncts.name] : conjuncts.read(event);
      if (typeof value === 'number') {
        // Small integers (the common case) straight from the memo: no call, no list when none match.
        const memo = value >= 0 && value < SMALL_INTEGER_LIMIT ? conjuncts.bySmallInteger[value] : undefined;
        const rules = memo ?? rulesForNumber(conjuncts, value);
        if (rules.length) this.add1(rules);
        continue;
      }
      const keys = valueKeys(value);
      if (keys === undefined) {
        this.add1(conjuncts.all);
        continue;
      }
      for (const key of keys) {
        const rules = conjuncts.byKey.get(key);
        if (rules) this.add1(rules);
      }
    }
  }

  private visitFound(event: EventRecord, visit: (rule: R) => void): void {
    let found = this.found;
    if (!found) return;
    this.found = undefined;
    if (this.contributions > 1) {
      // Several sources (or keys) contributed: restore rule order and drop repeats.
      found = [...new Set(found)].sort((a, b) => a.order - b.order);
    }
    for (let i = 0; i < found.length; i++) {
      const entry = found[i]!;
      if (offered(entry, event)) visit(entry.rule);
    }
  }
}

/** Whether a candidate passes its tests: the inline equality, then the other checks. */
function offered<R>(entry: Entry<R>, event: EventRecord): boolean {
  const name = entry.inlineName;
  if (name !== undefined) {
    const value = event[name];
    // The common outcomes without a call: the constant itself, or another value of its type (for
    // two strings or two numbers `==` is `===`); any other value takes the full test.
    const constant = entry.inlineConstant;
    if (value !== constant) {
      if (typeof value === 'string' ? typeof constant === 'string' : typeof value === 'number' && typeof constant === 'number') return false;
      if (!equalityHolds(value, entry.inlineStrict, constant)) return false;
    }
  }
  return entry.checks === undefined || passes(entry.checks, event);
}

function passes(checks: readonly Check[], event: EventRecord): boolean {
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i]!;
    const value = check.name !== undefined ? event[check.name] : check.read(event);
    const mode = check.mode;
    if (mode === CheckMode.CALL ? !check.passes(value) : !equalityHolds(value, mode === CheckMode.STRICT, check.constant)) return false;
  }
  return true;
}

/**
 * EqualityConjunct.holds for `e.f == constant` / `e.f === constant`, without the call through the
 * conjunct: an object or function cannot be judged (its conversions are its own), so it holds.
 */
function equalityHolds(value: unknown, strict: boolean, constant: string | number | undefined): boolean {
  if (typeof value === 'object' ? value !== null : typeof value === 'function') return true;
  return strict ? value === constant : value == constant;
}

function refreshSingle<R>(bucket: Bucket<R>): void {
  bucket.single = !bucket.plain.length && !bucket.prefiltered && bucket.conjunctIndexes.length === 1 ? bucket.conjunctIndexes[0] : undefined;
}

function directName(field: string): string | undefined {
  return readsDirectly(field) ? internalized(field) : undefined;
}

/**
 * The same text as one shared string, as engines keep property names: a field name read as
 * `event[name]` by many rules, or a constant compared with many events, is then one string, not
 * one per rule (parsing and constant folding give each rule its own), so a property look-up by it
 * stays on its fast path and a comparison is not with a concatenation of parts.
 */
function internalized(text: string): string {
  for (const key in { [text]: 0 }) return key;
  return text;
}

function forgetNumbers<R>(conjuncts: ConjunctIndex<R>): void {
  conjuncts.byNumber.clear();
  conjuncts.bySmallInteger = [];
}

/** The rules of the keys a number value matches (`valueKeys`), merged in rule order; memoised. */
function rulesForNumber<R>(conjuncts: ConjunctIndex<R>, value: number): Entry<R>[] {
  const small = value >= 0 && value < SMALL_INTEGER_LIMIT && Number.isInteger(value);
  let rules = small ? conjuncts.bySmallInteger[value] : conjuncts.byNumber.get(value);
  if (rules) return rules;
  rules = [];
  for (const key of valueKeys(value)!) for (const entry of conjuncts.byKey.get(key) ?? []) if (!rules.includes(entry)) insertOrdered(rules, entry);
  if (small) {
    conjuncts.bySmallInteger[value] = rules;
  } else {
    if (conjuncts.byNumber.size >= NUMBER_MEMO_LIMIT) conjuncts.byNumber.clear();
    conjuncts.byNumber.set(value, rules);
  }
  return rules;
}

/**
 * Candidates laid out for the test most of them take, the inline equality with a string constant:
 * per candidate its field name and the constant (a copy, made next to the others, so the test
 * reads memory close together rather than each rule's own), then the entry; `undefined` for the
 * name when the candidate needs its full test (`offered`).
 */
type Probes<R> = (string | Entry<R> | undefined)[];

function probesOf<R>(rules: readonly Entry<R>[]): Probes<R> {
  const probes: Probes<R> = [];
  for (const entry of rules) {
    const simple = entry.inlineName !== undefined && typeof entry.inlineConstant === 'string' && entry.checks === undefined;
    probes.push(simple ? entry.inlineName : undefined, simple ? Array.from(entry.inlineConstant as string).join('') : undefined, entry);
  }
  return probes;
}

/** Each bucket's rules for a number (rulesForNumber of its one conjunct index), by slot; memoised when the number is an integer. */
function invertedFor<R>(inverted: Inverted<R>, value: number): (Probes<R> | undefined)[] | null {
  const bySlot: (Probes<R> | undefined)[] = new Array(inverted.buckets.length).fill(undefined);
  let any = false;
  inverted.buckets.forEach((bucket, slot) => {
    const rules = rulesForNumber(bucket.single!, value);
    if (rules.length) {
      bySlot[slot] = probesOf(rules);
      any = true;
    }
  });
  const memo = any ? bySlot : null;
  if (Number.isInteger(value)) inverted.bySmallInteger[value] = memo;
  return memo;
}

function insertOrdered<R>(list: Entry<R>[], entry: Entry<R>): void {
  let at = list.length;
  while (at > 0 && list[at - 1]!.order > entry.order) at--;
  list.splice(at, 0, entry);
}

function removeFrom<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
