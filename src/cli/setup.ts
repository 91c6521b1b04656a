/** Shared by `run` and `check`: an engine with the lists and rules named on the command line. */
import type { EngineOptions } from '../engine/engine.js';
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostic.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import { listEntries } from '../io/list-entries.js';
import type { SigmaPipeline } from '../sigma/index.js';
import { InputError, namedPath, readText, ruleFiles, writeAll, type CliIO } from './io.js';

export interface SetupSpec {
  rules: readonly string[];
  iocs: readonly string[];
  tables: readonly string[];
  /** `name=model.json` (from `vigil train`) for `utils.classify`. */
  models?: readonly string[];
  /** `check` may declare a list by name alone; `run` needs its entries. */
  listPathRequired: boolean;
  /** `--sigma-pipeline`: a built-in pipeline's name or a pipeline file (YAML). */
  sigmaPipeline?: string;
}

export interface Setup<E extends EngineSurface = EngineSurface> {
  engine: E;
  diagnostics: Diagnostic[];
  ruleCount: number;
  files: string[];
}

/** `create` makes the engine: on this thread by default; `vigil run` and `collect` pass the guarded one. */
export async function setUpEngine<E extends EngineSurface = EngineSurface>(
  spec: SetupSpec,
  options: EngineOptions,
  create: (options: EngineOptions) => Promise<E> = createEngineHere as unknown as (options: EngineOptions) => Promise<E>,
): Promise<Setup<E>> {
  if (spec.sigmaPipeline !== undefined) options = { ...options, sigma: { ...options.sigma, pipeline: await sigmaPipeline(spec.sigmaPipeline) } };
  // The engine loads while the files are read (a guarded engine starts its threads meanwhile).
  const creating = create(options);
  let files: string[], texts: string[], iocs: ReturnType<typeof namedPath>[], tables: ReturnType<typeof namedPath>[];
  let iocTexts: string[], tableEntries: string[][], models: ReturnType<typeof namedPath>[], modelJson: unknown[];
  try {
    files = await ruleFiles(spec.rules);
    texts = await Promise.all(files.map((f) => readText(f, 'rules')));
    iocs = spec.iocs.map((s) => namedPath(s, '--ioc', spec.listPathRequired));
    tables = spec.tables.map((s) => namedPath(s, '--table', spec.listPathRequired));
    iocTexts = await Promise.all(iocs.map((l) => (l.path ? readText(l.path, 'IOC list') : '')));
    tableEntries = await Promise.all(tables.map((t) => (t.path ? readText(t.path, 'table').then(listEntries) : [])));
    models = (spec.models ?? []).map((s) => namedPath(s, '--model', true));
    modelJson = await Promise.all(models.map((m) => readText(m.path!, 'model').then((text) => parseModelFile(m.path!, text))));
  } catch (error) {
    void creating.then((engine) => engine.dispose(), () => undefined);
    throw error;
  }
  const engine = await creating;
  iocs.forEach((list, i) => loadIocList(engine, list.name, iocTexts[i]));
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

/**
 * The engine on this thread. Imported when asked for: a guarded `vigil run` never loads the engine
 * on the main thread, and its start-up should not wait for the engine's modules there.
 */
async function createEngineHere(options: EngineOptions) {
  const { createNodeEngine } = await import('../targets/node.js');
  return createNodeEngine(options);
}

/** An IOC list file (one entry a line, `#` comments) as a new list sized for it; a guarded engine reads it on its own thread. */
export function loadIocList(engine: EngineSurface, name: string, text: string): void {
  if (engine instanceof GuardedEngine) return engine.createIocListFromText(name, text);
  const entries = listEntries(text);
  engine.iocs.create(name, { capacity: Math.max(1024, entries.length) });
  engine.iocs.add(name, entries);
}

/** A built-in pipeline by name, or a pipeline file read and checked here (its errors name the file's lines). */
export async function sigmaPipeline(value: string): Promise<string | SigmaPipeline> {
  // The Sigma compiler (and its YAML parser) only when a pipeline is named.
  const { BUILTIN_PIPELINES, parsePipeline } = await import('../sigma/index.js');
  if (Object.hasOwn(BUILTIN_PIPELINES, value)) return value;
  if (!/[./\\]/.test(value)) throw new InputError(`--sigma-pipeline: no built-in pipeline '${value}' (built in: ${Object.keys(BUILTIN_PIPELINES).join(', ')}), and it does not look like a file`);
  const { pipeline, diagnostics } = parsePipeline(await readText(value, 'Sigma pipeline'), value);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!pipeline || errors.length) throw new InputError(`--sigma-pipeline ${value}:\n${errors.map((d) => formatDiagnostic(d)).join('\n')}`);
  return pipeline;
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
