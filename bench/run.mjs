// `npm run bench [-- name…] [-- --quick]`: runs the named benchmarks (all by default), each printing
// its own figures side by side with its peers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const all = ['rules', 'ingest', 'ioc', 'statetable', 'windows', 'statemachine', 'flows', 'watermark', 'guard', 'native-path', 'redesign', 'threads', 'sigma'];
const argv = process.argv.slice(2);
const names = argv.filter((a) => !a.startsWith('--') && all.includes(a));
const flags = argv.filter((a) => !names.includes(a));
for (const name of names.length ? names : all) {
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  if (!existsSync(file)) {
    console.error(`no benchmark '${name}'`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n=== bench/${name} ===`);
  const child = spawnSync(process.execPath, ['--expose-gc', file, ...flags], { stdio: 'inherit' });
  if (child.status !== 0) process.exitCode = child.status ?? 1;
}
