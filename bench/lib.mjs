// Small helpers shared by the benchmarks.
import { appendFileSync, readFileSync } from 'node:fs';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** mulberry32: a seeded PRNG, so every run draws the same data. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `--events N --reps N --quick` with defaults. */
export function parseBenchArgs(argv, defaults) {
  const out = { ...defaults, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') out.quick = true;
    else if (arg.startsWith('--') && i + 1 < argv.length) out[arg.slice(2)] = Number(argv[++i]);
  }
  if (out.quick) {
    out.events = Math.min(out.events, 20_000);
    out.reps = Math.min(out.reps, 3);
  }
  return out;
}

function format(value) {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e4) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function printTable(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map(format))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => String(r[c]).length)));
  const line = (r) => r.map((v, c) => String(v).padEnd(widths[c])).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/**
 * One row of the closing summary of `npm run bench`: bench/run.mjs gives every benchmark the same
 * file (VIGIL_BENCH_SUMMARY) and prints the rows of all of them together, each beside its peer and
 * its target, so one run shows where Vigil stands. A benchmark run on its own prints its own table
 * and writes nothing.
 *
 * `ratio` is Vigil ÷ peer with "higher is better" already applied (for times: peer ÷ Vigil).
 * `met` is judged by the benchmark that knows what its target means; leave it out when there is none.
 */
export function summaryRow({ bench, workload, vigil, peer, unit, ratio, target, met }) {
  const file = process.env.VIGIL_BENCH_SUMMARY;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ bench, workload, vigil, peer, unit, ratio, target, met })}\n`);
}

/** CPU seconds (user + system) of the children this process has waited for; Linux only (/proc), else NaN. */
export function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command name: cutime and cstime are fields 16 and 17 of stat, in clock ticks (100 per second).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}
