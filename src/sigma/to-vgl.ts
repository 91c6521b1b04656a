/**
 * Sigma rules written out as VGL (`vigil sigma convert`): the readable equivalent of what the loader
 * compiles, for a user who wants to see, keep or edit a rule in the engine's own language.
 *
 * Each rule becomes `RULE` (its title), `SOURCES` (the pipeline's routing for its logsource), a
 * `FILTER` that is one pure JavaScript expression over the event (so the engine runs it natively)
 * built from the `utils` of the rule language, and a `SINK` that returns what the Sigma rule's alert
 * holds (the fields the detection reads, and `sigma: { id, level, … }`).
 *
 * The output must raise the same alerts as the Sigma rule, or not be written: a construct the VGL
 * cannot say is a `sigma-convert` diagnostic naming its file:line:col. Not converted: keywords
 * (they search every value of the event), time modifiers (`hour`, `day`, …: no dates in a native
 * expression), rules a filter applies to, correlation and filter documents, rules that only feed a
 * correlation (they raise no alert of their own), and rules the pipeline routes nothing to (VGL
 * needs SOURCES).
 *
 * Where the event's shape, not the rule, makes a difference (the FILTER reads the event as
 * evtx_dump, Winlogbeat and JSON logs write it):
 * - a field is read through nested objects (`Event.EventData.Image` is `e.Event?.EventData?.Image`),
 *   not a flat key holding dots;
 * - a field holding a list or an object is compared as its text (Sigma: any element of a list; an
 *   object matches no value);
 * - a Sigma field mapped to several event fields reads the first present (`a ?? b`; evtx's
 *   `EventID` / `EventID.#text` pair exactly).
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { BUILTIN_PIPELINES } from './builtin-pipelines.js';
import { parseCondition, identifierMatches, type ConditionNode } from './condition.js';
import { base64, base64Offsets, bytesAsText, parseCidr, utf16Bytes, utf8Bytes, windashVariants, type ValueBytes } from './encodings.js';
import { expandPlaceholders, MAX_VALUES_PER_FIELD, PlaceholderError } from './compile-field.js';
import { Fold, foldText } from './field-access.js';
import { compileGlob, hasWildcard, literalOf, parseSigmaString, type SigmaStringItem } from './glob.js';
import { loadSigma, type SigmaOptions, type SigmaRulePlan, type SigmaSource } from './load.js';
import { resolveLogsource, type ResolvedLogsource, type SigmaPipeline } from './pipeline.js';
import { DEFAULT_YAML_LIMITS, entry, parseYamlFile, SourceLocator, type Span, type YNode } from './yaml-source.js';

export interface ConvertedRule {
  /** The VGL rule's name: the title (with the id when two rules of the file share it, as the engine names them). */
  name: string;
  file: string;
  /** Line of the Sigma document. */
  line: number;
  vgl: string;
}

export interface VglConversion {
  rules: ConvertedRule[];
  /** The loader's diagnostics and `sigma-convert` errors for what could not be written as VGL. */
  diagnostics: Diagnostic[];
  /** Sigma documents (rules, filters, correlations) in the file. */
  documents: number;
}

class ConvertError extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

const POSITION = ['contains', 'startswith', 'endswith'];
const ENCODING = ['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide'];
const COMPARE: Record<string, string> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };
const TIME = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const REGEX_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's', ignorecase: 'i', multiline: 'm', dotall: 's' };
const MAX_VALUES = MAX_VALUES_PER_FIELD;

