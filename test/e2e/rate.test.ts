/**
 * The default rules and the simulator at 100,000 events/s, in Chromium on the built app, for
 * VIGIL_RATE_SECONDS seconds (30 by default; bench/web-rate.mjs runs it for 10 minutes). Measured:
 * events taken in per second (the engine's own count, read from the status bar), main-thread long
 * tasks (PerformanceObserver 'longtask': count, max, p95), view switches per view (hash change to
 * the view's shell rendered and a frame painted; and to the view filled: its staged parts drawn,
 * see web/components/shared/stages.ts), the page's JavaScript heap (performance.memory, precise
 * with --enable-precise-memory-info), the engine worker's JavaScript heap plus its ArrayBuffer
 * backing stores (DevTools protocol: Runtime.getHeapUsage's usedSize + backingStorageSize), the
 * renderer processes' resident memory (DevTools SystemInfo.getProcessInfo pids, /proc/<pid>/status
 * VmRSS; the worker runs in the renderer), rules deactivated, and precision and recall against the
 * simulator's ground truth at 100k/s beside the same at the default 300/s in the same run.
 *
 * Recall needs the windows to close: the score at 300/s is read after VIGIL_RATE_BASELINE_SECONDS
 * (20) of the default traffic (the simulator starts 2 minutes in the past, so windows have closed);
 * the score is then reset, the rate set to 100k/s for the measured run, then back to 300/s until the
 * simulator's event time is 70 s past the end of the fast run (the one-minute windows holding its
 * anomalies have closed), and read again.
 *
 * The main thread's CPU time is read from a Chromium trace too: each long task's, and each view
 * switch's (the tasks between performance marks the switch sets), which the machine's load does not
 * stretch as it does wall times.
 *
 * The figures are printed; the assertions are generous bounds (no rule deactivated, either heap
 * under 1.5 GiB, no task over 75 ms of CPU, a median view switch under 120 ms of wall time and 50 ms
 * of CPU, none over 120 ms of CPU or 1 s of wall time, precision and recall at 100k/s no more than
 * 25 points under those at 300/s): the real numbers go to the README. The run lasts a wall-clock time on purpose (it measures a real-time
 * rate): the loop waits on the clock between samples.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWS } from '../../web/lib/router.js';
import { CHROMIUM, chromiumAvailable, collectErrors } from './browser.js';
import { serveStatic, type StaticServer } from './static-server.js';

const SECONDS = Number(process.env.VIGIL_RATE_SECONDS ?? 30);
const BASELINE_SECONDS = Number(process.env.VIGIL_RATE_BASELINE_SECONDS ?? 20);
const DEFAULT_RATE = 300;
/** Event time past the fast run's end before its score is read: its one-minute windows closed. */
const DRAIN_MS = 70_000;
const RATE = 100_000;
const MiB = 2 ** 20;

const quantile = (values: number[], q: number): number => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/**
 * Switches to a view. `shell`: ms from the hash change to the view's element rendered (made on the
 * first visit, unhidden and redrawn with the current data on later ones) and the next frame;
 * `filled`: to its staged parts drawn too (no `data-filling` attribute) and a frame.
 */
function switchView(page: Page, view: string): Promise<{ shell: number; filled: number }> {
  return page.evaluate(async (view) => {
    const frame = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
    const t0 = performance.now();
    performance.mark('vigil-switch-start');
    location.hash = `#/${view}`;
    const shell = document.querySelector('vigil-app')!;
    const tag = `vigil-${view}-view`;
    for (;;) {
      await new Promise((ok) => requestAnimationFrame(ok));
      const el = shell.shadowRoot?.querySelector(tag) as (HTMLElement & { updateComplete?: Promise<unknown> }) | null;
      // Views are kept once made: a visited one is there, hidden, until the shell shows it.
      if (!el || el.hidden) continue;
      await el.updateComplete;
      // The frame that shows it.
      await frame();
      const shown = performance.now() - t0;
      performance.mark('vigil-switch-shown');
      while (el.hasAttribute('data-filling')) await new Promise((ok) => requestAnimationFrame(ok));
      await el.updateComplete;
      await frame();
      performance.mark('vigil-switch-filled');
      return { shell: shown, filled: performance.now() - t0 };
    }
  }, view);
}

