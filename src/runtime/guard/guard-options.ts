/** The outer guard's limits, their defaults, and how the CLI and the Node server read them from the environment. */
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from '../../sandbox/limits.js';
import type { HostileFault } from './protocol.js';

export interface GuardOptions {
  /**
   * Wall-clock milliseconds one rule function may run over one batch before the engine thread is
   * stopped and the rule deactivated (kind `cpu`). Default: the larger of 2000 ms and four times
   * the sandbox's per-batch CPU cap (`maxBatchMs`, 500 ms by default), so the sandbox's own limit
   * always trips first for sandboxed rules.
   */
  budgetMs?: number;
  /**
   * Milliseconds the engine may work outside any rule function without entering or leaving one
   * before the guard treats it as stuck. Default 60 000; 0 turns it off.
   */
  stallMs?: number;
  /** Heap of the engine thread (V8 old generation), in MiB. A rule that exhausts it is deactivated (kind `memory`). Default 2048. */
  heapMb?: number;
  /** How often, at most, the guard keeps the engine's state in memory to restore from (ms of wall time). Default 1000. */
  snapshotEveryMs?: number;
  /** Failures outside any rule function (so nothing to deactivate) retried before the guard gives up with a GuardFailure. Default 2. */
  maxUnblamedRestarts?: number;
  /** Milliseconds a fresh engine thread may take to start. Default 60 000. */
  startupMs?: number;
  /** Test only: a rule function that hangs, exhausts the heap or kills its thread (see HostileFault). */
  hostile?: HostileFault;
}

export type ResolvedGuardOptions = Required<Omit<GuardOptions, 'hostile'>> & Pick<GuardOptions, 'hostile'>;

export function resolveGuardOptions(options: GuardOptions, sandbox: Partial<SandboxLimits> = {}): ResolvedGuardOptions {
  const maxBatchMs = sandbox.maxBatchMs ?? DEFAULT_SANDBOX_LIMITS.maxBatchMs;
  const resolved: ResolvedGuardOptions = {
    budgetMs: options.budgetMs ?? Math.max(2000, 4 * maxBatchMs),
    stallMs: options.stallMs ?? 60_000,
    heapMb: options.heapMb ?? 2048,
    snapshotEveryMs: options.snapshotEveryMs ?? 1000,
    maxUnblamedRestarts: options.maxUnblamedRestarts ?? 2,
    startupMs: options.startupMs ?? 60_000,
    hostile: options.hostile,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`guard option ${name} must be a number ≥ 0, got ${value}`);
  }
  if (resolved.budgetMs <= 0 || resolved.heapMb < 16) throw new RangeError('the guard budget must be positive and its heap at least 16 MiB');
  return resolved;
}

/**
 * Guard settings from the environment (the CLI and the Node server read the same names):
 * `VIGIL_GUARD=off` runs the engine on the main thread; `VIGIL_GUARD_BUDGET_MS`,
 * `VIGIL_GUARD_HEAP_MB`, `VIGIL_GUARD_STALL_MS`, `VIGIL_GUARD_SNAPSHOT_MS` set the limits above;
 * `VIGIL_GUARD_TEST_HOSTILE` (JSON of a HostileFault) is for tests only.
 */
export function guardOptionsFromEnv(env: Record<string, unknown>): GuardOptions | false {
  const text = (name: string): string | undefined => (typeof env[name] === 'string' && env[name] !== '' ? (env[name] as string) : undefined);
  if (/^(off|0|false|no)$/i.test(text('VIGIL_GUARD') ?? '')) return false;
  const number = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new RangeError(`${name}=${value} is not a whole number`);
    return Number(value);
  };
  const hostileText = text('VIGIL_GUARD_TEST_HOSTILE');
  return {
    budgetMs: number('VIGIL_GUARD_BUDGET_MS'),
    heapMb: number('VIGIL_GUARD_HEAP_MB'),
    stallMs: number('VIGIL_GUARD_STALL_MS'),
    snapshotEveryMs: number('VIGIL_GUARD_SNAPSHOT_MS'),
    hostile: hostileText ? (JSON.parse(hostileText) as HostileFault) : undefined,
  };
}