/** Converts every rule of one Sigma file; rules that cannot be written are diagnostics instead. */
export function sigmaToVgl(source: SigmaSource, options: SigmaOptions = {}): VglConversion {
  const loaded = loadSigma([source], options);
  const diagnostics = [...loaded.diagnostics];
  const pipeline = pipelineOf(options);
  const locator = new SourceLocator(source.file, source.text);
  const parsed = parseYamlFile(locator, { ...DEFAULT_YAML_LIMITS, ...options.limits });
  const byLine = new Map<number, SigmaRulePlan>();
  for (const r of loaded.rules) byLine.set(r.line, r);
  // Names as the engine gives them (src/engine/compile-source.ts): rules and correlations of one title told apart by id.
  const titles = new Map<string, number>();
  for (const r of loaded.rules) titles.set(r.name, (titles.get(r.name) ?? 0) + 1);
  for (const c of loaded.correlations) titles.set(c.title, (titles.get(c.title) ?? 0) + 1);
  // A rule a correlation references raises no alert of its own unless one of those says `generate: true`.
  const silent = new Map<SigmaRulePlan, string>();
  const loud = new Set<SigmaRulePlan>();
  for (const c of loaded.correlations) {
    for (const t of c.targets ?? []) {
      if (t.kind !== 'rule') continue;
      const rule = loaded.rules[t.index]!;
      if (c.generate) loud.add(rule);
      else silent.set(rule, c.title);
    }
  }
  const rules: ConvertedRule[] = [];
  let documents = 0;
  for (const doc of parsed.documents) {
    const root = doc.root;
    if (!root || root.kind !== 'map') continue;
    documents++;
    const title = String((entry(root, 'title')?.value as { value?: unknown } | undefined)?.value ?? '');
    const refuse = (message: string, span: Span) => diagnostics.push(locator.diagnostic('error', 'sigma-convert', message, span, title));
    if (entry(root, 'correlation')) {
      refuse('correlation rules are not converted to VGL (they run as Sigma)', entry(root, 'correlation')!.keySpan);
      continue;
    }
    if (entry(root, 'filter')) {
      refuse('filter documents are not converted to VGL (they apply to Sigma rules as they load)', entry(root, 'filter')!.keySpan);
      continue;
    }
    const plan = byLine.get(locator.position(root.span[0]).line);
    if (!plan) continue; // the loader refused it and said why
    if (silent.has(plan) && !loud.has(plan)) {
      refuse(`this rule feeds correlation '${silent.get(plan)}' and raises no alert of its own; correlations are not converted, so neither is it`, entry(root, 'title')!.keySpan);
      continue;
    }
    const name = titles.get(plan.name)! > 1 ? `${plan.name} [${plan.sigma.id ?? plan.line}]` : plan.name;
    try {
      rules.push({ name, file: source.file, line: plan.line, vgl: convertRule(root, plan, name, pipeline, options) });
    } catch (err) {
      if (err instanceof ConvertError) refuse(err.message, err.span);
      else throw err;
    }
  }
  return { rules, diagnostics, documents };
}

function pipelineOf(options: SigmaOptions): SigmaPipeline {
  if (typeof options.pipeline === 'string') return BUILTIN_PIPELINES[options.pipeline]!;
  return options.pipeline ?? BUILTIN_PIPELINES.flat!;
}

function convertRule(root: YNode & { kind: 'map' }, plan: SigmaRulePlan, name: string, pipeline: SigmaPipeline, options: SigmaOptions): string {
  const logsourceKey = entry(root, 'logsource')!.keySpan;
  if (plan.filters.length > 0) throw new ConvertError(`filter${plan.filters.length > 1 ? 's' : ''} ${plan.filters.map((f) => `'${f}'`).join(', ')} appl${plan.filters.length > 1 ? 'y' : 'ies'} to this rule; rules with filters are not converted`, entry(root, 'title')!.keySpan);
  if (plan.selectors.length === 0) throw new ConvertError(`pipeline '${pipeline.name}' routes nothing for this logsource and VGL needs SOURCES: convert under a pipeline that routes it (--sigma-pipeline evtx-json, ecs or a file)`, logsourceKey);
  if (plan.selectors.some((s) => s.values.length === 0)) throw new ConvertError(`pipeline '${pipeline.name}' routes no event to this logsource: there is nothing to convert`, logsourceKey);
  const resolved = resolveLogsource(pipeline, plan.logsource);
  const writer = new DetectionWriter(resolved, options.placeholders ?? {});
  const filter = writer.detection(entry(root, 'detection')!.value);
  const paths = [...new Set([...plan.selectors.map((s) => s.field), ...writer.paths])];
  const meta = plan.sigma;
  const sigma: string[] = [];
  if (meta.id !== undefined) sigma.push(`id: ${js(meta.id)}`);
  if (meta.level !== undefined) sigma.push(`level: ${js(meta.level)}`);
  if (meta.status !== undefined) sigma.push(`status: ${js(meta.status)}`);
  sigma.push(`tags: [${meta.tags.map(js).join(', ')}]`, `references: [${meta.references.map(js).join(', ')}]`);
  const sinkFields = paths.map((p) => `    ${js(p)}: ${read(p)},`);
  return [
    `// ${oneLine(`Sigma rule ${js(plan.name)}${meta.id ? ` (${meta.id})` : ''}, ${plan.file}:${plan.line}, pipeline ${pipeline.name}`)}`,
    `RULE ${js(name)}`,
    `SOURCES ${plan.selectors.map((s) => `${vglField(s.field)} = [${s.values.map(js).join(', ')}]`).join(', ')}`,
    `FILTER function (e) {`,
    `  return ${filter};`,
    `}`,
    `SINK function (e) {`,
    `  return {`,
    ...sinkFields,
    `    sigma: { ${sigma.join(', ')} },`,
    `  };`,
    `}`,
    '',
  ].join('\n');
}

