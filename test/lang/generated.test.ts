/**
 * CI fails if the committed parser differs from a fresh generation: after editing grammar/*.g4,
 * run `npm run grammar` and commit src/lang/generated.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committed = join(root, 'src', 'lang', 'generated');

describe('generated parser', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'vgl-generated-'));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('is exactly what scripts/generate-grammar.mjs generates from grammar/', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'generate-grammar.mjs'), fresh], { cwd: root, stdio: 'pipe' });
    const files = readdirSync(fresh).sort();
    expect(files).toEqual(['VGLLexer.ts', 'VGLParser.ts']);
    expect(readdirSync(committed).sort()).toEqual(files);
    for (const file of files) {
      const expected = readFileSync(join(fresh, file));
      const actual = readFileSync(join(committed, file));
      expect(actual.equals(expected), `${file} differs from a fresh generation: run npm run grammar`).toBe(true);
    }
  });
});
