import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureVigilWasm, root } from './build-wasm.js';

const script = join(root, 'scripts', 'check-wasm-size.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });

beforeAll(async () => {
  await ensureVigilWasm();
});

describe('wasm size budget', () => {
  it('build/vigil.wasm is within the committed budget', () => {
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ok .*vigil\.wasm is \d+ bytes/);
  });

  it('fails with a clear message when over budget', () => {
    const budget = join(mkdtempSync(join(tmpdir(), 'vigil-budget-')), 'budget.json');
    writeFileSync(budget, JSON.stringify({ 'build/vigil.wasm': 100 }));
    const result = run('--budget', budget);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/FAIL .*vigil\.wasm is \d+ bytes, over its budget of 100 bytes/);
  });
});
