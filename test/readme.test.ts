/** The README is the user's manual: its examples must run as shown. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../src/lang/index.js';

const readme = readFileSync('README.md', 'utf8');
const blocks = (lang: string) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

describe('README', () => {
  it('has VGL examples that parse without diagnostics', () => {
    const examples = blocks('vgl');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const text of examples) expect(parseRules(text, 'README.md').diagnostics).toEqual([]);
  });

  it('shows the rules of examples/auth.vgl and the exact output of the first run', () => {
    const rulesFile = readFileSync('examples/auth.vgl', 'utf8');
    expect(rulesFile).toContain(blocks('vgl')[0].trim());
    const command = readme.match(/\.\/bin\/vigil run --rules examples\/auth\.vgl[^\n]*\\\n[^\n]*/)![0].replace('\\\n', ' ');
    const args = command.split(/\s+/).filter(Boolean).slice(1);
    const out = execFileSync('./bin/vigil', args, { encoding: 'utf8' });
    expect(out).toBe(blocks('jsonl')[0]);
  });

  it('shows what vigil check prints for a slide longer than its window', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-readme-'));
    writeFileSync(join(dir, 'broken.vgl'), 'RULE "a"\nSOURCES k = "v"\nAGGREGATE BY user\nWITHIN 1:min, 2:min\nSINK function (e) { return e; }\n');
    const shown = readme.match(/\$ vigil check broken\.vgl\n([\s\S]*?)```/)![1];
    const r = spawnSync(join(process.cwd(), 'bin/vigil'), ['check', 'broken.vgl'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(shown);
  });
});
