/**
 * VGL text → rule ASTs and diagnostics.
 *
 * Three layers find problems, and all of them are reported, sorted by position:
 * - the lexer (src/lang/lexer.ts): unterminated strings/comments, JavaScript syntax errors,
 *   a FILTER/HAVING/SINK that is not followed by a function;
 * - the generated ANTLR parser with its default error recovery; ANTLR's messages are replaced by
 *   our own, written from the parser's context (which clause, what was expected);
 * - the AST builder here: clause order, duplicate and missing clauses, time units, string escapes.
 * Semantic checks across clauses and rules (durations, pairing of AGGREGATE BY and WITHIN,
 * IOC lists…) live in src/lang/check.ts.
 */
import { parseExpressionAt, type Expression, type Pattern } from 'acorn';
import {
  BaseErrorListener,
  CommonTokenStream,
  ParserRuleContext,
  Token,
  type ATNSimulator,
  type IntervalSet,
  type RecognitionException,
  type Recognizer,
} from 'antlr4ng';
import type {
  Duration,
  FieldRef,
  IocTerm,
  JsFunction,
  MachineState,
  Position,
  RuleAst,
  SortBy,
  SourceSelector,
  Span,
  StateMachine,
  StateTransition,
  TimeUnit,
  Within,
} from './ast.js';
import { caretExcerptOfLine, type Diagnostic } from './diagnostic.js';
import { VGLLexer } from './generated/VGLLexer.js';
import {
  AggregateClauseContext,
  DurationContext,
  EventNameContext,
  FieldContext,
  FilterClauseContext,
  HavingClauseContext,
  IocClauseContext,
  IocTermContext,
  JsFunctionContext,
  ListNameContext,
  RuleNameContext,
  SelectorContext,
  SelectorValuesContext,
  SingleValueContext,
  SinkClauseContext,
  SortClauseContext,
  SourcesClauseContext,
  StateLineContext,
  StateMachineClauseContext,
  StateNameContext,
  TransitionContext,
  ValueListContext,
  VglFileContext,
  VglRuleContext,
  VGLParser,
  WithinClauseContext,
  type ClauseContext,
} from './generated/VGLParser.js';
import { expectsFunctionMessage, LineIndex, VglLexer, type RawDiagnostic } from './lexer.js';

export interface ParseResult {
  /** The rules that parsed without any error, in file order. */
  rules: RuleAst[];
  /** Every problem found in the file, sorted by position. */
  diagnostics: Diagnostic[];
}

/**
 * The longest VGL text parseRules reads, in UTF-16 code units (1 MiB, as for a Sigma file): about
 * 3,800 rules of bench/rules.mjs (its 1,000 rules are 270 KB). The parser reads 0.2–0.5 MB/s, so
 * this bounds the time one text can hold the engine to a few seconds; a 50 MB text held it minutes.
 * Every door rule text comes in by (putRules, `vigil check`/`run`, PUT /rules) parses through here.
 */
export const MAX_VGL_TEXT_CHARS = 1024 * 1024;

function textTooLarge(text: string, file: string): Diagnostic {
  return {
    severity: 'error',
    code: 'rules-too-large',
    message: `the rule text is ${text.length} characters long, more than the limit of ${MAX_VGL_TEXT_CHARS} (split it into several texts or files)`,
    file,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 1,
    excerpt: '',
  };
}

/**
 * Parses a VGL file. Never throws and never prints.
 *
 * All problems of the file are reported, each with a 1-based line/column range and a caret
 * excerpt. A rule with an error (anything of severity `error` between its RULE keyword and the
 * next rule) is left out of `rules`; the other rules of the file are returned. Cross-clause
 * semantics are not checked here: run {@link checkRules} (or use `compileCheck`) next.
 */
