/**
 * The outer guard: the engine on a worker thread behind synchronous calls, with a watchdog.
 *
 * Every method of the engine is a call into the engine thread; the main thread blocks until the
 * reply, like a call into an Engine on the main thread would. While it waits it watches the
 * shared control block: a rule function running longer than the budget, or the thread dying (heap
 * exhausted, crashed), ends the call. The guard then has a fresh engine thread restore the last
 * in-memory snapshot, replays the calls made since it with their output dropped (it was delivered
 * already), deactivates the rule that was running — with its reason, as the engine does for a
 * sandbox violation — and runs the failed call again. Output of a call is delivered only once the
 * call has completed, so nothing is delivered twice and nothing is lost.
 *
 *   const engine = await GuardedEngine.create({ outOfOrderMs: 0 }, { budgetMs: 2000 });
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { Broadcast } from '../../engine/alert-stream.js';
import { CheckpointError } from '../../engine/checkpoint.js';
import type { Alert, EngineOptions, RuntimeDiagnostic } from '../../engine/engine.js';
import type { ViolationKind } from '../../sandbox/violation.js';
import type { EngineSurface, IocRegistrySurface, ModelRegistrySurface, TableRegistrySurface } from './engine-surface.js';
import { resolveGuardOptions, type GuardOptions, type ResolvedGuardOptions } from './guard-options.js';
import { GuardedLines, type LineFeedOptions, type LineSpans } from './guarded-lines.js';
import {
  CHANGED_AT_OFFSET,
  CONTROL_BYTES,
  Death,
  NAME_CAPACITY,
  NAME_OFFSET,
  PHASES,
  Slot,
  wallNow,
  type CallReply,
  type CallRequest,
  type EngineThreadData,
  type SupervisorMessage,
  type SupervisorRequest,
  type Target,
  type ThreadEngineOptions,
} from './protocol.js';
import { threadUrl } from './thread-url.js';

/** How often the waiting main thread looks at the control block when nothing wakes it. */
const WATCH_SLICE_MS = 20;
/** A log holding more than this (a big IOC list just loaded) is replaced by a snapshot at the next chance. */
const LOG_BYTES_BEFORE_SNAPSHOT = 32 * 1024 * 1024;
/** Snapshots take at most one part in this many of the wall time (at least snapshotEveryMs apart). */
const SNAPSHOT_SHARE = 20;

/** The guard could not keep the engine running (exit code 3 in the CLI). */
export class GuardFailure extends Error {
  override readonly name = 'GuardFailure';
  readonly exitCode = 3;
}

/** Why a call did not complete. */
interface Failure {
  kind: 'cpu' | 'memory' | 'crash' | 'stall';
  /** The rule function that was running, if one was. */
  rule?: string;
  phase?: (typeof PHASES)[number];
  /** Milliseconds from the start of the rule function (or the call) until the guard acted. */
  elapsedMs: number;
}

type Outcome = { reply: CallReply } | { failure: Failure };

/** A call that changed the engine, kept until the next snapshot to be replayed after a restore. */
interface LoggedCall {
  request: CallRequest;
}

/**
 * Pieces of the line feed posted ahead of their replies (see feedLines): a few, so the engine
 * thread has the next pieces waiting while this thread reads, cuts and scans the ones after, and
 * a moment's stall on either side (a busy machine) does not stop the other.
 */
const FEED_PIPELINE_DEPTH = 4;

/** A piece of the line feed in flight: its request, and what its reply settles. */
interface FedPiece {
  request: CallRequest;
  /** Lines fed once it is through. */
  toLine: number;
  /** It ends a batch. */
  boundary: boolean;
  onError: (line: number, reason: string) => void;
}

/** What the guard restores from: the engine's checkpoint and where the line feed stood. */
interface Snapshot {
  bytes: Uint8Array;
  /** Lines consumed by the line feed (at a batch boundary), when one is open. */
  feedLines?: number;
}

/** Read-only members: not logged, never replayed. */
const READS = new Set(['rules', 'rule', 'history', 'position', 'checkpoint', 'metrics', 'stateMachineStats', 'stateOf', 'list', 'names', 'has', 'exists', 'serialize', 'size', 'entries', 'get', 'classify']);

