/**
 * One field entry of a Sigma selection (`Field|mod1|mod2: values`) compiled to a predicate, and the
 * selections built of them (maps AND their fields, lists OR their items, keyword lists search the
 * event's text). Every modifier of the appendix is compiled here, which is why the file is longer
 * than most: the modifiers interact (order of encodings, windash before or after them, the
 * combinations refused) and are easier to check side by side. Semantics: compile-detection.ts.
 */
import { hostRegExp, RegexRefused } from '../lang/host-regex.js';
import { scalarText, type EventRecord } from '../lang/fields.js';
import { base64, base64Offsets, bytesAsText, inCidr, parseCidr, utf16Bytes, utf8Bytes, windashVariants, type ValueBytes } from './encodings.js';
import { eventTexts, fieldAccess, Fold, foldText, scalarsOf, type FieldAccess } from './field-access.js';
import { compileGlob, hasWildcard, literalOf, parseSigmaString, type CompiledGlob, type SigmaStringItem } from './glob.js';
import type { ResolvedLogsource, SigmaPipeline } from './pipeline.js';
import { allOf as allRequired, anyOf as anyRequired, patternLiteral, type Requirement } from './prefilter-requirement.js';
import type { Span, YNode } from './yaml-source.js';

export type Matcher = (event: EventRecord) => boolean;

export interface Equality {
  field: string;
  values: string[];
  caseInsensitive: boolean;
}

export interface DetectionOptions {
  pipeline: SigmaPipeline;
  logsource: ResolvedLogsource;
  /** Values of `expand` placeholders, by name without the percent signs. */
  placeholders: Readonly<Record<string, readonly string[]>>;
  /** Values the file's detections stand for so far (see MAX_VALUES_PER_FILE); shared by its documents. */
  fileValues?: { count: number };
}

/** Most values one field entry may stand for after `expand`, `windash` and `base64offset`. Default 16,384. */
export const MAX_VALUES_PER_FIELD = 16_384;
/**
 * Most values all field entries of one file may stand for after `expand`, `windash` and
 * `base64offset`: each costs about a kilobyte and a few microseconds to compile, and one entry's
 * 16,384 times the 100,000 nodes of a document would not fit in memory.
 */
export const MAX_VALUES_PER_FILE = 131_072;

/** Why `%name%` placeholders could not be expanded (the caller adds where). */
export class PlaceholderError extends Error {
  constructor(
    readonly code: 'sigma-placeholder' | 'sigma-limit',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The values of `raw` with its `%name%` placeholders expanded (`\%` is a plain percent sign); each
 * placeholder takes every value of its table. Names are looked up as own properties only (a rule
 * naming `%constructor%` gets "no values", not Object's). At most MAX_VALUES_PER_FIELD values.
 */
export function expandPlaceholders(raw: string, placeholders: Readonly<Record<string, readonly string[]>>): string[] {
  let out = [''];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '\\' && raw[i + 1] === '%') {
      out = out.map((p) => `${p}%`);
      i += 2;
      continue;
    }
    if (c === '%') {
      const end = raw.indexOf('%', i + 1);
      if (end > i + 1) {
        const name = raw.slice(i + 1, end);
        const values = Object.prototype.hasOwnProperty.call(placeholders, name) ? placeholders[name] : undefined;
        if (!values || values.length === 0) throw new PlaceholderError('sigma-placeholder', `placeholder %${name}% has no values: give them in the placeholder table`);
        if (out.length * values.length > MAX_VALUES_PER_FIELD) throw new PlaceholderError('sigma-limit', `the placeholders expand to more than ${MAX_VALUES_PER_FIELD} values`);
        out = out.flatMap((p) => values.map((x) => p + x));
        i = end + 1;
        continue;
      }
    }
    out = out.map((p) => p + c);
    i++;
  }
  return out;
}
/** Most `windash` permutations of one value before an encoding. */
export const MAX_WINDASH_VARIANTS = 625;
/** Longest `re` pattern accepted, in characters (the regular expression checks cost grows with it). Default 4,096. */
export const MAX_REGEX_LENGTH = 4096;

const POSITION = new Set(['contains', 'startswith', 'endswith']);
const ENCODING = new Set(['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide']);
const COMPARE = new Set(['lt', 'lte', 'gt', 'gte']);
const TIME = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const REGEX_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's', ignorecase: 'i', multiline: 'm', dotall: 's' };
const OTHER = new Set(['all', 're', 'cidr', 'windash', 'exists', 'fieldref', 'cased', 'expand', 'neq']);
const KNOWN_MODIFIERS = [...POSITION, ...ENCODING, ...COMPARE, ...TIME, ...OTHER, ...Object.keys(REGEX_FLAGS)];

