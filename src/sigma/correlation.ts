/**
 * Sigma correlation rules (the correlation rules specification): parsed and validated into a
 * structure ready to map onto windows — type, the rules referenced (by id or name), group-by,
 * timespan in milliseconds, condition, aliases, generate. References are resolved against the whole
 * collection by the loader (index.ts).
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { entry, scalarString, stringList, type SourceLocator, type Span, type YNode } from './yaml-source.js';

export const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile'] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const CONDITION_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export interface SigmaCorrelation {
  /** The title. */
  title: string;
  id?: string;
  /** The `name` other correlations refer to it by. */
  name?: string;
  level?: string;
  status?: string;
  tags: string[];
  references: string[];
  type: CorrelationType;
  /** Rules referenced, as written (ids or names), in order (the order `temporal_ordered` requires). */
  rules: string[];
  /** Where each reference was written (for diagnostics when it does not resolve). */
  ruleSpans: Span[];
  groupBy: string[];
  timespanMs: number;
  /** The bounds the value must satisfy (AND); for temporal types without a condition: gte the number of rules. */
  condition: { op: ConditionOperator; value: number }[];
  /** The field value_count, value_sum, value_avg and value_percentile aggregate. */
  field?: string;
  /** alias → rule name → field name in that rule's events. */
  aliases: Record<string, Record<string, string>>;
  /** Per reference in `rules`: the rule (index in the collection's `rules`) or correlation (index in its `correlations`) it names; set by the loader. */
  targets?: { kind: 'rule' | 'correlation'; index: number }[];
  /** Whether the referenced rules also raise their own alerts. Default false. */
  generate: boolean;
  file: string;
  span: Span;
}

/**
 * The longest timespan a correlation may have (30 days): its windows hold every event its rules
 * match for that long, and event times beyond JavaScript's exact integers would break the window
 * arithmetic long before a year of 9-digit weeks.
 */
export const MAX_CORRELATION_TIMESPAN_MS = 30 * 86_400_000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `5m` → 300,000; undefined when malformed. Units s, m, h, d (and w). */
export function parseTimespan(text: string): number | undefined {
  const m = /^(\d{1,9})([smhdw])$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * UNIT_MS[m[2]];
  return n > 0 ? n : undefined;
}

