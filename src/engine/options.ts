/** The engine's options, their defaults and their checks (README: "Limits and guarantees"). */
import type { Clock } from './event-time.js';
import { MAX_SANDBOX_HEAP_BYTES, resolveLimits, type SandboxLimits } from './ports.js';
import type { RuleActivity } from './types.js';
import type { SigmaOptions } from '../sigma/index.js';

export interface EngineOptions {
  /**
   * How Sigma rules map to events: a built-in pipeline (`evtx-json`, `ecs`, `flat`; default
   * `flat`) or one read from YAML (src/sigma/README.md), and values for `expand` placeholders.
   */
  sigma?: SigmaOptions;
  /** How far out of order events may arrive: the watermark trails the highest event time by this. Default 5000 ms. */
  outOfOrderMs?: number;
  /**
   * An event whose USING time is more than this ahead of the processing clock is quarantined: it
   * reaches simple rules but moves no event time and enters no window or state machine, and a
   * `vigil.future` diagnostic reports it. Default: off (Infinity) — replays of any date work;
   * `vigil collect` and the HTTP API set 5 minutes for live input.
   */
  maxFutureMs?: number;
  /**
   * An event more than this ahead of its own source's highest time (or, for a new source, of every
   * active source's) is quarantined the same way, unless `jumpConfirmations` events in a row agree
   * on the new time (a replay after a gap). Default 1 hour.
   */
  maxJumpMs?: number;
  /**
   * How many events in a row must agree before a source's jump in time is believed (the waiting
   * ones are then accepted, so a gap in a sparse feed loses nothing), and how many must agree on
   * where time is before a clock starts (watermark.ts). Default 3; 1 believes every first time.
   */
  jumpConfirmations?: number;
  /**
   * Sources tracked per USING field. Source names can be chosen by whoever writes the input (a
   * `watermarkBy` field, a spoofed exporter address): past this many, idle sources are forgotten,
   * then new ones share one source, "(other sources)". Default 10 000.
   */
  maxSources?: number;
  /** A source with no event for this long (processing time) stops holding the watermark back. Default 60 000 ms. */
  sourceIdleMs?: number;
  /**
   * A field naming each event's source for event time (JSON lines that carry their own source,
   * e.g. `host.name`); events without it belong to the batch's source (PushOptions.source).
   */
  watermarkBy?: string;
  /** How long after a window fires late events still update it (re-firing it). Default 0. */
  allowedLatenessMs?: number;
  /**
   * Events one rule's windows may hold (an event counts once however many sliding windows it is
   * in). Input chooses how many events match and how long they stay, so without a bound one rule fed
   * a flood could take the whole process's memory and every rule with it. Past the bound the rule
   * keeps no new event until panes expire; each one not kept is counted (`stats.shed`) and the
   * rule's reaching the bound reported (`vigil.state-limit`). Default 4 000 000 (the web app at 100,000 events/s holds 2–3 million in its one-minute windows; about 200 bytes to a few kB each).
   */
  maxHeldEvents?: number;
  /**
   * Keys one rule's STATE MACHINE, and separately its SUPPRESS periods, may hold: keys come from
   * input (a spoofed address per event), and a machine without TIMEOUT keeps a key forever. Past the
   * bound a new key's event does not step the machine, and a new key's alert is raised without
   * opening a period; counted and reported as for maxHeldEvents. Default 1 000 000.
   */
  maxStateKeys?: number;
  /** Limits for rule functions that run in the sandbox. */
  sandbox?: Partial<SandboxLimits>;
  /** Per-rule sandbox limits, by rule name, over `sandbox` field by field. */
  sandboxPerRule?: Readonly<Record<string, Partial<SandboxLimits>>>;
  /** Run every FILTER in the sandbox, even pure expressions (for comparison). */
  sandboxOnly?: boolean;
  /**
   * The most the WebAssembly heap shared by the sandboxes may grow to, in bytes. Each sandboxed rule
   * costs about 220 KB of it once loaded (QuickJS's count; 250–310 KB of heap with the allocator's
   * overhead); a rule that would leave less than its own limit plus room for a batch's input
   * (`sandbox.memoryBytes` + 4 MiB) free is refused, so the rules already loaded keep room to run.
   * Default and maximum 2 GiB (MAX_SANDBOX_HEAP_BYTES, the QuickJS build's own maximum): about
   * 7,000 sandboxed rules.
   */
  sandboxHeapBytes?: number;
  /** How many times alerts may re-enter the engine in one chain. Default 8. */
  maxReentryDepth?: number;
  /**
   * How many alerts raised by re-entered alerts one input (a push, a flush, a clock tick) may cause:
   * this plus `reentryFanOut` per alert it raised directly. Rules that feed each other can multiply
   * alerts exponentially within the depth limit; past the budget the rule raising the most derived
   * alerts is deactivated (kind `fanout`) and those alerts dropped. Default 10 000.
   */
  reentryBudget?: number;
  /** See reentryBudget. Default 4. */
  reentryFanOut?: number;
  /**
   * Index FILTERs' equality tests (see engine/equality-index.ts) so an event meets only rules whose every such test holds. Default true;
   * false is for measuring what the index brings.
   */
  equalityIndex?: boolean;
  /**
   * Offer a Sigma rule only the events that hold one of the literals its detection requires (one
   * Aho–Corasick pass per field, see sigma/prefilter.ts). Default true; false evaluates every rule
   * of the event's logsource, for measuring and differential tests.
   */
  sigmaPrefilter?: boolean;
  /** Processing time; defaults to Date.now. Inject one on edge runtimes and in tests. */
  clock?: Clock;
  /**
   * The clock the sandbox's CPU deadline is measured on, in ms. Defaults to wall time; the Node
   * runtime passes an estimate of its thread's CPU time (threadCpuEstimateMs in src/targets/node.ts),
   * so neither a busy machine nor the process's other threads cost a rule the work it did not do.
   */
  cpuClock?: () => number;
  /**
   * Told which rule function is about to run and when it returned. An outer guard (the Node
   * off-thread watchdog) records it in shared memory, so when a function overruns and the thread
   * has to be stopped, the guard knows which rule to blame without the stuck thread's help.
   */
  activity?: RuleActivity;
}