export class DetectionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}


export interface CompiledSelection {
  match: Matcher;
  /** Equalities every match of this selection satisfies. */
  equalities: Equality[];
  /** Literals one of which every match holds (prefilter-requirement.ts); undefined: none. */
  requires: Requirement;
}

interface FieldEntry {
  match: Matcher;
  equality?: Equality;
  requires?: Requirement;
}

/** A predicate on one scalar of the event. */
type ScalarTest = (value: unknown) => boolean;


export class SelectionCompiler {
  constructor(
    private readonly options: DetectionOptions,
    private readonly paths: Set<string>,
  ) {}

  selection(node: YNode, name: string): CompiledSelection {
    if (node.kind === 'map') return this.map(node);
    if (node.kind === 'seq') {
      if (node.items.length === 0) throw new DetectionError('sigma-detection', `search identifier '${name}' is an empty list`, node.span);
      const keywords = node.items.filter((i) => i.kind === 'scalar');
      const parts: Matcher[] = [];
      const required: Requirement[] = [];
      if (keywords.length > 0) parts.push(this.keywords(keywords, [], node.span));
      for (const item of node.items) {
        if (item.kind === 'map') {
          const compiled = this.map(item);
          parts.push(compiled.match);
          required.push(compiled.requires);
        } else if (item.kind === 'seq') throw new DetectionError('sigma-detection', 'a list inside a selection list is not Sigma: use a map or plain values', item.span);
      }
      const match: Matcher = parts.length === 1 ? parts[0] : (e) => parts.some((p) => p(e));
      // Keywords require nothing (they search every text); a list of maps, one of the maps.
      const requires = keywords.length > 0 ? undefined : anyRequired(required);
      return { match, equalities: [], requires };
    }
    if (node.value === null) throw new DetectionError('sigma-detection', `search identifier '${name}' is empty`, node.span);
    return { match: this.keywords([node], [], node.span), equalities: [], requires: undefined };
  }

  private map(node: YNode & { kind: 'map' }): CompiledSelection {
    if (node.entries.length === 0) throw new DetectionError('sigma-detection', 'an empty map matches nothing: give at least one field', node.span);
    const entries = node.entries.map((e) => this.fieldEntry(e.key, e.keySpan, e.value));
    // The fields of a map are a conjunction of pure tests: the cheapest are tried first.
    const costs = node.entries.map((e) => entryCost(e.key, e.value));
    const order = entries.map((_, i) => i).sort((a, b) => costs[a] - costs[b] || a - b);
    const matchers = order.map((i) => entries[i].match);
    const match: Matcher =
      matchers.length === 1
        ? matchers[0]
        : (e) => {
            for (const m of matchers) if (!m(e)) return false;
            return true;
          };
    return { match, equalities: entries.flatMap((f) => (f.equality ? [f.equality] : [])), requires: allRequired(entries.map((f) => f.requires)) };
  }

