/**
 * One bad event inside a POST /events on workerd (the Worker over Durable Object partitions): it is
 * rejected with its line and reason, every other event is processed, and /metrics agrees with
 * GET /alerts (regression: one event failing mid-batch made the whole POST a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdge, envVars, flush, readAlerts, startWorkerd, TOKEN, type RunningServer } from '../conformance/runtimes.js';

const T0 = Date.UTC(2026, 0, 1);
const auth = { authorization: `Bearer ${TOKEN}` };

describe('a bad event inside a POST /events batch, on workerd', () => {
  let dir: string;
  const servers: RunningServer[] = [];
  beforeAll(() => {
    dir = buildEdge().workerd;
  }, 300_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  });

  it('is rejected alone over 2 partitions', { timeout: 300_000 }, async () => {
    const server = await startWorkerd(dir, envVars({}, { VIGIL_PARTITIONS: '2', VIGIL_PARTITION_FIELD: 'user' }));
    servers.push(server);
    const rules: [string, string][] = [
      ['all', 'RULE "all"\nSOURCES kind = "e"\nSINK function (e) { return { i: e.i }; }'],
      ['per user', 'RULE "per user"\nSOURCES kind = "e"\nUSING t\nAGGREGATE BY user WITHIN 1:min, 1:min\nSINK function (a) { return { n: a.count }; }'],
    ];
    for (const [name, text] of rules) {
      const put = await fetch(`${server.url}/rules/${encodeURIComponent(name)}`, { method: 'PUT', headers: auth, body: text });
      expect(put.status).toBe(201);
    }
    const good: { i: number; user: string }[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) {
      const event = { kind: 'e', i, user: `u${i % 3}`, t: T0 + i * 1000 };
      if (i === 8) lines.push(`{"kind":"e","i":8,"user":"u2","deep":${'['.repeat(300)}${']'.repeat(300)}}`);
      else {
        lines.push(JSON.stringify(event));
        good.push(event);
      }
    }
    const response = await fetch(`${server.url}/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
    expect(response.status).toBe(202);
    const result = (await response.json()) as { accepted: number; rejected: { line: number; reason: string }[] };
    // (A failure in the middle of processing is rolled back as batch-isolation.test.ts shows in
    // process, with an injected fault; workerd runs the same code.)
    expect(result.rejected.map((r) => r.line)).toEqual([9]);
    expect(result.accepted).toBe(good.length);
    await flush(server.url);
    const alerts = (await readAlerts(server.url)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.filter((a) => a.rule === 'all').map((a) => a.i).sort((x, y) => Number(x) - Number(y))).toEqual(good.map((e) => e.i));
    const perUser = new Map<string, number>();
    for (const e of good) perUser.set(e.user, (perUser.get(e.user) ?? 0) + 1);
    expect(new Map(alerts.filter((a) => a.rule === 'per user').map((a) => [(a.key as { user: string }).user, a.n]))).toEqual(perUser);
    const metrics = (await (await fetch(`${server.url}/metrics`)).json()) as { alertsOut: number; eventsIn: number };
    expect(metrics.alertsOut).toBe(alerts.length);
    await server.stop();
  });
});
