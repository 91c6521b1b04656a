/** The HTTP API in-process (Node): auth, limits, errors, CORS, cursors, IOC lists, checkpoints. */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService, partitionOf } from '../../src/edge/partition.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import type { Engine } from '../../src/engine/engine.js';

const TOKEN = 's3cret-token';
const BASE = 'http://vigil.test';
const RULE = `RULE "failed login"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
SINK function (e) { return { user: e.user }; }`;

const engines: { dispose(): void }[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

async function server(env: Record<string, string> = {}): Promise<Handler> {
  const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, ...env } });
  engines.push(instance.engine);
  return handler;
}

const call = (handler: Handler, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  handler(new Request(BASE + path, { method, body, headers }));
const admin = { authorization: `Bearer ${TOKEN}` };

describe('authentication', () => {
  it('refuses rule and IOC management without a token (401) and with a wrong one (403)', async () => {
    const h = await server();
    for (const [method, path, body] of [
      ['PUT', '/rules/failed%20login', RULE],
      ['DELETE', '/rules/failed%20login', undefined],
      ['PUT', '/iocs/bad_ips', '1.2.3.4'],
      ['DELETE', '/iocs/bad_ips', undefined],
      ['POST', '/flush', undefined],
    ] as const) {
      const none = await call(h, method, path, body);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const wrong = await call(h, method, path, body, { authorization: 'Bearer s3cret-tokeN' });
      expect(wrong.status, `${method} ${path}`).toBe(403);
      const prefix = await call(h, method, path, body, { authorization: 'Bearer s3cret' });
      expect(prefix.status).toBe(403);
    }
    expect((await call(h, 'PUT', '/rules/failed%20login', RULE, admin)).status).toBe(201);
  });

  it('refuses management entirely when the server has no VIGIL_TOKEN', async () => {
    const { instance, handler } = await createNodeHandler({ env: {} });
    engines.push(instance.engine);
    const response = await call(handler, 'PUT', '/rules/x', RULE, { authorization: 'Bearer anything' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('management-disabled');
  });

  it('guards reads and ingest only when their tokens are set', async () => {
    const h = await server({ VIGIL_READ_TOKEN: 'reader', VIGIL_INGEST_TOKEN: 'writer' });
    expect((await call(h, 'GET', '/alerts')).status).toBe(401);
    expect((await call(h, 'GET', '/alerts', undefined, { authorization: 'Bearer reader' })).status).toBe(200);
    expect((await call(h, 'GET', '/metrics', undefined, admin)).status).toBe(200);
    expect((await call(h, 'POST', '/events', '{"a":1}', { authorization: 'Bearer reader' })).status).toBe(403);
    expect((await call(h, 'POST', '/events', '{"a":1}', { authorization: 'Bearer writer' })).status).toBe(202);
    expect((await call(h, 'GET', '/health')).status).toBe(200);
  });
});

describe('limits and errors', () => {
  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const h = await server({ VIGIL_MAX_BODY_BYTES: '1000' });
    const big = '{"kind":"auth"}\n'.repeat(100);
    const declared = await call(h, 'POST', '/events', big, { 'content-length': String(big.length) });
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(big.slice(0, 200)));
        controller.close();
      },
    });
    const streamed = await h(new Request(`${BASE}/events`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: { code: 'payload-too-large', limit: 1000 } });
    expect((await call(h, 'PUT', '/iocs/x', 'a\n'.repeat(600), admin)).status).toBe(413);
  });

  it('answers 400 with the diagnostics for an invalid rule, and applies nothing', async () => {
    const h = await server();
    const response = await call(h, 'PUT', '/rules/broken', 'RULE "broken"\nSOURCES kind = "auth"\nWITHIN 1:min, 2:min\nSINK function (e) { return e; }', admin);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; diagnostics: { line: number; column: number; message: string; code: string }[] } };
    expect(body.error.code).toBe('invalid-rule');
    expect(body.error.diagnostics.length).toBeGreaterThan(0);
    expect(body.error.diagnostics[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number), message: expect.any(String) });
    expect(((await (await call(h, 'GET', '/rules')).json()) as { rules: unknown[] }).rules).toEqual([]);
  });

  it('refuses a body whose rule is not the one named in the path', async () => {
    const h = await server();
    const response = await call(h, 'PUT', '/rules/other', RULE, admin);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'rule-name-mismatch' } });
  });

  it('answers 404 and 405 as JSON', async () => {
    const h = await server();
    expect(await (await call(h, 'GET', '/nope')).json()).toMatchObject({ error: { code: 'not-found' } });
    const wrong = await call(h, 'GET', '/events');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await call(h, 'DELETE', '/rules/none', undefined, admin)).status).toBe(404);
    expect((await call(h, 'GET', '/alerts?since=abc')).status).toBe(400);
    expect((await call(h, 'POST', '/events', '[1, {"a": 1}', { 'content-type': 'application/json' })).status).toBe(400);
  });
});

