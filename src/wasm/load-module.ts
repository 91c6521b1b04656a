/**
 * Loader for runtimes that hand us a compiled `WebAssembly.Module` (Cloudflare workerd: the
 * .wasm is an imported module, since compiling bytes is forbidden there; instantiating is fine).
 *
 *   import wasm from '../../build/vigil.wasm';
 *   const hot = createHotPaths(await instantiateVigilModule(wasm));
 */
import { createImports } from './imports.js';

export async function instantiateVigilModule(module: WebAssembly.Module): Promise<WebAssembly.Instance> {
  const { imports, attach } = createImports();
  return attach(await WebAssembly.instantiate(module, imports));
}
