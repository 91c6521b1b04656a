/**
 * The VGL lexer: the generated ANTLR lexer plus JavaScript functions read with acorn.
 *
 * After FILTER, HAVING and SINK the input is JavaScript, which no grammar of ours describes.
 * VglLexer watches for those keywords; when the next input starts a function (`function …`,
 * `(a, b) => …`, `a => …`) it asks acorn where the function ends and emits one JS_FUNCTION token
 * covering exactly that text. The parser therefore sees a function as a single token, and the
 * tokenizer used by the editor for highlighting is the very same lexer.
 */
import { parseExpressionAt, type Expression, type Node } from 'acorn';
import { CharStream, CommonTokenStream, ErrorNode, Interval, IntStream, ParserRuleContext, TerminalNode, Token, type ParseTree } from 'antlr4ng';
import type { Severity } from './diagnostic.js';
import { VGLLexer } from './generated/VGLLexer.js';
import { IdentifierContext, StateNameContext, VGLParser } from './generated/VGLParser.js';

/** A problem found before positions are resolved: offsets into the file text (UTF-16). */
export interface RawDiagnostic {
  code: string;
  message: string;
  severity?: Severity;
  /** Offset of the first character the problem covers. */
  start: number;
  /** Offset after the last character the problem covers. */
  end: number;
  /** Offset used to tell which rule the problem belongs to, when not `start`. */
  anchor?: number;
}

/** Converts offsets into 1-based lines and columns (UTF-16 code units), lines ending in \n. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number; offset: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - this.starts[lo]! + 1, offset: clamped };
  }

  /** The text of a 1-based line, without its line break (`\n` or `\r\n`); '' past the end. */
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return '';
    const next = this.starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end > start && this.text.charCodeAt(end - 1) === 13 ? end - 1 : end);
  }
}

/**
 * A CharStream over UTF-16 code units. antlr4ng's own stream counts code points; counting code
 * units instead keeps token offsets equal to JavaScript string offsets, as acorn and editors use.
 */
export class Utf16CharStream implements CharStream {
  name = '';
  index = 0;

  constructor(private readonly data: string) {}

  reset(): void {
    this.index = 0;
  }

  consume(): void {
    if (this.index >= this.data.length) throw new Error('cannot consume EOF');
    this.index += 1;
  }

  LA(offset: number): number {
    if (offset === 0) return 0;
    const pos = this.index + (offset < 0 ? offset : offset - 1);
    if (pos < 0 || pos >= this.data.length) return Token.EOF;
    return this.data.charCodeAt(pos);
  }

  mark(): number {
    return -1;
  }

  release(_marker: number): void {}

  seek(index: number): void {
    this.index = Math.max(0, Math.min(index, this.data.length));
  }

  get size(): number {
    return this.data.length;
  }

  getSourceName(): string {
    return this.name || IntStream.UNKNOWN_SOURCE_NAME;
  }

  getTextFromRange(start: number, stop: number): string {
    return this.data.slice(start, stop + 1);
  }

  getTextFromInterval(interval: Interval): string {
    return this.data.slice(interval.start, interval.stop + 1);
  }

  toString(): string {
    return this.data;
  }
}

/** The keyword a function follows, and the parameter its example shows. */
const FUNCTION_CLAUSES: ReadonlyMap<number, { keyword: string; example: string }> = new Map([
  [VGLLexer.FILTER, { keyword: 'FILTER', example: 'function (event) { … }' }],
  [VGLLexer.HAVING, { keyword: 'HAVING', example: 'function (events) { … }' }],
  [VGLLexer.SINK, { keyword: 'SINK', example: 'function (event) { … }' }],
]);

/** The message for a clause that is not followed by a function. */
export function expectsFunctionMessage(keywordType: number): string {
  const clause = FUNCTION_CLAUSES.get(keywordType);
  return clause
    ? `${clause.keyword} expects a JavaScript function, e.g. ${clause.example}`
    : 'expected a JavaScript function';
}