interface Score {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** The simulator's score and event time, read from the Simulator view. */
async function simulatorScore(page: Page): Promise<{ score: Score | null; eventTime: number }> {
  await switchView(page, 'simulator');
  const el = page.locator('[data-testid=sim-score]');
  return { score: JSON.parse((await el.getAttribute('data-score')) ?? 'null') as Score | null, eventTime: Number(await el.getAttribute('data-event-time')) };
}

async function setRate(page: Page, rate: number): Promise<void> {
  await switchView(page, 'simulator');
  await page.locator('#rate').fill(String(rate));
  await page.locator('#rate').dispatchEvent('change');
  await page.locator('[data-testid=sim-apply]').click();
}

/** Resident memory of Chromium's renderer processes (the page and its workers), from /proc. */
async function rendererMemory(cdp: CDPSession): Promise<number> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  let bytes = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))?.[1];
      bytes += Number(kb ?? 0) * 1024;
    } catch {
      // The process ended, or /proc is not there (not Linux): not counted.
    }
  }
  return bytes;
}

/**
 * Main-thread tasks over 50 ms, from a Chromium trace (category 'toplevel', ThreadControllerImpl::RunTask): each one's wall time
 * and its thread time (CPU). On a loaded machine the wall time of a task stretches with the load
 * (the thread waits for a core); the CPU time is the work the page asked for.
 */
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

class LongTaskTrace {
  private readonly threads = new Map<string, string>();
  private readonly tasks: { thread: string; dur: number; tdur: number }[] = [];
  /** Every task (start, CPU µs) per thread, to add up the CPU time of each view switch. */
  private readonly all = new Map<string, { ts: number; tdur: number }[]>();
  /** The switch marks (web page's performance.mark), in trace time. */
  private readonly marks: { name: string; ts: number }[] = [];
  /** Tasks seen per thread, whatever their length (the trace worked). */
  private readonly seen = new Map<string, number>();
  private done: Promise<unknown> | undefined;

  constructor(private readonly cdp: CDPSession) {
    cdp.on('Tracing.dataCollected', (e) => {
      for (const ev of e.value as unknown as TraceEvent[]) {
        const thread = `${ev.pid}:${ev.tid}`;
        if (ev.ph === 'M' && ev.name === 'thread_name') this.threads.set(thread, ev.args?.name ?? '');
        else if (ev.name.startsWith('vigil-switch-')) this.marks.push({ name: ev.name, ts: ev.ts ?? 0 });
        else if (ev.ph === 'X' && ev.name === 'ThreadControllerImpl::RunTask') {
          this.seen.set(thread, (this.seen.get(thread) ?? 0) + 1);
          let list = this.all.get(thread);
          if (!list) this.all.set(thread, (list = []));
          list.push({ ts: ev.ts ?? 0, tdur: ev.tdur ?? 0 });
          if ((ev.dur ?? 0) > 50_000) this.tasks.push({ thread, dur: ev.dur! / 1000, tdur: (ev.tdur ?? 0) / 1000 });
        }
      }
    });
  }

  async start(): Promise<void> {
    this.done = new Promise((ok) => this.cdp.once('Tracing.tracingComplete', ok));
    await this.cdp.send('Tracing.start', { categories: 'toplevel,blink.user_timing', transferMode: 'ReportEvents' });
  }

  /** The renderer main threads' tasks over 50 ms (wall), with their CPU time, and how many tasks were traced there. */
  async stop(): Promise<{ tasks: number; long: { wallMs: number; cpuMs: number }[]; switchCpu: { shownMs: number; filledMs: number }[] }> {
    await this.cdp.send('Tracing.end');
    await this.done;
    const main = (thread: string) => this.threads.get(thread) === 'CrRendererMain';
    return {
      tasks: [...this.seen].filter(([thread]) => main(thread)).reduce((n, [, count]) => n + count, 0),
      long: this.tasks.filter((t) => main(t.thread)).map((t) => ({ wallMs: t.dur, cpuMs: t.tdur })),
      switchCpu: this.switchCpu([...this.all].filter(([thread]) => main(thread)).flatMap(([, list]) => list)),
    };
  }

