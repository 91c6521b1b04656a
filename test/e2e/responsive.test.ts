/**
 * The layout at three screen sizes, in Chromium on the built app: a phone (390×844), a tablet in
 * portrait (768×1024) and a laptop (1440×900). At each size, every view: every navigation item is
 * reachable (through the menu button where the links fold) and clickable, the page never scrolls
 * sideways, and no element of the view lies outside the viewport horizontally unless a box inside
 * the viewport scrolls or clips it (a wide table scrolls inside itself); from 800 px wide the app
 * fills the window without a page scroll (panels scroll inside themselves). Screenshots of every view
 * at every size go to test-artifacts/responsive/ (not committed).
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { VIEWS, type View } from '../../web/lib/router.js';
import { ARTIFACTS, chromiumAvailable, useBuiltApp } from './browser.js';
import { measureOverflow, NARROW_BELOW, settle, SIZES } from './sizes.js';

/** Opens the menu when the links are folded behind it, then clicks the view's link. */
async function navigate(page: Page, view: View): Promise<void> {
  const menu = page.locator('[data-testid=nav-menu]');
  if (await menu.isVisible()) {
    await menu.click();
    await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('true');
  }
  await page.locator(`[data-testid=nav-${view}]`).click();
  await expect.poll(() => page.evaluate(() => location.hash)).toMatch(new RegExp(`^#/${view}\\b`));
  // A folded menu closes once a view is chosen, so it does not cover the view.
  if (await menu.isVisible()) expect(await menu.getAttribute('aria-expanded')).toBe('false');
}

describe.skipIf(!chromiumAvailable())('responsive layout (built app) in Chromium', () => {
  const app = useBuiltApp();

  it('every view at 390×844, 768×1024 and 1440×900: reachable, no sideways scroll, nothing clipped', async () => {
    const dir = `${ARTIFACTS}/responsive`;
    mkdirSync(dir, { recursive: true });
    await app.page.goto(`${app.server.url}?reset#/alerts`);
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    // ?reset is applied once and leaves the address (a reload must not wipe the state again).
    await expect.poll(() => app.page.evaluate(() => location.search + location.hash)).toBe('#/alerts');
    const problems: string[] = [];
    for (const size of SIZES) {
      await app.page.setViewportSize({ width: size.width, height: size.height });
      // Links fold behind the menu button below 800 px and only there.
      expect(await app.page.locator('[data-testid=nav-menu]').isVisible()).toBe(size.width < NARROW_BELOW);
      for (const view of VIEWS) {
        await navigate(app.page, view);
        // Let the view lay out (charts size themselves from a ResizeObserver).
        await settle(app.page);
        await app.page.screenshot({ path: `${dir}/${view}-${size.width}x${size.height}.png`, fullPage: true });
        const o = await measureOverflow(app.page);
        if (o.scrollWidth > o.innerWidth) problems.push(`${view} at ${size.name}: page scrolls sideways (${o.scrollWidth} > ${o.innerWidth})`);
        // From 800 px the app fills the window and its panels scroll inside themselves: a page
        // taller than the window means a view grew to its content (a virtualised table then
        // renders every row).
        if (size.width >= NARROW_BELOW && o.scrollHeight > o.innerHeight) problems.push(`${view} at ${size.name}: page scrolls down (${o.scrollHeight} > ${o.innerHeight})`);
        for (const c of o.clipped) problems.push(`${view} at ${size.name}: clipped ${c}`);
        if (view === 'alerts') {
          // The rule of an alert is read without scrolling the table sideways, at every size.
          const rule = await app.page.locator('[data-testid=alert-row] .r').first().boundingBox();
          if (!rule || rule.x < 0 || rule.x + rule.width > size.width) problems.push(`alerts at ${size.name}: an alert's rule is not in view (${JSON.stringify(rule)})`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(app.errors).toEqual([]);
  });
});
