/**
 * The expression compiler: a rule function (FILTER, HAVING, SINK) whose body is a pure expression becomes
 * a tree of native closures built by walking its acorn syntax tree — no `eval`, no `new Function`
 * (Cloudflare Workers forbid both). Everything else runs in the sandbox.
 *
 * Promise: for every input, a compiled function returns the same value, or throws an error of the same
 * type, as the same function run as JavaScript. The closures use the host's own operators and call the
 * host's own built-ins, keep JavaScript's evaluation order and short-circuiting, and let errors happen
 * where JavaScript raises them. The one deliberate difference guards against hostile rules: a computed
 * member read (`x[k]`) whose key is `constructor`, `__proto__` or `prototype` (or one of
 * `__defineGetter__`, `__defineSetter__`, `__lookupGetter__`, `__lookupSetter__`) throws a
 * {@link ForbiddenMemberError} (a TypeError) instead of reading it, and static reads of those names do not
 * compile at all — so no compiled function can reach a prototype or a host function's constructor. For
 * the same reason `JSON.stringify` compiles only without a replacer function. Rules that need any of
 * this run in the sandbox.
 *
 * What compiles: see {@link compileFunction}.
 */
import { parseExpressionAt } from 'acorn';
import type * as acorn from 'acorn';
import { UTILS_NAMES, type Utils } from './utils.js';
import { hostRegExp, RegexRefused } from './host-regex.js';
import {
  ARRAY_METHODS,
  CALLBACK_METHODS,
  FORBIDDEN_COMPUTED_KEYS,
  FORBIDDEN_MEMBERS,
  GLOBAL_FUNCTIONS,
  METHOD_IMPLEMENTATIONS,
  NAMESPACES,
  NUMBER_METHODS,
  REGEX_ARGUMENT_METHODS,
  STRING_METHODS,
} from './compile-whitelist.js';

export type CompiledFunction = (...args: unknown[]) => unknown;

/** Where a construct that does not compile sits in the function's text (1-based line and column). */
export interface CompileLocation {
  line: number;
  column: number;
  /** 0-based offset into the function text. */
  offset: number;
}

export type CompileResult =
  | { ok: true; fn: CompiledFunction }
  | { ok: false; reason: string; at?: CompileLocation };

/**
 * Thrown by a compiled function when a computed member read's key is `constructor`, `__proto__`,
 * `prototype` or one of `__defineGetter__`, `__defineSetter__`, `__lookupGetter__`, `__lookupSetter__`.
 * JavaScript would read the property; compiled rules refuse, so data-driven keys cannot walk from a value
 * to its prototype or to a host function's constructor. It only ever fires for hostile rules or data.
 */
export class ForbiddenMemberError extends TypeError {
  constructor(key: string) {
    super(`reading '${key}' is refused in compiled rule functions`);
    this.name = 'ForbiddenMemberError';
  }
}

/**
 * Compiles a rule function to a native closure when its body is a pure expression.
 *
 * Compiles:
 * - `function (p, …) { … }` and arrows with an expression body or a block body. A block may hold
 *   `const`/`let`/`var` declarations (plain identifiers; never reassigned, since assignment does not
 *   compile), `if (…) … else …`, nested blocks, and `return`. Parameters are plain identifiers.
 * - Literals (regex literals only as `/re/.test(x)` or the first argument of `.match`, `.replace`,
 *   `.split`; each is built once, at compile time, on the built-in engine when provably linear there
 *   and on re2js otherwise — see host-regex.ts; the string pattern of `.match('…')` and
 *   `utils.matches(x, '…')` likewise), template literals, identifiers (parameters, locals,
 *   `undefined`, `NaN`, `Infinity`), member reads (`a.b`, `a['b']`, `a[k]`, `?.`), unary
 *   `! - + ~ typeof void`, every binary operator except `instanceof`, `&& || ??`, `?:`, comma, object
 *   and array literals with spread.
 * - Calls of `utils.NAME(…)` (bound to the given `utils`), whitelisted pure methods of strings, arrays
 *   and numbers (see `compile-whitelist.ts`), the array methods `filter map some every find findIndex
 *   reduce` with an arrow callback written in place, `Math.*` (not `random`), `String Number Boolean
 *   parseInt parseFloat isNaN isFinite`, `Array.isArray`, `Object.keys/values/entries`,
 *   `JSON.stringify`, `Number.isInteger/isFinite/isNaN/isSafeInteger/parseInt/parseFloat`.
 *
 * Anything else — loops, assignment, `++`, `delete`, `new`, `this`, `Date.now()`, `Math.random()`,
 * other globals, `x.constructor`, `utils.unknownFn` — gives `{ ok: false, reason }`, where the reason
 * names the construct and its line:column in `fn.text`.
 */
export function compileFunction(
  fn: { text: string; params?: string[]; node: acorn.Node },
  utils: Utils,
  options: CompileOptions = {},
): CompileResult {
  const compiler = new Compiler(fn.text, utils, options.fieldsView === true);
  try {
    return { ok: true, fn: compiler.compileTop(fn.node as acorn.AnyNode) };
  } catch (err) {
    if (err instanceof NotCompiled) {
      const at = locate(fn.text, err.node.start);
      return { ok: false, reason: `${err.construct} at ${at.line}:${at.column} — runs in the sandbox`, at };
    }
    if (err instanceof RangeError) {
      return { ok: false, reason: 'function too deeply nested to compile — runs in the sandbox' };
    }
    throw err;
  }
}

export interface CompileOptions {
  /**
   * `x.fields` of an object without a `fields` field of its own reads as `x` itself: HAVING's window
   * events expose their fields under `e.fields` as rules written for the reference engine expect
   * (the sandbox gives them the same view), without the engine changing the events it was handed.
   */
  fieldsView?: boolean;
}

