/**
 * Equality conjuncts of FILTERs, for the rules index: a FILTER `return e.integer == 3 && e.tag == 'x' && …`
 * can only pass events whose `integer` loosely equals 3 and whose `tag` loosely equals 'x', so the
 * router offers the rule only to those events: it indexes the rule by one of them and tests the
 * others before offering it. Keys follow JavaScript's own `==` / `===` (and `includes`'
 * SameValueZero), and the tests are the conjuncts themselves, so the index never hides a rule from
 * an event that could pass it: it only skips evaluations that would return false.
 */
import type { Node } from 'acorn';

export interface EqualityConjunct {
  /** A top-level field name (no dots: `e.a.b` and the field path `a.b` are read differently). */
  field: string;
  /** The index keys under which the rule is registered (see `valueKeys`). */
  keys: string[];
  /**
   * The conjunct itself, evaluated with JavaScript's own operator on the field's value: false only
   * when the FILTER cannot pass. Objects (whose comparison runs their own conversions) are "maybe".
   */
  holds(value: unknown): boolean;
  /**
   * For a plain `e.f == c` / `e.f === c`: the constant and the operator, so the router can test the
   * conjunct inline (the same test as `holds`) instead of calling it for every event.
   */
  equals?: { constant: string | number; strict: boolean };
}

/**
 * The equality conjuncts of a rule's FILTER: `indexed` keys the rule in the router, `checked` are
 * tested for the rules the index returns, before the FILTER runs. Every one of them must hold for
 * the FILTER to pass, so an event that fails one is never offered to the rule.
 */
export interface RuleEqualities {
  indexed: EqualityConjunct;
  checked: readonly EqualityConjunct[];
}

interface AnyNode extends Node {
  [key: string]: any;
}

/** Constants an `includes` list (or an `||` of equalities) may hold before it is not worth indexing. */
export const MAX_LIST_KEYS = 256;

/**
 * The usable equality conjuncts of a FILTER whose body is a single return of an `&&` chain (or an
 * arrow's expression), the most selective one indexed (fewest keys; the earliest on a tie). A
 * conjunct is usable when every conjunct before it is free of side effects (see `pure`): the FILTER
 * evaluates left to right, so one that fails makes it false whatever comes after; skipping the
 * evaluation then loses only the error reports of the conjuncts before it (a rule's errors are
 * counted, never turned into alerts).
 */
export function ruleEqualities(fn: Node): RuleEqualities | undefined {
  const found = equalityConjuncts(fn);
  if (!found.length) return undefined;
  let best = 0;
  for (let i = 1; i < found.length; i++) if (found[i].keys.length < found[best].keys.length) best = i;
  return { indexed: found[best], checked: found.filter((_, i) => i !== best) };
}

/** Every usable equality conjunct of the FILTER, in the order they appear. */
export function equalityConjuncts(fn: Node): EqualityConjunct[] {
  const node = fn as AnyNode;
  const param = node.params?.[0];
  if (!param || param.type !== 'Identifier') return [];
  let expr: AnyNode | undefined;
  if (node.body.type === 'BlockStatement') {
    const body = node.body.body as AnyNode[];
    if (body.length !== 1 || body[0].type !== 'ReturnStatement') return [];
    expr = body[0].argument;
  } else {
    expr = node.body;
  }
  const out: EqualityConjunct[] = [];
  for (const conjunct of conjuncts(expr)) {
    const found = equality(conjunct, param.name);
    if (found) out.push(found);
    else if (!pure(conjunct)) break;
  }
  return out;
}

/** One conjunct as an equality on a field: `e.f == c`, `c === e.f`, `[c, …].includes(e.f)`, or an `||` of those on one field. */
function equality(node: AnyNode, param: string): EqualityConjunct | undefined {
  node = unparenthesized(node);
  if (node.type === 'LogicalExpression' && node.operator === '||') {
    const parts = disjuncts(node).map((d) => equality(d, param));
    if (parts.some((p) => !p || p.field !== parts[0]!.field)) return undefined;
    const keys = [...new Set(parts.flatMap((p) => p!.keys))];
    if (keys.length > MAX_LIST_KEYS) return undefined;
    const tests = parts.map((p) => p!.holds);
    return { field: parts[0]!.field, keys, holds: (value) => tests.some((holds) => holds(value)) };
  }
  if (node.type === 'BinaryExpression' && (node.operator === '==' || node.operator === '===')) {
    const strict = node.operator === '===';
    for (const [side, other] of [
      [node.left, node.right],
      [node.right, node.left],
    ] as const) {
      const field = paramField(side, param);
      const literal = constantValue(other);
      if (field === undefined || literal === undefined) continue;
      const constant = literal.value;
      return {
        field,
        keys: literalKeys(constant, strict),
        holds: strict ? (value) => maybe(value) || value === constant : (value) => maybe(value) || value == constant,
        equals: { constant, strict },
      };
    }
    return undefined;
  }
  // `['a', 'b'].includes(e.f)`: SameValueZero, so NaN would match NaN (no literal is NaN) and -0 matches 0.
  if (node.type === 'CallExpression' && !node.optional && node.arguments.length === 1) {
    const callee = node.callee as AnyNode;
    if (callee.type !== 'MemberExpression' || callee.optional || callee.object.type !== 'ArrayExpression') return undefined;
    const method = !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : undefined;
    if (method !== 'includes') return undefined;
    const field = paramField(node.arguments[0], param);
    if (field === undefined) return undefined;
    const constants: (string | number)[] = [];
    for (const element of callee.object.elements as (AnyNode | null)[]) {
      const literal = element && element.type !== 'SpreadElement' ? constantValue(element) : undefined;
      if (!literal) return undefined;
      constants.push(literal.value);
    }
    const keys = [...new Set(constants.flatMap((c) => literalKeys(c, true)))];
    if (!keys.length || keys.length > MAX_LIST_KEYS) return undefined;
    return { field, keys, holds: (value) => maybe(value) || constants.includes(value as string | number) };
  }
  return undefined;
}

