/**
 * The literal prefilter never changes which rules match: over the whole SigmaHQ corpus, with events
 * built from the rules' own selections (so that many rules fire, and many more nearly do), the
 * rules a prefiltered evaluation finds are exactly the rules that match when every rule is tried.
 *
 * The oracle is each rule's own `match` (routing and detection) tried on every event; the events
 * are derived from the YAML text, not from the requirements under test. Then the same through the
 * engine: `sigmaPrefilter: true` and `false` give identical alerts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/types.js';
import { loadSigma, type SigmaRulePlan } from '../../src/sigma/index.js';
import { LiteralPrefilter } from '../../src/sigma/prefilter.js';
import { createNodeEngine } from '../../src/targets/node.js';
import { rng, sigmaMaterialDir } from './helpers.js';

const ROOT = sigmaMaterialDir() ?? '../shared/sigma';
const present = existsSync(join(ROOT, 'rules'));

function corpusFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) files.push(path);
    }
  };
  for (const f of ['rules', 'rules-emerging-threats', 'rules-threat-hunting']) walk(join(ROOT, f));
  return files;
}

type Json = Record<string, unknown>;

function setPath(event: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = event;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Json;
  }
  at[parts[parts.length - 1]] = value;
}

/**
 * A text the value (a Sigma string with modifiers) would likely match: wildcards filled in, the
 * position honoured with filler around it, the case sometimes changed.
 */
function textFor(value: unknown, mods: string[], next: () => number): unknown {
  if (typeof value !== 'string') return value;
  const filler = () => ['', 'x', ' /c ', 'C:\\Temp\\', '-a ', 'Zz9'][Math.floor(next() * 6)];
  let text = value.replace(/\\([*?\\])|\*|\?/g, (m, escaped) => escaped ?? (m === '*' ? filler() : 'q'));
  if (mods.includes('contains')) text = filler() + text + filler();
  else if (mods.includes('startswith')) text += filler();
  else if (mods.includes('endswith')) text = filler() + text;
  const r = next();
  return r < 0.2 ? text.toUpperCase() : r < 0.3 ? text.replace(/-/g, '/') : text;
}

/** The selections of each rule (maps, and maps in lists) as (field, modifiers, values). */
function selectionsOf(text: string): Map<string, { field: string; mods: string[]; values: unknown[] }[][]> {
  const byTitle = new Map<string, { field: string; mods: string[]; values: unknown[] }[][]>();
  for (const doc of parseAllDocuments(text)) {
    const js = (doc as { toJS?: () => unknown }).toJS?.() as Json | undefined;
    if (!js || typeof js !== 'object' || typeof js.title !== 'string' || typeof js.detection !== 'object' || js.detection === null) continue;
    const maps: { field: string; mods: string[]; values: unknown[] }[][] = [];
    for (const [name, sel] of Object.entries(js.detection as Json)) {
      if (name === 'condition') continue;
      const items = Array.isArray(sel) ? sel : [sel];
      for (const item of items) {
        if (!item || typeof item !== 'object') continue;
        maps.push(
          Object.entries(item as Json).map(([key, v]) => {
            const [field, ...mods] = key.split('|');
            return { field, mods, values: Array.isArray(v) ? v : [v] };
          }),
        );
      }
    }
    byTitle.set(js.title, maps);
  }
  return byTitle;
}