/** Input that begins a function: `function`, `async`, `(…) =>` or `name =>`. */
const FUNCTION_START = /function\b|async\b|\((?:[^()]|\([^()]*\))*\)\s*=>|[A-Za-z_$][\w$]*\s*=>/y;

/**
 * A line that starts a VGL clause. Used to resynchronise after a broken function: the function
 * is taken to end before the first such line. The state-machine clauses are matched with their
 * next words, as `state`, `timeout` and `reset` alone may well begin JavaScript (`state => …`).
 */
const CLAUSE_LINE =
  /^[ \t]*(?:rule[ \t]*["']|sources\s|filter\s|ioc\s+filters\b|using\s|aggregate\s+by\b|within\s|sort\s+by\b|having\s|state\s+machine\b|timeout\s+-?\d|reset\s+on\s+alert\b|sink\s|suppress\s+for\b)/gim;

const COMMENT_LINE = /^[ \t]*(?:\/\/|\/\*)/gm;

/** A clause keyword at the current position: the function is missing altogether. */
const CLAUSE_START =
  /(?:rule[ \t]*["']|sources\s|filter\s|ioc\s+filters\b|using\s|aggregate\s+by\b|within\s|sort\s+by\b|having\s|state\s+machine\b|timeout\s+-?\d|reset\s+on\s+alert\b|sink\s|suppress\s+for\b)/iy;

/** preserveParens: so that the end of `(x == 1)` is after its `)`. */
// Offsets only: with `locations` acorn rescans the whole file from its start for every function.
const ACORN_OPTIONS = { ecmaVersion: 'latest', preserveParens: true } as const;

/**
 * How deep a rule function's syntax tree may nest (levels of nodes below the function, parentheses
 * included): the sandbox's analysis reads no deeper (MAX_SOURCE_DEPTH in src/sandbox/analyse.ts),
 * and every walker after the parser (the regex check, the router's index, the native compiler)
 * recurses once per level, which acorn itself does not for member, call and `&&` chains.
 */
export const MAX_FUNCTION_DEPTH = 200;

/** The first node (depth first) nested deeper than `max` below `root`, without recursing; null when none is. */
function deeperThan(root: Node, max: number): Node | null {
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return node;
    const children: Node[] = [];
    for (const value of Object.values(node)) {
      for (const c of Array.isArray(value) ? value : [value]) {
        if (c && typeof c === 'object' && typeof (c as { type?: unknown }).type === 'string') children.push(c as Node);
      }
    }
    // Reversed, so the first child in source order is visited first.
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]!, depth + 1]);
  }
  return null;
}

/** The function inside any parentheses, or null. */
function functionNode(node: Expression): (Expression & { async?: boolean; generator?: boolean }) | null {
  let inner: Expression = node;
  while (inner.type === 'ParenthesizedExpression') inner = inner.expression;
  return inner.type === 'FunctionExpression' || inner.type === 'ArrowFunctionExpression' ? inner : null;
}

/**
 * The VGL lexer. Problems it finds (unterminated strings and comments, JavaScript syntax errors,
 * a clause keyword followed by something that is not a function) are collected in `problems`;
 * nothing is printed. Unterminated strings are handed on as STRING tokens so the parser carries
 * on; `errorTokens` holds the start offsets of tokens that are wrong in themselves.
 */
export class VglLexer extends VGLLexer {
  readonly problems: RawDiagnostic[] = [];
  /** Start offsets of tokens that are errors in themselves (unterminated string, non-function). */
  readonly errorTokens = new Set<number>();
  /** Start offsets of JS_FUNCTION tokens whose JavaScript did not parse. */
  readonly brokenFunctions = new Set<number>();
  /** The FILTER / HAVING / SINK keyword just read, when the next token should be a function. */
  private pendingFunction = -1;

  constructor(readonly source: string) {
    super(new Utf16CharStream(source));
    this.removeErrorListeners();
  }

  override reset(seekBack?: boolean): void {
    super.reset(seekBack);
    this.pendingFunction = -1;
  }