/** What the guard did, for metrics and tests. */
export interface GuardStats {
  restarts: number;
  deactivations: { rule: string; kind: ViolationKind; phase: string; reason: string; detectedAfterMs: number }[];
  snapshots: number;
  /** Milliseconds spent taking snapshots. */
  snapshotMs: number;
  /** Bytes of the last snapshot. */
  snapshotBytes: number;
  /** Calls replayed after restores. */
  replayedCalls: number;
}

export class GuardedEngine implements EngineSurface {
  readonly iocs: IocRegistrySurface;
  readonly tables: TableRegistrySurface;
  readonly models: ModelRegistrySurface;
  readonly guardStats: GuardStats = { restarts: 0, deactivations: [], snapshots: 0, snapshotMs: 0, snapshotBytes: 0, replayedCalls: 0 };

  private readonly alertOut = new Broadcast<Alert>();
  private readonly diagnosticOut = new Broadcast<RuntimeDiagnostic>();
  private readonly slots: Int32Array;
  private readonly changedAt: Float64Array;
  private readonly nameBytes: Uint8Array;
  private port!: MessagePort;
  private snapshot?: Snapshot;
  private log: LoggedCall[] = [];
  /** Rough bytes the log holds (its arguments), so a big load is snapshotted soon rather than kept. */
  private logBytes = 0;
  private lastSnapshotAt = wallNow();
  private lastSnapshotMs = 0;
  private feed?: { lines: number; clean: boolean; batchLines: number };
  /** Pieces of the line feed posted to the engine thread whose replies are not in yet, oldest first. */
  private inFlight: FedPiece[] = [];
  private lineErrorSink?: (line: number, reason: string) => void;
  private disposed = false;

  private constructor(
    private readonly supervisor: Worker,
    private readonly controlPort: MessagePort,
    control: SharedArrayBuffer,
    private readonly options: ResolvedGuardOptions,
    private readonly clock: () => number,
  ) {
    this.slots = new Int32Array(control);
    this.changedAt = new Float64Array(control, CHANGED_AT_OFFSET, 1);
    this.nameBytes = new Uint8Array(control, NAME_OFFSET, NAME_CAPACITY);
    const forward = <T extends object>(target: Target, methods: readonly string[]): T =>
      Object.fromEntries(methods.map((m) => [m, (...args: unknown[]) => this.call(target, m, args)])) as T;
    this.iocs = forward('iocs', ['create', 'load', 'add', 'remove', 'has', 'exists', 'delete', 'drop', 'list', 'names', 'serialize']);

    this.tables = forward('tables', ['create', 'add', 'remove', 'delete', 'has', 'names', 'size', 'entries']);
    this.models = forward('models', ['set', 'delete', 'has', 'names', 'get', 'classify']);
  }

  /** Starts the supervisor and the engine thread and waits until the engine is loaded. */
  static async create(engineOptions: EngineOptions = {}, guardOptions: GuardOptions = {}): Promise<GuardedEngine> {
    const options = resolveGuardOptions(guardOptions, engineOptions.sandbox);
    const { clock = Date.now, cpuClock, activity, ...threadOptions } = engineOptions;
    void cpuClock;
    if (activity) throw new TypeError('a guarded engine sets its own activity hook');
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const data: EngineThreadData = { control, options: threadOptions as ThreadEngineOptions, hostile: options.hostile };
    const channel = new MessageChannel();
    const supervisor = new Worker(threadUrl('supervisor-thread'), {
      workerData: { engineThread: threadUrl('engine-thread').href, data, resourceLimits: { maxOldGenerationSizeMb: options.heapMb }, control: channel.port2 },
      transferList: [channel.port2],
    });
    const engine = new GuardedEngine(supervisor, channel.port1, control, options, clock);
    // Started without blocking, so the caller can read its files while the thread loads. A pending
    // Atomics.waitAsync does not keep Node's event loop alive; the supervisor does, until then.
    try {
      await engine.awaitEngineThread(true);
    } catch (error) {
      engine.dispose();
      throw error;
    } finally {
      // From now on the guarded engine must not keep the process alive by itself.
      supervisor.unref();
    }
    return engine;
  }

