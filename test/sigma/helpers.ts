/** Shared helpers for the Sigma tests: compile one rule from YAML text, or fail with its diagnostics. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../../src/lang/diagnostic.js';
import { loadSigma, type SigmaOptions, type SigmaRulePlan } from '../../src/sigma/index.js';

/** A rule with one selection `detection` (YAML lines, indented by 8) and condition `selection`. */
export function ruleText(detection: string, condition = 'selection', logsource = 'product: windows\n    category: process_creation'): string {
  return `title: Test rule\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n    ${logsource}\ndetection:\n${detection}\n    condition: ${condition}\nlevel: high\n`;
}

export function compile(text: string, options: SigmaOptions = {}): SigmaRulePlan {
  const c = loadSigma([{ file: 'test.yml', text }], options);
  const errors = c.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || c.rules.length !== 1) throw new Error(`expected one rule, got ${c.rules.length}:\n${errors.map(formatDiagnostic).join('\n')}`);
  return c.rules[0];
}

/** Compiles `field|mods: values` as the only selection (flat pipeline) and returns its matcher. */
export function fieldMatcher(key: string, values: unknown, options: SigmaOptions = {}): (event: Record<string, unknown>) => boolean {
  const valueText = Array.isArray(values) ? `\n${values.map((v) => `            - ${yamlScalar(v)}`).join('\n')}` : ` ${yamlScalar(values)}`;
  return compile(ruleText(`    selection:\n        '${key}':${valueText}`), options).match;
}

export function yamlScalar(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return String(v);
}

export function errorsOf(text: string, options: SigmaOptions = {}) {
  return loadSigma([{ file: 'test.yml', text }], options).diagnostics.filter((d) => d.severity === 'error');
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where the Sigma material is: `../shared/sigma` from the project's root (a worktree under
 * `wt/` looks one level further up), or `VIGIL_SIGMA_DIR`. Undefined when absent (tests skip).
 */
export function sigmaMaterialDir(): string | undefined {
  const candidates = [process.env.VIGIL_SIGMA_DIR, join(process.cwd(), '../shared/sigma'), join(process.cwd(), '../../shared/sigma')];
  for (const c of candidates) if (c && existsSync(join(c, 'spec'))) return c;
  return undefined;
}
