/**
 * The engine core must run on Cloudflare Workers: no Node or DOM modules, no eval, no
 * `new Function`, no WebAssembly compiled from bytes at run time. Bundling it for a neutral
 * platform proves what it imports; the bundle's text is searched for what Workers forbid.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('engine core', () => {
  it('bundles for a neutral platform, without Node modules, eval, new Function or runtime WebAssembly compilation', async () => {
    const result = await build({
      entryPoints: ['src/engine/engine.ts'],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => f.startsWith('node:') || /^(fs|path|os|crypto|worker_threads)$/.test(f))).toEqual([]);
    // Scoring flows must not drag in training (K-Means and its matrix library).
    expect(inputs.filter((f) => /node_modules\/(ml-kmeans|ml-matrix)\//.test(f))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    // `eval(` as the global function, not a method of that name (re2js's prefilters define and call `.eval(input, pos)`).
    expect(code.match(/(?<![.\w$])eval\s*\((?![^()]*\)\s*\{)|new\s+Function\s*\(|WebAssembly\.(compile|instantiate|Module)\s*\(/g) ?? []).toEqual([]);
    expect('x = eval("1"); y = globalThis.eval; z = (0, eval)(s)'.match(/(?<![.\w$])eval\s*\((?![^()]*\)\s*\{)/g)).toEqual(['eval(']);
  });
});
