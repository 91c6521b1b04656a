/**
 * Required literals: what text must be in an event for a Sigma detection to possibly match, so a
 * prefilter can skip the rules whose literals are all absent (see prefilter.ts).
 *
 * A requirement is a list of clauses that must ALL hold; a clause is a set of (field, literal)
 * pairs of which AT LEAST ONE must occur, the literal lower-cased, as a substring of the field's
 * value lower-cased (`String.prototype.toLowerCase`, what `Fold.Lower` memoises for every rule).
 * Undefined means "no requirement": the rule is always evaluated. The derivation is conservative — it may only ever keep a rule that cannot match, never
 * drop one that can:
 * - a string value (exact, contains, startswith, endswith, wildcards, encodings) requires one of the
 *   literal runs between its wildcards, as the matcher folds them; with `windash`, a run without any
 *   dash character; with `cased`, a run of ASCII characters (lower-casing an ASCII run inside any
 *   text gives the run lower-cased; outside ASCII, Σ's final form does not);
 * - a field entry requires the union of its values' literals (`all`: every value's);
 * - a map (AND of entries) requires the clauses of all its entries, a list (OR) one clause: the
 *   union of each item's most selective clause;
 * - in the condition, `and` / `all of` keep every operand's clauses, `or` / `N of` the union;
 *   `not`, keywords, `re`, `cidr`, comparisons, `exists`, `null`, `fieldref`, numbers, booleans
 *   and `neq` require nothing.
 * A requirement keeps its MAX_CLAUSES most selective clauses (see `strength`).
 */
import { WINDASH_CHARS } from './encodings.js';
import { Fold, type FieldAccess } from './field-access.js';
import type { SigmaStringItem } from './glob.js';

export interface RequiredLiteral {
  /** The field read (its pipeline paths); the value is lower-cased before the search. */
  access: FieldAccess;
  /** Lower-cased, non-empty. */
  literal: string;
}

/** At least one of these literals must occur. */
export type Clause = readonly RequiredLiteral[];

/** Every clause must hold (an AND of ORs); undefined: no requirement (always evaluate). */
export type Requirement = readonly Clause[] | undefined;

/** Literals one clause may union before it is not worth keeping (a prefilter that lets everything through). */
export const MAX_CLAUSE_LITERALS = 4096;
/** Clauses one requirement keeps (the most selective). */
export const MAX_CLAUSES = 8;

/**
 * Any of the operands (OR): one clause, the union of each operand's most selective clause (each
 * operand implies its clause, so the OR implies the union); nothing if one operand requires nothing.
 */
export function anyOf(requirements: readonly Requirement[]): Requirement {
  if (requirements.length === 0) return undefined;
  if (requirements.length === 1) return requirements[0];
  const out: RequiredLiteral[] = [];
  const seen = new Set<string>();
  for (const r of requirements) {
    if (r === undefined || r.length === 0) return undefined;
    for (const x of r[0]) {
      const key = `${x.access.paths.join('\u0000')}\u0001${x.literal}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(x);
    }
  }
  return out.length > MAX_CLAUSE_LITERALS ? undefined : [out];
}

/** All of the operands (AND): every clause of every operand, the most selective first, at most MAX_CLAUSES. */
export function allOf(requirements: readonly Requirement[]): Requirement {
  const clauses: Clause[] = [];
  for (const r of requirements) if (r !== undefined) clauses.push(...r);
  if (clauses.length === 0) return undefined;
  return clauses.sort((a, b) => strength(b) - strength(a) || a.length - b.length).slice(0, MAX_CLAUSES);
}

/**
 * A clause is as selective as its shortest literal (a long literal is rarely present by chance;
 * fewer literals break ties). Requirements keep their clauses in this order, strongest first.
 */
function strength(clause: Clause): number {
  let min = Infinity;
  for (const x of clause) if (x.literal.length < min) min = x.literal.length;
  return min;
}

const DASHES = new Set(WINDASH_CHARS);

/**
 * The literal one string pattern requires (its items already wrapped for the position modifier,
 * its literals not yet folded), as found in the field's lower-cased value; undefined if none.
 */
export function patternLiteral(items: readonly SigmaStringItem[], fold: Fold): string | undefined {
  const cased = fold === Fold.None || fold === Fold.Dash;
  const dashes = fold === Fold.Dash || fold === Fold.LowerDash;
  let best = '';
  const consider = (run: string) => {
    if (run.length > best.length) best = run;
  };
  for (const it of items) {
    if (!('lit' in it)) continue;
    // A cased run is split at non-ASCII characters, a windash run at dashes.
    const text = cased ? it.lit : it.lit.toLowerCase();
    let run = '';
    for (const ch of text) {
      if ((dashes && DASHES.has(ch)) || (cased && ch.charCodeAt(0) > 0x7f)) {
        consider(run);
        run = '';
      } else run += ch;
    }
    consider(run);
  }
  if (best === '') return undefined;
  return cased ? best.toLowerCase() : best;
}
