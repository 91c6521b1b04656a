/**
 * Vite config for the web app (web/): `vite` serves it, `vite build` writes the static site to
 * web-dist/, `vite preview` serves that. The engine runs in a module Web Worker
 * (web/worker/engine.worker.ts), which loads two WebAssembly files as assets: QuickJS's
 * (through @jitl/quickjs-wasmfile-release-sync's `new URL(…, import.meta.url)`) and build/vigil.wasm.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'web',
  base: './',
  clearScreen: false,
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  // The QuickJS variant finds its .wasm next to its own module; pre-bundling would move the module
  // away from the file, so it is served as is.
  optimizeDeps: {
    exclude: ['@jitl/quickjs-wasmfile-release-sync', 'quickjs-emscripten-core'],
    include: [],
  },
  worker: { format: 'es' },
  build: {
    outDir: '../web-dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
});