  /**
   * Per view switch (in order), the main thread's CPU time from the hash change to the view shown,
   * and to it filled: the tasks that started between the marks (the test's own few included).
   */
  private switchCpu(tasks: { ts: number; tdur: number }[]): { shownMs: number; filledMs: number }[] {
    const cpu = (from: number, to: number) => tasks.filter((t) => t.ts >= from && t.ts < to).reduce((sum, t) => sum + t.tdur, 0) / 1000;
    const marks = [...this.marks].sort((a, b) => a.ts - b.ts);
    const out: { shownMs: number; filledMs: number }[] = [];
    for (let i = 0; i < marks.length; i++) {
      if (marks[i]!.name !== 'vigil-switch-start') continue;
      const shown = marks.slice(i + 1).find((m) => m.name === 'vigil-switch-shown');
      const filled = marks.slice(i + 1).find((m) => m.name === 'vigil-switch-filled');
      if (shown && filled) out.push({ shownMs: cpu(marks[i]!.ts, shown.ts), filledMs: cpu(marks[i]!.ts, filled.ts) });
    }
    return out;
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The longest run of consecutive values for which `test` holds. */
function longestRun(values: readonly number[], test: (x: number) => boolean): number {
  let longest = 0;
  let run = 0;
  for (const x of values) {
    run = test(x) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}
const percent = (x: number | undefined): number | null => (x === undefined ? null : round1(100 * x));

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
  let browserCdp: CDPSession;

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
    browserCdp = await browser.newBrowserCDPSession();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'keeps up: no rule deactivated, bounded heaps, short main-thread tasks, quick view switches, precision and recall as at 300/s',
    async () => {
      await page.goto(`${server.url}?memory#/simulator`);
      const status = page.locator('[data-testid=live-status]');
      await status.getByText('simulator running').waitFor({ timeout: 60_000 });

      // The default traffic first: its score is the one to match.
      const baselineStart = Date.now();
      while (Date.now() - baselineStart < BASELINE_SECONDS * 1000) await page.waitForTimeout(1000);
      const atDefault = await simulatorScore(page);
      await page.locator('[data-testid=sim-reset-score]').click();
      // Counting starts again (the default traffic may score a key or two at once).
      const counted = (s: Score | null) => (s ? s.truePositives + s.falsePositives + s.falseNegatives : 0);
      expect(counted(atDefault.score)).toBeGreaterThan(10);
      await expect.poll(async () => counted((await simulatorScore(page)).score)).toBeLessThan(counted(atDefault.score) / 2);

      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
        }).observe({ type: 'longtask' });
      });
      await setRate(page, RATE);
      const trace = new LongTaskTrace(await page.context().newCDPSession(page));
      await trace.start();

      const eventsIn = async () => Number((await status.getAttribute('data-events-in')) ?? 0);
      const startEvents = await eventsIn();
      const t0 = Date.now();
      const switches: { view: string; shell: number; filled: number; cpuShown?: number; cpuFilled?: number }[] = [];
      const workerHeaps: number[] = [];
      const pageHeaps: number[] = [];
      const rendererRss: number[] = [];
      const perSecond: number[] = [];
      let lastEvents = startEvents;
      let lastAt = t0;
      let v = 0;
      const pausedBanner = page.locator('[data-testid=checkpoint-paused-banner]');
      let pausedBannerSeen = false;
      while (Date.now() - t0 < SECONDS * 1000) {
        // Drive the clock by the work itself: a view switch, then the samples, about once a second.
        const view = VIEWS[v++ % VIEWS.length]!;
        switches.push({ view, ...(await switchView(page, view)) });
        await page.waitForTimeout(Math.max(0, 1000 - ((Date.now() - t0) % 1000)));
        const now = Date.now();
        const events = await eventsIn();
        perSecond.push(((events - lastEvents) * 1000) / (now - lastAt));
        lastEvents = events;
        lastAt = now;
        workerHeaps.push(await workerHeap.used());
        pageHeaps.push(await pageHeap(page));
        rendererRss.push(await rendererMemory(browserCdp));
        pausedBannerSeen ||= await pausedBanner.isVisible();
        if (process.env.VIGIL_RATE_VERBOSE) {
          const last = switches.at(-1)!;
          console.log(
            `t=${Math.round((now - t0) / 1000)} s: ${Math.round(perSecond.at(-1)!)} events/s, ${last.view} ${Math.round(last.shell)}/${Math.round(last.filled)} ms, worker ${Math.round(workerHeaps.at(-1)! / MiB)} MiB, page ${Math.round(pageHeaps.at(-1)! / MiB)} MiB, renderer RSS ${Math.round(rendererRss.at(-1)! / MiB)} MiB`,
          );
        }
      }
      const seconds = (Date.now() - t0) / 1000;
      const total = (await eventsIn()) - startEvents;
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      const traced = await trace.stop();
      const longTaskCpu = traced.long.map((t) => t.cpuMs);
      const deactivated = ((await status.getAttribute('data-deactivated')) ?? '').split('\n').filter(Boolean);

      // Back to the default rate until the fast run's windows have closed, then its score.
      const fastEnd = (await simulatorScore(page)).eventTime;
      await setRate(page, DEFAULT_RATE);
      await expect.poll(async () => (await simulatorScore(page)).eventTime - fastEnd, { timeout: DRAIN_MS * 3, interval: 2000 }).toBeGreaterThan(DRAIN_MS);
      const atRate = await simulatorScore(page);
      // The fast run's windows have closed: checkpoints are taken again and the banner goes.
      await expect.poll(() => pausedBanner.isVisible(), { timeout: 30_000 }).toBe(false);

      // The trace holds the switches made while it ran, in order: the first ones.
      traced.switchCpu.forEach((c, i) => {
        if (switches[i]) Object.assign(switches[i]!, { cpuShown: c.shownMs, cpuFilled: c.filledMs });
      });
      const perView: Record<string, { shellMedianMs: number; shellMaxMs: number; filledMedianMs: number; filledMaxMs: number; cpuShownMedianMs: number; cpuShownMaxMs: number; cpuFilledMaxMs: number }> = {};
      for (const view of VIEWS) {
        const mine = switches.filter((s) => s.view === view);
        const cpuOf = (key: 'cpuShown' | 'cpuFilled') => mine.map((s) => s[key]).filter((x): x is number => x !== undefined);
        if (!mine.length) continue;
        perView[view] = {
          shellMedianMs: Math.round(quantile(mine.map((s) => s.shell), 0.5)),
          shellMaxMs: Math.round(Math.max(...mine.map((s) => s.shell))),
          filledMedianMs: Math.round(quantile(mine.map((s) => s.filled), 0.5)),
          filledMaxMs: Math.round(Math.max(...mine.map((s) => s.filled))),
          // The main thread's CPU time in the same spans (load stretches the wall time, not this).
          cpuShownMedianMs: Math.round(quantile(cpuOf('cpuShown'), 0.5)),
          cpuShownMaxMs: Math.round(Math.max(0, ...cpuOf('cpuShown'))),
          cpuFilledMaxMs: Math.round(Math.max(0, ...cpuOf('cpuFilled'))),
        };
      }
      const shells = switches.map((s) => s.shell);
      const filled = switches.map((s) => s.filled);
      const scoreFigures = (s: Score | null) => (s ? { precision: percent(s.precision), recall: percent(s.recall), tp: s.truePositives, fp: s.falsePositives, fn: s.falseNegatives } : null);
      const figures = {
        seconds: Math.round(seconds),
        eventsPerSecondMean: Math.round(total / seconds),
        // Per-second samples are lumpy (the status bar updates a few times a second): the median.
        eventsPerSecondMedian: Math.round(quantile(perSecond.slice(3), 0.5)),
        // Seconds in a row the worker took (almost) no events: it stalled (the first 3 s excluded, the rate still rising).
        longestStallSeconds: longestRun(perSecond.slice(3), (x) => x < RATE / 10),
        secondsStalled: perSecond.slice(3).filter((x) => x < RATE / 10).length,
        checkpointPausedBannerSeen: pausedBannerSeen,
        longTasks: longTasks.length,
        longTaskMaxMs: Math.round(Math.max(0, ...longTasks)),
        longTaskP95Ms: Math.round(quantile(longTasks, 0.95)),
        longTasksOver50Ms: longTasks.filter((d) => d > 50).length,
        // The same tasks' CPU time (traced; the wall time above includes waiting for a core).
        longTaskCpuMaxMs: Math.round(Math.max(0, ...longTaskCpu)),
        longTaskCpuP95Ms: Math.round(quantile(longTaskCpu, 0.95)),
        longTasksCpuOver50Ms: longTaskCpu.filter((d) => d > 50).length,
        viewSwitchMedianMs: Math.round(quantile(shells, 0.5)),
        viewSwitchMaxMs: Math.round(Math.max(...shells)),
        viewFilledMedianMs: Math.round(quantile(filled, 0.5)),
        viewFilledMaxMs: Math.round(Math.max(...filled)),
        viewSwitchCpuMedianMs: Math.round(quantile(traced.switchCpu.map((c) => c.shownMs), 0.5)),
        viewSwitchCpuMaxMs: Math.round(Math.max(0, ...traced.switchCpu.map((c) => c.shownMs))),
        viewFilledCpuMaxMs: Math.round(Math.max(0, ...traced.switchCpu.map((c) => c.filledMs))),
        perView,
        workerHeapMiB: { first: Math.round(workerHeaps[0]! / MiB), max: Math.round(Math.max(...workerHeaps) / MiB), last: Math.round(workerHeaps.at(-1)! / MiB) },
        pageHeapMiB: { first: Math.round(pageHeaps[0]! / MiB), max: Math.round(Math.max(...pageHeaps) / MiB), last: Math.round(pageHeaps.at(-1)! / MiB) },
        rendererRssMiB: { first: Math.round(rendererRss[0]! / MiB), max: Math.round(Math.max(...rendererRss) / MiB), last: Math.round(rendererRss.at(-1)! / MiB) },
        deactivated,
        score: { [`at${DEFAULT_RATE}PerSecond`]: scoreFigures(atDefault.score), [`at${RATE}PerSecond`]: scoreFigures(atRate.score) },
        // Wall-clock figures depend on how busy the machine is: a load above the core count
        // stretches every task.
        machine: { cores: cpus().length, loadAverage1m: Math.round(loadavg()[0]! * 10) / 10 },
      };
      console.log(`web rate at ${RATE}/s:`, JSON.stringify(figures, null, 2));

      expect(deactivated).toEqual([]);
      expect(total).toBeGreaterThan(0);
      // At 100k/s the default rules' windows hold millions of events: checkpoints pause, and say so.
      expect(pausedBannerSeen).toBe(true);
      // Generous: the engine worker never stops taking events for long (checkpoints of the full
      // windows stopped it for 3–10 s before they paused).
      expect(figures.longestStallSeconds).toBeLessThanOrEqual(3);
      expect(Math.min(...workerHeaps)).toBeGreaterThan(0);
      expect(Math.max(...workerHeaps)).toBeLessThan(1536 * MiB);
      expect(Math.max(...pageHeaps)).toBeLessThan(1536 * MiB);
      // Generous: the goal is no task over 50 ms and every switch under 100 ms. Wall times stretch
      // with the machine's load (2 cores shared by several test runs measured 5–8 times the CPU
      // time); the CPU time of a task does not.
      expect(traced.tasks).toBeGreaterThan(0);
      expect(figures.longTaskCpuMaxMs).toBeLessThan(75);
      expect(figures.viewSwitchMedianMs).toBeLessThan(120);
      expect(traced.switchCpu.length).toBeGreaterThan(0);
      expect(figures.viewSwitchCpuMedianMs).toBeLessThan(50);
      expect(figures.viewSwitchCpuMaxMs).toBeLessThan(120);
      expect(figures.longTaskMaxMs).toBeLessThan(1000);
      expect(figures.viewSwitchMaxMs).toBeLessThan(1000);
      // Detection as at the default rate: both scores exist and 100k/s is within 25 points.
      expect(atDefault.score).not.toBeNull();
      expect(atRate.score).not.toBeNull();
      expect(atRate.score!.recall).toBeGreaterThan(atDefault.score!.recall - 0.25);
      expect(atRate.score!.precision).toBeGreaterThan(atDefault.score!.precision - 0.25);
      expect(errors.filter((e) => !e.includes('vigil.storage'))).toEqual([]);
    },
    (SECONDS + BASELINE_SECONDS + 3 * DRAIN_MS / 1000 + 180) * 1000,
  );
});
