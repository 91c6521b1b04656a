/**
 * IOC lists and tables outside the per-request checkpoint: the README's own example (an IOC list,
 * a table read with utils.inTable, an alert-fed rule) loaded entirely over the API — the list in
 * parts with POST /iocs/:list/entries, the table with PUT /tables/:name — gives the output the
 * README shows for `vigil run`, on one engine and on partitions, before and after a restart. A
 * list is stored once (by content) and an ingest's checkpoint does not carry it; entries come out
 * with DELETE; a list larger than the body limit goes up in parts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore, SharedBlobStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { EngineInstance } from '../../src/edge/instance.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import type { VigilService } from '../../src/edge/service.js';
import type { EngineOptions } from '../../src/engine/engine.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { parseRules } from '../../src/lang/parse.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { ROOT } from '../conformance/runtimes.js';

const TOKEN = 'shared-token';
const admin = { authorization: `Bearer ${TOKEN}` };
const example = (file: string) => readFileSync(`${ROOT}examples/${file}`, 'utf8');
/** The README's output for `vigil run --rules examples/auth.vgl --ioc bad_ips=… --table admins=… examples/auth.jsonl`. */
function readmeOutput(): string[] {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const block = /```jsonl\n([\s\S]*?)```/.exec(readme)![1]!;
  return block.split('\n').filter(Boolean).map((l) => JSON.stringify(JSON.parse(l)));
}

const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));
const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
async function engine(options: EngineOptions = {}) {
  const e = await createNodeEngine({ ...options, clock: clock.now });
  disposers.push(() => e.dispose());
  return e;
}

const call = (handler: Handler, method: string, path: string, body?: string, headers: Record<string, string> = admin) =>
  handler(new Request(`http://vigil.test${path}`, { method, body, headers }));

async function ok(response: Promise<Response>): Promise<Record<string, unknown>> {
  const r = await response;
  const text = await r.text();
  expect(r.status, text).toBeLessThan(300);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The example's lists and rules over the API: bad_ips in two parts, admins as a table. */
async function loadExample(handler: Handler): Promise<void> {
  const ips = example('bad-ips.txt').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const half = Math.ceil(ips.length / 2);
  await ok(call(handler, 'POST', '/iocs/bad_ips/entries', ips.slice(0, half).join('\n')));
  expect((await ok(call(handler, 'POST', '/iocs/bad_ips/entries', ips.slice(half).join('\n')))).count).toBe(ips.length);
  expect((await ok(call(handler, 'PUT', '/tables/admins', example('admins.txt')))).count).toBe(example('admins.txt').split('\n').filter((l) => l.trim() && !l.startsWith('#')).length);
  for (const rule of parseRules(example('auth.vgl'), 'auth.vgl').rules) await ok(call(handler, 'PUT', `/rules/${encodeURIComponent(rule.name)}`, rule.text));
}

async function outputOf(service: VigilService): Promise<string[]> {
  await service.flush();
  return (await service.alerts(undefined, 1000)).alerts.map((a) => JSON.stringify(a));
}

const config = readConfig({ VIGIL_TOKEN: TOKEN });

describe('the README example over the API', () => {
  it('one engine: the README output, also after a restart that finds the list and the table in the store', async () => {
    const store = new ChunkedCheckpointStore(new MemoryByteStore());
    let instance = await EngineInstance.open(await engine(), { store });
    let handler = createHttpHandler(instance, config.http);
    await loadExample(handler);
    expect((await call(handler, 'GET', '/tables/admins')).status).toBe(200);
    // Restart before any event: rules, list and table come back from the store.
    instance = await EngineInstance.open(await engine(), { store });
    handler = createHttpHandler(instance, config.http);
    expect((await (await call(handler, 'GET', '/tables/admins')).text()).split('\n').filter(Boolean).sort()).toEqual(
      example('admins.txt').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).sort(),
    );
    await ok(call(handler, 'POST', '/events', example('auth.jsonl'), { 'content-type': 'application/x-ndjson' }));
    expect(await outputOf(instance)).toEqual(readmeOutput());
  });

  it('3 partitions sharing one blob store: the README output (as a multiset), and the list stored once', async () => {
    const blobs = new MemoryByteStore();
    const stores = [0, 1, 2].map(() => new ChunkedCheckpointStore(new MemoryByteStore()));
    const open = async () => new PartitionedService(await openLocalPartitions(3, engine, { partitionField: 'src_ip', stores, blobs: new SharedBlobStore(blobs) }), 'src_ip');
    let service = await open();
    await loadExample(createHttpHandler(service, config.http));
    // Each partition holds the list and the table; the store holds each once, not once per
    // partition: the whole list and the table. The list after its first part was deleted once every
    // partition had replaced it (test/edge/blob-claims.test.ts).
    const heads = [...blobs.map.keys()].filter((k) => /^blob:[0-9a-f]{64}$/.test(k));
    expect(heads).toHaveLength(2);
    service = await open();
    await ok(call(createHttpHandler(service, config.http), 'POST', '/events', example('auth.jsonl'), { 'content-type': 'application/x-ndjson' }));
    expect((await outputOf(service)).sort()).toEqual(readmeOutput().sort());
  });
});

