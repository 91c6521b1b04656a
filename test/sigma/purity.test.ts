/**
 * src/sigma runs where the engine runs (browsers, workerd): bundled for a neutral platform it pulls
 * no Node module (the `yaml` package resolves to its browser build), no eval, no new Function.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('src/sigma', () => {
  it('bundles for a neutral platform without Node modules, eval or new Function', async () => {
    const result = await build({ entryPoints: ['src/sigma/index.ts'], bundle: true, write: false, platform: 'neutral', format: 'esm', mainFields: ['module', 'main'], metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => f.startsWith('node:') || /^(fs|path|os|crypto|process|worker_threads)$/.test(f))).toEqual([]);
    expect(inputs.some((f) => f.includes('node_modules/yaml/browser/'))).toBe(true);
    const code = result.outputFiles[0]!.text;
    expect(code.match(/(?<![.\w$])eval\s*\((?![\w\s,]*\)\s*\{)|\b(?:globalThis|self|window)\.eval\s*\(/g) ?? []).toEqual([]);
    expect(code.match(/new\s+Function\s*\(/g) ?? []).toEqual([]);
  });
});