describe('events, alerts and cursors', () => {
  it('takes JSON lines, a JSON array and CEF, reporting bad lines by number', async () => {
    const h = await server();
    await call(h, 'PUT', '/rules/failed%20login', RULE, admin);
    const lines = [
      '{"kind":"auth","outcome":"failure","user":"ann"}',
      'not json',
      '',
      '[1]',
      'CEF:0|Acme|Gate|1.0|100|login|5|kind=auth outcome=failure suser=bob src=10.0.0.1 msg=two words',
      '{"kind":"auth","outcome":"failure","user":"cy"',
    ].join('\n');
    const response = await call(h, 'POST', '/events', lines);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 2,
      rejected: [
        { line: 2, reason: 'neither a JSON object nor a CEF record' },
        { line: 4, reason: 'neither a JSON object nor a CEF record' },
        { line: 6, reason: expect.stringMatching(/^not JSON/) },
      ],
    });
    const array = await call(h, 'POST', '/events', JSON.stringify([{ kind: 'auth', outcome: 'failure', user: 'dee' }, 'x']), { 'content-type': 'application/json' });
    expect(await array.json()).toEqual({ accepted: 1, rejected: [{ line: 2, reason: 'element is string, not an object' }] });

    const first = await call(h, 'GET', '/alerts?limit=2');
    expect(first.headers.get('vigil-cursor')).toBe('2');
    expect((await first.text()).trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { rule: 'failed login', user: 'ann' },
      { rule: 'failed login', user: undefined },
    ].map((a) => JSON.parse(JSON.stringify(a))));
    const rest = await call(h, 'GET', '/alerts?since=2');
    expect(await rest.text()).toBe('{"rule":"failed login","user":"dee"}\n');
    expect(rest.headers.get('vigil-cursor')).toBe('3');
    const none = await call(h, 'GET', '/alerts?since=3');
    expect(await none.text()).toBe('');
    expect(none.headers.get('vigil-cursor')).toBe('3');
  });

  it('keeps a bounded ring and says how many alerts a slow reader missed', async () => {
    const h = await server({ VIGIL_ALERT_CAPACITY: '3' });
    await call(h, 'PUT', '/rules/failed%20login', RULE, admin);
    await call(h, 'POST', '/events', Array.from({ length: 5 }, (_, i) => JSON.stringify({ kind: 'auth', outcome: 'failure', user: `u${i}` })).join('\n'));
    const response = await call(h, 'GET', '/alerts?since=0');
    expect(response.headers.get('vigil-dropped')).toBe('2');
    expect((await response.text()).trim().split('\n')).toHaveLength(3);
  });
});

describe('IOC lists', () => {
  it('creates, replaces and deletes lists; a list in use cannot be deleted (409)', async () => {
    const h = await server();
    expect(await (await call(h, 'PUT', '/iocs/bad_ips', '# comment\n203.0.113.66\n\n198.51.100.23\n', admin)).json()).toEqual({ name: 'bad_ips', count: 2 });
    const rule = 'RULE "bad ip"\nSOURCES kind = "conn"\nIOC FILTERS in bad_ips(dst)\nSINK function (e) { return { dst: e.dst }; }';
    expect((await call(h, 'PUT', '/rules/bad%20ip', rule, admin)).status).toBe(201);
    await call(h, 'PUT', '/iocs/bad_ips', '192.0.2.1', admin);
    await call(h, 'POST', '/events', '{"kind":"conn","dst":"203.0.113.66"}\n{"kind":"conn","dst":"192.0.2.1"}');
    expect(await (await call(h, 'GET', '/alerts')).text()).toBe('{"rule":"bad ip","dst":"192.0.2.1"}\n');
    expect((await call(h, 'DELETE', '/iocs/bad_ips', undefined, admin)).status).toBe(409);
    expect((await call(h, 'DELETE', '/rules/bad%20ip', undefined, admin)).status).toBe(204);
    expect((await call(h, 'DELETE', '/iocs/bad_ips', undefined, admin)).status).toBe(204);
    expect((await call(h, 'DELETE', '/iocs/bad_ips', undefined, admin)).status).toBe(404);
    expect((await call(h, 'PUT', '/iocs/bad%20name', 'x', admin)).status).toBe(400);
  });
});

