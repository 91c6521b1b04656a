/**
 * Processing pipelines, the Sigma way: a pipeline says which events a rule's `logsource`
 * (product/category/service) stands for — routing conditions, field equalities like VGL's
 * `SOURCES field = 'a', 'b'` — and what each Sigma field name is called in the events.
 *
 * Built in: `evtx-json` (evtx_dump's JSON, as Chainsaw and Hayabusa read it), `ecs` (Winlogbeat and
 * Elastic Agent), `flat` (names as written, no routing). A user pipeline is a YAML file of the same
 * shape (see src/sigma/README.md):
 *
 * ```yaml
 * name: my-pipeline
 * defaultField: 'data.{field}'          # unmapped Sigma names; absent: the name as written
 * keywordFields: [message]               # where keyword lists search; absent: every text value
 * unknownLogsource: skip                 # a rule no logsources entry matches: skip | unrouted | error
 * fields:                                # Sigma name → event field (or a list: first present wins)
 *   EventID: event_id
 * logsources:
 *   - match: { product: windows, category: process_creation }
 *     conditions: { channel: [Sysmon], event_id: [1] }
 *     fields: { Image: process_path }
 * ```
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { entry, type SourceLocator, type YNode } from './yaml-source.js';

export type FieldTarget = string | readonly string[];

export interface PipelineLogsource {
  /** The logsource keys this entry applies to; every key given must equal the rule's (case-insensitively). */
  match: { product?: string; category?: string; service?: string };
  /** Routing: event field path → accepted values (AND across fields, OR within a field). */
  conditions: Record<string, readonly string[]>;
  /** Field names for rules of this logsource; they win over the pipeline's `fields`. */
  fields?: Record<string, FieldTarget>;
}

export type UnknownLogsourcePolicy = 'skip' | 'unrouted' | 'error';

export interface SigmaPipeline {
  name: string;
  fields: Record<string, FieldTarget>;
  /** How an unmapped Sigma name is written in events: `{field}` stands for the name. */
  defaultField?: string;
  /** Fields keyword lists search; undefined: every string and number in the event. */
  keywordFields?: readonly string[];
  logsources: readonly PipelineLogsource[];
  /**
   * A rule whose logsource no entry matches (a Zeek rule under evtx-json): `skip` compiles it (its
   * errors are reported) but routes no event to it, with a warning; `unrouted` compiles it without
   * routing, with a warning (it then sees every event: a `not selection` rule fires on all of them);
   * `error` refuses it. Default `skip`. Pipelines without logsources (flat) route nothing and check nothing.
   */
  unknownLogsource: UnknownLogsourcePolicy;
}

export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
}

export interface ResolvedLogsource {
  /** Routing conditions (AND of fields); empty when nothing routes. */
  selectors: { field: string; values: string[] }[];
  /** Whether some logsources entry matched. */
  known: boolean;
  /** Contradictory entries (two conditions on one field with no value in common): the rule cannot match. */
  impossible: boolean;
  /** Event field path(s) for a Sigma field name. */
  field(name: string): readonly string[];
}

const KEYS = ['product', 'category', 'service'] as const;

export function resolveLogsource(pipeline: SigmaPipeline, logsource: Logsource): ResolvedLogsource {
  const matching = pipeline.logsources.filter((ls) =>
    KEYS.every((k) => ls.match[k] === undefined || (logsource[k] !== undefined && ls.match[k]!.toLowerCase() === logsource[k]!.toLowerCase())),
  );
  // More specific entries (more keys) win field names; conditions of all matching entries apply.
  matching.sort((a, b) => Object.keys(a.match).length - Object.keys(b.match).length);
  const conditions = new Map<string, string[]>();
  let impossible = false;
  for (const ls of matching) {
    for (const [field, values] of Object.entries(ls.conditions)) {
      const before = conditions.get(field);
      const next = before ? before.filter((v) => values.includes(v)) : [...values];
      if (next.length === 0) impossible = true;
      conditions.set(field, next);
    }
  }
  const fieldMap: Record<string, FieldTarget> = Object.assign(Object.create(null) as Record<string, FieldTarget>, pipeline.fields);
  for (const ls of matching) if (ls.fields) Object.assign(fieldMap, ls.fields);
  const template = pipeline.defaultField;
  return {
    selectors: [...conditions].map(([field, values]) => ({ field, values })),
    known: matching.length > 0,
    impossible,
    field(name) {
      const mapped = Object.prototype.hasOwnProperty.call(fieldMap, name) ? fieldMap[name] : undefined;
      if (mapped !== undefined) return typeof mapped === 'string' ? [mapped] : mapped;
      return [template === undefined ? name : template.split('{field}').join(name)];
    },
  };
}

