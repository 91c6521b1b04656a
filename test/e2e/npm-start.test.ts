/**
 * The README's `npm start`, as a user runs it: the Vite dev server of web/ (development build, not
 * the production site the other e2e tests load), then the app in Chromium with the simulator
 * running and alerts appearing. The port is passed after `--` only so parallel runs don't collide;
 * the README's default is 5173.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, collectErrors, launchChromium } from './browser.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

let child: ChildProcess | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
});

describe.skipIf(!chromiumAvailable())('npm start', () => {
  it('serves the app at the printed address, with the simulator running and alerts appearing', async () => {
    const port = await freePort();
    child = spawn('npm', ['start', '--', '--port', String(port), '--strictPort'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    while (!url) {
      url = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start printed no address:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}#/alerts`);
    // The dev server transforms modules on first request: give the first load time.
    await page.locator('[data-testid=alert-row]').first().waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-testid=alert-row]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 200_000);
});
