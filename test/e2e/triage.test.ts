/**
 * Alert triage in Chromium on the built app, with the simulator's alerts (the simulator paused so
 * the set holds still): the JSONL export of the whole view is the oracle the test recounts from —
 * group counts equal a recount by rule; a brush over the histogram narrows the table to the alerts
 * whose event time is in the range (recounted); sorting orders the table and the export alike; the
 * export (JSONL and CSV) holds the rows shown, in their order; a status set on an alert and on a
 * group, with who and when, survives a reload (IndexedDB).
 * At its key steps, at 390×844, 768×1024 and 1440×900: what the step needs can be reached and used
 * (test/e2e/sizes.ts); screenshots go to test-artifacts/<step>-WxH.png.
 */
import { readFileSync } from 'node:fs';
import { csvParse } from 'd3-dsv';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';

interface Exported {
  id: number;
  at: string;
  eventTime: string | null;
  status: string;
  statusBy?: string;
  statusAt?: string;
  alert: { rule: string; [k: string]: unknown };
}

async function download(page: Page, testid: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${testid}]`).click()]);
  return readFileSync((await file.path())!, 'utf8');
}

async function exportJsonl(page: Page): Promise<Exported[]> {
  return (await download(page, 'export-jsonl'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Exported);
}

const shown = (page: Page) => page.locator('[data-testid=alert-count]').getAttribute('data-shown').then(Number);
const domIds = (page: Page) => page.locator('[data-testid=alert-row]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));

describe.skipIf(!chromiumAvailable())('alert triage (built app) in Chromium', () => {
  const app = useBuiltApp();
  let all: Exported[] = [];

  it('groups by rule with counts equal to a recount of the export', async () => {
    await app.page.goto(app.server.url);
    await app.rows().first().waitFor({ timeout: 60_000 });
    // Alerts of several rules, with event times (the windows of the warm-up), then hold the set still.
    await expect.poll(() => app.rows().count(), { timeout: 60_000 }).toBeGreaterThan(20);
    await app.page.goto(`${app.server.url}#/simulator`);
    await app.page.locator('[data-testid=sim-toggle]').click();
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent()).toBe('Paused');
    await app.page.goto(`${app.server.url}#/alerts`);
    await app.rows().first().waitFor();
    // The last batch in flight lands; then the count holds.
    let last = -1;
    await expect
      .poll(async () => {
        const n = await shown(app.page);
        const stable = n === last;
        last = n;
        return stable;
      }, { timeout: 20_000, interval: 1500 })
      .toBe(true);
    all = await exportJsonl(app.page);
    expect(all.length).toBe(await shown(app.page));
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((a) => a.eventTime !== null)).toBe(true);
    // Whole alerts: the page's copies carry a window's first events, the export asks the worker for all.
    const brute = all.filter((a) => a.alert.rule === 'brute force');
    expect(brute.length).toBeGreaterThan(0);
    for (const a of brute) expect((a.alert.events as unknown[]).length).toBe(a.alert.failures);
    expect(all.filter((a) => 'omittedEvents' in a)).toEqual([]);

    await app.page.locator('[data-testid=alert-group-by]').selectOption('rule');
    const groups = app.page.locator('[data-testid=alert-group]');
    await groups.first().waitFor();
    const got = new Map(await groups.evaluateAll((els) => els.map((e) => [e.getAttribute('data-value')!, Number(e.getAttribute('data-count'))] as [string, number])));
    const recount = new Map<string, number>();
    for (const a of all) recount.set(a.alert.rule, (recount.get(a.alert.rule) ?? 0) + 1);
    expect(got).toEqual(recount);
    await atEverySize(app.page, 'triage-groups', {
      'group by': app.page.locator('[data-testid=alert-group-by]'),
      "a group's name": groups.first().locator('.gv'),
      "a group's count": groups.first().locator('[data-testid=group-count]'),
      "a group's Close": groups.first().locator('[data-testid=group-closed]'),
      'the histogram': app.page.locator('[data-testid=alert-histogram]'),
      '⤓ JSONL': app.page.locator('[data-testid=export-jsonl]'),
      '⤓ CSV': app.page.locator('[data-testid=export-csv]'),
    });
    await app.page.locator('[data-testid=alert-group-by]').selectOption('');
  });

  it('narrows the table to a brushed time range: the count of a recount, the export the rows shown', async () => {
    const chart = app.page.locator('[data-testid=alert-histogram]');
    await chart.waitFor();
    const box = (await chart.boundingBox())!;
    const y = box.y + box.height / 2 - 8;
    await app.page.mouse.move(box.x + box.width * 0.25, y);
    await app.page.mouse.down();
    await app.page.mouse.move(box.x + box.width * 0.8, y, { steps: 6 });
    await app.page.mouse.up();
    const range = app.page.locator('[data-testid=time-range]');
    await range.waitFor();
    const from = Number(await range.getAttribute('data-from'));
    const to = Number(await range.getAttribute('data-to'));
    const inRange = all.filter((a) => a.eventTime !== null && Date.parse(a.eventTime) >= from && Date.parse(a.eventTime) < to);
    expect(inRange.length).toBeGreaterThan(0);
    await expect.poll(() => shown(app.page)).toBe(inRange.length);
    expect(inRange.length).toBeLessThan(all.length);
    await atEverySize(app.page, 'triage-brush', {
      'the time range': range,
      'clear the range': app.page.locator('[data-testid=clear-range]'),
      'the histogram': chart,
      'sort by rule': app.page.locator('[data-testid=sort-rule]'),
      "an alert's rule": app.rows().first().locator('.r'),
      'the count shown': app.page.locator('[data-testid=alert-count]'),
    });

    // Sorted by rule: the table and the export in the same order, the export the rows shown.
    await app.page.locator('[data-testid=sort-rule]').click();
    const sorted = await exportJsonl(app.page);
    expect(new Set(sorted.map((a) => a.id))).toEqual(new Set(inRange.map((a) => a.id)));
    const rules = sorted.map((a) => a.alert.rule);
    expect(rules).toEqual([...rules].sort().reverse());
    const ids = await domIds(app.page);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual(sorted.slice(0, ids.length).map((a) => a.id));
    const csv = csvParse(await download(app.page, 'export-csv'));
    expect(csv.map((r) => Number(r.id))).toEqual(sorted.map((a) => a.id));
    expect(csv.map((r) => r.rule)).toEqual(rules);
    expect(csv.map((r) => r.eventTime)).toEqual(sorted.map((a) => a.eventTime ?? ''));
    await app.page.locator('[data-testid=clear-range]').click();
    await expect.poll(() => shown(app.page)).toBe(all.length);
  });

  it('sets statuses on an alert and on a group, with who and when, and keeps them across a reload', async () => {
    await app.rows().first().click();
    const picked = Number(await app.rows().first().getAttribute('data-id'));
    await app.page.locator('[data-testid=status-acknowledged]').click();
    await expect.poll(() => app.page.locator('[data-testid=alert-status]').getAttribute('data-status')).toBe('acknowledged');
    expect(await app.page.locator('[data-testid=alert-status-by]').textContent()).toMatch(/^by analyst · \d{4}-/);

    await app.page.locator('[data-testid=alert-group-by]').selectOption('rule');
    const group = app.page.locator('[data-testid=alert-group]').first();
    const groupRule = (await group.getAttribute('data-value'))!;
    const groupCount = Number(await group.getAttribute('data-count'));
    await group.locator('[data-testid=group-closed]').click();
    await expect.poll(() => group.locator('.st-closed').textContent()).toBe(String(groupCount));
    await atEverySize(app.page, 'triage-status', {
      "a group's name": group.locator('.gv'),
      "a group's Close": group.locator('[data-testid=group-closed]'),
      'the closed count': group.locator('.st-closed'),
    });

    await app.page.reload();
    await app.page.goto(`${app.server.url}#/alerts?status=closed`);
    await app.rows().first().waitFor({ timeout: 30_000 });
    const closed = await exportJsonl(app.page);
    const expectedClosed = all.filter((a) => a.alert.rule === groupRule);
    expect(expectedClosed.length).toBe(groupCount);
    expect(closed.map((a) => a.id).sort((a, b) => a - b)).toEqual(expectedClosed.map((a) => a.id).sort((a, b) => a - b));
    expect(closed.every((a) => a.statusBy === 'analyst' && typeof a.statusAt === 'string')).toBe(true);
    const pickedRule = all.find((a) => a.id === picked)!.alert.rule;
    await app.page.goto(`${app.server.url}#/alerts?status=acknowledged`);
    if (pickedRule === groupRule) {
      // The group's Close took the acknowledged alert along.
      expect(await shown(app.page)).toBe(0);
    } else {
      await app.rows().first().waitFor({ timeout: 30_000 });
      expect(await domIds(app.page)).toEqual([picked]);
    }
    expect(app.errors).toEqual([]);
  });
});
