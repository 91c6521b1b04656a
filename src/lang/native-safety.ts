/**
 * What keeps a natively compiled function bounded. Native closures run without the sandbox's CPU
 * deadline, so a function is only compiled natively when its cost is bounded by the size of its
 * input: regular expressions must be literals free of catastrophic backtracking, callbacks over
 * arrays may not nest (an O(n²) HAVING over a large window would stall the engine), and nothing may
 * allocate by a number the data chooses. Anything else runs in the sandbox, which enforces limits.
 */
import { simple as walkSimple, ancestor as walkAncestor } from 'acorn-walk';
import type { Node } from 'acorn';
import { CALLBACK_METHODS } from './compile-whitelist.js';

/** Methods that allocate as much as an argument asks for. */
const ALLOCATING_METHODS = new Set(['padStart', 'padEnd', 'repeat']);
/** Calls whose pattern argument is compiled to a regular expression. */
const PATTERN_METHODS = new Set(['match', 'matchAll', 'search']);

interface AnyNode extends Node {
  [key: string]: any;
}

/** Why the function must run in the sandbox, or undefined when native code is safe. */
export function nativeUnsafeReason(fn: Node): string | undefined {
  let reason: string | undefined;
  const refuse = (why: string) => {
    reason ??= why;
  };
  walkSimple(fn, {
    Literal(node: AnyNode) {
      if (node.regex && !isSafeRegex(node.regex.pattern)) refuse(`regular expression /${node.regex.pattern}/ may backtrack catastrophically`);
    },
    CallExpression(node: AnyNode) {
      const callee = node.callee;
      if (callee.type !== 'MemberExpression' || callee.computed) return;
      const name = callee.property.name as string;
      const isUtils = callee.object.type === 'Identifier' && callee.object.name === 'utils';
      if (isUtils && name === 'matches') {
        const pattern = node.arguments[1];
        if (!pattern || pattern.type !== 'Literal' || typeof pattern.value !== 'string') refuse('utils.matches with a pattern that is not a string literal');
        else if (!isSafeRegex(pattern.value)) refuse(`utils.matches pattern '${pattern.value}' may backtrack catastrophically`);
      } else if (!isUtils && ALLOCATING_METHODS.has(name)) {
        refuse(`.${name}() allocates as much as its argument asks`);
      } else if (!isUtils && PATTERN_METHODS.has(name)) {
        const pattern = node.arguments[0];
        if (!pattern || !(pattern.type === 'Literal' && (pattern.regex || typeof pattern.value === 'string'))) refuse(`.${name}() with a pattern that is not a literal`);
        else if (typeof pattern.value === 'string' && !isSafeRegex(pattern.value)) refuse(`.${name}('${pattern.value}') may backtrack catastrophically`);
      }
    },
  });
  walkAncestor(fn, {
    CallExpression(node: AnyNode, _state: unknown, ancestors: Node[]) {
      if (!isCallbackCall(node)) return;
      // Nested means inside another callback's function, not chained after it (a.map(…).filter(…)).
      const insideFunction = ancestors.slice(1, -1).some((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression');
      if (insideFunction) refuse('array callbacks nested inside array callbacks (cost grows with the square of the input)');
    },
  });
  return reason;
}

function isCallbackCall(node: AnyNode): boolean {
  const callee = node.callee;
  return callee?.type === 'MemberExpression' && !callee.computed && CALLBACK_METHODS.has(callee.property.name);
}

/**
 * A conservative test for patterns whose matching time is linear-ish: no back-references and no
 * quantified group that itself contains a quantifier or an alternation (the shapes of (a+)+, (a|a)*).
 */
export function isSafeRegex(pattern: string): boolean {
  // Per open group: whether it contains a quantifier or an alternation.
  const stack: { risky: boolean }[] = [];
  let lastGroupRisky = false;
  let afterGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return false;
      i++;
      afterGroup = false;
      continue;
    }
    if (c === '[') {
      // Skip a character class: quantifier characters inside it are literal.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      afterGroup = false;
      continue;
    }
    if (c === '(') {
      stack.push({ risky: false });
      afterGroup = false;
      continue;
    }
    if (c === ')') {
      const group = stack.pop();
      lastGroupRisky = group?.risky ?? false;
      if (lastGroupRisky && stack.length) stack[stack.length - 1].risky = true;
      afterGroup = true;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      const unbounded = c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(pattern.slice(i)));
      if (afterGroup && lastGroupRisky && (unbounded || c === '{')) return false;
      if (stack.length && (unbounded || c === '{')) stack[stack.length - 1].risky = true;
      if (c === '{') i = pattern.indexOf('}', i);
      afterGroup = false;
      continue;
    }
    if (c === '|' && stack.length) stack[stack.length - 1].risky = true;
    afterGroup = false;
  }
  return true;
}
