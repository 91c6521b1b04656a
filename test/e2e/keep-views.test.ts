/**
 * Views are kept while hidden (web/components/app-shell.ts): a view is made on its first visit,
 * hidden (not remade) when another shows, and does not redraw while hidden; shown again it is the
 * same element, with what the user left in it, and it catches up with the live data. The oracle for
 * "does not redraw": the DOM mutations of the view's shadow root over a few seconds, counted by a
 * MutationObserver, against the same count while it is shown (the simulator runs throughout, so a
 * shown view does change).
 *
 * Also the rule editor's check in its worker: an answer for text no longer in the editor is not
 * shown (text replaced while its check runs ends with the markers of the last text only).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';

const WATCH_MS = 3000;

/** Mutations of `tag`'s shadow root (not its nested components) over WATCH_MS of page time. */
function mutationsOf(page: Page, tag: string): Promise<number> {
  return page.evaluate(
    ({ tag, ms }) =>
      new Promise<number>((done) => {
        const root = document.querySelector('vigil-app')!.shadowRoot!.querySelector(tag)!.shadowRoot!;
        let count = 0;
        const observer = new MutationObserver((records) => (count += records.length));
        observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
        setTimeout(() => {
          observer.disconnect();
          done(count);
        }, ms);
      }),
    { tag, ms: WATCH_MS },
  );
}

/** Marks the view's element, to tell it apart from a new one. */
function mark(page: Page, tag: string, value: string): Promise<void> {
  return page.evaluate(({ tag, value }) => void ((document.querySelector('vigil-app')!.shadowRoot!.querySelector(tag) as unknown as { testMark: string }).testMark = value), { tag, value });
}

function markOf(page: Page, tag: string): Promise<string | undefined> {
  return page.evaluate((tag) => (document.querySelector('vigil-app')!.shadowRoot!.querySelector(tag) as unknown as { testMark?: string } | null)?.testMark, tag);
}

const BROKEN = `RULE "broken"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == ; }
SINK function (event) { return { user: event.user }; }
`;
const FIXED = BROKEN.replace('event.outcome == ;', "event.outcome == 'failure';");

describe.skipIf(!chromiumAvailable())('views kept while hidden (built app) in Chromium', () => {
  const app = useBuiltApp();

  it('keeps a hidden view without redrawing it, and shows the same element caught up', async () => {
    await app.page.goto(`${app.server.url}#/dashboard`);
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 60_000 });
    await app.page.locator('[data-testid=rule-counts]').waitFor();
    // Shown, the dashboard redraws with the live data.
    expect(await mutationsOf(app.page, 'vigil-dashboard-view')).toBeGreaterThan(0);
    await mark(app.page, 'vigil-dashboard-view', 'first');

    await app.page.goto(`${app.server.url}#/simulator`);
    await app.page.locator('[data-testid=sim-state]').waitFor();
    expect(await app.page.locator('vigil-dashboard-view').getAttribute('hidden')).toBe('');
    // Hidden, it does not, while the simulator view shown beside it does.
    const [hidden, shown] = await Promise.all([mutationsOf(app.page, 'vigil-dashboard-view'), mutationsOf(app.page, 'vigil-simulator-view')]);
    expect(shown).toBeGreaterThan(0);
    expect(hidden).toBe(0);

    await app.page.goto(`${app.server.url}#/dashboard`);
    await app.page.locator('[data-testid=rule-counts]').waitFor();
    expect(await markOf(app.page, 'vigil-dashboard-view')).toBe('first');
    expect(await mutationsOf(app.page, 'vigil-dashboard-view')).toBeGreaterThan(0);
    expect(await app.page.locator('vigil-simulator-view').getAttribute('hidden')).toBe('');
  });

  it('keeps an unapplied draft across view switches, and follows deep links into a kept view', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    await textarea.fill(FIXED);
    await app.page.getByText('No problems').waitFor();
    await app.page.goto(`${app.server.url}#/alerts`);
    await app.page.locator('vigil-alerts-view:not([hidden])').waitFor();
    await app.page.goto(`${app.server.url}#/rules/new`);
    expect(await textarea.inputValue()).toBe(FIXED);
    // A link to another rule: the kept view shows that rule.
    await app.page.goto(`${app.server.url}#/rules/${encodeURIComponent('brute force')}`);
    await expect.poll(() => app.page.locator('[data-testid=editor-title]').textContent()).toBe('brute force');
    expect(await textarea.inputValue()).toContain('RULE "brute force"');
  });

  it("never shows the rule check's answer for text that has left the editor", async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    const problem = app.page.locator('[data-testid=problem]');
    // Broken then fixed before the first check can answer, several times over: the last text wins.
    for (let i = 0; i < 5; i++) {
      await textarea.fill(BROKEN);
      await textarea.fill(FIXED);
    }
    await app.page.getByText('No problems').waitFor();
    expect(await problem.count()).toBe(0);
    // And the other way round: fixed then broken ends with the error, at its line.
    await textarea.fill(FIXED);
    await textarea.fill(BROKEN);
    await problem.first().waitFor();
    expect(await problem.first().locator('.pos').textContent()).toMatch(/^3:/);
    await textarea.press('Control+Enter');
    // Ctrl+Enter checks at once too: still the error of this text.
    await expect.poll(() => problem.count()).toBe(1);
    expect(app.errors).toEqual([]);
  });
});
