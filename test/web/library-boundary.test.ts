/**
 * The library's dist/ (tsconfig.build.json, from src/) must load with the package's own
 * dependencies: the web app's backend (web/worker) and its devDependencies (comlink, idb) stay out.
 * TypeScript lists the build's files and every import of each (static, dynamic and `import type`,
 * which a .d.ts keeps); an import of a package must name one of package.json's `dependencies` or
 * a Node built-in, and a relative import must stay inside src/.
 */
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function buildFiles(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(resolve(ROOT, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.build.json did not parse');
  return config.fileNames.filter((f) => !f.endsWith('.d.ts'));
}

/** Every module specifier a file imports (import, export from, import(), import type). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** What the library may import at run time, or in its declarations. */
function allowedPackages(): Set<string> {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
}

/** Imports of `files` that break the rule, as `file: specifier`. */
function violations(files: readonly string[], allowed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = relative(resolve(ROOT, 'src'), resolve(dirname(file), specifier));
        // The WebAssembly modules the package ships (package.json files: build/*.wasm) are its own.
        const shippedWasm = /^build\/[^/]+\.wasm$/.test(relative(ROOT, resolve(dirname(file), specifier)));
        if (target.startsWith('..') && !shippedWasm) out.push(`${relative(ROOT, file)}: ${specifier}`);
      } else if (!allowed.has(packageOf(specifier)) && !allowed.has(specifier)) {
        out.push(`${relative(ROOT, file)}: ${specifier}`);
      }
    }
  }
  return out;
}

describe("the library's build", () => {
  it('imports only its dependencies and its own files: no comlink, no idb, nothing of web/', () => {
    const files = buildFiles();
    // The build covers the worker protocol and client that stay in src/.
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['src/runtime/worker/protocol.ts', 'src/runtime/worker/client.ts']));
    expect(violations(files, allowedPackages())).toEqual([]);
  });

  it('the check catches an import of a devDependency and a path out of src/', () => {
    // The web app's worker entry imports both comlink and src/ through '../../src/…'.
    const found = violations([resolve(ROOT, 'web/worker/engine.worker.ts')], allowedPackages());
    expect(found).toContain('web/worker/engine.worker.ts: comlink');
    const persistence = violations([resolve(ROOT, 'web/worker/persistence.ts')], allowedPackages());
    expect(persistence).toContain('web/worker/persistence.ts: idb');
    expect(packageOf('@jitl/quickjs-wasmfile-release-sync/dist/x.js')).toBe('@jitl/quickjs-wasmfile-release-sync');
  });
});
