/**
 * VigilPartition, the Durable Object that holds one partition: one engine per routing class
 * (src/edge/partition-node.ts). It serves Vigil's HTTP API and the internal partition routes to
 * the Worker and to the other partitions only (trusted: the Worker has checked the token),
 * checkpoints into its storage after every change, and restores when the object starts again, so
 * an eviction or a crash loses nothing. Alerts owed to other partitions go to their objects
 * directly; a forward that fails is retried on the next request or alarm. Processing-time windows
 * close on alarms; an alarm that fires twice finds nothing more due, so closing is idempotent.
 *
 * One more object of the same class, named BLOB_OBJECT_NAME, holds the deployment's IOC lists and
 * tables (content-addressed blobs, src/edge/shared-data.ts) once for all partitions: a partition
 * stores a list there and keeps only its hash in its own checkpoint, and reads it back from there
 * when it starts. That object never opens an engine. Only partitions reach it: the Worker sends
 * partitions protocol messages it builds itself, never a client's path. It also keeps which
 * partition claims which blob and deletes a blob none claims (SharedBlobStore): each claim, release
 * or reconcile is one request that the object runs with storage operations only, so the object's
 * input gate lets no other request in between its reads and writes.
 */
import { ChunkedCheckpointStore, SharedBlobStore, type ByteStore, type HoldRunner } from '../checkpoint-store.js';
import { readConfig, type EdgeConfig } from '../config.js';
import { createHttpHandler, type Handler } from '../http.js';
import { PartitionNode, type ForwardMessage } from '../partition-node.js';
import { createPartitionHandler, RemotePartition } from '../partition-protocol.js';
import { createEngine as createWorkerdEngine } from '../../targets/workerd.js';
import type { DurableObjectState, DurableObjectStorage, WorkerEnv } from './types.js';

/** Durable Object values are limited to 128 KiB; chunks stay below. */
const CHUNK_BYTES = 120 * 1024;

/** The name partition `index`'s object is found by. */
export function partitionObjectName(index: number): string {
  return `partition-${index}`;
}

/** The object holding the deployment's shared blobs (IOC lists, tables). */
export const BLOB_OBJECT_NAME = 'shared-blobs';
const BLOB_PATH = '/__vigil/blob/';
const HOLDS_PATH = '/__vigil/blob-holds';

type HoldRequest = { op: 'claim' | 'release'; hash: string; holder: string } | { op: 'reconcile'; holder: string; named: [string, number][] };

/** Claims run in the blob object, one request each (see the file comment). */
class BlobObjectHolds implements HoldRunner {
  constructor(private readonly fetchBlob: (request: Request) => Promise<Response>) {}
  private async send(body: HoldRequest): Promise<void> {
    const response = await this.fetchBlob(new Request(`https://blobs${HOLDS_PATH}`, { method: 'POST', body: JSON.stringify(body) }));
    if (!response.ok) throw new Error(`shared blob store: ${body.op} answered ${response.status}`);
  }
  claim(hash: string, holder: string): Promise<void> {
    return this.send({ op: 'claim', hash, holder });
  }
  release(hash: string, holder: string): Promise<void> {
    return this.send({ op: 'release', hash, holder });
  }
  reconcile(holder: string, named: ReadonlyMap<string, number>): Promise<void> {
    return this.send({ op: 'reconcile', holder, named: [...named] });
  }
}

/** The blob object's side of a claim, release or reconcile. */
async function serveHolds(blobs: SharedBlobStore, request: Request): Promise<Response> {
  if (request.method !== 'POST') return new Response(null, { status: 405 });
  const body = (await request.json()) as HoldRequest;
  if (body.op === 'claim') await blobs.claim(body.hash, body.holder);
  else if (body.op === 'release') await blobs.release(body.hash, body.holder);
  else if (body.op === 'reconcile') await blobs.reconcile(body.holder, new Map(body.named));
  else return new Response(null, { status: 400 });
  return new Response(null, { status: 204 });
}

