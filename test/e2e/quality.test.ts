/**
 * The Quality view in Chromium on the built app: an anomaly injected into the network generator is
 * named in the Simulator view with its key; that key opens the Quality view, which lists it among
 * the injected anomalies, found by the protocol state machine, and scores that rule per rule and
 * the generator per generator; its events are one click away; another click follows the key in the
 * state-machine debugger, which shows that key's trail with the invalid (red) step. No errors.
 */
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';

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
    await app.shot('quality-simulator-injected');

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
    await app.shot('quality-view');

    // And the debugger on that key.
    await row.locator('[data-testid=quality-debugger-link]').first().click();
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/debugger/${MACHINE_RULE}?key=${key}`);
    await expect.poll(() => page.locator('[data-testid=debugger-key]').inputValue()).toBe(key);
    await page.locator('[data-testid=trail-step][data-valid=false]').first().waitFor({ timeout: 15_000 });
    await app.shot('quality-debugger');

    expect(app.errors).toEqual([]);
  });
});
