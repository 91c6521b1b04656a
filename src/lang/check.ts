/**
 * Semantic checks over parsed rules: what the grammar accepts but the engine cannot run.
 * Each problem is a Diagnostic with a stable `code` (listed on {@link checkRules}).
 */
import type { Duration, JsFunction, MachineState, RuleAst, Span, StateMachine, StateTransition } from './ast.js';
import { caretExcerptOfLine, type Diagnostic, type Severity } from './diagnostic.js';
import { regexProblem } from './host-regex.js';
import { parseRules, sortDiagnostics } from './parse.js';
import { simple as walkSimple } from 'acorn-walk';
import type { Node as AcornNode } from 'acorn';

export interface CheckContext {
  /** Names of the IOC lists that exist; when given, IOC FILTERS must name one of them. */
  iocLists?: ReadonlySet<string>;
  /** Names of rules already registered; a rule with one of these names is reported. */
  existingRuleNames?: ReadonlySet<string>;
  /** What a WITHIN clause may cost; defaults {@link DEFAULT_WINDOW_LIMITS}. */
  windowLimits?: Partial<WindowLimits>;
}

/**
 * What one WITHIN clause may cost. A window store keeps events in panes gcd(length, slide) wide
 * (src/engine/window.ts): firing a window visits each of its panes, every event is handed to HAVING
 * once per window that holds it (length / slide windows), and a key fires 1000 / slide windows per
 * second of event time. Past these limits one rule's bookkeeping grows with the clause instead of
 * the data (`WITHIN 10:min, 1:ms` asked the WebAssembly store for more memory than it has).
 */
export interface WindowLimits {
  /** Panes in one window: length / gcd(length, slide). */
  maxPanesPerWindow: number;
  /** Windows fired per key and second of event time: 1000 / slide in ms. */
  maxWindowsPerSecond: number;
}

/**
 * Defaults: 2,000 panes per window (`WITHIN 1:d, 1:min` passes with 1,440; `WITHIN 1:h, 1:sec` does not)
 * and 100 windows per second (a slide of at least 10 ms). Measured: 3,600 events one second apart
 * cost 2.3 s in `WITHIN 1:h, 1:sec` (every event handed to 3,600 windows) against 0.02 s in
 * `WITHIN 1:min, 1:min`; the cost grows with events × panes per window.
 */
export const DEFAULT_WINDOW_LIMITS: Readonly<WindowLimits> = Object.freeze({ maxPanesPerWindow: 2000, maxWindowsPerSecond: 100 });

/** Alert rule names the engine gives its own alerts (`vigil.rule.deactivated`…): no user rule may take one. */
const RESERVED_RULE_NAME = /^vigil\./i;

/** Names starting with `vigil.` belong to the engine's own alerts (`vigil.rule.deactivated`), in any rule language. */
export function isReservedRuleName(name: string): boolean {
  return RESERVED_RULE_NAME.test(name);
}

/** Parameters each function clause takes: FILTER gets the event, HAVING the window's events, SINK the alert. */
const ARITY: ReadonlyArray<{ key: 'filter' | 'having' | 'sink'; clause: string; example: string }> = [
  { key: 'filter', clause: 'FILTER', example: 'function (event) { … }' },
  { key: 'having', clause: 'HAVING', example: 'function (events) { … }' },
  { key: 'sink', clause: 'SINK', example: 'function (event) { … }' },
];

