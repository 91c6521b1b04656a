/**
 * Loading Sigma: YAML files in (rules, correlation rules and filters, one or several documents per
 * file), compiled matcher plans, parsed correlations and applied filters out, with diagnostics in the
 * project's shape. Engine-independent: {@link SigmaRulePlan} is what the engine's rule plan wraps.
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { scalarText, type EventRecord } from '../lang/fields.js';
import { compileDetection, presentFields, type CompiledDetection, type Equality, type Matcher } from './compile-detection.js';
import type { Requirement } from './prefilter-requirement.js';
import { parseCorrelation, type SigmaCorrelation } from './correlation.js';
import { resolveCorrelations } from './resolve-correlations.js';
import { fieldAccess, scalarsOf } from './field-access.js';
import { BUILTIN_PIPELINES } from './builtin-pipelines.js';
import { pipelineFromYaml, resolveLogsource, type Logsource, type SigmaPipeline } from './pipeline.js';
import { DEFAULT_YAML_LIMITS, entry, parseYamlFile, scalarString, SourceLocator, stringList, type Span, type YamlLimits, type YNode } from './yaml-source.js';

export interface SigmaMeta {
  id?: string;
  level?: string;
  status?: string;
  tags: string[];
  references: string[];
}

export interface SigmaRulePlan {
  /** The title (unique names are the caller's decision; `sigma.id` identifies the rule). */
  name: string;
  /** The `name` attribute correlations may refer to the rule by. */
  ruleName?: string;
  sigma: SigmaMeta;
  logsource: Logsource;
  /**
   * Routing from the logsource through the pipeline: every selector must hold (AND), any value of
   * one (OR). A selector without values routes nothing (a logsource the pipeline skips, or
   * contradictory conditions).
   */
  selectors: { field: string; values: string[] }[];
  /** Selectors and detection (and no filter): usable on its own. */
  match(event: EventRecord): boolean;
  /** The detection and filters only, for an engine that has routed the event by `selectors` already. */
  matchDetection(event: EventRecord): boolean;
  /** The fields the rule reads, as present in the event (for the alert). */
  matchedFields(event: EventRecord): EventRecord;
  /** Equalities every match satisfies (conjuncts an index can use). */
  equalities: Equality[];
  /** Literals one of which every match holds, for a prefilter (filters only remove matches); undefined: none. */
  requires: Requirement;
  /** Titles of the filters applied. */
  filters: string[];
  /** Event paths of a Sigma field name for this rule (its pipeline and logsource): for correlation group-by and aliases. */
  fieldPaths(name: string): readonly string[];
  file: string;
  line: number;
}

export interface SigmaFilter {
  title: string;
  id?: string;
  /** Rules (ids, names or titles) the filter applies to. */
  rules: string[];
  logsource: Logsource;
  match: Matcher;
  file: string;
  line: number;
}

export interface SigmaCollection {
  rules: SigmaRulePlan[];
  correlations: SigmaCorrelation[];
  filters: SigmaFilter[];
  diagnostics: Diagnostic[];
}

export interface SigmaOptions {
  /** A built-in pipeline name (`evtx-json`, `ecs`, `flat`) or a pipeline. Default `flat`. */
  pipeline?: string | SigmaPipeline;
  /** Values of `expand` placeholders (`%Servers%` → `Servers: ['srv*']`). */
  placeholders?: Readonly<Record<string, readonly string[]>>;
  limits?: Partial<YamlLimits>;
  /**
   * The event field correlation rules read event time from (epoch ms or ISO-8601). Default by
   * pipeline: `Event.System.TimeCreated.#attributes.SystemTime` (evtx-json), `@timestamp` (ecs),
   * else `timestamp`.
   */
  timeField?: string;
}

export interface SigmaSource {
  file: string;
  text: string;
}

const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

interface PendingRule {
  title: string;
  ruleName?: string;
  meta: SigmaMeta;
  logsource: Logsource;
  detection: CompiledDetection;
  selectors: { field: string; values: string[] }[];
  fieldPaths(name: string): readonly string[];
  file: string;
  line: number;
}

/** Reads a user pipeline file (YAML, see pipeline.ts). */
export function parsePipeline(text: string, file: string): { pipeline?: SigmaPipeline; diagnostics: Diagnostic[] } {
  const locator = new SourceLocator(file, text);
  const parsed = parseYamlFile(locator);
  const diagnostics = [...parsed.diagnostics];
  if (parsed.documents.length !== 1) {
    if (diagnostics.length === 0) diagnostics.push(locator.diagnostic('error', 'sigma-pipeline', 'a pipeline file holds exactly one YAML document', [0, 0]));
    return { diagnostics };
  }
  const pipeline = pipelineFromYaml(parsed.documents[0].root, locator, diagnostics);
  return pipeline ? { pipeline, diagnostics } : { diagnostics };
}

