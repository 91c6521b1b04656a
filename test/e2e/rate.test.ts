/**
 * The default rules and the simulator at 100,000 events/s, in Chromium on the built app, for
 * VIGIL_RATE_SECONDS seconds (30 by default; bench/web-rate.mjs runs it for 10 minutes). Measured:
 * events taken in per second (the engine's own count, read from the status bar), main-thread long
 * tasks (PerformanceObserver 'longtask'), view switches (hash change to the new view rendered and
 * a frame painted), the page's JavaScript heap (performance.memory, precise with
 * --enable-precise-memory-info), the engine worker's JavaScript heap plus its ArrayBuffer backing
 * stores (DevTools protocol: Runtime.getHeapUsage's usedSize + backingStorageSize), and rules
 * deactivated. The figures are printed; the assertions are generous bounds (no rule deactivated,
 * either heap under 1.5 GiB, a median view switch under 250 ms, no long task and no view switch
 * over 1.5 s), the real numbers go to the README. The run lasts a wall-clock time on purpose (it
 * measures a real-time rate): the loop waits on the clock between samples.
 */
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWS } from '../../web/lib/router.js';
import { CHROMIUM, chromiumAvailable, collectErrors } from './browser.js';
import { serveStatic, type StaticServer } from './static-server.js';

const SECONDS = Number(process.env.VIGIL_RATE_SECONDS ?? 30);
const RATE = 100_000;
const MiB = 2 ** 20;

const quantile = (values: number[], q: number): number => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** Resolves with the ms from a hash change to the view's element rendered and the next frame. */
function switchView(page: Page, view: string): Promise<number> {
  return page.evaluate(async (view) => {
    const t0 = performance.now();
    location.hash = `#/${view}`;
    const shell = document.querySelector('vigil-app')!;
    const tag = `vigil-${view}-view`;
    for (;;) {
      await new Promise((ok) => requestAnimationFrame(ok));
      const el = shell.shadowRoot?.querySelector(tag) as (HTMLElement & { updateComplete?: Promise<unknown> }) | null;
      if (el) {
        await el.updateComplete;
        // The frame that shows it.
        await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
        return performance.now() - t0;
      }
    }
  }, view);
}

/** The page's JavaScript heap in use (performance.memory, Chromium's). */
function pageHeap(page: Page): Promise<number> {
  return page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? -1);
}

/**
 * The engine worker's heap, asked through the DevTools protocol (workers have no
 * performance.memory): its JavaScript heap and its ArrayBuffer backing stores. Attach before the
 * page loads, so the worker is seen starting.
 */
class WorkerHeap {
  private readonly sessions: string[] = [];
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 1;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') this.sessions.push(e.sessionId);
    });
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const message = JSON.parse(e.message) as { id: number; result: unknown };
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
  }

  static async attach(page: Page): Promise<WorkerHeap> {
    const cdp = await page.context().newCDPSession(page);
    const heap = new WorkerHeap(cdp);
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return heap;
  }

  /** Bytes in use: JavaScript heap plus ArrayBuffer backing stores, of the first worker. */
  async used(): Promise<number> {
    const sessionId = this.sessions[0];
    if (!sessionId) return -1;
    const id = this.nextId++;
    const reply = new Promise<unknown>((ok) => this.pending.set(id, ok));
    await this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    const r = (await reply) as { usedSize: number; backingStorageSize?: number };
    return r.usedSize + (r.backingStorageSize ?? 0);
  }
}

