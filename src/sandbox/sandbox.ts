/**
 * One rule's sandbox: its own QuickJS runtime (memory and stack limits, a CPU deadline through the
 * interrupt handler), a hardened context (see prelude.ts), and batched crossings — one call into the
 * VM per batch carries JSON in and a compact result string out. No host object enters the VM except
 * the `inTable` and `classify` host functions behind `utils.inTable` and `utils.classify`.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { analyseFunction, AnalysisError, MAX_REGEX_DEPTH, MAX_REGEX_SOURCE, type AnalysedFunction, type FunctionRole } from './analyse.js';
import { encodeFull, encodeProjected, encodeProjectedDistinct, jsonTooDeep, MAX_JSON_DEPTH } from './encode.js';
import { MAX_SANDBOX_HEAP_BYTES, type BatchOutcome, type RuleSandbox as RuleSandboxPort, type SandboxFactory, type SandboxLimits } from '../engine/ports.js';
import { LinearRegexes, planRegex } from './linear-regex.js';
import { PRELUDE } from './prelude.js';
import { createUtils, type UtilsHost } from '../lang/utils.js';
import { SandboxViolation, type ViolationKind } from '../engine/ports.js';

export { DEFAULT_SANDBOX_LIMITS, resolveLimits, SandboxViolation, type BatchOutcome, type SandboxLimits, type ViolationKind } from '../engine/ports.js';

export interface SandboxOptions {
  /**
   * Milliseconds clock for CPU deadlines; defaults to `performance.now()`. Where the clock does not
   * advance during a request (workerd), a tick budget derived from the same deadline still stops runaways.
   */
  now?: () => number;
  /** The most the heap the module's sandboxes share may grow to (EngineOptions.sandboxHeapBytes); at most MAX_SANDBOX_HEAP_BYTES. */
  heapBytes?: number;
}

/**
 * QuickJS's stack check measures the Emscripten shadow stack, but the wasm frames themselves live on
 * the host's native stack: beyond ~1 MiB of shadow stack, recursion overflows the host first and
 * corrupts the module every rule shares. The configured stack limit is clamped to this.
 */
export const MAX_STACK_BYTES = 256 * 1024;
/** Interrupt-handler calls per millisecond of deadline before a run counts as runaway even if the clock is frozen (~20× what a fast machine does). */
const MAX_TICKS_PER_MS = 200;
/** Batches whose JSON exceeds this are sent in several crossings, so input alone cannot hit the memory limit. */
const MAX_CHUNK_CHARS = 1 << 20;
/** Longest naive string search (|text| × |pattern|) one native call may do; ~10 ms worst case. */
const MAX_SEARCH_COST = 1e7;
/**
 * Most array slots one native built-in call may visit (~20 ms where every slot is a hole or an
 * array-like's property); longer ranges run in interruptible JavaScript versions or are refused.
 */
export const MAX_NATIVE_WORK = 1 << 17;
/** Native work (slots, characters) between two questions to the host whether the deadline passed. */
const WORK_PER_DEADLINE_CHECK = 1 << 15;
/** Longest array the default (string-comparing) sort runs on natively; longer ones use a JS comparator. */
const MAX_NATIVE_DEFAULT_SORT = 2048;
/**
 * While a batch runs, the rule may use this many bytes per byte of its input JSON on top of its memory
 * limit: the parsed input (~2 bytes per byte) is the host's, not the rule's.
 */
const MEMORY_PER_INPUT_BYTE = 4;
/** Deepest bound-function chain (QuickJS walks them natively). */
const MAX_BIND_DEPTH = 100;
/** Measure memory every this many interrupt-handler calls (a power of two; ~every few ms of VM time). */
const MEMORY_POLL_TICKS = 8;
/** After crossings, measure retained memory at least every this many crossings or milliseconds. */
const MEMORY_CHECK_CROSSINGS = 16;
const MEMORY_CHECK_MS = 25;

const ROLES: readonly FunctionRole[] = ['filter', 'having', 'sink'];
const defaultNow: () => number =
  typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : () => Date.now();

/**
 * Cumulative growth of the shared wasm heap a rule may cause, in multiples of its memory limit. QuickJS
 * does not count strings in its memory figures, so what a rule's strings hold is seen only as heap
 * growth during its crossings; the factor leaves room for other rules reusing space it freed.
 */
