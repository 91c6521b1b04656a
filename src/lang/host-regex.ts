/**
 * Where a regular expression compiled on the host (in a natively compiled rule function, or a Sigma
 * `re` modifier) runs: on the built-in RegExp when regex-linear.ts proves it linear there, otherwise
 * on re2js (regex-re2.ts), and nowhere when neither holds (a backreference or lookaround in a
 * pattern that is not provably linear) or when the engine it would run on costs more per input
 * character than {@link MAX_REGEX_COST}: such a pattern is a `vigil check` error.
 *
 * Linear is not enough: the constant is the pattern's, and neither Sigma matchers nor native rule
 * functions have a deadline. `(\w+\s*){1000}` is linear on re2js, but its program has 6,002
 * instructions, which re2js may all run at every input character (260–1,200 µs per character
 * measured: minutes for a 1 MB command line); `[a-z]{1000}` is linear on the built-in engine, which
 * may read every character a thousand times. The cost is estimated per input character and
 * counted in steps of the built-in engine (one character read by one backtracking attempt, about
 * 5 ns measured): bench/regex-cost.mjs sets the estimates beside the measured µs per character.
 */
import { analyzeBacktracking } from './regex-linear.js';
import { LinearRegExp, re2Program } from './regex-re2.js';
import { parseRegex, RegexSyntaxUnsupported } from './regex-syntax.js';

export { isLinearOnBuiltin } from './regex-linear.js';
export { LinearRegExp } from './regex-re2.js';

export type RegexEngine = 'builtin' | 're2js';

/**
 * The most a host regex may cost per input character, in built-in engine steps (see the top of this
 * file). The costliest patterns at the limit measure 10–14 µs per character on either engine
 * (`[a-z]{2499}`, `((a{10}){10}){25}`, `(?:.*a){165}`, re2js programs of about 500 instructions such
 * as `(\w+\s*){83}`; bench/regex-cost.mjs). It is 2,500 and not 1,000 (4–6 µs) for the SigmaHQ
 * corpus: its two costliest regexes, with two `.{1,64}`-style windows each (374 and 404
 * instructions), estimate 1,880 and 2,030 but measure about 1 µs, as a window is entered only after
 * its literal, which the estimate does not see; refusing them refused `vigil run --rules
 * rules/windows` whole.
 */
export const MAX_REGEX_COST = 2500;

/**
 * What one re2js instruction costs per input character, in built-in engine steps. re2js's NFA may
 * visit every instruction of the program at every character, and when its DFA's cache thrashes it
 * builds a state of up to that many instructions per character: about 20–25 ns per instruction
 * measured for programs of 200 instructions (more for larger ones), where a backtracking step of the
 * built-in engine costs about 5 ns (bench/regex-cost.mjs).
 */
export const RE2JS_STEPS_PER_INSTRUCTION = 5;

/** Thrown by {@link hostRegExp} for a pattern no engine runs safely; the message says why. */
export class RegexRefused extends Error {}

export type RegexPlan = { engine: RegexEngine; cost: number } | { engine: 'none'; reason: string };

/**
 * Which engine runs `pattern`, and its estimated cost per input character, or why none does: the
 * built-in engine when it is provably linear there and within `maxCost`, else re2js when it takes
 * the pattern within `maxCost`.
 */
export function regexPlan(pattern: string, flags: string, maxCost = MAX_REGEX_COST): RegexPlan {
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return { engine: 'none', reason: `is not a valid regular expression (${(err as Error).message})` };
  }
  let linearProblem: string;
  let builtinCost: number | undefined;
  try {
    const analysis = analyzeBacktracking(parseRegex(pattern, flags));
    if (analysis.problem === undefined) {
      if (analysis.stepsPerChar <= maxCost) return { engine: 'builtin', cost: analysis.stepsPerChar };
      builtinCost = analysis.stepsPerChar;
    }
    linearProblem = analysis.problem ?? '';
  } catch (err) {
    if (!(err instanceof RegexSyntaxUnsupported)) throw err;
    linearProblem = `syntax the linear-time check does not read: ${err.message}`;
  }
  const re2 = re2Program(pattern, flags);
  if ('problem' in re2 && builtinCost === undefined) {
    return { engine: 'none', reason: `may backtrack catastrophically (${linearProblem}) and cannot run on the linear-time engine (${re2.problem})` };
  }
  const onBuiltin =
    builtinCost !== undefined
      ? `the built-in engine takes about ${thousands(builtinCost)} steps per input character (each attempt reads again what its bounded repeats and lookarounds span)`
      : `the built-in engine may backtrack catastrophically (${linearProblem})`;
  let onRe2: string;
  if ('problem' in re2) {
    onRe2 = `the linear-time engine cannot run it (${re2.problem})`;
  } else {
    const re2Cost = re2.instructions * RE2JS_STEPS_PER_INSTRUCTION;
    if (re2Cost <= maxCost) return { engine: 're2js', cost: re2Cost };
    onRe2 = `the linear-time engine (re2js) takes about ${thousands(re2Cost)} (${thousands(re2.instructions)} instructions, each of which may run at every character)`;
  }
  return { engine: 'none', reason: `is too costly: ${onBuiltin}, and ${onRe2}; the limit is ${thousands(maxCost)} steps per input character` };
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
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
