/**
 * The engine's ports: what it needs from the pieces a runtime hands it — IOC sets, per-key state
 * tables and window buffers (implemented over WebAssembly in src/wasm) and a sandbox for rule
 * functions that cannot run natively (QuickJS, in src/sandbox). The engine imports only these
 * interfaces; the implementations import only this file of the engine. A runtime's engine factory
 * (src/targets) wires them together.
 */
import type { UtilsHost } from '../lang/utils.js';
import type { Classification, FlowModel } from '../ml/types.js';

// ── IOC sets (IOC FILTERS) ──────────────────────────────────────────────────

export interface IocSetOptions {
  /** Expected number of entries; the set grows past it, it only sizes the first allocation. */
  capacity?: number;
  /** Target false-positive rate, e.g. 0.001. Chooses the fingerprint size. */
  falsePositiveRate?: number;
}

/** A named set of indicators (IPs, domains, hashes…): never a false negative. */
export interface IocSet {
  /** Adds entries; never loses one (the table grows when it must). */
  add(entries: readonly string[]): void;
  /** Removes entries that were added; returns how many were removed. */
  remove(entries: readonly string[]): number;
  /** True when the entry may be in the set: never false for an entry that was added. */
  has(entry: string): boolean;
  /** Membership of many entries at once: 1 when possibly present, 0 when certainly absent. */
  hasMany(entries: readonly string[]): Uint8Array;
  /** Number of entries held. */
  readonly count: number;
  /** Bytes of memory the set uses. */
  readonly byteSize: number;
  /** The filter as bytes (no entries stored), for checkpoints and sharing. */
  serialize(): Uint8Array;
  /** Frees the set's memory; the set must not be used afterwards. */
  dispose(): void;
}

export interface IocSetFactory {
  create(options?: IocSetOptions): IocSet;
  deserialize(bytes: Uint8Array): IocSet;
}

// ── per-key state tables (STATE MACHINE) ────────────────────────────────────

/** A key: a u32 number (32-bit tables); a safe non-negative integer, bigint or string (64-bit tables). */
export type StateKey = number | bigint | string;

/** A batch of keys, one per event. */
export type StateKeys = Uint32Array | BigUint64Array | readonly number[] | readonly bigint[] | readonly string[];

/** The initial state; absent keys are in it. */
export const INITIAL = 0;
/** The terminal state: reaching it forgets the key. Not storable. */
export const TERM = 0xfffe;
/** State ids are 0 … MAX_STATE. */
export const MAX_STATE = 0xfffd;
/** `transitions` entry for "no transition". */
export const NO_TRANSITION = -1;

/** Outcome flags of one event (StepOutcomes.flags). */
export const StepFlags = {
  /** The key was absent (or had just expired): the event applied to INITIAL. */
  New: 1,
  /** No transition for (state, type): the state is unchanged (or reset, see Reset). */
  Invalid: 2,
  /** Invalid under a resetOnInvalid program: the key was forgotten (back to INITIAL). */
  Reset: 4,
  /** The event reached TERM: the key was forgotten. */
  Term: 8,
  /** The key had been idle longer than the ttl at the event's time; `expired` is the state it lost. */
  Timeout: 16,
} as const;

export interface StateTableOptions {
  /** Key width: 32 (default; u32 numbers) or 64 (integers, bigints, strings). */
  keyBits?: 32 | 64;
  /** Keys the table holds without growing (it grows ×2 past 3/4 load). Default 1024. */
  capacity?: number;
  /** Hash seed (u32). Pick it at random per process where sources are hostile. Default fixed. */
  seed?: number;
}

export interface TransitionSpec {
  /** Number of states: ids 0 … states−1 (0 is INITIAL). */
  states: number;
  /** Number of event types: codes 0 … types−1; other codes are invalid events. */
  types: number;
  /** states × types entries, [state · types + type] = next state, TERM or NO_TRANSITION. */
  transitions: ArrayLike<number>;
  /** An event with no transition forgets the key (INITIAL) instead of leaving its state. */
  resetOnInvalid?: boolean;
}

export interface StepOptions {
  /** Keys idle longer than this (event time − last seen, ms) expire before the event applies. */
  ttlMs?: number;
}

/** A compiled transition table, owned by the factory (module instance) that made it. */
export interface TransitionProgram {
  readonly states: number;
  readonly types: number;
  readonly resetOnInvalid: boolean;
  dispose(): void;
}

/** Per-event results of StateTable.stepMany. */
export interface StepOutcomes {
  readonly length: number;
  /** The state the event applied to (INITIAL for a new or expired key). */
  from(i: number): number;
  /** The state after the event (TERM when the key ended). */
  to(i: number): number;
  /** StepFlags bits. */
  flags(i: number): number;
  /** With StepFlags.Timeout: the state the key had before it expired. */
  expired(i: number): number;
}

