/**
 * Where a regular expression compiled on the host (in a natively compiled rule function) runs: on
 * the built-in RegExp when regex-linear.ts proves it linear there, otherwise on re2js (regex-re2.ts),
 * and nowhere when neither holds (a backreference or lookaround in a pattern that is not provably
 * linear): such a pattern is a `vigil check` error.
 */
import { backtrackingProblem } from './regex-linear.js';
import { LinearRegExp, re2Problem } from './regex-re2.js';
import { parseRegex, RegexSyntaxUnsupported } from './regex-syntax.js';

export { isLinearOnBuiltin } from './regex-linear.js';
export { LinearRegExp } from './regex-re2.js';

export type RegexEngine = 'builtin' | 're2js';

/** Thrown by {@link hostRegExp} for a pattern no engine runs safely; the message says why. */
export class RegexRefused extends Error {}

/** Which engine runs `pattern`, or why none does. */
export function regexPlan(pattern: string, flags: string): { engine: RegexEngine } | { engine: 'none'; reason: string } {
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return { engine: 'none', reason: `not a valid regular expression (${(err as Error).message})` };
  }
  let linearProblem: string;
  try {
    const problem = backtrackingProblem(parseRegex(pattern, flags));
    if (problem === undefined) return { engine: 'builtin' };
    linearProblem = problem;
  } catch (err) {
    if (!(err instanceof RegexSyntaxUnsupported)) throw err;
    linearProblem = `syntax the linear-time check does not read: ${err.message}`;
  }
  const re2 = re2Problem(pattern, flags);
  if (re2 === undefined) return { engine: 're2js' };
  return { engine: 'none', reason: `may backtrack catastrophically (${linearProblem}) and cannot run on the linear-time engine (${re2})` };
}

/** Why `pattern` cannot be compiled on the host, or undefined when it can (on one engine or the other). */
export function regexProblem(pattern: string, flags: string): string | undefined {
  const plan = regexPlan(pattern, flags);
  return plan.engine === 'none' ? plan.reason : undefined;
}

/** `new RegExp(pattern, flags)` on the engine {@link regexPlan} chooses; throws {@link RegexRefused}. */
export function hostRegExp(pattern: string, flags = ''): RegExp {
  const plan = regexPlan(pattern, flags);
  if (plan.engine === 'none') throw new RegexRefused(plan.reason);
  return plan.engine === 'builtin' ? new RegExp(pattern, flags) : new LinearRegExp(pattern, flags);
}
