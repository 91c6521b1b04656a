/**
 * `vigil run … --webhook` end to end: the built command (bin/vigil, dist/) against a receiver on
 * loopback. Spawned asynchronously, since the receiver runs in this process.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createSocket } from 'node:dgram';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCollect } from '../../src/cli/collect.js';
import { runVigil } from '../cli/run-cli.js';
import { canonicalJson, type DeadLetter } from '../../src/mitigation/webhook.js';
import { v5Packet } from '../io/packets.js';
import { accept, closedPort, startServer, type TestServer } from './server.js';

const bin = join(process.cwd(), 'bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-webhook-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const rules = file(
  'rules.vgl',
  `
RULE "root login"
SOURCES kind = "login"
FILTER function (e) { return e.user == 'root'; }
SINK function (e) { return { user: e.user, src: e.src, severity: 'high' }; }

RULE "failures"
SOURCES kind = "login"
FILTER function (e) { return e.outcome == 'failure'; }
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 2 ? { user: events[0].user, failures: events.length } : null; }
SINK function (a) { return a; }
`,
);
const events = file(
  'events.jsonl',
  [
    { kind: 'login', user: 'root', src: '203.0.113.7', outcome: 'success', ts: 1767261600000 },
    { kind: 'login', user: 'ann', src: '10.0.0.2', outcome: 'failure', ts: 1767261601000 },
    { kind: 'login', user: 'ann', src: '10.0.0.2', outcome: 'failure', ts: 1767261602000 },
    { kind: 'login', user: 'root', src: '198.51.100.1', outcome: 'failure', ts: 1767261603000 },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n') + '\n',
);
const expected = [
  { rule: 'root login', user: 'root', src: '203.0.113.7', severity: 'high' },
  { rule: 'root login', user: 'root', src: '198.51.100.1', severity: 'high' },
  { rule: 'failures', key: { user: 'ann' }, windowStart: 1767261600000, windowEnd: 1767261660000, user: 'ann', failures: 2 },
];

function vigil(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const key = (alert: unknown) => createHash('sha256').update(canonicalJson(alert)).digest('hex');
const byRuleAndSrc = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('vigil run --webhook', () => {
  it('POSTs exactly the alerts of the run, signed, with the extra headers, and waits for them', async () => {
    const secret = 'hook-secret';
    server = await startServer();
    const out = join(dir, 'alerts.jsonl');
    const deadLetter = join(dir, 'dead-1.jsonl');
    const r = await vigil(
      ['run', '--rules', rules, '--out', out, '--webhook', server.url, '--webhook-header', 'Authorization: Bearer abc', '--webhook-header', 'X-Team:  soc ', '--webhook-secret-env', 'HOOK_SECRET', '--dead-letter', deadLetter, events],
      { HOOK_SECRET: secret },
    );
    expect(r.stderr).toBe('vigil: webhook: 3 alerts delivered, 0 dead-lettered\n');
    expect(r.code).toBe(0);
    expect(jsonLines(readFileSync(out, 'utf8'))).toEqual(expected);

    expect(server.requests.map((q) => q.json).sort(byRuleAndSrc)).toEqual([...expected].sort(byRuleAndSrc));
    for (const q of server.requests) {
      expect(q.headers['idempotency-key']).toBe(key(q.json));
      expect(q.headers['authorization']).toBe('Bearer abc');
      expect(q.headers['x-team']).toBe('soc');
      expect(q.headers['content-type']).toBe('application/json');
      expect(q.headers['user-agent']).toMatch(/^vigil\/\d+\.\d+\.\d+/);
      expect(q.headers['vigil-signature']).toBe(`sha256=${createHmac('sha256', secret).update(q.body).digest('hex')}`);
    }
    expect(readFileSync(deadLetter, 'utf8')).toBe('');
  });

  it('dead-letters what the receiver rejects, and still writes every alert to --out', async () => {
    server = await startServer((request, response, index) => {
      if ((request.json as { user?: string }).user === 'ann') return response.writeHead(400).end('no ann here');
      if ((request.json as { src?: string }).src === '198.51.100.1' && server!.requests.filter((q) => q.body.equals(request.body)).length === 1) return response.writeHead(503).end();
      accept(request, response, index);
    });
    const deadLetter = join(dir, 'dead-2.jsonl');
    const r = await vigil(['run', '--rules', rules, '--webhook', server.url, '--dead-letter', deadLetter, events]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual(expected);
    expect(r.stderr).toBe(`vigil: webhook: 2 alerts delivered after 1 retry, 1 dead-lettered to ${deadLetter}\n`);
    const letters = jsonLines(readFileSync(deadLetter, 'utf8')) as DeadLetter[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'rejected', url: server.url, attempts: 1, status: 400, response: 'no ann here', alert: expected[2], idempotencyKey: key(expected[2]) });
    expect(Date.parse(letters[0].time)).toBeGreaterThan(Date.now() - 60_000);
    // The retried alert came twice with one key; the receiver de-duplicates on it.
    const retried = server.requests.filter((q) => (q.json as { src?: string }).src === '198.51.100.1');
    expect(retried.map((q) => [q.headers['idempotency-key'], q.headers['vigil-attempt']])).toEqual([
      [key(expected[1]), '1'],
      [key(expected[1]), '2'],
    ]);
  });

  it('ends in the dead-letter file after --webhook-attempts when nothing listens', async () => {
    const port = await closedPort();
    const deadLetter = join(dir, 'dead-3.jsonl');
    const url = `http://127.0.0.1:${port}/hook`;
    const r = await vigil(['run', '--rules', rules, '--webhook', url, '--webhook-attempts', '2', '--dead-letter', deadLetter, events]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual(expected);
    expect(r.stderr).toBe(`vigil: webhook: 0 alerts delivered after 3 retries, 3 dead-lettered to ${deadLetter}\n`);
    const letters = jsonLines(readFileSync(deadLetter, 'utf8')) as DeadLetter[];
    expect(letters.map((l) => l.alert).sort(byRuleAndSrc)).toEqual([...expected].sort(byRuleAndSrc));
    for (const l of letters) {
      expect(l).toMatchObject({ reason: 'retries exhausted', url, attempts: 2, error: `fetch failed (connect ECONNREFUSED 127.0.0.1:${port})` });
      expect(l.idempotencyKey).toBe(key(l.alert));
    }
  });

  it('without --dead-letter, reports undelivered alerts on stderr', async () => {
    server = await startServer((_request, response) => response.writeHead(403).end());
    const r = await vigil(['run', '--rules', rules, '--webhook', server.url, '--webhook-batch', '5', events]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual(expected);
    // One batch of the three alerts, rejected as a whole.
    expect(server.requests.map((q) => q.json)).toEqual([expected]);
    expect(r.stderr.split('\n')).toEqual([
      `vigil: webhook: alert of rule "root login" not delivered (rejected: status 403, 1 attempts); key ${key(expected[0])}`,
      `vigil: webhook: alert of rule "root login" not delivered (rejected: status 403, 1 attempts); key ${key(expected[1])}`,
      `vigil: webhook: alert of rule "failures" not delivered (rejected: status 403, 1 attempts); key ${key(expected[2])}`,
      'vigil: webhook: 0 alerts delivered, 3 dead-lettered (reported above)',
      '',
    ]);
  });
});

describe('webhook flags', () => {


  it('are usage errors when malformed or without --webhook', async () => {
    const base = ['run', '--rules', rules];
    const cases: [string[], string][] = [
      [['--dead-letter', 'x.jsonl'], '--dead-letter needs --webhook <url>'],
      [['--webhook-header', 'A: b'], '--webhook-header needs --webhook <url>'],
      [['--webhook', 'ftp://example.org/'], "--webhook takes an http or https URL, got 'ftp://example.org/'"],
      [['--webhook', 'http://127.0.0.1:9/', '--webhook-header', 'no colon'], "--webhook-header takes 'Name: value', got 'no colon'"],
      [['--webhook', 'http://127.0.0.1:9/', '--webhook-header', 'Idempotency-Key: 1'], '--webhook-header cannot set Idempotency-Key: vigil sets it'],
      [['--webhook', 'http://127.0.0.1:9/', '--webhook-attempts', '0'], "--webhook-attempts takes a positive whole number, got '0'"],
    ];
    for (const [args, message] of cases) {
      const r = await runVigil([...base, ...args, events]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`vigil: ${message}`);
    }
  });

  it('needs the secret variable to be set, before anything is run', async () => {
    const deadLetter = join(dir, 'never.jsonl');
    const r = await runVigil(['run', '--rules', rules, '--webhook', 'http://127.0.0.1:9/', '--webhook-secret-env', 'VIGIL_TEST_UNSET_SECRET', '--dead-letter', deadLetter, events]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vigil: --webhook-secret-env: environment variable VIGIL_TEST_UNSET_SECRET is not set or empty\n');
    expect(existsSync(deadLetter)).toBe(false);
  });
});

describe('vigil collect --webhook', () => {
  it('delivers the alerts of the flows before it exits', async () => {
    server = await startServer();
    const flowRules = file('flows.vgl', 'RULE "ssh"\nSOURCES kind = "flow"\nFILTER function (e) { return e["destination.port"] == 22; }\nSINK function (e) { return { src: e["source.ip"] }; }\n');
    const rec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 22, proto: 6, flags: 2, bytes: 44, packets: 1, first: 1, last: 1 };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const client = createSocket('udp4');
    const code = await runCollect(
      {
        udp: '127.0.0.1:0',
        rules: [flowRules],
        iocs: [],
        tables: [],
        maxPackets: 1,
        durationMs: 10_000,
        webhook: { url: server.url, headers: [] },
        onListening: ({ port }) => client.send(v5Packet([rec, { ...rec, src: '10.0.0.9', dport: 80 }, { ...rec, src: '10.0.0.3' }]), port, '127.0.0.1'),
      },
      { stdin: new PassThrough(), stdout, stderr, version: 't' },
    );
    client.close();
    expect(code).toBe(0);
    const alerts = [{ rule: 'ssh', src: '10.0.0.1' }, { rule: 'ssh', src: '10.0.0.3' }];
    expect(jsonLines(out)).toEqual(alerts);
    expect(server.requests.map((q) => q.json).sort(byRuleAndSrc)).toEqual(alerts);
    expect(err).toContain('vigil: webhook: 2 alerts delivered, 0 dead-lettered\n');
  });
});
