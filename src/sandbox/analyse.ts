/**
 * Static checks of a rule function's source, run on the host with acorn before anything reaches QuickJS.
 *
 * - `compile`: the text must be exactly one function expression (or arrow function);
 * - `refused`: constructs the sandbox does not offer (BigInt, async functions, `import()`), regex
 *   literals and source nesting beyond what QuickJS's recursive parsers survive on a wasm stack, and
 *   regular expressions (literals, `RegExp('…')` with a literal pattern) that may backtrack
 *   catastrophically and that the linear-time engine cannot take (backreferences, lookaround);
 * - regex literals that may backtrack are rewritten to `new RegExp(…)`, which the prelude runs on the
 *   linear-time engine (a literal would get QuickJS's backtracking engine directly);
 * - projection: when the single parameter is only read through static member accesses
 *   (`event.x`, `event['x']`), the host sends only those fields into the VM.
 */
import { parse, type Node } from 'acorn';
import { planRegex } from './linear-regex.js';

export type FunctionRole = 'filter' | 'having' | 'sink';

/** Source nesting beyond this is refused: QuickJS's parser recursion lives on the host's wasm stack. */
export const MAX_SOURCE_DEPTH = 200;
/** Longest regular-expression source accepted (long literal runs scan slowly between interrupt checks). */
export const MAX_REGEX_SOURCE = 8192;
/** Deepest group nesting accepted in a regular expression (QuickJS's regex compiler recurses natively). */
export const MAX_REGEX_DEPTH = 200;

const REFUSED_NAMES = new Set(['BigInt', 'BigInt64Array', 'BigUint64Array']);
const REFUSED_MEMBERS = new Set(['getBigInt64', 'getBigUint64', 'setBigInt64', 'setBigUint64']);

export interface AnalysedFunction {
  role: FunctionRole;
  /** The text evaluated inside the VM: the function wrapped in parentheses. */
  code: string;
  /** Fields the parameter is read through, or null when the whole input is needed. */
  projection: readonly string[] | null;
  /**
   * True when the function is syntactically pure over its projected input (locals, literals,
   * operators, `utils.*`, a few pure globals; no assignments outside its locals, no `new`, no
   * `this`, no nested functions): equal projected inputs then give equal results, so the host may
   * evaluate each distinct input of a batch once.
   */
  pure: boolean;
}

export class AnalysisError extends Error {
  constructor(
    readonly kind: 'compile' | 'refused',
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

type AnyNode = Node & Record<string, unknown>;

/** Nesting depth of a regex source, counting `(` and `[` (escapes skipped); conservative on purpose. */
export function regexDepth(source: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 40 || c === 91) max = Math.max(max, ++depth);
    else if (c === 41 || c === 93) depth--;
  }
  return max;
}

