/**
 * Hostile requests to the HTTP API (a red-team of src/edge): each case is an attack that once
 * hung, lost accepted data or answered 500, and what the API does now.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendRaw } from './raw-http.js';
import { ChunkedCheckpointStore, MemoryByteStore, SharedBlobStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { startNodeServer } from '../../src/edge/node/server.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import type { VigilService } from '../../src/edge/service.js';
import { createNodeEngine } from '../../src/runtime/node.js';

const TOKEN = 'hostile-token';
const admin = { authorization: `Bearer ${TOKEN}` };

const disposers: (() => unknown)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function engine() {
  const e = await createNodeEngine({});
  disposers.push(() => e.dispose());
  return e;
}

async function server(): Promise<{ handler: Handler; instance: EngineInstance }> {
  const instance = await EngineInstance.open(await engine());
  return { instance, handler: createHttpHandler(instance, readConfig({ VIGIL_TOKEN: TOKEN }).http) };
}

const handlerOf = (service: VigilService) => createHttpHandler(service, readConfig({ VIGIL_TOKEN: TOKEN }).http);

const call = (handler: Handler, method: string, path: string, body?: string, headers: Record<string, string> = admin) =>
  handler(new Request(`http://vigil.test${path}`, { method, body, headers }));

describe('IOC list and table bodies', () => {
  it('takes a body that repeats one entry many times in linear time, as one entry', async () => {
    // 4,000 copies of one key (52 kB): the cuckoo filter held 8 copies of a key per level (before
    // it counted copies), so each further copy added a level, every insert walked them all: 12 s of a blocked engine
    // (20,000 copies: several minutes).
    const { handler, instance } = await server();
    const body = 'evil.example\n'.repeat(4_000);
    const started = Date.now();
    for (const [method, path] of [
      ['PUT', '/iocs/dups'],
      ['POST', '/iocs/dups/entries'],
      ['POST', '/iocs/fresh/entries'],
      ['PUT', '/tables/dups'],
    ] as const) {
      const response = await call(handler, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(200);
      expect(((await response.json()) as { count: number }).count, `${method} ${path}`).toBeLessThanOrEqual(2);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(instance.engine.iocs.has('dups', 'evil.example')).toBe(true);
    expect(instance.engine.iocs.has('fresh', 'evil.example')).toBe(true);
    const removed = await call(handler, 'DELETE', '/iocs/dups/entries', body);
    expect(((await removed.json()) as { removed: number }).removed).toBe(1);
  });

  it('holds a part posted 20 times (a client that retries) as one table level, and takes each copy back', async () => {
    // Each copy of an entry was a fingerprint slot, and past 8 copies of an entry each took a table
    // level that every look-up of the list tried: these 20 posts made about 530 levels, each add
    // walked them all, and a look-up took 30× as long (bench/ioc-repeats.mjs). Copies are counted
    // now (assembly/cuckoo.ts, "Repeated fingerprints"). Checked on the levels and the memory, not
    // on time.
    const { handler, instance } = await server();
    const part = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const body = part.join('\n');
    const countOf = async (response: Promise<Response>) => ((await (await response).json()) as { count: number }).count;
    expect(await countOf(call(handler, 'POST', '/iocs/once/entries', body))).toBe(10_000);
    let count = 0;
    for (let r = 0; r < 20; r++) count = await countOf(call(handler, 'POST', '/iocs/retried/entries', body));
    expect(count).toBe(200_000);
    const iocs = instance.engine.iocs;
    // Its table levels, from the serialized filter's header (assembly/cuckoo.ts, "serialization").
    const serialized = iocs.serialize('retried');
    expect(new DataView(serialized.buffer, serialized.byteOffset).getUint32(32, true)).toBe(1);
    const bytes = (name: string) => iocs.list().find((l) => l.name === name)!.byteSize;
    // The table of the part sent once, and a counter per entry: under 16 bytes an entry.
    expect(bytes('retried') - bytes('once')).toBeLessThan(16 * part.length);
    expect(part.every((ip) => iocs.has('retried', ip))).toBe(true);
    const absent = Array.from({ length: 10_000 }, (_, i) => `172.16.${i >> 8}.${i & 255}`);
    // False positives at the list's rate (0.1 %: about 10 of 10,000).
    expect(absent.map((ip) => iocs.has('retried', ip)).filter(Boolean).length).toBeLessThan(50);
    for (let r = 20; r > 0; r--) {
      const response = await call(handler, 'DELETE', '/iocs/retried/entries', body);
      expect(await response.json()).toEqual({ name: 'retried', count: (r - 1) * 10_000, removed: 10_000 });
    }
    expect(part.filter((ip) => iocs.has('retried', ip)).length).toBe(0);
  });
});

describe('list and table names', () => {
  // LIST_NAME admits `__proto__`: the names of the stored lists were kept in a plain object, where
  // assigning `__proto__` sets the prototype, so the list was served (200) and gone after a restart.
  const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
  async function putAll(handler: Handler): Promise<void> {
    for (const name of names) {
      expect((await call(handler, 'PUT', `/iocs/${name}`, `ioc-${name}`)).status).toBe(200);
      expect((await call(handler, 'PUT', `/tables/${name}`, `row-${name}`)).status).toBe(200);
    }
  }
  async function expectAll(handler: Handler, where: string): Promise<void> {
    for (const name of names) {
      const table = await call(handler, 'GET', `/tables/${name}`);
      expect(table.status, `${where}: table ${name}`).toBe(200);
      expect(await table.text()).toBe(`row-${name}\n`);
      // The list exists: adding nothing to it answers its count (404 is for a list that is not there).
      const removed = await call(handler, 'DELETE', `/iocs/${name}/entries`, '');
      expect(removed.status, `${where}: list ${name}`).toBe(200);
      expect(await removed.json()).toMatchObject({ count: 1 });
    }
  }

  it('keeps lists and tables named like Object.prototype members across a restart (one engine)', async () => {
    const store = new ChunkedCheckpointStore(new MemoryByteStore());
    await putAll(handlerOf(await EngineInstance.open(await engine(), { store })));
    await expectAll(handlerOf(await EngineInstance.open(await engine(), { store })), 'after a restart');
  });

  it('keeps them across a restart on partitions', async () => {
    const blobs = new SharedBlobStore(new MemoryByteStore());
    const stores = [0, 1].map(() => new ChunkedCheckpointStore(new MemoryByteStore()));
    const open = async () => handlerOf(new PartitionedService(await openLocalPartitions(2, engine, { partitionField: 'src', stores, blobs }), 'src'));
    await putAll(await open());
    await expectAll(await open(), 'after a restart');
  });
});

describe('concurrent changes to one list or table', () => {
  // Each change applies to the engine at once, then awaits storing the blob (SHA-256 of its bytes)
  // and the checkpoint. A large PUT and a small one sent together: the small one's blob was stored
  // first, the large one's last, so the checkpoint named the large version while the engine served
  // the small one — after a restart, another list than the one that had been answering.
  const large = Array.from({ length: 200_000 }, (_, i) => `host-${i}.example`).join('\n');
  const small = 'only.example';

  /** A store whose writes take time in proportion to their size, as a disk's or a Durable Object's do. */
  class SlowStore extends MemoryByteStore {
    override async put(key: string, value: Uint8Array): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, value.length / 20_000));
      await super.put(key, value);
    }
  }

  async function race(handler: Handler): Promise<void> {
    const answers = await Promise.all([
      call(handler, 'PUT', '/tables/t', large),
      call(handler, 'PUT', '/tables/t', small),
      call(handler, 'PUT', '/iocs/l', large),
      call(handler, 'PUT', '/iocs/l', small),
    ]);
    for (const answer of answers) expect(answer.status).toBe(200);
  }
  async function state(handler: Handler): Promise<{ table: string; large: boolean; small: boolean }> {
    const table = await (await call(handler, 'GET', '/tables/t')).text();
    const { count } = (await (await call(handler, 'DELETE', '/iocs/l/entries', '')).json()) as { count: number };
    return { table: table.length > 100 ? 'large' : table, large: count > 1, small: count === 1 };
  }

  it('one engine: the list and table a restart finds are the ones served before it', async () => {
    const store = new ChunkedCheckpointStore(new SlowStore());
    const before = handlerOf(await EngineInstance.open(await engine(), { store }));
    await race(before);
    const served = await state(before);
    expect(await state(handlerOf(await EngineInstance.open(await engine(), { store })))).toEqual(served);
  });

  it('partitions: the same on each', async () => {
    const blobs = new SharedBlobStore(new SlowStore());
    const stores = [0].map(() => new ChunkedCheckpointStore(new SlowStore()));
    const open = async () => handlerOf(new PartitionedService(await openLocalPartitions(1, engine, { partitionField: 'src', stores, blobs }), 'src'));
    const before = await open();
    await race(before);
    const served = await state(before);
    expect(await state(await open())).toEqual(served);
  });
});

