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
import type { RulePlan } from '../engine/rule-plan.js';

export type LazyFieldUse = { fields: string[] } | { eager: string };

/** The fields the rules read before an event passes them (dotted paths add their first segment), or why eager. */
export function lazyFieldsOf(plans: readonly RulePlan[]): LazyFieldUse {
  if (!plans.length) return { eager: 'no rules' };
  const fields = new Set<string>();
  for (const plan of plans) {
    const use = ruleFieldUse(plan);
    if ('eager' in use) return { eager: `rule "${plan.name}": ${use.eager}` };
    for (const field of use.fields) {
      fields.add(field);
      const dot = field.indexOf('.');
      if (dot >= 0) fields.add(field.slice(0, dot));
    }
  }
  return { fields: [...fields] };
}

/** Per plan (immutable while the rule lives): a run with threads asks again for every block. */
const useByPlan = new WeakMap<RulePlan, LazyFieldUse>();

function ruleFieldUse(plan: RulePlan): LazyFieldUse {
  let use = useByPlan.get(plan);
  if (!use) useByPlan.set(plan, (use = planFieldUse(plan)));
  return use;
}

function planFieldUse(plan: RulePlan): LazyFieldUse {
  const ast = plan.ast;
  if (plan.sigma || !ast) return { eager: 'not a VGL rule' };
  if (plan.aggregation || plan.stateMachine || ast.using || ast.aggregateBy || ast.stateMachine) return { eager: 'reads event time or keeps events' };
  if (plan.filter?.mode === 'sandbox') return { eager: 'FILTER runs in the sandbox' };
  if (Boolean(plan.filter) !== Boolean(ast.filter)) return { eager: 'FILTER not from the rule text' };
  const fields = [...plan.selectors.map((s) => s.field), ...plan.iocTerms.map((t) => t.field)];
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
export function functionFieldReads(fn: acorn.AnyNode): LazyFieldUse {
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