  private fieldEntry(key: string, keySpan: Span, valueNode: YNode): FieldEntry {
    const [fieldName, ...mods] = key.split('|');
    const modifiers = mods.map((m) => m.trim());
    for (const m of modifiers) {
      if (!KNOWN_MODIFIERS.includes(m)) throw new DetectionError('sigma-modifier', `unknown modifier '${m}' (known: ${KNOWN_MODIFIERS.join(', ')})`, keySpan);
    }
    const has = (m: string) => modifiers.includes(m);
    const positions = modifiers.filter((m) => POSITION.has(m));
    const compares = modifiers.filter((m) => COMPARE.has(m));
    const times = modifiers.filter((m) => TIME.has(m));
    const flags = modifiers.filter((m) => m in REGEX_FLAGS);
    const conflict = (why: string) => new DetectionError('sigma-modifier', why, keySpan);
    if (new Set(modifiers).size !== modifiers.length) throw conflict('a modifier is repeated');
    if (positions.length > 1) throw conflict(`'${positions.join("' and '")}' cannot be combined`);
    if (compares.length > 1) throw conflict(`'${compares.join("' and '")}' cannot be combined: use two selections for a range`);
    if (times.length > 1) throw conflict(`'${times.join("' and '")}' cannot be combined`);
    if (flags.length > 0 && !has('re')) throw conflict(`'${flags[0]}' is a sub-modifier of 're'`);
    if (has('re') && modifiers.some((m) => POSITION.has(m) || ENCODING.has(m) || COMPARE.has(m) || m === 'cidr' || m === 'windash' || m === 'expand' || m === 'fieldref')) throw conflict("'re' takes only its sub-modifiers i, m, s (and all, cased)");
    if (has('cidr') && modifiers.some((m) => m !== 'cidr' && m !== 'all' && m !== 'neq')) throw conflict("'cidr' stands alone");
    if (has('exists') && modifiers.length > 1) throw conflict("'exists' stands alone");
    if (compares.length && modifiers.some((m) => POSITION.has(m) || ENCODING.has(m) || m === 'windash' || m === 'cidr')) throw conflict(`'${compares[0]}' compares numbers and takes no string modifier`);
    if (has('fieldref') && modifiers.some((m) => ENCODING.has(m) || m === 'windash' || m === 'expand' || COMPARE.has(m))) throw conflict("'fieldref' combines only with contains, startswith, endswith, cased, all and neq");
    if (times.length && modifiers.some((m) => !TIME.has(m) && !COMPARE.has(m) && m !== 'all' && m !== 'neq')) throw conflict(`'${times[0]}' combines only with lt, lte, gt, gte and neq`);

    const values: YNode[] = valueNode.kind === 'seq' ? valueNode.items : [valueNode];
    if (values.length === 0) throw new DetectionError('sigma-detection', `field '${key}' has an empty list of values`, valueNode.span);
    for (const v of values) if (v.kind !== 'scalar') throw new DetectionError('sigma-detection', `a value of '${key}' must be plain text, a number, a boolean or null`, v.span);
    const scalars = values as (YNode & { kind: 'scalar' })[];
    if (has('all') && values.length < 2) throw conflict("'all' needs a list of at least two values");
    if (scalars.some((v) => v.value === null) && values.length > 1) throw new DetectionError('sigma-detection', 'null cannot be part of a list of values: write it as its own selection', valueNode.span);

    if (fieldName === '') {
      if (modifiers.some((m) => !POSITION.has(m) && m !== 'all' && m !== 'cased' && m !== 'expand')) throw conflict('keywords (a value list without a field) take only contains, startswith, endswith, all, cased and expand');
      return { match: this.keywords(scalars, modifiers, keySpan) };
    }
    const access = this.field(fieldName);

    if (has('exists')) {
      const v = scalars[0];
      if (values.length !== 1 || typeof v.value !== 'boolean') throw new DetectionError('sigma-detection', "'exists' takes true or false", v.span);
      const want = v.value;
      return { match: (e) => (access.read(e) !== undefined) === want };
    }
    if (scalars.length === 1 && scalars[0].value === null) {
      if (modifiers.length > 0) throw conflict('null takes no modifier');
      return { match: (e) => access.read(e) == null };
    }
    if (has('fieldref')) return { match: this.fieldref(access, scalars, modifiers) };

    let test: ScalarTest;
    let anyOf: ScalarTest | undefined;
    let equality: Equality | undefined;
    let literals: (string | undefined)[] = [];
    const tests: ScalarTest[] = [];
    if (has('re')) {
      const flagText = [...new Set(flags.map((f) => REGEX_FLAGS[f]))].join('');
      for (const v of scalars) tests.push(this.regex(v, flagText, fieldName));
    } else if (has('cidr')) {
      for (const v of scalars) {
        const range = parseCidr(String(v.value));
        if (!range) throw new DetectionError('sigma-value', `'${String(v.value)}' is not an IPv4 or IPv6 network (like 10.0.0.0/8 or fe80::/10)`, v.span);
        tests.push((x) => {
          const t = scalarText(x);
          return t !== undefined && inCidr(range, t);
        });
      }
    } else if (compares.length || times.length) {
      for (const v of scalars) tests.push(this.compare(v, compares[0], times[0]));
    } else {
      const built = this.strings(scalars, modifiers, access);
      tests.push(...built.tests);
      equality = built.equality;
      anyOf = built.any;
      literals = built.literals;
    }
    if (tests.length > MAX_VALUES_PER_FIELD) throw new DetectionError('sigma-limit', `field '${key}' stands for ${tests.length} values, more than the limit of ${MAX_VALUES_PER_FIELD}`, keySpan);
    const fileValues = this.options.fileValues;
    if (fileValues && (fileValues.count += tests.length) > MAX_VALUES_PER_FILE) {
      throw new DetectionError(
        'sigma-limit',
        `field '${key}' takes the file's values (after expand, windash and base64offset) to ${fileValues.count.toLocaleString('en-US')}, more than ${MAX_VALUES_PER_FILE.toLocaleString('en-US')} values`,
        keySpan,
      );
    }
    const all = has('all');
    if (anyOf) test = anyOf;
    else if (tests.length === 1) test = tests[0];
    else test = (x) => tests.some((t) => t(x));
    let match: Matcher;
    if (all) {
      match = (e) => {
        const xs = scalarsOf(access.read(e));
        if (xs.length === 0) return false;
        for (const t of tests) if (!xs.some((x) => t(x))) return false;
        return true;
      };
    } else {
      match = (e) => {
        const v = access.read(e);
        if (v === undefined || v === null) return false;
        if (typeof v !== 'object') return test(v);
        const xs = scalarsOf(v);
        for (const x of xs) if (test(x)) return true;
        return false;
      };
    }
    if (has('neq')) {
      const positive = match;
      return { match: (e) => !positive(e) };
    }
    // Only string values require literals: one per value (any of them; with `all`, one of them).
    const perValue: Requirement[] = literals.length === tests.length ? literals.map((literal) => (literal === undefined ? undefined : [[{ access, literal }]])) : [undefined];
    const requires = all ? allRequired(perValue) : anyRequired(perValue);
    return equality ? { match, equality, requires } : { match, requires };
  }