describe.skipIf(!chromiumAvailable())(`the simulator at ${RATE} events/s with the default rules (built app) in Chromium`, () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let workerHeap: WorkerHeap;

  beforeAll(async () => {
    server = await serveStatic('web-dist');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-precise-memory-info', '--disable-background-timer-throttling'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    page = await context.newPage();
    errors = collectErrors(page);
    workerHeap = await WorkerHeap.attach(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'keeps up: no rule deactivated, bounded heaps, short main-thread tasks, quick view switches',
    async () => {
      await page.goto(`${server.url}?memory#/simulator`);
      const status = page.locator('[data-testid=live-status]');
      await status.getByText('simulator running').waitFor({ timeout: 60_000 });
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
        }).observe({ type: 'longtask' });
      });

      await page.locator('#rate').fill(String(RATE));
      await page.locator('#rate').dispatchEvent('change');
      await page.locator('[data-testid=sim-apply]').click();

      const eventsIn = async () => Number((await status.getAttribute('data-events-in')) ?? 0);
      const startEvents = await eventsIn();
      const t0 = Date.now();
      const switches: number[] = [];
      const workerHeaps: number[] = [];
      const pageHeaps: number[] = [];
      const perSecond: number[] = [];
      let lastEvents = startEvents;
      let lastAt = t0;
      let v = 0;
      while (Date.now() - t0 < SECONDS * 1000) {
        // Drive the clock by the work itself: a view switch, then the samples, about once a second.
        switches.push(await switchView(page, VIEWS[v++ % VIEWS.length]!));
        await page.waitForTimeout(Math.max(0, 1000 - ((Date.now() - t0) % 1000)));
        const now = Date.now();
        const events = await eventsIn();
        perSecond.push(((events - lastEvents) * 1000) / (now - lastAt));
        lastEvents = events;
        lastAt = now;
        workerHeaps.push(await workerHeap.used());
        pageHeaps.push(await pageHeap(page));
        if (process.env.VIGIL_RATE_VERBOSE) console.log(`t=${Math.round((now - t0) / 1000)} s: ${Math.round(perSecond.at(-1)!)} events/s, switch ${Math.round(switches.at(-1)!)} ms, worker ${Math.round(workerHeaps.at(-1)! / MiB)} MiB, page ${Math.round(pageHeaps.at(-1)! / MiB)} MiB`);
      }
      const seconds = (Date.now() - t0) / 1000;
      const total = (await eventsIn()) - startEvents;
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      const deactivated = ((await status.getAttribute('data-deactivated')) ?? '').split('\n').filter(Boolean);
      const figures = {
        seconds: Math.round(seconds),
        eventsPerSecondMean: Math.round(total / seconds),
        // Per-second samples are lumpy (the status bar updates a few times a second): the median.
        eventsPerSecondMedian: Math.round(quantile(perSecond.slice(3), 0.5)),
        longTasks: longTasks.length,
        longTaskMaxMs: Math.round(Math.max(0, ...longTasks)),
        longTasksOver50Ms: longTasks.filter((d) => d > 50).length,
        viewSwitchMedianMs: Math.round(quantile(switches, 0.5)),
        viewSwitchMaxMs: Math.round(Math.max(...switches)),
        workerHeapMiB: { first: Math.round(workerHeaps[0]! / MiB), max: Math.round(Math.max(...workerHeaps) / MiB), last: Math.round(workerHeaps.at(-1)! / MiB) },
        pageHeapMiB: { first: Math.round(pageHeaps[0]! / MiB), max: Math.round(Math.max(...pageHeaps) / MiB), last: Math.round(pageHeaps.at(-1)! / MiB) },
        deactivated,
        // Wall-clock figures depend on how busy the machine is: a load above the core count
        // stretches every task.
        machine: { cores: cpus().length, loadAverage1m: Math.round(loadavg()[0]! * 10) / 10 },
      };
      console.log(`web rate at ${RATE}/s:`, JSON.stringify(figures, null, 2));

      expect(deactivated).toEqual([]);
      expect(total).toBeGreaterThan(0);
      expect(Math.min(...workerHeaps)).toBeGreaterThan(0);
      expect(Math.max(...workerHeaps)).toBeLessThan(1536 * MiB);
      expect(Math.max(...pageHeaps)).toBeLessThan(1536 * MiB);
      expect(figures.viewSwitchMedianMs).toBeLessThan(250);
      // Generous: measured 355 ms and 456 ms with a load average of 14.6 on 2 cores (the goal on an
      // idle machine is 50 ms and 100 ms).
      expect(figures.longTaskMaxMs).toBeLessThan(1500);
      expect(figures.viewSwitchMaxMs).toBeLessThan(1500);
      expect(errors.filter((e) => !e.includes('vigil.storage'))).toEqual([]);
    },
    (SECONDS + 180) * 1000,
  );
});