/** Parses `text` (one function expression) with acorn and compiles it; see {@link compileFunction}. */
export function compileFunctionText(text: string, utils: Utils): CompileResult {
  let node: acorn.Expression;
  try {
    node = parseExpressionAt(text, 0, { ecmaVersion: 'latest' });
  } catch (err) {
    return { ok: false, reason: `syntax error: ${(err as Error).message}` };
  }
  if (!/^(?:\s|;|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/.test(text.slice(node.end))) {
    const at = locate(text, node.end);
    return { ok: false, reason: `syntax error: unexpected text after the function at ${at.line}:${at.column}`, at };
  }
  return compileFunction({ text, node }, utils);
}

// ---------------------------------------------------------------------------------------------------
// Internals

/**
 * The window of the HAVING call running now, for the `fields` view: the sandbox gives only the
 * window's events (the elements of HAVING's argument) a `fields` that reads as the event, so the
 * window array itself, objects inside events and objects the function builds have none. The set is
 * built at the first `.fields` read of a call, so a HAVING that reads none pays nothing.
 */
let fieldsWindow: readonly unknown[] | null = null;
let fieldsWindowEvents: Set<unknown> | null = null;

function isWindowEvent(value: object): boolean {
  if (fieldsWindow === null) return false;
  fieldsWindowEvents ??= new Set(fieldsWindow);
  return fieldsWindowEvents.has(value);
}

/** `fn` with its argument as the window of the `fields` view while it runs (restored after, should calls nest). */
function withFieldsWindow(fn: CompiledFunction): CompiledFunction {
  return (...args: unknown[]) => {
    const outerWindow = fieldsWindow;
    const outerEvents = fieldsWindowEvents;
    fieldsWindow = Array.isArray(args[0]) ? args[0] : null;
    fieldsWindowEvents = null;
    try {
      return fn(...args);
    } finally {
      fieldsWindow = outerWindow;
      fieldsWindowEvents = outerEvents;
    }
  };
}

/**
 * The run-time environment of one function invocation. An unboxed scope (one parameter, no locals,
 * nothing captured by a nested callback) passes its parameter's value itself, so a simple predicate
 * allocates nothing per call. A boxed scope passes an array: slot 0 holds the enclosing scope's
 * environment, slots 1… the parameters and locals.
 */
type Env = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Run = (env: Env) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A compiled expression: its closure, and its value when it is a compile-time constant. */
interface Code {
  run: Run;
  konst: boolean;
  value?: unknown;
  /** True inside an optional chain when this link may yield {@link SHORT}. */
  canShort: boolean;
  /** Shapes the compiler fuses into fewer closures: the environment itself (an unboxed parameter), a slot of it, a field of it. */
  isEnv?: boolean;
  slot?: number;
  field?: string | number;
}

/** What a short-circuited optional chain link yields; the enclosing ChainExpression turns it into `undefined`. */
const SHORT: unique symbol = Symbol('vigil.short');

class NotCompiled extends Error {
  constructor(
    readonly construct: string,
    readonly node: acorn.Node,
  ) {
    super(construct);
  }
}

function locate(text: string, offset: number): CompileLocation {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

function konst(value: unknown): Code {
  if (typeof value === 'string') value = internalize(value);
  return { run: () => value, konst: true, value, canShort: false };
}

/**
 * Returns `s` as V8's internalized copy (property keys are internalized), so comparing it with
 * internalized strings from events is a pointer check. The value is unchanged.
 */
function internalize(s: string): string {
  if (s.length > 256) return s;
  const keys = Object.keys({ [s]: 0 });
  return keys.length === 1 && keys[0] === s ? keys[0] : s;
}

function dyn(run: Run, canShort = false): Code {
  return { run, konst: false, canShort };
}

/** Evaluates `op` on constants at compile time; returns undefined when it throws (the error then happens at run time). */
function fold(op: () => unknown): Code | undefined {
  try {
    return konst(op());
  } catch {
    return undefined;
  }
}

interface Binding {
  scope: FnScope;
  slot: number;
  /** References before this offset are in the temporal dead zone (let/const); 0 for params and vars. */
  readyAt: number;
}

class FnScope {
  /** Slot 0 of a boxed environment holds the enclosing environment. */
  nslots = 1;
  readonly varSlots: number[] = [];
  constructor(readonly boxed: boolean) {}
}

class Lex {
  readonly names = new Map<string, Binding>();
  constructor(
    readonly scope: FnScope,
    readonly parent: Lex | null,
  ) {}

  resolve(name: string): { binding: Binding; depth: number } | undefined {
    let depth = 0;
    for (let lex: Lex | null = this; lex; lex = lex.parent) {
      const b = lex.names.get(name);
      if (b) return { binding: b, depth };
      if (lex.parent && lex.parent.scope !== lex.scope) depth++;
    }
    return undefined;
  }
}

type FunctionNode = acorn.FunctionExpression | acorn.ArrowFunctionExpression;

const CONSTRUCTS: Record<string, string> = {
  WhileStatement: '`while` loop',
  DoWhileStatement: '`do … while` loop',
  ForStatement: '`for` loop',
  ForInStatement: '`for … in` loop',
  ForOfStatement: '`for … of` loop',
  SwitchStatement: '`switch` statement',
  TryStatement: '`try` statement',
  ThrowStatement: '`throw` statement',
  WithStatement: '`with` statement',
  LabeledStatement: 'labeled statement',
  BreakStatement: '`break`',
  ContinueStatement: '`continue`',
  DebuggerStatement: '`debugger`',
  FunctionDeclaration: 'function declaration',
  ClassDeclaration: 'class declaration',
  ExpressionStatement: 'expression statement',
  ThisExpression: '`this`',
  NewExpression: '`new`',
  UpdateExpression: 'increment/decrement',
  AssignmentExpression: 'assignment',
  YieldExpression: '`yield`',
  AwaitExpression: '`await`',
  TaggedTemplateExpression: 'tagged template',
  ClassExpression: 'class expression',
  MetaProperty: 'meta property',
  ImportExpression: '`import()`',
  Super: '`super`',
  FunctionExpression: 'function expression outside a callback argument',
  ArrowFunctionExpression: 'arrow function outside a callback argument',
};

function describe(node: acorn.AnyNode): string {
  switch (node.type) {
    case 'AssignmentExpression':
      return `assignment \`${node.operator}\``;
    case 'UpdateExpression':
      return `\`${node.operator}\``;
    default:
      return CONSTRUCTS[node.type] ?? `\`${node.type}\``;
  }
}

const UTILS_NAME_SET: ReadonlySet<string> = new Set(UTILS_NAMES);

const FN_KEYS = new Set(['type', 'start', 'end', 'loc', 'range']);

/** Names of identifiers referenced anywhere inside `node` (member property names and object keys excluded). */
function referencedNames(node: acorn.Node, out: Set<string>): Set<string> {
  const n = node as acorn.AnyNode;
  if (n.type === 'Identifier') {
    out.add(n.name);
    return out;
  }
  for (const key of Object.keys(n)) {
    if (FN_KEYS.has(key)) continue;
    if (n.type === 'MemberExpression' && key === 'property' && !n.computed) continue;
    if (n.type === 'Property' && key === 'key' && !n.computed) continue;
    const child = (n as unknown as Record<string, unknown>)[key];
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === 'object' && typeof c.type === 'string') referencedNames(c, out);
    } else if (child && typeof child === 'object' && typeof (child as acorn.Node).type === 'string') {
      referencedNames(child as acorn.Node, out);
    }
  }
  return out;
}

/** True when a statement list declares anything (at any block depth, not inside nested functions). */
function declaresLocals(stmts: readonly acorn.AnyNode[]): boolean {
  for (const s of stmts) {
    if (s.type === 'VariableDeclaration') return true;
    if (s.type === 'BlockStatement' && declaresLocals(s.body)) return true;
    if (s.type === 'IfStatement') {
      if (declaresLocals([s.consequent])) return true;
      if (s.alternate && declaresLocals([s.alternate])) return true;
    }
  }
  return false;
}

const undefinedRun: Run = () => undefined;

/** JavaScript's ToPropertyKey for the values a compiled function can hold (no symbols reach it). */
function propertyKey(k: unknown): string | number {
  return typeof k === 'number' || typeof k === 'string' ? k : String(k);
}

function guardKey(k: unknown): string | number {
  const key = propertyKey(k);
  if (typeof key === 'string' && FORBIDDEN_COMPUTED_KEYS.has(key)) throw new ForbiddenMemberError(key);
  return key;
}

