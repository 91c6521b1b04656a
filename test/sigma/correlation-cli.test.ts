/**
 * Correlations from the command line: `vigil run --rules dir/ --sigma-pipeline evtx-json` runs the
 * specification's chained example (ten failed logons, then a success, per user) over evtx_dump
 * JSON, where event time is `Event.System.TimeCreated.#attributes.SystemTime`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVigil } from '../cli/run-cli.js';

const RULES = `title: Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - TargetUserName
    timespan: 10m
level: high
---
title: Multiple failed logons
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Successful login
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
`;

const T0 = Date.parse('2026-03-01T10:00:00Z');
function logon(offsetMs: number, eventId: number, user: string) {
  return {
    Event: {
      System: { Channel: 'Security', EventID: eventId, Computer: 'dc1', TimeCreated: { '#attributes': { SystemTime: new Date(T0 + offsetMs).toISOString() } } },
      EventData: { TargetUserName: user, IpAddress: '10.0.0.7' },
    },
  };
}

describe('correlations with vigil run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-corr-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'mr_brute_force.yml'), RULES);
  writeFileSync(join(dir, 'rules', 'other.vgl'), 'RULE "any success" SOURCES Event.System.EventID = "4624" SINK function (e) { return { user: e.Event.EventData.TargetUserName }; }\n');
  const events = [
    ...Array.from({ length: 10 }, (_, i) => logon(i * 5000, 4625, 'alice')),
    ...Array.from({ length: 9 }, (_, i) => logon(i * 5000 + 1, 4625, 'bob')),
    logon(120_000, 4624, 'bob'),
    logon(121_000, 4624, 'alice'),
    logon(3_600_000, 4688, 'nobody'),
  ].sort((x, y) => x.Event.System.TimeCreated['#attributes'].SystemTime.localeCompare(y.Event.System.TimeCreated['#attributes'].SystemTime));
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');

  it('vigil check: the correlation file is fine', async () => {
    const { code, stdout, stderr } = await runVigil(['check', join(dir, 'rules'), '--sigma-pipeline', 'evtx-json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('rule "Multiple Failed Logins Followed by Successful Login" ok');
  });

  it('vigil run: one alert for alice at her success, none for bob (nine failures); the base rules raise nothing', async () => {
    const { code, stdout, stderr } = await runVigil(['run', '--no-guard', '--rules', join(dir, 'rules'), '--sigma-pipeline', 'evtx-json', join(dir, 'events.jsonl')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const alerts = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => [a.rule, a.TargetUserName ?? a.user])).toEqual([
      ['any success', 'bob'],
      ['any success', 'alice'],
      ['Multiple Failed Logins Followed by Successful Login', 'alice'],
    ]);
    const corr = alerts[2]!;
    expect(corr).toMatchObject({ sigma: { level: 'high', status: 'experimental', correlation: 'temporal_ordered' }, count: 2, time: T0 + 121_000, rules: ['multiple_failed_login', 'successful_login'] });
  });
});