describe('lists and tables', () => {
  it('keeps a large list out of the per-request checkpoint, and uploads it in parts within the body limit', async () => {
    const bytes = new MemoryByteStore();
    const store = new ChunkedCheckpointStore(bytes);
    const instance = await EngineInstance.open(await engine(), { store });
    const handler = createHttpHandler(instance, readConfig({ VIGIL_TOKEN: TOKEN, VIGIL_MAX_BODY_BYTES: '200000' }).http);
    const entries = Array.from({ length: 50_000 }, (_, i) => `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const whole = entries.join('\n');
    expect(whole.length).toBeGreaterThan(200_000);
    expect((await call(handler, 'PUT', '/iocs/big', whole)).status).toBe(413);
    let count = 0;
    for (let i = 0; i < entries.length; i += 10_000) count = (await ok(call(handler, 'POST', '/iocs/big/entries', entries.slice(i, i + 10_000).join('\n')))).count as number;
    expect(count).toBe(entries.length);
    await ok(call(handler, 'PUT', '/rules/hit', 'RULE "hit"\nSOURCES kind = "conn"\nIOC FILTERS in big(ip)\nSINK function (e) { return { ip: e.ip }; }'));
    await ok(call(handler, 'POST', '/events', JSON.stringify([{ kind: 'conn', ip: entries[123] }, { kind: 'conn', ip: '10.9.9.9' }]), { 'content-type': 'application/json' }));
    const head = JSON.parse(new TextDecoder().decode(bytes.map.get('checkpoint:head'))) as { bytes: number };
    const list = instance.engine.iocs.list().find((l) => l.name === 'big')!;
    // The checkpoint written for that ingest is a small fraction of the list it does not carry.
    expect(head.bytes).toBeLessThan(list.byteSize / 10);
    // Only the list's current version is stored (the parts' versions were deleted as replaced).
    expect([...bytes.map.keys()].filter((k) => /^blob:[0-9a-f]{64}$/.test(k))).toHaveLength(1);
    const alerts = (await instance.alerts(undefined, 10)).alerts as unknown as { ip: string }[];
    expect(alerts.map((a) => a.ip)).toEqual([entries[123]]);
  });

  it('removes entries (DELETE /iocs/:list/entries), 404 for an unknown list or table, and deletes tables', async () => {
    const store = new ChunkedCheckpointStore(new MemoryByteStore());
    let instance = await EngineInstance.open(await engine(), { store });
    let handler = createHttpHandler(instance, config.http);
    await ok(call(handler, 'PUT', '/iocs/ips', '1.1.1.1\n2.2.2.2\n3.3.3.3'));
    expect(await ok(call(handler, 'DELETE', '/iocs/ips/entries', '2.2.2.2\n9.9.9.9'))).toEqual({ name: 'ips', count: 2, removed: 1 });
    expect((await call(handler, 'DELETE', '/iocs/nope/entries', '1.1.1.1')).status).toBe(404);
    expect((await call(handler, 'GET', '/tables/nope')).status).toBe(404);
    expect((await call(handler, 'PUT', '/tables/bad%20name', 'x')).status).toBe(400);
    await ok(call(handler, 'PUT', '/tables/t', 'a\nb'));
    instance = await EngineInstance.open(await engine(), { store });
    handler = createHttpHandler(instance, config.http);
    expect(instance.engine.iocs.has('ips', '1.1.1.1')).toBe(true);
    expect(instance.engine.iocs.has('ips', '2.2.2.2')).toBe(false);
    expect((await call(handler, 'DELETE', '/tables/t')).status).toBe(204);
    expect((await call(handler, 'DELETE', '/tables/t')).status).toBe(404);
    instance = await EngineInstance.open(await engine(), { store });
    expect(instance.engine.tables.names()).toEqual([]);
  });
});