  private field(name: string): FieldAccess {
    const paths = this.options.logsource.field(name);
    for (const p of paths) this.paths.add(p);
    return fieldAccess(paths);
  }

  /** String values with wildcards, position, encodings, windash, expand, cased. */
  private strings(scalars: (YNode & { kind: 'scalar' })[], modifiers: string[], access: FieldAccess): { tests: ScalarTest[]; any: ScalarTest; equality?: Equality; literals: (string | undefined)[] } {
    const cased = modifiers.includes('cased');
    const encodings = modifiers.filter((m) => ENCODING.has(m));
    const windashAt = modifiers.indexOf('windash');
    const firstEncoding = modifiers.findIndex((m) => ENCODING.has(m));
    const windashExpands = windashAt >= 0 && firstEncoding >= 0 && windashAt < firstEncoding;
    const windashFolds = windashAt >= 0 && !windashExpands;
    const fold: Fold = cased ? (windashFolds ? Fold.Dash : Fold.None) : windashFolds ? Fold.LowerDash : Fold.Lower;
    const position = modifiers.find((m) => POSITION.has(m));
    const tests: ScalarTest[] = [];
    /** Per test, the literal a match requires (undefined for numbers and booleans). */
    const literals: (string | undefined)[] = [];
    const globs: CompiledGlob[] = [];
    const others: ScalarTest[] = [];
    let exactOnly = !position && encodings.length === 0 && windashAt < 0;
    const exactValues: string[] = [];
    for (const v of scalars) {
      const raws = this.expand(v, modifiers.includes('expand'));
      for (const raw of raws) {
        let itemsList: SigmaStringItem[][];
        if (encodings.length > 0) {
          const items = parseSigmaString(raw);
          if (hasWildcard(items)) throw new DetectionError('sigma-value', `a value with an encoding modifier cannot hold wildcards ('${raw}')`, v.span);
          const literal = literalOf(items);
          let vals: (string | ValueBytes)[] = windashExpands ? windashVariants(literal, MAX_WINDASH_VARIANTS) ?? tooMany(v.span) : [literal];
          for (const m of modifiers) {
            if (!ENCODING.has(m)) continue;
            vals = vals.flatMap((x) => encode(m, x));
          }
          itemsList = vals.map((x) => [{ lit: typeof x === 'string' ? x : bytesAsText(x) }]);
        } else {
          itemsList = [parseSigmaString(raw)];
        }
        for (let items of itemsList) {
          if (position === 'contains') items = [{ wild: '*' }, ...items, { wild: '*' }];
          else if (position === 'startswith') items = [...items, { wild: '*' }];
          else if (position === 'endswith') items = [{ wild: '*' }, ...items];
          const glob = compileGlob(items, (s) => foldText(s, fold));
          if (glob.shape.shape !== 'exact') exactOnly = false;
          else exactValues.push(literalOf(items));
          const number = typeof v.value === 'number' && !position && encodings.length === 0 ? v.value : undefined;
          const bool = typeof v.value === 'boolean' && !position && encodings.length === 0 ? v.value : undefined;
          if (number !== undefined) {
            const texts = new Set([String(number), foldText(v.raw ?? String(number), fold)]);
            const t: ScalarTest = (x) => (typeof x === 'number' ? x === number : typeof x === 'string' && texts.has(access.folded(x, fold)));
            tests.push(t);
            literals.push(undefined);
            others.push(t);
            exactValues.push(...texts);
          } else if (bool !== undefined) {
            const text = String(bool);
            const t: ScalarTest = (x) => x === bool || (typeof x === 'string' && access.folded(x, fold) === text);
            tests.push(t);
            literals.push(undefined);
            others.push(t);
          } else {
            globs.push(glob);
            literals.push(patternLiteral(items, fold));
            tests.push((x) => {
              if (typeof x === 'string') return glob.test(access.folded(x, fold));
              const t = scalarText(x);
              return t !== undefined && glob.test(foldText(t, fold));
            });
          }
        }
      }
    }
    const any = anyString(globs, others, access, fold);
    if (!exactOnly || modifiers.includes('all') || modifiers.includes('neq') || access.paths.length !== 1) return { tests, any, literals };
    return { tests, any, literals, equality: { field: access.paths[0], values: [...new Set(exactValues)], caseInsensitive: !cased } };
  }

