/**
 * The rules-tree: (field, value) → the rules that named it in SOURCES, so an event meets only its
 * own rules. A rule is indexed under its first selector; further selectors (ANDed) are checked
 * for the rules the index returns.
 */
import { fieldReader, scalarText, type EventRecord, type FieldReader } from './fields.js';

export interface RoutedRule {
  /** Position of the rule in evaluation order: lower runs first. */
  readonly order: number;
  readonly selectors: readonly { field: string; values: readonly string[] }[];
}

interface FieldIndex<R> {
  field: string;
  read: FieldReader;
  byValue: Map<string, R[]>;
}

export class Router<R extends RoutedRule> {
  private readonly fields = new Map<string, FieldIndex<R>>();
  /** Rules with more than one selector need the rest checked after the index look-up. */
  private readonly extraSelectors = new Map<R, { read: FieldReader; values: Set<string> }[]>();

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
      const list = index.byValue.get(value) ?? [];
      list.push(rule);
      list.sort((a, b) => a.order - b.order);
      index.byValue.set(value, list);
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
      for (const [value, list] of index.byValue) {
        const at = list.indexOf(rule);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0) index.byValue.delete(value);
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
    const single = this.fields.size === 1;
    let found: R[] | undefined;
    for (const index of this.fields.values()) {
      const text = scalarText(index.read(event));
      if (text === undefined) continue;
      const rules = index.byValue.get(text);
      if (!rules) continue;
      if (single) {
        for (const rule of rules) if (this.passesExtra(rule, event)) visit(rule);
        return;
      }
      (found ??= []).push(...rules);
    }
    if (!found) return;
    if (found.length > 1) found.sort((a, b) => a.order - b.order);
    for (const rule of found) if (this.passesExtra(rule, event)) visit(rule);
  }

  /** Only the rules reached through `field` (alerts re-enter through `rule`). */
  routeBy(field: string, event: EventRecord, visit: (rule: R) => void): void {
    const index = this.fields.get(field);
    if (!index) return;
    const text = scalarText(index.read(event));
    if (text === undefined) return;
    for (const rule of index.byValue.get(text) ?? []) if (this.passesExtra(rule, event)) visit(rule);
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
