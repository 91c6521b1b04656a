/**
 * `vigil sigma check` and `vigil sigma convert`: what of a Sigma rule set Vigil runs, and the VGL a
 * Sigma rule stands for.
 *
 * check: every document of every file (rules, correlations, filters) is "supported" or "refused"
 * with each error at its file:line:col; a summary counts them. All files are loaded together, as
 * `vigil run --rules` loads them, so filters and correlations find the rules they name in other
 * files. Exit 0 when everything is supported, 1 when something is refused, 2 for usage and I/O.
 *
 * convert: the VGL of each rule of the files (src/sigma/to-vgl.ts) on stdout; a rule that cannot be
 * written is an error on stderr naming where. Exit 0 when every rule was written, 1 otherwise.
 */
import type { Diagnostic } from '../lang/diagnostic.js';
import { formatDiagnostic } from '../lang/diagnostic.js';
import { isReservedRuleName } from '../lang/index.js';
import { loadSigma, type SigmaOptions, type SigmaSource } from '../sigma/index.js';
import { sigmaToVgl } from '../sigma/to-vgl.js';
import { DEFAULT_YAML_LIMITS, entry, parseYamlFile, scalarString, SourceLocator } from '../sigma/yaml-source.js';
import { InputError, readText, ruleFiles, UsageError, writeAll, type CliIO } from './io.js';
import { sigmaPipeline } from './setup.js';

export const SIGMA_USAGE = `  vigil sigma check <file|dir>… [--sigma-pipeline <name|file>] [--json]
      Says of each Sigma document (rule, correlation, filter) of the .yml/.yaml files, folders
      walked, whether Vigil runs it — "supported" — or "refused", with each reason at its
      file:line:col; then the counts. --json writes one JSON object instead (summary and documents).
      Exit 0 when all are supported, 1 when some are refused.
  vigil sigma convert <file>… [--sigma-pipeline <name|file>]
      Prints each Sigma rule as VGL: RULE (the title), SOURCES (the pipeline's routing of the
      logsource), FILTER (a JavaScript expression of utils) and SINK (the alert's fields). A rule VGL
      cannot express (keywords, time modifiers, filters applied to it, a logsource the pipeline
      does not route) is an error naming its file:line:col; exit 1 when there is one.`;

export interface SigmaCheckSpec {
  paths: readonly string[];
  sigmaPipeline?: string;
  json: boolean;
}

export interface SigmaConvertSpec {
  paths: readonly string[];
  sigmaPipeline?: string;
}

type DocumentKind = 'rule' | 'correlation' | 'filter' | 'file';