describe('the Node server reads the path from the request line only', () => {
  it('does not let the Host header pick the route, nor answer 500 to a malformed one', async () => {
    // The URL was `http://${Host}${path}`: `Host: x/metrics#` turned `GET /events` into GET /metrics,
    // past a proxy that lets only /events through; `Host: a b` was a 500.
    const server = await startNodeServer({ env: { VIGIL_TOKEN: TOKEN }, guard: false });
    disposers.push(() => server.close());
    const port = Number(new URL(server.url).port);
    expect((await sendRaw(port, 'GET /events HTTP/1.1\r\nHost: x/metrics#')).status).toBe(405);
    expect((await sendRaw(port, 'GET /nothing HTTP/1.1\r\nHost: x/alerts?')).status).toBe(404);
    for (const host of ['a b', '[zz', 'a:99999']) {
      const answer = await sendRaw(port, `GET /health HTTP/1.1\r\nHost: ${host}`);
      expect(answer.status, host).toBe(200);
      expect(answer.body, host).toContain('{"ok":true}');
    }
    // The absolute form (RFC 9112 §3.2.2) names the path after its authority.
    expect((await sendRaw(port, 'GET http://vigil.example/health HTTP/1.1\r\nHost: vigil.example')).status).toBe(200);
    const asterisk = await sendRaw(port, 'OPTIONS * HTTP/1.1\r\nHost: x');
    expect(asterisk.status).toBe(400);
    expect(asterisk.body).toContain('"code":"bad-request-target"');
  });
});

