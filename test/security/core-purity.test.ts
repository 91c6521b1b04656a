/**
 * The engine core must run on Cloudflare Workers: no Node or DOM modules, no eval, no
 * `new Function`, no WebAssembly compiled from bytes at run time. Bundling it for a neutral
 * platform proves what it imports; the bundle's text is searched for what Workers forbid.
 */
import { readdirSync } from 'node:fs';
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
    // `eval(` as a call of the global, not a method named eval (re2js's prefilter has one: `p.eval(input, pos)`).
    const evalCall = /(?<![.\w$])eval\s*\((?![\w\s,]*\)\s*\{)|\b(?:globalThis|self|window)\.eval\s*\(/g;
    expect(code.match(evalCall) ?? []).toEqual([]);
    expect('x = eval(code); y = globalThis.eval(s); z = re.eval(i, p); class C { eval(a, b) {} }'.match(evalCall)).toHaveLength(2);
    expect(code.match(/new\s+Function\s*\(|WebAssembly\.(compile|instantiate|Module)\s*\(/g) ?? []).toEqual([]);
  });
});

describe('src/io (decoders and encoders)', () => {
  it('bundles for a neutral platform without Node modules, eval or new Function: every engine reads and writes the same way', async () => {
    const entryPoints = readdirSync('src/io').filter((f) => f.endsWith('.ts')).map((f) => `src/io/${f}`);
    expect(entryPoints).toContain('src/io/from-cef.ts');
    const result = await build({ entryPoints, bundle: true, write: false, outdir: 'out', platform: 'neutral', format: 'esm', mainFields: ['module', 'main'], metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => f.startsWith('node:') || /^(fs|path|os|zlib|stream|buffer|crypto|worker_threads)$/.test(f))).toEqual([]);
    const code = result.outputFiles.map((f) => f.text).join('\n');
    expect(code.match(/new\s+Function\s*\(|(?<![.\w$])eval\s*\(|\bBuffer\.|\bprocess\./g) ?? []).toEqual([]);
  });
});