describe('CORS', () => {
  it('answers preflights and marks responses for the configured origins only', async () => {
    const h = await server({ VIGIL_CORS_ORIGIN: 'https://app.example, https://other.example' });
    const preflight = await call(h, 'OPTIONS', '/rules/x', undefined, { origin: 'https://app.example', 'access-control-request-method': 'PUT' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const read = await call(h, 'GET', '/alerts', undefined, { origin: 'https://other.example' });
    expect(read.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect(read.headers.get('access-control-expose-headers')).toContain('vigil-cursor');
    const foreign = await call(h, 'GET', '/alerts', undefined, { origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const none = await server();
    expect((await call(none, 'GET', '/alerts', undefined, { origin: 'https://app.example' })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('checkpoints', () => {
  it('restores rules, windows, IOC lists and the alert ring from the store after a restart', async () => {
    const bytes = new MemoryByteStore();
    const config = readConfig({ VIGIL_TOKEN: TOKEN });
    const open = async () => {
      const engine = await createNodeEngine(config.engine);
      engines.push(engine);
      const instance = await EngineInstance.open(engine, { store: new ChunkedCheckpointStore(bytes, 1024) });
      return createHttpHandler(instance, config.http);
    };
    const window = 'RULE "per user"\nSOURCES kind = "auth"\nUSING ts\nAGGREGATE BY user\nWITHIN 10:sec, 10:sec\nHAVING function (events) { return { n: events.length }; }\nSINK function (a) { return { user: a.user, n: a.n }; }';
    const first = await open();
    await call(first, 'PUT', '/iocs/big', Array.from({ length: 5000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join('\n'), admin);
    await call(first, 'PUT', '/rules/per%20user', window, admin);
    await call(first, 'POST', '/events', '{"kind":"auth","user":"a","ts":1000}\n{"kind":"auth","user":"a","ts":2000}\n{"kind":"auth","user":"b","ts":16000}');
    const short = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => { const a = JSON.parse(l) as { key: { user: string }; n: number }; return [a.key.user, a.n]; });
    const before = await call(first, 'GET', '/alerts');
    expect(short(await before.text())).toEqual([['a', 2]]);
    const chunks = [...bytes.map.keys()].filter((k) => k !== 'checkpoint:head');
    expect(chunks.length).toBeGreaterThan(1);

    const second = await open();
    await call(second, 'POST', '/events', '{"kind":"auth","user":"b","ts":17000}\n{"kind":"auth","user":"c","ts":40000}');
    const after = await call(second, 'GET', `/alerts?since=${before.headers.get('vigil-cursor')}`);
    expect(short(await after.text())).toEqual([['b', 2]]);
    expect(((await (await call(second, 'GET', '/metrics')).json()) as { eventsIn: number }).eventsIn).toBe(5);
    // Old generations are cleaned up: one generation's chunks plus the head (IOC lists are blobs beside them).
    expect(new Set([...bytes.map.keys()].filter((k) => k.startsWith('checkpoint:') && k !== 'checkpoint:head').map((k) => k.split(':')[1])).size).toBe(1);
  });
});

describe('partitions in-process', () => {
  it('hashes keys stably and spreads them', () => {
    expect(partitionOf('10.0.0.1', 4)).toBe(partitionOf('10.0.0.1', 4));
    const used = new Set(Array.from({ length: 64 }, (_, i) => partitionOf(`10.0.0.${i}`, 4)));
    expect(used.size).toBe(4);
  });

  it('routes events by the partition field and merges alerts with a composite cursor', async () => {
    const config = readConfig({ VIGIL_TOKEN: TOKEN });
    const parts = await openLocalPartitions(3, async (options) => {
      const engine = await createNodeEngine(options);
      engines.push(engine);
      return engine;
    }, { partitionField: 'sourceAddress', engine: config.engine });
    const h = createHttpHandler(new PartitionedService(parts, 'sourceAddress'), config.http);
    await call(h, 'PUT', '/rules/any', 'RULE "any"\nSOURCES kind = "conn"\nSINK function (e) { return { src: e.sourceAddress }; }', admin);
    const events = Array.from({ length: 30 }, (_, i) => JSON.stringify({ kind: 'conn', sourceAddress: `10.0.0.${i}` }));
    expect(await (await call(h, 'POST', '/events', [...events, 'junk'].join('\n'))).json()).toEqual({ accepted: 30, rejected: [{ line: 31, reason: 'neither a JSON object nor a CEF record' }] });
    const counts = await Promise.all(parts.map(async (p) => ((await p.metrics()) as { eventsIn: number }).eventsIn));
    expect(counts.every((c) => c > 0)).toBe(true);
    const page = await call(h, 'GET', '/alerts');
    expect((await page.text()).trim().split('\n')).toHaveLength(30);
    expect(page.headers.get('vigil-cursor')).toBe(counts.join('.'));
    expect((await call(h, 'GET', '/alerts?since=1.2')).status).toBe(400);
  });
});
