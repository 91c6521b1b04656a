/**
 * The conformance cases run through an Engine in-process, with no Node, Deno or DOM API: the same
 * module serves the Node reference run (test/conformance/conformance.test.ts) and a browser run
 * (a Web Worker that builds an Engine with loadVigilWasmUrl and loadQuickJS, then calls
 * runConformance with cases fetched as JSON).
 */
import type { Engine, EngineOptions } from '../../src/engine/engine.js';

/** One case, as data: what test/conformance/cases/<name>/ holds. */
export interface ConformanceCase {
  name: string;
  /** rules.vgl */
  rules: string;
  /** events.jsonl, each line parsed. */
  events: Record<string, unknown>[];
  /** iocs/<list>.txt: entries per list (comments and blank lines already removed). */
  iocs: Record<string, string[]>;
  /** case.json `engine`: options the engine is built with. */
  engine: EngineOptions;
  /** expected.jsonl, one alert per line, as JSON text. */
  expected?: string[];
}

export interface CaseOutcome {
  name: string;
  /** The alerts, one JSON text each (key order as the engine produced it). */
  alerts: string[];
  ok: boolean;
  /** First differing line, when not ok. */
  difference?: { index: number; expected?: string; actual?: string };
}

/**
 * Runs one case through a fresh engine: IOC lists, then the rules, then the events (in `batches`
 * pushes; the output must not depend on it), then end of input. Returns the alerts as JSON lines.
 */
export function runCaseOnEngine(engine: Engine, testCase: ConformanceCase, batches = 1): string[] {
  const alerts: string[] = [];
  const unsubscribe = engine.onAlert((alert) => alerts.push(JSON.stringify(alert)));
  try {
    for (const [name, entries] of Object.entries(testCase.iocs)) {
      engine.iocs.create(name, { capacity: Math.max(1024, entries.length) });
      engine.iocs.add(name, entries);
    }
    const result = engine.putRules(testCase.rules, { file: `${testCase.name}/rules.vgl` });
    if (!result.ok) throw new Error(`${testCase.name}: rules do not apply: ${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
    const size = Math.ceil(testCase.events.length / Math.max(1, batches));
    for (let i = 0; i < testCase.events.length; i += size) engine.push(testCase.events.slice(i, i + size));
    engine.flush();
  } finally {
    unsubscribe();
  }
  return alerts;
}

/** Compares alerts with a case's expected lines (as parsed JSON, so key order does not matter). */
export function compareAlerts(name: string, alerts: string[], expected: string[]): CaseOutcome {
  const length = Math.max(alerts.length, expected.length);
  for (let index = 0; index < length; index++) {
    const a = alerts[index];
    const e = expected[index];
    if (a === undefined || e === undefined || !deepEqual(JSON.parse(a), JSON.parse(e))) {
      return { name, alerts, ok: false, difference: { index, expected: e, actual: a } };
    }
  }
  return { name, alerts, ok: true };
}

/** Runs every case, each on a fresh engine from `makeEngine`, and checks it against its expected lines. */
export async function runConformance(
  cases: ConformanceCase[],
  makeEngine: (options: EngineOptions) => Promise<Engine>,
): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  for (const testCase of cases) {
    const engine = await makeEngine(testCase.engine);
    try {
      const alerts = runCaseOnEngine(engine, testCase, 3);
      outcomes.push(compareAlerts(testCase.name, alerts, testCase.expected ?? []));
    } finally {
      engine.dispose();
    }
  }
  return outcomes;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
