/**
 * What the HTTP API promises beyond test/edge/http.test.ts, where a framework could quietly differ:
 * every error answer to an allowed origin carries the CORS headers (else a browser app cannot read
 * why it was refused), a refused origin's preflight learns nothing, HEAD is GET without a body, and
 * a body streamed over a real socket past the limit gets the 413 JSON while the server goes on.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeHandler, startNodeServer, type NodeServer } from '../../src/edge/node/server.js';

const ORIGIN = 'https://app.example';
const disposers: (() => unknown)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function handler(env: Record<string, string>) {
  const { instance, handler } = await createNodeHandler({ env, guard: false });
  disposers.push(() => instance.engine.dispose());
  return handler;
}

describe('CORS on every answer', () => {
  it('marks errors for an allowed origin, and tells a refused origin nothing', async () => {
    const h = await handler({ VIGIL_TOKEN: 't', VIGIL_CORS_ORIGIN: ORIGIN, VIGIL_MAX_BODY_BYTES: '100' });
    const cases: [string, string, string | undefined, Record<string, string>, number][] = [
      ['PUT', '/rules/x', 'RULE', {}, 401],
      ['PUT', '/rules/x', 'RULE', { authorization: 'Bearer wrong' }, 403],
      ['GET', '/nope', undefined, {}, 404],
      ['GET', '/events', undefined, {}, 405],
      ['POST', '/events', 'x'.repeat(101), {}, 413],
      ['GET', '/rules/%E0', undefined, {}, 400],
      ['POST', '/events', '{"a":1}', {}, 202],
    ];
    for (const [method, path, body, headers, status] of cases) {
      const response = await h(new Request(`http://vigil.test${path}`, { method, body, headers: { origin: ORIGIN, ...headers } }));
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.headers.get('access-control-allow-origin'), `${method} ${path}`).toBe(ORIGIN);
      expect(response.headers.get('vary'), `${method} ${path}`).toMatch(/origin/i);
      if (status >= 400) expect(((await response.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    }
    const refused = await h(new Request('http://vigil.test/rules/x', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } }));
    expect(refused.status).toBe(204);
    expect([...refused.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('answers HEAD as GET without a body, and refuses it where GET is refused', async () => {
    const h = await handler({});
    const head = await h(new Request('http://vigil.test/health', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const events = await h(new Request('http://vigil.test/events', { method: 'HEAD' }));
    expect(events.status).toBe(405);
    expect(events.headers.get('allow')).toBe('POST');
  });
});

describe('body limit over a socket', () => {
  it('answers 413 to a chunked body past the limit and keeps serving', async () => {
    const server: NodeServer = await startNodeServer({ env: { VIGIL_MAX_BODY_BYTES: '1000' }, guard: false });
    disposers.push(() => server.close());
    const url = new URL(server.url);
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/events', method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      // 4 KiB in 16 chunks: no Content-Length to trust, the limit is found while reading.
      for (let i = 0; i < 16; i++) req.write('{"kind":"auth"}\n'.repeat(16));
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'payload-too-large', message: 'the body is larger than 1000 bytes', limit: 1000 } });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
