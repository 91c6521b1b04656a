/**
 * The wire between the guarded engine (main thread), its supervisor thread and the engine thread.
 * Calls are synchronous for the main thread: it posts a request on a MessagePort, then blocks in
 * `Atomics.wait` on the shared doorbell and takes the reply with `receiveMessageOnPort`. While it
 * waits, the shared slots below tell it which rule function the engine thread is in and since
 * when, so it can blame a rule without the stuck thread's help.
 */
import type { MessagePort } from 'node:worker_threads';
import type { EngineOptions } from '../../engine/engine.js';
import type { FunctionPhase } from '../../engine/ports.js';

/** Int32 slots of the shared control block. */
export const Slot = {
  /** Incremented (and notified) by the engine thread on every reply and by the supervisor on every lifecycle event. */
  doorbell: 0,
  /** 1 while a rule function runs, 0 otherwise. */
  ruleActive: 1,
  /** Index into PHASES of the running function. */
  phase: 2,
  /** Length in bytes of the running rule's name (UTF-8, at NAME_OFFSET). */
  nameLength: 3,
  /** Why the engine thread died: one of Death. 0 while it lives. */
  death: 4,
} as const;

/**
 * Float64 slot (at byte CHANGED_AT_OFFSET): when a rule function was last entered or left, as
 * `performance.timeOrigin + performance.now()` (see wallNow).
 */
export const CHANGED_AT_OFFSET = 32;
export const NAME_OFFSET = 64;
export const NAME_CAPACITY = 4096;
export const CONTROL_BYTES = NAME_OFFSET + NAME_CAPACITY;

/** Milliseconds since the epoch, with sub-millisecond resolution, comparable between threads. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export const Death = { none: 0, memory: 1, crash: 2 } as const;

export const PHASES: readonly FunctionPhase[] = ['filter', 'having', 'sink'];

/** Engine options that cross to the engine thread (functions cannot: clock and CPU clock are set there). */
export type ThreadEngineOptions = Omit<EngineOptions, 'clock' | 'cpuClock' | 'activity'>;

/**
 * A test-only fault: when `rule`'s `phase` function is entered for the `after + 1`-th time, the
 * engine thread loops forever in native code, allocates until its heap is exhausted, or exits.
 * It stands for a rule the in-engine limits miss, which VGL itself can no longer express. With
 * `call` instead of `rule`, the fault strikes outside any rule function, at the start of every
 * call of that engine method from the `after + 1`-th on (an engine that fails by itself).
 */
export interface HostileFault {
  rule?: string;
  call?: string;
  phase?: FunctionPhase;
  behavior: 'loop' | 'allocate' | 'exit';
  after?: number;
}

export interface EngineThreadData {
  control: SharedArrayBuffer;
  options: ThreadEngineOptions;
  hostile?: HostileFault;
}

/** Where a call goes in the engine thread: the engine, one of its registries, the line feed, or bulk loading. */
export type Target = 'engine' | 'iocs' | 'tables' | 'models' | 'lines' | 'bulk';

export interface CallRequest {
  target: Target;
  method: string;
  args: unknown[];
  /** The processing time the engine sees during this call (the main thread's clock, read once). */
  now: number;
  /** A replayed call: its output was delivered already and is dropped. */
  silent?: boolean;
}

/** Engine output in the order it was emitted: alerts and diagnostics as JSON text, line errors. */
export type Emitted = [kind: 'alert' | 'diagnostic', json: string] | [kind: 'line-error', line: number, reason: string];

export type CallReply = { ok: true; value: unknown; emitted: Emitted[] } | { ok: false; error: { name: string; message: string; code?: string }; emitted: Emitted[] };

/** Supervisor → main thread, on the control port. */
export type SupervisorMessage = { type: 'ready'; port: MessagePort } | { type: 'failed'; message: string };

/** Main thread → supervisor. */
export type SupervisorRequest = { type: 'restart' } | { type: 'stop' };