describe('the { "batch", "events" } body', () => {
  it('rejects an element nested too deep by its index, as a JSON array body does, and keeps the key', async () => {
    // The envelope's events were turned back into text with JSON.stringify, which recurses: an
    // element 100,000 deep (JSON.parse does not recurse) was a 500 "Maximum call stack size exceeded".
    const { handler } = await server();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const body = `{"batch":"b-1","events":[{"kind":"auth"},{"nested":${deep}},${deep},{"kind":"auth"}]}`;
    const headers = { 'content-type': 'application/json' };
    const first = await call(handler, 'POST', '/events', body, headers);
    expect(first.status).toBe(202);
    const answer = (await first.json()) as { accepted: number; rejected: { line: number; reason: string }[] };
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r) => r.line)).toEqual([2, 3]);
    expect(answer.rejected[0]!.reason).toMatch(/deeper than 128/);
    expect(answer.rejected[1]!.reason).toMatch(/array/);
    // The same as the array itself gets.
    const array = (await (await call(handler, 'POST', '/events', `[{"kind":"auth"},{"nested":${deep}},${deep},{"kind":"auth"}]`, headers)).json()) as typeof answer;
    expect(array).toEqual(answer);
    const again = await call(handler, 'POST', '/events', body, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(answer);
  });
});

describe('GET /alerts pages', () => {
  it('stops a page at about 8 MiB of JSON and goes on from there', async () => {
    // Alerts as large as the events that raised them (an event may be as large as the body limit):
    // 58 alerts of 9.5 MB made a page of 1,000 past the longest string V8 can build, and every
    // GET /alerts from that cursor answered 500 "Invalid string length".
    const { handler } = await server();
    expect((await call(handler, 'PUT', '/rules/big', 'RULE "big"\nSOURCES kind = "auth"\nSINK function (e) { return { n: e.n, d: e.d }; }')).status).toBe(201);
    const pad = 'x'.repeat(3_000_000);
    for (let n = 1; n <= 5; n++) {
      const response = await call(handler, 'POST', '/events', `[{"kind":"auth","n":${n},"d":"${pad}"}]`, { 'content-type': 'application/json' });
      expect(await response.json()).toEqual({ accepted: 1, rejected: [] });
    }
    const seen: number[] = [];
    let cursor = '';
    for (let pages = 0; seen.length < 5 && pages < 10; pages++) {
      const page = await call(handler, 'GET', `/alerts?since=${cursor}`);
      expect(page.status).toBe(200);
      const text = await page.text();
      const alerts = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { n: number });
      // Two of 3 MB fit in 8 MiB, a third does not.
      expect(alerts.length).toBe(Math.min(2, 5 - seen.length));
      seen.push(...alerts.map((a) => a.n));
      cursor = page.headers.get('vigil-cursor')!;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(await (await call(handler, 'GET', `/alerts?since=${cursor}`)).text()).toBe('');
  });
});

