/**
 * The HTTP API's alerts to a webhook (VIGIL_WEBHOOK_URL): every alert is POSTed once per
 * occurrence with its Idempotency-Key, failures are retried, and a restarted server sends the
 * alerts it still keeps again with the same keys, so a receiver that honours them sees each once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/edge/config.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { alertIdempotencyKey } from '../../src/mitigation/webhook.js';
import { startServer, type TestServer } from '../mitigation/server.js';

const TOKEN = 'webhook-test-token';
const RULE = `RULE "telnet"
SOURCES kind = "conn"
FILTER function (e) { return e.port == 23; }
SINK function (e) { return { src: e.src, port: e.port }; }
`;
const servers: TestServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function send(handler: (r: Request) => Promise<Response>, method: string, path: string, body?: string): Promise<Response> {
  return handler(new Request(`http://vigil${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}` } }));
}

describe('webhook delivery from the HTTP API', () => {
  it('POSTs each alert with its idempotency key, retries a failing receiver, and re-sends with the same keys after a restart', async () => {
    // The receiver fails its first request with a 503, then accepts.
    const receiver = await startServer((request, response, index) => response.writeHead(index === 0 ? 503 : 204).end());
    servers.push(receiver);
    const stateDir = mkdtempSync(join(tmpdir(), 'vigil-webhook-'));
    dirs.push(stateDir);
    const env = { VIGIL_TOKEN: TOKEN, VIGIL_WEBHOOK_URL: receiver.url, VIGIL_WEBHOOK_SECRET: 's3cret' };

    const first = await createNodeHandler({ env, stateDir });
    expect((await send(first.handler, 'PUT', '/rules/telnet', RULE)).status).toBe(201);
    const events = [
      { kind: 'conn', src: '10.0.0.1', port: 23 },
      { kind: 'conn', src: '10.0.0.2', port: 80 },
      { kind: 'conn', src: '10.0.0.3', port: 23 },
    ];
    expect((await send(first.handler, 'POST', '/events', events.map((e) => JSON.stringify(e)).join('\n'))).status).toBe(202);
    await first.webhooks!.settled();
    const alerts = [
      { rule: 'telnet', src: '10.0.0.1', port: 23 },
      { rule: 'telnet', src: '10.0.0.3', port: 23 },
    ];
    const keys = await Promise.all(alerts.map((a) => alertIdempotencyKey(a)));
    const delivered = receiver.requests.filter((_, i) => i > 0);
    expect(keys).toContain(receiver.requests[0]!.headers['idempotency-key']);
    expect(delivered.map((r) => r.json).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(alerts);
    expect(new Set(delivered.map((r) => r.headers['idempotency-key']))).toEqual(new Set(keys));
    expect(delivered.every((r) => String(r.headers['vigil-signature']).startsWith('sha256='))).toBe(true);
    const metrics = (await (await send(first.handler, 'GET', '/metrics')).json()) as { webhook: { delivered: number; retried: number } };
    expect(metrics.webhook).toMatchObject({ delivered: 2, retried: 1 });
    first.instance.engine.dispose();

    // A restart from the checkpoint: the kept alerts go out again, with the keys they had.
    const before = receiver.requests.length;
    const second = await createNodeHandler({ env, stateDir });
    expect((await send(second.handler, 'POST', '/events', JSON.stringify({ kind: 'conn', src: '10.0.0.4', port: 23 }))).status).toBe(202);
    await second.webhooks!.settled();
    const again = receiver.requests.slice(before);
    const fourth = await alertIdempotencyKey({ rule: 'telnet', src: '10.0.0.4', port: 23 });
    expect(again.map((r) => r.headers['idempotency-key']).sort()).toEqual([...keys, fourth].sort());
    second.instance.engine.dispose();
  });

  it('refuses a webhook URL that is not http(s)', () => {
    expect(() => readConfig({ VIGIL_WEBHOOK_URL: 'ftp://example.org/x' })).toThrow('VIGIL_WEBHOOK_URL=ftp://example.org/x is not an http(s) URL');
    expect(readConfig({}).webhook).toBeUndefined();
  });
});