/** Parses and checks one rule function. Throws {@link AnalysisError}. */
export function analyseFunction(role: FunctionRole, text: string): AnalysedFunction {
  const body = text.trim().replace(/;\s*$/, '');
  const code = `(${body}\n)`;
  // Offsets in `code` are one past offsets in `body`; map them back for messages.
  const where = (node: Node): { line: number; column: number } => position(body, Math.max(0, node.start - 1));
  let program;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true });
  } catch (e) {
    const err = e as { message?: string; pos?: number };
    const at = position(body, Math.max(0, (err.pos ?? 1) - 1));
    const message = String(err.message ?? e).replace(/\s*\(\d+:\d+\)$/, '');
    if (/stack/i.test(message) || e instanceof RangeError) {
      throw new AnalysisError('refused', `${role.toUpperCase()}: source too deeply nested`, at.line, at.column);
    }
    throw new AnalysisError('compile', `${role.toUpperCase()}: ${message}`, at.line, at.column);
  }
  const stmt = program.body.length === 1 ? (program.body[0] as AnyNode) : undefined;
  let fn = stmt?.type === 'ExpressionStatement' ? (stmt.expression as AnyNode) : undefined;
  if (fn?.type === 'ParenthesizedExpression') fn = fn.expression as AnyNode;
  if (!fn || (fn.type !== 'FunctionExpression' && fn.type !== 'ArrowFunctionExpression')) {
    throw new AnalysisError('compile', `${role.toUpperCase()} must be a single function expression`, 1, 1);
  }

  const refuse = (node: Node, message: string): never => {
    const at = where(node);
    throw new AnalysisError('refused', `${role.toUpperCase()}: ${message}`, at.line, at.column);
  };

  /** `new RegExp('…', '…')` / `RegExp('…')` with literal arguments: refused now if it could only fail later. */
  const checkRegExpCall = (node: AnyNode): void => {
    const callee = node.callee as AnyNode;
    if (callee.type !== 'Identifier' || callee.name !== 'RegExp') return;
    const [source, flags] = node.arguments as AnyNode[];
    if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
    if (flags !== undefined && (flags.type !== 'Literal' || typeof flags.value !== 'string')) return;
    const plan = planRegex(source.value, (flags?.value as string | undefined) ?? '');
    if (plan.engine === 'refused') refuse(source, `regular expression '${source.value}': ${plan.reason}`);
  };
  const rewrites: { start: number; end: number; text: string }[] = [];

  // One walk: refusals, depth, and the uses of the parameter.
  const params = fn.params as AnyNode[];
  const paramName = params.length === 1 && params[0].type === 'Identifier' ? (params[0].name as string) : null;
  const fields = new Set<string>();
  let projectable = paramName !== null;

  const visit = (node: AnyNode, parent: AnyNode | null, key: string, depth: number): void => {
    if (depth > MAX_SOURCE_DEPTH) refuse(node, `source nesting deeper than ${MAX_SOURCE_DEPTH} levels`);
    switch (node.type) {
      case 'Literal':
        if (node.bigint !== undefined) refuse(node, 'BigInt is not available in the sandbox');
        if (node.regex) {
          const { pattern, flags } = node.regex as { pattern: string; flags: string };
          if (pattern.length > MAX_REGEX_SOURCE) refuse(node, `regular expression longer than ${MAX_REGEX_SOURCE} characters`);
          if (regexDepth(pattern) > MAX_REGEX_DEPTH) refuse(node, `regular expression nested deeper than ${MAX_REGEX_DEPTH}`);
          const plan = planRegex(pattern, flags);
          if (plan.engine === 'refused') refuse(node, `regular expression /${pattern}/: ${plan.reason}`);
          if (plan.engine === 'linear') {
            rewrites.push({ start: node.start, end: node.end, text: `(new RegExp(${JSON.stringify(pattern)}, ${JSON.stringify(flags)}))` });
          }
        }
        break;
      case 'NewExpression':
        checkRegExpCall(node);
        break;
      case 'ImportExpression':
        refuse(node, 'import() is not available in the sandbox');
        break;
      case 'MetaProperty':
        if ((node.meta as AnyNode).name === 'import') refuse(node, 'import.meta is not available in the sandbox');
        break;
      case 'FunctionExpression':
      case 'FunctionDeclaration':
      case 'ArrowFunctionExpression':
        if (node.async) refuse(node, 'async functions are not available in the sandbox');
        break;
      case 'CallExpression':
      case 'TaggedTemplateExpression': {
        if (node.type === 'CallExpression') checkRegExpCall(node);
        // `param.method()` passes the whole object as `this`: no projection then.
        let callee = (node.type === 'CallExpression' ? node.callee : node.tag) as AnyNode;
        while (callee.type === 'ParenthesizedExpression') callee = callee.expression as AnyNode;
        if (callee.type === 'MemberExpression' && (callee.object as AnyNode).type === 'Identifier' && (callee.object as AnyNode).name === paramName) {
          projectable = false;
        }
        break;
      }
      case 'MemberExpression':
        if (!node.computed && REFUSED_MEMBERS.has((node.property as AnyNode).name as string)) {
          refuse(node, 'BigInt is not available in the sandbox');
        }
        break;
      case 'Identifier': {
        const name = node.name as string;
        const isReference = !(
          (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) ||
          ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') &&
            key === 'key' &&
            !parent.computed)
        );
        if (!isReference) break;
        if (REFUSED_NAMES.has(name)) refuse(node, `${name} is not available in the sandbox`);
        if (name === 'arguments') projectable = false;
        if (name === paramName && node !== params[0] && !isStaticRead(node, parent, key, fields)) projectable = false;
        break;
      }
    }
    for (const k of Object.keys(node)) {
      if (k === 'type' || k === 'start' || k === 'end') continue;
      const child = node[k];
      if (Array.isArray(child)) {
        for (const c of child) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') visit(c as AnyNode, node, k, depth + 1);
      } else if (child && typeof child === 'object' && typeof (child as AnyNode).type === 'string') {
        visit(child as AnyNode, node, k, depth + 1);
      }
    }
  };
  visit(fn, null, '', 0);

  const projection = projectable ? [...fields].sort() : null;
  let rewritten = code;
  rewrites.sort((a, b) => a.start - b.start);
  for (let i = rewrites.length - 1; i >= 0; i--) {
    const r = rewrites[i];
    rewritten = rewritten.slice(0, r.start) + r.text + rewritten.slice(r.end);
  }
  return { role, code: rewritten, projection, pure: projection !== null && isPure(fn, paramName as string) };
}

