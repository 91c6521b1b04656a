/**
 * On Deno the request's URL is built from the Host header (`http://${Host}${path}`), so a Host like
 * `x/metrics#` turned `GET /events` into GET /metrics — past a proxy that admits only /events (the
 * Node server's twin of this is in http-hostile.test.ts). Against the real Deno bundle, over raw
 * HTTP/1.1 (fetch would not send these Host headers): a Host that is not a host is refused (400),
 * and an ordinary one still reaches the route of the request line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from './raw-http.js';
import { buildEdge, startDeno, TOKEN, type RunningServer } from '../conformance/runtimes.js';


describe('Deno: the Host header does not pick the route', () => {
  let server: RunningServer | undefined;
  let bundleDir = '';
  let kvDir = '';
  beforeAll(async () => {
    const bundles = buildEdge();
    bundleDir = dirname(bundles.deno);
    kvDir = mkdtempSync(join(tmpdir(), 'vigil-deno-host-'));
    server = await startDeno(bundles.deno, { VIGIL_TOKEN: TOKEN }, join(kvDir, 'kv.sqlite'));
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(kvDir, { recursive: true, force: true });
  });

  it('refuses a Host that is not a host, and serves the request line path for one that is', async () => {
    const port = Number(new URL(server!.url).port);
    for (const host of ['x/metrics#', 'x/alerts?', 'a b', 'u@h', '[zz']) {
      const answer = await sendRaw(port, `GET /events HTTP/1.1\r\nHost: ${host}`);
      // Refused by Deno itself (400) or by Vigil (400 bad-request-target); never GET /metrics or /alerts.
      expect(answer.status, host).toBe(400);
      expect(answer.body, host).not.toContain('eventsIn');
    }
    for (const host of ['vigil.example', 'localhost:8000', '127.0.0.1', '[::1]:8080']) {
      const answer = await sendRaw(port, `GET /health HTTP/1.1\r\nHost: ${host}`);
      expect(answer.status, host).toBe(200);
      expect(answer.body, host).toContain('"ok":true');
    }
    // The route of the request line: GET /events is not a route (405), whatever an ordinary Host says.
    expect((await sendRaw(port, 'GET /events HTTP/1.1\r\nHost: vigil.example')).status).toBe(405);
  }, 60_000);
});
