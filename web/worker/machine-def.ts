/**
 * A STATE MACHINE rule's definition as plain data (states, labelled transitions, routing), built
 * from the rule's AST: what the debugger draws (the counts on it come from the engine itself,
 * transition-tracker.ts). INITIAL first, then states in order of first mention; TERM last.
 */
import type { RuleAst } from '../../src/lang/ast.js';
import { parseRules } from '../../src/lang/index.js';
import type { MachineDefinition, MachineEdge } from '../../src/runtime/worker/protocol.js';

export type { MachineDefinition, MachineEdge };

export const INITIAL = 'INITIAL';
export const TERM = 'TERM';

export function machineDefinition(ast: RuleAst): MachineDefinition | undefined {
  const sm = ast.stateMachine;
  if (!sm) return undefined;
  const states = [INITIAL];
  let term = false;
  const mention = (name: string) => {
    if (name === TERM) term = true;
    else if (!states.includes(name)) states.push(name);
  };
  const edges: MachineEdge[] = [];
  for (const state of sm.states) {
    mention(state.name);
    for (const t of state.transitions) {
      mention(t.target);
      edges.push({ from: state.name, to: t.target, event: t.event });
    }
  }
  if (term) states.push(TERM);
  return {
    rule: ast.name,
    keyFields: sm.keyFields.map((f) => f.field),
    on: sm.on.field,
    ...(ast.using ? { timeField: ast.using.field } : {}),
    states,
    edges,
    ...(sm.timeout ? { timeoutMs: sm.timeout.ms } : {}),
    resetOnAlert: sm.resetOnAlert,
    sources: ast.sources.map((s) => ({ field: s.field, values: [...s.values] })),
    filtered: !!ast.filter || ast.iocFilters.length > 0,
  };
}

/** The definition of the STATE MACHINE rule `name` in `text` (a rule's text as the engine keeps it). */
export function machineDefinitionOfText(text: string, name: string): MachineDefinition | undefined {
  const { rules } = parseRules(text, `${name}.vgl`);
  const ast = rules.find((r) => r.name === name) ?? rules[0];
  return ast ? machineDefinition(ast) : undefined;
}
