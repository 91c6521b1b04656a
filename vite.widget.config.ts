/**
 * Vite config for the embeddable widget `<vigil-detections>` (web/widget/): library mode, one ES
 * module plus the two WebAssembly files it loads, written to web-dist/widget/:
 *
 *   web-dist/widget/vigil-detections.js   the element, the engine, the simulator (one file)
 *   web-dist/widget/vigil.wasm            build/vigil.wasm (rules index, cuckoo filters, state tables)
 *   web-dist/widget/quickjs.wasm          QuickJS's emscripten module (the rule sandbox)
 *
 *   npx vite build -c vite.widget.config.ts
 *
 * In library mode Vite inlines every `new URL('x', import.meta.url)` asset as a base64 data URL.
 * The plugin below emits the .wasm files as real files instead and rewrites each reference to
 * `new URL('<file>', import.meta.url)`, so the URLs resolve relative to the module wherever the
 * folder is copied. The same module is also the engine's Web Worker (see web/widget/index.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Asset names in the output, by source file name; others keep their own name. */
const WASM_NAMES: Record<string, string> = {
  'vigil.wasm': 'vigil.wasm',
  'emscripten-module.wasm': 'quickjs.wasm',
};

function wasmBesideModule(): Plugin {
  const pattern = /new\s+URL\(\s*(['"])([^'"]+\.wasm)\1\s*,\s*import\.meta\.url\s*\)/g;
  const refs = new Map<string, string>();
  return {
    name: 'vigil:wasm-beside-module',
    enforce: 'pre',
    buildStart() {
      refs.clear();
    },
    transform(code, id) {
      if (!code.includes('.wasm') || !code.includes('import.meta.url')) return null;
      const file = id.split('?')[0]!;
      let changed = false;
      const out = code.replace(pattern, (whole, _quote: string, spec: string) => {
        if (/^[a-z]+:/i.test(spec)) return whole;
        const path = resolve(dirname(file), spec);
        let ref = refs.get(path);
        if (!ref) {
          const name = WASM_NAMES[basename(path)] ?? basename(path);
          ref = this.emitFile({ type: 'asset', fileName: name, source: readFileSync(path) });
          refs.set(path, ref);
        }
        changed = true;
        return `new URL(import.meta.ROLLUP_FILE_URL_${ref})`;
      });
      return changed ? { code: out, map: null } : null;
    },
  };
}

export default defineConfig({
  clearScreen: false,
  // Relative asset URLs: `new URL('vigil.wasm', import.meta.url)`, not '/vigil.wasm'.
  base: './',
  plugins: [wasmBesideModule()],
  // Library mode leaves process.env.NODE_ENV alone; the bundle runs in browsers without `process`.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'web-dist/widget',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    minify: true,
    copyPublicDir: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
    lib: {
      entry: resolve(import.meta.dirname, 'web/widget/index.ts'),
      formats: ['es'],
      fileName: () => 'vigil-detections.js',
    },
    rolldownOptions: {
      output: {
        // One module: QuickJS's loader and FFI (dynamic imports upstream) go into the same file.
        codeSplitting: false,
        // Vite keeps whitespace in library ES output (for downstream bundlers); this file is final.
        minify: true,
      },
    },
  },
});
