/**
 * The built app in Chromium: it loads with the simulator running and alerts appearing; a rule with
 * a syntax error shows its marker and message at the right line; fixed and applied (Ctrl+Enter),
 * its alerts appear; rules persist across a reload; no view logs an error.
 * At its key steps, at 390×844, 768×1024 and 1440×900: what the step needs can be reached and used
 * (test/e2e/sizes.ts); screenshots go to test-artifacts/<step>-WxH.png.
 */
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';


const BROKEN_RULE = `RULE "failed logins"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == ; }
SINK function (event) { return { user: event.user, server: event.server, severity: 'low' }; }
`;
const FIXED_RULE = BROKEN_RULE.replace('event.outcome == ;', "event.outcome == 'failure';");
const LOOPING_RULE = `RULE "runaway"
SOURCES kind = "auth"
FILTER function (event) { while (true) {} }
SINK function (event) { return event; }
`;

/** The alert count in the navigation badge ("947", "1.2k"). */
function badgeCount(text: string | null): number {
  const m = /([\d.]+)\s*(k|M)?/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

describe.skipIf(!chromiumAvailable())('web app (built) in Chromium', () => {
  const app = useBuiltApp();


  it('loads with the simulator running and alerts appearing', async () => {
    await app.page.goto(app.server.url);
    await expect.poll(() => app.page.evaluate(() => location.hash)).toBe('#/alerts');
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    await app.rows().first().waitFor({ timeout: 60_000 });
    expect(await app.rows().count()).toBeGreaterThan(0);
    // The detail pane: the alert JSON, and the contributing events of a brute-force alert.
    await app.page.locator('[data-testid=alert-rule-filter]').selectOption('brute force');
    await app.rows().first().waitFor({ timeout: 90_000 });
    await app.rows().first().click();
    await expect.poll(() => app.page.locator('[data-testid=detail-rule]').textContent()).toBe('brute force');
    await app.page.locator('[data-testid=alert-json]').getByText('"failures"').waitFor();
    // The page's copy carries the first events; the rest come from the worker. The oracle: the
    // alert's own count of failures (its window's events).
    const failures = Number(/"failures":\s*(\d+)/.exec((await app.page.locator('[data-testid=alert-json]').evaluate((el) => (el.shadowRoot ?? el).textContent)) ?? '')?.[1]);
    expect(failures).toBeGreaterThanOrEqual(10);
    await app.page.locator('[data-testid=events-tab]').click();
    await app.page.locator('[data-testid=alert-events] tbody tr').first().waitFor();
    await expect.poll(() => app.page.locator('[data-testid=alert-events] tbody tr').count()).toBe(failures);
    expect(await app.page.locator('[data-testid=events-tab]').textContent()).toContain(`· ${failures}`);
    await atEverySize(app.page, 'alerts', {
      "an alert's rule": app.rows().first().locator('.r'),
      'the rule filter': app.page.locator('[data-testid=alert-rule-filter]'),
      'the rule in the detail pane': app.page.locator('[data-testid=detail-rule]'),
      'an event': app.page.locator('[data-testid=alert-events] tbody tr td').first(),
    });
  });

  it('colours the rules shown when the view opens (lexed in the checker worker)', async () => {
    await app.page.goto(`${app.server.url}#/rules`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    await expect.poll(async () => (await textarea.inputValue()).length).toBeGreaterThan(0);
    const text = await textarea.inputValue();
    // The oracle: RULE at the start of a line, counted in the text itself, not by the lexer.
    const rules = text.match(/^\s*RULE\b/gm)?.length ?? 0;
    expect(rules).toBeGreaterThan(0);
    const keywords = app.page.locator('[data-testid=highlight] span.tok-keyword', { hasText: /^RULE$/ });
    await expect.poll(() => keywords.count(), { timeout: 10_000 }).toBe(rules);
    expect(app.errors).toEqual([]);
  });

  it('marks a syntax error at its line, then applies the fixed rule and shows its alerts', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    await textarea.fill(BROKEN_RULE);
    const lens = app.page.locator('[data-testid=lens]');
    await lens.waitFor();
    // The message sits on line 3, where the error is, and the gutter marks that line.
    expect(await lens.count()).toBe(1);
    expect(await app.page.locator('.line.error').getAttribute('data-line')).toBe('3');
    expect(await app.page.locator('.gutter div.error').getAttribute('data-line')).toBe('3');
    expect(await lens.textContent()).toContain('JavaScript syntax error in FILTER function');
    expect(await app.page.locator('.line.error .m-error').first().textContent()).toBe(';');
    const problem = app.page.locator('[data-testid=problem]');
    expect(await problem.count()).toBe(1);
    expect(await problem.locator('.pos').textContent()).toBe('3:51');
    await atEverySize(app.page, 'rules-error', {
      // (the line and its message are drawn under the editor's transparent textarea: the gutter
      // mark and the problems list are what can be seen and clicked)
      'the marked line': app.page.locator('.gutter div.error'),
      'the problem': problem.locator('.pos'),
      'the editor': app.page.locator('.scroller'),
    });

    await textarea.fill(FIXED_RULE);
    await app.page.getByText('No problems').waitFor();
    expect(await lens.count()).toBe(0);
    // Ctrl+Enter previews the draft; Apply is in the preview.
    await textarea.press('Control+Enter');
    await app.page.locator('[data-testid=apply]:not([disabled])').click();
    await app.page.locator('[data-testid=toast]').getByText('added "failed logins"').waitFor();
    await expect.poll(() => app.page.evaluate(() => decodeURIComponent(location.hash))).toBe('#/rules/failed logins');
    await app.page.locator('[data-testid=rule-item][data-rule="failed logins"]').waitFor();
    await atEverySize(app.page, 'rules', { 'the new rule': app.page.locator('[data-testid=rule-item][data-rule="failed logins"]') });

    await app.page.goto(`${app.server.url}#/alerts?rule=${encodeURIComponent('failed logins')}`);
    await app.rows().first().waitFor({ timeout: 30_000 });
    await app.rows().first().click();
    await expect.poll(() => app.page.locator('[data-testid=detail-rule]').textContent()).toBe('failed logins');
  });

  it('keeps applied rules across a reload (IndexedDB)', async () => {
    await app.page.reload();
    await app.page.goto(`${app.server.url}#/rules`);
    await app.page.locator('[data-testid=rule-item][data-rule="failed logins"]').waitFor({ timeout: 30_000 });
    await app.page.locator('[data-testid=rule-item][data-rule="failed logins"]').click();
    await app.page.getByRole('tab', { name: /history/i }).click();
    expect(await app.page.locator('[data-testid=history-version]').count()).toBe(1);
  });

  it('deactivates a rule that loops forever, says why, and the other rules keep raising alerts', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    await textarea.fill(LOOPING_RULE);
    await app.page.getByText('No problems').waitFor();
    await textarea.press('Control+Enter');
    await app.page.locator('[data-testid=apply]:not([disabled])').click();
    await app.page.locator('[data-testid=toast]').getByText('added "runaway"').waitFor();
    const item = app.page.locator('[data-testid=rule-item][data-rule="runaway"]');
    await expect.poll(() => item.locator('[data-testid=rule-state]').textContent(), { timeout: 30_000 }).toBe('deactivated');
    expect(await item.locator('.why').textContent()).toMatch(/^cpu: .*CPU deadline exceeded/);
    expect(await app.page.locator('[data-testid=nav-rules] .badge').textContent()).toContain('1');
    const alerts = () => app.page.locator('[data-testid=nav-alerts] .badge').textContent().then(badgeCount);
    const before = await alerts();
    await expect.poll(alerts, { timeout: 30_000 }).toBeGreaterThan(before);
    for (const other of ['brute force', 'login from bad ip', 'failed logins']) {
      expect(await app.page.locator(`[data-testid=rule-item][data-rule="${other}"] [data-testid=rule-state]`).textContent()).toBe('active');
    }
    await atEverySize(app.page, 'rules-deactivated', { 'why it is deactivated': item.locator('.why') });
  });

  it('shows the dashboard and the simulator, pauses and resumes', async () => {
    await app.page.goto(`${app.server.url}#/dashboard`);
    await app.page.locator('[data-testid=rule-counts]').waitFor();
    await app.page.waitForTimeout(4000);
    await expect.poll(() => app.page.locator('[data-testid=chart-events] path').count()).toBeGreaterThan(0);
    // Event time per source: the default rules' USING field, fed by the simulator.
    await expect.poll(() => app.page.locator('[data-testid=event-time] tbody tr td').first().textContent().then((t) => t?.trim()), { timeout: 30_000 }).toMatch(/^simulator/);
    expect(await app.page.locator('[data-testid=event-time] .field').first().textContent()).toMatch(/^timestamp · watermark \d{4}-/);
    expect(await app.page.locator('[data-testid=tile-quarantined] .v').textContent()).toBe('0');
    await atEverySize(app.page, 'dashboard', {
      "a rule's name": app.page.locator('[data-testid=rule-counts] tbody tr td'),
      'the events chart': app.page.locator('[data-testid=chart-events]'),
      'event time per source': app.page.locator('[data-testid=event-time] tbody tr td').first(),
    });

    await app.page.goto(`${app.server.url}#/simulator`);
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent()).toBe('Running');
    await app.page.locator('[data-testid=sim-toggle]').click();
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent()).toBe('Paused');
    await app.page.locator('[data-testid=sim-toggle]').click();
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent()).toBe('Running');
    await app.page.locator('[data-testid=sim-inject]').click();
    await expect.poll(() => app.page.locator('[data-testid=sim-recall]').textContent()).toMatch(/%$/);
    await atEverySize(app.page, 'simulator', {
      'pause': app.page.locator('[data-testid=sim-toggle]'),
      'Inject': app.page.locator('[data-testid=sim-inject]'),
      'the recall': app.page.locator('[data-testid=sim-recall]'),
      'the precision': app.page.locator('[data-testid=sim-precision]'),
    });
  });

  it('logs no app.errors on any view', async () => {
    for (const view of ['rules', 'alerts', 'dashboard', 'simulator']) {
      await app.page.goto(`${app.server.url}#/${view}`);
      await app.page.waitForTimeout(500);
    }
    expect(app.errors).toEqual([]);
  });
});