  override nextToken(): Token {
    if (this.pendingFunction >= 0) {
      const fn = this.readFunction(this.pendingFunction);
      if (fn) {
        this.pendingFunction = -1;
        return fn;
      }
    }
    const token = super.nextToken();
    if (token.type === VGLLexer.UNTERMINATED_STRING) {
      const quote = this.source[token.start];
      this.report('unterminated-string', `unterminated string: add the closing ${quote} on the same line`, token.start, token.stop + 1);
      this.errorTokens.add(token.start);
      (token as { type: number }).type = VGLLexer.STRING;
    } else if (token.type === VGLLexer.UNTERMINATED_COMMENT) {
      this.report('unterminated-comment', 'unterminated comment: /* has no closing */', token.start, token.start + 2);
      this.errorTokens.add(token.start);
    }
    if (token.channel === Token.DEFAULT_CHANNEL) {
      this.pendingFunction = FUNCTION_CLAUSES.has(token.type) ? token.type : -1;
    }
    return token;
  }

  /**
   * At the current position, after FILTER/HAVING/SINK: emits the JS_FUNCTION token when a
   * function (or, for a clear error, something else) starts here; null to lex normally
   * (whitespace, comments, a clause keyword or the end of the file come first).
   */
  private readFunction(keywordType: number): Token | null {
    const text = this.source;
    // Whitespace is skipped here, not by the generated lexer, which would go on to the next token.
    while (this.inputStream.index < text.length && /\s/.test(text[this.inputStream.index]!)) {
      this.interpreter.consume(this.inputStream);
    }
    const start = this.inputStream.index;
    if (start >= text.length || text.startsWith('//', start) || text.startsWith('/*', start)) return null;
    CLAUSE_START.lastIndex = start;
    if (CLAUSE_START.test(text)) return null;
    const keyword = FUNCTION_CLAUSES.get(keywordType)!.keyword;
    const nextClause = this.nextClauseLine(start);

    FUNCTION_START.lastIndex = start;
    const looksLikeFunction = FUNCTION_START.test(text);
    // `(` may still open an arrow function whose parameters the pattern does not cover.
    const maybeArrow = !looksLikeFunction && text[start] === '(';
    const notAFunction = (exactEnd?: number): Token | null => {
      // What the writer meant instead: the expression acorn read, or else the rest up to the
      // next clause (or comment line).
      const stop = exactEnd ?? trimEnd(text, start, Math.min(nextClause, this.nextCommentLine(start)));
      if (stop <= start) return null;
      this.report('expected-function', expectsFunctionMessage(keywordType), start, stop);
      this.errorTokens.add(start);
      return this.emitRange(start, stop);
    };
    if (!looksLikeFunction && !maybeArrow) return notAFunction();

    let node: Expression;
    try {
      node = parseExpressionAt(text, start, ACORN_OPTIONS);
    } catch {
      // Parse again with the text cut before the next clause: acorn reads one token past the
      // function, which may not be JavaScript, and an unclosed function must not run into the
      // next clause or rule.
      const end = trimEnd(text, start, nextClause);
      try {
        node = parseExpressionAt(text.slice(0, end), start, ACORN_OPTIONS);
      } catch (error) {
        if (maybeArrow) return notAFunction();
        this.reportJsError(error, keyword, start, end);
        this.brokenFunctions.add(start);
        return this.emitRange(start, Math.max(end, start + 1));
      }
    }
    const fn = functionNode(node);
    if (!fn) return notAFunction(node.end);
    if (fn.async) {
      this.report('async-function', `${keyword} function cannot be async: rule functions run synchronously`, start, node.end);
      this.brokenFunctions.add(start);
    } else if (fn.generator) {
      this.report('generator-function', `${keyword} function cannot be a generator`, start, node.end);
      this.brokenFunctions.add(start);
    } else {
      const tooDeep = deeperThan(fn, MAX_FUNCTION_DEPTH);
      if (tooDeep) {
        this.report('js-too-deep', `${keyword} function nested deeper than ${MAX_FUNCTION_DEPTH} levels`, tooDeep.start, tooDeep.start + 1, start);
        this.brokenFunctions.add(start);
      }
    }
    return this.emitRange(start, node.end);
  }

