/** WebhookDelivery against a real HTTP server on loopback; sleep and randomness injected so backoff is exact. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { alertIdempotencyKey, canonicalJson, parseRetryAfter, WebhookDelivery, type DeadLetter, type WebhookOptions } from '../../src/mitigation/webhook.js';
import { DeadLetterFile } from '../../src/runtime/dead-letter-file.js';
import { accept, closedPort, startServer, type Responder, type TestServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-webhook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const alerts: Alert[] = [
  { rule: 'brute force', key: { user: 'root' }, windowStart: 1767261600000, windowEnd: 1767261660000, user: 'root', failures: 3 },
  { rule: 'login from bad ip', user: 'root', src_ip: '203.0.113.66', severity: 'high' },
  { rule: 'admin after brute force', user: 'root', severity: 'critical', note: 'é ✓' },
];

/** A delivery whose waits are recorded instead of slept, with the jitter fixed at the middle. */
function delivery(url: string, options: Partial<WebhookOptions> = {}) {
  const sleeps: number[] = [];
  const letters: DeadLetter[] = [];
  const webhook = new WebhookDelivery({
    url,
    baseDelayMs: 100,
    maxDelayMs: 5000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    deadLetter: (letter) => {
      letters.push(letter);
    },
    now: () => Date.UTC(2026, 10, 21, 12, 0, 0),
    ...options,
  });
  return { webhook, sleeps, letters };
}

const status =
  (code: number, body = '', headers: Record<string, string> = {}): Responder =>
  (_request, response) =>
    response.writeHead(code, headers).end(body);

