/**
 * The threads of `vigil run --threads N` and `vigil collect --threads N` beyond the main thread's
 * (src/cli/threads-worker.ts), as promises: each request gets its reply, in order, per thread; and
 * the Dispatcher both commands hand their units of work to.
 */
import { Worker } from 'node:worker_threads';
import type { EngineOptions } from '../engine/engine.js';
import type { AlertFormat } from '../io/to-alerts.js';
import type { GuardOptions } from '../runtime/guard/guard-options.js';
import { GuardFailure } from '../runtime/guard/guarded-engine.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import type { SetupSpec } from './setup.js';
import { BlockMerger, sumMetrics, type BlockResult, type BlockRunner, type Deactivation, type WorkUnit } from './threads.js';

/** What a thread starts with: its engine's options (undefined: created with the rules, see threads-worker.ts). */
export interface DriverStart {
  engineOptions: EngineOptions | undefined;
  guard: GuardOptions | false | undefined;
}

export interface DriverData {
  setup: SetupSpec;
  /** The IOC lists of `setup.iocs`, as the main thread's engine built them (IocRegistry.serialize). */
  iocFilters: [string, Uint8Array][];
  engineOptions: EngineOptions;
  batchLines: number;
  inputName: string;
  outputFormat: AlertFormat;
  version?: string;
  keepAlerts: boolean;
}

type Metrics = ReturnType<EngineSurface['metrics']>;

export type DriverRequest = { id: number } & (
  | { type: 'init'; data: DriverData }
  | { type: 'block'; block: WorkUnit }
  | { type: 'restore'; bytes: Uint8Array }
  | { type: 'deactivate'; deactivation: Deactivation }
  | { type: 'flush' }
  | { type: 'metrics' }
  | { type: 'dispose' }
);

export type DriverReply = { id: number } & (
  | { type: 'done' }
  | { type: 'block'; result: BlockResult }
  | { type: 'metrics'; metrics: Metrics }
  | { type: 'error'; name: string; message: string }
);

/** Where the worker's script is: beside this file once built; from the sources (vitest), its built twin in dist/. */
function driverUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./threads-worker.js', here);
  return new URL('../../dist/cli/threads-worker.js', here);
}

class Driver {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (reply: DriverReply) => void; reject: (error: Error) => void }>();
  private failure?: Error;
  /** Blocks sent and not yet answered. */
  inFlight = 0;
  /** Whether its engine is set up (`init` answered): until then it is given no work. */
  ready = false;

  constructor(start: DriverStart) {
    this.worker = new Worker(driverUrl(), { workerData: start });
    // Until it is given work, the thread does not keep the process alive (a run that stops early).
    this.worker.unref();
    this.worker.on('message', (reply: DriverReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (!waiter) return;
      if (reply.type === 'error') waiter.reject(reply.name === 'GuardFailure' ? new GuardFailure(reply.message) : Object.assign(new Error(reply.message), { name: reply.name }));
      else waiter.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`a --threads worker exited (code ${code})`)));
  }

  request(body: DriverRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never): Promise<DriverReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as DriverRequest);
    });
  }

  ref(): void {
    this.worker.ref();
  }

  async terminate(): Promise<void> {
    await this.request({ type: 'dispose' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

export class ThreadPool {
  readonly drivers: Driver[];

  private constructor(drivers: Driver[]) {
    this.drivers = drivers;
  }

  /** Starts `count` threads; their engines start loading meanwhile. */
  static spawn(count: number, start: DriverStart): ThreadPool {
    return new ThreadPool(Array.from({ length: count }, () => new Driver(start)));
  }

  /**
   * Gives every thread the rules and lists, and resolves once each has its engine set up; a thread
   * is given work (idle) from when its own engine is, so the caller may start on its own engine
   * meanwhile.
   */
  async init(data: DriverData): Promise<void> {
    for (const d of this.drivers) d.ref();
    await Promise.all(
      this.drivers.map(async (d) => {
        await d.request({ type: 'init', data });
        d.ready = true;
      }),
    );
  }

  /** The set-up thread with the fewest blocks in flight, if it has fewer than `limit`. */
  idle(limit: number): Driver | undefined {
    let best: Driver | undefined;
    for (const d of this.drivers) if (d.ready && d.inFlight < limit && (!best || d.inFlight < best.inFlight)) best = d;
    return best;
  }

  async run(driver: Driver, block: WorkUnit): Promise<BlockResult> {
    driver.inFlight++;
    try {
      const reply = await driver.request({ type: 'block', block });
      return (reply as Extract<DriverReply, { type: 'block' }>).result;
    } finally {
      driver.inFlight--;
    }
  }

  async restore(bytes: Uint8Array): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.request({ type: 'restore', bytes })));
  }

  deactivate(deactivation: Deactivation): Promise<unknown> {
    return Promise.all(this.drivers.map((d) => d.request({ type: 'deactivate', deactivation })));
  }

  /**
   * What the engines still hold at the end of the input. A thread still setting up its engine ran
   * nothing and holds nothing, so it is not waited for (a short input ends without waiting for it).
   */
  async flush(): Promise<BlockResult[]> {
    const replies = await Promise.all(this.setUp().map((d) => d.request({ type: 'flush' })));
    return replies.map((r) => (r as Extract<DriverReply, { type: 'block' }>).result);
  }

  /** The engines' metrics (a thread still setting up counted nothing). */
  async metrics(): Promise<Metrics[]> {
    const replies = await Promise.all(this.setUp().map((d) => d.request({ type: 'metrics' })));
    return replies.map((r) => (r as Extract<DriverReply, { type: 'metrics' }>).metrics);
  }

  async close(): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.terminate()));
  }

  private setUp(): Driver[] {
    return this.drivers.filter((d) => d.ready);
  }
}