  private expand(v: YNode & { kind: 'scalar' }, expand: boolean): string[] {
    const raw = v.raw ?? String(v.value);
    if (!expand) return [raw];
    try {
      return expandPlaceholders(raw, this.options.placeholders);
    } catch (error) {
      if (error instanceof PlaceholderError) throw new DetectionError(error.code, error.message, v.span);
      throw error;
    }
  }

  private regex(v: YNode & { kind: 'scalar' }, flags: string, fieldName: string): ScalarTest {
    let pattern = String(v.value);
    if (pattern.length > MAX_REGEX_LENGTH) throw new DetectionError('sigma-limit', `the regular expression is ${pattern.length} characters long, more than the limit of ${MAX_REGEX_LENGTH}`, v.span);
    // PCRE's leading inline flags ((?i) …) become JavaScript flags.
    const inline = /^\(\?([ims]+)\)/.exec(pattern);
    let allFlags = flags;
    if (inline) {
      pattern = pattern.slice(inline[0].length);
      for (const f of inline[1]) if (!allFlags.includes(f)) allFlags += f;
    }
    let re: RegExp;
    try {
      re = hostRegExp(pattern, allFlags);
    } catch (err) {
      if (err instanceof RegexRefused) throw new DetectionError('sigma-regex', `the regular expression for field '${fieldName}' ${err.message}`, v.span);
      throw err;
    }
    return (x) => {
      const t = scalarText(x);
      return t !== undefined && re.test(t);
    };
  }

