/**
 * VIGIL_MAX_HELD_EVENTS and VIGIL_MAX_STATE_KEYS over the HTTP API: the bound applies, the shed
 * events are counted per rule in /metrics (JSON and Prometheus), and a recount of the posted
 * events is the oracle.
 */
import { describe, expect, it } from 'vitest';
import { createNodeHandler } from '../../src/edge/node/server.js';

const TOKEN = 'limits-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const T0 = Date.UTC(2026, 0, 1);

describe('state bounds over HTTP', () => {
  it('sheds past VIGIL_MAX_HELD_EVENTS and counts it in /metrics', async () => {
    const { handler, instance } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, VIGIL_MAX_HELD_EVENTS: '40', VIGIL_MAX_STATE_KEYS: '7' }, guard: false, clock: () => T0 });
    try {
      const call = (method: string, path: string, body?: string) => handler(new Request(`http://vigil.test${path}`, { method, body, headers: auth }));
      const rule = `RULE "fan-in" SOURCES kind = "conn" USING ts AGGREGATE BY src WITHIN 10:min, 10:min
HAVING function (events) { return events.length >= 2; }
SINK function (w) { return { src: w.src }; }`;
      expect((await call('PUT', '/rules/fan-in', rule)).status).toBe(201);
      const events = Array.from({ length: 100 }, (_, i) => JSON.stringify({ kind: 'conn', src: `10.0.${i}.1`, ts: T0 + i }));
      const response = await call('POST', '/events', events.join('\n'));
      expect(response.status).toBe(202);
      expect(((await response.json()) as { accepted: number }).accepted).toBe(100);
      const metrics = (await (await call('GET', '/metrics')).json()) as { rules: Record<string, { shed: number }> };
      expect(metrics.rules['fan-in']!.shed).toBe(100 - 40);
      const prometheus = await (await call('GET', '/metrics?format=prometheus')).text();
      expect(prometheus).toMatch(/^vigil_rule_shed_total\{rule="fan-in"\} 60$/m);
    } finally {
      instance.engine.dispose();
    }
  });
});
