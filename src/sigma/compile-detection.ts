/**
 * A Sigma `detection` compiled to closures, once per rule: each selection becomes a predicate over
 * the event (maps AND their fields, lists OR their items, keyword lists search the event's text),
 * each field entry a predicate built from its modifiers, and the `condition` a tree of those. Nothing
 * of the YAML is read per event; no eval.
 *
 * Semantics (the rules specification and modifiers appendix, read as follows where they leave room):
 * - Matching is case-insensitive (String.prototype.toLowerCase on both sides) unless `cased`; `re`
 *   is case-sensitive unless `i`.
 * - A field holding an array matches when one element matches (with `all`: every value matches some
 *   element). Objects match no value.
 * - A number in a rule matches the same number in the event, or text equal to the number as YAML
 *   wrote it or as JavaScript prints it (`EventID: 4688` matches 4688 and "4688"; `0x17` matches "0x17" and 23).
 * - `null` matches a field that is absent or null; `''` an empty string; `exists: true` a field that
 *   is present (even null or empty).
 * - `neq` matches when no value is equal (an absent field included).
 * - Keywords (a list under a search identifier) are `contains` matches on every string and number of
 *   the event (or the pipeline's `keywordFields`).
 * - `windash` treats `-`, `/`, `–`, `—`, `―` as one character (all permutations, as the appendix
 *   says); before an encoding modifier it expands the permutations instead (at most 625).
 * - `expand` replaces `%name%` placeholders with the values of the table given to the compiler
 *   (each may hold wildcards); a placeholder without values refuses the rule, as the spec requires.
 * - Time modifiers (`minute`, `hour`, `day`, `week` (ISO), `month`, `year`) read the field as a
 *   date (epoch milliseconds or text Date.parse reads) in UTC.
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { recordOf, type EventRecord } from '../lang/fields.js';
import { DetectionError, SelectionCompiler, type CompiledSelection, type DetectionOptions, type Equality, type Matcher } from './compile-field.js';
import { ConditionError, identifierMatches, parseCondition, type ConditionNode } from './condition.js';
import { fieldAccess } from './field-access.js';
import { allOf, anyOf, type Requirement } from './prefilter-requirement.js';
import type { SourceLocator, Span, YNode } from './yaml-source.js';

export type { DetectionOptions, Equality, Matcher } from './compile-field.js';
export { MAX_REGEX_LENGTH, MAX_VALUES_PER_FIELD, MAX_VALUES_PER_FILE, MAX_WINDASH_VARIANTS } from './compile-field.js';

export interface CompiledDetection {
  match: Matcher;
  equalities: Equality[];
  /** Event paths the detection reads (for the alert's matched fields). */
  paths: string[];
  /** Literals one of which every match holds (for the prefilter); undefined: none. */
  requires: Requirement;
}

/** Most selections (search identifiers) in one detection. */
export const MAX_SELECTIONS = 1024;

/** Compiles `detection` (a YAML map); returns undefined after pushing error diagnostics. */
export function compileDetection(
  detection: YNode,
  options: DetectionOptions,
  locator: SourceLocator,
  diagnostics: Diagnostic[],
  ruleName: string,
): CompiledDetection | undefined {
  const paths = new Set<string>();
  const compiler = new SelectionCompiler(options, paths);
  const report = (err: unknown): undefined => {
    if (err instanceof DetectionError) {
      diagnostics.push(locator.diagnostic('error', err.code, err.message, err.span, ruleName));
      return undefined;
    }
    throw err;
  };
  if (detection.kind !== 'map') return report(new DetectionError('sigma-detection', 'detection must be a map of search identifiers and a condition', detection.span));
  const selections = new Map<string, { node: YNode; span: Span; compiled?: CompiledSelection }>();
  let conditionNode: YNode | undefined;
  let failed = false;
  for (const e of detection.entries) {
    if (e.key === 'condition') conditionNode = e.value;
    else if (e.key === 'timeframe') {
      diagnostics.push(locator.diagnostic('error', 'sigma-unsupported', "'timeframe' belongs to the obsolete aggregation syntax: write a correlation rule instead", e.keySpan, ruleName));
      failed = true;
    } else selections.set(e.key, { node: e.value, span: e.keySpan });
  }
  if (selections.size > MAX_SELECTIONS) return report(new DetectionError('sigma-limit', `more than ${MAX_SELECTIONS} search identifiers`, detection.span));
  if (selections.size === 0) return report(new DetectionError('sigma-detection', 'detection holds no search identifier', detection.span));
  if (!conditionNode) return report(new DetectionError('sigma-condition', 'detection has no condition', detection.span));
  for (const [name, sel] of selections) {
    try {
      sel.compiled = compiler.selection(sel.node, name);
    } catch (err) {
      report(err);
      failed = true;
    }
  }
  // The condition: text, or a list of texts OR-ed.
  const conditionTexts: { text: string; node: YNode }[] = [];
  if (conditionNode.kind === 'scalar' && typeof conditionNode.value === 'string') conditionTexts.push({ text: conditionNode.value, node: conditionNode });
  else if (conditionNode.kind === 'seq' && conditionNode.items.length > 0 && conditionNode.items.every((i) => i.kind === 'scalar' && typeof i.value === 'string')) {
    for (const i of conditionNode.items) conditionTexts.push({ text: String((i as { value: string }).value), node: i });
  } else return report(new DetectionError('sigma-condition', 'condition must be text or a list of texts', conditionNode.span));
  const trees: { tree: ConditionNode; node: YNode }[] = [];
  for (const c of conditionTexts) {
    const at = (start: number, end: number): Span => {
      const base = c.node.kind === 'scalar' ? c.node.textStart : c.node.span[0];
      return [base + start, base + Math.max(end, start + 1)];
    };
    try {
      const tree = parseCondition(c.text);
      checkReferences(tree, selections, at);
      trees.push({ tree, node: c.node });
    } catch (err) {
      if (err instanceof ConditionError) report(new DetectionError('sigma-condition', err.message, at(err.start, err.end)));
      else report(err);
      failed = true;
    }
  }
  if (failed) return undefined;
  const lookup = (name: string) => selections.get(name)!.compiled!;
  const matchers = trees.map((t) => conditionMatcher(t.tree, selections, lookup));
  const match: Matcher = matchers.length === 1 ? matchers[0] : (e) => matchers.some((m) => m(e));
  const equalities = trees.length === 1 ? conditionEqualities(trees[0].tree, selections, lookup) : [];
  const requires = anyOf(trees.map((t) => conditionRequirement(t.tree, selections, lookup)));
  return { match, equalities, paths: [...paths], requires };
}