  private compare(v: YNode & { kind: 'scalar' }, op: string | undefined, time: string | undefined): ScalarTest {
    const n = typeof v.value === 'number' ? v.value : typeof v.value === 'string' && v.value.trim() !== '' ? Number(v.value) : NaN;
    if (!Number.isFinite(n)) throw new DetectionError('sigma-value', `'${op ?? time}' needs a number, not '${String(v.value)}'`, v.span);
    const read = time ? (x: unknown) => timePart(x, time) : toNumber;
    switch (op) {
      case 'lt':
        return (x) => read(x) < n;
      case 'lte':
        return (x) => read(x) <= n;
      case 'gt':
        return (x) => read(x) > n;
      case 'gte':
        return (x) => read(x) >= n;
      default:
        return (x) => read(x) === n;
    }
  }

  private fieldref(access: FieldAccess, scalars: (YNode & { kind: 'scalar' })[], modifiers: string[]): Matcher {
    const fold: Fold = modifiers.includes('cased') ? Fold.None : Fold.Lower;
    const position = modifiers.find((m) => POSITION.has(m));
    const others = scalars.map((v) => {
      if (typeof v.value !== 'string' || v.value === '') throw new DetectionError('sigma-value', "'fieldref' takes the name of another field", v.span);
      return this.field(v.value);
    });
    const compare = (a: string, b: string) => (position === 'contains' ? a.includes(b) : position === 'startswith' ? a.startsWith(b) : position === 'endswith' ? a.endsWith(b) : a === b);
    const one = (e: EventRecord, other: FieldAccess) => {
      const bs = scalarsOf(other.read(e)).map((b) => scalarText(b)).filter((b): b is string => b !== undefined);
      if (bs.length === 0) return false;
      for (const a of scalarsOf(access.read(e))) {
        const at = scalarText(a);
        if (at === undefined) continue;
        const fa = foldText(at, fold);
        for (const b of bs) if (compare(fa, foldText(b, fold))) return true;
      }
      return false;
    };
    const all = modifiers.includes('all');
    const positive: Matcher = all ? (e) => others.every((o) => one(e, o)) : (e) => others.some((o) => one(e, o));
    return modifiers.includes('neq') ? (e) => !positive(e) : positive;
  }

  /** Keyword values: `contains` on the event's text (or the pipeline's keyword fields). */
  private keywords(values: YNode[], modifiers: string[], span: Span): Matcher {
    const cased = modifiers.includes('cased');
    const fold: Fold = cased ? Fold.None : Fold.Lower;
    const globs = values.map((v) => {
      if (v.kind !== 'scalar' || v.value === null) throw new DetectionError('sigma-detection', 'a keyword must be plain text or a number', v.span);
      const raws = this.expand(v, modifiers.includes('expand'));
      return raws.map((raw) => {
        let items = parseSigmaString(raw);
        if (!modifiers.includes('startswith') && !modifiers.includes('endswith')) items = [{ wild: '*' }, ...items, { wild: '*' }];
        else if (modifiers.includes('startswith')) items = [...items, { wild: '*' }];
        else items = [{ wild: '*' }, ...items];
        return compileGlob(items, (s) => foldText(s, fold));
      });
    }).flat();
    if (globs.length === 0) throw new DetectionError('sigma-detection', 'an empty keyword list', span);
    const keywordFields = this.options.pipeline.keywordFields;
    const accesses = keywordFields?.map((f) => {
      this.paths.add(f);
      return fieldAccess([f]);
    });
    const texts = (e: EventRecord): string[] => {
      if (!accesses) return eventTexts(e).map((t) => foldText(t, fold));
      const out: string[] = [];
      for (const a of accesses) for (const x of scalarsOf(a.read(e))) {
        const t = scalarText(x);
        if (t !== undefined) out.push(a.folded(t, fold));
      }
      return out;
    };
    const all = modifiers.includes('all');
    return (e) => {
      const ts = texts(e);
      if (all) return globs.every((g) => ts.some((t) => g.test(t)));
      return globs.some((g) => ts.some((t) => g.test(t)));
    };
  }
}