export function parseCorrelation(root: YNode & { kind: 'map' }, locator: SourceLocator, diagnostics: Diagnostic[], meta: { title: string; id?: string; name?: string; level?: string; status?: string; tags: string[]; references: string[] }): SigmaCorrelation | undefined {
  const c = entry(root, 'correlation')!;
  const errors: Diagnostic[] = [];
  const fail = (message: string, span: Span) => errors.push(locator.diagnostic('error', 'sigma-correlation', message, span, meta.title));
  const body = c.value;
  if (body.kind !== 'map') {
    fail('correlation must be a map with type, rules, group-by, timespan and condition', body.span);
    diagnostics.push(...errors);
    return undefined;
  }
  const known = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate']);
  for (const e of body.entries) if (!known.has(e.key)) fail(`unknown correlation key '${e.key}' (known: ${[...known].join(', ')})`, e.keySpan);
  const typeNode = entry(body, 'type');
  const type = scalarString(typeNode?.value);
  if (!typeNode) fail('correlation needs a type', c.keySpan);
  else if (!type || !(CORRELATION_TYPES as readonly string[]).includes(type)) fail(`unknown correlation type '${type ?? ''}' (known: ${CORRELATION_TYPES.join(', ')})`, typeNode.value.span);
  const rulesNode = entry(body, 'rules');
  const rules = stringList(rulesNode?.value);
  const ruleSpans: Span[] = rulesNode?.value.kind === 'seq' ? rulesNode.value.items.map((i) => i.span) : rulesNode ? [rulesNode.value.span] : [];
  if (!rulesNode) fail('correlation needs rules (ids or names of Sigma rules)', c.keySpan);
  else if (!rules || rules.length === 0) fail('rules must be a non-empty list of rule ids or names', rulesNode.value.span);
  const groupNode = entry(body, 'group-by');
  const groupBy = groupNode ? stringList(groupNode.value) : [];
  if (!groupBy) fail('group-by must be a list of field names', groupNode!.value.span);
  const spanNode = entry(body, 'timespan');
  const timespanText = scalarString(spanNode?.value);
  const timespanMs = timespanText === undefined ? undefined : parseTimespan(timespanText);
  if (!spanNode) fail('correlation needs a timespan (like 5m)', c.keySpan);
  else if (timespanMs === undefined) fail(`timespan '${timespanText ?? ''}' is not a number followed by s, m, h or d`, spanNode.value.span);
  else if (timespanMs > MAX_CORRELATION_TIMESPAN_MS) fail(`timespan '${timespanText}' is longer than 30d, the longest a correlation may keep events for`, spanNode.value.span);
  const condition: SigmaCorrelation['condition'] = [];
  let field: string | undefined;
  const condNode = entry(body, 'condition');
  if (condNode) {
    if (condNode.value.kind !== 'map') fail('condition must be a map like {gte: 10}', condNode.value.span);
    else {
      for (const e of condNode.value.entries) {
        if (e.key === 'field') {
          const f = e.value.kind === 'seq' ? stringList(e.value) : stringList(e.value);
          if (!f || f.length !== 1) fail('condition field must name one field', e.value.span);
          else field = f[0];
          continue;
        }
        if (!(CONDITION_OPERATORS as readonly string[]).includes(e.key)) {
          fail(`unknown condition operator '${e.key}' (known: ${CONDITION_OPERATORS.join(', ')}, field)`, e.keySpan);
          continue;
        }
        const v = e.value;
        if (v.kind !== 'scalar' || typeof v.value !== 'number' || !Number.isFinite(v.value)) fail(`'${e.key}' needs a number`, v.span);
        else condition.push({ op: e.key as ConditionOperator, value: v.value });
      }
      if (condition.length === 0 && condNode.value.kind === 'map') fail('condition needs a comparison (gt, gte, lt, lte, eq, neq)', condNode.value.span);
    }
  }
  const needsField = type === 'value_count' || type === 'value_sum' || type === 'value_avg' || type === 'value_percentile';
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (type && !temporal && !condNode) fail(`a ${type} correlation needs a condition`, c.keySpan);
  if (needsField && condNode && field === undefined) fail(`a ${type} correlation needs a field in its condition`, condNode.keySpan);
  if (!needsField && field !== undefined && type) fail(`a ${type} correlation takes no field`, condNode!.keySpan);
  const aliases: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  const aliasNode = entry(body, 'aliases');
  if (aliasNode) {
    if (aliasNode.value.kind !== 'map') fail('aliases must map alias names to {rule name: field}', aliasNode.value.span);
    else {
      for (const a of aliasNode.value.entries) {
        if (a.value.kind !== 'map') {
          fail(`alias '${a.key}' must map rule names to field names`, a.value.span);
          continue;
        }
        const m: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const r of a.value.entries) {
          const f = scalarString(r.value);
          if (f === undefined) fail(`alias '${a.key}' for rule '${r.key}' must name a field`, r.value.span);
          else {
            if (rules && !rules.includes(r.key)) fail(`alias '${a.key}' names rule '${r.key}', which the correlation does not reference`, r.keySpan);
            m[r.key] = f;
          }
        }
        aliases[a.key] = m;
      }
    }
  }
  let generate = false;
  const genNode = entry(body, 'generate');
  if (genNode) {
    if (genNode.value.kind !== 'scalar' || typeof genNode.value.value !== 'boolean') fail('generate is true or false', genNode.value.span);
    else generate = genNode.value.value;
  }
  if (errors.length > 0 || !type || !rules || !groupBy || timespanMs === undefined) {
    diagnostics.push(...errors);
    return undefined;
  }
  if (temporal && condition.length === 0) condition.push({ op: 'gte', value: rules.length });
  const out: SigmaCorrelation = { ...meta, type: type as CorrelationType, rules, ruleSpans, groupBy, timespanMs, condition, aliases, generate, file: locator.file, span: root.span };
  if (field !== undefined) out.field = field;
  return out;
}

export function conditionHolds(condition: SigmaCorrelation['condition'], value: number): boolean {
  for (const { op, value: bound } of condition) {
    const ok = op === 'gt' ? value > bound : op === 'gte' ? value >= bound : op === 'lt' ? value < bound : op === 'lte' ? value <= bound : op === 'eq' ? value === bound : value !== bound;
    if (!ok) return false;
  }
  return true;
}
