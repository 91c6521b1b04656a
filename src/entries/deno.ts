/**
 * `import { createEngine } from 'vigil-engine'` on Deno and Deno Deploy (the `deno` export condition):
 * the public API and the Deno target (src/targets/deno.ts).
 */
export * from '../index.js';
export { createEngine } from '../targets/deno.js';
export type { DenoEngineOptions } from '../targets/deno.js';
