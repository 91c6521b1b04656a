/**
 * The Quality view in Chromium on the built app: an anomaly injected into the network generator is
 * named in the Simulator view with its key; that key opens the Quality view, which lists it among
 * the injected anomalies, found by the protocol state machine, and scores that rule per rule and
 * the generator per generator; its events are one click away; another click follows the key in the
 * state-machine debugger, which shows that key's trail with the invalid (red) step. No errors.
 * At each step, at 390×844, 768×1024 and 1440×900: what the step needs can be reached and used
 * (test/e2e/sizes.ts); screenshots go to test-artifacts/quality-*-WxH.png.
 */
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';

const MACHINE_RULE = 'protocol violation';

describe.skipIf(!chromiumAvailable())('Quality view (built app) in Chromium', () => {
  const app = useBuiltApp();

  it('inject → the injected key in the Simulator and Quality views → its events → the debugger on that key', async () => {
    const page = app.page;
    await page.goto(`${app.server.url}#/simulator`);
    await page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    // Network and noise only, so the injection goes to the network generator.
    await page.locator('#g-bruteforce').uncheck();
    await page.locator('[data-testid=sim-apply]').click();
    await expect.poll(() => page.getByText(/^noise×1 \+ network×1 @/).count()).toBe(1);

    await page.locator('[data-testid=sim-inject]').click();
    const named = page.locator('[data-testid=injected-key]').first();
    await named.waitFor({ timeout: 15_000 });
    const key = (await named.getAttribute('data-key'))!;
    expect(key).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await expect.poll(() => named.textContent(), { timeout: 15_000 }).toContain(`found by ${MACHINE_RULE}`);
    await atEverySize(page, 'quality-simulator-injected', { 'the injected key': named.locator('a'), 'Inject': page.locator('[data-testid=sim-inject]') });

    // The key opens the Quality view on it.
    await named.locator('a').click();
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/quality?key=${key}`);
    const row = page.locator(`[data-testid=quality-injected-row][data-key="${key}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(MACHINE_RULE);
    // Per rule and per generator figures are there.
    const ruleRow = page.locator(`[data-testid=quality-rule-row][data-rule="${MACHINE_RULE}"]`);
    await ruleRow.waitFor();
    expect(Number((await ruleRow.locator('td').nth(2).textContent())!.replace(/\D/g, ''))).toBeGreaterThan(0);
    expect(await ruleRow.locator('td').nth(7).textContent()).toContain('network');
    const genRow = page.locator('[data-testid=quality-generator-row][data-generator=network]');
    await genRow.waitFor();
    expect(await genRow.locator('td').nth(6).textContent()).toMatch(/^\d+\.\d%$/);

    // Its events, one click away: the injected (invalid) event of that source.
    await row.locator('[data-testid=quality-events]').click();
    await page.getByText(`"${key}"`).first().waitFor();
    await atEverySize(page, 'quality-view', {
      "the injected key's events link": row.locator('[data-testid=quality-events]'),
      "the injected key's debugger link": row.locator('[data-testid=quality-debugger-link]'),
      'its events': page.getByText(`"${key}"`).first(),
      "the rule's recall": ruleRow.locator('td').nth(6),
      "the rule's generators": ruleRow.locator('td').nth(7),
      "the generator's recall": genRow.locator('td').nth(6),
    });

    // And the debugger on that key.
    await row.locator('[data-testid=quality-debugger-link]').first().click();
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/debugger/${MACHINE_RULE}?key=${key}`);
    await expect.poll(() => page.locator('[data-testid=debugger-key]').inputValue()).toBe(key);
    await page.locator('[data-testid=trail-step][data-valid=false]').first().waitFor({ timeout: 15_000 });
    await atEverySize(page, 'quality-debugger', {
      'the key': page.locator('[data-testid=debugger-key]'),
      'the red step': page.locator('[data-testid=trail-step][data-valid=false]'),
      'the graph': page.locator('[data-testid=machine-graph]'),
    });

    expect(app.errors).toEqual([]);
  });

  it('long lists show the newest 50 rows, and "Show more" the next ones', async () => {
    const page = app.page;
    // The default generators, whatever the test before chose.
    await page.goto(`${app.server.url}?reset#/simulator`);
    await page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    // A fast burst: its anomalies are misses (pending) until their one-minute windows close.
    await page.locator('#rate').fill('20000');
    await page.locator('#rate').dispatchEvent('change');
    await page.locator('[data-testid=sim-apply]').click();
    await page.goto(`${app.server.url}#/quality`);
    // The list's own heading counts the misses (up to the newest 200): the rows are held to it.
    const heading = page.getByText(/^Misses \(/);
    const listed = async () => Number(/^Misses \(([\d,]+)/.exec((await heading.textContent()) ?? '')?.[1]?.replace(/,/g, '') ?? 0);
    await expect.poll(listed, { timeout: 60_000 }).toBeGreaterThan(60);
    const rows = page.locator('[data-testid=quality-miss-row]');
    const more = page.locator('[data-testid=quality-more][data-list=misses]');
    await more.scrollIntoViewIfNeeded();
    expect(await rows.count()).toBe(50);
    expect(await more.textContent()).toMatch(/Show \d+ more/);
    await more.click();
    await expect.poll(async () => rows.count()).toBeGreaterThan(50);
    const total = await listed();
    expect(await rows.count()).toBeLessThanOrEqual(Math.min(100, total));
    // Each row a different key.
    const keys = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
    expect(new Set(keys).size).toBe(keys.length);
    expect(app.errors).toEqual([]);
  });
});
