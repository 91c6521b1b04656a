/**
 * Vigil's HTTP API for `deno serve` and Deno Deploy, from the package (`vigil-engine/server/deno`):
 *
 *   // main.ts
 *   export { default } from 'vigil-engine/server/deno';
 *
 *   VIGIL_TOKEN=… deno serve --unstable-kv --allow-net --allow-read --allow-write --allow-env main.ts
 *
 * Both WebAssembly modules are read from the installed package (src/targets/deno.ts). Settings:
 * ./app.ts.
 */
import { createDenoApp } from './app.js';

export { createDenoApp, createDenoHandler, type DenoAppOptions } from './app.js';

export default createDenoApp();
