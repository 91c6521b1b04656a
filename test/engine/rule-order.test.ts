// Rule order and the event-time index are kept up to date incrementally as rules come and go
// (registry.ts appends new rules, swaps replaced ones in place, splices removed ones; time-index.ts
// indexes the rules again only when time is next used). Oracle: a plain model of what rule order
// means — creation order, a replaced rule keeps its place, a removed rule that comes back goes last —
// and of which USING fields have a clock.
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/bench/common.js';
import { harness, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const TIME_FIELDS = ['t1', 't2'];

/** Either a simple rule (one alert per matching event) or a window rule on one of two time fields. */
function ruleText(name: string, variant: number): string {
  if (variant < 2) return `RULE "${name}" SOURCES kind = "x" FILTER function (e) { return e.v >= ${variant}; } SINK function (e) { return { v: e.v }; }`;
  const field = TIME_FIELDS[variant - 2]!;
  return `RULE "${name}" SOURCES kind = "x" USING ${field} AGGREGATE BY host WITHIN 1:min, 1:min HAVING function (events) { return { n: events.length }; } SINK function (a) { return a; }`;
}

describe('rule order and the time index while rules change', () => {
  it('match a plain model over random adds, replaces, removes and batches', async () => {
    for (const seed of [1, 2, 3, 4]) {
      h?.engine.dispose();
      h = await harness();
      const next = seededRandom(seed);
      const model: { name: string; variant: number }[] = [];
      for (let step = 0; step < 60; step++) {
        const name = NAMES[Math.floor(next() * NAMES.length)]!;
        const op = next();
        const at = model.findIndex((r) => r.name === name);
        if (op < 0.55) {
          const variant = Math.floor(next() * 4);
          h.rules(ruleText(name, variant));
          if (at >= 0) model[at] = { name, variant };
          else model.push({ name, variant });
        } else if (op < 0.75) {
          expect(h.engine.removeRule(name)).toBe(at >= 0);
          if (at >= 0) model.splice(at, 1);
        } else {
          // Several rules in one file: they enter in the file's order.
          const count = 1 + Math.floor(next() * 3);
          const batch = NAMES.slice(0, count).map((n) => ({ name: n, variant: Math.floor(next() * 2) }));
          h.rules(batch.map((r) => ruleText(r.name, r.variant)).join('\n'));
          for (const r of batch) {
            const i = model.findIndex((m) => m.name === r.name);
            if (i >= 0) model[i] = r;
            else model.push(r);
          }
        }
        expect(h.engine.rules().map((r) => r.name), `seed ${seed}, step ${step}`).toEqual(model.map((r) => r.name));

        // Simple rules alert in rule order for one event.
        h.take();
        h.engine.push([{ kind: 'x', v: 1, host: 'a', t1: '2026-01-01T00:00:00Z', t2: '2026-01-01T00:00:00Z' }]);
        const simple = h.take().map((a) => a.rule);
        expect(simple, `seed ${seed}, step ${step}`).toEqual(model.filter((r) => r.variant < 2).map((r) => r.name));
        const clocks = new Set(model.filter((r) => r.variant >= 2).map((r) => TIME_FIELDS[r.variant - 2]));
        expect(new Set(h.engine.eventTime().map((t) => t.field)), `seed ${seed}, step ${step}`).toEqual(clocks);
      }
    }
  });

  it('closes windows of a rule added after others on the same time field', async () => {
    h = await harness();
    h.rules(ruleText('first', 2));
    h.engine.push([{ kind: 'x', host: 'a', t1: '2026-01-01T00:00:10Z' }]);
    h.rules(ruleText('second', 2));
    h.engine.push([{ kind: 'x', host: 'a', t1: '2026-01-01T00:00:20Z' }]);
    h.engine.push([{ kind: 'x', host: 'a', t1: '2026-01-01T00:05:00Z' }]);
    const fired = h.take().map((a) => [a.rule, (a as unknown as { n: number }).n]);
    expect(fired).toEqual([
      ['first', 2],
      ['second', 1],
    ]);
  });
});
