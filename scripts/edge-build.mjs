#!/usr/bin/env node
/**
 * Bundles the edge entries with esbuild (build/vigil.wasm and build/emscripten-module.wasm must
 * exist: `npm run build`).
 *
 *   node scripts/edge-build.mjs [--out build/edge] [--target workerd|deno|all]
 *
 *   <out>/workerd/worker.js   the Worker (with the VigilPartition Durable Object class), ESM
 *   <out>/workerd/*.wasm      QuickJS's and Vigil's modules; worker.js imports them by name, so
 *                             workerd must list them as `wasm` modules (scripts/edge-workerd.mjs)
 *   <out>/deno/main.js        the Deno server; reads the two .wasm files next to it
 *
 * No code is evaluated and no WebAssembly compiled at build time; the .wasm files are copied as-is.
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quickjsWasm = join(root, 'build/emscripten-module.wasm');
const vigilWasm = join(root, 'build/vigil.wasm');

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  legalComments: 'none',
  sourcemap: false,
};

export async function buildWorkerd(out) {
  const outdir = join(out, 'workerd');
  await build({
    ...common,
    entryPoints: { worker: join(root, 'src/edge/cloudflare/worker.ts') },
    outdir,
    conditions: ['workerd', 'worker', 'browser', 'import'],
    loader: { '.wasm': 'copy' },
    assetNames: '[name]',
  });
  return outdir;
}

export async function buildDeno(out) {
  const outdir = join(out, 'deno');
  await build({
    ...common,
    entryPoints: { main: join(root, 'src/edge/deno/main.ts') },
    outdir,
    conditions: ['deno', 'worker', 'browser', 'import'],
  });
  await mkdir(outdir, { recursive: true });
  await copyFile(quickjsWasm, join(outdir, 'emscripten-module.wasm'));
  await copyFile(vigilWasm, join(outdir, 'vigil.wasm'));
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'build/edge') }, target: { type: 'string', default: 'all' } } });
  const out = resolve(values.out);
  if (values.target === 'all' || values.target === 'workerd') console.log(await buildWorkerd(out));
  if (values.target === 'all' || values.target === 'deno') console.log(await buildDeno(out));
}