/**
 * Checks rules for problems the parser cannot see. Codes:
 * - `duplicate-rule`: two rules of the file share a name, or a name is in `existingRuleNames`;
 * - `empty-rule-name`: `RULE ""`;
 * - `reserved-rule-name`: a name starting with `vigil.` (the engine's own alerts use that prefix);
 * - `empty-sources`: a SOURCES selector with an empty value list;
 * - `having-without-aggregate`, `aggregate-without-within`, `within-without-aggregate`;
 * - `sort-without-aggregate` (warning: SORT BY only orders the events handed to HAVING);
 * - `invalid-duration`: a zero or negative WITHIN duration;
 * - `slide-longer-than-window`: the WITHIN slide exceeds the window length (events would be lost between windows);
 * - `window-too-costly`: a WITHIN clause with more panes per window, or more windows per second of
 *   event time, than `context.windowLimits` allow (see {@link DEFAULT_WINDOW_LIMITS});
 * - `unknown-ioc-list`: only when `context.iocLists` is given;
 * - `function-arity`: FILTER, HAVING or SINK not taking exactly one parameter;
 * - `unsafe-regex`: a regular expression in a rule function (a regex literal, or a string literal
 *   given to `utils.matches`, `.match`, `.search`, `.matchAll` or `RegExp`) that is not provably linear on the
 *   built-in engine and cannot run on the linear-time one either (a backreference, a lookaround), or
 *   is not valid; named with its line:column;
 * - state machines (STATE MACHINE … TIMEOUT … RESET ON ALERT):
 *   - `state-machine-with-aggregate`: AGGREGATE BY, WITHIN, SORT BY or HAVING in a rule with a
 *     STATE MACHINE (a rule aggregates in windows or runs a state machine, not both);
 *   - `missing-initial-state`: no `INITIAL:` line;
 *   - `duplicate-state`: a state with two lines;
 *   - `term-transitions`: a `TERM:` line (TERM ends the machine; nothing leaves it);
 *   - `undefined-state`: a transition to a state without a line (other than TERM);
 *   - `duplicate-transition`: one state with two transitions on the same event;
 *   - `unreachable-state` (warning): a state no path from INITIAL leads to;
 *   - `unreachable-term` (warning): no path from INITIAL reaches TERM (states with no path to
 *     TERM are fine as long as one path gets there); not given while a state is undefined;
 *   - `invalid-duration`: a zero or negative TIMEOUT. TIMEOUT without USING is fine (processing time).
 * - `invalid-duration`: a zero or negative SUPPRESS FOR period; `duplicate-suppress-field`: a field
 *   named twice in SUPPRESS BY.
 * (`timeout-without-state-machine` and `reset-without-state-machine` come from the parser.)
 * The result is sorted by position; severities are `error` except where noted.
 */
export function checkRules(rules: RuleAst[], context: CheckContext = {}): Diagnostic[] {
  return sortDiagnostics(checkEach(rules, context).flat());
}

/** The diagnostics of each rule, in the order of `rules`. */
function checkEach(rules: RuleAst[], context: CheckContext): Diagnostic[][] {
  const firstByName = new Map<string, RuleAst>();

  return rules.map((rule) => {
    const out: Diagnostic[] = [];
    const report = (code: string, message: string, span: Span, severity: Severity = 'error') =>
      out.push(diagnostic(rule, code, message, span, severity));

    const first = firstByName.get(rule.name);
    if (first) {
      report('duplicate-rule', `duplicate rule name "${rule.name}": also used on line ${first.nameSpan.start.line}`, rule.nameSpan);
    } else {
      firstByName.set(rule.name, rule);
      if (context.existingRuleNames?.has(rule.name)) {
        report('duplicate-rule', `a rule named "${rule.name}" already exists`, rule.nameSpan);
      }
    }
    if (rule.name.trim() === '') report('empty-rule-name', 'the rule name is empty', rule.nameSpan);
    if (isReservedRuleName(rule.name)) {
      report('reserved-rule-name', `rule names starting with "vigil." are reserved for the engine's own alerts: rename "${rule.name}"`, rule.nameSpan);
    }

    for (const selector of rule.sources) {
      if (selector.values.length === 0) {
        report('empty-sources', `SOURCES ${selector.field} = [] matches no event: give at least one value`, selector.span);
      }
    }

    const machine = rule.stateMachine;
    if (machine) {
      checkStateMachine(rule, machine, report);
    }

    const aggregated = rule.aggregateBy !== undefined;
    // With a state machine, the aggregation clauses are wrong as such (reported above), not
    // for want of each other: the pairing checks below stay quiet.
    if (rule.having && !aggregated && !machine) {
      report('having-without-aggregate', 'HAVING needs AGGREGATE BY and WITHIN: it runs once per window and key', rule.having.span);
    }
    if (aggregated && !rule.within && !machine) {
      const span = spanOf(rule.aggregateBy!.map((f) => f.span));
      report('aggregate-without-within', 'AGGREGATE BY needs WITHIN: give the window length and slide, e.g. WITHIN 1:min, 1:min', span);
    }
    if (rule.within && !aggregated && !machine) {
      report('within-without-aggregate', 'WITHIN needs AGGREGATE BY: windows are kept per aggregation key', rule.within.span);
    }
    if (rule.sortBy && !aggregated && !machine) {
      report('sort-without-aggregate', 'SORT BY has no effect without AGGREGATE BY: it orders the events handed to HAVING', rule.sortBy.span, 'warning');
    }

    if (rule.within) {
      const { length, slide } = rule.within;
      const valid = [length, slide].filter((d) => {
        if (d.ms > 0) return true;
        report('invalid-duration', `duration ${show(d)} must be greater than zero`, d.span);
        return false;
      });
      if (valid.length === 2 && slide.ms > length.ms) {
        report(
          'slide-longer-than-window',
          `WITHIN slide ${show(slide)} is longer than the window length ${show(length)}: events between windows would be missed`,
          slide.span,
        );
      } else if (valid.length === 2) {
        checkWindowCost(rule.within, { ...DEFAULT_WINDOW_LIMITS, ...context.windowLimits }, report);
      }
    }

    if (rule.suppress) {
      const { period, by } = rule.suppress;
      if (!(period.ms > 0)) report('invalid-duration', `SUPPRESS FOR ${show(period)} must be greater than zero`, period.span);
      const seen = new Set<string>();
      for (const field of by) {
        if (seen.has(field.field)) report('duplicate-suppress-field', `SUPPRESS BY names '${field.field}' twice`, field.span);
        seen.add(field.field);
      }
    }

    if (context.iocLists) {
      for (const term of rule.iocFilters) {
        if (!context.iocLists.has(term.list)) {
          const known = [...context.iocLists].sort().join(', ');
          report('unknown-ioc-list', `unknown IOC list '${term.list}'${known ? ` (known lists: ${known})` : ' (no IOC lists are loaded)'}`, term.span);
        }
      }
    }

    for (const { key } of ARITY) {
      const fn: JsFunction | undefined = rule[key];
      if (fn) checkRegexes(fn, report);
    }

    for (const { key, clause, example } of ARITY) {
      const fn: JsFunction | undefined = rule[key];
      if (fn && fn.params.length !== 1) {
        report(
          'function-arity',
          `${clause} function must take exactly one parameter, e.g. ${example}; it takes ${fn.params.length}`,
          fn.span,
        );
      }
    }
    return out;
  });
}

