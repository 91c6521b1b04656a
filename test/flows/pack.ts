/** Runs the flow rule pack (every .vgl in rules/flows) in one engine, and recounts windows independently. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';

export type Flow = Record<string, any>;
const DIR = 'rules/flows';
const engines: Engine[] = [];
afterAll(() => engines.splice(0).forEach((e) => e.dispose()));

/** The pack's alerts for `events`, pushed 1000 at a time, then flushed; no diagnostic is allowed. */
export async function runPack(events: Flow[]): Promise<Alert[]> {
  const engine = await createNodeEngine({ outOfOrderMs: 0 });
  engines.push(engine);
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.vgl')).sort()) {
    const result = engine.addRules(readFileSync(join(DIR, f), 'utf8'), { file: f });
    expect(result.diagnostics).toEqual([]);
  }
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  for (let i = 0; i < events.length; i += 1000) engine.push(events.slice(i, i + 1000));
  engine.flush();
  return alerts;
}

/** Windows of length `length` every `slide` ms (epoch-aligned) holding each group's events, keyed `group|windowStart`. */
export function windows(events: Flow[], keyOf: (e: Flow) => string, length: number, slide: number): Map<string, Flow[]> {
  const out = new Map<string, Flow[]>();
  for (const e of events) {
    const t = e['event.start'] as number;
    for (let s = Math.floor(t / slide) * slide; s > t - length; s -= slide) {
      const k = `${keyOf(e)}|${s}`;
      let list = out.get(k);
      if (!list) out.set(k, (list = []));
      list.push(e);
    }
  }
  return out;
}

export const sorted = (xs: string[]) => [...xs].sort();

/** JSON with object keys in sorted order, so equal objects give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** The alerts (or expected alerts) in one order, for comparing sets of them with toEqual. */
export function inCanonicalOrder<T>(items: readonly T[]): T[] {
  return items
    .map((item) => [canonicalJson(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}
