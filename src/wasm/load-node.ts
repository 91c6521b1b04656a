/**
 * Loader for Node: reads build/vigil.wasm from the package. The path is resolved from this
 * file, which sits two levels below the package root both as src/wasm/load-node.ts (vitest) and
 * as dist/wasm/load-node.js (after tsc). The only file in src/wasm that uses Node APIs.
 *
 *   const hot = createHotPaths(await loadVigilWasmNode());
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createImports } from './imports.js';

export interface LoadNodeOptions {
  /** An explicit .wasm path; defaults to the package's build/vigil.wasm. */
  path?: string;
  /** Load build/vigil.debug.wasm (names, assertions, source map) instead of the release build. */
  debug?: boolean;
}

/** Absolute path of the package's release (or debug) module. */
export function vigilWasmPath(debug = false): string {
  return fileURLToPath(new URL(`../../build/${debug ? 'vigil.debug.wasm' : 'vigil.wasm'}`, import.meta.url));
}

export async function loadVigilWasmNode(options: LoadNodeOptions = {}): Promise<WebAssembly.Instance> {
  const bytes = await readFile(options.path ?? vigilWasmPath(options.debug));
  const { imports, attach } = createImports();
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  return attach(instance);
}

/** Synchronous variant, for CLI start-up and scripts. */
export function loadVigilWasmNodeSync(options: LoadNodeOptions = {}): WebAssembly.Instance {
  const bytes = readFileSync(options.path ?? vigilWasmPath(options.debug));
  const { imports, attach } = createImports();
  return attach(new WebAssembly.Instance(new WebAssembly.Module(bytes), imports));
}

/**
 * build/json-scan.wasm (the lazy reader's scan, assembly/json-scan.ts), compiled: lazy-jsonl's
 * useJsonScanModule takes it, and each scanner instantiates it.
 */
export async function loadJsonScanModuleNode(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(fileURLToPath(new URL('../../build/json-scan.wasm', import.meta.url))));
}

/** Alias of loadVigilWasmNode (the name src/runtime/node.ts imports). */
export const loadWasmNode = loadVigilWasmNode;
