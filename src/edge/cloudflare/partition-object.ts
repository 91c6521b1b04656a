/**
 * VigilPartition, the Durable Object that holds one partition: one engine per routing class
 * (src/edge/partition-node.ts). It serves Vigil's HTTP API and the internal partition routes to
 * the Worker and to the other partitions only (trusted: the Worker has checked the token),
 * checkpoints into its storage after every change, and restores when the object starts again, so
 * an eviction or a crash loses nothing. Alerts owed to other partitions go to their objects
 * directly; a forward that fails is retried on the next request or alarm. Processing-time windows
 * close on alarms; an alarm that fires twice finds nothing more due, so closing is idempotent.
 */
import { ChunkedCheckpointStore, type ByteStore } from '../checkpoint-store.js';
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

  constructor(
    private readonly state: DurableObjectState,
    env: WorkerEnv,
  ) {
    this.config = readConfig(env);
    // A stub belongs to the request that made it: a fresh one for every forward.
    const send = (partition: number, message: ForwardMessage) =>
      new RemotePartition((request) => env.VIGIL_PARTITION.get(env.VIGIL_PARTITION.idFromName(partitionObjectName(partition))).fetch(request), partition).forward(message);
    void state.blockConcurrencyWhile(async () => {
      this.node = await PartitionNode.open((options) => createWorkerdEngine({ ...options, clock: () => Date.now() }), {
        partitions: this.config.partitions,
        partitionField: this.config.partitionField,
        engine: this.config.engine,
        alertCapacity: this.config.alertCapacity,
        ledgerKeys: this.config.ledgerKeys,
        store: new ChunkedCheckpointStore(new DurableObjectByteStore(state.storage), CHUNK_BYTES),
        send,
      });
      this.handler = createPartitionHandler(this.node, createHttpHandler(this.node, this.config.http, { trusted: true }));
    });
  }

  async fetch(request: Request): Promise<Response> {
    const response = await this.handler(request);
    await this.scheduleAlarm();
    return response;
  }

  async alarm(): Promise<void> {
    await this.node.advanceTime();
    await this.scheduleAlarm();
  }

  private async scheduleAlarm(): Promise<void> {
    if (!this.node.needsTicks()) return;
    if ((await this.state.storage.getAlarm()) === null) await this.state.storage.setAlarm(Date.now() + this.config.tickMs);
  }
}
