// `node bench/web-rate.mjs [seconds]`: the web app's simulator at 100,000 events/s with the default
// rules for 10 minutes (600 s) by default, in Chromium (/usr/bin/chromium, or VIGIL_CHROMIUM) on
// the built app. It runs the e2e test test/e2e/rate.test.ts at full length (the CI run lasts 30 s)
// and prints its figures every second and at the end: events/s, main-thread long tasks (wall time,
// and their CPU time from a trace: the wall time stretches with the machine's load), view-switch
// times per view (shell shown, and filled), the engine worker's and the page's heap, the renderer
// processes' resident memory, rules deactivated, and precision and recall at 100k/s beside the same
// at the default 300/s (read once the fast run's windows have closed, about 70 s after it).
// Not part of `npm run bench` (bench/run.mjs runs the Node benchmarks only): it needs a browser and
// takes minutes.
import { spawnSync } from 'node:child_process';

const seconds = Number(process.argv[2] ?? 600);
if (!(seconds > 0)) {
  console.error('usage: node bench/web-rate.mjs [seconds]');
  process.exit(2);
}
const child = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.e2e.config.ts', 'test/e2e/rate.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, VIGIL_RATE_SECONDS: String(seconds), VIGIL_RATE_VERBOSE: '1' },
});
process.exitCode = child.status ?? 1;