/** Defines `key` on a fresh object literal as JavaScript's CreateDataProperty does (`__proto__` included). */
function defineOwn(o: Record<string | number, unknown>, key: string | number, v: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
  } else {
    o[key] = v;
  }
}

/** `{ ...src }`: JavaScript's CopyDataProperties for values without symbol keys. */
/**
 * Object spread. Spreading a string (`{ ...'ab' }`) copies nothing here, where the language copies
 * its characters: QuickJS, which runs the same function in the sandbox, copies nothing, and the two
 * paths must agree. Only primitives differ; objects and arrays spread as JavaScript says.
 */
function copyDataProperties(o: Record<string, unknown>, src: unknown): void {
  if (src === null || src === undefined || typeof src === 'string') return;
  const from = Object(src) as Record<string, unknown>;
  for (const key of Object.keys(from)) defineOwn(o, key, from[key]);
}

function notAFunction(callee: string): never {
  throw new TypeError(`${callee} is not a function`);
}

function notWhitelisted(callee: string, m: unknown): never {
  if (typeof m !== 'function') notAFunction(callee);
  throw new TypeError(`${callee} is not a whitelisted built-in method`);
}

class Compiler {
  /** `var` declarations at the top level of a function body; any other `var` does not compile. */
  private readonly hoisted = new Set<acorn.Node>();

  constructor(
    private readonly text: string,
    private readonly utils: Utils,
    private readonly fieldsView = false,
  ) {}

  private src(node: acorn.Node): string {
    return this.text.slice(node.start, node.end);
  }

  // ---- functions -------------------------------------------------------------------------------

  compileTop(node: acorn.AnyNode): CompiledFunction {
    const fn = this.compileTopFunction(node);
    return this.readsFieldsView ? withFieldsWindow(fn) : fn;
  }

  /** Set once a `.fields` read of the view is compiled: the function then needs its window at hand. */
  private readsFieldsView = false;

  private compileTopFunction(node: acorn.AnyNode): CompiledFunction {
    if (node.type !== 'FunctionExpression' && node.type !== 'ArrowFunctionExpression') {
      throw new NotCompiled(`${describe(node)} (expected a function)`, node);
    }
    const { scope, body, nparams } = this.compileFunctionNode(node, null);
    // Unboxed: the body closure itself takes the one parameter (or ignores its argument when there is none).
    if (!scope.boxed) return body === undefinedRun ? () => undefined : (body as CompiledFunction);
    const template: unknown[] = new Array(scope.nslots).fill(undefined);
    switch (nparams) {
      case 0:
        return () => body(template.slice());
      case 1:
        return (a: unknown) => {
          const env = template.slice();
          env[1] = a;
          return body(env);
        };
      case 2:
        return (a: unknown, b: unknown) => {
          const env = template.slice();
          env[1] = a;
          env[2] = b;
          return body(env);
        };
      default:
        return (...args: unknown[]) => {
          const env = template.slice();
          for (let i = 0; i < nparams; i++) env[i + 1] = args[i];
          return body(env);
        };
    }
  }

  /**
   * Compiles a function's parameters and body. `parent` is the lexical scope the function is written in
   * (null for the rule function itself).
   */
  private compileFunctionNode(
    node: FunctionNode,
    parent: Lex | null,
  ): { scope: FnScope; body: Run; nparams: number } {
    if (node.async) throw new NotCompiled('async function', node);
    if (node.generator) throw new NotCompiled('generator function', node);
    const names: string[] = [];
    for (const p of node.params) {
      if (p.type !== 'Identifier') throw new NotCompiled('parameter pattern (default value, destructuring or rest)', p);
      if (names.includes(p.name)) throw new NotCompiled(`duplicate parameter \`${p.name}\``, p);
      names.push(p.name);
    }
    const block = node.body.type === 'BlockStatement' ? (node.body as acorn.BlockStatement) : null;
    let boxed = names.length > 1 || (block !== null && declaresLocals(block.body as acorn.AnyNode[]));
    if (!boxed && parent) {
      // A callback that reads its enclosing scope's variables needs a link to that environment.
      const own = new Set(names);
      for (const name of referencedNames(node.body, new Set())) {
        if (!own.has(name) && parent.resolve(name)) {
          boxed = true;
          break;
        }
      }
    }
    const scope = new FnScope(boxed);
    const lex = new Lex(scope, parent);
    for (const name of names) lex.names.set(name, { scope, slot: boxed ? scope.nslots++ : 0, readyAt: 0 });
    if (!block) return { scope, body: this.expr(node.body as acorn.AnyNode, lex).run, nparams: names.length };

    const stmts = block.body as acorn.AnyNode[];
    this.hoistVars(stmts, lex, names);
    this.declareLexical(stmts, lex);
    return { scope, body: this.statements(stmts, 0, lex, undefinedRun), nparams: names.length };
  }

  /** `var` declarations at the top of a function body are hoisted (undefined until their declarator runs). */
  private hoistVars(stmts: readonly acorn.AnyNode[], lex: Lex, params: readonly string[]): void {
    const nested = (s: acorn.AnyNode | null | undefined): void => {
      if (!s) return;
      if (s.type === 'VariableDeclaration' && s.kind === 'var') throw new NotCompiled('`var` inside a block', s);
      if (s.type === 'BlockStatement') s.body.forEach((b) => nested(b as acorn.AnyNode));
      if (s.type === 'IfStatement') {
        nested(s.consequent as acorn.AnyNode);
        nested(s.alternate as acorn.AnyNode | null | undefined);
      }
    };
    for (const s of stmts) {
      if (s.type === 'BlockStatement' || s.type === 'IfStatement') nested(s);
      if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') throw new NotCompiled(describe(s), s);
      if (s.type !== 'VariableDeclaration' || s.kind !== 'var') continue;
      this.hoisted.add(s);
      for (const d of s.declarations) {
        if (d.id.type !== 'Identifier') throw new NotCompiled('destructuring declaration', d.id);
        if (params.includes(d.id.name)) throw new NotCompiled(`\`var\` redeclaring parameter \`${d.id.name}\``, d.id);
        if (lex.names.has(d.id.name)) continue;
        const slot = lex.scope.nslots++;
        lex.scope.varSlots.push(slot);
        lex.names.set(d.id.name, { scope: lex.scope, slot, readyAt: 0 });
      }
    }
  }

  /** Declares a block's `let`/`const` names up front: they shadow outer names and are in the TDZ until declared. */
  private declareLexical(stmts: readonly acorn.AnyNode[], lex: Lex): void {
    for (const s of stmts) {
      if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') throw new NotCompiled(describe(s), s);
      if (s.type !== 'VariableDeclaration' || s.kind === 'var') continue;
      for (const d of s.declarations) {
        if (d.id.type !== 'Identifier') throw new NotCompiled('destructuring declaration', d.id);
        lex.names.set(d.id.name, { scope: lex.scope, slot: lex.scope.nslots++, readyAt: d.end });
      }
    }
  }

  // ---- statements ------------------------------------------------------------------------------

