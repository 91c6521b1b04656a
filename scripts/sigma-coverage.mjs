#!/usr/bin/env node
// The README's Sigma coverage table: the whole SigmaHQ corpus loaded, counted by folder, by
// modifier and by logsource, with what each built-in Windows pipeline routes and what
// `vigil sigma convert` writes as VGL. Prints markdown; test/cli/sigma-coverage.test.ts checks the
// README holds exactly this output. Needs the build (dist/).
//
//   node scripts/sigma-coverage.mjs [--corpus ../shared/sigma]
//
// The corpus: --corpus, else $VIGIL_SIGMA_DIR, else ../shared/sigma (or ../../shared/sigma from a worktree).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSigma } from '../dist/cli/sigma.js';
import { loadSigma } from '../dist/sigma/index.js';
import { sigmaToVgl } from '../dist/sigma/to-vgl.js';
import { DEFAULT_YAML_LIMITS, entry, parseYamlFile, scalarString, SourceLocator } from '../dist/sigma/yaml-source.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'];
/** Logsources with fewer rules than this are counted together in the last row. */
const MIN_LOGSOURCE_ROWS = 15;

function corpusDir() {
  const i = process.argv.indexOf('--corpus');
  const candidates = [i >= 0 ? process.argv[i + 1] : undefined, process.env.VIGIL_SIGMA_DIR, join(root, '../shared/sigma'), join(root, '../../shared/sigma')];
  for (const c of candidates) if (c && existsSync(join(c, 'rules'))) return c;
  console.error('sigma-coverage: no Sigma corpus (give --corpus DIR or VIGIL_SIGMA_DIR)');
  process.exit(2);
}

function yamlFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

const corpus = corpusDir();
const sources = FOLDERS.flatMap((folder) => yamlFiles(join(corpus, folder))).map((path) => ({ file: relative(corpus, path), text: readFileSync(path, 'utf8') }));

// Per document: its folder, logsource and modifiers (read from the YAML), and the verdicts.
const documents = [];
for (const source of sources) {
  const locator = new SourceLocator(source.file, source.text);
  for (const doc of parseYamlFile(locator, DEFAULT_YAML_LIMITS).documents) {
    const rootNode = doc.root;
    if (!rootNode || rootNode.kind !== 'map' || entry(rootNode, 'correlation') || entry(rootNode, 'filter')) continue;
    const ls = entry(rootNode, 'logsource')?.value;
    const text = (k) => scalarString(entry(ls, k)?.value);
    const modifiers = new Set();
    const detection = entry(rootNode, 'detection')?.value;
    // Modifiers of every field entry; a key without one is an equality, a list of plain values keywords.
    const selection = (node) => {
      if (node.kind === 'map') {
        for (const e of node.entries) {
          const [field, ...mods] = e.key.split('|');
          if (field === '') modifiers.add('keywords');
          else if (mods.length === 0) modifiers.add('(none: equality)');
          for (const m of mods) modifiers.add(m.trim());
        }
      } else if (node.kind === 'seq') {
        for (const item of node.items) item.kind === 'map' ? selection(item) : modifiers.add('keywords');
      } else modifiers.add('keywords');
    };
    if (detection?.kind === 'map') for (const e of detection.entries) if (e.key !== 'condition' && e.key !== 'timeframe') selection(e.value);
    documents.push({
      file: source.file,
      line: locator.position(rootNode.span[0]).line,
      folder: source.file.split('/')[0],
      product: text('product') ?? '—',
      group: text('category') ?? (text('service') !== undefined ? `service: ${text('service')}` : '—'),
      modifiers,
    });
  }
}

const key = (file, line) => `${file}:${line}`;
const loaded = new Set(checkSigma(sources, {}).filter((d) => d.kind === 'rule' && d.supported).map((d) => key(d.file, d.line)));
const routedBy = {};
for (const pipeline of ['evtx-json', 'ecs']) {
  const plans = loadSigma(sources, { pipeline }).rules;
  routedBy[pipeline] = new Set(plans.filter((p) => p.selectors.length > 0 && p.selectors.every((s) => s.values.length > 0)).map((p) => key(p.file, p.line)));
}
const converted = new Set();
for (const source of sources) for (const r of sigmaToVgl(source, { pipeline: 'evtx-json' }).rules) converted.add(key(r.file, r.line));

const count = (docs) => {
  const k = (d) => key(d.file, d.line);
  return { rules: docs.length, loaded: docs.filter((d) => loaded.has(k(d))).length, evtx: docs.filter((d) => routedBy['evtx-json'].has(k(d))).length, ecs: docs.filter((d) => routedBy.ecs.has(k(d))).length, vgl: docs.filter((d) => converted.has(k(d))).length };
};
const n = (x) => x.toLocaleString('en-US');
const row = (label, c) => `| ${label} | ${n(c.rules)} | ${n(c.loaded)} | ${n(c.rules - c.loaded)} | ${n(c.evtx)} | ${n(c.ecs)} | ${n(c.vgl)} |`;
const head = (first) => [`| ${first} | rules | loaded | refused | routed by evtx-json | routed by ecs | converted to VGL (evtx-json) |`, '|---|---:|---:|---:|---:|---:|---:|'];

const out = [];
out.push(...head('corpus folder'));
for (const folder of FOLDERS) out.push(row(`\`${folder}/\``, count(documents.filter((d) => d.folder === folder))));
out.push(row('**all**', count(documents)));
out.push('');

out.push(...head('modifier'));
const modifierNames = [...new Set(documents.flatMap((d) => [...d.modifiers]))];
const byModifier = modifierNames.map((m) => [m, count(documents.filter((d) => d.modifiers.has(m)))]).sort((a, b) => b[1].rules - a[1].rules || a[0].localeCompare(b[0]));
for (const [m, c] of byModifier) out.push(row(m.startsWith('(') || m === 'keywords' ? m : `\`${m}\``, c));
out.push('');

out.push(...head('logsource (product / category or service)'));
const groups = new Map();
for (const d of documents) {
  const label = `${d.product} / ${d.group}`;
  if (!groups.has(label)) groups.set(label, []);
  groups.get(label).push(d);
}
const sorted = [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
const rest = [];
let restGroups = 0;
for (const [label, docs] of sorted) {
  if (docs.length >= MIN_LOGSOURCE_ROWS) out.push(row(label, count(docs)));
  else {
    rest.push(...docs);
    restGroups++;
  }
}
if (rest.length) out.push(row(`${restGroups} other logsources (fewer than ${MIN_LOGSOURCE_ROWS} rules each)`, count(rest)));
process.stdout.write(`${out.join('\n')}\n`);