/** Per-key states with the key's last-seen time. */
export interface StateTable {
  readonly size: number;
  readonly byteSize: number;
  /** The key's state, or −1 when the table holds nothing for it. */
  get(key: StateKey): number;
  /** Applies a batch of events (key, type code, time) in order, in one crossing. */
  stepMany(program: TransitionProgram, keys: StateKeys, types: Uint8Array | Uint16Array | readonly number[], times: Float64Array | readonly number[], options?: StepOptions): StepOutcomes;
  /** Forgets keys idle for longer than ttlMs at `now`; returns how many. */
  evictIdle(now: number, ttlMs: number): number;
  /** Every key held, with its state and last-seen time. */
  entries(): Iterable<[key: number | bigint, state: number, lastSeen: number]>;
  serialize(): Uint8Array;
  dispose(): void;
}

export interface StateTableFactory {
  create(options?: StateTableOptions): StateTable;
  deserialize(bytes: Uint8Array): StateTable;
  program(spec: TransitionSpec): TransitionProgram;
}

// ── window buffers (AGGREGATE BY … WITHIN) ──────────────────────────────────

/** Slot id of a late event (not stored). */
export const LATE_SLOT = 0xffffffff;

export interface WindowBufferSpec {
  /** Window length (ms). */
  lengthMs: number;
  /** Slide (ms); equal to the length for tumbling windows. */
  slideMs: number;
  /** How long after a window fires it still accepts events (ms). */
  allowedLatenessMs: number;
}

/**
 * The windows fired by one `advance`: valid until the next call into the buffers. Window w has
 * `keys(w)` keys (ordinal 0 … in order of first arrival) and, when asked for, `slots(w)` (slot,
 * ordinal) pairs in pane order then arrival order.
 */
export interface FiredWindows {
  /** Earliest end above the watermark of a window holding data; Infinity when none. */
  readonly nextEnd: number;
  /** Earliest watermark at which a pane can be dropped; Infinity when none. */
  readonly nextPurge: number;
  /** Number of windows fired. */
  readonly length: number;
  /** Slots freed (their panes expired): the caller drops what it kept for them. */
  readonly freed: Uint32Array;
  start(w: number): number;
  end(w: number): number;
  keys(w: number): number;
  slots(w: number): number;
  slot(w: number, i: number): number;
  slotKey(w: number, i: number): number;
  count(w: number, k: number): number;
  sum(w: number, k: number): number;
  min(w: number, k: number): number;
  max(w: number, k: number): number;
  firstSlot(w: number, k: number): number;
}

/** One dumped pane: its start and its slots in arrival order. */
export interface DumpedPane {
  start: number;
  slots: Uint32Array;
}

/** The pane and key bookkeeping of one windowed rule; the events stay with the engine, by slot. */
export interface WindowBuffers {
  readonly spec: WindowBufferSpec;
  readonly paneMs: number;
  readonly paneCount: number;
  readonly keyCount: number;
  readonly slotCount: number;
  readonly byteSize: number;
  insertMany(keys: readonly string[], times: ArrayLike<number>, values: ArrayLike<number> | null, slotsOut: Uint32Array, from?: number, count?: number, outAt?: number): void;
  advance(previous: number, watermark: number, withSlots: boolean): FiredWindows;
  setWatermark(watermark: number): FiredWindows;
  keySlots(keyText: string, start: number, end: number): Uint32Array;
  dump(): DumpedPane[];
  dispose(): void;
}

export interface WindowBufferFactory {
  create(spec: WindowBufferSpec): WindowBuffers;
}

// ── the sandbox (rule functions that cannot run natively) ───────────────────

export type FunctionPhase = 'filter' | 'having' | 'sink';

/** Results of one batch, index-aligned with its input. */
export interface BatchOutcome<T> {
  results: T[];
  /** Index → message, for items where the rule's function threw (e.g. a TypeError). */
  errors: Map<number, string>;
}

/**
 * Resource limits of one rule's sandbox. Set for every rule with `EngineOptions.sandbox`, and per rule
 * with `EngineOptions.sandboxPerRule[ruleName]` (which overrides the global values field by field).
 */
export interface SandboxLimits {
  /**
   * CPU budget per item handed to a function (an event for FILTER, a window for HAVING, an alert or
   * event for SINK), in milliseconds. A batch of n items may run for `min(cpuMsPerEvent × n, maxBatchMs)`
   * plus the per-window-event part below before it is interrupted.
   */
  cpuMsPerEvent: number;
  /** Upper bound of the per-item part of one batch's CPU deadline, in milliseconds. */
  maxBatchMs: number;
  /**
   * CPU budget per event inside the windows handed to HAVING (and inside the `events` of the complex
   * events handed to SINK), in milliseconds, added to the deadline without the `maxBatchMs` cap: the
   * work a correct HAVING does grows with its window, so its budget does too.
   */
  cpuMsPerWindowEvent: number;
  /**
   * Memory limit of the rule's QuickJS runtime (everything the rule retains), in bytes. While a batch
   * runs, the input it was handed is allowed on top (see MEMORY_PER_INPUT_BYTE in sandbox.ts).
   */
  memoryBytes: number;
  /** Maximum native stack the rule's functions may use, in bytes. */
  stackBytes: number;
}