export function loadSigma(sources: readonly SigmaSource[], options: SigmaOptions = {}): SigmaCollection {
  const diagnostics: Diagnostic[] = [];
  let pipeline: SigmaPipeline;
  if (typeof options.pipeline === 'string') {
    const builtin = Object.prototype.hasOwnProperty.call(BUILTIN_PIPELINES, options.pipeline) ? BUILTIN_PIPELINES[options.pipeline] : undefined;
    if (!builtin) throw new Error(`unknown Sigma pipeline '${options.pipeline}' (built in: ${Object.keys(BUILTIN_PIPELINES).join(', ')})`);
    pipeline = builtin;
  } else pipeline = options.pipeline ?? BUILTIN_PIPELINES.flat;
  const limits: YamlLimits = { ...DEFAULT_YAML_LIMITS, ...options.limits };
  const placeholders = options.placeholders ?? {};
  const pending: PendingRule[] = [];
  const correlations: SigmaCorrelation[] = [];
  const filters: SigmaFilter[] = [];

  for (const source of sources) {
    const locator = new SourceLocator(source.file, source.text);
    const parsed = parseYamlFile(locator, limits);
    const fileValues = { count: 0 };
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      const root = doc.root;
      if (!root) continue;
      if (root.kind !== 'map') {
        diagnostics.push(locator.diagnostic('error', 'sigma-document', 'a Sigma document is a map (title, logsource, detection, …)', root.span));
        continue;
      }
      const meta = readMeta(root, locator, diagnostics);
      if (!meta) continue;
      const line = locator.position(root.span[0]).line;
      if (entry(root, 'action')) {
        diagnostics.push(locator.diagnostic('error', 'sigma-unsupported', "rule collections ('action: global/reset/repeat') are Sigma 1.0 syntax and are not supported", entry(root, 'action')!.keySpan, meta.title));
        continue;
      }
      if (entry(root, 'correlation')) {
        const c = parseCorrelation(root, locator, diagnostics, { title: meta.title, ...withoutUndefined({ id: meta.sigma.id, name: meta.ruleName, level: meta.sigma.level, status: meta.sigma.status }), tags: meta.sigma.tags, references: meta.sigma.references });
        if (c) correlations.push(c);
        continue;
      }
      const logsource = readLogsource(root, locator, diagnostics, meta.title);
      if (!logsource) continue;
      const resolved = resolveLogsource(pipeline, logsource);
      const filterEntry = entry(root, 'filter');
      if (filterEntry) {
        const f = readFilter(filterEntry.value, filterEntry.keySpan, locator, diagnostics, meta.title, { pipeline, logsource: resolved, placeholders, fileValues });
        if (f) filters.push({ title: meta.title, ...withoutUndefined({ id: meta.sigma.id }), rules: f.rules, logsource, match: f.match, file: source.file, line });
        continue;
      }
      const detectionEntry = entry(root, 'detection');
      if (!detectionEntry) {
        diagnostics.push(locator.diagnostic('error', 'sigma-detection', 'the rule has no detection', root.span, meta.title));
        continue;
      }
      let selectors = resolved.selectors;
      if (!resolved.known && pipeline.logsources.length > 0) {
        const ls = entry(root, 'logsource')!;
        const text = `pipeline '${pipeline.name}' does not know logsource ${describeLogsource(logsource)}`;
        if (pipeline.unknownLogsource === 'error') {
          diagnostics.push(locator.diagnostic('error', 'sigma-logsource', text, ls.keySpan, meta.title));
          continue;
        }
        if (pipeline.unknownLogsource === 'skip') {
          // A selector without values routes nothing: the rule is checked, and sees no event.
          selectors = [{ field: pipeline.logsources[0] ? Object.keys(pipeline.logsources[0].conditions)[0] ?? 'logsource' : 'logsource', values: [] }];
          diagnostics.push(locator.diagnostic('warning', 'sigma-logsource', `${text}: the rule is compiled but no event is routed to it`, ls.keySpan, meta.title));
        } else {
          diagnostics.push(locator.diagnostic('warning', 'sigma-logsource', `${text}: the rule is compiled without routing and sees every event`, ls.keySpan, meta.title));
        }
      }
      if (resolved.impossible) diagnostics.push(locator.diagnostic('warning', 'sigma-logsource', `pipeline '${pipeline.name}' routes logsource ${describeLogsource(logsource)} to contradictory conditions: the rule never matches`, entry(root, 'logsource')!.keySpan, meta.title));
      const detection = compileDetection(detectionEntry.value, { pipeline, logsource: resolved, placeholders, fileValues }, locator, diagnostics, meta.title);
      if (!detection) continue;
      pending.push({ title: meta.title, ...withoutUndefined({ ruleName: meta.ruleName }), meta: meta.sigma, logsource, detection, selectors, fieldPaths: (name) => resolved.field(name), file: source.file, line });
    }
  }

  // Filters apply to the rules they name (by id, name or title) whose logsource they cover.
  const filtersOf = new Map<PendingRule, SigmaFilter[]>();
  for (const f of filters) {
    for (const ref of f.rules) {
      const targets = pending.filter((r) => r.meta.id === ref || r.ruleName === ref || r.title === ref);
      if (targets.length === 0) {
        diagnostics.push({ severity: 'warning', code: 'sigma-filter', message: `filter '${f.title}' names rule '${ref}', which is not loaded`, file: f.file, line: f.line, column: 1, endLine: f.line, endColumn: 1, excerpt: '', rule: f.title });
        continue;
      }
      for (const r of targets) {
        if (!logsourceCovers(f.logsource, r.logsource)) {
          diagnostics.push({ severity: 'warning', code: 'sigma-filter', message: `filter '${f.title}' (logsource ${describeLogsource(f.logsource)}) does not cover rule '${r.title}' (logsource ${describeLogsource(r.logsource)}): not applied`, file: f.file, line: f.line, column: 1, endLine: f.line, endColumn: 1, excerpt: '', rule: f.title });
          continue;
        }
        const list = filtersOf.get(r) ?? [];
        list.push(f);
        filtersOf.set(r, list);
      }
    }
  }

  const rules = pending.map((r) => finishRule(r, filtersOf.get(r) ?? []));
  // Ids identify rules to filters and correlations: a repeated one is worth a warning.
  const firstWithId = new Map<string, SigmaRulePlan>();
  for (const r of rules) {
    const id = r.sigma.id;
    if (id === undefined) continue;
    const first = firstWithId.get(id);
    if (!first) firstWithId.set(id, r);
    else diagnostics.push({ severity: 'warning', code: 'sigma-duplicate-id', message: `rule '${r.name}' has the id ${id} of rule '${first.name}' (${first.file}:${first.line})`, file: r.file, line: r.line, column: 1, endLine: r.line, endColumn: 1, excerpt: '', rule: r.name });
  }

  return { rules, correlations: resolveCorrelations(correlations, rules, sources, diagnostics), filters, diagnostics };
}