  private reportJsError(error: unknown, keyword: string, start: number, end: number): void {
    const pos = (error as { pos?: unknown }).pos;
    const raw = error instanceof Error ? error.message : String(error);
    const reason = raw.replace(/\s*\(\d+:\d+\)$/, '');
    if (typeof pos !== 'number' || pos >= end) {
      // acorn ran into the next clause: the function was never closed.
      const at = Math.max(start, end - 1);
      this.report(
        'js-syntax',
        `JavaScript syntax error in ${keyword} function: it does not end before the next clause (missing '}' or ')'?)`,
        at,
        at + 1,
        start,
      );
      return;
    }
    this.report('js-syntax', `JavaScript syntax error in ${keyword} function: ${reason}`, pos, pos + 1, start);
  }

  /** Offset of the first clause line after the line of `from`, or the end of the text. */
  private nextClauseLine(from: number): number {
    const lineEnd = this.source.indexOf('\n', from);
    if (lineEnd < 0) return this.source.length;
    CLAUSE_LINE.lastIndex = lineEnd + 1;
    const match = CLAUSE_LINE.exec(this.source);
    return match ? match.index : this.source.length;
  }

  /** Offset of the first line after the line of `from` that starts with a comment, or the end of the text. */
  private nextCommentLine(from: number): number {
    const lineEnd = this.source.indexOf('\n', from);
    if (lineEnd < 0) return this.source.length;
    COMMENT_LINE.lastIndex = lineEnd + 1;
    const match = COMMENT_LINE.exec(this.source);
    return match ? match.index : this.source.length;
  }

  /** Emits a JS_FUNCTION token for [start, end) and moves the input and line/column past it. */
  private emitRange(start: number, end: number): Token {
    const line = this.line;
    const column = this.column;
    let newLine = line;
    let newColumn = column;
    for (let i = start; i < end; i++) {
      if (this.source.charCodeAt(i) === 10) {
        newLine += 1;
        newColumn = 0;
      } else {
        newColumn += 1;
      }
    }
    this.inputStream.seek(end);
    this.line = newLine;
    this.column = newColumn;
    return this.tokenFactory.create(
      [this, this.inputStream],
      VGLLexer.JS_FUNCTION,
      undefined,
      Token.DEFAULT_CHANNEL,
      start,
      end - 1,
      line,
      column,
    );
  }

  private report(code: string, message: string, start: number, end: number, anchor?: number): void {
    this.problems.push(anchor === undefined ? { code, message, start, end } : { code, message, start, end, anchor });
  }
}

/** `end` moved back over trailing whitespace, never before `start`. */
function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1]!)) e -= 1;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer for the editor

export type VglTokenType =
  | 'keyword'
  | 'string'
  | 'number'
  | 'comment'
  | 'function'
  | 'identifier'
  | 'punctuation'
  | 'unit'
  | 'error';

export interface VglToken {
  type: VglTokenType;
  /** 0-based offset of the first character (UTF-16 code units). */
  start: number;
  /** 0-based offset after the last character. */
  end: number;
  /** 1-based line of `start`. */
  line: number;
  /** 1-based column of `start`. */
  column: number;
}

const KEYWORDS = new Set([
  VGLLexer.RULE, VGLLexer.SOURCES, VGLLexer.FILTER, VGLLexer.IOC, VGLLexer.USING, VGLLexer.AGGREGATE,
  VGLLexer.WITHIN, VGLLexer.SORT, VGLLexer.HAVING, VGLLexer.SINK, VGLLexer.FILTERS, VGLLexer.BY,
  VGLLexer.IN, VGLLexer.NOT, VGLLexer.AND, VGLLexer.ASC, VGLLexer.DESC, VGLLexer.STATE, VGLLexer.MACHINE,
  VGLLexer.ON, VGLLexer.INITIAL, VGLLexer.TERM, VGLLexer.TIMEOUT, VGLLexer.RESET, VGLLexer.ALERT,
  VGLLexer.SUPPRESS, VGLLexer.FOR,
]);