/** One document's verdict (`file` stands for what could not be split into documents: YAML errors, limits). */
export interface CheckedDocument {
  file: string;
  line: number;
  kind: DocumentKind;
  title?: string;
  supported: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** The Sigma files under `paths`: named files as given, folders walked for .yml/.yaml. */
async function sigmaSources(paths: readonly string[]): Promise<SigmaSource[]> {
  const files: string[] = [];
  for (const path of paths) {
    const found = await ruleFiles([path]);
    const yaml = found.length === 1 && found[0] === path ? found : found.filter((f) => /\.ya?ml$/i.test(f));
    if (!yaml.length) throw new InputError(`no Sigma files (.yml, .yaml) in directory '${path}'`);
    files.push(...yaml);
  }
  return Promise.all(files.map(async (file) => ({ file, text: await readText(file, 'Sigma rules') })));
}

async function sigmaOptions(name: string | undefined): Promise<SigmaOptions> {
  return name === undefined ? {} : { pipeline: await sigmaPipeline(name) };
}

/** Every document of `sources` with its verdict, in file order. */
export function checkSigma(sources: readonly SigmaSource[], options: SigmaOptions): CheckedDocument[] {
  const loaded = loadSigma(sources, options);
  const diagnostics = [...loaded.diagnostics];
  // What the engine adds when it takes the rules (src/engine/compile-source.ts): reserved titles.
  for (const c of loaded.correlations) {
    const line = new SourceLocator(c.file, sources.find((s) => s.file === c.file)?.text ?? '').position(c.span[0]).line;
    if (isReservedRuleName(c.title)) diagnostics.push({ severity: 'error', code: 'reserved-rule-name', message: `rule titles starting with "vigil." are reserved for the engine's own alerts: rename "${c.title}"`, file: c.file, line, column: 1, endLine: line, endColumn: 1, excerpt: '', rule: c.title });
  }
  for (const rule of loaded.rules) {
    if (isReservedRuleName(rule.name)) diagnostics.push({ severity: 'error', code: 'reserved-rule-name', message: `rule titles starting with "vigil." are reserved for the engine's own alerts: rename "${rule.name}"`, file: rule.file, line: rule.line, column: 1, endLine: rule.line, endColumn: 1, excerpt: '', rule: rule.name });
  }
  // `vigil run --rules` adds file after file and refuses a name taken already; within one file the
  // engine tells rules of one title apart by their id (src/engine/compile-source.ts).
  const taken = new Map<string, { file: string; line: number }>();
  const rulesOf = new Map<string, { name: string; id?: string; file: string; line: number }[]>();
  const add = (r: { name: string; id?: string; file: string; line: number }) => rulesOf.set(r.file, [...(rulesOf.get(r.file) ?? []), r]);
  for (const r of loaded.rules) add({ name: r.name, ...(r.sigma.id !== undefined ? { id: r.sigma.id } : {}), file: r.file, line: r.line });
  for (const c of loaded.correlations) add({ name: c.title, ...(c.id !== undefined ? { id: c.id } : {}), file: c.file, line: new SourceLocator(c.file, sources.find((s) => s.file === c.file)?.text ?? '').position(c.span[0]).line });
  for (const source of sources) {
    const rules = rulesOf.get(source.file) ?? [];
    const titles = new Map<string, number>();
    for (const r of rules) titles.set(r.name, (titles.get(r.name) ?? 0) + 1);
    for (const r of rules) {
      const name = titles.get(r.name)! > 1 ? `${r.name} [${r.id ?? r.line}]` : r.name;
      const first = taken.get(name);
      if (first) diagnostics.push({ severity: 'error', code: 'rule-exists', message: `rule "${name}" already exists (${first.file}:${first.line}): vigil run would refuse this file`, file: r.file, line: r.line, column: 1, endLine: r.line, endColumn: 1, excerpt: '', rule: name });
      else taken.set(name, { file: r.file, line: r.line });
    }
  }
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const list = byFile.get(d.file) ?? [];
    list.push(d);
    byFile.set(d.file, list);
  }
  const out: CheckedDocument[] = [];
  for (const source of sources) {
    const locator = new SourceLocator(source.file, source.text);
    // Parsed again for the documents' extents (the loader keeps no record of documents it refused).
    const parsed = parseYamlFile(locator, { ...DEFAULT_YAML_LIMITS, ...options.limits });
    const docs: CheckedDocument[] = [];
    const ranges: [number, number][] = [];
    for (const doc of parsed.documents) {
      const root = doc.root;
      const first = locator.position(root?.span[0] ?? doc.span[0]).line;
      const last = locator.position(Math.max(doc.span[0], doc.span[1] - 1)).line;
      const kind: DocumentKind = root && entry(root, 'correlation') ? 'correlation' : root && entry(root, 'filter') ? 'filter' : 'rule';
      const title = scalarString(entry(root, 'title')?.value);
      docs.push({ file: source.file, line: first, kind, ...(title !== undefined ? { title } : {}), supported: true, errors: [], warnings: [] });
      ranges.push([locator.position(doc.span[0]).line, last]);
    }
    const whole: CheckedDocument = { file: source.file, line: 1, kind: 'file', supported: true, errors: [], warnings: [] };
    for (const d of byFile.get(source.file) ?? []) {
      // The last document starting at or before the diagnostic's line holds it.
      let at = -1;
      for (let i = 0; i < ranges.length; i++) if (ranges[i]![0] <= d.line) at = i;
      const target = at >= 0 && d.line <= ranges[at]![1] ? docs[at]! : whole;
      (d.severity === 'error' ? target.errors : target.warnings).push(d);
    }
    for (const doc of [whole, ...docs]) doc.supported = doc.errors.length === 0;
    if (whole.errors.length || whole.warnings.length) out.push(whole);
    out.push(...docs);
  }
  return out;
}

