/** The sandbox's limits are part of the engine's sandbox port (src/engine/ports.ts). */
export { DEFAULT_SANDBOX_LIMITS, resolveLimits, type SandboxLimits } from '../engine/ports.js';