export function parseRules(text: string, file = '<input>'): ParseResult {
  if (text.length > MAX_VGL_TEXT_CHARS) return { rules: [], diagnostics: [textTooLarge(text, file)] };
  const lines = new LineIndex(text);
  const lexer = new VglLexer(text);
  const tokens = new CommonTokenStream(lexer);
  const parser = new VGLParser(tokens);
  parser.removeErrorListeners();
  const syntax = new SyntaxErrorListener(tokens);
  parser.addErrorListener(syntax);

  // antlr4ng's RecognitionException is an Error: each syntax error captured a stack trace nobody
  // reads, most of the parse time of a text full of errors (as for JSON.parse in io/from-jsonl.ts).
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let tree: VglFileContext;
  try {
    tree = parser.vglFile();
  } finally {
    Error.stackTraceLimit = traceLimit;
  }
  const problems: RawDiagnostic[] = [...lexer.problems, ...syntax.problems];

  const ruleContexts = tree.vglRule();
  const starts = ruleContexts.map((ctx) => ctx.start?.start ?? 0);
  // The last rule starting at or before the problem (starts are in file order): a binary search, as
  // a text of many rules with a problem each would otherwise cost rules × problems.
  const owner = (raw: RawDiagnostic): number => {
    const at = raw.anchor ?? raw.start;
    let lo = -1;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  const names = ruleContexts.map((ctx) => ruleNameOf(ctx, text));
  const perRule: RawDiagnostic[][] = ruleContexts.map(() => []);
  const outside: RawDiagnostic[] = [];
  const hasSyntaxError = new Set<RawDiagnostic[]>();
  for (const p of problems) {
    const i = owner(p);
    const list = i >= 0 ? perRule[i]! : outside;
    // After the first syntax error of a rule, later ones are mostly echoes of error recovery.
    if (p.code === 'syntax') {
      if (hasSyntaxError.has(list)) continue;
      hasSyntaxError.add(list);
    }
    list.push(p);
  }

  const rules: RuleAst[] = [];
  ruleContexts.forEach((ctx, i) => {
    const own = perRule[i]!;
    const builder = new RuleBuilder(text, file, lines, lexer, own.some(isError));
    const rule = builder.build(ctx);
    own.push(...builder.problems);
    if (rule && !own.some(isError)) rules.push(rule);
  });

  const diagnostics = [
    ...outside.map((p) => toDiagnostic(p, text, file, lines, undefined)),
    ...perRule.flatMap((own, i) => own.map((p) => toDiagnostic(p, text, file, lines, names[i]))),
  ];
  return { rules, diagnostics: sortDiagnostics(diagnostics) };
}

function isError(p: RawDiagnostic): boolean {
  return (p.severity ?? 'error') === 'error';
}

/** Sorts by position, then by message, so output is stable. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.line - b.line || a.column - b.column || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

function toDiagnostic(raw: RawDiagnostic, text: string, file: string, lines: LineIndex, rule: string | undefined): Diagnostic {
  const start = lines.position(raw.start);
  const end = lines.position(Math.max(raw.end, raw.start));
  const d: Diagnostic = {
    severity: raw.severity ?? 'error',
    code: raw.code,
    message: raw.message,
    file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    excerpt: caretExcerptOfLine(lines.lineText(start.line), start.line, start.column, end.line, end.column),
  };
  if (rule !== undefined) d.rule = rule;
  return d;
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

/** Keywords as they are written in messages. */
const KEYWORD_NAMES: ReadonlyMap<number, string> = new Map([
  [VGLLexer.RULE, 'RULE'],
  [VGLLexer.SOURCES, 'SOURCES'],
  [VGLLexer.FILTER, 'FILTER'],
  [VGLLexer.IOC, 'IOC'],
  [VGLLexer.USING, 'USING'],
  [VGLLexer.AGGREGATE, 'AGGREGATE'],
  [VGLLexer.WITHIN, 'WITHIN'],
  [VGLLexer.SORT, 'SORT'],
  [VGLLexer.HAVING, 'HAVING'],
  [VGLLexer.SINK, 'SINK'],
  [VGLLexer.FILTERS, 'FILTERS'],
  [VGLLexer.BY, 'BY'],
  [VGLLexer.IN, 'in'],
  [VGLLexer.NOT, 'not'],
  [VGLLexer.AND, 'and'],
  [VGLLexer.ASC, 'ASC'],
  [VGLLexer.DESC, 'DESC'],
  [VGLLexer.STATE, 'STATE'],
  [VGLLexer.MACHINE, 'MACHINE'],
  [VGLLexer.ON, 'ON'],
  [VGLLexer.INITIAL, 'INITIAL'],
  [VGLLexer.TERM, 'TERM'],
  [VGLLexer.TIMEOUT, 'TIMEOUT'],
  [VGLLexer.RESET, 'RESET'],
  [VGLLexer.ALERT, 'ALERT'],
  [VGLLexer.SUPPRESS, 'SUPPRESS'],
  [VGLLexer.FOR, 'FOR'],
]);

/** Tokens that an identifier also covers (soft keywords), not listed separately in messages. */
const SOFT_KEYWORDS = [
  VGLLexer.RULE, VGLLexer.FILTERS, VGLLexer.BY, VGLLexer.IN, VGLLexer.NOT, VGLLexer.AND, VGLLexer.ASC, VGLLexer.DESC,
  VGLLexer.STATE, VGLLexer.MACHINE, VGLLexer.ON, VGLLexer.INITIAL, VGLLexer.TERM, VGLLexer.TIMEOUT, VGLLexer.RESET,
  VGLLexer.ALERT, VGLLexer.SUPPRESS, VGLLexer.FOR,
];

const CLAUSE_KEYWORDS = [
  VGLLexer.SOURCES, VGLLexer.FILTER, VGLLexer.IOC, VGLLexer.USING, VGLLexer.AGGREGATE, VGLLexer.WITHIN,
  VGLLexer.SORT, VGLLexer.HAVING, VGLLexer.STATE, VGLLexer.TIMEOUT, VGLLexer.RESET, VGLLexer.SINK,
  VGLLexer.SUPPRESS,
];

const PUNCTUATION_NAMES: ReadonlyMap<number, string> = new Map([
  [VGLLexer.EQ, "'='"],
  [VGLLexer.COMMA, "','"],
  [VGLLexer.COLON, "':'"],
  [VGLLexer.DOT, "'.'"],
  [VGLLexer.MINUS, "'-'"],
  [VGLLexer.LPAREN, "'('"],
  [VGLLexer.RPAREN, "')'"],
  [VGLLexer.LBRACKET, "'['"],
  [VGLLexer.RBRACKET, "']'"],
  [VGLLexer.ARROW, "'->'"],
  [VGLLexer.SEMI, "';'"],
]);

/** Collects syntax errors with messages of our own; ANTLR's text is never shown. */
class SyntaxErrorListener extends BaseErrorListener {
  readonly problems: RawDiagnostic[] = [];

  constructor(private readonly tokens: CommonTokenStream) {
    super();
  }

  override syntaxError<S extends Token, T extends ATNSimulator>(
    recognizer: Recognizer<T>,
    offendingSymbol: S | null,
    _line: number,
    _column: number,
    _msg: string,
    e: RecognitionException | null,
  ): void {
    const parser = recognizer as unknown as VGLParser;
    const offending: Token | null = offendingSymbol ?? e?.offendingToken ?? parser.getCurrentToken();
    if (!offending) return;
    const expected = e?.getExpectedTokens() ?? parser.getExpectedTokens();
    const ctx = e?.ctx ?? parser.context;
    const previous = this.previousVisible(offending);
    const beforePrevious = previous ? this.previousVisible(previous) : null;
    const message = describe(offending, previous, beforePrevious, expected, ctx instanceof ParserRuleContext ? ctx : null);

    let start = offending.start;
    let end = offending.stop + 1;
    // A state line's missing ';' belongs at the end of that line, whatever the next line holds.
    const startsSomething =
      offending.type === Token.EOF ||
      offending.type === VGLLexer.RULE ||
      CLAUSE_KEYWORDS.includes(offending.type) ||
      (expected.contains(VGLLexer.SEMI) && ctx instanceof ParserRuleContext && within(ctx, StateLineContext) !== null);
    if (previous && startsSomething && offending.line > previous.line + lineBreaks(previous.text)) {
      // Something is missing at the end of a line: point just after the last token before it,
      // where it should be written, rather than at the next line or an empty last line.
      start = previous.stop + 1;
      end = start;
    }
    this.problems.push({ code: 'syntax', message, start, end });
  }

  private previousVisible(token: Token): Token | null {
    for (let i = token.tokenIndex - 1; i >= 0; i--) {
      const t = this.tokens.get(i);
      if (t.channel === Token.DEFAULT_CHANNEL) return t;
    }
    return null;
  }
}

function lineBreaks(text: string | undefined): number {
  return text ? text.split('\n').length - 1 : 0;
}

function found(token: Token): string {
  if (token.type === Token.EOF) return 'the end of the file';
  if (token.type === VGLLexer.JS_FUNCTION) return 'a JavaScript function';
  const text = token.text ?? '';
  const short = text.length > 30 ? `${text.slice(0, 27)}…` : text;
  return token.type === VGLLexer.STRING ? short : `'${short}'`;
}

/** What the previous token was, as a phrase: "AGGREGATE BY", "WITHIN", "'x'". */
function after(previous: Token | null, before: Token | null): string {
  if (!previous) return '';
  const keyword = KEYWORD_NAMES.get(previous.type);
  if (previous.type === VGLLexer.BY && before?.type === VGLLexer.MACHINE) return ' after STATE MACHINE BY';
  if (previous.type === VGLLexer.BY && before) {
    const head = KEYWORD_NAMES.get(before.type);
    if (head) return ` after ${head} BY`;
  }
  if (previous.type === VGLLexer.FILTERS) return ' after IOC FILTERS';
  if (keyword && keyword === keyword.toUpperCase()) return ` after ${keyword}`;
  if (keyword) return ` after '${previous.text}'`;
  return ` after ${found(previous)}`;
}

function expectedNames(expected: IntervalSet, ctx: ParserRuleContext | null): string[] {
  const types = expected.toArray();
  const names: string[] = [];
  const has = (t: number) => types.includes(t);
  if (CLAUSE_KEYWORDS.every(has)) names.push('a clause keyword');
  for (const t of types) {
    if (t === VGLLexer.IDENT) {
      names.push(within(ctx, ListNameContext) ? 'an IOC list name' : within(ctx, DurationContext) ? 'a time unit (ms, sec, min, h, d)' : 'a field name');
    } else if (t === VGLLexer.STRING) {
      names.push(has(VGLLexer.IDENT) ? '' : 'a quoted string');
    } else if (t === VGLLexer.NUMBER) {
      names.push(has(VGLLexer.IDENT) ? '' : 'a number');
    } else if (t === VGLLexer.JS_FUNCTION) {
      names.push('a JavaScript function');
    } else if (t === Token.EOF) {
      names.push('the end of the file');
    } else if (PUNCTUATION_NAMES.has(t)) {
      names.push(PUNCTUATION_NAMES.get(t)!);
    } else if (KEYWORD_NAMES.has(t)) {
      if (has(VGLLexer.IDENT) && SOFT_KEYWORDS.includes(t)) continue;
      if (CLAUSE_KEYWORDS.every(has) && CLAUSE_KEYWORDS.includes(t)) continue;
      names.push(KEYWORD_NAMES.get(t)!);
    }
  }
  return [...new Set(names.filter((n) => n !== ''))];
}

function joinOr(names: string[]): string {
  if (names.length <= 1) return names[0] ?? 'something else';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function within<C extends ParserRuleContext>(
  ctx: ParserRuleContext | null,
  type: abstract new (...args: never[]) => C,
): C | null {
  for (let c: ParserRuleContext | null = ctx; c; c = c.parent as ParserRuleContext | null) {
    if (c instanceof type) return c;
  }
  return null;
}

const FUNCTION_CLAUSE_KEYWORD: ReadonlyArray<[abstract new (...args: never[]) => ParserRuleContext, number]> = [
  [FilterClauseContext, VGLLexer.FILTER],
  [HavingClauseContext, VGLLexer.HAVING],
  [SinkClauseContext, VGLLexer.SINK],
];

/** The message for one syntax error. */
function describe(
  offending: Token,
  previous: Token | null,
  beforePrevious: Token | null,
  expected: IntervalSet, ctx: ParserRuleContext | null): string {
  const what = found(offending);
  if (offending.type === VGLLexer.ERROR_CHAR) return `unexpected character ${what}`;

  if (expected.contains(VGLLexer.JS_FUNCTION)) {
    for (const [type, keyword] of FUNCTION_CLAUSE_KEYWORD) {
      if (within(ctx, type)) return expectsFunctionMessage(keyword);
    }
  }
  if (within(ctx, RuleNameContext) || (ctx instanceof VglRuleContext && previous?.type === VGLLexer.RULE)) {
    return `expected the rule name in quotes after RULE, e.g. RULE "brute force", found ${what}`;
  }
  // After a rule's last clause, ANTLR reports stray input at the file level.
  const rule = ctx instanceof VglFileContext ? ctx.vglRule().at(-1) : ctx;
  if (ctx instanceof VglFileContext && !rule) return `expected RULE, found ${what}`;
  if (rule instanceof VglRuleContext) {
    const clauses = rule.clause();
    const last = clauses[clauses.length - 1];
    const kind = last ? clauseKind(last) : undefined;
    const fieldLike = offending.type === VGLLexer.IDENT || offending.type === VGLLexer.STRING;
    if (kind === 'aggregate' && fieldLike) return `expected ',' between AGGREGATE BY fields, found ${what}`;
    if (kind === 'sources' && fieldLike) return `expected ',' between SOURCES selectors, found ${what}`;
    const label = kind ? CLAUSES.find((c) => c.kind === kind)!.after : `RULE ${found(rule.ruleName()?.STRING()?.symbol ?? offending)}`;
    return `expected a clause keyword or RULE after ${label}, found ${what}`;
  }
  const machine = stateMachineMessage(offending, previous, beforePrevious, expected, ctx, what);
  if (machine) return machine;
  if (within(ctx, DurationContext)) {
    if (expected.contains(VGLLexer.COLON)) return `expected ':' and a time unit after the number, e.g. 1:min, found ${what}`;
    if (expected.contains(VGLLexer.NUMBER)) {
      return `expected a duration such as 1:min${after(previous, null)}, found ${what}`;
    }
    return `expected a time unit (ms, sec, min, h, d) after ':', found ${what}`;
  }
  if (ctx instanceof WithinClauseContext && expected.contains(VGLLexer.COMMA)) {
    return `expected ',' and the window slide after the WITHIN length, e.g. WITHIN 1:min, 10:sec, found ${what}`;
  }
  if (within(ctx, SelectorValuesContext) || (ctx instanceof SelectorContext && expected.contains(VGLLexer.LBRACKET))) {
    if (within(ctx, ValueListContext)) return `expected a quoted string, ',' or ']' in the SOURCES value list, found ${what}`;
    return `expected a quoted string or a list like ["a", "b"] after '=', found ${what}`;
  }
  if (within(ctx, IocTermContext) && expected.contains(VGLLexer.IN) && !expected.contains(VGLLexer.IDENT)) {
    return `expected an IOC FILTERS term like in list(field) or not in list(field)${after(previous, null)}, found ${what}`;
  }
  const names = expectedNames(expected, ctx);
  return `expected ${joinOr(names)}${after(previous, beforePrevious)}, found ${what}`;
}

/** Messages for the inside of STATE MACHINE, or null when the generic message does. */
function stateMachineMessage(
  offending: Token,
  previous: Token | null,
  beforePrevious: Token | null,
  expected: IntervalSet,
  ctx: ParserRuleContext | null,
  what: string,
): string | null {
  const clause = within(ctx, StateMachineClauseContext);
  if (!clause) return null;
  const example = 'INITIAL: SYN -> OPEN;';
  if (previous?.type === VGLLexer.ON && expected.contains(VGLLexer.ON) && clause.stateLine().length === 0) {
    // `BY ON type` or `BY k, ON type`: ON was read as a key field (a field named on is allowed).
    return 'expected a key field between BY and ON, e.g. STATE MACHINE BY sourceAddress ON type (ON was read as a key field here)';
  }
  if (within(ctx, StateLineContext) && expected.contains(VGLLexer.SEMI)) {
    return `expected ';' to end the state line, or ',' and another transition, found ${what}`;
  }
  if (within(ctx, TransitionContext) || within(ctx, EventNameContext) || within(ctx, StateLineContext)) {
    if (!expected.contains(VGLLexer.IDENT)) return null;
    if (previous?.type === VGLLexer.ARROW) return `expected the target state (a state name or TERM) after '->', found ${what}`;
    return `expected a transition like SYN -> OPEN${after(previous, beforePrevious)} (event names are names, quoted strings or numbers), found ${what}`;
  }
  if (clause.stateLine().length === 0 && clause.ON() && !isMissing(clause.ON()!.symbol)) {
    if (offending.type === VGLLexer.COLON && beforePrevious?.type === VGLLexer.ON) {
      // `ON` directly followed by the first state line: the state name was taken for the field.
      return `expected the event field after ON (e.g. ON type) before the state lines, found ${found(previous!)}`;
    }
    if (expected.contains(VGLLexer.IDENT)) {
      return `expected a state line such as ${example} after the ON field, found ${what}`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// AST building

type ClauseKind =
  | 'sources'
  | 'filter'
  | 'ioc'
  | 'using'
  | 'aggregate'
  | 'within'
  | 'sort'
  | 'having'
  | 'state'
  | 'timeout'
  | 'reset'
  | 'sink'
  | 'suppress';

/**
 * A group of clauses that make a rule of one kind: a rule aggregates in windows or runs a state
 * machine, never both (src/lang/check.ts reports a mix). Clauses of different families are not
 * ordered against each other, and a clause-order message lists only the order of one family.
 */
type ClauseFamily = 'aggregate' | 'state';

/**
 * The clauses in their required order. A new clause (SUPPRESS…) gets a row here, an alternative
 * in VGLParser.g4's `clause`, and a case in RuleBuilder.build.
 */
const CLAUSES: ReadonlyArray<{ kind: ClauseKind; label: string; after: string; required?: boolean; family?: ClauseFamily }> = [
  { kind: 'sources', label: 'SOURCES', after: 'SOURCES selectors', required: true },
  { kind: 'filter', label: 'FILTER', after: 'the FILTER function' },
  { kind: 'ioc', label: 'IOC FILTERS', after: 'IOC FILTERS terms' },
  { kind: 'using', label: 'USING', after: 'the USING field' },
  { kind: 'aggregate', label: 'AGGREGATE BY', after: 'AGGREGATE BY fields', family: 'aggregate' },
  { kind: 'within', label: 'WITHIN', after: 'the WITHIN durations', family: 'aggregate' },
  { kind: 'sort', label: 'SORT BY', after: 'the SORT BY field', family: 'aggregate' },
  { kind: 'having', label: 'HAVING', after: 'the HAVING function', family: 'aggregate' },
  { kind: 'state', label: 'STATE MACHINE', after: 'the STATE MACHINE state lines', family: 'state' },
  { kind: 'timeout', label: 'TIMEOUT', after: 'the TIMEOUT duration', family: 'state' },
  { kind: 'reset', label: 'RESET ON ALERT', after: 'RESET ON ALERT', family: 'state' },
  { kind: 'sink', label: 'SINK', after: 'the SINK function', required: true },
  { kind: 'suppress', label: 'SUPPRESS', after: 'the SUPPRESS clause' },
];

/** "SOURCES, FILTER, …, SINK": the clause order of rules of one family. */
function clauseOrder(family: ClauseFamily): string {
  return CLAUSES.filter((c) => !c.family || c.family === family)
    .map((c) => c.label)
    .join(', ');
}

function clauseKind(clause: ClauseContext): ClauseKind | undefined {
  if (clause.sourcesClause()) return 'sources';
  if (clause.filterClause()) return 'filter';
  if (clause.iocClause()) return 'ioc';
  if (clause.usingClause()) return 'using';
  if (clause.aggregateClause()) return 'aggregate';
  if (clause.withinClause()) return 'within';
  if (clause.sortClause()) return 'sort';
  if (clause.havingClause()) return 'having';
  if (clause.stateMachineClause()) return 'state';
  if (clause.timeoutClause()) return 'timeout';
  if (clause.resetClause()) return 'reset';
  if (clause.sinkClause()) return 'sink';
  if (clause.suppressClause()) return 'suppress';
  return undefined;
}

export const UNIT_MS: Readonly<Record<TimeUnit, number>> = { ms: 1, sec: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

const ACORN_OPTIONS = { ecmaVersion: 'latest', locations: true } as const;

/** True for a token the parser invented during error recovery. */
function isMissing(token: Token | null | undefined): boolean {
  return !token || token.tokenIndex < 0 || token.start < 0;
}

function ruleNameOf(ctx: VglRuleContext, text: string): string | undefined {
  const token = ctx.ruleName()?.STRING()?.symbol;
  if (isMissing(token)) return undefined;
  return unquoteLoose(text.slice(token!.start, token!.stop + 1));
}

/** The value of a string token without reporting anything (used for names in messages). */
function unquoteLoose(raw: string): string {
  try {
    const node = parseExpressionAt(raw, 0, ACORN_OPTIONS);
    if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  } catch {
    // fall through
  }
  return raw.slice(1, raw.endsWith(raw[0]!) && raw.length > 1 ? -1 : undefined);
}

/** What the clauses of a rule give, before the rule is assembled. */
type RuleParts = Partial<Omit<RuleAst, 'iocFilters'>> & {
  iocFilters: IocTerm[];
  timeout?: Duration;
  /** Offsets of the TIMEOUT keyword and of RESET ON ALERT, when written. */
  timeoutKeyword?: { start: number; end: number };
  resetKeyword?: { start: number; end: number };
};

class RuleBuilder {
  readonly problems: RawDiagnostic[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lines: LineIndex,
    private readonly lexer: VglLexer,
    /** The rule already has errors: skip the checks that would only repeat them. */
    private readonly broken: boolean,
  ) {}

  build(ctx: VglRuleContext): RuleAst | undefined {
    const nameToken = ctx.ruleName()?.STRING()?.symbol;
    const name = isMissing(nameToken) ? '' : this.string(nameToken!);
    const ruleToken = ctx.start!;
    const headerEnd = isMissing(nameToken) ? ruleToken.stop + 1 : nameToken!.stop + 1;
    const ruleLabel = `rule "${name}"`;

    const parts: RuleParts = { iocFilters: [] };
    const seen = new Map<ClauseKind, number>();
    // The clauses taken in order so far; a clause must come after each of them of its family.
    const ordered: Array<(typeof CLAUSES)[number] & { order: number }> = [];
    const kinds = ctx.clause().map(clauseKind);
    const ruleFamily: ClauseFamily = kinds.some((k) => CLAUSES.find((c) => c.kind === k)?.family === 'state')
      ? 'state'
      : 'aggregate';
    let complete = true;

    for (const clause of ctx.clause()) {
      const kind = clauseKind(clause);
      if (!kind) {
        complete = false;
        continue;
      }
      const order = CLAUSES.findIndex((c) => c.kind === kind);
      const row = CLAUSES[order]!;
      const { label } = row;
      const keyword = clause.start!;
      if (seen.has(kind)) {
        this.report('duplicate-clause', `duplicate ${label} clause in ${ruleLabel}`, keyword.start, keyword.stop + 1);
        continue;
      }
      seen.set(kind, order);
      const later = ordered
        .filter((c) => c.order > order && (!c.family || !row.family || c.family === row.family))
        .reduce<(typeof ordered)[number] | undefined>((max, c) => (!max || c.order > max.order ? c : max), undefined);
      if (later) {
        this.report(
          'clause-order',
          `${label} must come before ${later.label} in ${ruleLabel}; clauses go ${clauseOrder(row.family ?? ruleFamily)}`,
          keyword.start,
          keyword.stop + 1,
        );
      } else {
        ordered.push({ ...row, order });
      }
      try {
        this.clause(clause, kind, parts);
      } catch (error) {
        // A tree left incomplete by error recovery, whose syntax error is already reported.
        // Anything else is a bug of ours: say so rather than throw or drop the rule silently.
        complete = false;
        if (!this.broken) {
          const reason = error instanceof Error ? error.message : String(error);
          this.report('internal', `could not read this ${label} clause (${reason}); please report this`, keyword.start, keyword.stop + 1);
        }
      }
    }

    if (!this.broken) {
      for (const c of CLAUSES) {
        if (c.required && !seen.has(c.kind)) {
          this.report('missing-clause', `missing ${c.label} clause in ${ruleLabel}`, ruleToken.start, headerEnd);
        }
      }
    }
    if (!parts.stateMachine) {
      // TIMEOUT and RESET ON ALERT are options of a state machine; without one they mean nothing.
      for (const [option, code, label] of [
        [parts.timeoutKeyword, 'timeout-without-state-machine', 'TIMEOUT'],
        [parts.resetKeyword, 'reset-without-state-machine', 'RESET ON ALERT'],
      ] as const) {
        if (option && !seen.has('state') && !this.broken) {
          this.report(code, `${label} needs STATE MACHINE: it is an option of the state machine of the rule`, option.start, option.end);
        }
      }
    } else {
      if (parts.timeout) parts.stateMachine.timeout = parts.timeout;
      parts.stateMachine.resetOnAlert = parts.resetKeyword !== undefined;
    }
    if (this.broken || !complete || !parts.sources || !parts.sink || isMissing(nameToken)) return undefined;

    const stop = ctx.stop && ctx.stop.stop >= ruleToken.start ? ctx.stop.stop + 1 : headerEnd;
    const rule: RuleAst = {
      name,
      nameSpan: this.span(nameToken!.start, nameToken!.stop + 1),
      span: this.span(ruleToken.start, stop),
      text: this.text.slice(ruleToken.start, stop),
      file: this.file,
      sources: parts.sources,
      iocFilters: parts.iocFilters,
      sink: parts.sink,
    };
    if (parts.filter) rule.filter = parts.filter;
    if (parts.using) rule.using = parts.using;
    if (parts.aggregateBy) rule.aggregateBy = parts.aggregateBy;
    if (parts.within) rule.within = parts.within;
    if (parts.sortBy) rule.sortBy = parts.sortBy;
    if (parts.having) rule.having = parts.having;
    if (parts.stateMachine) rule.stateMachine = parts.stateMachine;
    if (parts.suppress) rule.suppress = parts.suppress;
    return rule;
  }

  private clause(clause: ClauseContext, kind: ClauseKind, parts: RuleParts): void {
    switch (kind) {
      case 'sources':
        parts.sources = this.sources(clause.sourcesClause()!);
        break;
      case 'filter':
        parts.filter = this.fn(clause.filterClause()!.jsFunction());
        break;
      case 'ioc':
        parts.iocFilters = this.ioc(clause.iocClause()!);
        break;
      case 'using':
        parts.using = this.fieldRef(clause.usingClause()!.field());
        break;
      case 'aggregate':
        parts.aggregateBy = this.aggregate(clause.aggregateClause()!);
        break;
      case 'within':
        parts.within = this.within(clause.withinClause()!);
        break;
      case 'sort':
        parts.sortBy = this.sort(clause.sortClause()!);
        break;
      case 'having':
        parts.having = this.fn(clause.havingClause()!.jsFunction());
        break;
      case 'state':
        parts.stateMachine = this.stateMachine(clause.stateMachineClause()!);
        break;
      case 'timeout': {
        const timeout = clause.timeoutClause()!;
        parts.timeoutKeyword = { start: timeout.start!.start, end: timeout.start!.stop + 1 };
        const duration = timeout.duration();
        if (!duration) throw new Error('missing TIMEOUT duration');
        parts.timeout = this.duration(duration);
        break;
      }
      case 'reset': {
        const reset = clause.resetClause()!;
        if (isMissing(reset.ALERT()?.symbol) || isMissing(reset.ON()?.symbol)) throw new Error('incomplete RESET ON ALERT');
        parts.resetKeyword = { start: reset.start!.start, end: reset.stop!.stop + 1 };
        break;
      }
      case 'sink':
        parts.sink = this.fn(clause.sinkClause()!.jsFunction());
        break;
      case 'suppress': {
        const suppress = clause.suppressClause()!;
        const period = suppress.duration();
        if (isMissing(suppress.FOR()?.symbol) || !period) throw new Error('incomplete SUPPRESS FOR');
        if (suppress.BY() && !suppress.field().length) throw new Error('SUPPRESS BY without fields');
        parts.suppress = { period: this.duration(period), by: suppress.field().map((f) => this.fieldRef(f)), span: this.ctxSpan(suppress) };
        break;
      }
    }
  }

  private stateMachine(ctx: StateMachineClauseContext): StateMachine {
    const fields = ctx.field();
    if (fields.length < 2 || isMissing(ctx.ON()?.symbol)) throw new Error('incomplete STATE MACHINE');
    const keyFields = fields.slice(0, -1).map((f) => this.fieldRef(f));
    const on = this.fieldRef(fields[fields.length - 1]!);
    const states = ctx.stateLine().map((line) => this.stateLine(line));
    if (states.length === 0) throw new Error('no state lines');
    return { keyFields, on, states, resetOnAlert: false, span: this.ctxSpan(ctx) };
  }

  private stateLine(ctx: StateLineContext): MachineState {
    const name = ctx.stateName();
    if (isMissing(ctx.SEMI()?.symbol)) throw new Error('state line without ;');
    return {
      name: this.stateName(name),
      span: this.ctxSpan(name),
      transitions: ctx.transition().map((t) => this.transition(t)),
    };
  }

  private transition(ctx: TransitionContext): StateTransition {
    const event = ctx.eventName();
    const target = ctx.stateName();
    if (!event || isMissing(event.start) || !target || isMissing(ctx.ARROW()?.symbol)) throw new Error('incomplete transition');
    const str = event.STRING();
    return {
      event: str ? this.string(str.symbol) : event.getText(),
      target: this.stateName(target),
      span: this.ctxSpan(ctx),
    };
  }

  /** A state name: INITIAL and TERM (unquoted, any case) in upper case, anything else as written. */
  private stateName(ctx: StateNameContext | null): string {
    if (!ctx || isMissing(ctx.start)) throw new Error('missing state name');
    const str = ctx.STRING();
    if (str) return this.string(str.symbol);
    const type = ctx.start!.type;
    if (type === VGLLexer.INITIAL) return 'INITIAL';
    if (type === VGLLexer.TERM) return 'TERM';
    return ctx.getText();
  }

  private sources(ctx: SourcesClauseContext): SourceSelector[] {
    return ctx.selector().map((sel) => {
      const values = sel.selectorValues();
      const strings =
        values instanceof ValueListContext ? values.STRING() : values instanceof SingleValueContext ? [values.STRING()] : [];
      if (!values || isMissing(values.start)) throw new Error('missing SOURCES value');
      return {
        field: this.fieldRef(sel.field()).field,
        values: strings.filter((s) => !isMissing(s.symbol)).map((s) => this.string(s.symbol)),
        span: this.ctxSpan(sel),
      };
    });
  }

  private ioc(ctx: IocClauseContext): IocTerm[] {
    return ctx.iocTerm().map((term) => ({
      negated: term.NOT() !== null,
      list: this.listName(term.listName()),
      field: this.fieldRef(term.field()).field,
      span: this.ctxSpan(term),
    }));
  }

  private listName(ctx: ListNameContext): string {
    const str = ctx.STRING();
    if (str) return this.string(str.symbol);
    return ctx.identifier()!.getText();
  }

  private aggregate(ctx: AggregateClauseContext): FieldRef[] {
    return ctx.field().map((f) => this.fieldRef(f));
  }

  private within(ctx: WithinClauseContext): Within {
    const [length, slide] = ctx.duration();
    if (!length || !slide) throw new Error('incomplete WITHIN');
    return { length: this.duration(length), slide: this.duration(slide), span: this.ctxSpan(ctx) };
  }

  private duration(ctx: DurationContext): Duration {
    const number = ctx.NUMBER().symbol;
    const unitCtx = ctx.identifier();
    if (isMissing(number) || !unitCtx || isMissing(unitCtx.start)) throw new Error('incomplete duration');
    const sign = ctx.MINUS() ? -1 : 1;
    const amount = sign * Number(number.text);
    const unitText = unitCtx.getText();
    const unit = unitText.toLowerCase();
    let ms = Number.NaN;
    if (Object.hasOwn(UNIT_MS, unit)) {
      ms = amount * UNIT_MS[unit as TimeUnit];
    } else {
      this.report(
        'unknown-unit',
        `unknown time unit '${unitText}': use ms, sec, min, h or d (e.g. 10:sec)`,
        unitCtx.start!.start,
        unitCtx.start!.stop + 1,
      );
    }
    return { amount, unit: unit as TimeUnit, ms, span: this.ctxSpan(ctx) };
  }

  private sort(ctx: SortClauseContext): SortBy {
    return { ...this.fieldRef(ctx.field()), descending: ctx.DESC() !== null };
  }

  private fieldRef(ctx: FieldContext | null): FieldRef {
    if (!ctx || isMissing(ctx.start)) throw new Error('missing field');
    const str = ctx.STRING();
    const field = str ? this.string(str.symbol) : ctx.fieldPath()!.getText();
    return { field, span: this.ctxSpan(ctx) };
  }

  private fn(ctx: JsFunctionContext | null): JsFunction {
    const token = ctx?.JS_FUNCTION()?.symbol;
    if (!token || isMissing(token)) throw new Error('missing function');
    if (this.lexer.brokenFunctions.has(token.start) || this.lexer.errorTokens.has(token.start)) {
      throw new Error('broken function');
    }
    const text = this.text.slice(token.start, token.stop + 1);
    const node = parseExpressionAt(text, 0, ACORN_OPTIONS) as Expression & { id?: { name: string } | null; params: Pattern[] };
    const fn: JsFunction = {
      text,
      params: node.params.map((p) => (p.type === 'Identifier' ? p.name : text.slice(p.start, p.end))),
      node,
      span: this.span(token.start, token.stop + 1),
    };
    if (node.id?.name) fn.name = node.id.name;
    return fn;
  }

  /** The value of a STRING token, JavaScript escapes applied; bad escapes are reported. */
  private string(token: Token): string {
    const raw = this.text.slice(token.start, token.stop + 1);
    if (this.lexer.errorTokens.has(token.start)) return unquoteLoose(raw);
    if (!raw.includes('\\')) return raw.slice(1, -1);
    try {
      const node = parseExpressionAt(raw, 0, ACORN_OPTIONS);
      if (node.type === 'Literal' && typeof node.value === 'string' && node.end === raw.length) return node.value;
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '') : 'invalid string';
      const pos = Math.min((error as { pos?: number }).pos ?? 0, raw.length - 1);
      // Cover the whole escape, from its backslash to where acorn stopped.
      const backslash = raw.lastIndexOf('\\', pos);
      const from = backslash > 0 ? backslash : pos;
      this.report('invalid-string', `invalid string: ${reason}`, token.start + from, token.start + pos + 1);
      return unquoteLoose(raw);
    }
    return raw.slice(1, -1);
  }

  private span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(end) };
  }

  private ctxSpan(ctx: ParserRuleContext): Span {
    const start = ctx.start?.start ?? 0;
    const stop = ctx.stop && ctx.stop.stop >= start ? ctx.stop.stop + 1 : start;
    return this.span(start, stop);
  }

  private position(offset: number): Position {
    return this.lines.position(offset);
  }

  private report(code: string, message: string, start: number, end: number): void {
    this.problems.push({ code, message, start, end });
  }
}
