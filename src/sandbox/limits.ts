/** Resource limits of one rule's sandbox. */
export interface SandboxLimits {
  /**
   * CPU budget per item, in milliseconds. A batch of n items may run for
   * `min(cpuMsPerEvent × n, maxBatchMs)` before it is interrupted.
   */
  cpuMsPerEvent: number;
  /** Upper bound of one batch's CPU deadline, in milliseconds. */
  maxBatchMs: number;
  /** Memory limit of the rule's QuickJS runtime (everything the rule allocates), in bytes. */
  memoryBytes: number;
  /** Maximum native stack the rule's functions may use, in bytes. */
  stackBytes: number;
}

/** 10 ms per event, 500 ms per batch, 16 MiB of memory, 256 KiB of stack. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuMsPerEvent: 10,
  maxBatchMs: 500,
  memoryBytes: 16 * 1024 * 1024,
  stackBytes: 256 * 1024,
});
