/**
 * YAML in, a small position-carrying tree out: the `yaml` library parses (single and multi-document
 * files), and this module copies each document into {@link YNode}s that remember where they were
 * written, so that every later diagnostic (an unknown modifier, a bad condition) names the line and
 * column of the offending node.
 *
 * Hostile input is bounded here, before anything else sees it (limits in {@link YamlLimits}): the
 * source length, the number of nodes a document may expand to (aliases included, so an alias bomb —
 * "billion laughs" — stops at the budget instead of exploding), the nesting depth, and the number of
 * documents per file. Each limit gives an error diagnostic naming where it was reached; nothing hangs.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import type { Diagnostic, Severity } from '../lang/diagnostic.js';

export interface YamlLimits {
  /** Longest source text accepted, in UTF-16 code units. Default 1,048,576 (1 MiB). */
  maxSourceLength: number;
  /** Nodes one document may hold once aliases are expanded. Default 100,000. */
  maxNodes: number;
  /** Deepest nesting of maps and lists. Default 64. */
  maxDepth: number;
  /** Documents in one file. Default 1,000. */
  maxDocuments: number;
  /** Alias expansions per document (aliases are resolved here, never by `yaml`'s toJS). Default 100. */
  maxAliasCount: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxSourceLength: 1 << 20,
  maxNodes: 100_000,
  maxDepth: 64,
  maxDocuments: 1_000,
  maxAliasCount: 100,
};

/** Offsets into the source text, [start, end). */
export type Span = readonly [number, number];

export type YScalarValue = string | number | boolean | null;

export type YNode =
  | {
      kind: 'scalar';
      value: YScalarValue;
      span: Span;
      /** Offset of the text's first character (after a quote). */
      textStart: number;
      quoted: boolean;
      /** For a plain scalar YAML read as a number or boolean: the text as written (`0x17`, `1.10`). */
      raw?: string;
    }
  | { kind: 'seq'; items: YNode[]; span: Span }
  | { kind: 'map'; entries: YEntry[]; span: Span };

export interface YEntry {
  key: string;
  keySpan: Span;
  value: YNode;
}

/** Turns offsets into the project's {@link Diagnostic}s for one source file. */
export class SourceLocator {
  private readonly lines = new LineCounter();
  private lineStarts: number[] | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  get counter(): LineCounter {
    return this.lines;
  }

  private starts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const starts = [0];
    for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
    this.lineStarts = starts;
    return starts;
  }

  /** 1-based line and column of `offset`. */
  position(offset: number): { line: number; column: number } {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  }

  diagnostic(severity: Severity, code: string, message: string, span: Span | undefined, rule?: string): Diagnostic {
    const [start, end] = span ?? [0, 0];
    const from = this.position(Math.min(start, this.text.length));
    const to = this.position(Math.min(Math.max(end, start), this.text.length));
    const starts = this.starts();
    const lineStart = starts[from.line - 1];
    let lineEnd = this.text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = this.text.length;
    // Very long lines (a 1 MB value) are cut around the place so the excerpt stays readable.
    const source = this.text.slice(lineStart, Math.min(lineEnd, lineStart + 400)).replace(/\r$/, '');
    const gutter = `${from.line} | `;
    const width = to.line === from.line ? Math.max(1, Math.min(to.column, source.length + 1) - from.column) : Math.max(1, source.length + 1 - from.column);
    const excerpt = from.column <= source.length + 1 ? `${gutter}${source}\n${' '.repeat(gutter.length + from.column - 1)}${'^'.repeat(width)}` : '';
    const d: Diagnostic = { severity, code, message, file: this.file, line: from.line, column: from.column, endLine: to.line, endColumn: to.column, excerpt };
    if (rule !== undefined) d.rule = rule;
    return d;
  }
}

export class YamlBudgetExceeded extends Error {
  constructor(
    message: string,
    readonly span: Span,
    readonly code = 'sigma-yaml-limit',
  ) {
    super(message);
  }
}

export interface ParsedYamlFile {
  documents: { root: YNode | undefined; span: Span }[];
  diagnostics: Diagnostic[];
}

/** Parses every document of `locator.text` into {@link YNode} trees, within `limits`. */
export function parseYamlFile(locator: SourceLocator, limits: YamlLimits = DEFAULT_YAML_LIMITS): ParsedYamlFile {
  const diagnostics: Diagnostic[] = [];
  const text = locator.text;
  if (text.length > limits.maxSourceLength) {
    diagnostics.push(locator.diagnostic('error', 'sigma-too-large', `the file is ${text.length} characters long, more than the limit of ${limits.maxSourceLength}`, [0, 0]));
    return { documents: [], diagnostics };
  }
  let parsed: Document.Parsed[];
  try {
    const all = parseAllDocuments(text, { lineCounter: locator.counter, prettyErrors: false, uniqueKeys: false, strict: true });
    parsed = Array.isArray(all) ? all : [];
  } catch (err) {
    // The parser's own recursion on absurd nesting ends in a RangeError: report it, do not crash.
    diagnostics.push(locator.diagnostic('error', 'sigma-yaml', `the YAML could not be parsed (${(err as Error).message})`, [0, 0]));
    return { documents: [], diagnostics };
  }
  if (parsed.length > limits.maxDocuments) {
    diagnostics.push(locator.diagnostic('error', 'sigma-too-many-documents', `the file holds ${parsed.length} YAML documents, more than the limit of ${limits.maxDocuments}`, [0, 0]));
    return { documents: [], diagnostics };
  }
  const documents: ParsedYamlFile['documents'] = [];
  for (const doc of parsed) {
    const span: Span = doc.range ? [doc.range[0], doc.range[1]] : [0, 0];
    if (doc.errors.length > 0) {
      for (const e of doc.errors) diagnostics.push(locator.diagnostic('error', 'sigma-yaml', `YAML: ${firstLine(e.message)}`, [e.pos[0], e.pos[1]]));
      continue;
    }
    try {
      const copier = new Copier(doc, limits, text);
      documents.push({ root: doc.contents ? copier.copy(doc.contents as YamlNode, 0) : undefined, span });
    } catch (err) {
      if (err instanceof YamlBudgetExceeded) diagnostics.push(locator.diagnostic('error', err.code, err.message, err.span));
      else if (err instanceof RangeError) diagnostics.push(locator.diagnostic('error', 'sigma-yaml-limit', `the document is nested too deeply to read (${err.message})`, span));
      else throw err;
    }
  }
  return { documents, diagnostics };
}

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}

