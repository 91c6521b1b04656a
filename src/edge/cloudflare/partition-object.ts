/**
 * VigilPartition, the Durable Object that holds one engine. It serves Vigil's HTTP API to the
 * Worker only (trusted: the Worker has checked the token), checkpoints the engine into its storage
 * after every change, and restores it when the object starts again, so an eviction or a crash
 * loses nothing. Processing-time windows close on alarms; an alarm that fires twice finds nothing
 * more due, so closing is idempotent.
 */
import { ChunkedCheckpointStore, type ByteStore } from '../checkpoint-store.js';
import { readConfig, type EdgeConfig } from '../config.js';
import { createHttpHandler, type Handler } from '../http.js';
import { EngineInstance } from '../instance.js';
import { createWorkerdEngine } from './engine.js';
import type { DurableObjectState, DurableObjectStorage, WorkerEnv } from './types.js';

/** Durable Object values are limited to 128 KiB; chunks stay below. */
const CHUNK_BYTES = 120 * 1024;

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
  private instance!: EngineInstance;
  private handler!: Handler;

  constructor(
    private readonly state: DurableObjectState,
    env: WorkerEnv,
  ) {
    this.config = readConfig(env);
    void state.blockConcurrencyWhile(async () => {
      const engine = await createWorkerdEngine({ ...this.config.engine, clock: () => Date.now() });
      this.instance = await EngineInstance.open(engine, {
        alertCapacity: this.config.alertCapacity,
        store: new ChunkedCheckpointStore(new DurableObjectByteStore(state.storage), CHUNK_BYTES),
      });
      this.handler = createHttpHandler(this.instance, this.config.http, { trusted: true });
    });
  }

  async fetch(request: Request): Promise<Response> {
    const response = await this.handler(request);
    await this.scheduleAlarm();
    return response;
  }

  async alarm(): Promise<void> {
    await this.instance.advanceTime();
    await this.scheduleAlarm();
  }

  private async scheduleAlarm(): Promise<void> {
    if (!this.instance.hasTimedRules()) return;
    if ((await this.state.storage.getAlarm()) === null) await this.state.storage.setAlarm(Date.now() + this.config.tickMs);
  }
}