/** Values the index cannot judge: objects convert through their own methods when compared. */
function maybe(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function unparenthesized(node: AnyNode): AnyNode {
  while (node.type === 'ParenthesizedExpression') node = node.expression;
  return node;
}

function disjuncts(expr: AnyNode): AnyNode[] {
  expr = unparenthesized(expr);
  if (expr.type === 'LogicalExpression' && expr.operator === '||') return [...disjuncts(expr.left), ...disjuncts(expr.right)];
  return [expr];
}

/** Calls a conjunct before an indexed one may make: the rule library's and these methods, none of which writes to the event. */
const PURE_METHODS = new Set(['includes', 'startsWith', 'endsWith', 'indexOf', 'toLowerCase', 'toUpperCase', 'trim', 'test']);

/**
 * Whether evaluating the conjunct cannot change what a later one reads or make the FILTER run
 * unboundedly: no assignment, update, `delete`, `new`, tagged template, function, and no call but
 * `utils.*` and a few methods of strings, arrays and regexes.
 */
function pure(node: AnyNode): boolean {
  let ok = true;
  const walk = (n: unknown): void => {
    if (!ok || n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const item of n) walk(item);
      return;
    }
    const node = n as AnyNode;
    if (typeof node.type !== 'string') return;
    switch (node.type) {
      case 'AssignmentExpression':
      case 'UpdateExpression':
      case 'NewExpression':
      case 'TaggedTemplateExpression':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'YieldExpression':
      case 'AwaitExpression':
      case 'ImportExpression':
        ok = false;
        return;
      case 'UnaryExpression':
        if (node.operator === 'delete') ok = false;
        break;
      case 'CallExpression': {
        const callee = node.callee as AnyNode;
        const method = callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : undefined;
        const utilsCall = callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'utils';
        if (!utilsCall && (method === undefined || !PURE_METHODS.has(method))) ok = false;
        break;
      }
    }
    for (const key of Object.keys(node)) if (key !== 'type' && key !== 'start' && key !== 'end' && key !== 'loc' && key !== 'range') walk(node[key]);
  };
  walk(node);
  return ok;
}

function conjuncts(expr: AnyNode | undefined): AnyNode[] {
  if (!expr) return [];
  if (expr.type === 'LogicalExpression' && expr.operator === '&&') return [...conjuncts(expr.left), ...conjuncts(expr.right)];
  if (expr.type === 'ParenthesizedExpression') return conjuncts(expr.expression);
  return [expr];
}

function paramField(node: AnyNode, param: string): string | undefined {
  if (node.type !== 'MemberExpression' || node.optional || node.object.type !== 'Identifier' || node.object.name !== param) return undefined;
  let name: unknown;
  if (!node.computed && node.property.type === 'Identifier') name = node.property.name;
  else if (node.computed && node.property.type === 'Literal' && typeof node.property.value === 'string') name = node.property.value;
  // An inherited name (`constructor`, `toString`…) reads the prototype in the FILTER but only own fields in the router.
  return typeof name === 'string' && !name.includes('.') && !(name in Object.prototype) ? name : undefined;
}

/** String and number literals, and `+` of them (`'id_tag_' + 3`), folded as JavaScript would. */
function constantValue(node: AnyNode): { value: string | number } | undefined {
  if (node.type === 'Literal' && (typeof node.value === 'string' || typeof node.value === 'number')) return { value: node.value };
  if (node.type === 'UnaryExpression' && node.operator === '-' && node.argument.type === 'Literal' && typeof node.argument.value === 'number') {
    return { value: -node.argument.value };
  }
  if (node.type === 'BinaryExpression' && node.operator === '+') {
    const left = constantValue(node.left);
    const right = constantValue(node.right);
    if (left && right) return { value: (left.value as string) + (right.value as string) };
  }
  return undefined;
}

// Key namespaces: S/N for strict equality with a string/number, s/n for loose equality.

function literalKeys(value: string | number, strict: boolean): string[] {
  if (strict) return [typeof value === 'string' ? `S${value}` : `N${String(value)}`];
  if (typeof value === 'number') return [`n${String(value)}`];
  const asNumber = Number(value);
  // A numeric string equals, loosely, the number it converts to (and booleans through it).
  return Number.isNaN(asNumber) ? [`s${value}`] : [`s${value}`, `n${String(asNumber)}`];
}

/**
 * The keys an event value can match under; `undefined` means "cannot tell" (objects convert through
 * toString/valueOf), so every rule indexed on the field stays a candidate.
 */
export function valueKeys(value: unknown): string[] | undefined {
  switch (typeof value) {
    case 'string': {
      const asNumber = Number(value);
      return Number.isNaN(asNumber) ? [`s${value}`, `S${value}`] : [`s${value}`, `S${value}`, `n${String(asNumber)}`];
    }
    case 'number':
      return Number.isNaN(value) ? [] : [`n${String(value)}`, `N${String(value)}`];
    case 'boolean':
      return [`n${value ? 1 : 0}`];
    case 'undefined':
      return [];
    case 'object':
      return value === null ? [] : undefined;
    default:
      return undefined;
  }
}