  /** An engine factory for `setUpEngine`: guarded with these options, or (false/undefined) undefined for the engine on this thread. */
  static factory(guard: GuardOptions | false | undefined): ((options: EngineOptions) => Promise<GuardedEngine>) | undefined {
    return guard ? (options) => GuardedEngine.create(options, guard) : undefined;
  }

  // ── the engine's API, each a call into the engine thread ─────────────────

  putRules: EngineSurface['putRules'] = (...args) => this.call('engine', 'putRules', args) as ReturnType<EngineSurface['putRules']>;
  addRules: EngineSurface['addRules'] = (...args) => this.call('engine', 'addRules', args) as ReturnType<EngineSurface['addRules']>;
  removeRule: EngineSurface['removeRule'] = (...args) => this.call('engine', 'removeRule', args) as boolean;
  setRuleEnabled: EngineSurface['setRuleEnabled'] = (...args) => void this.call('engine', 'setRuleEnabled', args);
  deactivateRule: EngineSurface['deactivateRule'] = (...args) => void this.call('engine', 'deactivateRule', args);
  history: EngineSurface['history'] = (...args) => this.call('engine', 'history', args) as ReturnType<EngineSurface['history']>;
  revertRule: EngineSurface['revertRule'] = (...args) => this.call('engine', 'revertRule', args) as ReturnType<EngineSurface['revertRule']>;
  rules: EngineSurface['rules'] = () => this.call('engine', 'rules', []) as ReturnType<EngineSurface['rules']>;
  rule: EngineSurface['rule'] = (...args) => this.call('engine', 'rule', args) as ReturnType<EngineSurface['rule']>;
  push: EngineSurface['push'] = (...args) => this.call('engine', 'push', args) as ReturnType<EngineSurface['push']>;
  advanceTime: EngineSurface['advanceTime'] = () => void this.call('engine', 'advanceTime', []);
  advanceWatermark: EngineSurface['advanceWatermark'] = (...args) => void this.call('engine', 'advanceWatermark', args);
  flush: EngineSurface['flush'] = () => void this.call('engine', 'flush', []);
  checkpoint: EngineSurface['checkpoint'] = (...args) => this.call('engine', 'checkpoint', args) as Uint8Array;
  restore: EngineSurface['restore'] = (...args) => this.call('engine', 'restore', args) as ReturnType<EngineSurface['restore']>;
  stateMachineStats: EngineSurface['stateMachineStats'] = (...args) => this.call('engine', 'stateMachineStats', args) as ReturnType<EngineSurface['stateMachineStats']>;
  stateOf: EngineSurface['stateOf'] = (...args) => this.call('engine', 'stateOf', args) as string;
  metrics: EngineSurface['metrics'] = () => this.call('engine', 'metrics', []) as ReturnType<EngineSurface['metrics']>;

  get position(): number {
    return this.call('engine', 'position', []) as number;
  }

  onAlert(listener: (alert: Alert) => void): () => void {
    return this.alertOut.subscribe(listener);
  }

  alerts(): AsyncIterableIterator<Alert> {
    return this.alertOut.iterate();
  }

  onDiagnostic(listener: (diagnostic: RuntimeDiagnostic) => void): () => void {
    return this.diagnosticOut.subscribe(listener);
  }

  diagnostics(): AsyncIterableIterator<RuntimeDiagnostic> {
    return this.diagnosticOut.iterate();
  }

  /**
   * Creates an IOC list from the text of a list file (one entry a line, `#` comments), split on
   * the engine thread: one string crosses between threads instead of a million small ones.
   */
  createIocListFromText(name: string, text: string): void {
    this.call('bulk', 'createIocListFromText', [name, text]);
  }