describe.skipIf(!present)('Sigma prefilter: same matches as trying every rule, over the whole corpus', () => {
  const files = present ? corpusFiles() : [];
  const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  const collection = present ? loadSigma(sources, { pipeline: 'evtx-json' }) : undefined;
  const rules = collection?.rules ?? [];

  /** Events from each rule's selections (one per map), plus mixtures of two rules of one logsource. */
  function events(): Json[] {
    const next = rng(1414);
    const selections = new Map<string, ReturnType<typeof selectionsOf>>();
    for (const s of sources) selections.set(s.file, selectionsOf(s.text));
    const out: Json[] = [];
    const eventFor = (rule: SigmaRulePlan, maps: { field: string; mods: string[]; values: unknown[] }[][], base?: Json): Json => {
      const event: Json = base ? structuredClone(base) : {};
      for (const s of rule.selectors) {
        const v = s.values[0];
        if (v !== undefined) setPath(event, s.field, /^\d+$/.test(v) ? Number(v) : v);
      }
      for (const map of maps) {
        if (map !== maps[0] && next() < 0.5) continue;
        for (const { field, mods, values } of map) {
          if (field === '' || mods.includes('re') || mods.includes('cidr') || mods.includes('exists')) continue;
          const path = rule.fieldPaths(field)[0];
          if (!path || next() < 0.1) continue;
          const value = values[Math.floor(next() * values.length)];
          setPath(event, path, mods.includes('all') ? values.map((x) => textFor(x, mods, next)).join(' ') : textFor(value, mods, next));
        }
      }
      return event;
    };
    const byLogsource = new Map<string, number[]>();
    rules.forEach((rule, i) => {
      const maps = selections.get(rule.file)?.get(rule.name) ?? [];
      const key = JSON.stringify(rule.selectors);
      byLogsource.set(key, [...(byLogsource.get(key) ?? []), i]);
      if (maps.length) out.push(eventFor(rule, maps));
      // Each map alone too, so a `selection and not filter` rule meets events without the filter.
      for (const map of maps.slice(0, 2)) out.push(eventFor(rule, [map]));
    });
    // Mixtures: a rule's event with another rule's fields of the same logsource.
    for (const indices of byLogsource.values()) {
      for (let k = 0; k < Math.min(indices.length, 100); k++) {
        const a = rules[indices[Math.floor(next() * indices.length)]];
        const b = rules[indices[Math.floor(next() * indices.length)]];
        const base = eventFor(a, selections.get(a.file)?.get(a.name) ?? []);
        out.push(eventFor(b, selections.get(b.file)?.get(b.name) ?? [], base));
      }
    }
    return out;
  }
  const generated = present ? events() : [];

  it('finds, for every event, exactly the rules that match when every rule is tried', () => {
    expect(rules.length).toBeGreaterThan(3000);
    const prefilter = new LiteralPrefilter<{ order: number; rule: SigmaRulePlan }>();
    const always: SigmaRulePlan[] = [];
    rules.forEach((rule, order) => (rule.requires ? prefilter.add({ order, rule }, rule.requires) : always.push(rule)));
    // Most rules must actually be prefiltered, or this proves little about the prefilter.
    expect(prefilter.size).toBeGreaterThan(rules.length * 0.9);
    const fired = new Set<SigmaRulePlan>();
    let matches = 0;
    let candidates = 0;
    for (const event of generated) {
      const expected = rules.filter((r) => r.match(event));
      const actual = [...prefilter.candidates(event).map((c) => c.rule), ...always].filter((r) => r.match(event));
      candidates += prefilter.candidates(event).length;
      expect(new Set(actual), JSON.stringify(event)).toEqual(new Set(expected));
      for (const r of expected) fired.add(r);
      matches += expected.length;
    }
    // The events exercise the corpus: many rules fire (and the prefilter still skips most rules).
    expect(fired.size).toBeGreaterThan(rules.length * 0.5);
    expect(matches).toBeGreaterThan(generated.length / 4);
    expect(candidates / generated.length).toBeLessThan(rules.length / 10);
  }, 300_000);

  it('gives identical alerts through the engine with the prefilter on and off', async () => {
    const next = rng(99);
    // Every rule of the corpus; a sample of the events (trying every rule is slow by design).
    const sample = generated.filter(() => next() < 0.15);
    const run = async (sigmaPrefilter: boolean) => {
      const engine = await createNodeEngine({ sigma: { pipeline: 'evtx-json' }, sigmaPrefilter, clock: () => 1_700_000_000_000 });
      for (const s of sources) engine.putRules(s.text, { file: s.file });
      const alerts: Alert[] = [];
      engine.onAlert((a) => alerts.push(a));
      for (let i = 0; i < sample.length; i += 500) engine.push(sample.slice(i, i + 500));
      return alerts.map((a) => JSON.stringify(a));
    };
    const on = await run(true);
    const off = await run(false);
    expect(on.length).toBeGreaterThan(sample.length / 2);
    expect(on).toEqual(off);
  }, 300_000);
});
