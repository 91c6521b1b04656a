/**
 * `import { createEngine } from 'vigil'` on Cloudflare Workers (the `workerd` export condition):
 * both .wasm files are imported as modules, which wrangler and workerd compile ahead of time, so
 * nothing is compiled or evaluated at run time.
 */
export * from '../index.js';
export { createWorkerdEngine as createEngine } from '../edge/cloudflare/engine.js';
