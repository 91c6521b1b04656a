/**
 * Exit status of every command, through the real `bin/vigil` (built dist/): 0 ran, 1 rule errors,
 * 2 usage or unreadable input, 3 a runtime failure (here: output to a full disk, /dev/full).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = join(process.cwd(), 'bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-exit-'));
const path = (name: string) => join(dir, name);
const fullDisk = existsSync('/dev/full');

let full: number | undefined;
beforeAll(() => {
  writeFileSync(path('good.vgl'), 'RULE "all"\nSOURCES kind = "e"\nSINK function (e) { return e; }\n');
  writeFileSync(path('bad.vgl'), 'RULE "broken"\nSOURCES kind = "e"\nSINK function (e) { return e; \n');
  const events = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ kind: 'e', i })).join('\n') + '\n';
  writeFileSync(path('events.jsonl'), events);
  writeFileSync(path('corrupt.jsonl.gz'), gzipSync(events).subarray(0, 200));
  if (fullDisk) full = openSync('/dev/full', 'w');
});
afterAll(() => {
  if (full !== undefined) closeSync(full);
});

/** Runs bin/vigil; `stdout: 'full'` sends standard output to /dev/full. */
function vigil(args: string[], options: { stdout?: 'full'; input?: string } = {}): { status: number | null; stderr: string } {
  const r = spawnSync(bin, args, {
    input: options.input ?? '',
    stdio: ['pipe', options.stdout === 'full' ? full! : 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('exit status (regression: a runtime failure exited 1, the code of rule errors)', () => {
  it('run: 0, 1, 2 (usage, missing input, corrupt gzip), 3 (output to a full disk)', () => {
    expect(vigil(['run', '--rules', path('good.vgl'), path('events.jsonl')]).status).toBe(0);
    expect(vigil(['run', '--rules', path('bad.vgl'), path('events.jsonl')]).status).toBe(1);
    expect(vigil(['run', '--rules', path('good.vgl'), '--no-such-flag']).status).toBe(2);
    expect(vigil(['run', '--rules', path('good.vgl'), path('missing.jsonl')]).status).toBe(2);
    const corrupt = vigil(['run', '--rules', path('good.vgl'), path('corrupt.jsonl.gz')]);
    expect(corrupt.stderr).toMatch(/corrupt\.jsonl\.gz: gzip: unexpected end of file after line \d+\n$/);
    expect(corrupt.status).toBe(2);
    if (!fullDisk) return;
    const failed = vigil(['run', '--rules', path('good.vgl'), '--out', '/dev/full', path('events.jsonl')]);
    expect(failed.stderr).toMatch(/^vigil: runtime failure: ENOSPC/m);
    expect(failed.status).toBe(3);
    expect(vigil(['run', '--rules', path('good.vgl'), path('events.jsonl')], { stdout: 'full' }).status).toBe(3);
  }, 120_000);

  it('check: 0, 1, 2 (usage, missing file), 3 (output to a full disk)', () => {
    expect(vigil(['check', path('good.vgl')]).status).toBe(0);
    expect(vigil(['check', path('bad.vgl')]).status).toBe(1);
    expect(vigil(['check']).status).toBe(2);
    expect(vigil(['check', path('missing.vgl')]).status).toBe(2);
    if (fullDisk) expect(vigil(['check', path('good.vgl')], { stdout: 'full' }).status).toBe(3);
  }, 120_000);

  it('simulate: 0, 2 (unknown generator, bad count), 3 (output to a full disk)', () => {
    expect(vigil(['simulate', 'noise', '--count', '10']).status).toBe(0);
    expect(vigil(['simulate', 'nothing']).status).toBe(2);
    expect(vigil(['simulate', 'noise', '--count', 'many']).status).toBe(2);
    if (!fullDisk) return;
    expect(vigil(['simulate', 'noise', '--count', '100000'], { stdout: 'full' }).status).toBe(3);
    expect(vigil(['simulate', 'noise', '--count', '100', '--out', '/dev/full']).status).toBe(3);
  }, 120_000);

  it('collect: 0, 1, 2 (usage, missing rules), 3 (output to a full disk)', () => {
    expect(vigil(['collect', '--udp', '127.0.0.1:0', '--rules', path('good.vgl'), '--duration', '50']).status).toBe(0);
    expect(vigil(['collect', '--udp', '127.0.0.1:0', '--rules', path('bad.vgl'), '--duration', '50']).status).toBe(1);
    expect(vigil(['collect', '--rules', path('good.vgl')]).status).toBe(2);
    expect(vigil(['collect', '--udp', '127.0.0.1:0', '--rules', path('missing.vgl')]).status).toBe(2);
    if (fullDisk) expect(vigil(['collect', '--udp', '127.0.0.1:0', '--rules', path('good.vgl'), '--duration', '50', '--metrics'], { stdout: 'full' }).status).toBe(3);
  }, 120_000);

  it('train: 0, 2 (usage, missing input)', () => {
    const flows = path('flows.jsonl');
    expect(vigil(['simulate', 'flows', '--count', '3000', '--out', flows]).status).toBe(0);
    expect(vigil(['train', flows, '--out', path('model.json')]).status).toBe(0);
    expect(vigil(['train', flows]).status).toBe(2);
    expect(vigil(['train', path('missing.jsonl'), '--out', path('model.json')]).status).toBe(2);
  }, 120_000);

  it('no command, an unknown command: 2; help: 0', () => {
    expect(vigil([]).status).toBe(2);
    expect(vigil(['frobnicate']).status).toBe(2);
    expect(vigil(['help']).status).toBe(0);
  }, 120_000);
});
