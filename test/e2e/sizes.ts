/**
 * The three screen sizes of the e2e tests, and what "usable at this size" means, shared by the
 * responsive test (every view) and the journey tests (what each journey needs, at its key steps):
 * a phone (390×844), a tablet in portrait (768×1024) and a laptop (1440×900).
 *
 * A journey runs at 1440×900 and, at its key steps, `atEverySize` resizes the same page (same
 * state, no reload) to the phone and the tablet and back, so the three sizes cost a few seconds,
 * not three journeys.
 */
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ARTIFACTS } from './browser.js';

export const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1440, height: 900 },
] as const;

export type Size = (typeof SIZES)[number];

/** The journeys' size: the one the page is left at. */
export const LAPTOP = SIZES[2];

/** Below this width the navigation folds behind the menu button and the page scrolls vertically. */
export const NARROW_BELOW = 800;

/** What the page reports about horizontal overflow (computed in the page, across shadow roots). */
export interface Overflow {
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
export function measureOverflow(page: Page): Promise<Overflow> {
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

/** Lets the view lay out at a new size (charts size themselves from a ResizeObserver). */
export function settle(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
}

/**
 * Why `target` cannot be used where it is, or undefined when it can: brought into view (the page
 * and the boxes that scroll it), its whole box lies inside the viewport and inside every ancestor
 * that clips or scrolls it (across shadow roots), and it is the element hit at its centre (nothing
 * covers it). `target` must be smaller than the viewport.
 */
async function unusable(target: Locator): Promise<string | undefined> {
  try {
    await target.waitFor({ state: 'visible', timeout: 5000 });
  } catch (error) {
    return `not shown (${String(error).split('\n')[0]})`;
  }
  return target.evaluate((el) => {
    // Centred in every box that scrolls it, and in the page: whole, and clear of sticky headings.
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const slack = 1;
    const r = el.getBoundingClientRect();
    const fits = (outer: { left: number; right: number; top: number; bottom: number }) =>
      r.left >= outer.left - slack && r.right <= outer.right + slack && r.top >= outer.top - slack && r.bottom <= outer.bottom + slack;
    const round = (b: { left: number; right: number; top: number; bottom: number }) => `[${Math.round(b.left)}, ${Math.round(b.top)}, ${Math.round(b.right)}, ${Math.round(b.bottom)}]`;
    if (r.width === 0 || r.height === 0) return 'has no size';
    const viewport = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };
    if (!fits(viewport)) return `outside the viewport: ${round(r)}`;
    const parentOf = (e: Element): Element | null => {
      if (e.assignedSlot) return e.assignedSlot;
      if (e.parentElement) return e.parentElement;
      const root = e.getRootNode();
      return root instanceof ShadowRoot ? root.host : null;
    };
    for (let a = parentOf(el); a; a = parentOf(a)) {
      const style = getComputedStyle(a);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      // Only the directions it clips in.
      const box = {
        left: style.overflowX === 'visible' ? -Infinity : b.left,
        right: style.overflowX === 'visible' ? Infinity : b.right,
        top: style.overflowY === 'visible' ? -Infinity : b.top,
        bottom: style.overflowY === 'visible' ? Infinity : b.bottom,
      };
      if (!fits(box)) return `cut by <${a.tagName.toLowerCase()} class="${a.getAttribute('class') ?? ''}"> ${round(b)}: ${round(r)}`;
    }
    // Hit-test the centre (of each line of an inline element) through shadow roots: the deepest
    // element there must be it or inside it.
    const hitAt = (x: number, y: number) => {
      let hit: Element | null = document.elementFromPoint(x, y);
      while (hit?.shadowRoot) {
        const inner = hit.shadowRoot.elementFromPoint(x, y);
        if (!inner || inner === hit) break;
        hit = inner;
      }
      return hit;
    };
    // A line or an outline in an SVG is hit on its stroke only: its drawing is what must be clear.
    const mine = el instanceof SVGGraphicsElement && !(el instanceof SVGSVGElement) && el.ownerSVGElement ? el.ownerSVGElement : el;
    let covering: Element | null = null;
    for (const line of el.getClientRects()) {
      const hit = hitAt((line.left + line.right) / 2, (line.top + line.bottom) / 2);
      for (let h: Element | null = hit; h; h = parentOf(h)) if (h === mine) return undefined;
      covering ??= hit;
    }
    return `covered by <${covering?.tagName.toLowerCase()} class="${covering?.getAttribute('class') ?? ''}">`;
  });
}

/**
 * At the phone, the tablet and then the laptop size (the page is left there): the page does not
 * scroll sideways, nothing in the view is clipped (see measureOverflow), the view's navigation
 * link is reachable (through the menu below 800 px), and each of `needs` can be used — brought
 * into view, not cut, not covered. A screenshot of each size goes to test-artifacts/<name>-WxH.png
 * (the whole page where it scrolls). Throws with every problem found at every size.
 */
export async function atEverySize(page: Page, name: string, needs: Record<string, Locator>, view?: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const problems: string[] = [];
  try {
    await checkSizes(page, name, needs, view, problems);
  } finally {
    // The journey goes on at the laptop size whatever happened here.
    await page.setViewportSize({ width: LAPTOP.width, height: LAPTOP.height });
  }
  expect(problems, `${name} at three sizes`).toEqual([]);
}

async function checkSizes(page: Page, name: string, needs: Record<string, Locator>, view: string | undefined, problems: string[]): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await settle(page);
    const o = await measureOverflow(page);
    if (o.scrollWidth > o.innerWidth) problems.push(`${size.name}: the page scrolls sideways (${o.scrollWidth} > ${o.innerWidth})`);
    for (const c of o.clipped) problems.push(`${size.name}: clipped ${c}`);
    const current = view ?? (await page.evaluate(() => /^#\/(\w+)/.exec(location.hash)?.[1] ?? 'alerts'));
    const menu = page.locator('[data-testid=nav-menu]');
    const narrow = size.width < NARROW_BELOW;
    if ((await menu.isVisible()) !== narrow) problems.push(`${size.name}: the menu button is ${narrow ? 'hidden' : 'shown'}`);
    if (narrow) {
      const why = await unusable(menu);
      if (why) problems.push(`${size.name}: the menu button ${why}`);
      else {
        await menu.click();
        const link = await unusable(page.locator(`[data-testid=nav-${current}]`));
        if (link) problems.push(`${size.name}: the ${current} link ${link}`);
        await menu.click();
      }
    } else {
      const link = await unusable(page.locator(`[data-testid=nav-${current}]`));
      if (link) problems.push(`${size.name}: the ${current} link ${link}`);
    }
    for (const [what, target] of Object.entries(needs)) {
      const why = await unusable(target.first());
      if (why) problems.push(`${size.name}: ${what} ${why}`);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}/${name}-${size.width}x${size.height}.png`, fullPage: narrow });
  }
}