function finishRule(r: PendingRule, filters: SigmaFilter[]): SigmaRulePlan {
  const routes = r.selectors.map((s) => {
    const access = fieldAccess([s.field]);
    const values = new Set(s.values);
    // Numbers compare as numbers (no text made per event): n matches when String(n) is a value.
    const numbers = new Set(s.values.filter((v) => String(Number(v)) === v).map(Number));
    const one = (x: unknown): boolean => {
      if (typeof x === 'string') return values.has(x);
      if (typeof x === 'number') return numbers.has(x);
      const t = scalarText(x);
      return t !== undefined && values.has(t);
    };
    return (e: EventRecord) => {
      const v = access.read(e);
      if (typeof v !== 'object') return one(v);
      for (const x of scalarsOf(v)) if (one(x)) return true;
      return false;
    };
  });
  const detect = r.detection.match;
  const filterMatchers = filters.map((f) => f.match);
  const matchDetection: Matcher =
    filterMatchers.length === 0
      ? detect
      : (e) => {
          if (!detect(e)) return false;
          for (const f of filterMatchers) if (f(e)) return false;
          return true;
        };
  const match: Matcher = (e) => {
    for (const route of routes) if (!route(e)) return false;
    return matchDetection(e);
  };
  const paths = [...new Set([...r.selectors.map((s) => s.field), ...r.detection.paths])];
  const plan: SigmaRulePlan = {
    name: r.title,
    sigma: r.meta,
    logsource: r.logsource,
    selectors: r.selectors,
    match,
    matchDetection,
    matchedFields: (e) => presentFields(e, paths),
    equalities: r.detection.equalities,
    requires: r.detection.requires,
    filters: filters.map((f) => f.title),
    fieldPaths: r.fieldPaths,
    file: r.file,
    line: r.line,
  };
  if (r.ruleName !== undefined) plan.ruleName = r.ruleName;
  return plan;
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

function describeLogsource(ls: Logsource): string {
  const parts = (['product', 'category', 'service'] as const).filter((k) => ls[k] !== undefined).map((k) => `${k}: ${ls[k]}`);
  return parts.length ? `{${parts.join(', ')}}` : '{}';
}

/** Whether a filter written for logsource `f` applies to a rule of logsource `r`: every key `f` sets is the same in `r`. */
function logsourceCovers(f: Logsource, r: Logsource): boolean {
  return (['product', 'category', 'service'] as const).every((k) => f[k] === undefined || f[k]!.toLowerCase() === r[k]?.toLowerCase());
}

function readMeta(root: YNode & { kind: 'map' }, locator: SourceLocator, diagnostics: Diagnostic[]): { title: string; ruleName?: string; sigma: SigmaMeta } | undefined {
  const titleEntry = entry(root, 'title');
  const title = scalarString(titleEntry?.value);
  if (!titleEntry || title === undefined || title.trim() === '') {
    diagnostics.push(locator.diagnostic('error', 'sigma-title', 'a Sigma document needs a title', titleEntry?.value.span ?? root.span));
    return undefined;
  }
  if (title.length > 256) diagnostics.push(locator.diagnostic('warning', 'sigma-title', `the title is ${title.length} characters long; the specification allows 256`, titleEntry.value.span, title.slice(0, 256)));
  const sigma: SigmaMeta = { tags: [], references: [] };
  const text = (key: string): string | undefined => {
    const e = entry(root, key);
    if (!e) return undefined;
    const v = scalarString(e.value);
    if (v === undefined) diagnostics.push(locator.diagnostic('error', 'sigma-document', `${key} must be text`, e.value.span, title));
    return v;
  };
  const id = text('id');
  if (id !== undefined) sigma.id = id;
  const status = text('status');
  if (status !== undefined) {
    sigma.status = status;
    if (!STATUSES.includes(status)) diagnostics.push(locator.diagnostic('warning', 'sigma-status', `unknown status '${status}' (known: ${STATUSES.join(', ')})`, entry(root, 'status')!.value.span, title));
  }
  const level = text('level');
  if (level !== undefined) {
    sigma.level = level;
    if (!LEVELS.includes(level)) diagnostics.push(locator.diagnostic('warning', 'sigma-level', `unknown level '${level}' (known: ${LEVELS.join(', ')})`, entry(root, 'level')!.value.span, title));
  }
  for (const key of ['tags', 'references'] as const) {
    const e = entry(root, key);
    if (!e) continue;
    const list = stringList(e.value);
    if (!list) diagnostics.push(locator.diagnostic('error', 'sigma-document', `${key} must be a list of text`, e.value.span, title));
    else sigma[key] = list;
  }
  const ruleName = text('name');
  const out: { title: string; ruleName?: string; sigma: SigmaMeta } = { title, sigma };
  if (ruleName !== undefined) out.ruleName = ruleName;
  return out;
}

function readLogsource(root: YNode & { kind: 'map' }, locator: SourceLocator, diagnostics: Diagnostic[], title: string): Logsource | undefined {
  const e = entry(root, 'logsource');
  if (!e) {
    diagnostics.push(locator.diagnostic('error', 'sigma-logsource', 'the document has no logsource', root.span, title));
    return undefined;
  }
  if (e.value.kind !== 'map') {
    diagnostics.push(locator.diagnostic('error', 'sigma-logsource', 'logsource must be a map (product, category, service)', e.value.span, title));
    return undefined;
  }
  const ls: Logsource = {};
  for (const k of ['product', 'category', 'service'] as const) {
    const v = entry(e.value, k);
    if (!v) continue;
    const s = scalarString(v.value);
    if (s === undefined) {
      diagnostics.push(locator.diagnostic('error', 'sigma-logsource', `logsource ${k} must be text`, v.value.span, title));
      return undefined;
    }
    ls[k] = s;
  }
  return ls;
}

function readFilter(node: YNode, keySpan: Span, locator: SourceLocator, diagnostics: Diagnostic[], title: string, options: Parameters<typeof compileDetection>[1]): { rules: string[]; match: Matcher } | undefined {
  if (node.kind !== 'map') {
    diagnostics.push(locator.diagnostic('error', 'sigma-filter', 'filter must be a map with rules, selections and a condition', node.span, title));
    return undefined;
  }
  const rulesEntry = entry(node, 'rules');
  const rules = stringList(rulesEntry?.value);
  if (!rulesEntry || !rules || rules.length === 0) {
    diagnostics.push(locator.diagnostic('error', 'sigma-filter', 'filter needs rules: a list of the ids (or names) of the rules it applies to', rulesEntry?.value.span ?? keySpan, title));
    return undefined;
  }
  const detection: YNode = { kind: 'map', span: node.span, entries: node.entries.filter((e) => e.key !== 'rules') };
  const compiled = compileDetection(detection, options, locator, diagnostics, title);
  return compiled ? { rules, match: compiled.match } : undefined;
}
