/**
 * Shared blobs (IOC lists and tables of partitions) are deleted when no partition names them any
 * more, and never while one does — also when a partition crashes between its steps.
 *
 * Oracles: for the claims themselves, a model of the rule "a blob is kept while some holder claims
 * it, or it was stored before claims existed" run beside random claims, releases and reconciles;
 * for partitions, the set of hashes their checkpoints name (each partition's last checkpoint,
 * decoded), compared with the blob heads in the store, and the lists' contents read back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedCheckpointStore, MemoryByteStore, SharedBlobStore, type ByteStore } from '../../src/edge/checkpoint-store.js';
import { readConfig } from '../../src/edge/config.js';
import { createHttpHandler, type Handler } from '../../src/edge/http.js';
import { openLocalPartitions } from '../../src/edge/partition-node.js';
import { PartitionedService } from '../../src/edge/partition.js';
import { decodeCheckpoint } from '../../src/engine/checkpoint.js';
import { ManualClock } from '../../src/engine/event-time.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { seededRandom } from '../../src/bench/common.js';

const TOKEN = 'claims-token';
const admin = { authorization: `Bearer ${TOKEN}` };
const config = readConfig({ VIGIL_TOKEN: TOKEN });
const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));

const bytesOf = (text: string) => new TextEncoder().encode(text);
const heads = (store: MemoryByteStore) => new Set([...store.map.keys()].filter((k) => /^blob:[0-9a-f]{64}$/.test(k)).map((k) => k.slice(5)));

describe('claims on shared blobs (model)', () => {
  it('random claims, releases and reconciles: a blob is stored exactly while claimed or legacy', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
      const bytes = new MemoryByteStore();
      const blobs = new SharedBlobStore(bytes, 16);
      const contents = Array.from({ length: 6 }, (_, i) => bytesOf(`blob ${i} of seed ${seed} `.repeat(1 + i * 3)));
      const hashes = await Promise.all(contents.map((c) => blobs.hashOf(c)));
      const holders = ['p0', 'p1', 'p2', 'p3'];
      // Model: claims per (hash, holder); legacy = stored before its first claim.
      const claims = new Map<string, Map<string, number>>(hashes.map((h) => [h, new Map()]));
      const legacy = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const k = Math.floor(random() * 6);
        await blobs.put(contents[k]!);
        legacy.add(hashes[k]!);
      }
      const total = (h: string) => [...claims.get(h)!.values()].reduce((a, b) => a + b, 0);
      const ops: Promise<void>[] = [];
      for (let step = 0; step < 300; step++) {
        const holder = pick(holders);
        const k = Math.floor(random() * 6);
        const h = hashes[k]!;
        const r = random();
        if (r < 0.45) {
          // The protocol: claim, then put.
          claims.get(h)!.set(holder, (claims.get(h)!.get(holder) ?? 0) + 1);
          await blobs.claim(h, holder);
          await blobs.put(contents[k]!);
        } else if (r < 0.9) {
          const had = claims.get(h)!.get(holder) ?? 0;
          if (had > 1) claims.get(h)!.set(holder, had - 1);
          else claims.get(h)!.delete(holder);
          // Releases are also issued without waiting: they queue behind each other.
          ops.push(blobs.release(h, holder));
        } else {
          const named = new Map<string, number>();
          for (const hh of hashes) if (random() < 0.3) named.set(hh, 1 + Math.floor(random() * 2));
          for (const hh of hashes) {
            if (named.has(hh)) claims.get(hh)!.set(holder, named.get(hh)!);
            else claims.get(hh)!.delete(holder);
          }
          await Promise.all(ops.splice(0));
          await blobs.reconcile(holder, named);
          // A reconcile that names a blob claims it; the blob is put by the holder's restore (already stored, or legacy).
          for (const hh of named.keys()) {
            const index = hashes.indexOf(hh);
            if (!(await blobs.get(hh))) await blobs.put(contents[index]!);
          }
        }
        await Promise.all(ops.splice(0));
        for (const hh of hashes) {
          const stored = (await blobs.get(hh)) !== undefined;
          const everStored = legacy.has(hh) || total(hh) > 0;
          if (total(hh) > 0 || legacy.has(hh)) expect(stored, `seed ${seed} step ${step}: ${hh.slice(0, 8)} must be kept`).toBe(true);
          else if (!everStored) expect(stored, `seed ${seed} step ${step}: ${hh.slice(0, 8)} must be gone`).toBe(false);
        }
      }
      // Every holder reconciles to nothing: only legacy blobs are left, with no chunk of the others.
      for (const holder of holders) await blobs.reconcile(holder, new Map());
      expect(heads(bytes)).toEqual(legacy);
      const chunkOwners = new Set([...bytes.map.keys()].filter((k) => /^blob:[0-9a-f]{64}:\d+$/.test(k)).map((k) => k.slice(5, 69)));
      expect(chunkOwners).toEqual(legacy);
      expect([...bytes.map.keys()].filter((k) => k.startsWith('held:'))).toEqual([]);
    }
  });

  it('a blob already stored when first claimed (by a version before claims) is never deleted', async () => {
    const bytes = new MemoryByteStore();
    const blobs = new SharedBlobStore(bytes);
    const hash = await blobs.put(bytesOf('old list'));
    await blobs.claim(hash, 'p0');
    await blobs.release(hash, 'p0');
    expect(await blobs.get(hash)).toEqual(bytesOf('old list'));
    const fresh = await blobs.hashOf(bytesOf('new list'));
    await blobs.claim(fresh, 'p0');
    await blobs.put(bytesOf('new list'));
    await blobs.release(fresh, 'p0');
    expect(await blobs.get(fresh)).toBeUndefined();
  });
});

/** A byte store whose writes fail while `failing` is set: a crash of the partition at that point. */
class FailingStore implements ByteStore {
  failing = false;
  constructor(readonly inner: MemoryByteStore) {}
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, value: Uint8Array) {
    if (this.failing) throw new Error('disk gone');
    return this.inner.put(key, value);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

/** Releases fail while `failing` is set: a crash after the checkpoint, before the release. */
class FailingReleases extends SharedBlobStore {
  failing = false;
  override async release(hash: string, holder: string): Promise<void> {
    if (this.failing) throw new Error('blob object unreachable');
    return super.release(hash, holder);
  }
}

describe('partitions and their shared blobs', () => {
  const PARTITIONS = 3;
  const call = (handler: Handler, method: string, path: string, body?: string) => handler(new Request(`http://vigil.test${path}`, { method, body, headers: admin }));
  async function engine() {
    const e = await createNodeEngine({ clock: clock.now });
    disposers.push(() => e.dispose());
    return e;
  }
  function setup() {
    const blobBytes = new MemoryByteStore();
    const own = Array.from({ length: PARTITIONS }, () => new FailingStore(new MemoryByteStore()));
    const blobs = new FailingReleases(blobBytes);
    const stores = own.map((s) => new ChunkedCheckpointStore(s));
    const open = async () => {
      const service = new PartitionedService(await openLocalPartitions(PARTITIONS, engine, { partitionField: 'ip', stores, blobs }), 'ip');
      return createHttpHandler(service, config.http);
    };
    /** The hashes the partitions' last checkpoints name (the oracle: what must be kept). */
    const named = async () => {
      const out = new Set<string>();
      for (const store of stores) {
        const bytes = await store.read();
        if (!bytes) continue;
        const { document } = decodeCheckpoint<{ shared?: { iocs: Record<string, string>; tables: Record<string, string> } }>(bytes);
        for (const hash of [...Object.values(document.shared?.iocs ?? {}), ...Object.values(document.shared?.tables ?? {})]) out.add(hash);
      }
      return out;
    };
    return { blobBytes, own, blobs, open, named };
  }
  const list = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `10.0.${(from + i) >> 8}.${(from + i) & 255}`).join('\n');

  it('replacing and deleting lists and tables leaves only the blobs the checkpoints name', async () => {
    const { blobBytes, open, named } = setup();
    const handler = await open();
    for (let version = 0; version < 5; version++) expect((await call(handler, 'PUT', '/iocs/bad', list(100 + version, version))).status).toBe(200);
    expect((await call(handler, 'POST', '/iocs/bad/entries', '192.0.2.1')).status).toBe(200);
    expect((await call(handler, 'DELETE', '/iocs/bad/entries', '10.0.0.4')).status).toBe(200);
    // Two lists with the same entries share one blob; deleting one keeps it for the other.
    expect((await call(handler, 'PUT', '/tables/admins', 'alice\nbob')).status).toBe(200);
    expect((await call(handler, 'PUT', '/tables/owners', 'alice\nbob')).status).toBe(200);
    expect((await call(handler, 'PUT', '/tables/admins', 'alice\nbob\ncarol')).status).toBe(200);
    expect(heads(blobBytes)).toEqual(await named());
    expect(heads(blobBytes).size).toBe(3);
    expect((await call(handler, 'DELETE', '/tables/owners')).status).toBe(204);
    expect((await call(handler, 'DELETE', '/iocs/bad')).status).toBe(204);
    expect(heads(blobBytes)).toEqual(await named());
    expect(heads(blobBytes).size).toBe(1);
    expect((await (await call(handler, 'GET', '/tables/admins')).text()).trim()).toBe('alice\nbob\ncarol');
    // No chunk is left of a deleted blob.
    const chunks = new Set([...blobBytes.map.keys()].filter((k) => /^blob:[0-9a-f]{64}:\d+$/.test(k)).map((k) => k.slice(5, 69)));
    expect(chunks).toEqual(heads(blobBytes));
  });

  it('a crash between the claim and the checkpoint: the restart deletes the blob no checkpoint names', async () => {
    const { blobBytes, own, open, named } = setup();
    let handler = await open();
    expect((await call(handler, 'PUT', '/iocs/bad', list(50))).status).toBe(200);
    const before = await named();
    for (const store of own) store.failing = true;
    expect((await call(handler, 'PUT', '/iocs/bad', list(60, 1000))).status).toBeGreaterThanOrEqual(500);
    for (const store of own) store.failing = false;
    // Claimed and stored, named by no checkpoint.
    expect(heads(blobBytes).size).toBe(2);
    handler = await open();
    expect(await named()).toEqual(before);
    expect(heads(blobBytes)).toEqual(before);
    // The list is the one the checkpoints name.
    expect((await call(handler, 'PUT', '/rules/hit', 'RULE "hit"\nSOURCES kind = "conn"\nIOC FILTERS in bad(ip)\nSINK function (e) { return { ip: e.ip }; }')).status).toBeLessThan(300);
    // Ten addresses of the first version only: every one alerts (no false negatives), which the second
    // version (10.0.3.232 on) could only do by ten false positives at 0.1 % each.
    const members = Array.from({ length: 10 }, (_, i) => `10.0.0.${i * 4}`);
    const body = members.map((ip) => JSON.stringify({ kind: 'conn', ip })).join('\n');
    const posted = await handler(new Request('http://vigil.test/events', { method: 'POST', body, headers: { ...admin, 'content-type': 'application/x-ndjson' } }));
    expect(posted.status, await posted.text()).toBeLessThan(300);
    const alerts = (await (await call(handler, 'GET', '/alerts')).text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { ip: string }).ip);
    expect(alerts.sort()).toEqual(members.sort());
  });

  it('a crash between the checkpoint and the release: the restart deletes the replaced blob', async () => {
    const { blobBytes, blobs, open, named } = setup();
    let handler = await open();
    expect((await call(handler, 'PUT', '/tables/t', 'a\nb')).status).toBe(200);
    blobs.failing = true;
    expect((await call(handler, 'PUT', '/tables/t', 'a\nb\nc')).status).toBe(200);
    expect((await call(handler, 'DELETE', '/iocs/none')).status).toBe(404);
    blobs.failing = false;
    expect(heads(blobBytes).size).toBe(2);
    handler = await open();
    expect(heads(blobBytes)).toEqual(await named());
    expect(heads(blobBytes).size).toBe(1);
    expect((await (await call(handler, 'GET', '/tables/t')).text()).trim()).toBe('a\nb\nc');
  });
});
