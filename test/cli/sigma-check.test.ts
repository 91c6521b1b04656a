/**
 * `vigil sigma check`: a verdict per document, refusals at the line and column of the construct,
 * counts, exit codes, --json and --sigma-pipeline. The expected places are read off the fixture
 * files by hand (test/fixtures/sigma/check), not from the loader.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVigil } from './run-cli.js';

const DIR = 'test/fixtures/sigma/check';
const f = (name: string) => join(DIR, name);

interface Report {
  pipeline: string;
  summary: { files: number; documents: number; supported: number; refused: number; byKind: Record<string, { documents: number; supported: number }>; refusedByCode: Record<string, number> };
  documents: { file: string; line: number; kind: string; title?: string; supported: boolean; errors: { line: number; column: number; code: string; message: string }[]; warnings: { line: number; column: number; code: string }[] }[];
}

describe('vigil sigma check', () => {
  it('walks folders for .yml/.yaml, says supported or refused at file:line:col, counts, exits 1 when something is refused', async () => {
    const { code, stdout, stderr } = await runVigil(['sigma', 'check', DIR, '--sigma-pipeline', 'evtx-json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toContain(`${f('good.yml')}:1: supported rule "Whoami Privileges"`);
    expect(lines).toContain(`${f('linux.yml')}:1: supported rule "Linux Shell"`);
    expect(lines).toContain(`${f('nested/two-docs.yml')}:1: supported rule "First Is Fine"`);
    // The unknown modifier's key, the condition's word naming no selection, the unclosed flow list (YAML sees it end at line 3).
    expect(lines.find((l) => l.startsWith(`${f('nested/bad-modifier.yml')}:7:9: refused rule "Bad Modifier": sigma-modifier: unknown modifier 'nosuch'`))).toBeDefined();
    expect(lines.find((l) => l.startsWith(`${f('nested/two-docs.yml')}:17:34: refused rule "Second Names A Missing Selection": sigma-condition:`))).toBeDefined();
    expect(lines.find((l) => l.startsWith(`${f('broken-yaml.yml')}:3:1:`) && l.includes(': refused file: sigma-yaml:'))).toBeDefined();
    // The pipeline's opinion of a Linux rule is a warning: the rule is supported.
    expect(lines.find((l) => l.startsWith(`${f('linux.yml')}:2:1: warning (rule "Linux Shell"): sigma-logsource:`))).toBeDefined();
    expect(stdout).not.toContain('notes.txt');
    expect(lines.slice(-4)).toEqual(['5 files, 6 documents: 3 supported, 3 refused (0/1 file, 3/5 rules supported)', '  refused for sigma-yaml: 1', '  refused for sigma-modifier: 1', '  refused for sigma-condition: 1']);
  });

  it('--json gives the same verdicts for machines', async () => {
    const { code, stdout } = await runVigil(['sigma', 'check', DIR, '--sigma-pipeline', 'evtx-json', '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.pipeline).toBe('evtx-json');
    expect(report.summary).toMatchObject({ files: 5, documents: 6, supported: 3, refused: 3 });
    const verdicts = report.documents.map((d) => [d.file, d.line, d.kind, d.supported, d.errors.map((e) => `${e.line}:${e.column} ${e.code}`)]);
    expect(verdicts).toEqual([
      [f('broken-yaml.yml'), 1, 'file', false, ['3:1 sigma-yaml']],
      [f('good.yml'), 1, 'rule', true, []],
      [f('linux.yml'), 1, 'rule', true, []],
      [f('nested/bad-modifier.yml'), 1, 'rule', false, ['7:9 sigma-modifier']],
      [f('nested/two-docs.yml'), 1, 'rule', true, []],
      [f('nested/two-docs.yml'), 10, 'rule', false, ['17:34 sigma-condition']],
    ]);
    expect(report.summary.refusedByCode).toEqual({ 'sigma-yaml': 1, 'sigma-modifier': 1, 'sigma-condition': 1 });
  });

  it('exit 0 when every document is supported', async () => {
    const { code, stdout } = await runVigil(['sigma', 'check', f('good.yml'), f('linux.yml')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe('2 files, 2 documents: 2 supported, 0 refused (2/2 rules supported)');
  });

  it('--sigma-pipeline FILE: a pipeline that refuses unknown logsources refuses the Windows rules at their logsource', async () => {
    const { code, stdout } = await runVigil(['sigma', 'check', f('good.yml'), f('linux.yml'), '--sigma-pipeline', join('test/fixtures/sigma', 'only-linux-pipeline.yml'), '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.pipeline).toBe('only-linux');
    expect(report.documents.map((d) => [d.title, d.supported, d.errors.map((e) => `${e.line}:${e.column} ${e.code}`)])).toEqual([
      ['Whoami Privileges', false, ['4:1 sigma-logsource']],
      ['Linux Shell', true, []],
    ]);
  });

  it('a title another file has taken is refused, as vigil run --rules would refuse it', async () => {
    const dir = 'test/fixtures/sigma/duplicate';
    const { code, stdout } = await runVigil(['sigma', 'check', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${dir}/a.yml:1: supported rule "Whoami Privileges"`);
    expect(stdout).toContain(`${dir}/b.yml:1:1: refused rule "Whoami Privileges": rule-exists: rule "Whoami Privileges" already exists (${dir}/a.yml:1)`);
    const run = await runVigil(['check', dir, '--sigma-pipeline', 'evtx-json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('rule "Whoami Privileges" already exists');
  });

  it('usage and input errors exit 2', async () => {
    expect((await runVigil(['sigma', 'check'])).code).toBe(2);
    expect((await runVigil(['sigma'])).code).toBe(2);
    expect((await runVigil(['sigma', 'nosuch', DIR])).code).toBe(2);
    const missing = await runVigil(['sigma', 'check', f('no-such-dir')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-dir');
    const pipeline = await runVigil(['sigma', 'check', DIR, '--sigma-pipeline', 'nosuch']);
    expect(pipeline.code).toBe(2);
    expect(pipeline.stderr).toContain("no built-in pipeline 'nosuch'");
    expect((await runVigil(['sigma', 'convert', f('good.yml'), '--json'])).code).toBe(2);
  });
});