/**
 * The OR of a field's string values as one test: the text is folded once, then looked up among the
 * exact values (a set) and scanned for the prefixes, suffixes and substrings in plain loops — one
 * call per value instead of a closure per value. `others` (numbers, booleans) are tried after.
 */
function anyString(globs: CompiledGlob[], others: ScalarTest[], access: FieldAccess, fold: Fold): ScalarTest {
  const exact = new Set<string>();
  const contains: string[] = [];
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const general: CompiledGlob[] = [];
  let anything = false;
  for (const g of globs) {
    const shape = g.shape;
    if (shape.shape === 'exact') exact.add(shape.text);
    else if (shape.shape === 'contains') contains.push(shape.text);
    else if (shape.shape === 'prefix') prefixes.push(shape.text);
    else if (shape.shape === 'suffix') suffixes.push(shape.text);
    else if (shape.shape === 'any') anything = true;
    else general.push(g);
  }
  const onText = (t: string): boolean => {
    if (anything || exact.has(t)) return true;
    for (let i = 0; i < suffixes.length; i++) if (t.endsWith(suffixes[i])) return true;
    for (let i = 0; i < prefixes.length; i++) if (t.startsWith(prefixes[i])) return true;
    for (let i = 0; i < contains.length; i++) if (t.includes(contains[i])) return true;
    for (let i = 0; i < general.length; i++) if (general[i].test(t)) return true;
    return false;
  };
  const hasGlobs = globs.length > 0;
  return (x) => {
    if (hasGlobs) {
      if (typeof x === 'string') {
        if (onText(access.folded(x, fold))) return true;
      } else {
        const t = scalarText(x);
        if (t !== undefined && onText(foldText(t, fold))) return true;
      }
    }
    for (let i = 0; i < others.length; i++) if (others[i](x)) return true;
    return false;
  };
}

/** A rough cost of a field test, for ordering a map's fields: kind of test, then number of values. */
function entryCost(key: string, value: YNode): number {
  const mods = key.split('|').slice(1);
  const has = (m: string) => mods.includes(m);
  let base: number;
  if (has('exists') || (value.kind === 'scalar' && value.value === null)) base = 0;
  else if (has('re') || has('fieldref') || key.startsWith('|')) base = 6;
  else if (has('cidr') || mods.some((m) => COMPARE.has(m) || TIME.has(m))) base = 4;
  else if (has('contains') || has('windash') || mods.some((m) => ENCODING.has(m))) base = 3;
  else if (has('startswith') || has('endswith')) base = 2;
  else base = 1;
  const values = value.kind === 'seq' ? value.items.length : 1;
  return base * 100 + Math.min(values, 99);
}

function tooMany(span: Span): never {
  throw new DetectionError('sigma-limit', `'windash' before an encoding expands to more than ${MAX_WINDASH_VARIANTS} values`, span);
}

function encode(modifier: string, value: string | ValueBytes): (string | ValueBytes)[] {
  switch (modifier) {
    case 'base64':
      return [base64(typeof value === 'string' ? utf8Bytes(value) : value)];
    case 'base64offset':
      return base64Offsets(typeof value === 'string' ? utf8Bytes(value) : value);
    case 'utf16le':
    case 'wide':
      return [utf16Bytes(typeof value === 'string' ? value : bytesAsText(value), false)];
    case 'utf16be':
      return [utf16Bytes(typeof value === 'string' ? value : bytesAsText(value), true)];
    case 'utf16':
      return [utf16Bytes(typeof value === 'string' ? value : bytesAsText(value), false, true)];
    default:
      return [value];
  }
}

function toNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '' && x.length < 64) return Number(x);
  return NaN;
}

function timePart(x: unknown, part: string): number {
  let ms: number;
  if (typeof x === 'number') ms = x;
  else if (typeof x === 'string' && x.length < 64) ms = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(x) ? `${x.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(x) ? '' : 'Z'}` : x);
  else return NaN;
  if (!Number.isFinite(ms)) return NaN;
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
    default: {
      // ISO 8601 week number.
      const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      const day = t.getUTCDay() || 7;
      t.setUTCDate(t.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
      return Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
    }
  }
}

