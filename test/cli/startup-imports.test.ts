/**
 * What `vigil run` loads before it can start the engine thread. A guarded one-thread run needs on
 * its main thread only the CLI, the guard and the readers: the engine (parser, sandbox, Sigma,
 * training, the web server) loads on the engine thread, and every module the main thread imports
 * first delays that thread's start. The oracle is esbuild's own import graph: the modules reachable
 * from the command's entry through static imports alone, which Node loads before the first line runs.
 */
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Source files and packages loaded with `entry`: static imports only, or dynamic ones too. */
async function reachable(entry: string): Promise<{ staticFiles: Set<string>; staticPackages: Set<string>; allFiles: Set<string> }> {
  const result = await build({ entryPoints: [entry], bundle: true, splitting: true, format: 'esm', platform: 'node', packages: 'external', outdir: 'out', write: false, metafile: true, logLevel: 'silent' });
  const outputs = result.metafile.outputs;
  const entryOutput = Object.keys(outputs).find((name) => outputs[name]!.entryPoint === entry)!;
  const walk = (staticOnly: boolean) => {
    const files = new Set<string>();
    const packages = new Set<string>();
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const output: Metafile['outputs'][string] = outputs[name]!;
      for (const input of Object.keys(output.inputs)) files.add(input);
      for (const imported of output.imports) {
        if (staticOnly && imported.kind !== 'import-statement') continue;
        if (imported.external) packages.add(imported.path.split('/').slice(0, imported.path.startsWith('@') ? 2 : 1).join('/'));
        else visit(imported.path);
      }
    };
    visit(entryOutput);
    return { files, packages };
  };
  const statics = walk(true);
  return { staticFiles: statics.files, staticPackages: statics.packages, allFiles: walk(false).files };
}

describe('vigil start-up', () => {
  it('loads no part of the engine on the main thread before the command runs: commands are imported when chosen', async () => {
    const { staticFiles, staticPackages, allFiles } = await reachable('src/cli/main.ts');
    // The commands are there, behind dynamic imports (so this test sees the whole graph).
    expect([...allFiles]).toEqual(expect.arrayContaining(['src/cli/run.ts', 'src/cli/serve.ts', 'src/cli/train.ts', 'src/engine/engine.ts']));
    expect([...staticFiles].filter((f) => /^src\/(engine\/engine|lang\/parse|sigma\/index|targets\/node|cli\/(run|serve|train|collect|sigma|simulate|check))\.ts$/.test(f))).toEqual([]);
    expect([...staticPackages].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  it('a one-thread guarded run: the guard and the readers, without the engine, its parser, sandbox or Sigma', async () => {
    const { staticFiles, staticPackages } = await reachable('src/cli/run.ts');
    expect([...staticFiles]).toEqual(expect.arrayContaining(['src/runtime/guard/guarded-engine.ts', 'src/io/from-jsonl.ts']));
    expect([...staticFiles].filter((f) => /^src\/(engine\/(engine|registry|pipeline)|lang\/parse|lang\/check|sigma\/index|sandbox\/load|targets\/node|cli\/threads(-pool)?)\.ts$/.test(f))).toEqual([]);
    expect([...staticPackages].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