const MAX_HEAP_GROWTH_FACTOR = 4;

/** What the rule retains after a crossing is over its memory limit. */
class MemoryExceeded extends Error {}

/**
 * The wasm heap of one QuickJS module never shrinks, so the limit that matters for the process is how
 * far it may grow. Emscripten grows it through `memory.grow`; while a crossing runs, growth past the
 * crossing's ceiling is refused, malloc fails, and QuickJS throws 'out of memory' in the rule that
 * asked. Outside crossings (host-side setup) there is no ceiling.
 */
interface HeapGuard {
  memory: WebAssembly.Memory;
  ceiling: number;
  refused: boolean;
  /** Heap size when the guard was installed (QuickJS itself, the initial heap). */
  base: number;
  /** Sum of the memory limits of the module's live sandboxes: the heap may hold that much above base. */
  liveLimits: number;
  /** Live sandboxes of the module. */
  sandboxes: number;
  /** What the live sandboxes held when they were admitted (their setup: the prelude, utils, their functions). */
  admitted: number;
}
const heapGuards = new WeakMap<QuickJSWASMModule, HeapGuard>();

function heapGuardOf(quickjs: QuickJSWASMModule): HeapGuard | undefined {
  let guard = heapGuards.get(quickjs);
  if (guard) return guard;
  let memory: WebAssembly.Memory;
  try {
    memory = quickjs.getWasmMemory();
  } catch {
    return undefined;
  }
  const grow = memory.grow;
  const g: HeapGuard = { memory, ceiling: Infinity, refused: false, base: memory.buffer.byteLength, liveLimits: 0, sandboxes: 0, admitted: 0 };
  memory.grow = function (pages: number): number {
    if (memory.buffer.byteLength + pages * 65536 > g.ceiling) {
      g.refused = true;
      throw new RangeError('the sandbox heap ceiling was reached');
    }
    return grow.call(memory, pages);
  };
  heapGuards.set(quickjs, g);
  guard = g;
  return guard;
}

/**
 * Room a new rule must leave free in the shared heap, so that the rules already loaded can still run:
 * a crossing may use the rule's memory limit plus MEMORY_PER_INPUT_BYTE per character of its input
 * (at most MAX_CHUNK_CHARS). Without it the last rule admitted took the room the others' next batch
 * needed, and they were deactivated for memory instead.
 */
function heapReserve(limits: SandboxLimits): number {
  return limits.memoryBytes + MEMORY_PER_INPUT_BYTE * MAX_CHUNK_CHARS;
}

/** The shared heap has no room for another rule (see EngineOptions.sandboxHeapBytes). */
class HeapFull extends Error {}

/** Host-level exception out of the wasm module (host stack overflow, trap): the runtime is unusable. */
class HostFault extends Error {}

export class RuleSandbox implements RuleSandboxPort {
  /**
   * Creates the rule's runtime and compiles its functions. Throws {@link SandboxViolation} of kind
   * `compile` (not a function expression, syntax error) or `refused` (uses something the sandbox
   * does not offer), with the position inside the offending function's text.
   */
  static create(
    quickjs: QuickJSWASMModule,
    rule: string,
    functions: { filter?: string; having?: string; sink?: string },
    limits: SandboxLimits,
    host: UtilsHost,
    options: SandboxOptions = {},
  ): RuleSandbox {
    const analysed: Partial<Record<FunctionRole, AnalysedFunction>> = {};
    for (const role of ROLES) {
      const text = functions[role];
      if (text === undefined) continue;
      try {
        analysed[role] = analyseFunction(role, text);
      } catch (e) {
        if (e instanceof AnalysisError) {
          throw new SandboxViolation(e.kind, rule, e.message, 0, { line: e.line, column: e.column });
        }
        // acorn itself overflowing the host stack on absurd nesting.
        throw new SandboxViolation('refused', rule, `${role.toUpperCase()}: source too deeply nested`);
      }
    }
    return new RuleSandbox(quickjs, rule, analysed, limits, host, options.now ?? defaultNow, options.heapBytes ?? MAX_SANDBOX_HEAP_BYTES);
  }