function checkReferences(tree: ConditionNode, selections: Map<string, unknown>, at: (s: number, e: number) => Span): void {
  switch (tree.type) {
    case 'and':
    case 'or':
      tree.items.forEach((t) => checkReferences(t, selections, at));
      return;
    case 'not':
      checkReferences(tree.item, selections, at);
      return;
    case 'ref':
      if (!selections.has(tree.name)) throw new ConditionError(`the condition names '${tree.name}', which the detection does not define`, tree.start, tree.end);
      return;
    case 'of': {
      const names = ofNames(tree, selections);
      if (names.length === 0) throw new ConditionError(`'${tree.pattern}' matches no search identifier`, tree.start, tree.end);
      if (typeof tree.count === 'number' && tree.count > names.length) throw new ConditionError(`'${tree.count} of' needs at least ${tree.count} matching search identifiers, there are ${names.length}`, tree.start, tree.end);
      return;
    }
  }
}

function ofNames(tree: { pattern: string }, selections: Map<string, unknown>): string[] {
  const names = [...selections.keys()];
  if (tree.pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  return names.filter((n) => identifierMatches(tree.pattern, n));
}

function conditionMatcher(tree: ConditionNode, selections: Map<string, unknown>, lookup: (name: string) => CompiledSelection): Matcher {
  switch (tree.type) {
    case 'and': {
      const items = tree.items.map((t) => conditionMatcher(t, selections, lookup));
      return (e) => {
        for (const m of items) if (!m(e)) return false;
        return true;
      };
    }
    case 'or': {
      const items = tree.items.map((t) => conditionMatcher(t, selections, lookup));
      return (e) => {
        for (const m of items) if (m(e)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = conditionMatcher(tree.item, selections, lookup);
      return (e) => !inner(e);
    }
    case 'ref':
      return lookup(tree.name).match;
    case 'of': {
      const items = ofNames(tree, selections).map((n) => lookup(n).match);
      if (tree.count === 'all') {
        return (e) => {
          for (const m of items) if (!m(e)) return false;
          return true;
        };
      }
      const need = tree.count;
      return (e) => {
        let n = 0;
        for (const m of items) if (m(e) && ++n >= need) return true;
        return false;
      };
    }
  }
}

/** What the condition requires of the event's text (see prefilter-requirement.ts). */
function conditionRequirement(tree: ConditionNode, selections: Map<string, unknown>, lookup: (name: string) => CompiledSelection): Requirement {
  switch (tree.type) {
    case 'and':
      return allOf(tree.items.map((t) => conditionRequirement(t, selections, lookup)));
    case 'or':
      return anyOf(tree.items.map((t) => conditionRequirement(t, selections, lookup)));
    case 'not':
      return undefined;
    case 'ref':
      return lookup(tree.name).requires;
    case 'of': {
      const items = ofNames(tree, selections).map((n) => lookup(n).requires);
      return tree.count === 'all' ? allOf(items) : anyOf(items);
    }
  }
}

/** Equalities every match must satisfy: from selections the condition requires outright (top-level AND). */
function conditionEqualities(tree: ConditionNode, selections: Map<string, unknown>, lookup: (name: string) => CompiledSelection): Equality[] {
  const required: string[] = [];
  const walk = (t: ConditionNode) => {
    if (t.type === 'and') t.items.forEach(walk);
    else if (t.type === 'ref') required.push(t.name);
    else if (t.type === 'of' && (t.count === 'all' || ofNames(t, selections).length === 1)) required.push(...ofNames(t, selections));
  };
  walk(tree);
  const out: Equality[] = [];
  for (const name of required) out.push(...lookup(name).equalities);
  return out;
}

/** The values of `paths` present in `event`, for an alert. */
export function presentFields(event: EventRecord, paths: readonly string[]): EventRecord {
  const names: string[] = [];
  const values: unknown[] = [];
  for (const p of paths) {
    const v = fieldAccess([p]).read(event);
    if (v !== undefined) {
      names.push(p);
      values.push(v);
    }
  }
  return recordOf(names, values);
}

