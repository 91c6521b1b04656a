/**
 * Test helper: makes sure build/vigil.wasm exists and is not older than the AssemblyScript
 * sources, building it with the asc API when needed (the file a fresh checkout lacks). The
 * binary is written to a temporary name and renamed, so parallel test files never read half a
 * file. If a rebuild fails while an older binary exists (someone's assembly/ edit in progress),
 * the older binary is used and a warning printed.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHotPaths, type HotPaths } from '../../src/wasm/hotpaths.js';
import { loadVigilWasmNode } from '../../src/wasm/load-node.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const wasmFile = join(root, 'build', 'vigil.wasm');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let pending: Promise<string> | undefined;

export function ensureVigilWasm(): Promise<string> {
  pending ??= build();
  return pending;
}

async function build(): Promise<string> {
  const sourcesTime = Math.max(newestSource(join(root, 'assembly')), statSync(join(root, 'asconfig.json')).mtimeMs);
  if (existsSync(wasmFile) && statSync(wasmFile).mtimeMs >= sourcesTime) return wasmFile;
  const { default: asc } = await import('assemblyscript/asc');
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(['assembly/index.ts', '--target', 'release'], {
    writeFile(filename, contents) {
      if (filename.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
  });
  if (error || !binary) {
    if (existsSync(wasmFile)) {
      console.warn(`asc build failed, using the existing ${wasmFile}: ${error?.message ?? ''}\n${stderr.toString()}`);
      return wasmFile;
    }
    throw new Error(`asc build of assembly/index.ts failed: ${error?.message ?? 'no binary'}\n${stderr.toString()}`);
  }
  mkdirSync(dirname(wasmFile), { recursive: true });
  const tmp = `${wasmFile}.${process.pid}.tmp`;
  writeFileSync(tmp, binary);
  renameSync(tmp, wasmFile);
  return wasmFile;
}

/** A fresh module instance and its bound hot paths. */
export async function freshHotPaths(): Promise<{ instance: WebAssembly.Instance; hot: HotPaths; memory: WebAssembly.Memory }> {
  await ensureVigilWasm();
  const instance = await loadVigilWasmNode();
  return { instance, hot: createHotPaths(instance), memory: instance.exports['memory'] as WebAssembly.Memory };
}

/** Seeded PRNG (mulberry32): tests are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random 128-bit keys as 32-char hex strings. */
export function hexKeys(n: number, seed: number): string[] {
  const next = rng(seed);
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let w = 0; w < 4; w++) s += ((next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    keys[i] = s;
  }
  return keys;
}