  private runtime: QuickJSRuntime | null;
  private context: QuickJSContext | null;
  private api: QuickJSHandle | null = null;
  private state: QuickJSHandle | null = null;
  private readonly entry: Partial<Record<FunctionRole, QuickJSHandle>> = {};
  private readonly projection: Partial<Record<FunctionRole, readonly string[] | null>> = {};
  private readonly pure: Partial<Record<FunctionRole, boolean>> = {};
  private deadline = 0;
  private ticks = 0;
  private tickBudget = 0;
  private interrupted = false;
  private dead: SandboxViolation | null = null;
  private disposed = false;
  private lastMemory = 0;
  private readonly heap: HeapGuard | undefined;
  /** Heap growth seen during this rule's crossings (see MAX_HEAP_GROWTH_FACTOR). */
  private heapGrowth = 0;
  /** Memory the current crossing may use: the limit plus room for its input. */
  private memoryAllowance: number;
  /** The most the shared heap may grow to (SandboxOptions.heapBytes). */
  private readonly heapLimit: number;
  /** What this rule's setup holds in the shared heap (counted in HeapGuard.admitted while it lives). */
  private footprint = 0;

  private constructor(
    quickjs: QuickJSWASMModule,
    readonly rule: string,
    analysed: Partial<Record<FunctionRole, AnalysedFunction>>,
    private readonly limits: SandboxLimits,
    host: UtilsHost,
    private readonly now: () => number,
    heapBytes: number,
  ) {
    this.memoryAllowance = limits.memoryBytes;
    this.heapLimit = Math.min(heapBytes, MAX_SANDBOX_HEAP_BYTES);
    const heap = (this.heap = heapGuardOf(quickjs));
    if (heap) {
      heap.liveLimits += limits.memoryBytes;
      heap.sandboxes++;
      // Setting up may grow the heap only as far as leaves the reserve free.
      heap.refused = false;
      heap.ceiling = this.heapLimit - heapReserve(limits);
    }
    this.runtime = null;
    this.context = null;
    try {
      const rt = quickjs.newRuntime();
      this.runtime = rt;
      rt.setMemoryLimit(limits.memoryBytes);
      rt.setMaxStackSize(Math.max(16 * 1024, Math.min(limits.stackBytes, MAX_STACK_BYTES)));
      rt.setInterruptHandler(() => this.shouldInterrupt());
      const ctx = rt.newContext();
      this.context = ctx;
      this.startDeadline(Math.max(limits.maxBatchMs, 1000));
      this.bootstrap(ctx, host, analysed);
      if (heap) this.admit(heap);
    } catch (e) {
      const v = this.setupViolation(e);
      this.kill(v);
      throw v;
    } finally {
      if (heap) heap.ceiling = Infinity;
    }
  }

  /**
   * Counts the rule's setup in the heap's admitted total, or refuses the rule when the total would
   * leave less than the reserve free: the heap may have grown earlier for a batch's passing data,
   * which new rules would otherwise fill without the growth check ever seeing it.
   */
  private admit(heap: HeapGuard): void {
    this.footprint = this.measureMemory();
    if (heap.base + heap.admitted + this.footprint + heapReserve(this.limits) > this.heapLimit) throw new HeapFull();
    heap.admitted += this.footprint;
  }

  /** Why setting the rule up failed, as the violation the engine reports for it. */
  private setupViolation(e: unknown): SandboxViolation {
    if (e instanceof SandboxViolation) return e;
    const heap = this.heap;
    // Out of memory in setup gives QuickJS no room to build its error, which reads as `null`: ask the heap.
    if (heap && (e instanceof HeapFull || heap.refused)) {
      const loaded = heap.sandboxes - 1;
      return new SandboxViolation(
        'memory',
        this.rule,
        `the sandbox heap is full: ${loaded} sandboxed rules are loaded (about ${Math.round((heap.admitted / Math.max(1, loaded)) / 1024)} KB each) ` +
          `and the heap may grow to ${this.heapLimit} bytes (sandboxHeapBytes; ${heapReserve(this.limits)} of them are kept free for running the loaded rules); ` +
          'remove sandboxed rules, or raise sandboxHeapBytes (at most 2 GiB)',
      );
    }
    const v = this.violationFrom(e, () => 0);
    if (v.kind === 'memory') {
      return new SandboxViolation('memory', this.rule, `its memory limit of ${this.limits.memoryBytes} bytes (sandbox.memoryBytes) is too small for the sandbox's own setup`);
    }
    return v;
  }

