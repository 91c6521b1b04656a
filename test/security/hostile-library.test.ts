/**
 * The hostile corpus through the library API: every case beside the benign rules, whose alerts
 * must be byte-identical to a run without the case; the case ends within its budget in an outcome
 * it allows; memory comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { BENIGN_RULES, CASES, T0, batches, benignEvents, benignOnly, ruleNames, type HostileCase, type Outcome } from './hostile-cases.js';

const BATCH = 100;
const GRACE_MS = 100;

interface RunResult {
  alerts: Alert[];
  outcome: Outcome;
  /** Time spent pushing and flushing. */
  elapsedMs: number;
  refusal?: string;
}

async function withEngine<T>(work: (engine: Engine) => Promise<T> | T): Promise<T> {
  const clock = new ManualClock(T0);
  const engine = await createNodeEngine({ clock: clock.now, outOfOrderMs: 5000 });
  try {
    return await work(engine);
  } finally {
    engine.dispose();
  }
}

async function run(c: HostileCase | undefined): Promise<RunResult> {
  return withEngine((engine) => {
    const alerts: Alert[] = [];
    engine.onAlert((a) => alerts.push(a));
    const benign = engine.putRules(BENIGN_RULES, { file: 'benign.vgl' });
    expect(benign.ok, JSON.stringify(benign.diagnostics)).toBe(true);
    if (c?.rules) {
      const result = engine.putRules(c.rules, { file: 'hostile.vgl' });
      if (!result.ok) {
        const error = result.diagnostics.find((d) => d.severity === 'error')!;
        return { alerts: [], outcome: 'refused', elapsedMs: 0, refusal: `${error.file}:${error.line}:${error.column}: ${error.message}` };
      }
    }
    const input: unknown[][] = batches(benignEvents(), c?.events?.() ?? [], BATCH);
    let rejected = 0;
    if (c?.lines) {
      // What a decoder would hand over: lines that parse; the engine itself refuses the rest.
      const parsed = c.lines().flatMap((line) => {
        try {
          return [JSON.parse(line)];
        } catch {
          rejected++;
          return [];
        }
      });
      input.splice(1, 0, parsed);
    }
    const started = performance.now();
    for (const batch of input) rejected += engine.push(batch).rejected.length;
    engine.flush();
    const elapsedMs = performance.now() - started;
    const names = ruleNames(c?.rules);
    const deactivated = engine.rules().some((r) => names.includes(r.name) && r.state === 'deactivated');
    const outcome: Outcome = deactivated ? 'deactivated' : rejected ? 'rejected' : 'bounded';
    return { alerts, outcome, elapsedMs };
  });
}

let baseline: RunResult;
let baselineJson: string;
beforeAll(async () => {
  baseline = await run(undefined);
  baselineJson = JSON.stringify(benignOnly(baseline.alerts as never, []));
  expect(baseline.alerts.length).toBeGreaterThan(100);
});

const rssMb = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};
let peakAfter = 0;
afterAll(() => {
  // Every case together must leave the process small (each case's RSS is checked too).
  expect(peakAfter).toBeLessThan(300);
});

describe('the hostile corpus through the library', () => {
  it('has at least 40 cases across every class', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.kind)).size).toBe(10);
  });

  for (const c of CASES) {
    it(`${c.kind}: ${c.name}`, async () => {
      const result = await run(c);
      expect(c.outcomes, result.refusal ?? '').toContain(result.outcome);
      if (result.outcome === 'refused') {
        expect(result.refusal).toMatch(/^hostile\.vgl:\d+:\d+: /);
        return;
      }
      const benign = JSON.stringify(benignOnly(result.alerts as never, ruleNames(c.rules)));
      if (benign !== baselineJson) {
        let at = 0;
        while (benign[at] === baselineJson[at]) at++;
        expect.fail(`benign alerts differ from the run without the case at character ${at}: …${benign.slice(Math.max(0, at - 120), at + 120)}… expected …${baselineJson.slice(Math.max(0, at - 120), at + 120)}…`);
      }
      expect(result.elapsedMs - baseline.elapsedMs).toBeLessThan((c.budgetMs ?? 600) + GRACE_MS);
      // Forged rule names never reach the output under another rule's name.
      for (const a of result.alerts) if (a.rule === 'brute force') expect(a.user).not.toBe('nobody');
      const rss = rssMb();
      peakAfter = Math.max(peakAfter, rss);
      expect(rss).toBeLessThan(300);
    }, 60_000);
  }
});
