#!/usr/bin/env node
// Fails (exit 1) when the release WebAssembly module outgrows its committed budget.
//
//   node scripts/check-wasm-size.mjs [--wasm build/vigil.wasm] [--budget wasm-size-budget.json]
//
// The budget file holds {"build/vigil.wasm": maxBytes}. Raising it is a deliberate, reviewed
// change: say in the commit what the bytes bought.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : resolve(root, fallback);
};
const wasmPath = option('--wasm', 'build/vigil.wasm');
const budgetPath = option('--budget', 'wasm-size-budget.json');

let budget;
try {
  budget = JSON.parse(readFileSync(budgetPath, 'utf8'))['build/vigil.wasm'];
} catch (error) {
  console.error(`check-wasm-size: cannot read ${budgetPath}: ${error.message}`);
  process.exit(1);
}
if (!Number.isInteger(budget) || budget <= 0) {
  console.error(`check-wasm-size: ${budgetPath} must hold {"build/vigil.wasm": <max bytes>}`);
  process.exit(1);
}
let size;
try {
  size = statSync(wasmPath).size;
} catch {
  console.error(`check-wasm-size: ${wasmPath} not found; run \`npm run asbuild\` first`);
  process.exit(1);
}
if (size > budget) {
  console.error(
    `check-wasm-size: FAIL ${wasmPath} is ${size} bytes, over its budget of ${budget} bytes by ${size - budget}.\n` +
      `Shrink the module, or raise the budget in ${budgetPath} and say why in the commit.`,
  );
  process.exit(1);
}
console.log(`check-wasm-size: ok ${wasmPath} is ${size} bytes (budget ${budget}, ${budget - size} to spare)`);