  /** Bytes the rule's runtime currently uses (QuickJS's own accounting). */
  get memoryUsed(): number {
    if (!this.runtime || !this.context || this.dead) return this.lastMemory;
    return this.measureMemory();
  }

  /** Runs FILTER on each event; a result is the truthiness of the return value (false when it threw). */
  filter(events: readonly object[]): BatchOutcome<boolean> {
    return this.run('filter', events) as BatchOutcome<boolean>;
  }

  /**
   * Runs HAVING once per window, with the window's events. Inside the VM each event exposes its fields
   * directly and under `e.fields` (`e.fields.user === e.user`; an own `fields` field wins).
   * A result is the returned value as JSON data (undefined → null; null when it threw).
   */
  having(windows: readonly (readonly object[])[]): BatchOutcome<unknown> {
    return this.run('having', windows);
  }

  /** Runs SINK on each input; a result is the returned value as JSON data (null/undefined → null). */
  sink(inputs: readonly object[]): BatchOutcome<unknown> {
    return this.run('sink', inputs);
  }

  /** Frees the runtime. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.release();
  }

  // ---- setup ----------------------------------------------------------------------------------

  private bootstrap(ctx: QuickJSContext, host: UtilsHost, analysed: Partial<Record<FunctionRole, AnalysedFunction>>): void {
    const config = JSON.stringify({
      maxLength: Math.max(65536, Math.floor(this.limits.memoryBytes / 8)),
      maxSearchCost: MAX_SEARCH_COST,
      maxJsonDepth: MAX_JSON_DEPTH,
      maxRegexSource: MAX_REGEX_SOURCE,
      maxRegexDepth: MAX_REGEX_DEPTH,
      maxBindDepth: MAX_BIND_DEPTH,
      maxAllocation: this.limits.memoryBytes,
      workCap: MAX_NATIVE_WORK,
      checkUnits: WORK_PER_DEADLINE_CHECK,
      sortNative: MAX_NATIVE_DEFAULT_SORT,
      cpuMessage: 'CPU deadline exceeded',
    });
    const prelude = this.evaluate(ctx, PRELUDE, 'prelude.js');
    const factory = this.evaluate(ctx, `(${createUtils.toString()})`, 'utils.js');
    const inTable = ctx.newFunction('inTable', (table, value) => {
      const t = ctx.typeof(table) === 'string' ? ctx.getString(table) : String(ctx.dump(table));
      const v = ctx.typeof(value) === 'string' ? ctx.getString(value) : String(ctx.dump(value));
      return host.inTable(t, v) ? ctx.true : ctx.false;
    });
    const classify = ctx.newFunction('classify', (model, features) => {
      const result = host.classify(ctx.getString(model), JSON.parse(ctx.getString(features)) as unknown);
      return ctx.newString(JSON.stringify(result));
    });
    // Asked by the prelude's guards between native calls QuickJS does not interrupt.
    const expired = ctx.newFunction('expired', () => (this.deadlinePassed() ? ctx.true : ctx.false));
    const regex = ctx.newFunction('regex', (...args) => this.regexCall(ctx, args));
    const configHandle = ctx.newString(config);
    try {
      this.api = this.call(ctx, prelude, [configHandle, factory, inTable, classify, expired, regex]);
    } finally {
      configHandle.dispose();
      expired.dispose();
      regex.dispose();
      inTable.dispose();
      classify.dispose();
      factory.dispose();
      prelude.dispose();
    }
    this.state = ctx.getProp(this.api, 'state');
    for (const role of ROLES) {
      const fn = analysed[role];
      if (!fn) continue;
      const compiled = ctx.evalCode(fn.code, `${role}.js`);
      if (compiled.error) {
        const err = ctx.dump(compiled.error) as { message?: string };
        compiled.error.dispose();
        throw new SandboxViolation('compile', this.rule, `${role.toUpperCase()}: ${err?.message ?? 'does not compile'}`);
      }
      const install = ctx.getProp(this.api, 'install');
      const roleHandle = ctx.newString(role);
      try {
        this.call(ctx, install, [roleHandle, compiled.value]).dispose();
      } finally {
        roleHandle.dispose();
        install.dispose();
        compiled.value.dispose();
      }
      this.entry[role] = ctx.getProp(this.api, role);
      this.projection[role] = role === 'having' ? null : fn.projection;
      this.pure[role] = role === 'filter' && fn.pure;
    }
  }

  private evaluate(ctx: QuickJSContext, code: string, file: string): QuickJSHandle {
    const r = this.guardHost(() => ctx.evalCode(code, file));
    if (r.error) {
      const err = ctx.dump(r.error) as { message?: string } | null;
      r.error.dispose();
      // QuickJS out of memory may have had no room to build its error object either.
      if (err === null || err.message === 'out of memory') throw new MemoryExceeded();
      throw new Error(`sandbox ${file} failed: ${err.message ?? String(err)}`);
    }
    return r.value;
  }

  private call(ctx: QuickJSContext, fn: QuickJSHandle, args: QuickJSHandle[]): QuickJSHandle {
    const r = this.guardHost(() => ctx.callFunction(fn, ctx.undefined, ...args));
    if (r.error) throw new VmError(ctx, r.error);
    return r.value;
  }

  private guardHost<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new HostFault(e instanceof Error ? e.message : String(e));
    }
  }

  // ---- batches ------------------------------------------------------------------------------

  private run(role: FunctionRole, items: readonly unknown[]): BatchOutcome<unknown> {
    if (this.dead) throw new SandboxViolation(this.dead.kind, this.rule, this.dead.message.replace(/^rule "[^"]*": /, ''), 0);
    if (this.disposed || !this.context) throw new Error(`sandbox of rule "${this.rule}" is disposed`);
    const entry = this.entry[role];
    if (!entry) throw new Error(`rule "${this.rule}" has no ${role.toUpperCase()} function`);
    const results: unknown[] = new Array(items.length);
    const errors = new Map<number, string>();
    if (items.length === 0) return { results, errors };
    this.startDeadline(this.budgetMs(role, items));
    const fields = this.projection[role] ?? null;
    if (fields && this.pure[role] && this.runDistinct(role, entry, items as readonly object[], fields, results, errors)) {
      return { results, errors };
    }
    let from = 0;
    while (from < items.length) {
      let to = items.length;
      let encoded = this.encode(items, from, to, fields);
      if (encoded !== null && encoded.length > MAX_CHUNK_CHARS && to - from > 1) {
        to = from + Math.max(1, Math.floor(((to - from) * MAX_CHUNK_CHARS) / encoded.length));
        encoded = this.encode(items, from, to, fields);
      }
      if (encoded === null) {
        // Not encodable as a whole (cycle, BigInt, too deep): one item per crossing, failures per item.
        to = from + 1;
        encoded = this.encode(items, from, to, fields);
        if (encoded === null) {
          results[from] = role === 'filter' ? false : null;
          errors.set(from, 'event cannot be passed to the sandbox (not JSON data, or nested deeper than ' + MAX_JSON_DEPTH + ')');
          from = to;
          continue;
        }
      }
      const out = this.crossing(role, entry, encoded, to - from, (done) => from + done);
      for (let k = 0; k < to - from; k++) results[from + k] = out.values[k];
      for (const [k, m] of out.errors) errors.set(from + k, m);
      from = to;
    }
    return { results, errors };
  }

  /**
   * A pure function over projected fields: each distinct projected item crosses once. Returns false
   * (nothing done) when the batch is better served by the ordinary path.
   */
  private runDistinct(
    role: FunctionRole,
    entry: QuickJSHandle,
    items: readonly object[],
    fields: readonly string[],
    results: unknown[],
    errors: Map<number, string>,
  ): boolean {
    let d;
    try {
      d = encodeProjectedDistinct(items, 0, items.length, fields);
    } catch {
      return false;
    }
    if (d.json.length > MAX_CHUNK_CHARS || (d.nested && jsonTooDeep(d.json, MAX_JSON_DEPTH))) return false;
    const { index, first } = d;
    const out = this.crossing(role, entry, d.json, first.length, (done) => (done < first.length ? first[done] : items.length));
    for (let k = 0; k < items.length; k++) {
      const u = index[k];
      results[k] = out.values[u];
      const m = out.errors.get(u);
      if (m !== undefined) errors.set(k, m);
    }
    return true;
  }