type Report = (code: string, message: string, span: Span, severity?: Severity) => void;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAcorn = AcornNode & Record<string, any>;

const STRING_PATTERN_METHODS = new Set(['match', 'matchAll', 'search']);

/** `unsafe-regex` for each pattern of `fn` that no engine runs safely. */
function checkRegexes(fn: JsFunction, report: Report): void {
  const found: { node: AnyAcorn; pattern: string; flags: string }[] = [];
  walkSimple(fn.node as AcornNode, {
    Literal(node: AnyAcorn) {
      if (node.regex) found.push({ node, pattern: node.regex.pattern, flags: node.regex.flags });
    },
    CallExpression(node: AnyAcorn) {
      const callee = node.callee;
      const args = node.arguments as AnyAcorn[];
      const literal = (a: AnyAcorn | undefined) => a?.type === 'Literal' && typeof a.value === 'string';
      const flagsOf = (a: AnyAcorn | undefined) => (a?.type === 'Literal' && typeof a.value === 'string' ? a.value : '');
      if (callee.type === 'MemberExpression' && !callee.computed) {
        const name = callee.property.name as string;
        const isUtils = callee.object.type === 'Identifier' && callee.object.name === 'utils';
        if (isUtils && name === 'matches' && literal(args[1])) found.push({ node: args[1]!, pattern: args[1]!.value, flags: '' });
        else if (!isUtils && STRING_PATTERN_METHODS.has(name) && literal(args[0])) found.push({ node: args[0]!, pattern: args[0]!.value, flags: name === 'matchAll' ? 'g' : '' });
      } else if (callee.type === 'Identifier' && callee.name === 'RegExp' && literal(args[0])) {
        found.push({ node: args[0]!, pattern: args[0]!.value, flags: flagsOf(args[1]) });
      }
    },
    NewExpression(node: AnyAcorn) {
      const args = node.arguments as AnyAcorn[];
      if (node.callee.type === 'Identifier' && node.callee.name === 'RegExp' && args[0]?.type === 'Literal' && typeof args[0].value === 'string') {
        found.push({ node: args[0], pattern: args[0].value, flags: args[1]?.type === 'Literal' && typeof args[1].value === 'string' ? args[1].value : '' });
      }
    },
  });
  for (const { node, pattern, flags } of found) {
    const problem = regexProblem(pattern, flags);
    if (problem) report('unsafe-regex', `regular expression /${pattern}/${flags} ${problem}`, spanIn(fn, node.start, node.end));
  }
}