  /**
   * JSON lines decoded on the engine thread (see GuardedLines): a drop-in for JsonLinesDecoder
   * whose events go straight into this engine, in batches of `batchLines` lines.
   */
  lines(options: LineFeedOptions): GuardedLines {
    const lazyFields = this.call('lines', 'open', [{ skipLines: options.skipLines ?? 0, batchLines: options.batchLines, format: options.format }]) as readonly string[] | undefined;
    this.feed = { lines: options.skipLines ?? 0, clean: true, batchLines: options.batchLines };
    return new GuardedLines(this, options, lazyFields);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.alertOut.close();
    this.diagnosticOut.close();
    this.controlPort.postMessage({ type: 'stop' } satisfies SupervisorRequest);
    this.port?.close();
    // The supervisor ends the engine thread, then itself once its port closes.
    void this.supervisor.terminate().catch(() => undefined);
  }

  // ── for GuardedLines ─────────────────────────────────────────────────────

  /**
   * Feeds bytes to the engine thread's line decoder; `toLine` is the line count after them,
   * `boundary` whether they end a batch, `spans` the span table of their lines when this thread
   * scanned them (src/io/line-spans.ts). `bytes` may be a view of the caller's chunk, which it
   * never writes again: the log keeps it, and a copy of exactly these bytes is moved to the engine
   * thread (see post). Pipelined: the bytes are posted, then the reply to the piece
   * FEED_PIPELINE_DEPTH before is awaited, so the engine thread decodes and runs earlier pieces
   * while this thread reads, cuts and scans the next. Everything else waits for the pieces in flight first (see `settle`),
   * so a call — a checkpoint, the end of input — sees the engine after every line fed before it.
   * Output is delivered in feed order, once each piece's reply is in.
   */
  feedLines(bytes: Uint8Array, toLine: number, boundary: boolean, onError: (line: number, reason: string) => void, spans?: LineSpans): void {
    if (this.disposed) throw new Error('the engine has been disposed');
    const args = spans ? [bytes, spans.table, spans.fields] : [bytes];
    const piece: FedPiece = { request: { target: 'lines', method: 'push', args, now: this.clock() }, toLine, boundary, onError };
    // A snapshot is taken with nothing in flight, at a batch boundary: then this piece waits for the one before.
    if (this.inFlight.length && this.snapshotDue() && this.inFlight[this.inFlight.length - 1].boundary) this.settle();
    this.post(piece.request);
    this.inFlight.push(piece);
    while (this.inFlight.length > FEED_PIPELINE_DEPTH) this.settleOldest();
  }

  /**
   * Pieces of the line feed the engine thread has not answered yet, after delivering the output of
   * those it has (without waiting). 0: it has caught up with this thread, and waits for the next.
   */
  feedBacklog(): number {
    while (this.inFlight.length) {
      const got = receiveMessageOnPort(this.port);
      if (!got) break;
      this.settleOldest(got.message as CallReply);
    }
    return this.inFlight.length;
  }

  /** Waits for every piece of the line feed in flight and delivers its output (see feedLines). */
  settle(): void {
    while (this.inFlight.length) this.settleOldest();
    this.maybeSnapshot();
  }

  endLines(onError: (line: number, reason: string) => void, withoutPartialLine = false): number {
    this.lineErrorSink = onError;
    try {
      const lines = this.call('lines', 'end', [withoutPartialLine]) as number;
      this.feed = undefined;
      return lines;
    } finally {
      this.lineErrorSink = undefined;
    }
  }

  // ── calls, the watchdog and recovery ─────────────────────────────────────

  private call(target: Target, method: string, args: unknown[]): unknown {
    if (this.disposed) throw new Error('the engine has been disposed');
    if (this.inFlight.length) this.settle();
    const request: CallRequest = { target, method, args, now: this.clock() };
    const mutating = !READS.has(method);
    let unblamed = 0;
    for (;;) {
      const outcome = this.exchange(request);
      if ('reply' in outcome) {
        if (mutating) {
          this.log.push({ request });
          this.logBytes += argumentBytes(request.args);
        }
        this.deliver(outcome.reply);
        if (mutating) this.maybeSnapshot();
        if (!outcome.reply.ok) throw revive(outcome.reply.error);
        return outcome.reply.value;
      }
      const blamed = this.recover(outcome.failure);
      if (!blamed && ++unblamed > this.options.maxUnblamedRestarts) {
        throw new GuardFailure(`the engine thread failed ${unblamed} times outside any rule function (${describeFailure(outcome.failure)}) during ${target}.${method}; giving up`);
      }
    }
  }

