/**
 * The README's Sigma coverage table is the output of scripts/sigma-coverage.mjs over the corpus,
 * pasted between the markers `<!-- sigma-coverage -->` and `<!-- /sigma-coverage -->`: when the
 * loader, the pipelines, the converter or the corpus change, this test says to paste it again.
 * The script runs on the build (dist/), like the README's other examples.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sigmaMaterialDir } from '../sigma/helpers.js';

const ROOT = sigmaMaterialDir();

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe.skipIf(!ROOT)('the README Sigma coverage table', () => {
  it('is what scripts/sigma-coverage.mjs prints', { timeout: 300_000 }, () => {
    const table = execFileSync('node', ['scripts/sigma-coverage.mjs', '--corpus', ROOT!], { encoding: 'utf8' });
    // A recount that does not go through the loader: one rule per `title:` at the start of a document.
    const titles = ['rules', 'rules-emerging-threats', 'rules-threat-hunting']
      .flatMap((f) => yamlFiles(join(ROOT!, f)))
      .reduce((n, file) => n + (readFileSync(file, 'utf8').match(/^title:/gm) ?? []).length, 0);
    const all = /^\| \*\*all\*\* \| ([\d,]+) \|/m.exec(table);
    expect(Number(all![1]!.replace(/,/g, ''))).toBe(titles);
    const readme = readFileSync('README.md', 'utf8');
    const shown = /<!-- sigma-coverage -->\n([\s\S]*?)<!-- \/sigma-coverage -->/.exec(readme);
    expect(shown, 'README.md has no <!-- sigma-coverage --> … <!-- /sigma-coverage --> section: paste the output of node scripts/sigma-coverage.mjs between the markers').not.toBeNull();
    expect(shown![1]).toBe(table);
  });
});