/** The options with every default filled in and checked. */
export type ResolvedOptions = Required<Omit<EngineOptions, 'sandbox' | 'sandboxPerRule' | 'clock' | 'cpuClock' | 'activity' | 'watermarkBy' | 'sigma'>> & {
  sandbox: SandboxLimits;
  sandboxPerRule?: EngineOptions['sandboxPerRule'];
  cpuClock?: () => number;
};

/** Fills in the defaults; a value out of range is a RangeError naming it. */
export function resolveOptions(options: EngineOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    outOfOrderMs: options.outOfOrderMs ?? 5000,
    maxFutureMs: options.maxFutureMs ?? Infinity,
    maxJumpMs: options.maxJumpMs ?? 3_600_000,
    jumpConfirmations: options.jumpConfirmations ?? 3,
    sourceIdleMs: options.sourceIdleMs ?? 60_000,
    maxSources: options.maxSources ?? 10_000,
    allowedLatenessMs: options.allowedLatenessMs ?? 0,
    maxHeldEvents: options.maxHeldEvents ?? 4_000_000,
    maxStateKeys: options.maxStateKeys ?? 1_000_000,
    sandboxOnly: options.sandboxOnly ?? false,
    sandboxHeapBytes: Math.min(options.sandboxHeapBytes ?? MAX_SANDBOX_HEAP_BYTES, MAX_SANDBOX_HEAP_BYTES),
    maxReentryDepth: options.maxReentryDepth ?? 8,
    reentryBudget: options.reentryBudget ?? 10_000,
    reentryFanOut: options.reentryFanOut ?? 4,
    equalityIndex: options.equalityIndex ?? true,
    sigmaPrefilter: options.sigmaPrefilter ?? true,
    sandbox: resolveLimits(options.sandbox),
    sandboxPerRule: options.sandboxPerRule,
    cpuClock: options.cpuClock,
  };
  for (const limits of Object.values(options.sandboxPerRule ?? {})) resolveLimits(limits);
  if (!(resolved.sandboxHeapBytes > 0)) {
    throw new RangeError(`sandboxHeapBytes must be a positive number, got ${String(options.sandboxHeapBytes)}`);
  }
  if (resolved.outOfOrderMs < 0 || resolved.allowedLatenessMs < 0) {
    throw new RangeError('outOfOrderMs and allowedLatenessMs must not be negative');
  }
  if (!(resolved.maxFutureMs >= 0) || !(resolved.maxJumpMs >= 0) || !(resolved.sourceIdleMs >= 0) || !(resolved.jumpConfirmations >= 1) || !(resolved.maxSources >= 1)) {
    throw new RangeError('maxFutureMs, maxJumpMs and sourceIdleMs must not be negative, jumpConfirmations and maxSources at least 1');
  }
  if (!(resolved.maxHeldEvents >= 1) || !(resolved.maxStateKeys >= 1)) {
    throw new RangeError('maxHeldEvents and maxStateKeys must be at least 1');
  }
  return resolved;
}