/** A user pipeline from its YAML tree; diagnostics name what is wrong and where. */
export function pipelineFromYaml(root: YNode | undefined, locator: SourceLocator, diagnostics: Diagnostic[]): SigmaPipeline | undefined {
  const fail = (message: string, node: { span: readonly [number, number] } | undefined) => {
    diagnostics.push(locator.diagnostic('error', 'sigma-pipeline', message, node?.span as [number, number] | undefined));
    return undefined;
  };
  if (!root || root.kind !== 'map') return fail('a pipeline is a map with name, fields and logsources', root);
  const known = new Set(['name', 'fields', 'defaultField', 'keywordFields', 'logsources', 'unknownLogsource']);
  for (const e of root.entries) if (!known.has(e.key)) return fail(`unknown pipeline key '${e.key}' (known: ${[...known].join(', ')})`, { span: e.keySpan });
  const nameNode = entry(root, 'name')?.value;
  const name = nameNode?.kind === 'scalar' && typeof nameNode.value === 'string' ? nameNode.value : undefined;
  if (!name) return fail('the pipeline needs a name', nameNode ?? root);
  const fieldMap = (node: YNode | undefined): Record<string, FieldTarget> | undefined => {
    if (!node) return {};
    if (node.kind !== 'map') return fail('fields must map Sigma names to event fields', node);
    const out: Record<string, FieldTarget> = Object.create(null) as Record<string, FieldTarget>;
    for (const e of node.entries) {
      const v = e.value;
      if (v.kind === 'scalar' && typeof v.value === 'string') out[e.key] = v.value;
      else if (v.kind === 'seq' && v.items.length > 0 && v.items.every((i) => i.kind === 'scalar' && typeof i.value === 'string')) out[e.key] = v.items.map((i) => String((i as { value: string }).value));
      else return fail(`field '${e.key}' must map to an event field name or a list of them`, v);
    }
    return out;
  };
  const fields = fieldMap(entry(root, 'fields')?.value);
  if (!fields) return undefined;
  const defaultNode = entry(root, 'defaultField')?.value;
  let defaultField: string | undefined;
  if (defaultNode) {
    if (defaultNode.kind !== 'scalar' || typeof defaultNode.value !== 'string' || !defaultNode.value.includes('{field}')) return fail("defaultField must be text holding '{field}'", defaultNode);
    defaultField = defaultNode.value;
  }
  const kwNode = entry(root, 'keywordFields')?.value;
  let keywordFields: string[] | undefined;
  if (kwNode) {
    if (kwNode.kind !== 'seq' || !kwNode.items.every((i) => i.kind === 'scalar' && typeof i.value === 'string')) return fail('keywordFields must be a list of field names', kwNode);
    keywordFields = kwNode.items.map((i) => String((i as { value: string }).value));
  }
  const unknownNode = entry(root, 'unknownLogsource')?.value;
  let unknownLogsource: UnknownLogsourcePolicy = 'skip';
  if (unknownNode) {
    if (unknownNode.kind !== 'scalar' || (unknownNode.value !== 'skip' && unknownNode.value !== 'unrouted' && unknownNode.value !== 'error')) return fail("unknownLogsource is 'skip', 'unrouted' or 'error'", unknownNode);
    unknownLogsource = unknownNode.value;
  }
  const logsources: PipelineLogsource[] = [];
  const lsNode = entry(root, 'logsources')?.value;
  if (lsNode) {
    if (lsNode.kind !== 'seq') return fail('logsources must be a list', lsNode);
    for (const item of lsNode.items) {
      if (item.kind !== 'map') return fail('a logsources entry is a map with match, conditions and fields', item);
      const matchNode = entry(item, 'match')?.value;
      if (!matchNode || matchNode.kind !== 'map' || matchNode.entries.length === 0) return fail('a logsources entry needs a match map (product, category, service)', matchNode ?? item);
      const match: PipelineLogsource['match'] = {};
      for (const e of matchNode.entries) {
        if (!(KEYS as readonly string[]).includes(e.key) || e.value.kind !== 'scalar' || e.value.value === null) return fail(`match keys are product, category and service with a value, not '${e.key}'`, { span: e.keySpan });
        match[e.key as (typeof KEYS)[number]] = String(e.value.value);
      }
      const conditions: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      const condNode = entry(item, 'conditions')?.value;
      if (condNode) {
        if (condNode.kind !== 'map') return fail('conditions must map event fields to values', condNode);
        for (const e of condNode.entries) {
          const values = e.value.kind === 'scalar' ? [e.value] : e.value.kind === 'seq' ? e.value.items : [];
          if (values.length === 0 || !values.every((v) => v.kind === 'scalar' && v.value !== null && typeof v.value !== 'boolean')) return fail(`condition '${e.key}' needs a value or a list of values`, e.value);
          conditions[e.key] = values.map((v) => String((v as { value: string | number }).value));
        }
      }
      const ls: PipelineLogsource = { match, conditions };
      const lf = entry(item, 'fields')?.value;
      if (lf) {
        const m = fieldMap(lf);
        if (!m) return undefined;
        ls.fields = m;
      }
      logsources.push(ls);
    }
  }
  const pipeline: SigmaPipeline = { name, fields, logsources, unknownLogsource };
  if (defaultField !== undefined) pipeline.defaultField = defaultField;
  if (keywordFields !== undefined) pipeline.keywordFields = keywordFields;
  return pipeline;
}
