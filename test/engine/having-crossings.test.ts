/**
 * Regression: a flush that closes thousands of windows of a correct sandboxed HAVING shared one
 * capped per-batch budget among them, and the rule was deactivated for "cpu" (the flow pack's ddos
 * candidate, over a softflowd capture). Windows now cross into the sandbox in groups that give each
 * its full per-item budget; a HAVING that loops is still cut within one group's budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const T0 = Date.UTC(2026, 0, 1);
const KEYS = 3000;
const PER_KEY = 2;

function events(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let k = 0; k < KEYS; k++) for (let i = 0; i < PER_KEY; i++) out.push({ kind: 'x', key: `k${k}`, v: k + i, ts: T0 + i });
  return out;
}

describe('sandboxed HAVING over many windows closing at once', () => {
  it('a correct rule doing ~0.5 ms of work per window is not deactivated when 3,000 windows close together', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "sum"
SOURCES kind = "x"
USING ts
AGGREGATE BY key
WITHIN 1:min, 1:min
HAVING function (events) {
  let sum = 0;
  for (let i = 0; i < events.length; i++) sum += events[i].v;
  let spin = 0;
  for (let i = 0; i < 5000; i++) spin += i % 7;
  return { key: events[0].key, sum: sum, spin: spin };
}
SINK function (a) { return a; }
`);
    expect(h.engine.rule('sum')!.functions.find((f) => f.phase === 'having')!.mode).toBe('sandbox');
    for (const batch of chunk(events(), 1000)) h.engine.push(batch);
    h.engine.flush();
    expect(h.engine.rule('sum')!.state).toBe('active');
    const alerts = h.take();
    expect(alerts).toHaveLength(KEYS);
    // The recount: per key k, the sum of k + i for i < PER_KEY.
    for (const a of alerts) {
      const k = Number(String(a.key).slice(1));
      expect(a.sum).toBe(k * PER_KEY + (PER_KEY * (PER_KEY - 1)) / 2);
    }
  }, 120_000);

  it('a HAVING that loops is still deactivated within the budget of one crossing', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "loops"
SOURCES kind = "x"
USING ts
AGGREGATE BY key
WITHIN 1:min, 1:min
HAVING function (events) { if (events[0].key === 'k2999') for (;;) {} return null; }
SINK function (a) { return a; }
`);
    for (const batch of chunk(events(), 1000)) h.engine.push(batch);
    const started = performance.now();
    h.engine.flush();
    const elapsed = performance.now() - started;
    expect(h.engine.rule('loops')!.state).toBe('deactivated');
    // 500 ms for the group's windows plus 0.05 ms for each of its events, plus the other groups' work.
    expect(elapsed).toBeLessThan(5000);
  }, 120_000);
});

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
