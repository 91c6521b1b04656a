import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHotPaths } from '../../src/wasm/hotpaths.js';
import { WasmAbortError } from '../../src/wasm/imports.js';
import { instantiateVigilModule } from '../../src/wasm/load-module.js';
import { loadVigilWasmNode, loadVigilWasmNodeSync, vigilWasmPath } from '../../src/wasm/load-node.js';
import { loadVigilWasmUrl } from '../../src/wasm/load-url.js';
import { vigilExports } from '../../src/wasm/exports.js';
import { ensureVigilWasm, root, wasmFile } from './build-wasm.js';

let bytes: Uint8Array<ArrayBuffer>;
beforeAll(async () => {
  await ensureVigilWasm();
  bytes = new Uint8Array(readFileSync(wasmFile));
});

function works(instance: WebAssembly.Instance): void {
  const set = createHotPaths(instance).iocSets.create({ capacity: 10 });
  set.add(['10.0.0.1']);
  expect(set.has('10.0.0.1')).toBe(true);
  expect(set.has('10.0.0.2')).toBe(false);
}

describe('loaders', () => {
  it('node: resolves build/vigil.wasm from the package', async () => {
    expect(vigilWasmPath()).toBe(wasmFile);
    works(await loadVigilWasmNode());
    works(loadVigilWasmNodeSync());
  });

  it('module (workerd): instantiates a compiled WebAssembly.Module', async () => {
    works(await instantiateVigilModule(new WebAssembly.Module(bytes)));
  });

  it('url: streams application/wasm, buffers anything else, fails on HTTP errors', async () => {
    const serve = (type: string, status = 200) => async () =>
      new Response(status === 200 ? bytes : null, { status, headers: { 'content-type': type } });
    works(await loadVigilWasmUrl('https://example.test/vigil.wasm', { fetch: serve('application/wasm') }));
    works(await loadVigilWasmUrl('https://example.test/vigil.wasm', { fetch: serve('application/octet-stream') }));
    await expect(loadVigilWasmUrl('https://example.test/x.wasm', { fetch: serve('text/plain', 404) })).rejects.toThrow(/404/);
  });

  it('imports: an abort inside WebAssembly surfaces as a WasmAbortError with its message', async () => {
    const ex = vigilExports(await loadVigilWasmNode());
    const ptr = ex.scratch_reserve(64) >>> 0;
    new Uint8Array(ex.memory.buffer).fill(0, ptr, ptr + 64);
    expect(() => ex.cuckoo_free(ptr)).toThrow(WasmAbortError);
    expect(() => ex.cuckoo_free(ptr)).toThrow(/not a cuckoo filter at .*cuckoo\.ts/);
  });

  it('only load-node.ts uses Node APIs', () => {
    const dir = join(root, 'src', 'wasm');
    for (const file of readdirSync(dir)) {
      if (file === 'load-node.ts') continue;
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/from 'node:|\brequire\(|\bprocess\.|\bBuffer\b/);
    }
  });
});
