/**
 * Which top-level fields of an event the loaded rules read before an event passes their
 * predicates — routing (SOURCES), FILTER and IOC FILTERS — or why that cannot be told, in which
 * case every line is decoded eagerly. Conservative by construction: lazy only when every rule is
 * a simple VGL rule (no window, state machine or USING, which read times from every event), its
 * FILTER runs natively (a sandboxed function gets the event whole), and the FILTER's parameter
 * appears only as `e.name` or `e['name']`: passing `e` to a function, `e[expr]`, spread,
 * `Object.keys(e)`, `arguments`, or a second binding of the same name all mean eager.
 */
import type * as acorn from 'acorn';
import type { RuleInfo } from '../engine/types.js';
import { parseRules } from '../lang/parse.js';

export type LazyFieldUse = { fields: string[] } | { eager: string };

const byText = new Map<string, { fields: string[] } | { eager: string }>();

/** The fields the rules read before an event passes them (dotted paths add their first segment), or why eager. */
export function lazyFieldsOf(rules: readonly RuleInfo[]): LazyFieldUse {
  if (!rules.length) return { eager: 'no rules' };
  const fields = new Set<string>();
  for (const rule of rules) {
    const use = ruleFieldUse(rule);
    if ('eager' in use) return { eager: `rule "${rule.name}": ${use.eager}` };
    for (const field of use.fields) {
      fields.add(field);
      const dot = field.indexOf('.');
      if (dot >= 0) fields.add(field.slice(0, dot));
    }
  }
  return { fields: [...fields] };
}

function ruleFieldUse(rule: RuleInfo): { fields: string[] } | { eager: string } {
  if (rule.language !== 'vgl') return { eager: 'not a VGL rule' };
  if (rule.kind !== 'simple') return { eager: `a ${rule.kind} rule` };
  const filterMode = rule.functions.find((f) => f.phase === 'filter')?.mode;
  if (filterMode === 'sandbox') return { eager: 'FILTER runs in the sandbox' };
  const key = `${filterMode}\u0000${rule.text}`;
  let use = byText.get(key);
  if (!use) byText.set(key, (use = astFieldUse(rule.text)));
  return use;
}

function astFieldUse(text: string): { fields: string[] } | { eager: string } {
  const parsed = parseRules(text);
  if (parsed.rules.length !== 1 || parsed.diagnostics.some((d) => d.severity === 'error')) return { eager: 'rule text does not parse alone' };
  const ast = parsed.rules[0]!;
  if (ast.using || ast.aggregateBy || ast.stateMachine) return { eager: 'reads event time' };
  const fields = [...ast.sources.map((s) => s.field), ...ast.iocFilters.map((t) => t.field)];
  if (ast.filter) {
    const read = functionFieldReads(ast.filter.node as acorn.AnyNode);
    if ('eager' in read) return read;
    fields.push(...read.fields);
  }
  return { fields };
}

/**
 * The names a function reads from its first parameter, when it reads it only as `p.name` or
 * `p['name']`; `{ eager }` naming the first other use.
 */
export function functionFieldReads(fn: acorn.AnyNode): { fields: string[] } | { eager: string } {
  if (fn.type !== 'FunctionExpression' && fn.type !== 'ArrowFunctionExpression') return { eager: 'FILTER is not a function' };
  if (!fn.params.length) return { fields: [] };
  const param = fn.params[0]!;
  if (param.type !== 'Identifier') return { eager: 'the event parameter is a pattern' };
  const name = param.name;
  const fields: string[] = [];
  let eager: string | undefined;
  const visit = (node: acorn.AnyNode, parent: acorn.AnyNode | undefined, key: string): void => {
    if (eager) return;
    if (node.type === 'Identifier') {
      if (node === param) return;
      if (node.name === 'arguments') {
        eager = '`arguments`';
        return;
      }
      if (node.name !== name) return;
      // A property name (`x.e`, `{ e: 1 }`) is no reference; anything else but `e.name` / `e['name']` is.
      if (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) return;
      if (parent?.type === 'Property' && key === 'key' && !parent.computed && !parent.shorthand) return;
      if (parent?.type === 'MemberExpression' && key === 'object') {
        const property = parent.property;
        if (!parent.computed && property.type === 'Identifier') {
          fields.push(property.name);
          return;
        }
        if (parent.computed && property.type === 'Literal' && typeof property.value === 'string') {
          fields.push(property.value);
          return;
        }
      }
      eager = `the event is used whole at offset ${node.start}`;
      return;
    }
    for (const [childKey, child] of Object.entries(node)) {
      if (Array.isArray(child)) {
        for (const item of child) if (item && typeof item === 'object' && typeof item.type === 'string') visit(item as acorn.AnyNode, node, childKey);
      } else if (child && typeof child === 'object' && typeof (child as acorn.Node).type === 'string') {
        visit(child as acorn.AnyNode, node, childKey);
      }
    }
  };
  for (const p of fn.params) visit(p as acorn.AnyNode, fn, 'params');
  visit(fn.body as acorn.AnyNode, fn, 'body');
  return eager ? { eager } : { fields };
}