/** Text for a `//` comment: a line break in a file or pipeline name would end it. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, ' ');
}

/** A selection's name as a comment: YAML keys may hold anything, `*\/` included. */
function comment(name: string): string {
  return `/* ${oneLine(name).replace(/\*\//g, '* /')} */`;
}

/** A JavaScript (and VGL) string literal. */
function js(text: string): string {
  return JSON.stringify(text);
}

/** A SOURCES field: a dotted identifier when it is one, else quoted. */
function vglField(path: string): string {
  return /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(path) ? path : js(path);
}

/** The event read of a path: `e.Event?.EventData?.Image`, brackets for names that are not identifiers. */
function read(path: string): string {
  const parts = path.split('.');
  return parts.map((p, i) => (/^[A-Za-z_$][\w$]*$/.test(p) ? `${i === 0 ? 'e.' : '?.'}${p}` : `${i === 0 ? 'e' : '?.'}[${js(p)}]`)).join('');
}

/** A Sigma field mapped to several paths: the first present (`EventID` / `EventID.#text`: the text of an evtx object). */
function readAll(paths: readonly string[]): string {
  if (paths.length === 1) return read(paths[0]!);
  if (paths.length === 2 && paths[1] === `${paths[0]}.#text`) return `(${read(paths[1])} ?? ${read(paths[0]!)})`;
  return `(${paths.map(read).join(' ?? ')})`;
}

function or(parts: string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' || ')})`;
}

function and(parts: string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' && ')})`;
}

/**
 * Alternatives one per line, OR-ed in groups of at most {@link OR_GROUP}: a flat chain of thousands
 * (a hash list) would nest deeper than the VGL compiler reads (200 levels).
 */
function orLines(tests: string[]): string {
  if (tests.length <= OR_GROUP) return `(\n      ${tests.join(' ||\n      ')}\n    )`;
  const groups: string[] = [];
  for (let i = 0; i < tests.length; i += OR_GROUP) groups.push(orLines(tests.slice(i, i + OR_GROUP)));
  return orLines(groups);
}
const OR_GROUP = 40;