class Copier {
  private nodes = 0;
  private aliases = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly limits: YamlLimits,
    private readonly text: string,
  ) {}

  copy(node: YamlNode, depth: number): YNode {
    const span = spanOf(node);
    if (++this.nodes > this.limits.maxNodes) throw new YamlBudgetExceeded(`the document expands to more than ${this.limits.maxNodes} YAML nodes (aliases included)`, span);
    if (depth > this.limits.maxDepth) throw new YamlBudgetExceeded(`the document is nested more than ${this.limits.maxDepth} levels deep`, span);
    if (isAlias(node)) {
      if (++this.aliases > this.limits.maxAliasCount) throw new YamlBudgetExceeded(`the document uses more than ${this.limits.maxAliasCount} alias expansions`, span);
      const target = node.resolve(this.doc);
      if (!target) throw new YamlBudgetExceeded(`the alias *${node.source} names no anchor`, span);
      return this.copy(target, depth + 1);
    }
    if (isScalar(node)) {
      const v = node.value;
      let value: YScalarValue;
      if (v === null || v === undefined) value = null;
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') value = v;
      else if (typeof v === 'bigint') value = Number(v);
      else value = String(v);
      const quoted = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE';
      const out: YNode = { kind: 'scalar', value, span, textStart: span[0] + (quoted ? 1 : 0), quoted };
      if (!quoted && (typeof value === 'number' || typeof value === 'boolean')) out.raw = this.text.slice(span[0], span[1]).trim();
      return out;
    }
    if (isSeq(node)) {
      const items: YNode[] = [];
      for (const item of node.items) items.push(this.copy(item as YamlNode, depth + 1));
      return { kind: 'seq', items, span };
    }
    if (isMap(node)) {
      const entries: YEntry[] = [];
      // Duplicate keys are checked here with a set: `yaml`'s own check compares every pair (quadratic).
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        let key: string;
        let keySpan: Span = span;
        if (keyNode && isScalar(keyNode)) {
          key = keyNode.value === null || keyNode.value === undefined ? '' : String(keyNode.value);
          keySpan = spanOf(keyNode);
        } else if (keyNode === null) {
          key = '';
        } else {
          throw new YamlBudgetExceeded('a map key must be a plain value, not a map or a list', keyNode ? spanOf(keyNode) : span, 'sigma-yaml');
        }
        if (seen.has(key)) throw new YamlBudgetExceeded(`the map key '${key.length > 80 ? `${key.slice(0, 80)}…` : key}' is repeated`, keySpan, 'sigma-yaml');
        seen.add(key);
        const valueNode = pair.value as YamlNode | null;
        const value: YNode = valueNode ? this.copy(valueNode, depth + 1) : { kind: 'scalar', value: null, span: [keySpan[1], keySpan[1]], textStart: keySpan[1], quoted: false };
        entries.push({ key, keySpan, value });
      }
      return { kind: 'map', entries, span };
    }
    throw new YamlBudgetExceeded('an unknown YAML node', span, 'sigma-yaml');
  }
}

function spanOf(node: YamlNode): Span {
  const r = node.range;
  return r ? [r[0], r[1]] : [0, 0];
}

/** The entry of a map under `key` (exact, Sigma keys are lower case). */
export function entry(map: YNode | undefined, key: string): YEntry | undefined {
  if (!map || map.kind !== 'map') return undefined;
  for (const e of map.entries) if (e.key === key) return e;
  return undefined;
}

/** A scalar's value as text (numbers and booleans as YAML wrote them), or undefined for other nodes. */
export function scalarString(node: YNode | undefined): string | undefined {
  if (!node || node.kind !== 'scalar' || node.value === null) return undefined;
  return String(node.value);
}

/** A list of scalars as strings (a single scalar counts as a one-item list). */
export function stringList(node: YNode | undefined): string[] | undefined {
  if (!node) return undefined;
  if (node.kind === 'scalar') return node.value === null ? [] : [String(node.value)];
  if (node.kind === 'seq') {
    const out: string[] = [];
    for (const item of node.items) {
      if (item.kind !== 'scalar' || item.value === null) return undefined;
      out.push(String(item.value));
    }
    return out;
  }
  return undefined;
}
