/**
 * `vigil run --format cef` and `--output-format cef`. The oracle for CEF input is the same events
 * as JSON lines (the fields a CEF reader names them by, written by hand here): both runs must raise
 * the same alerts. For CEF output, each line read back (from-cef) holds the fields of the JSON
 * alert of the same run with JSON output, one line per alert, whatever the values hold.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCef } from '../../src/io/from-cef.js';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cef-'));
const RULES = `
RULE "failed login"
SOURCES name = "failed login"
SINK function (e) { return { user: e.sourceUserName, sourceAddress: e.sourceAddress, port: e.destinationPort, message: e.message, severity: 'high' }; }
`;

const HOSTILE = ['plain', 'a=b', 'pipe|d', 'back\\slash', 'two\nlines', 'cr\rhere', ' x src=6.6.6.6', 'end\\', 'é😀', 'msg=x\\=y'];

/** The events, as objects under CEF's full names, and as CEF lines written here by hand. */
function events(count: number) {
  const objects: Record<string, unknown>[] = [];
  const cef: string[] = [];
  const esc = (s: string) => s.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  for (let i = 0; i < count; i++) {
    const name = i % 3 ? 'failed login' : 'login';
    const user = `u${i % 5}`;
    const message = HOSTILE[i % HOSTILE.length]!;
    objects.push({ cefVersion: 0, deviceVendor: 'Acme', deviceProduct: 'SSH', deviceVersion: '1', deviceEventClassId: '4625', name, severity: '5', sourceAddress: `10.0.0.${i % 250}`, destinationPort: 22, sourceUserName: user, message });
    cef.push(`CEF:0|Acme|SSH|1|4625|${name}|5|src=10.0.0.${i % 250} dpt=22 suser=${user} msg=${esc(message)}`);
  }
  return { objects, cef };
}

async function run(args: string[], input: string, name: string) {
  const file = join(dir, name);
  writeFileSync(file, input);
  const rules = join(dir, 'rules.vgl');
  writeFileSync(rules, RULES);
  const out = join(dir, `${name}.out`);
  const r = await runVigil(['run', '--rules', rules, '--out', out, ...args, file]);
  return { ...r, lines: readFileSync(out, 'utf8').split('\n').slice(0, -1) };
}

describe('vigil run with CEF', () => {
  for (const guard of [[], ['--no-guard']]) {
    it(`--format cef raises the alerts the same events raise as JSON lines ${guard.join(' ')}`, async () => {
      const { objects, cef } = events(400);
      const fromJson = await run(guard, objects.map((o) => JSON.stringify(o)).join('\n') + '\n', 'events.jsonl');
      const fromCef = await run(['--format', 'cef', ...guard], cef.join('\n') + '\nnot cef\n', 'events.cef');
      expect(fromJson.code).toBe(0);
      expect(fromCef.code).toBe(0);
      expect(fromCef.stderr).toBe(`${join(dir, 'events.cef')}:401: not CEF: no "CEF:" marker\n`);
      expect(fromJson.lines.length).toBe(objects.filter((o) => o.name === 'failed login').length);
      expect(fromCef.lines).toEqual(fromJson.lines);
    });

    it(`--output-format cef writes each alert as one CEF line holding the JSON alert's fields ${guard.join(' ')}`, async () => {
      const { objects } = events(200);
      const input = objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
      const json = await run(guard, input, 'out.jsonl');
      const cef = await run(['--output-format', 'cef', ...guard], input, 'out-cef.jsonl');
      expect(cef.code).toBe(0);
      expect(cef.lines.length).toBe(json.lines.length);
      cef.lines.forEach((line, i) => {
        const alert = JSON.parse(json.lines[i]!) as Record<string, unknown>;
        const read = parseCef(line);
        if (!read.ok) throw new Error(read.reason);
        expect(read.event).toEqual({
          cefVersion: 0,
          deviceVendor: 'Vigil',
          deviceProduct: 'Vigil',
          deviceVersion: 'test',
          deviceEventClassId: alert.rule,
          name: alert.rule,
          severity: 'high',
          user: alert.user,
          sourceAddress: alert.sourceAddress,
          port: String(alert.port),
          message: alert.message,
        });
        expect(line.startsWith('CEF:0|Vigil|Vigil|test|failed login|failed login|High|')).toBe(true);
      });
    });
  }

  it('an unknown --output-format is a usage error', async () => {
    const r = await runVigil(['run', '--rules', join(dir, 'rules.vgl'), '--output-format', 'xml', join(dir, 'events.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--output-format takes jsonl, cef, got 'xml'");
  });
});