  private encode(items: readonly unknown[], from: number, to: number, fields: readonly string[] | null): string | null {
    try {
      if (fields) {
        const { json, nested } = encodeProjected(items as readonly object[], from, to, fields);
        return nested && jsonTooDeep(json, MAX_JSON_DEPTH) ? null : json;
      }
      const json = encodeFull(items, from, to);
      return jsonTooDeep(json, MAX_JSON_DEPTH) ? null : json;
    } catch {
      return null;
    }
  }

  /** One call into the VM for `count` encoded items; `completed` maps the VM's progress to the caller's items. */
  private crossing(
    role: FunctionRole,
    entry: QuickJSHandle,
    json: string,
    count: number,
    completed: (done: number) => number,
  ): { values: unknown[]; errors: Map<number, string> } {
    const ctx = this.context!;
    const rt = this.runtime!;
    const heap = this.heap;
    let text: string;
    this.memoryAllowance = this.limits.memoryBytes + MEMORY_PER_INPUT_BYTE * json.length;
    const heapBefore = heap ? heap.memory.buffer.byteLength : 0;
    try {
      const input = ctx.newString(json);
      let out: QuickJSHandle;
      rt.setMemoryLimit(this.memoryAllowance);
      if (heap) {
        heap.refused = false;
        // Three bounds: this crossing's allowance; what the rule may have grown the heap by over its
        // life; and the module as a whole, whose heap holds no more than its live rules' limits.
        const cumulative = MAX_HEAP_GROWTH_FACTOR * this.limits.memoryBytes - this.heapGrowth;
        const module = heap.base + heap.liveLimits + (this.memoryAllowance - this.limits.memoryBytes);
        heap.ceiling = Math.min(heapBefore + Math.max(0, Math.min(this.memoryAllowance, cumulative)), Math.max(heapBefore, module), this.heapLimit);
      }
      try {
        out = this.call(ctx, entry, [input]);
      } finally {
        if (heap) {
          heap.ceiling = Infinity;
          this.heapGrowth += heap.memory.buffer.byteLength - heapBefore;
          if (heap.refused) this.overMemory = true;
        }
        this.memoryAllowance = this.limits.memoryBytes;
        rt.setMemoryLimit(this.limits.memoryBytes);
        input.dispose();
      }
      text = ctx.getString(out);
      out.dispose();
      if (rt.hasPendingJob()) rt.executePendingJobs();
      if (this.memoryCheckDue() && this.measureMemory() > this.limits.memoryBytes) throw new MemoryExceeded();
    } catch (e) {
      const v = this.violationFrom(e, completed);
      this.kill(v);
      throw v;
    }
    const errors = new Map<number, string>();
    const values: unknown[] = new Array(count);
    try {
      const nl = text.indexOf('\n');
      const body = nl < 0 ? text : text.slice(0, nl);
      if (nl >= 0) {
        const list = JSON.parse(text.slice(nl + 1)) as unknown[];
        for (let k = 0; k + 1 < list.length; k += 2) errors.set(Number(list[k]), String(list[k + 1]));
      }
      if (role === 'filter') {
        if (body.length !== count) throw new Error('length');
        for (let k = 0; k < count; k++) values[k] = body.charCodeAt(k) === 49;
      } else {
        const parsed = JSON.parse(body) as unknown[];
        if (!Array.isArray(parsed) || parsed.length !== count) throw new Error('length');
        for (let k = 0; k < count; k++) values[k] = parsed[k] ?? null;
      }
    } catch {
      const v = new SandboxViolation('refused', this.rule, 'sandbox returned a malformed result', completed(0));
      this.kill(v);
      throw v;
    }
    return { values, errors };
  }