  /** Compiles `stmts[i…]`, continuing with `next` when control falls off the end. */
  private statements(stmts: readonly acorn.AnyNode[], i: number, lex: Lex, next: Run): Run {
    if (i >= stmts.length) return next;
    const s = stmts[i];
    switch (s.type) {
      case 'ReturnStatement':
        // Statements after a return never run (var names were hoisted already; functions do not compile).
        return s.argument ? this.expr(s.argument, lex).run : undefinedRun;
      case 'EmptyStatement':
        return this.statements(stmts, i + 1, lex, next);
      case 'ExpressionStatement':
        if (s.directive !== undefined) return this.statements(stmts, i + 1, lex, next);
        throw new NotCompiled(describe(s), s);
      case 'VariableDeclaration': {
        if (s.kind === 'var' && !this.hoisted.has(s)) throw new NotCompiled('`var` inside a block', s);
        let run = this.statements(stmts, i + 1, lex, next);
        for (let d = s.declarations.length - 1; d >= 0; d--) {
          const decl = s.declarations[d];
          const binding = lex.names.get((decl.id as acorn.Identifier).name)!;
          if (!decl.init) {
            if (s.kind === 'var') continue; // `var x;` changes nothing
            const slot = binding.slot;
            const rest = run;
            run = (env) => {
              env[slot] = undefined;
              return rest(env);
            };
            continue;
          }
          const init = this.expr(decl.init, lex).run;
          const slot = binding.slot;
          const rest = run;
          run = (env) => {
            env[slot] = init(env);
            return rest(env);
          };
        }
        return run;
      }
      case 'IfStatement': {
        const rest = this.statements(stmts, i + 1, lex, next);
        const test = this.expr(s.test, lex);
        const yes = this.branch(s.consequent as acorn.AnyNode, lex, rest);
        const no = s.alternate ? this.branch(s.alternate as acorn.AnyNode, lex, rest) : rest;
        if (test.konst) return test.value ? yes : no;
        const t = test.run;
        return (env) => (t(env) ? yes(env) : no(env));
      }
      case 'BlockStatement':
        return this.branch(s, lex, this.statements(stmts, i + 1, lex, next));
      default:
        throw new NotCompiled(describe(s), s);
    }
  }

  private branch(s: acorn.AnyNode, lex: Lex, next: Run): Run {
    if (s.type !== 'BlockStatement') return this.statements([s], 0, lex, next);
    const inner = new Lex(lex.scope, lex);
    const stmts = s.body as acorn.AnyNode[];
    this.declareLexical(stmts, inner);
    return this.statements(stmts, 0, inner, next);
  }

  // ---- expressions -----------------------------------------------------------------------------

  /** Compiles an expression. `chain` is true inside an optional chain (`a?.b.c`), where links may short-circuit. */
  private expr(node: acorn.AnyNode, lex: Lex, chain = false): Code {
    switch (node.type) {
      case 'Literal':
        return this.literal(node);
      case 'Identifier':
        return this.identifier(node, lex);
      case 'ParenthesizedExpression':
        return this.expr(node.expression, lex, chain);
      case 'TemplateLiteral':
        return this.template(node, lex);
      case 'MemberExpression':
        return this.member(node, lex, chain);
      case 'ChainExpression': {
        const inner = this.expr(node.expression, lex, true);
        if (!inner.canShort) return inner;
        const run = inner.run;
        return dyn((env) => {
          const v = run(env);
          return v === SHORT ? undefined : v;
        });
      }
      case 'CallExpression':
        return this.call(node, lex, chain);
      case 'UnaryExpression':
        return this.unary(node, lex);
      case 'BinaryExpression':
        return this.binary(node, lex);
      case 'LogicalExpression':
        return this.logical(node, lex);
      case 'ConditionalExpression': {
        const test = this.expr(node.test, lex);
        const yes = this.expr(node.consequent, lex);
        const no = this.expr(node.alternate, lex);
        if (test.konst) return test.value ? yes : no;
        const t = test.run;
        const y = yes.run;
        const n = no.run;
        return dyn((env) => (t(env) ? y(env) : n(env)));
      }
      case 'SequenceExpression': {
        const parts = node.expressions.map((e) => this.expr(e, lex).run);
        const last = parts.pop()!;
        return dyn((env) => {
          for (let i = 0; i < parts.length; i++) parts[i](env);
          return last(env);
        });
      }
      case 'ArrayExpression':
        return this.array(node, lex);
      case 'ObjectExpression':
        return this.object(node, lex);
      default:
        throw new NotCompiled(describe(node), node);
    }
  }

  private literal(node: acorn.Literal): Code {
    if (node.regex) throw new NotCompiled('regex literal (only `/re/.test(x)` or an argument of `.match/.replace/.split`)', node);
    if (node.bigint !== undefined) throw new NotCompiled('BigInt literal', node);
    return konst(node.value);
  }

  /**
   * A regex literal, built once at compile time; `g`/`y` regexes get `lastIndex = 0` before each use,
   * as a fresh literal would. It runs on the built-in engine only when provably linear there, else
   * on re2js (see host-regex.ts).
   */
  private regex(node: acorn.Literal): Code {
    const { pattern, flags } = node.regex!;
    const re = this.hostRegex(pattern, flags, node);
    if (re.global || re.sticky) {
      return dyn(() => {
        re.lastIndex = 0;
        return re;
      });
    }
    return dyn(() => re);
  }

  private hostRegex(pattern: string, flags: string, node: acorn.Node): RegExp {
    try {
      return hostRegExp(pattern, flags);
    } catch (err) {
      if (err instanceof RegexRefused) throw new NotCompiled(`regular expression /${pattern}/${flags} (${err.message})`, node);
      throw new NotCompiled('regex literal this runtime cannot build', node);
    }
  }

  private identifier(node: acorn.Identifier, lex: Lex): Code {
    const name = node.name;
    const found = lex.resolve(name);
    if (found) {
      const { binding, depth } = found;
      if (node.start < binding.readyAt) {
        return dyn(() => {
          throw new ReferenceError(`Cannot access '${name}' before initialization`);
        });
      }
      const code = dyn(slotReader(depth, binding));
      if (depth === 0 && !binding.scope.boxed) code.isEnv = true;
      else if (depth === 0) code.slot = binding.slot;
      return code;
    }
    switch (name) {
      case 'undefined':
        return konst(undefined);
      case 'NaN':
        return konst(NaN);
      case 'Infinity':
        return konst(Infinity);
    }
    if (name === 'utils' || NAMESPACES.has(name) || GLOBAL_FUNCTIONS.has(name)) {
      throw new NotCompiled(`\`${name}\` used as a value`, node);
    }
    throw new NotCompiled(`unknown identifier \`${name}\``, node);
  }

  private template(node: acorn.TemplateLiteral, lex: Lex): Code {
    const quasis = node.quasis.map((q) => q.value.cooked ?? '');
    const parts = node.expressions.map((e) => this.expr(e, lex));
    if (parts.every((p) => p.konst)) {
      const folded = fold(() => {
        let s = quasis[0];
        for (let i = 0; i < parts.length; i++) s += String(parts[i].value) + quasis[i + 1];
        return s;
      });
      if (folded) return folded;
    }
    const runs = parts.map((p) => p.run);
    if (runs.length === 1) {
      const [q0, q1] = quasis;
      const e0 = runs[0];
      return dyn((env) => q0 + String(e0(env)) + q1);
    }
    return dyn((env) => {
      let s = quasis[0];
      for (let i = 0; i < runs.length; i++) s += String(runs[i](env)) + quasis[i + 1];
      return s;
    });
  }

