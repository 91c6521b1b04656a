/**
 * The views added for state machines, in Chromium on the built app: an injected network anomaly
 * shows in Alerts and, opened from there, in the state-machine debugger with its key's trail and
 * the red (invalid) transition; pause and step; the dashboard map; a replayed .jsonl.gz reaches
 * 100 % with the alert count the Node engine gives for the same file; the benchmarks; a reload
 * restores the engine checkpoint (a state count survives); no view logs an error.
 * At its key steps, at 390×844, 768×1024 and 1440×900: what the step needs can be reached and used
 * (test/e2e/sizes.ts); screenshots go to test-artifacts/<step>-WxH.png.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { createGenerator } from '../../src/simulate/index.js';
import { DEFAULTS } from '../../web/defaults.js';
import { ARTIFACTS, chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';

const MACHINE_RULE = 'protocol violation';

/** A replay file: network traffic with violations, and the number of alerts the default rules raise on it (Node engine). */
async function replayFixture(): Promise<{ path: string; expected: number; events: number }> {
  const generator = createGenerator('network', { seed: 11, rate: 500, startTime: Date.UTC(2026, 0, 1), errorProbability: 0.01 });
  const events = generator.take(20_000).map((t) => t.event);
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n{"not": "closed"\n';
  const path = `${ARTIFACTS}/replay-network.jsonl.gz`;
  writeFileSync(path, gzipSync(text));
  const engine = await createNodeEngine();
  for (const [name, entries] of Object.entries(DEFAULTS.iocLists)) {
    engine.iocs.create(name, { capacity: Math.max(1024, entries.length * 2) });
    engine.iocs.add(name, entries);
  }
  for (const [name, entries] of Object.entries(DEFAULTS.tables)) engine.tables.create(name, entries);
  expect(engine.putRules(DEFAULTS.rules).ok).toBe(true);
  let expected = 0;
  engine.onAlert(() => expected++);
  for (let i = 0; i < events.length; i += 2000) engine.push(events.slice(i, i + 2000));
  engine.flush();
  engine.dispose();
  return { path, expected, events: events.length };
}

describe.skipIf(!chromiumAvailable())('state machines, map, replay, benchmarks, checkpoints (built app) in Chromium', () => {
  const app = useBuiltApp();


  it('shows an injected network anomaly in Alerts and, from there, its key in the debugger with the red transition', async () => {
    await app.page.goto(`${app.server.url}#/simulator`);
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    for (let i = 0; i < 5; i++) await app.page.locator('[data-testid=sim-inject]').click();
    await app.page.goto(`${app.server.url}#/alerts?rule=${encodeURIComponent(MACHINE_RULE)}`);
    await app.rows().first().waitFor({ timeout: 60_000 });
    await app.rows().first().click();
    await expect.poll(() => app.page.locator('[data-testid=detail-rule]').textContent()).toBe(MACHINE_RULE);
    await app.page.locator('[data-testid=open-debugger]').click();
    await expect.poll(() => app.page.evaluate(() => decodeURIComponent(location.hash))).toMatch(/^#\/debugger\/protocol violation\?key=10\./);
    const graph = app.page.locator('[data-testid=machine-graph]');
    await graph.waitFor();
    // The graph: every state with its count of keys, the key's trail with the red invalid step.
    for (const state of ['INITIAL', 'W', 'X', 'Y', 'Z', 'TERM']) expect(await graph.locator(`[data-state="${state}"]`).count()).toBe(1);
    await graph.locator('[data-testid=trail-invalid]').first().waitFor({ timeout: 10_000 });
    expect(await app.page.locator('[data-testid=trail-step][data-valid=false]').count()).toBeGreaterThan(0);
    expect(await app.page.locator('[data-testid=live-keys]').textContent()).not.toBe('0');
    await atEverySize(app.page, 'debugger', {
      'the key': app.page.locator('[data-testid=debugger-key]'),
      'the red transition': graph.locator('[data-testid=trail-invalid]'),
      'the red step': app.page.locator('[data-testid=trail-step][data-valid=false]'),
      'the scrubber': app.page.locator('[data-testid=trail-scrub]'),
      'pause the stream': app.page.locator('[data-testid=debugger-stream]'),
      'step': app.page.locator('[data-testid=debugger-step]'),
      'the live keys': app.page.locator('[data-testid=live-keys]'),
    });

    // Scrub back to the first step of the trail: the cursor moves, the slider follows.
    const scrub = app.page.locator('[data-testid=trail-scrub]');
    await scrub.fill('0');
    expect(await app.page.locator('[data-testid=trail-step].sel').count()).toBe(1);
    expect(await app.page.locator('[data-testid=trail-step]').first().getAttribute('class')).toContain('sel');

    // Pause the stream and step: one event reaches the machine, for some key.
    await app.page.locator('[data-testid=debugger-stream]').click();
    await expect.poll(() => app.page.locator('[data-testid=debugger-stream]').textContent()).toContain('Resume stream');
    await app.page.getByRole('button', { name: '✕' }).click();
    await app.page.locator('[data-testid=debugger-step]').click();
    await expect.poll(() => app.page.evaluate(() => decodeURIComponent(location.hash)), { timeout: 15_000 }).toMatch(/key=10\./);
    await app.page.locator('[data-testid=trail-step]').first().waitFor();
    await app.shot('debugger-step');
    await app.page.locator('[data-testid=debugger-stream]').click();
    await expect.poll(() => app.page.locator('[data-testid=debugger-stream]').textContent()).toContain('Pause stream');
  });

  it('draws violations per network location on the dashboard map', async () => {
    await app.page.goto(`${app.server.url}#/dashboard`);
    await app.page.locator('[data-testid=world-map]').waitFor();
    await expect.poll(() => app.page.locator('[data-testid=map-point]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await app.page.waitForTimeout(1500);
    await atEverySize(app.page, 'dashboard-map', { 'the map': app.page.locator('[data-testid=world-map]') });
  });

  it('replays a .jsonl.gz file to 100 % with the right alert count, shown in the Alerts view', async () => {
    const fixture = await replayFixture();
    expect(fixture.expected).toBeGreaterThan(0);
    await app.page.goto(`${app.server.url}#/replay`);
    await app.page.locator('[data-testid=replay-file]').setInputFiles(fixture.path);
    await expect.poll(() => app.page.locator('[data-testid=replay-percent]').textContent(), { timeout: 90_000 }).toBe('100%');
    expect(await app.page.locator('[data-testid=replay-progress]').getAttribute('aria-valuenow')).toBe('100');
    const value = async (testid: string) => Number(await app.page.locator(`[data-testid=${testid}]`).getAttribute('data-value'));
    expect(await value('replay-events')).toBe(fixture.events);
    expect(await value('replay-alerts')).toBe(fixture.expected);
    await atEverySize(app.page, 'replay', {
      'the progress': app.page.locator('[data-testid=replay-progress]'),
      'the alert count': app.page.locator('[data-testid=replay-alerts]'),
      'show the alerts': app.page.locator('[data-testid=replay-show-alerts]'),
    });
    await app.page.locator('[data-testid=replay-show-alerts]').click();
    await expect.poll(() => app.page.evaluate(() => location.hash)).toContain('source=replay');
    expect(await value('replay-alert-total')).toBe(fixture.expected);
    expect(await app.rows().count()).toBeGreaterThan(0);
    await app.shot('alerts-replay');
  });

  it('runs a benchmark of src/bench in the worker and charts it', async () => {
    await app.page.goto(`${app.server.url}#/benchmarks`);
    const cards = app.page.locator('[data-testid=bench-card]');
    await cards.first().waitFor({ timeout: 30_000 });
    await cards.first().locator('[data-testid=bench-run]').click();
    await cards.first().locator('[data-testid=bench-chart]').waitFor({ timeout: 90_000 });
    expect(await cards.first().locator('[data-testid=bench-table] tbody tr').count()).toBeGreaterThan(1);
    await atEverySize(app.page, 'benchmarks', {
      'Run': cards.first().locator('[data-testid=bench-run]'),
      'the chart': cards.first().locator('[data-testid=bench-chart]'),
      'a result': cards.first().locator('[data-testid=bench-table] tbody tr td').first(),
    });
  });

  it('restores open windows and state machines after a reload (engine checkpoint in IndexedDB)', async () => {
    await app.page.goto(`${app.server.url}#/debugger/${encodeURIComponent(MACHINE_RULE)}`);
    await app.page.locator('[data-testid=machine-graph]').waitFor();
    // Pause the stream so the state stops moving, then wait for a checkpoint taken after that.
    await app.page.locator('[data-testid=debugger-stream]').click();
    await expect.poll(() => app.page.locator('[data-testid=debugger-stream]').textContent()).toContain('Resume stream');
    const pausedAt = Date.now();
    await expect.poll(async () => Number(await app.page.locator('[data-testid=checkpoint-info]').getAttribute('data-time')), { timeout: 30_000 }).toBeGreaterThan(pausedAt + 500);
    const counts = async () => app.page.locator('[data-testid=state-count]').allTextContents();
    const before = await counts();
    const liveBefore = await app.page.locator('[data-testid=live-keys]').textContent();
    expect(liveBefore).not.toBe('0');

    await app.page.reload();
    await app.page.locator('[data-testid=machine-graph]').waitFor({ timeout: 30_000 });
    await expect.poll(() => app.page.locator('[data-testid=checkpoint-info]').getAttribute('data-restored'), { timeout: 30_000 }).toBe('true');
    await expect.poll(() => app.page.locator('[data-testid=live-keys]').textContent()).toBe(liveBefore);
    expect(await counts()).toEqual(before);
    await atEverySize(app.page, 'debugger-restored', {
      'the checkpoint': app.page.locator('[data-testid=checkpoint-info]'),
      'a state count': app.page.locator('[data-testid=state-count]'),
    });
    await app.page.locator('[data-testid=debugger-stream]').click();
    await expect.poll(() => app.page.locator('[data-testid=debugger-stream]').textContent()).toContain('Pause stream');
  });

  it('logs no app.errors on any view', async () => {
    for (const view of ['rules', 'alerts', 'dashboard', 'simulator', 'debugger', 'replay', 'benchmarks']) {
      await app.page.goto(`${app.server.url}#/${view}`);
      await app.page.waitForTimeout(600);
    }
    expect(app.errors).toEqual([]);
  });
});