  // ---- limits and violations -------------------------------------------------------------------

  /**
   * The batch's CPU deadline: a fixed part per item (capped by maxBatchMs) plus a part per event inside
   * the windows handed to HAVING or the complex events handed to SINK, so that a correct function over
   * a large window is not cut for the window's size. A crossing that carries window events gets at
   * least a fifth of maxBatchMs (100 ms by default): moving a window of a few thousand events into
   * the sandbox and back costs a near-fixed few tens of milliseconds of process CPU (garbage
   * collection on other threads included), which a correct rule must not be cut for.
   */
  private budgetMs(role: FunctionRole, items: readonly unknown[]): number {
    const fixed = Math.min(this.limits.cpuMsPerEvent * items.length, this.limits.maxBatchMs);
    if (role === 'filter') return fixed;
    let inner = 0;
    for (const item of items) {
      if (role === 'having') inner += Array.isArray(item) ? item.length : 0;
      else {
        const events = item !== null && typeof item === 'object' ? (item as { events?: unknown }).events : undefined;
        if (Array.isArray(events)) inner += events.length;
      }
    }
    const budget = fixed + inner * this.limits.cpuMsPerWindowEvent;
    return inner > 0 ? Math.max(budget, this.limits.maxBatchMs / 5) : budget;
  }