describe('idempotency key', () => {
  it('is the SHA-256 of the alert in RFC 8785 canonical JSON, whatever the key order', async () => {
    const alert = { rule: 'r', b: 1, a: { d: 2.5, c: [1, 'x', null], '10': true, '9': false }, e: 'é\u2028' };
    expect(canonicalJson(alert)).toBe('{"a":{"10":true,"9":false,"c":[1,"x",null],"d":2.5},"b":1,"e":"é\u2028","rule":"r"}');
    const key = await alertIdempotencyKey(alert);
    expect(key).toBe(sha256('{"a":{"10":true,"9":false,"c":[1,"x",null],"d":2.5},"b":1,"e":"é\u2028","rule":"r"}'));
    expect(await alertIdempotencyKey({ e: 'é\u2028', a: { '9': false, c: [1, 'x', null], d: 2.5, '10': true }, b: 1, rule: 'r' })).toBe(key);
    expect(await alertIdempotencyKey({ ...alert, b: 2 })).not.toBe(key);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('WebhookDelivery', () => {
  it('POSTs each alert as JSON with its idempotency key', async () => {
    server = await startServer();
    const { webhook, letters, sleeps } = delivery(server.url, { concurrency: 1, headers: { Authorization: 'Bearer t0k' }, userAgent: 'vigil/test' });
    for (const alert of alerts) expect(webhook.enqueue(alert)).toBe(true);
    await webhook.drain();

    expect(server.requests.map((r) => r.json)).toEqual(alerts);
    for (const [i, request] of server.requests.entries()) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hook');
      expect(request.body.toString('utf8')).toBe(JSON.stringify(alerts[i]));
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['authorization']).toBe('Bearer t0k');
      expect(request.headers['user-agent']).toBe('vigil/test');
      expect(request.headers['vigil-attempt']).toBe('1');
      expect(request.headers['idempotency-key']).toBe(sha256(canonicalJson(alerts[i])));
      expect(request.headers['vigil-signature']).toBeUndefined();
    }
    expect(letters).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(webhook.stats()).toEqual({ delivered: 3, retried: 0, deadLettered: 0, deadLetterFailures: 0, inFlight: 0, queued: 0 });
  });

  it('retries a 503 with backoff and the same key, honouring Retry-After', async () => {
    server = await startServer((request, response, index) => {
      if (index === 0) return response.writeHead(503).end('busy');
      if (index === 1) return response.writeHead(503, { 'Retry-After': '1' }).end('busy');
      accept(request, response, index);
    });
    const { webhook, letters, sleeps } = delivery(server.url);
    webhook.enqueue(alerts[0]);
    await webhook.drain();

    expect(server.requests).toHaveLength(3);
    const key = sha256(canonicalJson(alerts[0]));
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual([key, key, key]);
    expect(server.requests.map((r) => r.headers['vigil-attempt'])).toEqual(['1', '2', '3']);
    expect(server.requests.map((r) => r.json)).toEqual([alerts[0], alerts[0], alerts[0]]);
    // Retry 1: between 50 and 100 ms (75 at the middle of the jitter); retry 2 would be 150, but the server said 1 s.
    expect(sleeps).toEqual([75, 1000]);
    expect(letters).toEqual([]);
    expect(webhook.stats()).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 });
  });

  it('backs off exponentially up to the maximum, Retry-After included, then gives up', async () => {
    server = await startServer((_request, response, index) => {
      if (index === 2) return response.writeHead(429, { 'Retry-After': 'Sat, 21 Nov 2026 12:01:00 GMT' }).end();
      response.writeHead(index % 2 ? 500 : 408).end(`failure ${index}`);
    });
    const { webhook, letters, sleeps } = delivery(server.url, { maxAttempts: 7, maxDelayMs: 1000, random: () => 0 });
    webhook.enqueue(alerts[1]);
    await webhook.drain();

    expect(server.requests).toHaveLength(7);
    // Half of 100·2^(n−1), capped at 1000; the 429's date is 60 s ahead, capped at 1000 too.
    expect(sleeps).toEqual([50, 100, 1000, 400, 500, 500]);
    expect(letters).toEqual([
      {
        time: '2026-11-21T12:00:00.000Z',
        reason: 'retries exhausted',
        url: server.url,
        idempotencyKey: sha256(canonicalJson(alerts[1])),
        attempts: 7,
        status: 408,
        response: 'failure 6',
        alert: alerts[1],
      },
    ]);
    expect(webhook.stats()).toMatchObject({ delivered: 0, retried: 6, deadLettered: 1 });
  });

  it('sends a 400 to the dead letter without retrying', async () => {
    server = await startServer(status(400, '{"error":"unknown field severity"}'));
    const { webhook, letters, sleeps } = delivery(server.url);
    expect(webhook.enqueue(alerts[1])).toBe(true);
    await webhook.drain();

    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(letters).toEqual([
      {
        time: '2026-11-21T12:00:00.000Z',
        reason: 'rejected',
        url: server.url,
        idempotencyKey: sha256(canonicalJson(alerts[1])),
        attempts: 1,
        status: 400,
        response: '{"error":"unknown field severity"}',
        alert: alerts[1],
      },
    ]);
    expect(webhook.stats()).toMatchObject({ delivered: 0, retried: 0, deadLettered: 1 });
  });

  it('keeps only the start of a long error body', async () => {
    server = await startServer(status(422, 'x'.repeat(100_000)));
    const { webhook, letters } = delivery(server.url);
    webhook.enqueue(alerts[0]);
    await webhook.drain();
    expect(letters[0].response).toBe('x'.repeat(512));
  });

  it('does not follow a redirect (fetch would re-send the POST as a GET)', async () => {
    server = await startServer((request, response, index) => (index === 0 ? response.writeHead(302, { Location: '/elsewhere' }).end() : accept(request, response, index)));
    const { webhook, letters } = delivery(server.url);
    webhook.enqueue(alerts[0]);
    await webhook.drain();
    expect(server.requests).toHaveLength(1);
    expect(letters).toMatchObject([{ reason: 'rejected', status: 302, error: 'redirect not followed', attempts: 1 }]);
  });

  it('ends in the dead-letter file after N attempts on an unreachable port, naming the error', async () => {
    const port = await closedPort();
    const path = join(dir, 'unreachable.jsonl');
    const file = await DeadLetterFile.open(path);
    const { webhook, sleeps } = delivery(`http://127.0.0.1:${port}/hook`, { maxAttempts: 3, deadLetter: (letter) => file.write(letter) });
    webhook.enqueue(alerts[0]);
    webhook.enqueue(alerts[2]);
    await webhook.drain();
    await file.close();

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const letters = lines.map((l) => JSON.parse(l) as DeadLetter);
    // Both are retried at once (concurrency > 1), so the one exhausted first is written first:
    // either order is right (seen under load in CI); each alert must be there exactly once.
    const byRule = (a: object, b: object) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(letters.map((l) => l.alert).sort(byRule)).toEqual([alerts[0], alerts[2]].sort(byRule));
    for (const letter of letters) {
      expect(letter).toMatchObject({ reason: 'retries exhausted', url: `http://127.0.0.1:${port}/hook`, attempts: 3, time: '2026-11-21T12:00:00.000Z' });
      expect(letter.idempotencyKey).toBe(sha256(canonicalJson(letter.alert)));
      expect(letter.error).toBe(`fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
      expect(letter.status).toBeUndefined();
    }
    expect(sleeps.sort((a, b) => a - b)).toEqual([75, 75, 150, 150]);
  });

  it('sends overflow to the dead letter as "queue full", and bounds the requests under way', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const held: (() => void)[] = [];
    server = await startServer((request, response, index) => {
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      held.push(() => {
        concurrent--;
        accept(request, response, index);
      });
    });
    const { webhook, letters } = delivery(server.url, { maxQueue: 3, concurrency: 2 });
    const storm = Array.from({ length: 8 }, (_, i) => ({ rule: 'storm', n: i }));
    const accepted = storm.map((alert) => webhook.enqueue(alert));
    expect(accepted).toEqual([true, true, true, false, false, false, false, false]);
    expect(webhook.stats()).toMatchObject({ queued: 3, inFlight: 0 });

    await until(() => held.length === 2);
    expect(webhook.stats()).toMatchObject({ queued: 1, inFlight: 2, deadLettered: 5 });
    // Room again: the queue takes new alerts while the first requests are held.
    expect(webhook.enqueue({ rule: 'storm', n: 8 })).toBe(true);
    expect(webhook.enqueue({ rule: 'storm', n: 9 })).toBe(true);
    expect(webhook.enqueue({ rule: 'storm', n: 10 })).toBe(false);

    while (server.requests.length < 5 || held.length) {
      await until(() => held.length > 0);
      held.shift()!();
    }
    await webhook.drain();
    expect(maxConcurrent).toBe(2);
    expect(server.requests.map((r) => (r.json as { n: number }).n).sort((a, b) => a - b)).toEqual([0, 1, 2, 8, 9]);
    expect(letters.map((l) => [l.reason, l.attempts, l.alert.n])).toEqual([
      ['queue full', 0, 3],
      ['queue full', 0, 4],
      ['queue full', 0, 5],
      ['queue full', 0, 6],
      ['queue full', 0, 7],
      ['queue full', 0, 10],
    ]);
    expect(webhook.stats()).toEqual({ delivered: 5, retried: 0, deadLettered: 6, deadLetterFailures: 0, inFlight: 0, queued: 0 });
  });

  it('writes a storm of overflow to the dead-letter file in order', async () => {
    server = await startServer();
    const path = join(dir, 'storm.jsonl');
    const file = await DeadLetterFile.open(path);
    const { webhook } = delivery(server.url, { maxQueue: 5, deadLetter: (letter) => file.write(letter) });
    for (let n = 0; n < 3000; n++) webhook.enqueue({ rule: 'storm', n });
    await webhook.drain();
    await file.close();
    const ns = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as DeadLetter).alert.n);
    expect(ns).toEqual(Array.from({ length: 2995 }, (_, i) => i + 5));
    expect(server.requests).toHaveLength(5);
    expect(webhook.stats()).toMatchObject({ delivered: 5, deadLettered: 2995, deadLetterFailures: 0 });
  });

  it('waitForRoom() holds a producer back while the endpoint works, never while it fails', async () => {
    const held: (() => void)[] = [];
    server = await startServer((request, response, index) => held.push(() => accept(request, response, index)));
    const { webhook } = delivery(server.url, { maxQueue: 4, concurrency: 1 });
    for (let n = 0; n < 4; n++) webhook.enqueue({ rule: 'r', n });
    await until(() => held.length === 1); // 3 queued: more than half of 4
    let resumed = false;
    void webhook.waitForRoom()!.then(() => (resumed = true));
    held.shift()!();
    await until(() => held.length === 1); // 2 queued: room again
    await until(() => resumed);
    expect(webhook.waitForRoom()).toBeUndefined();
    await until(() => held.length === 1);
    server.respond = accept;
    held.shift()!();
    await webhook.drain();

    let failed = false;
    server.respond = (request, response, index) => {
      if (failed) return held.push(() => accept(request, response, index));
      failed = true;
      response.writeHead(500).end();
    };
    for (let n = 4; n < 8; n++) webhook.enqueue({ rule: 'r', n });
    await until(() => held.length === 1); // the retry of the request that failed
    expect(webhook.stats()).toMatchObject({ queued: 3, retried: 1 });
    expect(webhook.waitForRoom()).toBeUndefined();
    server.respond = accept;
    held.shift()!();
    await webhook.drain();
    expect(webhook.stats()).toMatchObject({ delivered: 8, deadLettered: 0 });
  });

  it('signs the body with HMAC-SHA256, verified by the receiver', async () => {
    const secret = 's3cret-ключ';
    const verified: boolean[] = [];
    server = await startServer((request, response) => {
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`);
      const given = Buffer.from(String(request.headers['vigil-signature'] ?? ''));
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      verified.push(ok);
      response.writeHead(ok ? 204 : 401).end(ok ? '' : 'bad signature');
    });
    const signed = delivery(server.url, { secret });
    alerts.forEach((alert) => signed.webhook.enqueue(alert));
    await signed.webhook.drain();
    expect(verified).toEqual([true, true, true]);
    expect(signed.webhook.stats().delivered).toBe(3);

    const forged = delivery(server.url, { secret: 'not the secret' });
    forged.webhook.enqueue(alerts[0]);
    await forged.webhook.drain();
    expect(verified).toEqual([true, true, true, false]);
    expect(forged.letters).toMatchObject([{ reason: 'rejected', status: 401, response: 'bad signature' }]);
  });

  it('batches alerts into JSON arrays when asked, keyed by the keys of their alerts', async () => {
    server = await startServer((request, response, index) => (index === 1 ? response.writeHead(400).end('no') : accept(request, response, index)));
    const { webhook, letters } = delivery(server.url, { batchSize: 2, concurrency: 1 });
    const five = Array.from({ length: 5 }, (_, i) => ({ rule: 'b', n: i }));
    five.forEach((alert) => webhook.enqueue(alert));
    await webhook.drain();

    expect(server.requests.map((r) => r.json)).toEqual([[five[0], five[1]], [five[2], five[3]], [five[4]]]);
    const keys = five.map((a) => sha256(canonicalJson(a)));
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual([sha256(`${keys[0]},${keys[1]}`), sha256(`${keys[2]},${keys[3]}`), keys[4]]);
    expect(letters.map((l) => [l.alert, l.idempotencyKey, l.batchIdempotencyKey])).toEqual([
      [five[2], keys[2], sha256(`${keys[2]},${keys[3]}`)],
      [five[3], keys[3], sha256(`${keys[2]},${keys[3]}`)],
    ]);
    expect(webhook.stats()).toMatchObject({ delivered: 3, deadLettered: 2 });
  });

  it('times out a request that gets no answer, and retries it', async () => {
    server = await startServer((request, response, index) => {
      if (index > 0) accept(request, response, index); // the first one hangs
    });
    const { webhook, letters, sleeps } = delivery(server.url, { timeoutMs: 100 });
    webhook.enqueue(alerts[0]);
    await webhook.drain();
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([75]);
    expect(letters).toEqual([]);

    const once = delivery(server.url, { timeoutMs: 100, maxAttempts: 1 });
    server.respond = () => undefined;
    once.webhook.enqueue(alerts[0]);
    await once.webhook.drain();
    expect(once.letters).toMatchObject([{ reason: 'retries exhausted', attempts: 1, error: 'timeout after 100 ms' }]);
  });

  it('shutdown() sends what is waiting or under way to the dead letter as "stopped"', async () => {
    server = await startServer(() => undefined); // never answers
    const { webhook, letters } = delivery(server.url, { concurrency: 1, timeoutMs: 60_000 });
    alerts.forEach((alert) => webhook.enqueue(alert));
    await until(() => server!.requests.length === 1);
    webhook.shutdown();
    expect(webhook.enqueue({ rule: 'late' })).toBe(false);
    await webhook.drain();
    expect(letters.map((l) => [l.reason, l.attempts, l.alert.rule]).sort()).toEqual(
      [
        ['stopped', 1, alerts[0].rule],
        ['stopped', 0, alerts[1].rule],
        ['stopped', 0, alerts[2].rule],
        ['stopped', 0, 'late'],
      ].sort(),
    );
    expect(letters.find((l) => l.attempts === 1)?.error).toBe('stopped during the request');
  });

  it('keeps a letter whose sink fails, logging it', async () => {
    server = await startServer(status(400));
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args.join(' '));
    try {
      const { webhook } = delivery(server.url, {
        deadLetter: () => {
          throw new Error('disk full');
        },
      });
      webhook.enqueue(alerts[0]);
      await webhook.drain();
      expect(webhook.stats()).toMatchObject({ deadLettered: 1, deadLetterFailures: 1 });
    } finally {
      console.error = original;
    }
    expect(String(logged[0])).toMatch(/^vigil: webhook dead-letter sink failed \(disk full\): \{.*"reason":"rejected".*"rule":"brute force"/);
  });

  it('rejects impossible options', () => {
    expect(() => new WebhookDelivery({ url: 'http://127.0.0.1/', maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new WebhookDelivery({ url: 'not a url' })).toThrow(TypeError);
  });
});

describe('DeadLetterFile', () => {
  const letter = (n: number): DeadLetter => ({ time: '2026-11-21T12:00:00.000Z', reason: 'queue full', url: 'http://x/', idempotencyKey: String(n), attempts: 0, alert: { rule: 'r', n } });

  it('appends whole lines, and isolates a line a crash cut short', async () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, `${JSON.stringify(letter(1))}\n{"time":"2026-11-21T12:00:00.000Z","rea`);
    const file = await DeadLetterFile.open(path);
    await Promise.all([file.write(letter(2)), file.write(letter(3))]);
    await file.write(letter(4));
    await file.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[1]).toBe('{"time":"2026-11-21T12:00:00.000Z","rea');
    expect(lines.slice(2)).toEqual([JSON.stringify(letter(2)), JSON.stringify(letter(3)), JSON.stringify(letter(4)), '']);
    expect(file.written).toBe(3);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
