/**
 * Loader for the browser (Vite) and Deno: fetch the .wasm from a URL and instantiate it,
 * streaming when the server sends `application/wasm`, buffering otherwise.
 *
 *   const hot = createHotPaths(await loadVigilWasmUrl());            // bundled asset
 *   const hot = createHotPaths(await loadVigilWasmUrl('/vigil.wasm'));
 */
import { createImports } from './imports.js';

export interface LoadUrlOptions {
  /** The fetch to use (tests, custom caching); defaults to the global fetch. */
  fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** Passed to fetch. */
  init?: RequestInit;
}

/** The module next to the package, as a URL bundlers understand (`new URL(…, import.meta.url)`). */
export function defaultVigilWasmUrl(): URL {
  return new URL('../../build/vigil.wasm', import.meta.url);
}

export async function loadVigilWasmUrl(
  url: string | URL = defaultVigilWasmUrl(),
  options: LoadUrlOptions = {},
): Promise<WebAssembly.Instance> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { imports, attach } = createImports();
  const response = await doFetch(url, options.init);
  if (!response.ok) throw new Error(`loadVigilWasmUrl: ${String(url)} answered ${response.status}`);
  const streamable =
    typeof WebAssembly.instantiateStreaming === 'function' &&
    (response.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'application/wasm';
  if (streamable) {
    // Keep a copy: if streaming fails (e.g. a proxy mangled the MIME handling), fall back.
    const fallback = response.clone();
    try {
      const { instance } = await WebAssembly.instantiateStreaming(response, imports);
      return attach(instance);
    } catch (error) {
      if (error instanceof WebAssembly.LinkError || error instanceof WebAssembly.RuntimeError) throw error;
      const { instance } = await WebAssembly.instantiate(await fallback.arrayBuffer(), imports);
      return attach(instance);
    }
  }
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
  return attach(instance);
}
