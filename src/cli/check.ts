/** `vigil check`: diagnostics for rule files, exit 0 when there are no errors. */
import { UsageError, writeAll, type CliIO } from './io.js';
import { hasErrors, printDiagnostics, setUpEngine } from './setup.js';

export interface CheckSpec {
  rules: readonly string[];
  iocs: readonly string[];
  tables: readonly string[];
  /** Built-in Sigma pipeline name or pipeline file. */
  sigmaPipeline?: string;
}

export async function runCheck(spec: CheckSpec, io: CliIO): Promise<number> {
  if (!spec.rules.length) throw new UsageError('check needs at least one rules file or directory');
  const setup = await setUpEngine({ ...spec, listPathRequired: false }, {});
  try {
    await printDiagnostics(io, setup.diagnostics);
    const errors = setup.diagnostics.filter((d) => d.severity === 'error').length;
    if (hasErrors(setup.diagnostics)) {
      await writeAll(io.stderr, `${errors} error${errors === 1 ? '' : 's'} in ${setup.files.length} file${setup.files.length === 1 ? '' : 's'}\n`);
      return 1;
    }
    for (const rule of setup.engine.rules()) {
      const where = rule.functions.map((f) => `${f.phase} ${f.mode}${f.reason ? ` (${f.reason})` : ''}`).join(', ');
      await writeAll(io.stdout, `${rule.file}: rule "${rule.name}" ok — ${rule.kind}; ${where}\n`);
    }
    return 0;
  } finally {
    setup.engine.dispose();
  }
}