  /** For the prelude's guards: true (and the run marked interrupted) once the deadline has passed. */
  private deadlinePassed(): boolean {
    if (this.interrupted || this.now() > this.deadline) this.interrupted = true;
    return this.interrupted;
  }

  private startDeadline(ms: number): void {
    this.interrupted = false;
    this.overMemory = false;
    this.ticks = 0;
    this.tickBudget = Math.ceil(ms * MAX_TICKS_PER_MS);
    this.deadline = this.now() + ms;
  }

  private shouldInterrupt(): boolean {
    if (this.interrupted || ++this.ticks > this.tickBudget || this.now() > this.deadline) {
      this.interrupted = true;
      return true;
    }
    // QuickJS's own limit counts allocations, not bytes, under Emscripten (malloc_usable_size is 0
    // there), so large strings and buffers slip past it: measure the real figure now and then.
    if ((this.ticks & (MEMORY_POLL_TICKS - 1)) === 0 && this.measureMemory() > this.memoryAllowance) {
      this.overMemory = true;
      return true;
    }
    return false;
  }

  private overMemory = false;
  private crossingsSinceCheck = 0;
  private lastCheckAt = -Infinity;

  /** Measuring walks the heap: after a crossing, do it every few crossings or milliseconds. */
  private memoryCheckDue(): boolean {
    const t = this.now();
    if (++this.crossingsSinceCheck < MEMORY_CHECK_CROSSINGS && t - this.lastCheckAt < MEMORY_CHECK_MS) return false;
    this.crossingsSinceCheck = 0;
    this.lastCheckAt = t;
    return true;
  }

  /** QuickJS's accounting of everything the runtime holds (objects, strings, buffers). */
  private measureMemory(): number {
    const rt = this.runtime;
    if (!rt) return this.lastMemory;
    const h = rt.computeMemoryUsage();
    try {
      const usage = (rt.context ?? this.context!).dump(h) as { memory_used_size?: number };
      this.lastMemory = usage.memory_used_size ?? 0;
    } finally {
      h.dispose();
    }
    return this.lastMemory;
  }

  private violationFrom(e: unknown, completed: (done: number) => number): SandboxViolation {
    if (e instanceof SandboxViolation) return e;
    if (e instanceof HostFault) {
      this.poisoned = true;
      return new SandboxViolation('stack', this.rule, `the rule exhausted the host stack (${e.message})`, completed(0));
    }
    const rt = this.runtime;
    // Read what the VM knows without the limits getting in the way.
    rt?.setMemoryLimit(-1);
    this.deadline = Infinity;
    this.tickBudget = Infinity;
    let done = 0;
    let guard = '';
    try {
      if (this.state && this.context) {
        const ctx = this.context;
        const d = ctx.getProp(this.state, 'done');
        done = ctx.getNumber(d);
        d.dispose();
        const g = ctx.getProp(this.state, 'violation');
        guard = ctx.getString(g);
        g.dispose();
      }
    } catch {
      // A VM too broken to answer: report what we have.
    }
    const count = completed(done);
    // A guard that tripped for another reason came first (the deadline only stops the run at its next check).
    if (this.interrupted && !(guard && !guard.startsWith('cpu:'))) {
      return new SandboxViolation('cpu', this.rule, `CPU deadline exceeded (${this.budgetText()})`, count);
    }
    if (guard) {
      const colon = guard.indexOf(':');
      return new SandboxViolation(guard.slice(0, colon) as ViolationKind, this.rule, guard.slice(colon + 1), count);
    }
    const message = e instanceof VmError ? e.vmMessage : e instanceof Error ? e.message : String(e);
    if (this.overMemory || e instanceof MemoryExceeded || message === 'out of memory') {
      const heap = this.heap?.refused ? ' (its allocations would have grown the shared heap past the limit)' : '';
      return new SandboxViolation('memory', this.rule, `memory limit of ${this.limits.memoryBytes} bytes exceeded${heap}`, count);
    }
    if (message === 'interrupted') {
      return new SandboxViolation('cpu', this.rule, `CPU deadline exceeded (${this.budgetText()})`, count);
    }
    if (message === 'stack overflow') {
      return new SandboxViolation('stack', this.rule, 'stack limit exceeded', count);
    }
    return new SandboxViolation('refused', this.rule, `sandbox failed: ${message}`, count);
  }