export async function runSigmaCheck(spec: SigmaCheckSpec, io: CliIO): Promise<number> {
  if (!spec.paths.length) throw new UsageError('sigma check needs at least one Sigma file or directory');
  const options = await sigmaOptions(spec.sigmaPipeline);
  const sources = await sigmaSources(spec.paths);
  const documents = checkSigma(sources, options);
  const summary = summarize(documents, sources.length);
  if (spec.json) {
    const plain = (d: Diagnostic) => ({ line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn, code: d.code, message: d.message });
    const report = {
      pipeline: typeof options.pipeline === 'object' ? options.pipeline.name : (options.pipeline ?? 'flat'),
      summary,
      documents: documents.map((d) => ({ file: d.file, line: d.line, kind: d.kind, ...(d.title !== undefined ? { title: d.title } : {}), supported: d.supported, errors: d.errors.map(plain), warnings: d.warnings.map(plain) })),
    };
    await writeAll(io.stdout, `${JSON.stringify(report)}\n`);
  } else {
    const lines: string[] = [];
    for (const d of documents) {
      const what = d.kind === 'file' ? 'file' : `${d.kind}${d.title !== undefined ? ` ${JSON.stringify(d.title)}` : ''}`;
      if (d.supported) lines.push(`${d.file}:${d.line}: supported ${what}`);
      for (const e of d.errors) lines.push(`${e.file}:${e.line}:${e.column}: refused ${what}: ${e.code}: ${e.message}`);
      for (const w of d.warnings) lines.push(`${w.file}:${w.line}:${w.column}: warning (${what}): ${w.code}: ${w.message}`);
    }
    const kinds = Object.entries(summary.byKind).map(([k, n]) => `${n.supported}/${n.documents} ${k}${n.documents === 1 ? '' : 's'}`);
    lines.push(`${summary.files} file${summary.files === 1 ? '' : 's'}, ${summary.documents} document${summary.documents === 1 ? '' : 's'}: ${summary.supported} supported, ${summary.refused} refused (${kinds.join(', ')} supported)`);
    for (const [code, n] of Object.entries(summary.refusedByCode)) lines.push(`  refused for ${code}: ${n}`);
    await writeAll(io.stdout, `${lines.join('\n')}\n`);
  }
  return summary.refused > 0 ? 1 : 0;
}

function summarize(documents: readonly CheckedDocument[], files: number) {
  const byKind: Record<string, { documents: number; supported: number }> = {};
  const refusedByCode: Record<string, number> = {};
  for (const d of documents) {
    const k = (byKind[d.kind] ??= { documents: 0, supported: 0 });
    k.documents++;
    if (d.supported) k.supported++;
    // A document is counted once per code it was refused for.
    for (const code of new Set(d.errors.map((e) => e.code))) refusedByCode[code] = (refusedByCode[code] ?? 0) + 1;
  }
  const supported = documents.filter((d) => d.supported).length;
  return { files, documents: documents.length, supported, refused: documents.length - supported, byKind, refusedByCode };
}

export async function runSigmaConvert(spec: SigmaConvertSpec, io: CliIO): Promise<number> {
  if (!spec.paths.length) throw new UsageError('sigma convert needs at least one Sigma file');
  const options = await sigmaOptions(spec.sigmaPipeline);
  const sources = await sigmaSources(spec.paths);
  let failed = false;
  const written: string[] = [];
  for (const source of sources) {
    const result = sigmaToVgl(source, options);
    written.push(...result.rules.map((r) => r.vgl));
    for (const d of result.diagnostics) await writeAll(io.stderr, `${formatDiagnostic(d)}\n`);
    if (result.diagnostics.some((d) => d.severity === 'error')) failed = true;
  }
  await writeAll(io.stdout, written.join('\n'));
  return failed ? 1 : 0;
}