  /** The static key of a member expression (`a.b`, `a['b']`, `a[0]`), or undefined when computed at run time. */
  private staticKey(node: acorn.MemberExpression): string | number | undefined {
    const p = node.property as acorn.AnyNode;
    if (!node.computed) {
      if (p.type === 'PrivateIdentifier') throw new NotCompiled('private name', p);
      return (p as acorn.Identifier).name;
    }
    if (p.type === 'Literal' && (typeof p.value === 'string' || typeof p.value === 'number')) return p.value;
    return undefined;
  }

  /**
   * A member's key: static (`a.b`, `a['b']`, `a[0]`, or a computed key that folds to a constant, such as
   * `a['x_' + 1]`) or, when computed at run time, its compiled key expression.
   */
  private memberKey(node: acorn.MemberExpression, lex: Lex): { key?: string | number; code?: Code } {
    // Keys are internalized: a keyed load with a non-internalized string key looks it up in the string table every time.
    const key = this.staticKey(node);
    if (key !== undefined || !node.computed) return { key: typeof key === 'string' ? internalize(key) : key };
    const code = this.expr(node.property as acorn.AnyNode, lex);
    if (!code.konst) return { code };
    return { key: typeof code.value === 'number' ? code.value : internalize(String(code.value)) };
  }

  private member(node: acorn.MemberExpression, lex: Lex, chain: boolean): Code {
    if (node.object.type === 'Super') throw new NotCompiled(describe(node.object), node.object);
    const { key, code: keyCode } = this.memberKey(node, lex);
    if (key !== undefined && typeof key === 'string' && FORBIDDEN_MEMBERS.has(key)) {
      throw new NotCompiled(`member \`.${key}\``, node.property);
    }
    const ns = this.namespace(node.object as acorn.AnyNode, lex);
    if (ns) {
      const [nsName, namespace] = ns;
      const name = String(key);
      if (key !== undefined && namespace.constants.has(name)) return konst(namespace.constants.get(name));
      if (key !== undefined && namespace.refused.has(name)) {
        throw new NotCompiled(`\`${nsName}.${name}\` (${namespace.refused.get(name)})`, node);
      }
      throw new NotCompiled(`\`${this.src(node)}\` used as a value`, node);
    }
    if (this.isUtils(node.object as acorn.AnyNode, lex)) throw new NotCompiled(`\`${this.src(node)}\` used as a value`, node);

    const obj = this.expr(node.object as acorn.AnyNode, lex, chain);
    const optional = chain && node.optional;
    const shortIn = obj.canShort;
    const o = obj.run;
    if (key === 'fields' && this.fieldsView) {
      this.readsFieldsView = true;
      return dyn((env) => {
        const v = o(env);
        if (v === SHORT || (optional && (v === null || v === undefined))) return SHORT;
        return v !== null && typeof v === 'object' && !Object.hasOwn(v, 'fields') && isWindowEvent(v) ? v : v.fields;
      }, optional || shortIn);
    }
    if (key !== undefined) {
      if (obj.konst && typeof obj.value === 'string') {
        const s = obj.value;
        const folded = fold(() => (s as unknown as Record<string | number, unknown>)[key]);
        if (folded) return folded;
      }
      if (optional) {
        return dyn((env) => {
          const v = o(env);
          return v === SHORT || v === null || v === undefined ? SHORT : v[key];
        }, true);
      }
      if (shortIn) {
        return dyn((env) => {
          const v = o(env);
          return v === SHORT ? SHORT : v[key];
        }, true);
      }
      if (obj.isEnv) {
        const code = dyn((env) => env[key]);
        code.field = key;
        return code;
      }
      if (obj.slot !== undefined) {
        const slot = obj.slot;
        return dyn((env) => env[slot][key]);
      }
      return dyn((env) => o(env)[key]);
    }
    const k = keyCode!.run;
    if (optional || shortIn) {
      return dyn((env) => {
        const v = o(env);
        if (v === SHORT || (optional && (v === null || v === undefined))) return SHORT;
        return v[guardKey(k(env))];
      }, true);
    }
    return dyn((env) => {
      const v = o(env);
      const kv = k(env);
      if (typeof kv === 'number') return v[kv];
      return v[guardKey(kv)];
    });
  }

  /** When `node` is an unshadowed global namespace identifier (`Math`, `Object`…), its name and description. */
  private namespace(node: acorn.AnyNode, lex: Lex) {
    if (node.type !== 'Identifier' || lex.resolve(node.name)) return undefined;
    const ns = NAMESPACES.get(node.name);
    return ns ? ([node.name, ns] as const) : undefined;
  }

  private isUtils(node: acorn.AnyNode, lex: Lex): boolean {
    return node.type === 'Identifier' && node.name === 'utils' && !lex.resolve('utils');
  }

  // ---- operators -------------------------------------------------------------------------------

  private unary(node: acorn.UnaryExpression, lex: Lex): Code {
    if (node.operator === 'delete') throw new NotCompiled('`delete`', node);
    const arg = this.expr(node.argument, lex);
    const op = UNARY[node.operator];
    if (arg.konst) {
      const v = arg.value;
      const folded = fold(() => op(v));
      if (folded) return folded;
    }
    const a = arg.run;
    switch (node.operator) {
      case '!':
        return dyn((env) => !a(env));
      case '-':
        return dyn((env) => -a(env));
      case '+':
        return dyn((env) => +a(env));
      case '~':
        return dyn((env) => ~a(env));
      case 'typeof':
        return dyn((env) => typeof a(env));
      case 'void':
        return dyn((env) => void a(env));
    }
  }

  private binary(node: acorn.BinaryExpression, lex: Lex): Code {
    if (node.left.type === 'PrivateIdentifier') throw new NotCompiled('private name', node.left);
    if (node.operator === 'instanceof') throw new NotCompiled('`instanceof`', node);
    const left = this.expr(node.left, lex);
    const right = this.expr(node.right, lex);
    const op = BINARY[node.operator];
    if (left.konst && right.konst) {
      const a = left.value;
      const b = right.value;
      const folded = fold(() => op(a, b));
      if (folded) return folded;
    }
    if (right.konst && left.field !== undefined) {
      const fused = fieldConst(node.operator, left.field, right.value);
      if (fused) return dyn(fused);
    }
    if (right.konst) return dyn(binaryConst(node.operator, left.run, right.value));
    return dyn(binaryRun(node.operator, left.run, right.run));
  }

  private logical(node: acorn.LogicalExpression, lex: Lex): Code {
    const left = this.expr(node.left, lex);
    const right = this.expr(node.right, lex);
    if (left.konst) {
      const v = left.value;
      switch (node.operator) {
        case '&&':
          return v ? right : left;
        case '||':
          return v ? left : right;
        case '??':
          return v === null || v === undefined ? right : left;
      }
    }
    const l = left.run;
    const r = right.run;
    switch (node.operator) {
      case '&&':
        return dyn((env) => l(env) && r(env));
      case '||':
        return dyn((env) => l(env) || r(env));
      case '??':
        return dyn((env) => l(env) ?? r(env));
    }
  }