describe('a failed push while an earlier change is still being stored', () => {
  it('rolls back to the state before the failed push, not to an older one', async () => {
    // The roll-back point was set when a checkpoint's write completed, to the bytes taken before the
    // write: a change made meanwhile (a rule put while the previous ingest's checkpoint was written)
    // was missing from it, and a push failing then rolled the engine back past that change.
    class SlowStore extends MemoryByteStore {
      override async put(key: string, value: Uint8Array): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await super.put(key, value);
      }
    }
    const e = await engine();
    const push = e.push.bind(e);
    // Fault injection (as test/edge/batch-isolation.test.ts): an event marked poison makes push throw.
    e.push = (events, options) => {
      if (events.some((event) => (event as { poison?: boolean }).poison)) throw new Error('injected fault');
      return push(events, options);
    };
    const handler = handlerOf(await EngineInstance.open(e, { store: new ChunkedCheckpointStore(new SlowStore()) }));
    const json = { 'content-type': 'application/json' };
    const first = call(handler, 'POST', '/events', '[{"kind":"auth","n":1}]', json);
    const rule = call(handler, 'PUT', '/rules/late', 'RULE "late"\nSOURCES kind = "auth"\nSINK function (e) { return { n: e.n }; }');
    expect((await first).status).toBe(202);
    // The rule's checkpoint is still being written: this push fails and is rolled back.
    const poisoned = await call(handler, 'POST', '/events', '[{"kind":"auth","n":2,"poison":true}]', json);
    expect(await poisoned.json()).toMatchObject({ accepted: 0, rejected: [{ line: 1 }] });
    expect((await rule).status).toBe(201);
    const rules = (await (await call(handler, 'GET', '/rules')).json()) as { rules: { name: string }[] };
    expect(rules.rules.map((r) => r.name)).toEqual(['late']);
    await call(handler, 'POST', '/events', '[{"kind":"auth","n":3}]', json);
    expect(await (await call(handler, 'GET', '/alerts')).text()).toBe('{"rule":"late","n":3}\n');
  });
});

describe('POST /events answers', () => {
  it('lists the first 1,000 rejected lines and counts the rest, whatever the body holds', async () => {
    // Every refused line was listed with its reason: 10 MB of `{` lines (2 bytes each) answered
    // 449 MB of JSON (3.5 GB of memory), which a longer reason per line takes past what one string can hold.
    const { handler } = await server();
    const body = '1\n'.repeat(4_000) + '{"kind":"auth"}\n' + '{\n'.repeat(3_000);
    const response = await call(handler, 'POST', '/events', body);
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { accepted: number; rejected: { line: number; reason: string }[]; rejectedTotal?: number };
    expect(answer.accepted).toBe(1);
    expect(answer.rejectedTotal).toBe(7_000);
    expect(answer.rejected.map((r) => r.line)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    // A list that fits is given whole, without the total.
    const few = await call(handler, 'POST', '/events', '1\n{"kind":"auth"}\n');
    expect(await few.json()).toEqual({ accepted: 1, rejected: [{ line: 1, reason: expect.any(String) }] });
  });
});

describe('composite cursors on partitions', () => {
  it('refuses a cursor with a malformed part (400), also the part of a partition this page does not read', async () => {
    // With limit=1 filled by partition 0, partition 1's part was handed back unread: `0.-5` gave
    // the cursor `1.-5`, and a part holding CR LF was a 500 (an invalid header value).
    const handler = handlerOf(new PartitionedService(await openLocalPartitions(2, engine, { partitionField: 'src' }), 'src'));
    await call(handler, 'PUT', '/rules/r', 'RULE "r"\nSOURCES kind = "auth"\nSINK function (e) { return { n: e.n }; }');
    await call(handler, 'POST', '/events', '{"kind":"auth","n":1,"src":"a"}\n{"kind":"auth","n":2,"src":"b"}\n{"kind":"auth","n":3,"src":"c"}\n');
    for (const since of ['0.-5', '0.%0D%0Ax-injected:%201', '0.abc', '0.1.2']) {
      const response = await call(handler, 'GET', `/alerts?limit=1&since=${since}`);
      expect(response.status, since).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'bad-cursor' } });
    }
    const good = await call(handler, 'GET', '/alerts?limit=1&since=0.0');
    expect(good.status).toBe(200);
    expect(good.headers.get('vigil-cursor')).toMatch(/^\d+\.\d+$/);
  });
});
