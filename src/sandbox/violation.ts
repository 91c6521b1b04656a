/** Violations are part of the engine's sandbox port (src/engine/ports.ts): the engine tells them apart from bugs. */
export { SandboxViolation, type ViolationKind } from '../engine/ports.js';