  // ---- literals --------------------------------------------------------------------------------

  private array(node: acorn.ArrayExpression, lex: Lex): Code {
    type Item = { kind: 'value' | 'spread' | 'hole'; run: Run };
    const items: Item[] = node.elements.map((el) => {
      if (el === null) return { kind: 'hole', run: undefinedRun };
      if (el.type === 'SpreadElement') return { kind: 'spread', run: this.expr(el.argument, lex).run };
      return { kind: 'value', run: this.expr(el, lex).run };
    });
    if (items.every((it) => it.kind === 'value')) {
      const runs = items.map((it) => it.run);
      return dyn((env) => {
        const out = new Array(runs.length);
        for (let i = 0; i < runs.length; i++) out[i] = runs[i](env);
        return out;
      });
    }
    return dyn((env) => {
      const out: unknown[] = [];
      for (const it of items) {
        if (it.kind === 'value') out.push(it.run(env));
        else if (it.kind === 'hole') out.length++;
        else for (const v of it.run(env) as Iterable<unknown>) out.push(v);
      }
      return out;
    });
  }

  private object(node: acorn.ObjectExpression, lex: Lex): Code {
    type Part =
      | { kind: 'static'; key: string; value: Run }
      | { kind: 'computed'; key: Run; value: Run }
      | { kind: 'spread'; value: Run };
    const parts: Part[] = [];
    for (const p of node.properties) {
      if (p.type === 'SpreadElement') {
        parts.push({ kind: 'spread', value: this.expr(p.argument, lex).run });
        continue;
      }
      if (p.kind !== 'init' || p.method) throw new NotCompiled(p.method ? 'method in an object literal' : 'getter/setter', p);
      if (p.computed) {
        parts.push({ kind: 'computed', key: this.expr(p.key as acorn.AnyNode, lex).run, value: this.expr(p.value, lex).run });
        continue;
      }
      const k = p.key as acorn.AnyNode;
      let key: string;
      if (k.type === 'Identifier') key = k.name;
      else if (k.type === 'Literal' && k.bigint === undefined && !k.regex) key = String(k.value);
      else throw new NotCompiled('object key', k);
      if (key === '__proto__') throw new NotCompiled('`__proto__` in an object literal', k);
      parts.push({ kind: 'static', key: internalize(key), value: this.expr(p.value, lex).run });
    }
    if (parts.every((p) => p.kind === 'static')) {
      const keys = parts.map((p) => (p as { key: string }).key);
      const values = parts.map((p) => p.value);
      return dyn((env) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) o[keys[i]] = values[i](env);
        return o;
      });
    }
    return dyn((env) => {
      const o: Record<string | number, unknown> = {};
      for (const p of parts) {
        if (p.kind === 'static') o[p.key] = p.value(env);
        else if (p.kind === 'spread') copyDataProperties(o, p.value(env));
        else {
          const key = propertyKey(p.key(env));
          defineOwn(o, key, p.value(env));
        }
      }
      return o;
    });
  }

  // ---- calls -----------------------------------------------------------------------------------

  private call(node: acorn.CallExpression, lex: Lex, chain: boolean): Code {
    let callee = node.callee as acorn.AnyNode;
    while (callee.type === 'ParenthesizedExpression') callee = callee.expression;
    if (callee.type === 'Identifier' && !lex.resolve(callee.name) && GLOBAL_FUNCTIONS.has(callee.name)) {
      return this.hostCall(GLOBAL_FUNCTIONS.get(callee.name)!, undefined, node, lex);
    }
    if (callee.type !== 'MemberExpression') {
      // Compiling the callee first reports what is wrong inside it (`x.constructor`, an unknown name…).
      this.expr(callee, lex);
      throw new NotCompiled(`call of \`${this.src(callee)}\` (only utils, whitelisted methods and pure globals)`, callee);
    }
    const { key } = this.memberKey(callee, lex);
    const object = callee.object as acorn.AnyNode;
    if (key === undefined) throw new NotCompiled('computed method call', callee);
    const name = String(key);
    if (FORBIDDEN_MEMBERS.has(name)) throw new NotCompiled(`member \`.${name}\``, callee.property);

    if (this.isUtils(object, lex)) {
      if (!UTILS_NAME_SET.has(name) || !Object.prototype.hasOwnProperty.call(this.utils, name)) {
        throw new NotCompiled(`\`utils.${name}\` (not a utils function)`, callee);
      }
      const fn = (this.utils as unknown as Record<string, Function>)[name];
      const pattern = node.arguments[1] as acorn.AnyNode | undefined;
      if (name === 'matches' && node.arguments.length === 2 && pattern?.type === 'Literal' && typeof pattern.value === 'string') {
        return this.matchesLiteral(node, pattern.value, lex);
      }
      return this.hostCall(fn, this.utils, node, lex);
    }
    const ns = this.namespace(object, lex);
    if (ns) {
      const [nsName, namespace] = ns;
      const fn = namespace.functions.get(name);
      if (fn) return this.hostCall(fn, namespace.object, node, lex);
      const why = namespace.refused.get(name);
      throw new NotCompiled(`\`${nsName}.${name}()\`${why ? ` (${why})` : ' (not whitelisted)'}`, callee);
    }
    if (object.type === 'Identifier' && !lex.resolve(object.name) && GLOBAL_FUNCTIONS.has(object.name)) {
      throw new NotCompiled(`\`${object.name}.${name}()\` (not whitelisted)`, callee);
    }

    if (object.type === 'Literal' && object.regex) {
      if (name !== 'test') throw new NotCompiled(`regex method \`.${name}()\` (only \`.test\`)`, callee);
      return this.methodCall(node, this.regex(object), name, lex, chain);
    }
    if (CALLBACK_METHODS.has(name)) return this.callbackCall(node, this.expr(object, lex, chain), name, lex, chain);
    if (STRING_METHODS.has(name) || ARRAY_METHODS.has(name) || NUMBER_METHODS.has(name)) {
      return this.methodCall(node, this.expr(object, lex, chain), name, lex, chain);
    }
    throw new NotCompiled(`method \`.${name}()\` (not whitelisted)`, callee);
  }

  /**
   * `utils.matches(x, 'pattern')` with the pattern built once on the engine host-regex.ts chooses;
   * otherwise exactly `utils.matches`: false for null and undefined, else a test of `String(x)`.
   */
  private matchesLiteral(node: acorn.CallExpression, pattern: string, lex: Lex): Code {
    const re = this.hostRegex(pattern, '', node.arguments[1]!);
    const subject = this.expr(node.arguments[0] as acorn.Expression, lex);
    const k = subject.field;
    if (k !== undefined) {
      return dyn((env) => {
        const s = env[k];
        return s === null || s === undefined ? false : re.test(String(s));
      });
    }
    const run = subject.run;
    return dyn((env) => {
      const s = run(env);
      return s === null || s === undefined ? false : re.test(String(s));
    });
  }

  /** Compiles call arguments; `regexFirst` lets the first one be a regex literal. Returns an evaluator of the argument list. */
  private args(
    nodes: readonly (acorn.Expression | acorn.SpreadElement)[],
    lex: Lex,
    regexFirst: boolean,
    stringPatternFirst = false,
  ): { codes: Code[]; runs: Run[]; spread: boolean[] } {
    const codes: Code[] = [];
    const spread: boolean[] = [];
    nodes.forEach((n, i) => {
      const a = n as acorn.AnyNode;
      if (a.type === 'SpreadElement') {
        codes.push(this.expr(a.argument, lex));
        spread.push(true);
      } else if (i === 0 && regexFirst && a.type === 'Literal' && a.regex) {
        codes.push(this.regex(a));
        spread.push(false);
      } else if (i === 0 && stringPatternFirst && a.type === 'Literal' && typeof a.value === 'string') {
        // `s.match('p')` compiles 'p' with `new RegExp`: built here instead, on the engine host-regex.ts picks.
        const re = this.hostRegex(a.value, '', a);
        codes.push(dyn(() => re));
        spread.push(false);
      } else {
        codes.push(this.expr(a, lex));
        spread.push(false);
      }
    });
    return { codes, runs: codes.map((c) => c.run), spread };
  }

  /** A call of a fixed host function (utils, a pure global) with the given `this`. */
  private hostCall(fn: Function, self: unknown, node: acorn.CallExpression, lex: Lex): Code {
    if (fn === JSON.stringify && node.arguments.length >= 2) {
      // A replacer function is called with the object being serialized as `this`: a host method read
      // from data (`e.tags.pop`) would then mutate the event. Only `null`, `undefined` or an array literal.
      const r = node.arguments[1] as acorn.AnyNode;
      const inert =
        (r.type === 'Literal' && r.value === null && !r.regex) ||
        (r.type === 'Identifier' && r.name === 'undefined' && !lex.resolve('undefined')) ||
        r.type === 'ArrayExpression';
      if (!inert) throw new NotCompiled('`JSON.stringify` replacer other than null or an array literal', r);
    }
    const { codes, runs, spread } = this.args(node.arguments, lex, false);
    if (spread.includes(true)) {
      const list = argList(runs, spread);
      return dyn((env) => fn.apply(self, list(env)));
    }
    const f = fn as (this: unknown, ...args: unknown[]) => unknown;
    switch (runs.length) {
      case 0:
        return dyn(() => f.call(self));
      case 1: {
        const [a] = runs;
        return dyn((env) => f.call(self, a(env)));
      }
      case 2: {
        const [a, b] = runs;
        if (codes[1].konst) {
          // `utils.matches(event.x, 'pattern')`: the common shape, in one closure when possible.
          const c = codes[1].value;
          const k = codes[0].field;
          if (k !== undefined) return dyn((env) => f.call(self, env[k], c));
          return dyn((env) => f.call(self, a(env), c));
        }
        return dyn((env) => f.call(self, a(env), b(env)));
      }
      case 3: {
        const [a, b, c] = runs;
        return dyn((env) => f.call(self, a(env), b(env), c(env)));
      }
      default: {
        const list = argList(runs, spread);
        return dyn((env) => f.apply(self, list(env)));
      }
    }
  }

  /**
   * `recv.name(args)` for a whitelisted method: reads `recv.name` as JavaScript does (TypeError on
   * null/undefined), evaluates the arguments, then invokes the method only if it is one of the
   * whitelisted built-ins for that name — otherwise throws JavaScript's `… is not a function`.
   */
  private methodCall(node: acorn.CallExpression, recv: Code, name: string, lex: Lex, chain: boolean): Code {
    const callee = node.callee as acorn.MemberExpression;
    const calleeText = this.src(callee);
    const impls = METHOD_IMPLEMENTATIONS.get(name) ?? [];
    const m1 = impls[0];
    const m2 = impls[1] ?? m1;
    const m3 = impls[2] ?? m1;
    const m4 = impls[3] ?? m1;
    const { codes, runs, spread } = this.args(node.arguments, lex, REGEX_ARGUMENT_METHODS.has(name), name === 'match');
    const optMember = chain && callee.optional;
    const optCall = chain && node.optional;
    const r = recv.run;
    const canShort = recv.canShort || optMember || optCall;
    // Up to four implementations are compared inline; `toString` has five (string, array, number, object, boolean).
    const few = impls.length <= 4;
    const check = (m: unknown): void => {
      if (m !== m1 && m !== m2 && m !== m3 && m !== m4 && (few || !impls.includes(m as Function))) {
        notWhitelisted(calleeText, m);
      }
    };
    const hasSpread = spread.includes(true);
    if (!canShort && !hasSpread && runs.length <= 2) {
      if (runs.length === 0) {
        return dyn((env) => {
          const o = r(env);
          const m = o[name];
          if (m !== m1 && m !== m2 && m !== m3 && m !== m4) check(m);
          return m.call(o);
        });
      }
      if (runs.length === 1) {
        if (codes[0].konst) {
          // `x.includes('admin')`: the argument is a constant.
          const c = codes[0].value;
          return dyn((env) => {
            const o = r(env);
            const m = o[name];
            if (m !== m1 && m !== m2 && m !== m3 && m !== m4) check(m);
            return m.call(o, c);
          });
        }
        const [a] = runs;
        return dyn((env) => {
          const o = r(env);
          const m = o[name];
          const av = a(env);
          if (m !== m1 && m !== m2 && m !== m3 && m !== m4) check(m);
          return m.call(o, av);
        });
      }
      const [a, b] = runs;
      return dyn((env) => {
        const o = r(env);
        const m = o[name];
        const av = a(env);
        const bv = b(env);
        if (m !== m1 && m !== m2 && m !== m3 && m !== m4) check(m);
        return m.call(o, av, bv);
      });
    }
    const list = argList(runs, spread);
    return dyn((env) => {
      const o = r(env);
      if (o === SHORT) return SHORT;
      if (optMember && (o === null || o === undefined)) return SHORT;
      const m = o[name];
      if (optCall && (m === null || m === undefined)) return SHORT;
      const args = list(env);
      check(m);
      return m.apply(o, args);
    }, canShort);
  }

  /**
   * `arr.filter(x => …)` and the other callback methods: the callback is compiled in place and handed to
   * the host's own `Array.prototype` method, so iteration, holes and argument passing are JavaScript's.
   */
  private callbackCall(node: acorn.CallExpression, recv: Code, name: string, lex: Lex, chain: boolean): Code {
    const callee = node.callee as acorn.MemberExpression;
    const calleeText = this.src(callee);
    const first = node.arguments[0] as acorn.AnyNode | undefined;
    if (!first || (first.type !== 'ArrowFunctionExpression' && first.type !== 'FunctionExpression')) {
      throw new NotCompiled(`\`.${name}()\` without an arrow function written in place as its callback`, first ?? node);
    }
    const makeCallback = this.callback(first, lex);
    const rest = this.args(node.arguments.slice(1), lex, false);
    const extra = argList(rest.runs, rest.spread);
    const impl = METHOD_IMPLEMENTATIONS.get(name)![0];
    const optMember = chain && callee.optional;
    const optCall = chain && node.optional;
    const r = recv.run;
    const canShort = recv.canShort || optMember || optCall;
    if (!canShort && rest.runs.length === 0) {
      return dyn((env) => {
        const o = r(env);
        const m = o[name];
        const cb = makeCallback(env);
        if (m !== impl) notWhitelisted(calleeText, m);
        return m.call(o, cb);
      });
    }
    return dyn((env) => {
      const o = r(env);
      if (o === SHORT) return SHORT;
      if (optMember && (o === null || o === undefined)) return SHORT;
      const m = o[name];
      if (optCall && (m === null || m === undefined)) return SHORT;
      const cb = makeCallback(env);
      const args = extra(env);
      if (m !== impl) notWhitelisted(calleeText, m);
      return m.call(o, cb, ...args);
    }, canShort);
  }

  /**
   * Compiles a callback; returns a factory that, given the enclosing environment, yields the host
   * function to pass. An unboxed callback (one parameter, no locals, no outer variables) is one static
   * function; a boxed one gets one environment per method call, reused across elements (the callback
   * runs synchronously and nothing can keep its environment).
   */
  private callback(node: FunctionNode, lex: Lex): (env: Env) => (...args: unknown[]) => unknown {
    const { scope, body, nparams } = this.compileFunctionNode(node, lex);
    if (!scope.boxed) {
      // The body takes its one parameter as its environment and ignores the index and array arguments.
      const cb = body as (...args: unknown[]) => unknown;
      return () => cb;
    }
    const template: unknown[] = new Array(scope.nslots).fill(undefined);
    const vars = scope.varSlots;
    const resetVars = vars.length > 0;
    return (env) => {
      const frame = template.slice();
      frame[0] = env;
      return (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
        if (resetVars) for (let i = 0; i < vars.length; i++) frame[vars[i]] = undefined;
        if (nparams > 0) frame[1] = a;
        if (nparams > 1) frame[2] = b;
        if (nparams > 2) frame[3] = c;
        if (nparams > 3) frame[4] = d;
        return body(frame);
      };
    };
  }
}

