/**
 * What keeps a natively compiled function bounded. Native closures run without the sandbox's CPU
 * deadline or memory limit, so a function is compiled natively only when this analysis proves that
 * its time and allocation are linear in the size of its input (the event, the window's events, the
 * alert). Anything it cannot prove runs in the sandbox, which enforces limits.
 *
 * The argument is a whitelist over the compilable subset (no loops, no assignment, no recursion):
 *
 * - Outside array callbacks every expression is evaluated at most once per call, and every
 *   whitelisted built-in costs time linear in its operands and result. So the cost is linear as
 *   long as no value grows beyond a constant multiple of the input: each value carries a *factor*
 *   (`[...a, ...a]` is twice `a`), refused past {@link MAX_FACTOR}, and built-ins whose output is
 *   set by an argument (`repeat`, `padStart`, `join`'s separator, `replace`'s replacement,
 *   `JSON.stringify`'s indentation) take only small literal arguments.
 * - An array callback runs once per element. Its body may do anything linear in *its own element*
 *   (the element, the index, what is computed from them and from constants): summed over the
 *   elements that is linear in the array. A value from outside the callback (the whole array,
 *   another event, an outer local) is *foreign*: the body may read members of it, test it
 *   (`typeof`, `!`, `? :`, `&&`) and compare it with `===` against its own values, but nothing that
 *   walks it (a method call, a spread, `+`, `==`, `<`, a template, `JSON.stringify`, a nested
 *   callback over it), and a `map` callback may not return it: each of those is the square of the
 *   input (`events.map(() => events.slice())`).
 * - A `reduce` accumulator is foreign too, except that `acc + x` is allowed (a number, or a string
 *   rope: constant time), and the callback may return a `+` of it. When no return value is built
 *   from the accumulator, the accumulator is each time the previous element's value, so walking it is
 *   linear overall and allowed. Returning the accumulator or something else built from it
 *   (`(a) => [...a, ...a]`, `(best, e) => … ? e : best`) is refused: it can grow or stay large.
 *
 * Regular expressions: a pattern must be a literal (a regex literal or a string literal given to
 * `utils.matches` or `.match`); whether it runs on the built-in engine or a linear-time one is
 * decided by `host-regex.ts`, which refuses patterns neither can run safely.
 */
import type { Node } from 'acorn';
import { CALLBACK_METHODS } from './compile-whitelist.js';
import { regexProblem } from './host-regex.js';

/** The largest multiple of the input's size a value may reach. */
export const MAX_FACTOR = 64;
/** The largest literal count `padStart`/`padEnd` may pad to, and `repeat` may repeat by. */
const MAX_PAD = 10_000;
const MAX_REPEAT = 16;

