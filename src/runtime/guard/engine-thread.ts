/**
 * The engine thread of the outer guard: one Engine, driven by synchronous calls from the main
 * thread (see protocol.ts). Every rule function is announced in the shared control block before
 * it runs, so the main thread can blame the rule if this thread never comes back. Alerts and
 * diagnostics are turned into JSON text as they are emitted — what the unguarded CLI writes is the
 * object at that moment, not after later rules have seen it.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { FunctionPhase } from '../../engine/ports.js';
import type { Engine } from '../../engine/engine.js';
import { listEntries } from '../../io/list-entries.js';
import { useJsonScanModule, wasmScanAsked } from '../../io/lazy-jsonl.js';
import { loadJsonScanModuleNode } from '../../wasm/load-node.js';
import { createNodeEngine } from '../node.js';
import { LineBatcher } from './line-batcher.js';
import { CHANGED_AT_OFFSET, NAME_CAPACITY, NAME_OFFSET, PHASES, Slot, type CallReply, type CallRequest, type Emitted, type EngineThreadData, type HostileFault, wallNow } from './protocol.js';

const { control, options, hostile, port } = workerData as EngineThreadData & { port: MessagePort };
const slots = new Int32Array(control);
const changedAt = new Float64Array(control, CHANGED_AT_OFFSET, 1);
const nameBytes = new Uint8Array(control, NAME_OFFSET, NAME_CAPACITY);
const encoder = new TextEncoder();

let lastName = '';
let hostileEnters = 0;
let hostileCalls = 0;
const activity = {
  enter(rule: string, phase: FunctionPhase): void {
    if (rule !== lastName) {
      const { written } = encoder.encodeInto(rule, nameBytes);
      Atomics.store(slots, Slot.nameLength, written);
      lastName = rule;
    }
    Atomics.store(slots, Slot.phase, PHASES.indexOf(phase));
    changedAt[0] = wallNow();
    Atomics.store(slots, Slot.ruleActive, 1);
    if (hostile?.rule === rule && (hostile.phase ?? 'filter') === phase && hostileEnters++ >= (hostile.after ?? 0)) misbehave(hostile);
  },
  leave(): void {
    changedAt[0] = wallNow();
    Atomics.store(slots, Slot.ruleActive, 0);
  },
};

/** The test-only fault (see HostileFault): what a rule the sandbox cannot stop would do. */
function misbehave(fault: HostileFault): void {
  if (fault.behavior === 'exit') process.exit(70);
  if (fault.behavior === 'allocate') {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array<number>(1 << 16).fill(hoard.length));
  }
  for (;;) {
    // A native loop: only terminating the thread stops it.
  }
}

let now = Date.now();
let silent = false;
let emitted: Emitted[] = [];
// The line decoder's scan in WebAssembly (src/io/json-scan-wasm.ts), compiled while the engine loads.
const [engine] = await Promise.all([
  createNodeEngine({ ...options, clock: () => now, activity }) as Promise<Engine>,
  wasmScanAsked(process.env) ? loadJsonScanModuleNode().then(useJsonScanModule) : undefined,
]);
engine.onAlert((alert) => {
  if (!silent) emitted.push(['alert', JSON.stringify(alert)]);
});
engine.onDiagnostic((diagnostic) => {
  if (!silent) emitted.push(['diagnostic', diagnosticJson(diagnostic)]);
});
const lines = new LineBatcher(engine, (line, reason) => {
  if (!silent) emitted.push(['line-error', line, reason]);
});

/** Bulk loading: a list file's text crosses as one string and is split here (see GuardedEngine.createIocListFromText). */
const bulk = {
  createIocListFromText(name: string, text: string): void {
    const entries = listEntries(text);
    engine.iocs.create(name, { capacity: Math.max(1024, entries.length) });
    engine.iocs.add(name, entries);
  },
};

const targets: Record<CallRequest['target'], object> = { engine, iocs: engine.iocs, tables: engine.tables, models: engine.models, lines, bulk };

port.on('message', (request: CallRequest) => {
  now = request.now;
  silent = request.silent ?? false;
  let reply: CallReply;
  const transfer: ArrayBuffer[] = [];
  try {
    if (hostile?.call === request.method && !silent && hostileCalls++ >= (hostile.after ?? 0)) misbehave(hostile);
    const target = targets[request.target] as Record<string, unknown>;
    const member = target[request.method];
    const value = typeof member === 'function' ? (member as (...args: unknown[]) => unknown).apply(target, request.args) : member;
    if (value instanceof Uint8Array) transfer.push(value.buffer as ArrayBuffer);
    reply = { ok: true, value, emitted };
  } catch (error) {
    const e = error as Error & { code?: string };
    // The class name, not `name` (CheckpointError does not set it), so the main thread can revive the class.
    reply = { ok: false, error: { name: e?.constructor?.name ?? e?.name ?? 'Error', message: e?.message ?? String(error), code: typeof e?.code === 'string' ? e.code : undefined }, emitted };
  }
  emitted = [];
  silent = false;
  try {
    port.postMessage(reply, transfer);
  } catch (error) {
    // A value that cannot cross (a function, a symbol) is reported rather than lost in silence.
    port.postMessage({ ok: false, error: { name: 'DataCloneError', message: (error as Error).message }, emitted: reply.emitted } satisfies CallReply);
  }
  Atomics.add(slots, Slot.doorbell, 1);
  Atomics.notify(slots, Slot.doorbell);
});

/** A diagnostic as JSON; one holding something JSON cannot write keeps its code, rule and message. */
function diagnosticJson(diagnostic: { code: string; message: string; rule?: string }): string {
  try {
    return JSON.stringify(diagnostic);
  } catch {
    return JSON.stringify({ code: diagnostic.code, message: diagnostic.message, rule: diagnostic.rule });
  }
}

port.postMessage({ ok: true, value: 'ready', emitted: [] } satisfies CallReply);
Atomics.add(slots, Slot.doorbell, 1);
Atomics.notify(slots, Slot.doorbell);
