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