  /** Posts a request and waits for its reply, watching the rule functions it runs. */
  private exchange(request: CallRequest): Outcome {
    this.post(request);
    return this.awaitReply();
  }

  /**
   * Posts a request to the engine thread. Copied, not transferred: the log keeps the arguments
   * for a replay. But the bytes of the line feed, a view of the caller's chunk (which it never
   * writes again), are copied once here and moved: posting the view would copy them twice (and
   * its whole underlying buffer).
   */
  private post(request: CallRequest): void {
    if (request.target !== 'lines' || request.method !== 'push') return this.port.postMessage(request);
    const [bytes, ...rest] = request.args as [Uint8Array, ...unknown[]];
    const copy = Uint8Array.prototype.slice.call(bytes) as Uint8Array;
    this.port.postMessage({ ...request, args: [copy, ...rest] }, [copy.buffer as ArrayBuffer]);
  }

  /**
   * The oldest piece of the line feed in flight: its reply awaited and its output delivered, as
   * `call` does. If the engine thread fails, the fresh one is restored to before this piece and
   * the pieces after it are posted again, in order.
   */
  private settleOldest(arrived?: CallReply): void {
    const piece = this.inFlight[0];
    let unblamed = 0;
    for (;;) {
      const outcome: Outcome = arrived ? { reply: arrived } : this.awaitReply();
      if ('reply' in outcome) {
        this.inFlight.shift();
        this.log.push({ request: piece.request });
        this.logBytes += argumentBytes(piece.request.args);
        this.feed = { ...this.feed!, lines: piece.toLine, clean: piece.boundary };
        const outerSink = this.lineErrorSink;
        this.lineErrorSink = piece.onError;
        try {
          this.deliver(outcome.reply);
        } finally {
          this.lineErrorSink = outerSink;
        }
        if (!outcome.reply.ok) {
          // The feed is broken off: what is still in flight is awaited (its output delivered) before the error is raised.
          while (this.inFlight.length) this.settleOldest();
          throw revive(outcome.reply.error);
        }
        return;
      }
      // The new engine thread has none of the pieces: they go again once it stands where this one began.
      const pieces = this.inFlight;
      this.inFlight = [];
      let blamed: boolean;
      try {
        blamed = this.recover(outcome.failure);
      } finally {
        this.inFlight = pieces;
      }
      if (!blamed && ++unblamed > this.options.maxUnblamedRestarts) {
        throw new GuardFailure(`the engine thread failed ${unblamed} times outside any rule function (${describeFailure(outcome.failure)}) during lines.push; giving up`);
      }
      for (const { request } of pieces) this.post(request);
    }
  }

  /** Waits for the next reply on the engine thread's port, watching the rule functions it runs. */
  private awaitReply(): Outcome {
    const started = wallNow();
    const { slots } = this;
    for (;;) {
      const bell = Atomics.load(slots, Slot.doorbell);
      const got = receiveMessageOnPort(this.port);
      if (got) return { reply: got.message as CallReply };
      const death = Atomics.load(slots, Slot.death);
      if (death !== Death.none) return { failure: this.failure(death === Death.memory ? 'memory' : 'crash', started) };
      const now = wallNow();
      const since = Math.max(this.changedAt[0], started);
      if (Atomics.load(slots, Slot.ruleActive)) {
        if (now - since > this.options.budgetMs) return { failure: this.failure('cpu', started) };
      } else if (this.options.stallMs && now - since > this.options.stallMs) {
        return { failure: this.failure('stall', started) };
      }
      Atomics.wait(slots, Slot.doorbell, bell, WATCH_SLICE_MS);
    }
  }

  private failure(kind: Failure['kind'], started: number): Failure {
    const active = Atomics.load(this.slots, Slot.ruleActive) === 1;
    const elapsedMs = wallNow() - Math.max(this.changedAt[0], started);
    if (!active) return { kind, elapsedMs };
    const length = Atomics.load(this.slots, Slot.nameLength);
    const rule = new TextDecoder().decode(this.nameBytes.slice(0, length));
    return { kind, rule, phase: PHASES[Atomics.load(this.slots, Slot.phase)], elapsedMs };
  }

