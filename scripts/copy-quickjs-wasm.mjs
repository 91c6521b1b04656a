#!/usr/bin/env node
/**
 * Copies QuickJS's WebAssembly from @jitl/quickjs-wasmfile-release-sync (MIT) into
 * build/emscripten-module.wasm, which the package ships (`files`: build/*.wasm).
 *
 * Why a copy: the workerd target imports the module as `import wasm from '….wasm'`, and bundlers
 * (wrangler's default CompiledWasm rule `**\/*.wasm`, esbuild's loaders) choose by the path's
 * extension. The QuickJS package exports its module only as `@jitl/quickjs-wasmfile-release-sync/wasm`,
 * a specifier without `.wasm`, and does not export the file's own path, so a Worker importing it
 * fails under wrangler's rules ("No loader is configured for .wasm files"). The dependency is pinned
 * to one version, so the copy always matches the JavaScript glue it is loaded with.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
mkdirSync(join(root, 'build'), { recursive: true });
copyFileSync(source, join(root, 'build/emscripten-module.wasm'));