/** A reader of a variable `depth` function scopes out. */
function slotReader(depth: number, binding: Binding): Run {
  const slot = binding.slot;
  if (!binding.scope.boxed) {
    if (depth === 0) return (env) => env;
    if (depth === 1) return (env) => env[0];
    if (depth === 2) return (env) => env[0][0];
  } else {
    if (depth === 0) return (env) => env[slot];
    if (depth === 1) return (env) => env[0][slot];
    if (depth === 2) return (env) => env[0][0][slot];
  }
  const boxed = binding.scope.boxed;
  return (env) => {
    let e = env;
    for (let i = 0; i < depth; i++) e = e[0];
    return boxed ? e[slot] : e;
  };
}

/** Evaluates an argument list in order, expanding spreads with the host's iteration. */
function argList(runs: readonly Run[], spread: readonly boolean[]): (env: Env) => unknown[] {
  if (!spread.includes(true)) {
    return (env) => {
      const out = new Array(runs.length);
      for (let i = 0; i < runs.length; i++) out[i] = runs[i](env);
      return out;
    };
  }
  return (env) => {
    const out: unknown[] = [];
    for (let i = 0; i < runs.length; i++) {
      const v = runs[i](env);
      if (spread[i]) for (const x of v as Iterable<unknown>) out.push(x);
      else out.push(v);
    }
    return out;
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const UNARY: Record<Exclude<acorn.UnaryOperator, 'delete'>, (a: any) => unknown> = {
  '!': (a) => !a,
  '-': (a) => -a,
  '+': (a) => +a,
  '~': (a) => ~a,
  typeof: (a) => typeof a,
  void: () => undefined,
};

const BINARY: Record<Exclude<acorn.BinaryOperator, 'instanceof'>, (a: any, b: any) => unknown> = {
  '==': (a, b) => a == b,
  '!=': (a, b) => a != b,
  '===': (a, b) => a === b,
  '!==': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<<': (a, b) => a << b,
  '>>': (a, b) => a >> b,
  '>>>': (a, b) => a >>> b,
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '**': (a, b) => a ** b,
  '|': (a, b) => a | b,
  '^': (a, b) => a ^ b,
  '&': (a, b) => a & b,
  in: (a, b) => a in b,
};

/** `l OP r`, both evaluated at run time, left first. Each operator gets its own closure so the host operator is inlined. */
function binaryRun(op: acorn.BinaryOperator, l: Run, r: Run): Run {
  switch (op) {
    case '==': return (env) => l(env) == r(env);
    case '!=': return (env) => l(env) != r(env);
    case '===': return (env) => l(env) === r(env);
    case '!==': return (env) => l(env) !== r(env);
    case '<': return (env) => l(env) < r(env);
    case '<=': return (env) => l(env) <= r(env);
    case '>': return (env) => l(env) > r(env);
    case '>=': return (env) => l(env) >= r(env);
    case '<<': return (env) => l(env) << r(env);
    case '>>': return (env) => l(env) >> r(env);
    case '>>>': return (env) => l(env) >>> r(env);
    case '+': return (env) => l(env) + r(env);
    case '-': return (env) => l(env) - r(env);
    case '*': return (env) => l(env) * r(env);
    case '/': return (env) => l(env) / r(env);
    case '%': return (env) => l(env) % r(env);
    case '**': return (env) => l(env) ** r(env);
    case '|': return (env) => l(env) | r(env);
    case '^': return (env) => l(env) ^ r(env);
    case '&': return (env) => l(env) & r(env);
    case 'in': return (env) => l(env) in r(env);
    default: throw new Error(`unexpected operator ${op}`);
  }
}

/** `l OP c` with a constant right operand. */
function binaryConst(op: acorn.BinaryOperator, l: Run, c: any): Run {
  switch (op) {
    case '==': return (env) => l(env) == c;
    case '!=': return (env) => l(env) != c;
    case '===': return (env) => l(env) === c;
    case '!==': return (env) => l(env) !== c;
    case '<': return (env) => l(env) < c;
    case '<=': return (env) => l(env) <= c;
    case '>': return (env) => l(env) > c;
    case '>=': return (env) => l(env) >= c;
    case '+': return (env) => l(env) + c;
    case '-': return (env) => l(env) - c;
    case '*': return (env) => l(env) * c;
    case '/': return (env) => l(env) / c;
    case '%': return (env) => l(env) % c;
    default: return binaryRun(op, l, () => c);
  }
}
/** `env[field] OP c`: a comparison of an unboxed parameter's field with a constant, in one closure. */
function fieldConst(op: acorn.BinaryOperator, k: string | number, c: any): Run | undefined {
  switch (op) {
    case '==': return (env) => env[k] == c;
    case '!=': return (env) => env[k] != c;
    case '===': return (env) => env[k] === c;
    case '!==': return (env) => env[k] !== c;
    case '<': return (env) => env[k] < c;
    case '<=': return (env) => env[k] <= c;
    case '>': return (env) => env[k] > c;
    case '>=': return (env) => env[k] >= c;
    default: return undefined;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
