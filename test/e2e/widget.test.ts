/**
 * The embeddable widget `<vigil-detections>` in Chromium. beforeAll builds it with
 * vite.widget.config.ts into a nested path of a temporary site (the wasm URLs must resolve relative
 * to the module, wherever it is) and writes plain HTML pages that include it with one script tag.
 * Then: the simulator source gives alerts and counts (from the engine in a Web Worker); an inline rule
 * with a syntax error shows its diagnostic with line:col; a WebSocket source (a tiny server in this
 * file: node's http + a manual upgrade) and an EventSource source give their alerts and counts; an
 * unreachable source says so. Screenshots go to test-artifacts/widget*.png.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, collectErrors, launchChromium } from './browser.js';
import { serveStatic, type StaticServer } from './static-server.js';

const ARTIFACTS = 'test-artifacts';
/** Where the pages find the widget: a nested path, not the folder it was built in. */
const WIDGET_PATH = 'static/vendor/vigil';

const BRUTE_FORCE_RULES = `
  // Ten or more failed logins to one account on one server within a minute.
  RULE "brute force"
  SOURCES kind = "auth"
  FILTER function (event) { return event.outcome == 'failure'; }
  USING timestamp
  AGGREGATE BY user, server
  WITHIN 1:min, 1:min
  HAVING function (events) { return events.length >= 10; }
  SINK function (w) { return { user: w.user, server: w.server, failures: w.count, severity: 'medium' }; }

  RULE "admin failures"
  SOURCES kind = "auth"
  FILTER function (event) { return event.outcome == 'failure' && event.user == 'administrator'; }
  SINK function (event) { return { user: event.user, server: event.server, severity: 'low' }; }
`;

/** Line 4 of the element's text (line 1 is the rest of the opening tag's line), column 49. */
const BROKEN_RULES = `
RULE "failed logins"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == ; }
SINK function (event) { return { user: event.user }; }
`;

const STREAM_RULES = `
RULE "root failure"
SOURCES kind = "auth"
FILTER function (e) { return e.user == 'root' && e.outcome == 'failure'; }
SINK function (e) { return { user: e.user, src: e.src, severity: 'high' }; }

RULE "any success"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'success'; }
SINK function (e) { return { user: e.user }; }
`;

const auth = (user: string, outcome: string, src = '203.0.113.7') => ({ kind: 'auth', user, outcome, src, timestamp: Date.now() });

/** What the stream servers send: 6 events (3 root failures, 2 successes) and one line that is not JSON. */
function streamMessages(): string[] {
  return [
    // JSON lines in one message
    [auth('root', 'failure'), auth('root', 'failure'), auth('alice', 'success')].map((e) => JSON.stringify(e)).join('\n'),
    // a JSON array
    JSON.stringify([auth('bob', 'failure'), auth('root', 'failure', '198.51.100.9')]),
    // one object
    JSON.stringify(auth('carol', 'success')),
    'this is not json',
  ];
}

function page(title: string, body: string, src = `/${WIDGET_PATH}/vigil-detections.js`): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <link rel="icon" href="data:,">
  <script type="module" src="${src}"></script>
  <style>
    body { margin: 0; padding: 24px; background: #e9edf2; font: 14px system-ui, sans-serif; }
    .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; align-items: start; max-width: 1100px; }
  </style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Sends text frames on an upgraded socket (RFC 6455: FIN + text opcode, no mask from a server). */
function wsFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : null;
  if (!head) throw new Error('frame too long for this test server');
  return Buffer.concat([head, payload]);
}

interface StreamServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Another origin: `/ws`, a WebSocket that sends streamMessages() on connect; `/events`, the same as
 * an event stream; `/cdn/<file>`, the widget's folder with CORS. Two instances run: one for the
 * streams, one as the CDN, so the streams' open connections never hold up the CDN's requests
 * (Chromium allows six connections per host).
 */