  private budgetText(): string {
    const l = this.limits;
    return `${l.cpuMsPerEvent} ms per item up to ${l.maxBatchMs} ms per batch, plus ${l.cpuMsPerWindowEvent} ms per window event`;
  }

  private poisoned = false;
  private released = false;
  private readonly linear = new LinearRegexes();

  /**
   * The prelude's `regex` host function. `(source, flags)`: the plan for a new RegExp, as JSON.
   * `(source, flags, text, lastIndex, sticky)`: a linear-time match, as JSON positions or null.
   */
  private regexCall(ctx: QuickJSContext, args: QuickJSHandle[]): QuickJSHandle {
    const source = ctx.getString(args[0]);
    const flags = ctx.getString(args[1]);
    if (args.length < 3) return ctx.newString(JSON.stringify(planRegex(source, flags)));
    const text = ctx.getString(args[2]);
    const lastIndex = ctx.getNumber(args[3]);
    const sticky = ctx.typeof(args[4]) === 'boolean' && ctx.dump(args[4]) === true;
    const positions = this.linear.exec(source, flags, text, lastIndex, sticky);
    // Linear, but not interruptible: the prelude charged the text's length; stop right after if late.
    this.deadlinePassed();
    return positions === null ? ctx.null : ctx.newString(JSON.stringify(positions));
  }

  private kill(v: SandboxViolation): void {
    this.dead = v;
    this.release();
  }

  private release(): void {
    if (this.heap && !this.released) {
      this.released = true;
      this.heap.liveLimits -= this.limits.memoryBytes;
      this.heap.sandboxes--;
      this.heap.admitted -= this.footprint;
    }
    const ctx = this.context;
    const rt = this.runtime;
    this.context = null;
    this.runtime = null;
    if (!ctx || !rt) return;
    if (this.poisoned) {
      // After a host-level fault QuickJS's bookkeeping is inconsistent and freeing it aborts the
      // whole wasm module (shared by every rule): leak this runtime instead.
      return;
    }
    try {
      for (const role of ROLES) this.entry[role]?.dispose();
      this.state?.dispose();
      this.api?.dispose();
      ctx.dispose();
      rt.dispose();
    } catch {
      // Nothing more to do; the runtime is unreachable from now on.
    }
  }
}

/** An exception that came out of the VM, already converted to data. */
class VmError extends Error {
  readonly vmMessage: string;
  constructor(ctx: QuickJSContext, handle: QuickJSHandle) {
    let message = 'unknown error';
    try {
      const dumped = ctx.dump(handle) as { message?: unknown } | string;
      message = typeof dumped === 'object' && dumped !== null ? String(dumped.message) : String(dumped);
    } catch {
      // keep the default
    }
    handle.dispose();
    super(message);
    this.vmMessage = message;
  }
}

/** The engine's sandbox port (src/engine/ports.ts) over one loaded QuickJS module. */
export function createSandboxFactory(quickjs: QuickJSWASMModule): SandboxFactory {
  return {
    create: (rule, functions, limits, host, options) => RuleSandbox.create(quickjs, rule, functions, limits, host, options),
  };
}
