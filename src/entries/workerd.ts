/**
 * `import { createEngine } from 'vigil-engine'` on Cloudflare Workers (the `workerd` export condition):
 * the public API and the workerd target (src/targets/workerd.ts), which imports both .wasm files
 * as modules, so nothing is compiled or evaluated at run time.
 */
export * from '../index.js';
export { createEngine } from '../targets/workerd.js';