/** 10 ms per item, 500 ms per batch, 0.05 ms per window event, 16 MiB of memory, 256 KiB of stack. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuMsPerEvent: 10,
  maxBatchMs: 500,
  cpuMsPerWindowEvent: 0.05,
  memoryBytes: 16 * 1024 * 1024,
  stackBytes: 256 * 1024,
});

/**
 * The limits of one rule: the defaults, then the global settings, then the rule's own. Throws a
 * RangeError naming the field when a value is not a positive finite number.
 */
export function resolveLimits(...layers: (Partial<SandboxLimits> | undefined)[]): SandboxLimits {
  const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(DEFAULT_SANDBOX_LIMITS) as (keyof SandboxLimits)[]) {
      const value = layer[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && key !== 'cpuMsPerWindowEvent')) {
        throw new RangeError(`sandbox limit ${key} must be a positive number, got ${String(value)}`);
      }
      limits[key] = value;
    }
  }
  return limits;
}

/**
 * Why a rule's sandbox gave up:
 * - `cpu`: the CPU deadline passed, or a guard caught an operation QuickJS cannot interrupt
 *   (e.g. a native loop over a sparse array of a billion holes);
 * - `memory`: the runtime's memory limit was reached;
 * - `stack`: the stack limit was reached (deep recursion);
 * - `refused`: the source uses something the sandbox does not allow (BigInt, async, `import()`…);
 * - `compile`: the source is not a valid function expression;
 * - `fanout`: the rule's alerts, re-entering the engine, multiplied past the re-entry budget;
 * - `crash`: the thread running the rule died (the outer guard restored the engine without it).
 */
export type ViolationKind = 'cpu' | 'memory' | 'stack' | 'refused' | 'compile' | 'fanout' | 'crash';

/**
 * Thrown when a rule breaks a sandbox limit or cannot be admitted. The engine deactivates the rule
 * and records the message; the sandbox that threw is dead and throws the same kind on every later call.
 */
export class SandboxViolation extends Error {
  override readonly name = 'SandboxViolation';
  readonly kind: ViolationKind;
  readonly rule: string;
  /** Items of the failing batch that were fully processed before the violation. */
  readonly completed: number;
  /** 1-based position inside the offending function's text, for `compile` and `refused`. */
  readonly line?: number;
  readonly column?: number;

  constructor(kind: ViolationKind, rule: string, message: string, completed = 0, where?: { line: number; column: number }) {
    super(`rule "${rule}": ${message}`);
    this.kind = kind;
    this.rule = rule;
    this.completed = completed;
    if (where) {
      this.line = where.line;
      this.column = where.column;
    }
  }
}

/** One rule's sandboxed functions: each call runs a whole batch, under the rule's limits. */
export interface RuleSandbox {
  filter(events: readonly object[]): BatchOutcome<boolean>;
  having(windows: readonly (readonly object[])[]): BatchOutcome<unknown>;
  sink(inputs: readonly object[]): BatchOutcome<unknown>;
  dispose(): void;
}

/**
 * The most the WebAssembly heap the sandboxes of one QuickJS module share can grow to: the maximum
 * the QuickJS build declares for its memory (32,768 pages of 64 KiB). EngineOptions.sandboxHeapBytes
 * may lower it, not raise it.
 */
export const MAX_SANDBOX_HEAP_BYTES = 2 * 1024 * 1024 * 1024;

export interface SandboxFactory {
  /**
   * Creates a rule's sandbox and compiles its functions. Throws SandboxViolation of kind `compile`
   * or `refused`, with the position inside the offending function's text, or of kind `memory` when
   * the shared heap (at most `heapBytes`) has no room left for another rule.
   */
  create(
    rule: string,
    functions: { filter?: string; having?: string; sink?: string },
    limits: SandboxLimits,
    host: UtilsHost,
    options?: { now?: () => number; heapBytes?: number },
  ): RuleSandbox;
}

// ── flow models (utils.classify) ────────────────────────────────────────────

/** Checks and scores the flow models `vigil train` writes (src/ml implements it). */
export interface FlowModels {
  /** The value as a flow model, or a TypeError saying why it is not one. */
  check(model: unknown): FlowModel;
  /** Scores a feature vector in the model's feature order. */
  classify(model: FlowModel, vector: readonly number[]): Classification;
}