/** A regular expression literal for `pattern` (RegExp's own `source` escapes what a literal needs). */
function regexLiteral(pattern: string, flags: string): string {
  return `/${new RegExp(pattern, flags).source}/${flags}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

class DetectionWriter {
  readonly paths = new Set<string>();

  constructor(
    private readonly logsource: ResolvedLogsource,
    private readonly placeholders: Readonly<Record<string, readonly string[]>>,
  ) {}

  detection(node: YNode): string {
    if (node.kind !== 'map') throw new ConvertError('detection must be a map', node.span);
    const selections = new Map<string, string>();
    let condition: YNode | undefined;
    // Every selection is written (the loader compiles them all, so the alert reads all their fields).
    for (const e of node.entries) {
      if (e.key === 'condition') condition = e.value;
      else selections.set(e.key, this.selection(e.value));
    }
    const texts = condition!.kind === 'seq' ? condition!.items : [condition!];
    const trees = texts.map((t) => parseCondition(String((t as { value: unknown }).value)));
    const written = trees.map((t) => this.condition(t, selections, 2));
    return written.length === 1 ? written[0]! : `(${written.join(' ||\n    ')})`;
  }

  private condition(tree: ConditionNode, selections: Map<string, string>, depth: number): string {
    const pad = '  '.repeat(depth);
    const names = [...selections.keys()];
    switch (tree.type) {
      case 'and':
      case 'or':
        return `(\n${pad}  ${tree.items.map((t) => this.condition(t, selections, depth + 1)).join(` ${tree.type === 'and' ? '&&' : '||'}\n${pad}  `)}\n${pad})`;
      case 'not':
        return `!(${this.condition(tree.item, selections, depth)})`;
      case 'ref':
        return `${comment(tree.name)} ${selections.get(tree.name)!}`;
      case 'of': {
        const matched = tree.pattern === 'them' ? names.filter((n) => !n.startsWith('_')) : names.filter((n) => identifierMatches(tree.pattern, n));
        const parts = matched.map((n) => `${comment(n)} ${selections.get(n)!}`);
        if (parts.length === 1) return parts[0]!;
        if (tree.count === 'all' || tree.count === 1) return `(\n${pad}  ${parts.join(` ${tree.count === 'all' ? '&&' : '||'}\n${pad}  `)}\n${pad})`;
        // "N of": at least N of the selections hold.
        return `([${parts.join(', ')}].filter((x) => x).length >= ${tree.count})`;
      }
    }
  }

  private selection(node: YNode): string {
    if (node.kind === 'map') return this.map(node);
    if (node.kind === 'seq') {
      const parts = node.items.map((item) => {
        if (item.kind !== 'map') throw new ConvertError('keywords search every value of the event: a VGL FILTER has no expression for that', item.span);
        return this.map(item);
      });
      return or(parts);
    }
    throw new ConvertError('keywords search every value of the event: a VGL FILTER has no expression for that', node.span);
  }

  private map(node: YNode & { kind: 'map' }): string {
    return and(node.entries.map((e) => this.fieldEntry(e.key, e.keySpan, e.value)));
  }

  private field(name: string): string {
    const paths = this.logsource.field(name);
    for (const p of paths) this.paths.add(p);
    return readAll(paths);
  }

  private fieldEntry(key: string, keySpan: Span, valueNode: YNode): string {
    const [fieldName, ...mods] = key.split('|');
    const modifiers = mods.map((m) => m.trim());
    const has = (m: string) => modifiers.includes(m);
    const refuse = (why: string): never => {
      throw new ConvertError(why, keySpan);
    };
    if (fieldName === '') refuse('keywords search every value of the event: a VGL FILTER has no expression for that');
    const time = modifiers.find((m) => TIME.includes(m));
    if (time) refuse(`the '${time}' modifier reads a date, which a native VGL expression cannot`);
    const values = (valueNode.kind === 'seq' ? valueNode.items : [valueNode]) as (YNode & { kind: 'scalar' })[];
    const v = this.field(fieldName!);

    if (has('exists')) return values[0]!.value === true ? `${v} !== undefined` : `${v} === undefined`;
    if (values.length === 1 && values[0]!.value === null) return `${v} == null`;
    const all = has('all');
    const combine = all ? and : or;
    let tests: string[];
    if (has('fieldref')) {
      const lower = !has('cased');
      const position = modifiers.find((m) => POSITION.includes(m));
      tests = values.map((x) => {
        const w = this.field(String(x.value));
        const a = lower ? `utils.lower(${v})` : `${v}`;
        const b = lower ? `utils.lower(${w})` : `${w}`;
        if (position === 'contains') return lower ? `utils.includesIgnoreCase(${v}, ${w})` : refuse("'fieldref|contains|cased' has no plain VGL expression");
        if (position === 'startswith') return `utils.startsWith(${a}, ${b})`;
        if (position === 'endswith') return `utils.endsWith(${a}, ${b})`;
        return `(${v} != null && ${w} != null && String(${a}) === String(${b}))`;
      });
    } else if (has('re')) {
      const flags = [...new Set(modifiers.filter((m) => m in REGEX_FLAGS).map((m) => REGEX_FLAGS[m]))].join('');
      tests = values.map((x) => {
        let pattern = String(x.value);
        let all = flags;
        const inline = /^\(\?([ims]+)\)/.exec(pattern);
        if (inline) {
          pattern = pattern.slice(inline[0].length);
          for (const f of inline[1]!) if (!all.includes(f)) all += f;
        }
        const sorted = [...all].sort().join('');
        const literal = regexLiteralOrRefuse(pattern, sorted, x.span);
        // utils.matches takes a pattern without flags; with flags, the literal's own test.
        return sorted === '' ? `utils.matches(${v}, ${js(pattern)})` : `(${v} != null && ${literal}.test(${v}))`;
      });
    } else if (has('cidr')) {
      tests = values.map((x) => {
        const text = String(x.value);
        if (!parseCidr(text)) refuse(`'${text}' is not a network`);
        return `utils.cidrContains(${js(text)}, ${v})`;
      });
    } else if (modifiers.some((m) => m in COMPARE)) {
      const op = COMPARE[modifiers.find((m) => m in COMPARE)!];
      tests = values.map((x) => `((typeof ${v} === 'number' || (typeof ${v} === 'string' && ${v}.trim() !== '' && ${v}.length < 64)) && Number(${v}) ${op} ${Number(x.value)})`);
    } else {
      tests = this.strings(values, modifiers, v, keySpan);
    }
    const positive = combine(tests);
    return has('neq') ? `!(${positive})` : positive;
  }

  /** String values: wildcards, position, encodings, windash, expand, cased; the tests grouped by kind. */
  private strings(values: (YNode & { kind: 'scalar' })[], modifiers: string[], v: string, keySpan: Span): string[] {
    const cased = modifiers.includes('cased');
    const encodings = modifiers.filter((m) => ENCODING.includes(m));
    const windashAt = modifiers.indexOf('windash');
    const firstEncoding = modifiers.findIndex((m) => ENCODING.includes(m));
    const windashExpands = windashAt >= 0 && firstEncoding >= 0 && windashAt < firstEncoding;
    const windashFolds = windashAt >= 0 && !windashExpands;
    const fold: Fold = cased ? (windashFolds ? Fold.Dash : Fold.None) : windashFolds ? Fold.LowerDash : Fold.Lower;
    // The event's text as the loader folds it before comparing.
    const text = fold === Fold.Lower ? `utils.lower(${v})` : fold === Fold.LowerDash ? `utils.lower(${v})?.replace(/[/\\u2013\\u2014\\u2015]/g, "-")` : fold === Fold.Dash ? `(${v} == null ? ${v} : String(${v}).replace(/[/\\u2013\\u2014\\u2015]/g, "-"))` : `(${v} == null ? ${v} : String(${v}))`;
    const position = modifiers.find((m) => POSITION.includes(m));
    const all = modifiers.includes('all');
    const exact: string[] = [];
    const prefixes: string[] = [];
    const suffixes: string[] = [];
    const contains: string[] = [];
    const tests: string[] = [];
    let count = 0;
    for (const value of values) {
      const raws = this.expand(value, modifiers.includes('expand'), keySpan);
      for (const raw of raws) {
        let itemsList: SigmaStringItem[][];
        if (encodings.length > 0) {
          const items = parseSigmaString(raw);
          if (hasWildcard(items)) throw new ConvertError('a value with an encoding modifier cannot hold wildcards', value.span);
          let vals: (string | ValueBytes)[] = windashExpands ? windashVariants(literalOf(items), 625) ?? [] : [literalOf(items)];
          for (const m of modifiers) if (ENCODING.includes(m)) vals = vals.flatMap((x) => encode(m, x));
          itemsList = vals.map((x) => [{ lit: typeof x === 'string' ? x : bytesAsText(x) }]);
        } else itemsList = [parseSigmaString(raw)];
        for (let items of itemsList) {
          if (++count > MAX_VALUES) throw new ConvertError(`more than ${MAX_VALUES} values`, keySpan);
          if (position === 'contains') items = [{ wild: '*' }, ...items, { wild: '*' }];
          else if (position === 'startswith') items = [...items, { wild: '*' }];
          else if (position === 'endswith') items = [{ wild: '*' }, ...items];
          const plain = !position && encodings.length === 0;
          const test = (one: string) => (all ? tests.push(one) : tests.push(one));
          if (plain && typeof value.value === 'number') {
            const n = value.value;
            if (!Number.isFinite(n)) throw new ConvertError(`the number ${String(n)} has no literal in a VGL expression`, value.span);
            const texts = [...new Set([String(n), foldText(value.raw ?? String(n), fold)])];
            test(`(${v} === ${n} || ${texts.length === 1 ? `${text} === ${js(texts[0]!)}` : `[${texts.map(js).join(', ')}].includes(${text})`})`);
            continue;
          }
          if (plain && typeof value.value === 'boolean') {
            test(`(${v} === ${value.value} || (typeof ${v} === 'string' && ${text} === ${js(String(value.value))}))`);
            continue;
          }
          const shape = compileGlob(items, (s) => foldText(s, fold)).shape;
          if (all) {
            tests.push(this.shapeTest(shape, items, fold, v, text));
            continue;
          }
          if (shape.shape === 'exact') exact.push(shape.text);
          else if (shape.shape === 'prefix') prefixes.push(shape.text);
          else if (shape.shape === 'suffix') suffixes.push(shape.text);
          else if (shape.shape === 'contains') contains.push(shape.text);
          else tests.push(this.shapeTest(shape, items, fold, v, text));
        }
      }
    }
    const grouped: string[] = [];
    if (exact.length === 1) grouped.push(`${text} === ${js(exact[0]!)}`);
    else if (exact.length > 1) grouped.push(`[${exact.map(js).join(', ')}].includes(${text})`);
    // One test per value, each on its own line: a callback over a list of values (`.some`) would
    // read the field once per value, which the cost analysis sends to the sandbox.
    const several = (list: string[], one: (lit: string) => string) => {
      if (list.length === 1) grouped.push(one(js(list[0]!)));
      else if (list.length > 1) grouped.push(orLines(list.map((l) => one(js(l)))));
    };
    several(prefixes, (l) => `utils.startsWith(${text}, ${l})`);
    several(suffixes, (l) => `utils.endsWith(${text}, ${l})`);
    if (fold === Fold.Lower) several(contains, (l) => `utils.includesIgnoreCase(${v}, ${l})`);
    else several(contains, (l) => `${text}?.includes(${l}) === true`);
    return [...grouped, ...tests];
  }

  private shapeTest(shape: ReturnType<typeof compileGlob>['shape'], items: SigmaStringItem[], fold: Fold, v: string, text: string): string {
    switch (shape.shape) {
      case 'exact':
        return `${text} === ${js(shape.text)}`;
      case 'prefix':
        return `utils.startsWith(${text}, ${js(shape.text)})`;
      case 'suffix':
        return `utils.endsWith(${text}, ${js(shape.text)})`;
      case 'contains':
        return fold === Fold.Lower ? `utils.includesIgnoreCase(${v}, ${js(shape.text)})` : `(${text}?.includes(${js(shape.text)}) === true)`;
      case 'any':
        return `${v} != null`;
      default: {
        // Wildcards inside the value: a regular expression over the folded text, anchored.
        const source = items.map((it) => ('wild' in it ? (it.wild === '*' ? '[\\s\\S]*' : '[\\s\\S]') : escapeRegex(foldText(it.lit, fold)))).join('');
        return `utils.matches(${text}, ${js(`^${source}$`)})`;
      }
    }
  }

  private expand(v: YNode & { kind: 'scalar' }, expand: boolean, keySpan: Span): string[] {
    const raw = v.raw ?? String(v.value);
    if (!expand) return [raw];
    try {
      return expandPlaceholders(raw, this.placeholders);
    } catch (error) {
      if (error instanceof PlaceholderError) throw new ConvertError(error.message, keySpan);
      throw error;
    }
  }
}

function regexLiteralOrRefuse(pattern: string, flags: string, span: Span): string {
  try {
    return regexLiteral(pattern, flags);
  } catch (err) {
    throw new ConvertError(`the regular expression is not one JavaScript reads (${(err as Error).message})`, span);
  }
}

function encode(modifier: string, value: string | ValueBytes): (string | ValueBytes)[] {
  const text = (x: string | ValueBytes) => (typeof x === 'string' ? x : bytesAsText(x));
  switch (modifier) {
    case 'base64':
      return [base64(typeof value === 'string' ? utf8Bytes(value) : value)];
    case 'base64offset':
      return base64Offsets(typeof value === 'string' ? utf8Bytes(value) : value);
    case 'utf16le':
    case 'wide':
      return [utf16Bytes(text(value), false)];
    case 'utf16be':
      return [utf16Bytes(text(value), true)];
    case 'utf16':
      return [utf16Bytes(text(value), false, true)];
    default:
      return [value];
  }
}
