/**
 * The linear-time regular-expression engine (re2js, RE2 semantics) behind every sandbox regex that
 * the static check cannot prove free of super-linear backtracking. It runs on the host: the prelude
 * gives such a RegExp an `exec` that calls here, and every other RegExp method goes through `exec`.
 */
import { MatcherInput, RE2JS } from 're2js';
import { isSafeRegex } from '../lang/native-safety.js';
import { shortInputLimit } from '../lang/regex-re2.js';

/** What the sandbox needs to know about a pattern before it builds the RegExp. */
export type RegexPlan =
  | { engine: 'native' }
  | { engine: 'linear'; groups: number; names: Record<string, number>; shortLimit: number }
  | { engine: 'refused'; reason: string };

const UNANCHORED = 0;
const ANCHOR_START = 1;
/** Compiled patterns kept per sandbox (rules compile few distinct patterns; dynamic ones churn). */
const MAX_CACHED = 64;

function re2Flags(flags: string): number {
  let f = 0;
  if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) f |= RE2JS.MULTILINE;
  if (flags.includes('s')) f |= RE2JS.DOTALL;
  return f;
}

function compileLinear(source: string, flags: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(source), re2Flags(flags));
}

/**
 * Where a pattern runs: on the built-in engine when `isSafeRegex` proves it linear, else on re2js;
 * refused when re2js cannot take it either (backreferences, lookaround).
 */
export function planRegex(source: string, flags: string): RegexPlan {
  if (isSafeRegex(source)) return { engine: 'native' };
  try {
    const re = compileLinear(source, flags);
    // Inputs up to shortLimit characters stay on QuickJS's engine, whose work on them is bounded
    // (src/lang/regex-re2.ts shortInputLimit): no crossing to the host for a short field.
    const shortLimit = /[gyd]/.test(flags) ? 0 : shortInputLimit(source);
    return { engine: 'linear', groups: re.groupCount(), names: { ...re.namedGroups() }, shortLimit };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { engine: 'refused', reason: `it may backtrack catastrophically, and the linear-time engine cannot take it (${message})` };
  }
}

/** One sandbox's compiled linear patterns. */
export class LinearRegexes {
  private readonly cache = new Map<string, RE2JS>();

  /**
   * Match positions of `source`/`flags` in `text` from `lastIndex` (anchored there when `sticky`):
   * `[start, end, group1Start, group1End, …]` with -1 for groups that did not take part, or null.
   */
  exec(source: string, flags: string, text: string, lastIndex: number, sticky: boolean): number[] | null {
    const key = `${flags}/${source}`;
    let re = this.cache.get(key);
    if (re === undefined) {
      re = compileLinear(source, flags);
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, re);
    }
    const ngroup = re.groupCount() + 1;
    // re2js anchors only at the start of the text, so a sticky match is the leftmost match from
    // lastIndex when it starts there (same leftmost-first result, the text around it still visible to
    // ^, $ and \b).
    const [matched, positions] = re
      .re2()
      .matchWithGroup(MatcherInput.utf16(text), lastIndex, text.length, lastIndex === 0 && sticky ? ANCHOR_START : UNANCHORED, ngroup) as [boolean, number[]];
    if (!matched || (sticky && positions[0] !== lastIndex)) return null;
    const out: number[] = new Array(2 * ngroup);
    for (let i = 0; i < 2 * ngroup; i++) out[i] = positions[i] ?? -1;
    return out;
  }
}
