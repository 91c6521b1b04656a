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

const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1440, height: 900 },
] as const;

/** What the page reports about horizontal overflow (computed in the page, across shadow roots). */
interface Overflow {
  scrollWidth: number;
  innerWidth: number;
  scrollHeight: number;
  innerHeight: number;
  /** Elements outside the viewport horizontally with no scrolling or clipping box to hold them. */
  clipped: string[];
}

/**
 * Walks the light and shadow DOM under <main>: an element whose box leaves [0, innerWidth] counts
 * as clipped unless an ancestor inside the viewport scrolls or clips it horizontally (overflow-x
 * not visible); clipping boxes outside the viewport are looked through to a scrolling one.
 */
function measureOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const slack = 1;
    const app = document.querySelector('vigil-app');
    const main = app?.shadowRoot?.querySelector('main');
    const clipped: string[] = [];
    const parentOf = (el: Element): Element | null => {
      if (el.assignedSlot) return el.assignedSlot;
      if (el.parentElement) return el.parentElement;
      const root = el.getRootNode();
      return root instanceof ShadowRoot ? root.host : null;
    };
    const inside = (r: DOMRect) => r.left >= -slack && r.right <= vw + slack;
    const describe = (el: Element) => {
      const parts: string[] = [];
      for (let e: Element | null = el; e && parts.length < 4; e = parentOf(e)) {
        const cls = typeof e.className === 'string' && e.className ? `.${e.className.trim().split(/\s+/).join('.')}` : '';
        parts.unshift(`${e.tagName.toLowerCase()}${cls}`);
      }
      return parts.join(' > ');
    };
    const visit = (el: Element) => {
      // Not rendered: display none, visibility hidden, or inside a closed <details>.
      if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) return;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && !inside(r)) {
        let held = false;
        for (let a = parentOf(el); a && a !== main; a = parentOf(a)) {
          const ox = getComputedStyle(a).overflowX;
          if (ox === 'visible') continue;
          // A box that scrolls holds what it contains if it is itself in view; one that only
          // clips (an ellipsis cell) may sit inside a scrolling box further up.
          const inView = inside(a.getBoundingClientRect());
          if (inView || ox === 'auto' || ox === 'scroll') {
            held = inView;
            break;
          }
        }
        if (!held && clipped.length < 20) clipped.push(`${describe(el)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
        if (!held) return;
      }
      for (const child of el.children) visit(child);
      if (el.shadowRoot) for (const child of el.shadowRoot.children) visit(child);
    };
    if (main) for (const child of main.children) visit(child);
    const page = document.scrollingElement!;
    return { scrollWidth: page.scrollWidth, innerWidth: vw, scrollHeight: page.scrollHeight, innerHeight: window.innerHeight, clipped };
  });
}

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
      expect(await app.page.locator('[data-testid=nav-menu]').isVisible()).toBe(size.width < 800);
      for (const view of VIEWS) {
        await navigate(app.page, view);
        // Let the view lay out (charts size themselves from a ResizeObserver).
        await app.page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
        await app.page.screenshot({ path: `${dir}/${view}-${size.width}x${size.height}.png`, fullPage: true });
        const o = await measureOverflow(app.page);
        if (o.scrollWidth > o.innerWidth) problems.push(`${view} at ${size.name}: page scrolls sideways (${o.scrollWidth} > ${o.innerWidth})`);
        // From 800 px the app fills the window and its panels scroll inside themselves: a page
        // taller than the window means a view grew to its content (a virtualised table then
        // renders every row).
        if (size.width >= 800 && o.scrollHeight > o.innerHeight) problems.push(`${view} at ${size.name}: page scrolls down (${o.scrollHeight} > ${o.innerHeight})`);
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
