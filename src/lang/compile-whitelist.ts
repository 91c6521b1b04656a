/**
 * What the expression compiler lets a rule function reach: pure methods of strings, arrays and numbers,
 * pure global functions, and the names a member read must never touch.
 *
 * Every function listed here is a host built-in that is called exactly as JavaScript would call it, so
 * the compiled closure and the same function run as JavaScript agree by construction. Anything not
 * listed makes the function run in the sandbox instead.
 */

import { LinearRegExp } from './regex-re2.js';

/** Methods callable on a string receiver (`String.prototype`). */
export const STRING_METHODS: ReadonlySet<string> = new Set([
  'includes',
  'startsWith',
  'endsWith',
  'indexOf',
  'lastIndexOf',
  'toLowerCase',
  'toUpperCase',
  'trim',
  'trimStart',
  'trimEnd',
  'slice',
  'substring',
  'split',
  'replace',
  'charAt',
  'at',
  'padStart',
  'padEnd',
  'concat',
  'match',
  'toString',
]);

/** Methods callable on an array receiver (`Array.prototype`) without a callback. */
export const ARRAY_METHODS: ReadonlySet<string> = new Set([
  'includes',
  'indexOf',
  'lastIndexOf',
  'join',
  'slice',
  'concat',
  'at',
  'toString',
]);

/**
 * Array methods whose first argument is a callback; the callback must be an arrow (or function)
 * expression written in place, compiled under the same rules. None of them mutates the receiver.
 */
export const CALLBACK_METHODS: ReadonlySet<string> = new Set([
  'filter',
  'map',
  'some',
  'every',
  'find',
  'findIndex',
  'reduce',
]);

/** Methods callable on a number receiver (`Number.prototype`). */
export const NUMBER_METHODS: ReadonlySet<string> = new Set(['toFixed', 'toString']);

/** String methods whose first argument may be a regex literal. */
export const REGEX_ARGUMENT_METHODS: ReadonlySet<string> = new Set(['match', 'replace', 'split']);

/**
 * For each whitelisted method name, the host functions a call may invoke. A call `x.m(…)` reads `x.m`
 * exactly as JavaScript does and then invokes it only when it is one of these functions, so a receiver
 * of the wrong type gets JavaScript's own TypeError (`x.m is not a function`). `toString` is also
 * allowed from `Object.prototype` and `Boolean.prototype`, which plain objects and booleans inherit.
 */
export const METHOD_IMPLEMENTATIONS: ReadonlyMap<string, readonly Function[]> = (() => {
  const out = new Map<string, Function[]>();
  const add = (name: string, fn: unknown): void => {
    if (typeof fn !== 'function') return;
    const list = out.get(name) ?? [];
    if (!list.includes(fn)) list.push(fn);
    out.set(name, list);
  };
  const protoOf = (proto: object, name: string): unknown => (proto as Record<string, unknown>)[name];
  for (const name of STRING_METHODS) add(name, protoOf(String.prototype, name));
  for (const name of ARRAY_METHODS) add(name, protoOf(Array.prototype, name));
  for (const name of CALLBACK_METHODS) add(name, protoOf(Array.prototype, name));
  for (const name of NUMBER_METHODS) add(name, protoOf(Number.prototype, name));
  add('toString', Object.prototype.toString);
  add('toString', Boolean.prototype.toString);
  add('test', RegExp.prototype.test);
  add('test', LinearRegExp.prototype.test);
  return out;
})();

/** Pure global functions callable by bare name: `String(x)`, `parseInt(x, 10)`… (called with `this` undefined). */
export const GLOBAL_FUNCTIONS: ReadonlyMap<string, Function> = new Map<string, Function>([
  ['String', String],
  ['Number', Number],
  ['Boolean', Boolean],
  ['parseInt', parseInt],
  ['parseFloat', parseFloat],
  ['isNaN', isNaN],
  ['isFinite', isFinite],
]);

const MATH_FUNCTIONS = [
  'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'cbrt', 'ceil', 'clz32', 'cos', 'cosh',
  'exp', 'expm1', 'floor', 'fround', 'hypot', 'imul', 'log', 'log10', 'log1p', 'log2', 'max', 'min', 'pow',
  'round', 'sign', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'trunc',
] as const;

const MATH_CONSTANTS = ['E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI', 'SQRT1_2', 'SQRT2'] as const;

const NUMBER_CONSTANTS = [
  'EPSILON', 'MAX_SAFE_INTEGER', 'MAX_VALUE', 'MIN_SAFE_INTEGER', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY',
  'POSITIVE_INFINITY',
] as const;

/** A global namespace the compiler knows: its object (the `this` of its functions), functions and constants. */
export interface Namespace {
  object: object;
  functions: ReadonlyMap<string, Function>;
  constants: ReadonlyMap<string, unknown>;
  /** Members that exist but are refused, with why (e.g. `Math.random`: not pure). */
  refused: ReadonlyMap<string, string>;
}

function pick(object: object, names: readonly string[]): Map<string, never> {
  const out = new Map<string, never>();
  for (const name of names) out.set(name, (object as Record<string, never>)[name]);
  return out;
}

/** Global namespaces: `Math.max(…)`, `Array.isArray(…)`, `Object.keys(…)`, `JSON.stringify(…)`, `Number.isInteger(…)`. */
export const NAMESPACES: ReadonlyMap<string, Namespace> = new Map<string, Namespace>([
  [
    'Math',
    {
      object: Math,
      functions: pick(Math, MATH_FUNCTIONS),
      constants: pick(Math, MATH_CONSTANTS),
      refused: new Map([['random', 'not pure']]),
    },
  ],
  ['Array', { object: Array, functions: pick(Array, ['isArray']), constants: new Map(), refused: new Map() }],
  [
    'Object',
    { object: Object, functions: pick(Object, ['keys', 'values', 'entries']), constants: new Map(), refused: new Map() },
  ],
  ['JSON', { object: JSON, functions: pick(JSON, ['stringify']), constants: new Map(), refused: new Map() }],
  [
    'Number',
    {
      object: Number,
      functions: pick(Number, ['isInteger', 'isFinite', 'isNaN', 'isSafeInteger', 'parseFloat', 'parseInt']),
      constants: pick(Number, NUMBER_CONSTANTS),
      refused: new Map(),
    },
  ],
  ['Date', { object: Date, functions: new Map(), constants: new Map(), refused: new Map([['now', 'not pure']]) }],
]);

/**
 * Member names never read by a compiled function: they lead from data to host functions and
 * prototypes. A static read (`x.constructor`) is refused at compile time; a computed read (`x[k]`)
 * checks its key at run time against {@link FORBIDDEN_COMPUTED_KEYS}.
 */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Keys a computed member read refuses at run time (throwing a ForbiddenMemberError): the same names.
 * `constructor`, `__proto__` and `prototype` lead to prototypes and host constructors; the
 * `__define…`/`__lookup…` family would let a host built-in that calls a function argument with a chosen
 * `this` (a `JSON.stringify` replacer) define getters on event objects.
 */
export const FORBIDDEN_COMPUTED_KEYS: ReadonlySet<string> = FORBIDDEN_MEMBERS;
