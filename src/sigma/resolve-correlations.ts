/**
 * Correlation references resolved against a loaded collection: each must name exactly one rule or
 * correlation (by id or name), chains must not loop, and a correlation built on a refused one is
 * refused too.
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import type { SigmaCorrelation } from './correlation.js';
import { SourceLocator } from './yaml-source.js';

/**
 * Every reference of a correlation must name exactly one loaded rule or correlation (by id or name);
 * chains must not loop; a correlation that references a refused one is refused too. `targets` then
 * holds, per reference, the index of the rule (in `rules`) or correlation (in the result).
 */
/**
 * The most correlations one chain may hold, each counted every time it is referenced: a chain is
 * evaluated as one tree (correlation-plan.ts), so its cost per event grows with this count — and a
 * shared correlation referenced twice on every level (a diamond) doubles it per level.
 */
export const MAX_CORRELATION_CHAIN = 16;

/** What resolution needs of a rule plan: how it is referred to. */
interface Referable {
  sigma: { id?: string };
  ruleName?: string;
}

export function resolveCorrelations(correlations: SigmaCorrelation[], rules: readonly Referable[], sources: readonly { file: string; text: string }[], diagnostics: Diagnostic[]): SigmaCorrelation[] {
  const byRef = new Map<string, { kind: 'rule' | 'correlation'; index: number }[]>();
  const add = (ref: string | undefined, kind: 'rule' | 'correlation', index: number) => {
    if (ref === undefined) return;
    const list = byRef.get(ref) ?? [];
    if (!list.some((t) => t.kind === kind && t.index === index)) list.push({ kind, index });
    byRef.set(ref, list);
  };
  rules.forEach((r, i) => {
    add(r.sigma.id, 'rule', i);
    add(r.ruleName, 'rule', i);
  });
  correlations.forEach((c, i) => {
    add(c.id, 'correlation', i);
    add(c.name, 'correlation', i);
  });
  const locators = new Map<string, SourceLocator>();
  const locate = (c: SigmaCorrelation) => {
    let l = locators.get(c.file);
    if (!l) {
      l = new SourceLocator(c.file, sources.find((s) => s.file === c.file)?.text ?? '');
      locators.set(c.file, l);
    }
    return l;
  };
  const refused = new Set<number>();
  const targets: { kind: 'rule' | 'correlation'; index: number }[][] = correlations.map((c, ci) =>
    c.rules.map((ref, k) => {
      const found = byRef.get(ref) ?? [];
      const fail = (why: string) => {
        diagnostics.push(locate(c).diagnostic('error', 'sigma-correlation', `correlation '${c.title}' references '${ref}', ${why}`, c.ruleSpans[k], c.title));
        refused.add(ci);
        return { kind: 'rule' as const, index: -1 };
      };
      if (found.length === 0) return fail('which is neither the id nor the name of a loaded rule');
      if (found.length > 1) return fail(`which names ${found.length} loaded rules or correlations`);
      return found[0];
    }),
  );
  // Loops in chains: a correlation that reaches itself.
  const reachesItself = (start: number): boolean => {
    const seen = new Set<number>();
    const stack = [start];
    while (stack.length > 0) {
      for (const t of targets[stack.pop()!]) {
        if (t.kind !== 'correlation') continue;
        if (t.index === start) return true;
        if (!seen.has(t.index)) {
          seen.add(t.index);
          stack.push(t.index);
        }
      }
    }
    return false;
  };
  correlations.forEach((c, i) => {
    if (!refused.has(i) && reachesItself(i)) {
      diagnostics.push(locate(c).diagnostic('error', 'sigma-correlation', `correlation '${c.title}' references itself through its chain of correlations`, c.span, c.title));
      refused.add(i);
    }
  });
  // Chains as the engine evaluates them (trees, a shared correlation counted once per reference),
  // sizes saturating past the limit; post-order with an explicit stack, since chains can be long.
  // Loops were refused above, so what is left (ignoring refused correlations) is acyclic.
  const size = new Map<number, number>();
  for (let root = 0; root < correlations.length; root++) {
    if (refused.has(root)) continue;
    const stack = [root];
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      if (size.has(i)) {
        stack.pop();
        continue;
      }
      const inner = targets[i].filter((t) => t.kind === 'correlation' && !refused.has(t.index));
      const pending = inner.filter((t) => !size.has(t.index));
      if (pending.length > 0) {
        for (const t of pending) stack.push(t.index);
        continue;
      }
      size.set(i, Math.min(MAX_CORRELATION_CHAIN + 1, inner.reduce((n, t) => n + size.get(t.index)!, 1)));
      stack.pop();
    }
  }
  correlations.forEach((c, i) => {
    if (!refused.has(i) && size.get(i)! > MAX_CORRELATION_CHAIN) {
      diagnostics.push(
        locate(c).diagnostic('error', 'sigma-correlation', `correlation '${c.title}' is a chain of more than ${MAX_CORRELATION_CHAIN} correlations (each counted every time it is referenced)`, c.span, c.title),
      );
      refused.add(i);
    }
  });
  // A correlation built on a refused one cannot run either.
  for (let changed = true; changed; ) {
    changed = false;
    correlations.forEach((c, i) => {
      if (refused.has(i)) return;
      const bad = targets[i].find((t) => t.kind === 'correlation' && refused.has(t.index));
      if (bad) {
        diagnostics.push(locate(c).diagnostic('error', 'sigma-correlation', `correlation '${c.title}' is built on '${correlations[bad.index].title}', which was refused`, c.span, c.title));
        refused.add(i);
        changed = true;
      }
    });
  }
  const kept = correlations.map((_, i) => i).filter((i) => !refused.has(i));
  const newIndex = new Map(kept.map((old, i) => [old, i]));
  return kept.map((i) => ({ ...correlations[i], targets: targets[i].map((t) => (t.kind === 'correlation' ? { kind: t.kind, index: newIndex.get(t.index)! } : t)) }));
}