/** A ByteStore in the blob object, reached by fetch (a fresh stub per call: stubs are per request). */
class BlobObjectByteStore implements ByteStore {
  constructor(private readonly fetchBlob: (request: Request) => Promise<Response>) {}
  private request(key: string, init?: RequestInit): Promise<Response> {
    return this.fetchBlob(new Request(`https://blobs${BLOB_PATH}${encodeURIComponent(key)}`, init));
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    const response = await this.request(key);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`shared blob store: GET ${key} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    const response = await this.request(key, { method: 'PUT', body: value.slice() });
    if (!response.ok) throw new Error(`shared blob store: PUT ${key} answered ${response.status}`);
  }
  async delete(key: string): Promise<void> {
    const response = await this.request(key, { method: 'DELETE' });
    if (!response.ok) throw new Error(`shared blob store: DELETE ${key} answered ${response.status}`);
  }
}

/**
 * Reads fall back to the partition's own storage, where partitions kept their blobs before the blob
 * object existed: a deployment updated in place still finds the lists it stored then.
 */
class WithLocalFallback implements ByteStore {
  constructor(
    private readonly shared: ByteStore,
    private readonly local: ByteStore,
  ) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.shared.get(key)) ?? (await this.local.get(key));
  }
  put(key: string, value: Uint8Array): Promise<void> {
    return this.shared.put(key, value);
  }
  delete(key: string): Promise<void> {
    return this.shared.delete(key);
  }
}

/** The blob object's side: keys of the shared store, in its own storage. */
async function serveBlob(storage: ByteStore, request: Request): Promise<Response> {
  const key = decodeURIComponent(new URL(request.url).pathname.slice(BLOB_PATH.length));
  if (request.method === 'GET') {
    const value = await storage.get(key);
    return value ? new Response(value.slice()) : new Response(null, { status: 404 });
  }
  if (request.method === 'PUT') {
    await storage.put(key, new Uint8Array(await request.arrayBuffer()));
    return new Response(null, { status: 204 });
  }
  if (request.method === 'DELETE') {
    await storage.delete(key);
    return new Response(null, { status: 204 });
  }
  return new Response(null, { status: 405 });
}

class DurableObjectByteStore implements ByteStore {
  constructor(private readonly storage: DurableObjectStorage) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.storage.get<Uint8Array | ArrayBuffer>(key);
    if (value === undefined) return undefined;
    return value instanceof Uint8Array ? value : new Uint8Array(value);
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    await this.storage.put(key, value.slice());
  }
  async delete(key: string): Promise<void> {
    await this.storage.delete(key);
  }
}

export class VigilPartition {
  private readonly config: EdgeConfig;
  private node!: PartitionNode;
  private handler!: Handler;
  private opened?: Promise<void>;
  private readonly env: WorkerEnv;
  /** In the blob object: its blobs and claims (one instance, so its claims run one at a time). */
  private sharedBlobs?: SharedBlobStore;

  constructor(
    private readonly state: DurableObjectState,
    env: WorkerEnv,
  ) {
    this.config = readConfig(env);
    this.env = env;
  }

  /** Opens the partition on its first request or alarm (the blob object never does). */
  private open(): Promise<void> {
    const env = this.env;
    // A stub belongs to the request that made it: a fresh one for every forward.
    const objectFetch = (name: string) => (request: Request) => env.VIGIL_PARTITION.get(env.VIGIL_PARTITION.idFromName(name)).fetch(request);
    const send = (partition: number, message: ForwardMessage) => new RemotePartition(objectFetch(partitionObjectName(partition)), partition).forward(message);
    this.opened ??= this.state.blockConcurrencyWhile(async () => {
      const own = new DurableObjectByteStore(this.state.storage);
      const store = new ChunkedCheckpointStore(own, CHUNK_BYTES);
      this.node = await PartitionNode.open((options) => createWorkerdEngine({ ...options, clock: () => Date.now() }), {
        partitions: this.config.partitions,
        partitionField: this.config.partitionField,
        engine: this.config.engine,
        alertCapacity: this.config.alertCapacity,
        alertRingBytes: this.config.alertRingBytes,
        ledgerKeys: this.config.ledgerKeys,
        store,
        blobs: new SharedBlobStore(new WithLocalFallback(new BlobObjectByteStore(objectFetch(BLOB_OBJECT_NAME)), own), CHUNK_BYTES, new BlobObjectHolds(objectFetch(BLOB_OBJECT_NAME))),
        blobHolder: this.state.id.toString(),
        send,
      });
      this.handler = createPartitionHandler(this.node, createHttpHandler(this.node, this.config.http, { trusted: true }));
    }).catch((error: unknown) => {
      this.opened = undefined; // the next request tries again
      throw error;
    });
    return this.opened;
  }

  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.startsWith(BLOB_PATH)) return serveBlob(new DurableObjectByteStore(this.state.storage), request);
    if (path === HOLDS_PATH) return serveHolds((this.sharedBlobs ??= new SharedBlobStore(new DurableObjectByteStore(this.state.storage), CHUNK_BYTES)), request);
    await this.open();
    const response = await this.handler(request);
    await this.scheduleAlarm();
    return response;
  }

  async alarm(): Promise<void> {
    await this.open();
    await this.node.advanceTime();
    await this.scheduleAlarm();
  }

  private async scheduleAlarm(): Promise<void> {
    if (!this.node.needsTicks()) return;
    if ((await this.state.storage.getAlarm()) === null) await this.state.storage.setAlarm(Date.now() + this.config.tickMs);
  }
}