const PURE_GLOBALS = new Set(['utils', 'undefined', 'NaN', 'Infinity', 'Math', 'String', 'Number', 'Boolean',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'JSON']);
const PURE_NODES = new Set(['Literal', 'Identifier', 'MemberExpression', 'CallExpression', 'BinaryExpression',
  'LogicalExpression', 'UnaryExpression', 'ConditionalExpression', 'TemplateLiteral', 'TemplateElement',
  'ArrayExpression', 'ObjectExpression', 'Property', 'SpreadElement', 'ChainExpression', 'ParenthesizedExpression',
  'SequenceExpression', 'BlockStatement', 'ReturnStatement', 'IfStatement', 'VariableDeclaration',
  'VariableDeclarator', 'ExpressionStatement', 'AssignmentExpression', 'UpdateExpression', 'ForStatement',
  'ForOfStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement', 'BreakStatement', 'ContinueStatement',
  'EmptyStatement', 'SwitchStatement', 'SwitchCase', 'TryStatement', 'CatchClause', 'ThrowStatement']);

/** See {@link AnalysedFunction.pure}. Conservative: anything not recognised is impure. */
function isPure(fn: AnyNode, param: string): boolean {
  const locals = new Set<string>([param]);
  let pure = true;
  const collect = (node: AnyNode): void => {
    if (node.type === 'VariableDeclarator' && (node.id as AnyNode).type === 'Identifier') locals.add((node.id as AnyNode).name as string);
    if (node.type === 'CatchClause' && node.param && (node.param as AnyNode).type === 'Identifier') locals.add((node.param as AnyNode).name as string);
    forEachChild(node, (c) => collect(c));
  };
  const check = (node: AnyNode, parent: AnyNode | null, key: string): void => {
    if (!pure) return;
    if (!PURE_NODES.has(node.type)) {
      pure = false;
      return;
    }
    switch (node.type) {
      case 'Identifier': {
        const nonRef =
          (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) ||
          (parent?.type === 'Property' && key === 'key' && !parent.computed);
        const name = node.name as string;
        if (!nonRef && !locals.has(name) && !PURE_GLOBALS.has(name)) pure = false;
        break;
      }
      case 'MemberExpression':
        if ((node.object as AnyNode).type === 'Identifier' && (node.object as AnyNode).name === 'Math' &&
          !node.computed && (node.property as AnyNode).name === 'random') pure = false;
        break;
      case 'UnaryExpression':
        if (node.operator === 'delete') pure = false;
        break;
      case 'AssignmentExpression':
      case 'UpdateExpression': {
        const target = (node.type === 'AssignmentExpression' ? node.left : node.argument) as AnyNode;
        if (target.type !== 'Identifier' || !locals.has(target.name as string) || target.name === param) pure = false;
        break;
      }
      case 'VariableDeclarator':
        if ((node.id as AnyNode).type !== 'Identifier') pure = false;
        break;
      case 'CatchClause':
        if (node.param && (node.param as AnyNode).type !== 'Identifier') pure = false;
        break;
      case 'ForOfStatement':
      case 'ForInStatement': {
        const left = node.left as AnyNode;
        if (left.type !== 'VariableDeclaration') pure = false;
        break;
      }
    }
    forEachChild(node, (c, k) => check(c, node, k));
  };
  const body = fn.body as AnyNode;
  collect(body);
  check(body, fn, 'body');
  return pure;
}

function forEachChild(node: AnyNode, f: (child: AnyNode, key: string) => void): void {
  for (const k of Object.keys(node)) {
    if (k === 'type' || k === 'start' || k === 'end') continue;
    const child = node[k];
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') f(c as AnyNode, k);
    } else if (child && typeof child === 'object' && typeof (child as AnyNode).type === 'string') f(child as AnyNode, k);
  }
}

/** `param.x` / `param['x']` read as a value (not as a method callee, which would pass the object as `this`). */
function isStaticRead(node: AnyNode, parent: AnyNode | null, key: string, fields: Set<string>): boolean {
  if (parent?.type !== 'MemberExpression' || key !== 'object') return false;
  const prop = parent.property as AnyNode;
  let name: string;
  if (!parent.computed && prop.type === 'Identifier') name = prop.name as string;
  else if (parent.computed && prop.type === 'Literal' && (typeof prop.value === 'string' || typeof prop.value === 'number')) {
    name = String(prop.value);
  } else return false;
  fields.add(name);
  void node;
  return true;
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