async function serveStreams(cdnDir?: string): Promise<StreamServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'access-control-allow-origin': '*',
      });
      for (const message of streamMessages()) {
        // Each EventSource message is one JSON event (or array); lines of one message join with \n.
        res.write(message.split('\n').map((line) => `data: ${line}\n`).join('') + '\n');
      }
      return; // keep the stream open
    }
    // /cdn/…: the widget's folder on another origin (module scripts and their fetches need CORS).
    const file = cdnDir && req.url?.startsWith('/cdn/') ? join(cdnDir, req.url.slice('/cdn/'.length).replace(/[^\w.-]/g, '')) : '';
    if (file && existsSync(file)) {
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*' }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const key = req.headers['sec-websocket-key'];
    if (req.url !== '/ws' || typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'),
    );
    socket.on('error', () => {});
    socket.on('data', () => {}); // client frames (a close on unload) are ignored
    for (const message of streamMessages()) socket.write(wsFrame(message));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe.skipIf(!chromiumAvailable())('<vigil-detections> widget (built) in Chromium', () => {
  let site: string;
  let widgetDir: string;
  let server: StaticServer;
  let streams: StreamServer;
  let cdn: StreamServer;
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[];
  let tab: Page;

  beforeAll(async () => {
    // Built straight into the temporary site (at a nested path, not where the config writes it):
    // other builds in the tree may empty web-dist/ at any time.
    site = mkdtempSync(join(tmpdir(), 'vigil-widget-'));
    widgetDir = join(site, WIDGET_PATH);
    // vitest sets NODE_ENV=test, which would make Vite resolve development builds (lit's dev mode).
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: 'vite.widget.config.ts', mode: 'production', logLevel: 'warn', build: { outDir: widgetDir, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = previous;
    }
    for (const file of ['vigil-detections.js', 'vigil.wasm', 'quickjs.wasm']) {
      if (!existsSync(join(widgetDir, file))) throw new Error(`the widget build did not write ${file}`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    streams = await serveStreams();
    cdn = await serveStreams(widgetDir);
    const deadPort = await closedPort();

    writeFileSync(
      join(site, 'simulator.html'),
      page(
        'simulator',
        `<div class="grid">
  <vigil-detections id="sim" source="simulator:bruteforce" theme="dark" max-alerts="8">
    <script type="text/vgl">${BRUTE_FORCE_RULES}</script>
  </vigil-detections>
  <vigil-detections id="sim-light" source="simulator:bruteforce?seed=2" theme="light" max-alerts="8">
    <script type="text/vgl">${BRUTE_FORCE_RULES}</script>
  </vigil-detections>
</div>`,
      ),
    );
    // The broken rule as the element's own text content (no script child).
    writeFileSync(join(site, 'broken.html'), page('broken', `<vigil-detections id="broken" source="simulator:bruteforce" theme="light">${BROKEN_RULES}</vigil-detections>`));
    writeFileSync(
      join(site, 'streams.html'),
      page(
        'streams',
        `<div class="grid">
  <vigil-detections id="ws" source="ws://127.0.0.1:${streams.port}/ws" theme="light"><script type="text/vgl">${STREAM_RULES}</script></vigil-detections>
  <vigil-detections id="sse" source="http://127.0.0.1:${streams.port}/events" theme="dark"><script type="text/vgl">${STREAM_RULES}</script></vigil-detections>
  <vigil-detections id="dead" source="ws://127.0.0.1:${deadPort}/ws" theme="light"><script type="text/vgl">${STREAM_RULES}</script></vigil-detections>
  <vigil-detections id="from-url" rules="rules/stream.vgl" source="http://127.0.0.1:${streams.port}/events" theme="light"></vigil-detections>
</div>`,
      ),
    );
    mkdirSync(join(site, 'rules'));
    writeFileSync(join(site, 'rules/stream.vgl'), STREAM_RULES);
    writeFileSync(
      join(site, 'in-page.html'),
      page(
        'in-page',
        `<vigil-detections id="in-page" worker="off" source="simulator:bruteforce" theme="light" max-alerts="3"><script type="text/vgl">${BRUTE_FORCE_RULES}</script></vigil-detections>`,
      ),
    );

    writeFileSync(
      join(site, 'cross-origin.html'),
      page(
        'cross-origin',
        `<vigil-detections id="cdn" source="simulator:bruteforce" theme="light" max-alerts="3"><script type="text/vgl">${BRUTE_FORCE_RULES}</script></vigil-detections>`,
        `http://127.0.0.1:${cdn.port}/cdn/vigil-detections.js`,
      ),
    );

    server = await serveStatic(site);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1160, height: 760 } });
    tab = await context.newPage();
    errors = collectErrors(tab);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await streams?.close();
    await cdn?.close();
    if (site) rmSync(site, { recursive: true, force: true });
  });

  const within = (id: string) => tab.locator(`#${id}`);
  const number = async (id: string, testid: string) => Number(await within(id).locator(`[data-testid=${testid}]`).getAttribute('title'));
  const ruleAlerts = async (id: string, rule: string) =>
    Number(await within(id).locator(`[data-testid=rule][data-rule="${rule}"] [data-testid=rule-alerts]`).textContent());

  it('is one ES module with its two .wasm files beside it', () => {
    const js = readFileSync(join(widgetDir, 'vigil-detections.js'), 'utf8');
    // No other chunk is imported, and the wasm URLs are relative to the module.
    expect(js).not.toMatch(/\bimport\s*\(\s*["'`]\.\//);
    expect(js).not.toMatch(/from\s*["'`]\.\//);
    expect(js).toMatch(/new URL\(["'`]vigil\.wasm["'`],\s*import\.meta\.url\)/);
    expect(js).toMatch(/new URL\(["'`]quickjs\.wasm["'`],\s*import\.meta\.url\)/);
    expect(js).not.toContain('data:application/wasm');
  });

  it('shows alerts and counts from the simulator, with the engine in a Web Worker', async () => {
    // Every alert reaches the page as a `vigil-alert` event (bubbling out of the shadow root):
    // counted from before the page's first script, per element.
    await tab.addInitScript(() => {
      const seen: Record<string, { alerts: number; omitted: number; backfill: number }> = {};
      (window as unknown as { vigilSeen: typeof seen }).vigilSeen = seen;
      const entry = (e: Event) => (seen[(e.target as Element).id] ??= { alerts: 0, omitted: 0, backfill: 0 });
      document.addEventListener('vigil-alert', (e) => {
        entry(e).alerts++;
        if ((e as Event & { backfill?: boolean }).backfill) entry(e).backfill++;
      });
      document.addEventListener('vigil-alerts-omitted', (e) => (entry(e).omitted += (e as CustomEvent<{ count: number }>).detail.count));
    });
    await tab.goto(`${server.url}simulator.html`);
    const sim = within('sim');
    await sim.locator('[data-testid=alert]').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => sim.locator('[data-testid=alert-rule]').getByText('brute force', { exact: true }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await within('sim-light').locator('[data-testid=alert]').first().waitFor({ timeout: 60_000 });

    // Counts: events flow, alerts add up per rule, the list keeps at most max-alerts.
    const events = await number('sim', 'event-count');
    expect(events).toBeGreaterThan(1000);
    await expect.poll(() => number('sim', 'event-count'), { timeout: 10_000 }).toBeGreaterThan(events);
    const alerts = await number('sim', 'alert-count');
    const perRule = (await ruleAlerts('sim', 'brute force')) + (await ruleAlerts('sim', 'admin failures'));
    expect(alerts).toBeGreaterThan(0);
    expect(alerts).toBe(perRule); // both from one snapshot of the metrics
    expect(await ruleAlerts('sim', 'brute force')).toBeGreaterThan(0);
    expect(await sim.locator('[data-testid=rule-count]').textContent()).toBe('2');
    const rows = await sim.locator('[data-testid=alert]').count();
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(8);
    // A brute-force row: rule, summary, time.
    const bf = sim.locator('[data-testid=alert]').filter({ has: tab.locator('[data-testid=alert-rule]', { hasText: /^brute force$/ }) }).first();
    expect(await bf.locator('[data-testid=alert-summary]').textContent()).toMatch(/^user=\S+ · server=srv-\d+ · failures=\d+$/);
    expect(await bf.locator('.time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await sim.locator('[data-testid=status-dot]').getAttribute('data-state')).toBe('live');
    expect(await sim.locator('[data-testid=source]').textContent()).toContain('simulator: bruteforce');

    // The engines run in workers started from the widget's module (one per element).
    const workers = tab.workers().map((w) => w.url());
    expect(workers.filter((u) => u.endsWith(`/${WIDGET_PATH}/vigil-detections.js`)).length).toBe(2);
    // Styles are encapsulated: the element's shadow root holds them, the page has none of them.
    expect(await tab.evaluate(() => document.querySelector('#sim')!.shadowRoot !== null)).toBe(true);
    expect(await tab.evaluate(() => document.querySelectorAll('.alert').length)).toBe(0);

    // The page never blocks: timers keep firing on time while the simulator runs.
    const worstGap = await tab.evaluate(
      () =>
        new Promise<number>((done) => {
          let last = performance.now();
          let worst = 0;
          const t = setInterval(() => {
            const now = performance.now();
            worst = Math.max(worst, now - last);
            last = now;
          }, 20);
          setTimeout(() => {
            clearInterval(t);
            done(worst);
          }, 2000);
        }),
    );
    expect(worstGap).toBeLessThan(250);

    // The events counted equal the element's own alert count, read in the same task (the count and
    // the events of one update are set together).
    const [seen, shown] = await tab.evaluate(() => {
      const el = document.querySelector('#sim') as unknown as { counts: { alerts: number } };
      return [(window as unknown as { vigilSeen: Record<string, { alerts: number; omitted: number; backfill: number }> }).vigilSeen.sim!, el.counts.alerts] as const;
    });
    expect(seen.alerts).toBeGreaterThan(0);
    expect(seen.alerts + seen.omitted).toBe(shown);

    await tab.screenshot({ path: `${ARTIFACTS}/widget.png` });
    expect(errors).toEqual([]);
  });

  it('shows the diagnostics of inline rules with a syntax error, with line:col', async () => {
    await tab.goto(`${server.url}broken.html`);
    const broken = within('broken');
    const diagnostic = broken.locator('[data-testid=diagnostic]').first();
    await diagnostic.waitFor({ timeout: 30_000 });
    expect(await broken.locator('[data-testid=error]').textContent()).toContain('nothing runs');
    const text = (await diagnostic.textContent()) ?? '';
    expect(text).toMatch(/inline\.vgl:4:\d+/);
    expect(text).toContain('event.outcome == ;');
    expect(await broken.locator('[data-testid=status-dot]').getAttribute('data-state')).toBe('error');
    await tab.screenshot({ path: `${ARTIFACTS}/widget-error.png` });
    expect(errors).toEqual([]);
  });

  it('takes events from a WebSocket and an EventSource, and says when a source is unreachable', async () => {
    await tab.goto(`${server.url}streams.html`);
    for (const id of ['ws', 'sse', 'from-url']) {
      await expect.poll(() => number(id, 'event-count'), { timeout: 30_000 }).toBe(6);
      await expect.poll(() => number(id, 'alert-count'), { timeout: 10_000 }).toBe(5);
      expect(await ruleAlerts(id, 'root failure')).toBe(3);
      expect(await ruleAlerts(id, 'any success')).toBe(2);
      expect(await within(id).locator('[data-testid=alert]').count()).toBe(5);
      // Newest first: the last success the server sent is on top.
      expect(await within(id).locator('[data-testid=alert-summary]').first().textContent()).toBe('user=carol');
      expect(await within(id).locator('footer').textContent()).toContain('1 non-JSON message skipped');
      expect(await within(id).locator('[data-testid=status-dot]').getAttribute('data-state')).toBe('live');
    }
    expect(await within('ws').locator('[data-testid=source]').textContent()).toContain('WebSocket ws://127.0.0.1');
    expect(await within('sse').locator('[data-testid=source]').textContent()).toContain('EventSource http://127.0.0.1');
    const rootRow = within('ws').locator('[data-testid=alert]').filter({ hasText: '198.51.100.9' });
    expect(await rootRow.locator('[data-testid=alert-rule]').textContent()).toBe('root failure');
    expect(await rootRow.locator('.sev').textContent()).toBe('high');

    const dead = within('dead');
    await dead.locator('[data-testid=source-error]').waitFor({ timeout: 30_000 });
    expect(await dead.locator('[data-testid=source-error]').textContent()).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:\d+\/ws; retrying/);
    expect(await dead.locator('[data-testid=status-dot]').getAttribute('data-state')).toBe('error');
    await tab.screenshot({ path: `${ARTIFACTS}/widget-streams.png` });
    // The refused WebSocket logs a console error in Chromium; nothing else may.
    expect(errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed/.test(e))).toEqual([]);
  });

  it('loads from another origin (a CDN with CORS): the worker is a same-origin blob importing the module', async () => {
    errors.length = 0;
    await tab.goto(`${server.url}cross-origin.html`);
    const el = within('cdn');
    await el.locator('[data-testid=alert]').first().waitFor({ timeout: 60_000 });
    expect(tab.workers().map((w) => w.url())).toEqual([expect.stringMatching(/^blob:http:\/\/127\.0\.0\.1:\d+\//)]);
    expect(errors).toEqual([]);
  });

  it('runs in the page with worker="off"', async () => {
    errors.length = 0;
    await tab.goto(`${server.url}in-page.html`);
    const el = within('in-page');
    await el.locator('[data-testid=alert]').first().waitFor({ timeout: 60_000 });
    expect(await el.locator('[data-testid=alert]').count()).toBeLessThanOrEqual(3);
    expect(tab.workers().length).toBe(0);
    expect(errors).toEqual([]);
  });
});
