// `npm run bench [-- name…] [-- --quick]`: runs the named benchmarks (all by default), each printing
// its own figures side by side with its peers, then one summary of every row against its peer and
// its target (the rows each benchmark hands to lib.mjs `summaryRow`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './lib.mjs';

const all = ['rules', 'ingest', 'ioc', 'statetable', 'windows', 'statemachine', 'flows', 'watermark', 'guard', 'native-path', 'redesign', 'threads', 'sigma'];
const argv = process.argv.slice(2);
const names = argv.filter((a) => !a.startsWith('--') && all.includes(a));
const flags = argv.filter((a) => !names.includes(a));
const scratch = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const summaryFile = join(scratch, 'summary.jsonl');
const started = new Date();
for (const name of names.length ? names : all) {
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(file)) {
    console.error(`no benchmark '${name}'`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n=== bench/${name} ===`);
  const child = spawnSync(process.execPath, ['--expose-gc', file, ...flags], { stdio: 'inherit', env: { ...process.env, VIGIL_BENCH_SUMMARY: summaryFile } });
  if (child.status !== 0) process.exitCode = child.status ?? 1;
}

const rows = existsSync(summaryFile)
  ? readFileSync(summaryFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  : [];
rmSync(scratch, { recursive: true, force: true });
if (rows.length) {
  const figure = (value, unit) => (value === undefined || value === null ? '—' : `${Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3))} ${unit ?? ''}`.trim());
  console.log(`\n=== summary: every row against its peer (${started.toISOString().slice(0, 16)}Z, ${flags.includes('--quick') ? 'quick' : 'full'} run) ===`);
  printTable(
    ['benchmark', 'workload', 'Vigil', 'peer', 'ratio', 'target', 'met'],
    rows.map((r) => [r.bench, r.workload, figure(r.vigil, r.unit), figure(r.peer, r.unit), r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`, r.target ?? '—', r.met === undefined ? '—' : r.met ? 'yes' : 'NO']),
  );
}
