/** Shared by `run` and `check`: an engine with the lists and rules named on the command line. */
import type { Engine, EngineOptions } from '../engine/engine.js';
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostic.js';
import { createNodeEngine } from '../runtime/node.js';
import { InputError, listEntries, namedPath, readText, ruleFiles, writeAll, type CliIO } from './io.js';

export interface SetupSpec {
  rules: readonly string[];
  iocs: readonly string[];
  tables: readonly string[];
  /** `name=model.json` (from `vigil train`) for `utils.classify`. */
  models?: readonly string[];
  /** `check` may declare a list by name alone; `run` needs its entries. */
  listPathRequired: boolean;
}

export interface Setup {
  engine: Engine;
  diagnostics: Diagnostic[];
  ruleCount: number;
  files: string[];
}

export async function setUpEngine(spec: SetupSpec, options: EngineOptions): Promise<Setup> {
  const files = await ruleFiles(spec.rules);
  const texts = await Promise.all(files.map((f) => readText(f, 'rules')));
  const iocs = spec.iocs.map((s) => namedPath(s, '--ioc', spec.listPathRequired));
  const tables = spec.tables.map((s) => namedPath(s, '--table', spec.listPathRequired));
  const iocEntries = await Promise.all(iocs.map((l) => (l.path ? readText(l.path, 'IOC list').then(listEntries) : [])));
  const tableEntries = await Promise.all(tables.map((t) => (t.path ? readText(t.path, 'table').then(listEntries) : [])));
  const models = (spec.models ?? []).map((s) => namedPath(s, '--model', true));
  const modelJson = await Promise.all(models.map((m) => readText(m.path!, 'model').then((text) => parseModelFile(m.path!, text))));

  const engine = await createNodeEngine(options);
  iocs.forEach((list, i) => {
    engine.iocs.create(list.name, { capacity: Math.max(1024, iocEntries[i].length) });
    engine.iocs.add(list.name, iocEntries[i]);
  });
  tables.forEach((table, i) => engine.tables.create(table.name, tableEntries[i]));
  models.forEach((model, i) => {
    try {
      engine.models.set(model.name, modelJson[i]);
    } catch (error) {
      engine.dispose();
      throw new InputError(`model file ${model.path}: ${(error as Error).message}`);
    }
  });

  const diagnostics: Diagnostic[] = [];
  let ruleCount = 0;
  files.forEach((file, i) => {
    const result = engine.addRules(texts[i], { file, author: 'cli' });
    diagnostics.push(...result.diagnostics);
    ruleCount += result.added.length;
  });
  return { engine, diagnostics, ruleCount, files };
}

function parseModelFile(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`model file ${path}: not JSON (${(error as Error).message})`);
  }
}

export async function printDiagnostics(io: CliIO, diagnostics: readonly Diagnostic[]): Promise<void> {
  for (const d of diagnostics) await writeAll(io.stderr, `${formatDiagnostic(d)}\n`);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
