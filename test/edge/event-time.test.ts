/**
 * Event time on the HTTP API: an event dated far ahead of the clock (VIGIL_MAX_FUTURE_MS, 5 min by
 * default) is quarantined — a client cannot make every other client's events late — and the
 * metrics count it; VIGIL_MAX_FUTURE_MS=0 turns the check off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeHandler } from '../../src/edge/node/server.js';
import type { EngineSurface } from '../../src/runtime/guard/engine-surface.js';

const TOKEN = 'event-time-token';
const T0 = Date.UTC(2026, 0, 1);
const admin = { authorization: `Bearer ${TOKEN}` };
const engines: EngineSurface[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

const RULE = 'RULE "per user"\nSOURCES kind = "auth"\nUSING ts\nAGGREGATE BY user\nWITHIN 1:min, 1:min\nSINK function (w) { return { user: w.user, n: w.count }; }';

async function run(env: Record<string, string>) {
  const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, ...env }, clock: () => T0 + 30_000 });
  engines.push(instance.engine);
  const call = (method: string, path: string, body?: string) => handler(new Request(`http://vigil.test${path}`, { method, body, headers: admin }));
  expect((await call('PUT', '/rules/per%20user', RULE)).status).toBe(201);
  const lines = [
    { kind: 'auth', user: 'ann', ts: T0 + 1000 },
    { kind: 'auth', user: 'mallory', ts: T0 + 86_400_000 },
    { kind: 'auth', user: 'ann', ts: T0 + 2000 },
    { kind: 'auth', user: 'bob', ts: T0 + 70_000 },
  ].map((e) => JSON.stringify(e));
  expect((await call('POST', '/events', lines.join('\n'))).status).toBe(202);
  const alerts = (await (await call('GET', '/alerts')).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const metrics = (await (await call('GET', '/metrics')).json()) as { quarantined: number; lateEvents: number };
  return { alerts, metrics };
}

describe('event time on the HTTP API', () => {
  it('quarantines an event a day ahead of the clock: the minute of ann still closes', async () => {
    const { alerts, metrics } = await run({});
    expect(alerts.filter((a) => a.rule === 'per user').map((a) => [a.user, a.n])).toEqual([['ann', 2]]);
    expect(metrics.quarantined).toBe(1);
    expect(metrics.lateEvents).toBe(0);
  });

  it('without the check (VIGIL_MAX_FUTURE_MS=0) the forged event still cannot move time: it is a day ahead of its source', async () => {
    const { metrics } = await run({ VIGIL_MAX_FUTURE_MS: '0' });
    expect(metrics.quarantined).toBe(1);
    expect(metrics.lateEvents).toBe(0);
  });
});
