/**
 * `vigil run --max-held-events` / `--max-state-keys`: a flood of spoofed sources fills one rule's
 * bound, is reported, and leaves another rule's alerts as they are without the flood (the oracle).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVigil } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-state-limits-'));
const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);
const rules = join(dir, 'rules.vgl');
writeFileSync(
  rules,
  `RULE "per source"
SOURCES kind = "conn"
USING ts
AGGREGATE BY src
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 3; }
SINK function (w) { return { src: w.src, count: w.count }; }

RULE "sessions"
SOURCES kind = "auth"
USING ts
STATE MACHINE BY user ON type
  INITIAL: login -> IN;
  IN: logout -> TERM;
SINK function (a) { return { user: a.key.user, state: a.state, type: a.eventType }; }

RULE "per user"
SOURCES kind = "auth"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= 2; }
SINK function (w) { return { user: w.user, count: w.count }; }
`,
);
const lines: string[] = [];
let t = T0;
for (let minute = 0; minute < 5; minute++) {
  t = T0 + minute * 60_000;
  for (let i = 0; i < 3; i++) lines.push(JSON.stringify({ kind: 'auth', user: `u${minute}`, type: 'login', ts: (t += 100) }));
  for (let i = 0; i < 400; i++) lines.push(JSON.stringify({ kind: 'conn', src: `198.51.100.${i % 250}.${minute}`, ts: (t += 100) }));
}
const authOnly = join(dir, 'auth.jsonl');
const flooded = join(dir, 'flooded.jsonl');
writeFileSync(flooded, lines.join('\n') + '\n');
writeFileSync(authOnly, lines.filter((l) => l.includes('"auth"')).join('\n') + '\n');

const authAlerts = (stdout: string) => stdout.split('\n').filter((l) => l.includes('"sessions"') || l.includes('"per user"'));

describe('vigil run: per-rule state bounds', () => {
  it('--max-held-events and --max-state-keys shed the flood, report it, and leave other rules alone', async () => {
    const oracle = await runVigil(['run', '--rules', rules, authOnly]);
    expect(oracle.code, oracle.stderr).toBe(0);
    expect(authAlerts(oracle.stdout).length).toBeGreaterThan(5);
    const run = await runVigil(['run', '--rules', rules, '--max-held-events', '100', '--max-state-keys', '3', '--metrics', flooded]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/vigil\.state-limit.*per source.*its windows hold 100 events \(maxHeldEvents\)/);
    expect(run.stderr).toMatch(/vigil\.state-limit.*sessions.*its state machine holds 3 keys \(maxStateKeys\)/);
    // "sessions" holds u0…u2 logged in; u3 and u4 are shed, so their repeated logins raise nothing.
    const sessions = authAlerts(run.stdout).filter((l) => l.includes('"sessions"'));
    expect(sessions.map((l) => JSON.parse(l).user)).toEqual(['u0', 'u0', 'u1', 'u1', 'u2', 'u2']);
    // "per user" is not flooded: its alerts are those of the run without the flood.
    const perUser = (stdout: string) => authAlerts(stdout).filter((l) => l.includes('"per user"'));
    expect(perUser(run.stdout)).toEqual(perUser(oracle.stdout));
    const metrics = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { rules: Record<string, { shed: number }> };
    // 400 connections a minute against a bound of 100: 300 shed in each of the 5 minutes.
    expect(metrics.rules['per source']!.shed).toBe(5 * 300);
    expect(metrics.rules['sessions']!.shed).toBe(2 * 3);
  });

  it('refuses a bound that is not a positive whole number', async () => {
    const run = await runVigil(['run', '--rules', rules, '--max-held-events', '0', authOnly]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--max-held-events takes a positive whole number/);
  });
});
