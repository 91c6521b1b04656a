/**
 * The checkpoints service: the engine's whole state (open windows, state machines) saved every
 * CHECKPOINT_EVERY_MS and when the page asks (e.g. on pagehide), and brought back at load when it
 * was taken over the rules and lists that were saved with it.
 */
import type { CheckpointInfo, CheckpointPause, WorkerReady } from '../../../src/runtime/worker/protocol.js';
import type { StoredState } from '../persistence.js';
import { ruleRecords, stateSignature, STORE_FORMAT, type CheckpointRecord } from '../records.js';
import { messageOf, type HostContext } from './context.js';
import type { ListsService } from './lists.js';
import type { SimulatorService } from './simulator.js';

/** Engine checkpoints are saved this often (and when the page asks, e.g. on pagehide). */
export const CHECKPOINT_EVERY_MS = 10_000;

/**
 * The most events the open windows may hold for a checkpoint to be taken (EngineMetrics.windowEvents):
 * about 15 MiB and 0.2 s of the engine worker's time. Above it checkpoints are skipped until the
 * windows hold fewer, and the app says so: at 100k events/s the default rules' one-minute windows
 * hold 2–3 million events, whose checkpoint took the worker 10 s every 30 s and hundreds of MiB (and
 * was then refused by the 64 MiB limit of persistence.ts).
 */
export const CHECKPOINT_MAX_WINDOW_EVENTS = 100_000;

export type CheckpointRestore = NonNullable<WorkerReady['checkpoint']>;

export class CheckpointsService {
  private last: CheckpointInfo | undefined;
  /** Set while checkpoints are skipped for the events the windows hold. */
  paused: CheckpointPause | undefined;
  private saving: Promise<CheckpointInfo | undefined> | undefined;

  constructor(
    private readonly ctx: HostContext,
    private readonly simulator: SimulatorService,
    private readonly lists: ListsService,
  ) {}

  /** The last checkpoint saved (or restored), if any. */
  get lastSaved(): CheckpointInfo | undefined {
    return this.last;
  }

  forget(): void {
    this.last = undefined;
    this.paused = undefined;
  }

  /**
   * Brings back the checkpoint saved with `stored` when the rules and lists are the ones it was
   * taken over. On failure the engine may be half restored: the caller starts it over.
   */
  async restore(stored: StoredState): Promise<CheckpointRestore> {
    let record: CheckpointRecord | undefined;
    try {
      record = await this.ctx.persistence.store.readCheckpoint();
    } catch (error) {
      return { restored: false, reason: `could not read: ${String(error)}` };
    }
    if (!record) return { restored: false, reason: 'no checkpoint saved' };
    const info = { time: record.time, bytes: record.bytes.byteLength };
    if (record.signature !== stateSignature(stored)) return { restored: false, ...info, reason: 'rules or lists changed after it was taken' };
    try {
      const { extra } = this.ctx.engine.restore(record.bytes);
      const x = (extra ?? {}) as { eventTime?: number; stream?: number };
      if (typeof x.eventTime === 'number' && x.eventTime > 0) this.simulator.driver.resumeAfter(x.eventTime, x.stream ?? 0);
      this.last = info;
      return { restored: true, ...info };
    } catch (error) {
      return { restored: false, ...info, reason: messageOf(error) };
    }
  }

  /** Takes the checkpoint, then (nothing awaited in between) writes the finished record. */
  checkpointNow(): Promise<CheckpointInfo | undefined> {
    this.saving ??= this.save().finally(() => (this.saving = undefined));
    return this.saving;
  }

  private async save(): Promise<CheckpointInfo | undefined> {
    // Wait for the rule and list writes, so the signature describes what the store holds.
    await this.ctx.persistence.settled();
    const engine = this.ctx.engine;
    const windowEvents = engine.metrics().windowEvents;
    if (windowEvents > CHECKPOINT_MAX_WINDOW_EVENTS) {
      this.paused = { since: this.paused?.since ?? Date.now(), windowEvents, limit: CHECKPOINT_MAX_WINDOW_EVENTS };
      return undefined;
    }
    this.paused = undefined;
    const status = this.simulator.status();
    const bytes = engine.checkpoint({ eventTime: status.eventTime, stream: this.simulator.driver.streamNumber });
    const record: CheckpointRecord = {
      format: STORE_FORMAT,
      time: Date.now(),
      bytes,
      signature: stateSignature({ rules: ruleRecords(engine.rules()), iocs: this.lists.iocRecords(), tables: this.lists.tableRecords() }),
    };
    try {
      await this.ctx.persistence.store.writeCheckpoint(record);
    } catch (error) {
      this.ctx.feed.diagnostic({ code: 'vigil.storage', message: `could not save the checkpoint: ${String(error)}` });
      return undefined;
    }
    this.last = { time: record.time, bytes: bytes.byteLength };
    return { ...this.last };
  }
}
