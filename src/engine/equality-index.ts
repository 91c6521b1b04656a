/**
 * Equality conjuncts of FILTERs, for the rules index: a FILTER `return e.integer == 3 && e.tag == 'x' && …`
 * can only pass events whose `integer` loosely equals 3, so the router offers the rule only to
 * those events. Keys follow JavaScript's own `==` / `===`, so the index never hides a rule from an
 * event that could pass it: it only skips evaluations that would return false.
 */
import type { Node } from 'acorn';

export interface EqualityConjunct {
  /** A top-level field name (no dots: `e.a.b` and the field path `a.b` are read differently). */
  field: string;
  /** The index keys under which the rule is registered (see `valueKeys`). */
  keys: string[];
}

interface AnyNode extends Node {
  [key: string]: any;
}

/**
 * The first `param.field == literal` (or `===`) conjunct of the function's returned expression, when
 * its body is a single return of an `&&` chain.
 */
export function equalityConjunct(fn: Node): EqualityConjunct | undefined {
  const node = fn as AnyNode;
  const param = node.params?.[0];
  if (!param || param.type !== 'Identifier') return undefined;
  let expr: AnyNode | undefined;
  if (node.body.type === 'BlockStatement') {
    const body = node.body.body as AnyNode[];
    if (body.length !== 1 || body[0].type !== 'ReturnStatement') return undefined;
    expr = body[0].argument;
  } else {
    expr = node.body;
  }
  for (const conjunct of conjuncts(expr)) {
    if (conjunct.type !== 'BinaryExpression' || (conjunct.operator !== '==' && conjunct.operator !== '===')) continue;
    const strict = conjunct.operator === '===';
    for (const [side, other] of [
      [conjunct.left, conjunct.right],
      [conjunct.right, conjunct.left],
    ] as const) {
      const field = paramField(side, param.name);
      const literal = constantValue(other);
      if (field !== undefined && literal !== undefined) return { field, keys: literalKeys(literal.value, strict) };
    }
  }
  return undefined;
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
  return typeof name === 'string' && !name.includes('.') ? name : undefined;
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