const PUNCTUATION = new Set([
  VGLLexer.EQ, VGLLexer.COMMA, VGLLexer.COLON, VGLLexer.DOT, VGLLexer.MINUS, VGLLexer.LPAREN,
  VGLLexer.RPAREN, VGLLexer.LBRACKET, VGLLexer.RBRACKET, VGLLexer.ARROW, VGLLexer.SEMI,
]);

/**
 * Splits VGL text into classified tokens for syntax highlighting, with the lexer the parser uses.
 * Whitespace is left out; every other character belongs to exactly one token. A function after
 * FILTER/HAVING/SINK is one `function` token (highlight its inside as JavaScript if you like);
 * unterminated strings and comments, stray characters and non-functions after FILTER/HAVING/SINK
 * are `error`. A keyword used as a name — a field (`SOURCES rule = "x"`, `a.by`,
 * `AGGREGATE BY state`), a state or an event of a state machine (`reset: timeout -> W;`) — is an
 * `identifier`, as the parser reads it; `INITIAL` and `TERM` as state names are keywords. The name
 * after `number:` is a `unit`. Never throws.
 */
export function tokenize(text: string): VglToken[] {
  const lexer = new VglLexer(text);
  const lines = new LineIndex(text);
  const stream = new CommonTokenStream(lexer);
  const parser = new VGLParser(stream);
  parser.removeErrorListeners();
  // Which keyword tokens the parser read as names; on broken input, as far as it got.
  const names = new Set<Token>();
  const stateKeywords = new Set<Token>();
  markNames(parser.vglFile(), false);
  stream.fill();
  const raw = stream.getTokens().filter((t) => t.type !== Token.EOF);

  const visible = raw.filter((t) => t.channel === Token.DEFAULT_CHANNEL);
  const nextVisible = new Map<Token, Token | undefined>();
  const prevVisible = new Map<Token, Token | undefined>();
  visible.forEach((t, i) => {
    nextVisible.set(t, visible[i + 1]);
    prevVisible.set(t, visible[i - 1]);
  });

  return raw.map((t) => {
    const start = t.start;
    const end = t.stop + 1;
    const { line, column } = lines.position(start);
    return { type: classify(t), start, end, line, column };
  });

  function classify(t: Token): VglTokenType {
    if (lexer.errorTokens.has(t.start)) return 'error';
    const type = t.type;
    if (type === VGLLexer.JS_FUNCTION) return 'function';
    if (type === VGLLexer.STRING) return 'string';
    if (type === VGLLexer.NUMBER) return 'number';
    if (type === VGLLexer.LINE_COMMENT || type === VGLLexer.BLOCK_COMMENT) return 'comment';
    if (PUNCTUATION.has(type)) return 'punctuation';
    const prev = prevVisible.get(t);
    if (type === VGLLexer.IDENT || KEYWORDS.has(type)) {
      if (prev?.type === VGLLexer.COLON && prevVisible.get(prev)?.type === VGLLexer.NUMBER) return 'unit';
      if (type === VGLLexer.IDENT) return 'identifier';
      if (stateKeywords.has(t)) return 'keyword';
      const next = nextVisible.get(t);
      if (names.has(t)) return 'identifier';
      if (prev?.type === VGLLexer.DOT || next?.type === VGLLexer.DOT || next?.type === VGLLexer.EQ) return 'identifier';
      return 'keyword';
    }
    return 'error';
  }

  function markNames(tree: ParseTree, inName: boolean): void {
    if (tree instanceof TerminalNode) {
      if (inName && !(tree instanceof ErrorNode)) names.add(tree.symbol);
      return;
    }
    if (!(tree instanceof ParserRuleContext)) return;
    if (tree instanceof StateNameContext) {
      const type = tree.start?.type;
      if (tree.getChildCount() === 1 && (type === VGLLexer.INITIAL || type === VGLLexer.TERM)) stateKeywords.add(tree.start!);
    }
    const name = inName || tree instanceof IdentifierContext;
    for (const child of tree.children) markNames(child, name);
  }
}
