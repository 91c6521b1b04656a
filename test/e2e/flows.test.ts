/**
 * The Flows view in Chromium on the built app: the simulator runs the `flows` generator (with
 * injected attacks), the view shows protocol statistics and top talkers aggregated in the worker,
 * a talker's host profile, then Train fits K-Means + KNN in the worker and plots the host windows
 * after PCA with at least one anomaly highlighted; a cluster's label flips on a click; no errors.
 */
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';

describe.skipIf(!chromiumAvailable())('Flows view (built app) in Chromium', () => {
  const app = useBuiltApp();

  it('shows protocol statistics, top talkers and a host profile of simulated flows, and trains the model', async () => {
    const page = app.page;
    await page.goto(`${app.server.url}#/flows`);
    await page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    // The default mix has no flows: the view says so and offers the generator.
    await page.locator('[data-testid=flows-empty]').waitFor();
    await page.locator('[data-testid=nav-flows]').getByText('Flows').waitFor();

    // Run the flows generator alone in the Simulator view, with attacks injected.
    await page.goto(`${app.server.url}#/simulator`);
    for (const other of ['bruteforce', 'noise', 'network']) await page.locator(`#g-${other}`).uncheck();
    await page.locator('#g-flows').check();
    await page.locator('[data-testid=sim-apply]').click();
    await expect.poll(() => page.getByText(/^flows×1 @/).count()).toBe(1);
    await page.locator('input[name=inject]').fill('6');
    await page.locator('[data-testid=sim-inject]').click();

    await page.goto(`${app.server.url}#/flows`);
    const total = page.locator('[data-testid=flows-total]');
    await total.waitFor({ timeout: 30_000 });
    // Protocol statistics: the stacked areas get a shape once a 10 s bucket is complete.
    await expect.poll(() => page.locator('[data-testid=protocol-area][data-transport=tcp]').getAttribute('d'), { timeout: 30_000 }).toMatch(/^M.+L/);
    expect(Number(await total.getAttribute('data-value'))).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=flows-share-tcp] .v').textContent()).toMatch(/^\d+\.\d%$/);
    // Top talkers, by bytes and by flows.
    await expect.poll(() => page.locator('[data-testid=top-talkers-bytes] [data-testid=talker]').count()).toBe(10);
    await expect.poll(() => page.locator('[data-testid=top-talkers-flows] [data-testid=talker]').count()).toBe(10);

    // A talker's profile per window.
    await page.locator('[data-testid=top-talkers-flows] [data-testid=talker]').first().click();
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toMatch(/^#\/flows\?host=/);
    await page.locator('[data-testid=host-profile]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=profile-flows] rect').count()).toBeGreaterThan(0);

    // Enough flows for the attacks to be under way, then train in the worker.
    await expect.poll(async () => Number(await total.getAttribute('data-value')), { timeout: 60_000 }).toBeGreaterThan(6000);
    await page.locator('[data-testid=flows-train]').click();
    await expect.poll(() => page.locator('[data-testid=cluster-point]').count(), { timeout: 60_000 }).toBeGreaterThan(50);
    expect(await page.locator('[data-testid=cluster-point][data-anomalous=true]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=centroid]').count()).toBe(Number((await page.locator('[data-testid=model-k]').textContent())!.split(' ')[0]));
    expect(await page.locator('[data-testid=anomalous-hosts] div').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=flows-train]').textContent()).toContain('Retrain');
    await page.waitForTimeout(500);
    await app.shot('flows');

    // The user's call: flip a normal cluster to anomalous and back.
    const chip = page.locator('[data-testid=cluster-chip][data-label=normal]').first();
    const index = (await chip.textContent())!.trim().split(' ')[0];
    await chip.click();
    const flipped = page.locator('[data-testid=cluster-chip]', { hasText: new RegExp(`^\\s*${index} anomalous`) });
    await flipped.waitFor();
    await flipped.click();
    await page.locator('[data-testid=cluster-chip]', { hasText: new RegExp(`^\\s*${index} normal`) }).waitFor();

    expect(app.errors).toEqual([]);
  });
});
