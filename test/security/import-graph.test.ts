/**
 * The layers of src/, by import direction (docs/architecture.md), as core-purity checks platform
 * APIs. Every `src/**\/*.ts` file's imports are read with TypeScript's own pre-processor — static
 * imports, `export … from`, dynamic `import()`, type-only imports too (a type import still ties the
 * files together for a reader and a refactoring) — and resolved to files. Then:
 *
 *  (a) no cycle between files of src/;
 *  (b) src/engine imports only src/engine, the rule languages (src/lang: VGL and what rules share;
 *      src/sigma) and src/ml/types.ts (never wasm, sandbox, io, edge, cli, runtime, targets or
 *      entries: those implement its ports or drive it);
 *  (c) src/wasm and src/sandbox import from src/engine only its ports (src/engine/ports.ts);
 *  (d) src/lang imports only src/lang, and src/sigma only src/sigma and src/lang;
 *  and src/ml/types.ts, which the engine may import, imports only src/lang; the package's entries
 *  (src/entries/*) only re-export the public API (src/index.ts) and one platform target (src/targets/*).
 *
 * The graph itself is checked against a model, so a resolver bug cannot make the rules pass vacuously.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../..');

/** Paths relative to the repository, with forward slashes: `src/engine/engine.ts`. */
type File = string;