  /**
   * A fresh engine thread at the state before the failed call: the snapshot, then the calls since
   * it (output dropped), then the rule that was running deactivated. Returns whether a rule was blamed.
   */
  private recover(failure: Failure): boolean {
    for (let attempt = 0; ; attempt++) {
      if (attempt > this.options.maxUnblamedRestarts) throw new GuardFailure(`the engine thread could not be restored after ${describeFailure(failure)}`);
      this.guardStats.restarts++;
      this.controlPort.postMessage({ type: 'restart' } satisfies SupervisorRequest);
      this.awaitEngineThread();
      if (this.replay()) break;
    }
    if (!failure.rule) return false;
    const kind: ViolationKind = failure.kind === 'stall' ? 'cpu' : failure.kind;
    const reason = failureReason(failure, this.options);
    this.guardStats.deactivations.push({ rule: failure.rule, kind, phase: failure.phase ?? 'filter', reason, detectedAfterMs: failure.elapsedMs });
    try {
      this.call('engine', 'deactivateRule', [failure.rule, kind, reason, failure.phase ?? 'filter']);
    } catch (error) {
      if (error instanceof GuardFailure) throw error;
      // The rule is gone (removed by the failed call's predecessors): nothing to deactivate.
      return false;
    }
    return true;
  }

  /** Restores the snapshot and replays the log silently; false when the engine thread failed again. */
  private replay(): boolean {
    const steps: CallRequest[] = [];
    const now = this.clock();
    if (this.snapshot) {
      steps.push({ target: 'engine', method: 'restore', args: [this.snapshot.bytes], now, silent: true });
      if (this.snapshot.feedLines !== undefined) steps.push({ target: 'lines', method: 'resume', args: [{ lines: this.snapshot.feedLines, batchLines: this.feed?.batchLines ?? 1024 }], now, silent: true });
    }
    for (const { request } of this.log) steps.push({ ...request, silent: true });
    for (const step of steps) {
      const outcome = this.exchange(step);
      if ('failure' in outcome) return false;
      this.guardStats.replayedCalls++;
    }
    return true;
  }

  /** Waits for the supervisor to hand over a fresh engine thread, and for that thread to load (blocking, or yielding to the event loop). */
  private awaitEngineThread(): void;
  private awaitEngineThread(yielding: true): Promise<void>;
  private awaitEngineThread(yielding = false): void | Promise<void> {
    const steps = this.engineThreadSteps();
    if (!yielding) {
      for (let step = steps.next(); !step.done; step = steps.next()) Atomics.wait(this.slots, Slot.doorbell, step.value, WATCH_SLICE_MS);
      return;
    }
    return (async () => {
      for (let step = steps.next(); !step.done; step = steps.next()) await waitAsync(this.slots, Slot.doorbell, step.value, WATCH_SLICE_MS).value;
    })();
  }

  /** The start-up handshake as steps; each yields the doorbell value to wait on. */
  private *engineThreadSteps(): Generator<number, void> {
    const deadline = wallNow() + this.options.startupMs;
    let port: MessagePort | undefined;
    for (;;) {
      const bell = Atomics.load(this.slots, Slot.doorbell);
      if (!port) {
        const got = receiveMessageOnPort(this.controlPort);
        const message = got?.message as SupervisorMessage | undefined;
        if (message?.type === 'failed') throw new GuardFailure(`the engine thread could not be started: ${message.message}`);
        if (message?.type === 'ready') {
          this.port?.close();
          port = this.port = message.port;
        }
      }
      if (port) {
        const reply = receiveMessageOnPort(port);
        if (reply) return;
        if (Atomics.load(this.slots, Slot.death) !== Death.none) throw new GuardFailure('the engine thread died while starting');
      }
      if (wallNow() > deadline) throw new GuardFailure(`the engine thread did not start within ${this.options.startupMs} ms`);
      yield bell;
    }
  }

