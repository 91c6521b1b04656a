/**
 * The hostile corpus through `vigil run` (the built command, a real process) and through the HTTP
 * API: the process stays alive, the benign rules' alerts are byte-identical to a run without the
 * case, a refused rule is named with file:line:col, hostile lines are reported with their line
 * number, and the run exits with its documented code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHandler } from '../../src/edge/node/server.js';
import { BENIGN_RULES, CASES, benignEvents, benignOnly, ruleNames, type HostileCase } from './hostile-cases.js';

const VIGIL = join(import.meta.dirname, '../../bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The input: the benign lines with the case's events among them. The oracle of each case is a run
 * over the same input without the hostile rule, so batches are cut at the same lines.
 */
function inputLines(c: HostileCase | undefined): string[] {
  const benign = benignEvents().map((e) => JSON.stringify(e));
  const hostile = (c?.events?.() ?? []).map((e) => JSON.stringify(e));
  const lines = c?.lines?.() ?? [];
  const out: string[] = [];
  const small = hostile.length <= benign.length ? hostile : [];
  const every = small.length ? Math.floor(benign.length / small.length) : Infinity;
  benign.forEach((line, i) => {
    out.push(line);
    if (i === 40) out.push(...lines);
    if (i % every === every - 1 && small.length) out.push(small.shift()!);
    // A big hostile stream (a window's worth) early, while its times are not yet behind the watermark.
    if (i === 0 && hostile.length > benign.length) out.push(...hostile);
  });
  return out;
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

function vigil(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started }));
  });
}

const parseLines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

async function runCli(c: HostileCase | undefined, name: string): Promise<CliRun> {
  const events = join(dir, `${name}.jsonl`);
  writeFileSync(events, inputLines(c).join('\n') + '\n');
  writeFileSync(join(dir, 'benign.vgl'), BENIGN_RULES);
  const args = ['run', '--rules', join(dir, 'benign.vgl')];
  if (c?.rules) {
    writeFileSync(join(dir, `${name}.vgl`), c.rules);
    args.push('--rules', join(dir, `${name}.vgl`));
  }
  return vigil([...args, events]);
}

let baseline: { stdout: string; byCase: Map<string, string> };
beforeAll(async () => {
  const run = await runCli(undefined, 'baseline');
  expect(run.code, run.stderr).toBe(0);
  baseline = { stdout: run.stdout, byCase: new Map() };
  expect(parseLines(run.stdout).length).toBeGreaterThan(100);
}, 60_000);

describe('the hostile corpus through vigil run', () => {
  for (const c of CASES) {
    it(`${c.kind}: ${c.name}`, async () => {
      const name = c.name.replace(/[^a-z0-9]+/gi, '-');
      const run = await runCli(c, name);
      expect(run.signal, run.stderr).toBeNull();
      if (c.outcomes.length === 1 && c.outcomes[0] === 'refused') {
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toMatch(new RegExp(`${name}\\.vgl:\\d+:\\d+`));
        return;
      }
      if (run.code === 1 && c.outcomes.includes('refused')) {
        expect(run.stderr).toMatch(new RegExp(`${name}\\.vgl:\\d+:\\d+`));
        return;
      }
      expect(run.code, run.stderr).toBe(0);
      const alerts = parseLines(run.stdout);
      // The input lines carry the hostile events too; what a run without the hostile rule writes for the benign rules:
      const expected = c.lines ? baseline.stdout : (await runCli({ ...c, rules: undefined }, `${name}-without`)).stdout;
      expect(JSON.stringify(benignOnly(alerts, ruleNames(c.rules)))).toBe(JSON.stringify(benignOnly(parseLines(expected), [])));
      if (c.lines && !c.outcomes.includes('bounded')) expect(run.stderr).toMatch(/\.jsonl:42: /);
      if (c.outcomes.every((o) => o === 'deactivated')) {
        expect(alerts.some((a) => a.rule === 'vigil.rule.deactivated' && ruleNames(c.rules).includes(a.deactivatedRule as string))).toBe(true);
      }
    }, 120_000);
  }
});

const TOKEN = 'hostile-token';
const admin = { authorization: `Bearer ${TOKEN}` };

describe('the hostile corpus through the HTTP API', () => {
  async function runHttp(c: HostileCase | undefined) {
    const { instance, handler } = await createNodeHandler({ env: { VIGIL_TOKEN: TOKEN, VIGIL_ALERT_CAPACITY: '1000000' } });
    try {
      const call = (method: string, path: string, body?: string) => handler(new Request(`http://vigil.test${path}`, { method, body, headers: admin }));
      const put = async (text: string) => {
        for (const rule of text.split(/(?=^RULE )/m).filter((r) => r.trim())) {
          const name = ruleNames(rule)[0];
          const response = await call('PUT', `/rules/${encodeURIComponent(name)}`, rule);
          if (response.status !== 200 && response.status !== 201) return { status: response.status, body: await response.text() };
        }
        return { status: 200, body: '' };
      };
      const benign = await put(BENIGN_RULES);
      expect(benign.status, benign.body).toBe(200);
      if (c?.rules) {
        const hostile = await put(c.rules);
        if (hostile.status !== 200) return { refused: hostile, alerts: [] as Record<string, unknown>[], rejected: [] };
      }
      const posted = await call('POST', '/events', inputLines(c).join('\n'));
      expect(posted.status).toBe(202);
      const { rejected } = (await posted.json()) as { rejected: { line: number; reason: string }[] };
      await call('POST', '/flush');
      // Every alert, page by page (the cursor of one page is where the next starts).
      const alerts: Record<string, unknown>[] = [];
      for (let cursor = ''; ; ) {
        const page = await call('GET', `/alerts?limit=10000${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`);
        const got = parseLines(await page.text());
        alerts.push(...got);
        cursor = page.headers.get('vigil-cursor') ?? '';
        if (!got.length || !cursor) break;
      }
      const metrics = (await (await call('GET', '/metrics')).json()) as { alertsOut: number };
      expect(metrics.alertsOut).toBe(alerts.length);
      return { alerts, rejected };
    } finally {
      instance.engine.dispose();
    }
  }

  let expected: string;
  beforeAll(async () => {
    const base = await runHttp(undefined);
    expected = JSON.stringify(benignOnly(base.alerts, []));
  }, 60_000);

  for (const c of CASES) {
    it(`${c.kind}: ${c.name}`, async () => {
      const result = await runHttp(c);
      if ('refused' in result && result.refused) {
        expect(c.outcomes).toContain('refused');
        expect(result.refused.status).toBe(400);
        expect(result.refused.body).toMatch(/"line":\d+/);
        return;
      }
      const without = c.lines || !c.events ? expected : JSON.stringify(benignOnly((await runHttp({ ...c, rules: undefined })).alerts, []));
      expect(JSON.stringify(benignOnly(result.alerts, ruleNames(c.rules)))).toBe(without);
      if (c.lines && c.outcomes.includes('rejected') && !c.outcomes.includes('bounded')) expect(result.rejected.map((r) => r.line)).toEqual([42]);
    }, 120_000);
  }
});
