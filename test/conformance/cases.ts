/** Reads test/conformance/cases/<name>/ into ConformanceCase data (Node only). */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceCase } from './browser-harness.js';

export const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));

export function entriesOf(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export function loadCase(name: string): ConformanceCase & { eventLines: string[] } {
  const dir = join(CASES_DIR, name);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const eventLines = read('events.jsonl').split('\n').filter((l) => l.trim());
  const iocs: Record<string, string[]> = {};
  if (existsSync(join(dir, 'iocs'))) {
    for (const file of readdirSync(join(dir, 'iocs')).sort()) iocs[basename(file, '.txt')] = entriesOf(readFileSync(join(dir, 'iocs', file), 'utf8'));
  }
  const meta = existsSync(join(dir, 'case.json')) ? (JSON.parse(read('case.json')) as { engine?: ConformanceCase['engine'] }) : {};
  const expected = existsSync(join(dir, 'expected.jsonl')) ? read('expected.jsonl').split('\n').filter((l) => l.trim()) : undefined;
  return {
    name,
    rules: read('rules.vgl'),
    events: eventLines.map((l) => JSON.parse(l) as Record<string, unknown>),
    eventLines,
    iocs,
    engine: meta.engine ?? {},
    expected,
  };
}

export function loadCases(): ReturnType<typeof loadCase>[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map(loadCase);
}

export function writeExpected(name: string, alerts: string[]): void {
  writeFileSync(join(CASES_DIR, name, 'expected.jsonl'), alerts.map((a) => a + '\n').join(''));
}
