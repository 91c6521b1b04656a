/** Removes the worker's stand-ins of dom-shim.ts after lit has loaded (import this after lit). */
import { shimmed } from './dom-shim.js';

for (const name of shimmed.splice(0)) delete (globalThis as Record<string, unknown>)[name];