/** Units waiting on one thread at most, and finished units waiting to be written in order. */
const UNITS_IN_FLIGHT = 2;
const UNITS_WAITING = 64;

/** Each rule's error count in the engine's metrics: where the merge's count of rule errors starts. */
export function ruleErrorsOf(engine: EngineSurface): [string, number][] {
  return Object.entries(engine.metrics().rules).map(([name, stats]): [string, number] => [name, stats.errors]);
}

/** The IOC lists as the main thread's engine built them, for DriverData (the threads load the bytes rather than build them again). */
export function iocFiltersOf(engine: EngineSurface): [string, Uint8Array][] {
  return [...engine.iocs.names()].map((name): [string, Uint8Array] => [name, engine.iocs.serialize(name)]);
}

/**
 * Hands units of work (in output order) to an idle thread, or runs one on the main thread's engine
 * when every thread has its share, and writes their results in order through a BlockMerger. A
 * deactivation the merge meets is told to every engine.
 */
export class Dispatcher {
  readonly merger: BlockMerger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: unknown;

  constructor(
    private readonly pool: ThreadPool,
    /** The main thread's engine. */
    private readonly local: BlockRunner,
    firstUnit: number,
    write: (result: BlockResult) => void,
    /** Errors each rule had before the first unit (the main thread's engine's, restored or new). */
    ruleErrors: Iterable<[string, number]>,
  ) {
    this.merger = new BlockMerger(
      firstUnit,
      write,
      (d) => {
        // Every engine stops running the rule (the merge drops what they raised for it meanwhile).
        local.deactivate(d);
        this.track(pool.deactivate(d));
      },
      ruleErrors,
    );
  }

  /** Whether the results waiting to be written are at their bound (submit may still be called: it then runs the unit here). */
  get full(): boolean {
    return this.merger.pending >= UNITS_WAITING && this.inFlight.size > 0;
  }

  /** Resolves once a unit may be submitted without the results waiting to be written growing past their bound. */
  async room(): Promise<void> {
    this.check();
    while (this.full) await Promise.race(this.inFlight);
    this.check();
  }

  /** Any resolved promise of a unit in flight (for a caller that polls `full`). */
  whenAnyDone(): Promise<unknown> {
    return this.inFlight.size ? Promise.race(this.inFlight) : Promise.resolve();
  }

  submit(unit: WorkUnit): void {
    this.check();
    const driver = this.pool.idle(UNITS_IN_FLIGHT);
    if (driver) this.track(this.pool.run(driver, unit).then((result) => this.merger.add(result)));
    else this.merger.add(this.local.run(unit));
  }

  /** Waits until every unit submitted is written (a checkpoint, the end of the input). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
    this.check();
  }

  /** After the input: every unit written, then what each engine still holds (the end-of-input flush). */
  async finish(): Promise<void> {
    await this.drain();
    this.merger.emit(this.local.flush());
    for (const result of await this.pool.flush()) this.merger.emit(result);
  }

  /** The engines' metrics summed, the main thread's first. */
  async metrics(local: Metrics): Promise<Metrics> {
    return sumMetrics([local, ...(await this.pool.metrics())] as never[], new Set(this.merger.deactivated.keys()));
  }

  /**
   * Work going on beside the units (the threads' set-up): its failure fails the run, but nothing
   * waits for it — the units go to the main thread's engine until a thread is ready.
   */
  alongside(work: Promise<unknown>): void {
    work.catch((error: unknown) => void (this.failure ??= error));
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => void (this.failure ??= error)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
