/**
 * Storage failures in Chromium on the built app: the engine worker's script is served with a fault
 * switch in front of it (an IndexedDB put then aborts its transaction, as a full disk or an evicted
 * database does), turned on and off from the page over a BroadcastChannel, so every IndexedDB write
 * of the worker — engine checkpoints, kept alerts, rules — fails while it is on. (Chromium's
 * Storage.overrideQuotaForOrigin does not reach the incognito contexts the tests run in: the
 * quota stayed 10 GiB.) The page shows exactly one
 * banner, under the navigation, with the cause and the retry state (failures counted, since when,
 * retried with every checkpoint); repeated failures raise the count and never add a banner or a
 * toast; the banner can be read at 390×844, 768×1024 and 1440×900. Once the quota is back, the
 * next checkpoint saves and the banner goes. Checkpoints are asked for the way the page asks when
 * it is hidden (a `pagehide` event), so the test does not wait for the 10 s timer.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';

const FAULT_CHANNEL = 'vigil-e2e-storage-fault';

/** Runs in the worker before its own code: while on, every IndexedDB put aborts its transaction. */
const FAULT_SWITCH = `;(() => {
  let failing = false;
  const channel = new BroadcastChannel(${JSON.stringify(FAULT_CHANNEL)});
  channel.onmessage = (e) => {
    if (!('fail' in e.data)) return;
    failing = e.data.fail;
    channel.postMessage({ ack: failing });
  };
  const aborted = new WeakSet();
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args);
    const tx = this.transaction;
    // Aborted once the requests are issued, as a failed commit is (not while they are).
    if (failing && !aborted.has(tx)) {
      aborted.add(tx);
      queueMicrotask(() => {
        try {
          tx.abort();
        } catch {}
      });
    }
    return request;
  };
})();
`;

/** Turns the worker's storage fault on or off, once the worker says it has. */
function storageFault(page: Page, fail: boolean): Promise<unknown> {
  return page.evaluate(
    ([name, on]) =>
      new Promise((done) => {
        const channel = new BroadcastChannel(name);
        channel.onmessage = (e: MessageEvent<{ ack?: boolean }>) => {
          if (e.data.ack !== on) return;
          channel.close();
          done(on);
        };
        channel.postMessage({ fail: on });
      }),
    [FAULT_CHANNEL, fail] as const,
  );
}

describe.skipIf(!chromiumAvailable())('storage failures (built app) in Chromium', () => {
  const app = useBuiltApp();

  it('one persistent banner with the cause and the retry state while saving fails, gone once a save works', async () => {
    const page = app.page;
    await page.route(/engine\.worker-[\w-]+\.js$/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: FAULT_SWITCH + (await response.text()) });
    });
    await page.goto(`${app.server.url}?reset#/debugger`);
    await page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    const banner = page.locator('[data-testid=storage-banner]');
    const checkpointAt = async () => Number(await page.locator('[data-testid=checkpoint-info]').getAttribute('data-time'));
    const askForCheckpoint = () => page.evaluate(() => window.dispatchEvent(new Event('pagehide')));

    // Saving works to begin with: a checkpoint lands, no banner.
    await askForCheckpoint();
    await expect.poll(checkpointAt, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await banner.count()).toBe(0);
    const savedBefore = await checkpointAt();

    // IndexedDB refuses every write from now on.
    await storageFault(page, true);
    await askForCheckpoint();
    await banner.waitFor({ timeout: 20_000 });
    const cause = banner.locator('[data-testid=storage-cause]');
    const retry = banner.locator('[data-testid=storage-retry]');
    expect(await cause.textContent()).toMatch(/^could not save( the checkpoint| the kept alerts)?: (AbortError|The transaction was aborted)/);
    const failures = async () => Number(/^(\d+) failures?\b/.exec(((await retry.textContent()) ?? '').trim())?.[1] ?? NaN);
    expect(await failures()).toBeGreaterThanOrEqual(1);
    expect((await retry.textContent())!.replace(/\s+/g, ' ')).toMatch(/ since \d{1,2}:\d\d:\d\d( [AP]M)?, last at \d{1,2}:\d\d:\d\d( [AP]M)?; retried with every checkpoint \(each 10 s\)/);

    // Failure after failure: the count goes up, still one banner, no toast about it.
    for (let round = 0; round < 3; round++) {
      const before = await failures();
      await askForCheckpoint();
      await expect.poll(failures, { timeout: 20_000 }).toBeGreaterThan(before);
      expect(await banner.count()).toBe(1);
    }
    expect(await page.locator('[data-testid=toast]').filter({ hasText: /save|AbortError/i }).count()).toBe(0);
    // No checkpoint was recorded as saved meanwhile.
    expect(await checkpointAt()).toBe(savedBefore);
    await atEverySize(page, 'storage-banner', { 'the cause': cause, 'the retry state': retry }, 'debugger');
    // The kept alerts fail too (their next flush, once an alert comes), into the same banner.
    await page.goto(`${app.server.url}#/dashboard`);
    const diagnostic = (text: string) => page.locator('[data-testid=diagnostic]').filter({ hasText: text });
    await diagnostic('could not save the kept alerts: ').waitFor({ timeout: 30_000 });
    expect(await banner.count()).toBe(1);
    await page.goto(`${app.server.url}#/debugger`);

    // IndexedDB works again: the next checkpoint saves, and the banner goes.
    await storageFault(page, false);
    await askForCheckpoint();
    await expect.poll(checkpointAt, { timeout: 20_000 }).toBeGreaterThan(savedBefore);
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    // The kept alerts are saved again too: said once, and not counted as a failure.
    await page.goto(`${app.server.url}#/dashboard`);
    await diagnostic('the kept alerts are being saved again').waitFor({ timeout: 30_000 });
    expect(await banner.count()).toBe(0);
    expect(app.errors.filter((e) => !e.includes('vigil.storage'))).toEqual([]);
  });
});
