/** Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core. */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { serveStatic, type StaticServer } from './static-server.js';

export const ARTIFACTS = 'test-artifacts';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Collects console errors and uncaught page errors of a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') errors.push(`worker console: ${msg.text()}`);
    });
  });
  return errors;
}

/** The built app served on 127.0.0.1 and open in one Chromium page (filled in by beforeAll). */
export interface AppSession {
  server: StaticServer;
  context: BrowserContext;
  page: Page;
  /** Console and page errors so far. */
  errors: string[];
  /** A screenshot in test-artifacts/. */
  shot(name: string): Promise<Buffer>;
  /** The rows of the Alerts table. */
  rows(): Locator;
}

/** Registers the hooks that serve web-dist/ and open it in Chromium for the tests of a describe block. */
export function useBuiltApp(): AppSession {
  let browser: Browser | undefined;
  const app = {
    shot: (name: string) => app.page.screenshot({ path: `${ARTIFACTS}/${name}.png` }),
    rows: () => app.page.locator('[data-testid=alert-row]'),
  } as AppSession;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app.server = await serveStatic('web-dist');
    browser = await launchChromium();
    app.context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    app.page = await app.context.newPage();
    app.errors = collectErrors(app.page);
  });
  afterAll(async () => {
    await app.context?.close();
    await browser?.close();
    await app.server?.close();
  });
  return app;
}
