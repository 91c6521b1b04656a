/**
 * The alert ring of GET /alerts is bounded in bytes as well as in count: alerts carry the events
 * that raised them, so a count alone let a few huge alerts hold gigabytes. Oracle for the budget: a
 * naive recount of the longest newest run within both bounds (at least one alert). Over HTTP: huge
 * alerts past VIGIL_ALERT_RING_BYTES leave the newest ones readable and the rest counted as dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertRingBudget } from '../../src/edge/alert-ring.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import type { Alert } from '../../src/engine/engine.js';
import type { EngineSurface } from '../../src/runtime/guard/engine-surface.js';
import { seededRandom } from '../../src/bench/common.js';

const sizeOf = (a: Alert) => JSON.stringify(a).length;

/** The newest alerts that fit: count ≤ capacity and bytes ≤ maxBytes, or the newest one alone. */
function oracle(all: [number, Alert][], capacity: number, maxBytes: number): number[] {
  const kept: [number, Alert][] = [];
  let bytes = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const size = sizeOf(all[i]![1]);
    if (kept.length && (kept.length >= capacity || bytes + size > maxBytes)) break;
    kept.unshift(all[i]!);
    bytes += size;
  }
  return kept.map(([seq]) => seq);
}

describe('the alert ring budget', () => {
  it('keeps the newest alerts within the count and the bytes, across appends, replacements and roll-backs', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed);
      const capacity = 1 + Math.floor(random() * 20);
      const maxBytes = 200 + Math.floor(random() * 5000);
      const budget = new AlertRingBudget(capacity, maxBytes);
      let ring: [number, Alert][] = [];
      const all: [number, Alert][] = [];
      let seq = 0;
      for (let step = 0; step < 200; step++) {
        const r = random();
        if (r < 0.8) {
          const n = 1 + Math.floor(random() * 4);
          for (let k = 0; k < n; k++) {
            const alert = { rule: 'r', pad: 'x'.repeat(Math.floor(random() * random() * 3000)) } as Alert;
            const entry: [number, Alert] = [seq++, alert];
            ring.push(entry);
            all.push(entry);
          }
          budget.trim(ring);
          expect(ring.map(([s]) => s), `seed ${seed} step ${step}`).toEqual(oracle(all, capacity, maxBytes));
        } else {
          // A roll-back or a restore: the owner's array replaced by a copy of what it held.
          ring = ring.slice();
          budget.trim(ring);
          expect(ring.map(([s]) => s)).toEqual(oracle(all, capacity, maxBytes));
        }
        expect(budget.heldBytes).toBe(ring.reduce((n, [, a]) => n + sizeOf(a), 0));
      }
    }
  });
});

describe('GET /alerts with huge alerts', () => {
  const engines: EngineSurface[] = [];
  afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

  it('keeps only the newest alerts that fit VIGIL_ALERT_RING_BYTES and says how many were dropped', async () => {
    const TOKEN = 'ring-token';
    const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, VIGIL_ALERT_RING_BYTES: String(1_000_000) } });
    engines.push(instance.engine);
    const rule = 'RULE "big"\nSOURCES kind = "e"\nSINK function (e) { return { n: e.n, pad: e.pad }; }';
    expect((await handler(new Request('http://vigil.test/rules/big', { method: 'PUT', body: rule, headers: { authorization: `Bearer ${TOKEN}` } }))).status).toBe(201);
    const body = Array.from({ length: 40 }, (_, n) => JSON.stringify({ kind: 'e', n, pad: 'y'.repeat(100_000) })).join('\n');
    expect((await handler(new Request('http://vigil.test/events', { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } }))).status).toBe(202);
    const response = await handler(new Request('http://vigil.test/alerts?since=0'));
    const got = (await response.text()).trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    // 100 KB each under a 1 MB budget: the newest 9 (a tenth would pass it with the JSON around the pad).
    expect(got).toEqual(Array.from({ length: 9 }, (_, i) => 31 + i));
    expect(response.headers.get('vigil-dropped')).toBe('31');
  });
});