/** Calls whose first argument is compiled to a regular expression when it is a string. */
const PATTERN_METHODS = new Set(['match', 'matchAll', 'search']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyNode = Node & Record<string, any>;

/** What is known of a value's size. */
interface Cls {
  /** Size ≤ own · (size of the current function's or callback's own input) + a constant; 0 when constant. */
  own: number;
  /** Holds (or is) a value from outside the current callback, of any size. */
  foreign: boolean;
  /** Holds (or is) the accumulator of the reduce callback being analysed. */
  acc: boolean;
}

const SMALL: Cls = { own: 0, foreign: false, acc: false };
const own = (k: number): Cls => ({ own: k, foreign: false, acc: false });

/** Both parts together (an array of both, a concatenation): sizes add. */
function sum(...parts: Cls[]): Cls {
  return { own: parts.reduce((s, p) => s + p.own, 0), foreign: parts.some((p) => p.foreign), acc: parts.some((p) => p.acc) };
}

/** One part or the other (a conditional): the larger. */
function either(...parts: Cls[]): Cls {
  return { own: Math.max(0, ...parts.map((p) => p.own)), foreign: parts.some((p) => p.foreign), acc: parts.some((p) => p.acc) };
}

function scaled(c: Cls, by: number): Cls {
  return { ...c, own: c.own * by };
}

interface Frame {
  vars: Map<string, Cls>;
  /** 'top' for the rule function; otherwise the array method whose callback this is. */
  method: string;
  /** Returned expressions with their classes, and whether each is a `+` of the accumulator (reduce callbacks). */
  returns: { node: AnyNode; cls: Cls; concatenation: boolean }[];
  /** Uses of the accumulator that walk it (reduce callbacks only). */
  accWalks: AnyNode[];
}

class Refused extends Error {}

class Analysis {
  reason: string | undefined;
  private frames: Frame[] = [];

  constructor(private readonly text: string | undefined) {}

  refuse(why: string, node: AnyNode): never {
    this.reason ??= `${why}${this.at(node)}`;
    throw new Refused(why);
  }

  private at(node: AnyNode): string {
    if (this.text === undefined || typeof node.start !== 'number') return '';
    let line = 1;
    let col = 1;
    for (let i = 0; i < node.start && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return ` at ${line}:${col}`;
  }

  snippet(node: AnyNode): string {
    if (this.text === undefined) return node.type;
    const s = this.text.slice(node.start, node.end).replace(/\s+/g, ' ');
    return s.length > 48 ? `${s.slice(0, 45)}…` : s;
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  // ---- functions ----------------------------------------------------------------------------

  topFunction(fn: AnyNode): void {
    this.enter('top');
    for (const p of fn.params ?? []) if (p.type === 'Identifier') this.setVar(p.name, own(1));
    this.body(fn);
    const out = this.frames.pop()!;
    for (const r of out.returns) this.bounded(r.cls, r.node);
  }

  private enter(method: string): void {
    this.frames.push({ vars: new Map(), method, returns: [], accWalks: [] });
  }

  private body(fn: AnyNode): void {
    if (fn.body?.type === 'BlockStatement') this.statements(fn.body.body);
    else if (fn.body) this.addReturn(fn.body);
  }

  private addReturn(node: AnyNode): void {
    const cls = this.expr(node);
    const concatenation = this.frame.method === 'reduce' && cls.acc && this.isConcatenation(node);
    this.frame.returns.push({ node, cls, concatenation });
  }

  private setVar(name: string, cls: Cls): void {
    // Never lower what is known of a name: a block's `const x` must not hide the outer `x` after the block.
    const known = this.frame.vars.get(name);
    this.frame.vars.set(name, known ? either(known, cls) : cls);
  }

  /** The class of a callback method call's result. */
  private callback(call: AnyNode, method: string, receiver: Cls): Cls {
    const [cb, init] = call.arguments as AnyNode[];
    this.walk(receiver, call.callee, `\`.${method}()\``);
    let initCls: Cls = SMALL;
    if (init) initCls = this.expr(init);
    for (const extra of call.arguments.slice(method === 'reduce' ? 2 : 1)) this.expr(extra);
    if (!cb || (cb.type !== 'ArrowFunctionExpression' && cb.type !== 'FunctionExpression')) {
      if (cb) this.expr(cb);
      return either(receiver, initCls);
    }
    this.enter(method);
    const names = (cb.params as AnyNode[]).map((p) => (p.type === 'Identifier' ? (p.name as string) : undefined));
    const roles: Cls[] =
      method === 'reduce'
        ? [{ own: 0, foreign: false, acc: true }, own(1), SMALL, { own: 0, foreign: true, acc: false }]
        : [own(1), SMALL, { own: 0, foreign: true, acc: false }];
    names.forEach((name, i) => name && this.setVar(name, roles[i] ?? SMALL));
    this.body(cb);
    const frame = this.frames.pop()!;
    const result = either(SMALL, ...frame.returns.map((r) => ({ ...r.cls, acc: false })));
    if (method === 'map') {
      for (const r of frame.returns) {
        if (r.cls.foreign) this.refuse(`\`.map()\` callback returns \`${this.snippet(r.node)}\`, a value from outside the callback, for every element (the result grows with the square of the input)`, r.node);
      }
    }
    if (method === 'reduce') {
      let grows = false;
      for (const r of frame.returns) {
        if (r.cls.foreign) this.refuse(`\`.reduce()\` callback returns \`${this.snippet(r.node)}\`, a value from outside the callback (the accumulator would be walked again on every element)`, r.node);
        if (!r.cls.acc) continue;
        if (!r.concatenation) {
          this.refuse(`\`.reduce()\` callback returns \`${this.snippet(r.node)}\`, built from the accumulator (it can grow on every element: spread or concat of an accumulator)`, r.node);
        }
        grows = true;
      }
      if (grows && frame.accWalks.length) {
        const walk = frame.accWalks[0]!;
        this.refuse(`\`.reduce()\` callback walks the accumulator (\`${this.snippet(walk)}\`) while adding to it with \`+\` (cost grows with the square of the input)`, walk);
      }
      // The final accumulator: the initial value, or what the callback builds from the elements.
      return sum(initCls, scaled(result, Math.max(receiver.own, 1)), own(receiver.own));
    }
    if (method === 'map') return scaled(either(own(1), result), Math.max(receiver.own, 1));
    if (method === 'filter' || method === 'find') return { ...receiver, acc: false };
    return SMALL;
  }

  /** Returns through `? :`, `&&`, `||`, `??` of `+` or template expressions only. */
  private isConcatenation(node: AnyNode): boolean {
    switch (node.type) {
      case 'BinaryExpression':
        return node.operator === '+';
      case 'TemplateLiteral':
        return true;
      case 'ParenthesizedExpression':
        return this.isConcatenation(node.expression);
      case 'SequenceExpression':
        return this.isConcatenation(node.expressions[node.expressions.length - 1]);
      case 'ConditionalExpression':
        return this.isConcatenationOrNotAcc(node.consequent) && this.isConcatenationOrNotAcc(node.alternate);
      case 'LogicalExpression':
        return this.isConcatenationOrNotAcc(node.left) && this.isConcatenationOrNotAcc(node.right);
      default:
        return false;
    }
  }

  /** Analysed a second time (it was as part of the whole): the same result, no new refusal. */
  private isConcatenationOrNotAcc(node: AnyNode): boolean {
    return this.isConcatenation(node) || !this.expr(node).acc;
  }

  // ---- statements ---------------------------------------------------------------------------

  private statements(list: AnyNode[]): void {
    for (const s of list) this.statement(s);
  }

  private statement(s: AnyNode): void {
    switch (s.type) {
      case 'ReturnStatement':
        if (s.argument) this.addReturn(s.argument);
        return;
      case 'ExpressionStatement':
        this.expr(s.expression);
        return;
      case 'VariableDeclaration':
        for (const d of s.declarations) {
          const cls = d.init ? this.expr(d.init) : SMALL;
          if (d.id?.type === 'Identifier') this.setVar(d.id.name, cls);
        }
        return;
      case 'IfStatement':
        this.expr(s.test);
        this.statement(s.consequent);
        if (s.alternate) this.statement(s.alternate);
        return;
      case 'BlockStatement':
        this.statements(s.body);
        return;
      default:
        // Anything else does not compile natively: the compiler names it.
        return;
    }
  }

  // ---- expressions --------------------------------------------------------------------------

  /** A use that walks `cls` (copies it, converts it, searches it): refused for foreign values. */
  private walk(cls: Cls, node: AnyNode, what: string): void {
    if (cls.foreign) {
      this.refuse(`${what} on \`${this.snippet(node)}\` inside an array callback walks a value from outside the callback for every element (cost grows with the square of the input)`, node);
    }
    if (cls.acc) this.frame.accWalks.push(node);
  }

  /** A value that leaves the function or becomes part of a larger one: its factor must stay bounded. */
  private bounded(cls: Cls, node: AnyNode): Cls {
    if (cls.own > MAX_FACTOR) {
      this.refuse(`\`${this.snippet(node)}\` builds a value up to ${cls.own > 1e9 ? 'an unbounded number of' : Math.round(cls.own)} times the size of its input (the limit is ${MAX_FACTOR})`, node);
    }
    return cls;
  }

  private lookup(name: string): Cls {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const found = this.frames[i]!.vars.get(name);
      if (!found) continue;
      if (i === this.frames.length - 1) return found;
      // Seen from an inner callback, anything that is not constant is foreign.
      return found.own > 0 || found.foreign || found.acc ? { own: 0, foreign: true, acc: false } : SMALL;
    }
    return SMALL; // undefined, NaN, Infinity, namespaces
  }

  expr(node: AnyNode): Cls {
    return this.bounded(this.exprUnbounded(node), node);
  }

  private exprUnbounded(node: AnyNode): Cls {
    switch (node.type) {
      case 'Literal':
        return SMALL;
      case 'Identifier':
        return this.lookup(node.name);
      case 'ParenthesizedExpression':
        return this.expr(node.expression);
      case 'ChainExpression':
        return this.expr(node.expression);
      case 'TemplateLiteral': {
        // Like `+`: converting the accumulator is allowed (see `binary`).
        const parts = (node.expressions as AnyNode[]).map((e) => {
          const c = this.expr(e);
          if (c.foreign) this.walk(c, e, 'a template literal');
          return c;
        });
        if (parts.filter((c) => c.acc).length > 1) this.refuse(`\`${this.snippet(node)}\` holds the accumulator twice (it doubles on every element)`, node);
        return sum(SMALL, ...parts);
      }
      case 'MemberExpression': {
        const object = this.expr(node.object);
        if (node.computed) {
          const key = this.expr(node.property);
          this.walk(key, node.property, 'a computed member key');
        }
        return object;
      }
      case 'CallExpression':
        return this.call(node);
      case 'UnaryExpression': {
        const arg = this.expr(node.argument);
        if (node.operator === '-' || node.operator === '+' || node.operator === '~') this.walk(arg, node, `unary \`${node.operator}\``);
        return SMALL;
      }
      case 'BinaryExpression':
        return this.binary(node);
      case 'LogicalExpression':
        return either(this.expr(node.left), this.expr(node.right));
      case 'ConditionalExpression':
        this.expr(node.test);
        return either(this.expr(node.consequent), this.expr(node.alternate));
      case 'SequenceExpression': {
        let last = SMALL;
        for (const e of node.expressions) last = this.expr(e);
        return last;
      }
      case 'ArrayExpression': {
        const parts: Cls[] = [];
        for (const el of node.elements as (AnyNode | null)[]) {
          if (!el) continue;
          if (el.type === 'SpreadElement') {
            const c = this.expr(el.argument);
            this.walk(c, el, 'a spread');
            parts.push(c);
          } else parts.push(this.expr(el));
        }
        return sum(SMALL, ...parts);
      }
      case 'ObjectExpression': {
        const parts: Cls[] = [];
        for (const p of node.properties as AnyNode[]) {
          if (p.type === 'SpreadElement') {
            const c = this.expr(p.argument);
            this.walk(c, p, 'a spread');
            parts.push(c);
            continue;
          }
          if (p.computed) {
            const key = this.expr(p.key);
            this.walk(key, p.key, 'a computed key');
            parts.push(key);
          }
          if (p.value) parts.push(this.expr(p.value));
        }
        return sum(SMALL, ...parts);
      }
      case 'ArrowFunctionExpression':
      case 'FunctionExpression':
        // A function value outside a callback position does not compile natively; analyse it as a
        // callback anyway, so nothing inside goes unchecked.
        this.callbackValue(node);
        return SMALL;
      default:
        // Does not compile natively (the compiler refuses it and names it).
        return SMALL;
    }
  }

  private callbackValue(fn: AnyNode): void {
    this.enter('function');
    for (const p of fn.params ?? []) if (p.type === 'Identifier') this.setVar(p.name, own(1));
    this.body(fn);
    this.frames.pop();
  }

  private binary(node: AnyNode): Cls {
    const left = this.expr(node.left);
    const right = this.expr(node.right);
    const op = node.operator as string;
    if (op === '===' || op === '!==') {
      // No conversion; comparing strings costs at most the shorter one, so one side must be own.
      if ((left.foreign || left.acc) && (right.foreign || right.acc)) this.walk({ ...left, acc: false, foreign: true }, node, '`===` between two values from outside the callback');
      return SMALL;
    }
    if ((op === '==' || op === '!=') && (isNullish(node.left) || isNullish(node.right))) return SMALL;
    if (op === 'in') {
      this.walk(left, node.left, 'an `in` key');
      return SMALL;
    }
    if (op === '+') {
      // `acc + x` is constant time (a number, or a string rope); anything foreign may be converted.
      if (left.foreign) this.walk(left, node.left, '`+`');
      if (right.foreign) this.walk(right, node.right, '`+`');
      if (left.acc && right.acc) this.refuse(`\`${this.snippet(node)}\` adds the accumulator to itself (it doubles on every element)`, node);
      return sum(left, right);
    }
    this.walk(left, node.left, `\`${op}\``);
    this.walk(right, node.right, `\`${op}\``);
    return SMALL;
  }

  private call(node: AnyNode): Cls {
    const callee = node.callee as AnyNode;
    const args = node.arguments as AnyNode[];
    if (callee.type !== 'MemberExpression') {
      const name = callee.type === 'Identifier' ? (callee.name as string) : undefined;
      if (callee.type !== 'Identifier') this.expr(callee);
      const classes = args.map((a) => this.argument(a, `\`${name ?? 'call'}()\``));
      if (name === 'Boolean') return SMALL;
      if (name === 'String') return sum(SMALL, ...classes);
      return SMALL;
    }
    const method = callee.computed ? (callee.property.type === 'Literal' ? String(callee.property.value) : undefined) : (callee.property.name as string);
    const object = callee.object as AnyNode;

    // utils.*, Math.*, JSON.*, Object.*, Array.*, Number.*
    if (!callee.computed && object.type === 'Identifier' && !this.isVariable(object.name)) {
      return this.namespaceCall(node, object.name as string, method ?? '', args);
    }
    if (object.type === 'Literal' && object.regex) {
      this.regexLiteral(object);
      args.forEach((a) => this.argument(a, '`.test()`'));
      return SMALL;
    }
    const receiver = this.expr(object);
    if (callee.computed) this.walk(this.expr(callee.property), callee.property, 'a computed method name');
    if (method && CALLBACK_METHODS.has(method)) return this.callback(node, method, receiver);
    return this.method(node, method ?? '', receiver, args);
  }

  private isVariable(name: string): boolean {
    return this.frames.some((f) => f.vars.has(name));
  }

  /** An argument a built-in reads through (converts or copies). */
  private argument(a: AnyNode, what: string): Cls {
    if (a.type === 'SpreadElement') {
      const c = this.expr(a.argument);
      this.walk(c, a, 'a spread');
      return c;
    }
    if (a.type === 'Literal' && a.regex) {
      this.regexLiteral(a);
      return SMALL;
    }
    const c = this.expr(a);
    this.walk(c, a, what);
    return c;
  }

  private regexLiteral(node: AnyNode): void {
    const problem = regexProblem(node.regex.pattern, node.regex.flags);
    if (problem) this.refuse(`regular expression /${node.regex.pattern}/${node.regex.flags}: ${problem}`, node);
  }

  private stringPattern(node: AnyNode | undefined, what: string): void {
    if (!node || node.type !== 'Literal' || typeof node.value !== 'string') this.refuse(`${what} with a pattern that is not a string literal`, node ?? ({ start: 0 } as AnyNode));
    const problem = regexProblem(node.value as string, '');
    if (problem) this.refuse(`${what} pattern '${node.value}': ${problem}`, node);
  }

  private namespaceCall(node: AnyNode, space: string, name: string, args: AnyNode[]): Cls {
    const what = `\`${space}.${name}()\``;
    if (space === 'utils' && name === 'matches') this.stringPattern(args[1], 'utils.matches');
    if (space === 'Array' && name === 'isArray') {
      args.forEach((a) => this.expr(a));
      return SMALL;
    }
    if (space === 'Number' && ['isInteger', 'isFinite', 'isNaN', 'isSafeInteger'].includes(name)) {
      args.forEach((a) => this.expr(a));
      return SMALL;
    }
    if (space === 'JSON' && name === 'stringify') {
      const [value, replacer, space3] = args;
      const c = value ? this.argument(value, what) : SMALL;
      if (replacer) this.argument(replacer, what);
      if (space3 && !isLiteral(space3, (v) => v === null || v === undefined || v === 0 || v === '')) {
        this.refuse(`\`JSON.stringify()\` with indentation (its output grows with the depth of the value times the indentation)`, space3);
      }
      return sum(own(2), c);
    }
    const classes = args.map((a) => this.argument(a, what));
    if (space === 'Object') return scaled(sum(SMALL, ...classes), 2);
    if (space === 'utils' && (name === 'lower' || name === 'upper')) return scaled(sum(SMALL, ...classes), 3);
    if (space === 'utils' && name === 'distinct') return sum(SMALL, ...classes);
    return SMALL;
  }

  private method(node: AnyNode, name: string, receiver: Cls, args: AnyNode[]): Cls {
    const what = `\`.${name}()\``;
    this.walk(receiver, node.callee.object, what);
    if (PATTERN_METHODS.has(name)) {
      const p = args[0];
      if (!p || !(p.type === 'Literal' && (p.regex || typeof p.value === 'string'))) this.refuse(`\`.${name}()\` with a pattern that is not a literal`, node);
      if (!p.regex) this.stringPattern(p, `\`.${name}()\``);
    }
    const classes = args.map((a) => this.argument(a, what));
    switch (name) {
      case 'padStart':
      case 'padEnd': {
        // A constant per call, so once per element inside a callback: there at most MAX_FACTOR.
        const max = this.frames.length > 1 ? MAX_FACTOR : MAX_PAD;
        if (!isLiteral(args[0], (v) => typeof v === 'number' && v <= max) || (args[1] && !isLiteral(args[1], (v) => typeof v === 'string'))) {
          this.refuse(`\`.${name}()\` with a length that is not a number literal up to ${max}${max === MAX_FACTOR ? ' inside an array callback' : ''} (it allocates as much as its argument asks)`, node);
        }
        return sum(receiver, SMALL);
      }
      case 'repeat':
        if (!isLiteral(args[0], (v) => typeof v === 'number' && v <= MAX_REPEAT)) {
          this.refuse(`\`.repeat()\` with a count that is not a number literal up to ${MAX_REPEAT} (it allocates as much as its argument asks)`, node);
        }
        return scaled(receiver, Math.max(1, Number((args[0] as AnyNode).value) || 0));
      case 'join':
        if (args[0] && !isLiteral(args[0], (v) => typeof v === 'string' || v === undefined)) {
          this.refuse('`.join()` with a separator that is not a string literal (the separator is copied once per element)', args[0]);
        }
        return sum(receiver, own(Math.max(1, String((args[0] as AnyNode | undefined)?.value ?? ',').length)));
      case 'replace': {
        const [pattern, replacement] = args;
        const global = pattern?.type === 'Literal' && pattern.regex && /g/.test(pattern.regex.flags);
        if (!global) {
          // One match, but each $& $n $<name> $` $' of the replacement copies up to the whole input.
          if (!isLiteral(replacement, (v) => typeof v === 'string')) {
            this.refuse("`.replace()` with a replacement that is not a string literal (each $` or $' in it would copy the input)", replacement ?? node);
          }
          const copies = ((replacement as AnyNode).value as string).match(/\$(&|\d|<|`|')/g)?.length ?? 0;
          return sum(scaled(receiver, 1 + copies), own(String((replacement as AnyNode).value).length));
        }
        if (!isLiteral(replacement, (v) => typeof v === 'string' && !/\$[`']/.test(v))) {
          this.refuse("`.replace()` of a /g pattern with a replacement that is not a string literal without $` and $' (each match would copy it)", replacement ?? node);
        }
        const refs = ((replacement as AnyNode).value as string).match(/\$(&|\d|<)/g)?.length ?? 0;
        return sum(scaled(receiver, 1 + refs), own(String((replacement as AnyNode).value).length));
      }
      case 'toString':
        // A fraction's digits in another radix are the engine's choice: V8 and QuickJS differ in
        // the last digits ((0.3).toString(36)), and the text runs to about 1,100 characters.
        if (args.length > 0 && !isLiteral(args[0], (v) => v === 10 || v === undefined)) {
          this.refuse('`.toString()` with a radix (the digits of a fraction differ between JavaScript engines)', node);
        }
        return sum(receiver, ...classes);
      case 'toLowerCase':
      case 'toUpperCase':
        return scaled(receiver, 3);
      case 'includes':
      case 'indexOf':
      case 'lastIndexOf':
      case 'startsWith':
      case 'endsWith':
      case 'test':
      case 'search':
      case 'charAt':
      case 'toFixed':
        return SMALL;
      case 'split':
      case 'match':
      case 'matchAll':
        return sum(receiver, own(1));
      default:
        return sum(receiver, ...classes);
    }
  }
}

function isNullish(node: AnyNode): boolean {
  return (node.type === 'Literal' && node.value === null && !node.regex) || (node.type === 'Identifier' && node.name === 'undefined');
}

function isLiteral(node: AnyNode | undefined, accept: (value: unknown) => boolean): boolean {
  if (!node) return false;
  if (node.type === 'Identifier' && node.name === 'undefined') return accept(undefined);
  return node.type === 'Literal' && !node.regex && node.bigint === undefined && accept(node.value);
}

/**
 * Why the function must run in the sandbox, or undefined when native code is provably bounded by its
 * input. `text` (the function's source, which the node's offsets point into) lets the reason quote the
 * construct and give its line:column.
 */
export function nativeUnsafeReason(fn: Node, text?: string): string | undefined {
  const analysis = new Analysis(text);
  try {
    analysis.topFunction(fn as AnyNode);
  } catch (err) {
    if (!(err instanceof Refused)) {
      if (err instanceof RangeError) return 'function too deeply nested to analyse';
      throw err;
    }
  }
  return analysis.reason;
}

/**
 * Whether the built-in engine matches `pattern` in linear time (kept for callers of the old API;
 * see {@link regexProblem} for where a pattern runs).
 */
export { isLinearOnBuiltin as isSafeRegex } from './host-regex.js';