  private deliver(reply: CallReply): void {
    for (const item of reply.emitted) {
      if (item[0] === 'alert') this.alertOut.emit(JSON.parse(item[1]) as Alert);
      else if (item[0] === 'diagnostic') this.diagnosticOut.emit(JSON.parse(item[1]) as RuntimeDiagnostic);
      else this.lineErrorSink?.(item[1] as number, item[2] as string);
    }
  }

  /** Whether the last snapshot is old enough (or the log big enough) to take the next. */
  private snapshotDue(): boolean {
    // At most every snapshotEveryMs, and never more than 1/SNAPSHOT_SHARE of the time: a big state takes long to save.
    const interval = Math.max(this.options.snapshotEveryMs, this.lastSnapshotMs * SNAPSHOT_SHARE);
    return wallNow() - this.lastSnapshotAt >= interval || this.logBytes >= LOG_BYTES_BEFORE_SNAPSHOT;
  }

  /** Keeps the engine's state in memory when the last snapshot is old enough and the line feed is at a batch boundary. */
  private maybeSnapshot(): void {
    if (!this.snapshotDue() || this.inFlight.length) return;
    if (this.feed && !this.feed.clean) return;
    const started = wallNow();
    const outcome = this.exchange({ target: 'engine', method: 'checkpoint', args: [], now: this.clock() });
    // A snapshot that fails (state that cannot be encoded) keeps the previous one and the log, and is tried again later.
    if ('failure' in outcome || !outcome.reply.ok) {
      this.lastSnapshotAt = wallNow();
      if ('failure' in outcome) this.recover(outcome.failure);
      return;
    }
    const bytes = outcome.reply.value as Uint8Array;
    this.snapshot = { bytes, feedLines: this.feed?.lines };
    this.log = [];
    this.logBytes = 0;
    this.lastSnapshotAt = wallNow();
    this.lastSnapshotMs = this.lastSnapshotAt - started;
    this.guardStats.snapshots++;
    this.guardStats.snapshotMs += this.lastSnapshotMs;
    this.guardStats.snapshotBytes = bytes.byteLength;
  }
}

/** `Atomics.waitAsync` (Node ≥ 16; typed from ES2024 on). */
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { value: Promise<string> | string } }).waitAsync;

/** Bytes of the big arguments a call holds (byte arrays, strings, arrays); small ones are not worth counting. */
function argumentBytes(args: readonly unknown[]): number {
  let bytes = 0;
  for (const arg of args) {
    if (ArrayBuffer.isView(arg)) bytes += arg.byteLength;
    else if (typeof arg === 'string') bytes += arg.length * 2;
    else if (Array.isArray(arg)) bytes += arg.length * 64;
  }
  return bytes;
}

function describeFailure(failure: Failure): string {
  switch (failure.kind) {
    case 'cpu':
      return `ran for more than ${Math.round(failure.elapsedMs)} ms`;
    case 'stall':
      return `made no progress for ${Math.round(failure.elapsedMs)} ms`;
    case 'memory':
      return 'exhausted its heap';
    case 'crash':
      return 'crashed';
  }
}

function failureReason(failure: Failure, options: ResolvedGuardOptions): string {
  const phase = failure.phase ?? 'filter';
  switch (failure.kind) {
    case 'cpu':
    case 'stall':
      return `outer guard: ${phase} ran for more than the watchdog budget of ${options.budgetMs} ms (stopped after ${Math.round(failure.elapsedMs)} ms); the engine was restored without the rule`;
    case 'memory':
      return `outer guard: ${phase} exhausted the engine thread's heap (${options.heapMb} MiB); the engine was restored without the rule`;
    case 'crash':
      return `outer guard: the engine thread crashed in ${phase}; the engine was restored without the rule`;
  }
}

/** The engine thread's error as an error of the same kind on this side. */
function revive(error: { name: string; message: string; code?: string }): Error {
  const revived = error.name === 'CheckpointError' ? new CheckpointError(error.message) : error.name === 'RangeError' ? new RangeError(error.message) : error.name === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
  if (error.code) (revived as Error & { code?: string }).code = error.code;
  return revived;
}