function sourceFiles(dir: string): File[] {
  const out: File[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/** Import specifiers of a module's text: static, `export … from`, `import()`, type-only. */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

interface Graph {
  edges: Map<File, File[]>;
  /** Relative specifiers that name no .ts file (assets such as build/vigil.wasm are listed here). */
  unresolved: { from: File; specifier: string }[];
}

function buildGraph(files: readonly File[], read: (file: File) => string): Graph {
  const known = new Set(files);
  const edges = new Map<File, File[]>();
  const unresolved: Graph['unresolved'] = [];
  for (const file of files) {
    const targets: File[] = [];
    for (const specifier of importSpecifiers(read(file))) {
      if (!specifier.startsWith('.')) continue; // a package: core-purity and the bundle tests watch those
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const candidates = [target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.d.ts'), `${target}.ts`, `${target}/index.ts`];
      const found = candidates.find((c) => known.has(c));
      if (found) targets.push(found);
      else unresolved.push({ from: file, specifier });
    }
    edges.set(file, [...new Set(targets)]);
  }
  return { edges, unresolved };
}

/** One cycle per strongly connected component of more than one file (or a file importing itself). */
function cycles(edges: ReadonlyMap<File, readonly File[]>): File[][] {
  // Tarjan's algorithm, iterative-enough for a source tree (depth is the longest import chain).
  let counter = 0;
  const index = new Map<File, number>();
  const low = new Map<File, number>();
  const stack: File[] = [];
  const onStack = new Set<File>();
  const components: File[][] = [];
  const visit = (v: File) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: File[] = [];
      let w: File;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  // Report each component as a concrete cycle: a shortest path back to its first file.
  return components.map((component) => {
    const inside = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<File, File>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      for (const w of edges.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...component, component[0]!];
  });
}

const under = (folder: string) => (file: File) => file.startsWith(`src/${folder}/`);

/** The layer rules (b)–(d): a reason for each forbidden arrow, undefined for an allowed one. */
function forbidden(from: File, to: File): string | undefined {
  if (under('engine')(from) && !(under('engine')(to) || under('lang')(to) || under('sigma')(to) || to === 'src/ml/types.ts')) {
    return 'src/engine imports only src/engine, src/lang, src/sigma and src/ml/types.ts';
  }
  if ((under('wasm')(from) || under('sandbox')(from)) && under('engine')(to) && to !== 'src/engine/ports.ts') {
    return 'src/wasm and src/sandbox import from src/engine only src/engine/ports.ts';
  }
  if (under('lang')(from) && !under('lang')(to)) return 'src/lang imports only src/lang';
  if (under('sigma')(from) && !(under('sigma')(to) || under('lang')(to))) return 'src/sigma imports only src/sigma and src/lang';
  if (from === 'src/ml/types.ts' && !under('lang')(to)) return 'src/ml/types.ts imports only src/lang (the engine imports it)';
  if (under('entries')(from) && !(to === 'src/index.ts' || under('targets')(to))) return 'an entry re-exports src/index.ts and a target only';
  return undefined;
}

function violations(edges: ReadonlyMap<File, readonly File[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of edges) for (const to of targets) {
    const reason = forbidden(from, to);
    if (reason) out.push(`${from} → ${to} (${reason})`);
  }
  return out;
}

const files = sourceFiles('src');
const graph = buildGraph(files, (file) => readFileSync(join(ROOT, file), 'utf8'));

describe('the import graph of src/', () => {
  it('reads every kind of import and resolves it to a file', () => {
    // The model: a little tree whose edges are known.
    const tree: Record<File, string> = {
      'src/a.ts': `import { b } from './b.js';\nimport type { C } from './c/index.js';\nexport * from './d.js';\n`,
      'src/b.ts': `const e = await import('./c/e.js');\nconst text = \`import x from './a.js'\`; // a string, not an import\n`,
      'src/c/index.ts': `export type { E } from './e.js';\nimport 'node:fs';\n`,
      'src/c/e.ts': `import './../a.js';\nimport w from '../../build/x.wasm';\n`,
      'src/d.ts': `import type D from './c';\n`,
    };
    const model = buildGraph(Object.keys(tree), (f) => tree[f]!);
    expect(Object.fromEntries(model.edges)).toEqual({
      'src/a.ts': ['src/b.ts', 'src/c/index.ts', 'src/d.ts'],
      'src/b.ts': ['src/c/e.ts'],
      'src/c/index.ts': ['src/c/e.ts'],
      'src/c/e.ts': ['src/a.ts'],
      'src/d.ts': ['src/c/index.ts'],
    });
    expect(model.unresolved).toEqual([{ from: 'src/c/e.ts', specifier: '../../build/x.wasm' }]);
    // a → b → c/e → a, and a → c/index → c/e → a: one component, reported as its shortest cycle.
    expect(cycles(model.edges)).toEqual([['src/a.ts', 'src/b.ts', 'src/c/e.ts', 'src/a.ts']]);
  });

  it('finds the arrows the rules forbid, and allows the ones they allow', () => {
    const edges = new Map<File, File[]>([
      ['src/engine/engine.ts', ['src/engine/window.ts', 'src/lang/index.ts', 'src/ml/types.ts', 'src/wasm/state-table.ts', 'src/ml/classify.ts']],
      ['src/wasm/cuckoo.ts', ['src/engine/ports.ts', 'src/engine/ioc.ts']],
      ['src/sandbox/sandbox.ts', ['src/lang/ast.ts', 'src/engine/window.ts']],
      ['src/lang/check.ts', ['src/lang/ast.ts', 'src/sandbox/utils.ts']],
      ['src/edge/http.ts', ['src/engine/engine.ts', 'src/io/from-jsonl.ts']],
      ['src/entries/workerd.ts', ['src/index.ts', 'src/targets/workerd.ts', 'src/edge/cloudflare/engine.ts']],
    ]);
    expect(violations(edges).map((v) => v.split(' (')[0])).toEqual([
      'src/engine/engine.ts → src/wasm/state-table.ts',
      'src/engine/engine.ts → src/ml/classify.ts',
      'src/wasm/cuckoo.ts → src/engine/ioc.ts',
      'src/sandbox/sandbox.ts → src/engine/window.ts',
      'src/lang/check.ts → src/sandbox/utils.ts',
      'src/entries/workerd.ts → src/edge/cloudflare/engine.ts',
    ]);
  });

  it('sees the whole tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.edges.get('src/engine/engine.ts')).toContain('src/engine/registry.ts');
    // Only assets may stay unresolved: a .ts import that names no file means the resolver is wrong.
    expect(graph.unresolved.filter((u) => !/\.(wasm|json)$/.test(u.specifier))).toEqual([]);
  });

  it('(a) has no cycle', () => {
    expect(cycles(graph.edges).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  const from = (folder: string) => violations(graph.edges).filter((v) => v.startsWith(`src/${folder}`));

  it('(b) the engine imports only the engine, the rule language and src/ml/types.ts', () => {
    expect(from('engine/')).toEqual([]);
  });

  it('(c) src/wasm and src/sandbox reach the engine through its ports only', () => {
    expect([...from('wasm/'), ...from('sandbox/')]).toEqual([]);
  });

  it('(d) the rule language imports nothing but itself', () => {
    expect(from('lang/')).toEqual([]);
  });

  it('src/ml/types.ts imports only the rule language; the entries only the public API and a target', () => {
    expect([...from('ml/'), ...from('entries/')]).toEqual([]);
  });

  it('names real files in its rules', () => {
    for (const file of ['src/ml/types.ts', 'src/lang/index.ts', 'src/engine/engine.ts']) expect(files, file).toContain(file);
  });
});