/** The file span of offsets `start`–`end` of a function's text. */
function spanIn(fn: JsFunction, start: number, end: number): Span {
  const at = (offset: number) => {
    let line = fn.span.start.line;
    let column = fn.span.start.column;
    for (let i = 0; i < offset && i < fn.text.length; i++) {
      if (fn.text.charCodeAt(i) === 10) {
        line++;
        column = 1;
      } else column++;
    }
    return { line, column, offset: fn.span.start.offset + offset };
  };
  return { start: at(start), end: at(end) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** `window-too-costly` when the clause's panes per window or windows per second pass the limits. */
function checkWindowCost(within: NonNullable<RuleAst['within']>, limits: WindowLimits, report: Report): void {
  const { length, slide } = within;
  const clause = `WITHIN ${show(length)}, ${show(slide)}`;
  // Durations are whole milliseconds in the store; a fractional one makes panes 1 ms wide at best.
  const paneMs = Number.isInteger(length.ms) && Number.isInteger(slide.ms) ? gcd(length.ms, slide.ms) : 1;
  const panes = length.ms / paneMs;
  if (panes > limits.maxPanesPerWindow) {
    report(
      'window-too-costly',
      `${clause} keeps ${fmt(panes)} panes per window (length / gcd(length, slide), ${fmt(paneMs)} ms wide); ` +
        `the limit is ${fmt(limits.maxPanesPerWindow)}: use a slide that divides the length and is at least ${fmt(Math.ceil(length.ms / limits.maxPanesPerWindow))} ms`,
      within.span,
    );
  }
  const perSecond = 1000 / slide.ms;
  if (perSecond > limits.maxWindowsPerSecond) {
    report(
      'window-too-costly',
      `${clause} fires ${fmt(perSecond)} windows per key and second of event time; the limit is ${fmt(limits.maxWindowsPerSecond)}: ` +
        `use a slide of at least ${fmt(Math.ceil(1000 / limits.maxWindowsPerSecond))} ms`,
      within.span,
    );
  }
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}

/** The checks of one STATE MACHINE: its place in the rule, its states, transitions and TIMEOUT. */
/**
 * A STATE MACHINE's transition table, states × event types, at most (the engine keeps it dense, in
 * JavaScript while compiling and in WebAssembly while running); and the event types the state table
 * codes (16 bits). The table's limit also keeps states under the state table's 65,534.
 */
export const MAX_MACHINE_TABLE = 1_048_576;
export const MAX_MACHINE_EVENT_TYPES = 65_536;

function checkStateMachine(rule: RuleAst, machine: StateMachine, report: Report): void {
  const at = `STATE MACHINE (line ${machine.span.start.line})`;
  const conflicts: Array<[string, Span | undefined]> = [
    ['AGGREGATE BY', rule.aggregateBy && spanOf(rule.aggregateBy.map((f) => f.span))],
    ['WITHIN', rule.within?.span],
    ['SORT BY', rule.sortBy?.span],
    ['HAVING', rule.having?.span],
  ];
  for (const [clause, span] of conflicts) {
    if (span) {
      report(
        'state-machine-with-aggregate',
        `${clause} cannot be used with ${at}: a rule either aggregates events in windows or runs a state machine`,
        span,
      );
    }
  }

  // The header `STATE MACHINE BY keys ON field`: where problems of the machine as a whole point.
  const header: Span = { start: machine.span.start, end: machine.on.span.end };
  const defined = new Map<string, MachineState>();
  for (const state of machine.states) {
    const first = defined.get(state.name);
    if (state.name === 'TERM') {
      report('term-transitions', 'TERM ends the machine (the key is forgotten): it cannot have transitions of its own', state.span);
      continue;
    }
    if (first) {
      report(
        'duplicate-state',
        `state ${quote(state.name)} is defined twice: first on line ${first.span.start.line}; give all its transitions in one state line`,
        state.span,
      );
      continue;
    }
    defined.set(state.name, state);
  }

  // The engine's transition table is dense (src/engine/state-machine.ts): states × event types.
  const states = new Set<string>(['INITIAL']);
  const events = new Set<string>();
  for (const state of machine.states) {
    if (state.name !== 'TERM') states.add(state.name);
    for (const { event, target } of state.transitions) {
      events.add(event);
      if (target !== 'TERM') states.add(target);
    }
  }
  const cells = states.size * events.size;
  const counted = `STATE MACHINE has ${fmt(states.size)} state${states.size === 1 ? '' : 's'} and ${fmt(events.size)} event types`;
  if (events.size > MAX_MACHINE_EVENT_TYPES) {
    report('state-machine-too-large', `${counted}; the limit is ${fmt(MAX_MACHINE_EVENT_TYPES)} event types`, header);
  } else if (cells > MAX_MACHINE_TABLE) {
    report('state-machine-too-large', `${counted}, a transition table of ${fmt(cells)} entries; the limit is ${fmt(MAX_MACHINE_TABLE)} (states × event types)`, header);
  }

  let undefinedTargets = false;
  for (const state of machine.states) {
    const byEvent = new Map<string, StateTransition>();
    for (const transition of state.transitions) {
      const { event, target } = transition;
      const earlier = byEvent.get(event);
      if (earlier) {
        report(
          'duplicate-transition',
          `duplicate transition from state ${quote(state.name)} on event ${quote(event)} at ${place(transition.span)}: ` +
            `already defined at ${place(earlier.span)} (${quote(event)} -> ${quote(earlier.target)})`,
          transition.span,
        );
      } else {
        byEvent.set(event, transition);
      }
      if (target !== 'TERM' && !defined.has(target)) {
        undefinedTargets = true;
        report(
          'undefined-state',
          `state ${quote(target)} is not defined: add a state line ${quote(target)}: event -> STATE; or end the machine with -> TERM`,
          transition.span,
        );
      }
    }
  }

  if (!defined.has('INITIAL')) {
    report('missing-initial-state', 'STATE MACHINE has no INITIAL state, where every key starts: add a state line INITIAL: event -> STATE;', header);
  } else {
    // Breadth-first from INITIAL over the first definition of each state.
    const reached = new Set<string>(['INITIAL']);
    const queue = ['INITIAL'];
    while (queue.length > 0) {
      for (const { target } of defined.get(queue.shift()!)?.transitions ?? []) {
        if (reached.has(target)) continue;
        reached.add(target);
        if (defined.has(target)) queue.push(target);
      }
    }
    for (const [name, state] of defined) {
      if (!reached.has(name)) {
        report('unreachable-state', `state ${quote(name)} cannot be reached from INITIAL`, state.span, 'warning');
      }
    }
    // A machine with undefined states is unfinished: whether TERM is reached is not known yet.
    if (!reached.has('TERM') && !undefinedTargets) {
      report(
        'unreachable-term',
        'TERM cannot be reached from INITIAL: no sequence of events ends the machine, so ' +
          (machine.timeout ? 'a key is only forgotten after TIMEOUT' : 'without TIMEOUT a key is never forgotten'),
        header,
        'warning',
      );
    }
  }

  if (machine.timeout && !(machine.timeout.ms > 0)) {
    report('invalid-duration', `TIMEOUT ${show(machine.timeout)} must be greater than zero`, machine.timeout.span);
  }
}

/** A state or event name as it can be written back: quoted when it is not a plain name. */
function quote(name: string): string {
  return /^[A-Za-z_$@][\w$@]*$/.test(name) ? name : JSON.stringify(name);
}

function place(span: Span): string {
  return `line ${span.start.line}, column ${span.start.column}`;
}

/**
 * Parses and checks a file: `parseRules` then `checkRules`. `rules` holds only the rules without
 * any error (syntax or semantic; warnings do not remove a rule); `diagnostics` holds everything.
 */
export function compileCheck(
  text: string,
  file = '<input>',
  context: CheckContext = {},
): { rules: RuleAst[]; diagnostics: Diagnostic[] } {
  const parsed = parseRules(text, file);
  const perRule = checkEach(parsed.rules, context);
  return {
    rules: parsed.rules.filter((_, i) => !perRule[i]!.some((d) => d.severity === 'error')),
    diagnostics: sortDiagnostics([...parsed.diagnostics, ...perRule.flat()]),
  };
}

function show(d: Duration): string {
  return `${d.amount}:${d.unit}`;
}

function spanOf(spans: Span[]): Span {
  return { start: spans[0]!.start, end: spans[spans.length - 1]!.end };
}

/** A diagnostic inside `rule`, its excerpt taken from the rule's own text. */
function diagnostic(rule: RuleAst, code: string, message: string, span: Span, severity: Severity): Diagnostic {
  // The offending line from the rule's own text, which starts at its span's line and column (padding
  // the rule's text back to its place in the file cost the rule's line number per diagnostic).
  const inRule = span.start.line - rule.span.start.line;
  const ruleLine = rule.text.split(/\r?\n/, inRule + 1)[inRule] ?? '';
  const source = inRule === 0 ? ' '.repeat(rule.span.start.column - 1) + ruleLine : ruleLine;
  return {
    severity,
    code,
    message,
    file: rule.file,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
    excerpt: caretExcerptOfLine(source, span.start.line, span.start.column, span.end.line, span.end.column),
    rule: rule.name,
  };
}
