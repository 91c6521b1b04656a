/**
 * The rule AST: what the VGL parser produces and the engine compiles.
 * Positions are 1-based lines and 1-based columns, as editors show them.
 */
import type { Node as AcornNode } from 'acorn';

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units). */
  column: number;
  /** 0-based offset into the file text. */
  offset: number;
}

export interface Span {
  start: Position;
  end: Position;
}

/** A JavaScript function written inside a rule (FILTER, HAVING, SINK). */
export interface JsFunction {
  /** The function's source text exactly as written, e.g. `function (e) { return e.x == 1; }`. */
  text: string;
  /** The function's own name when it has one (`function isAdmin(e) {…}`). */
  name?: string;
  /** Parameter names, in order. Destructuring patterns are given as their source text. */
  params: string[];
  /** The acorn node of the function (FunctionExpression or ArrowFunctionExpression), offsets relative to `text`. */
  node: AcornNode;
  span: Span;
}

/** `SOURCES field = "v"` or `field = ["v1", "v2"]`. */
export interface SourceSelector {
  field: string;
  values: string[];
  span: Span;
}

/** One term of IOC FILTERS: `in list(field)` or `not in list(field)`. */
export interface IocTerm {
  negated: boolean;
  list: string;
  field: string;
  span: Span;
}

export type TimeUnit = 'ms' | 'sec' | 'min' | 'h' | 'd';

export interface Duration {
  amount: number;
  unit: TimeUnit;
  ms: number;
  span: Span;
}

export interface Within {
  length: Duration;
  slide: Duration;
  span: Span;
}

export interface FieldRef {
  /** A field path; dots reach into nested objects (`source.ip`), a flat key with the same name wins. */
  field: string;
  span: Span;
}

export interface SortBy extends FieldRef {
  descending: boolean;
}

/** One transition of a state line: `event -> TARGET`. */
export interface StateTransition {
  /**
   * The value of the ON field that takes this transition, as written: an identifier (`SYN`), a
   * quoted string (`"SYN-ACK"`, unquoted here) or a number (`4625`, kept as its text).
   */
  event: string;
  /** The state this event leads to: a state name, `INITIAL`, or `TERM` (the key is forgotten). */
  target: string;
  /** From the event to the target. */
  span: Span;
}

/** One state line: `NAME: event -> TARGET, event -> TARGET;`. */
export interface MachineState {
  /**
   * The state's name. The keywords `INITIAL` and `TERM` (any case, unquoted) are given in upper
   * case; other names exactly as written, quoted or not (names are case-sensitive).
   */
  name: string;
  /** The state's name at the start of its line (where diagnostics about the state point). */
  span: Span;
  transitions: StateTransition[];
}

/**
 * `STATE MACHINE BY keys ON field` with its state lines, `TIMEOUT` and `RESET ON ALERT`: one
 * machine per key, moved by the value of the `on` field of each event.
 */
export interface StateMachine {
  /** The key of the machines: one machine per distinct combination of these fields' values. */
  keyFields: FieldRef[];
  /** The field whose value is the event name that picks the transition. */
  on: FieldRef;
  /** In the order written; `INITIAL` is the start state. */
  states: MachineState[];
  /** A key without an event for this long is forgotten (event time with USING, else processing time). */
  timeout?: Duration;
  /** `RESET ON ALERT`: a key goes back to INITIAL after it raises an alert. */
  resetOnAlert: boolean;
  /** The STATE MACHINE clause, from STATE to the `;` of its last state line. */
  span: Span;
}

export interface RuleAst {
  name: string;
  nameSpan: Span;
  /** The whole rule, from RULE to the end of its last clause. */
  span: Span;
  /** The rule's source text (the slice of the file covered by span). */
  text: string;
  file: string;
  /** Selectors are ANDed: an event reaches the rule when every selector matches. */
  sources: SourceSelector[];
  filter?: JsFunction;
  iocFilters: IocTerm[];
  using?: FieldRef;
  aggregateBy?: FieldRef[];
  within?: Within;
  sortBy?: SortBy;
  having?: JsFunction;
  /** STATE MACHINE (with TIMEOUT and RESET ON ALERT); a rule has either this or AGGREGATE BY. */
  stateMachine?: StateMachine;
  sink: JsFunction;
  /** `SUPPRESS FOR d [BY fields]`: what SINK gives is raised once per period and key. */
  suppress?: Suppression;
}

/**
 * `SUPPRESS FOR period BY fields`: after an alert, the rule's alerts with the same key stay quiet
 * for the period, except one whose count is higher than the last one raised (it says by how much).
 */
export interface Suppression {
  period: Duration;
  /** Fields of the alert (what SINK returned) that make the key; none: the rule's own key. */
  by: FieldRef[];
  span: Span;
}
