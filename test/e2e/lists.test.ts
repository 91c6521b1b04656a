/**
 * IOC list upload and the dashboard's top destinations, in Chromium on the built app: a generated
 * 200 000-line IOC file goes in through the list manager's file input, the progress bar reaches
 * 100 % with the count, the list is kept as a filter (and survives a reload), a rule using it
 * raises alerts; single entries are added and removed; the dashboard shows top destinations and URLs.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, useBuiltApp } from './browser.js';

const LIST = 'uploaded_ips';
const RULE = 'uploaded ioc login';
const ENTRIES = 200_000;

/** 200 000 distinct addresses, with comments and blank lines; among them the simulator's regular users (192.168.1.x). */
function iocFile(): string {
  const lines: string[] = ['# generated IOC list', ''];
  let entries = 0;
  for (let i = 1; i <= 254; i++, entries++) lines.push(`192.168.1.${i}`);
  for (let i = 0; entries < ENTRIES; i++, entries++) {
    lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 50_000 === 0) lines.push('# a comment', '   ');
  }
  const path = `${ARTIFACTS}/iocs-200k.txt`;
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe.skipIf(!chromiumAvailable())('IOC list upload and top destinations (built app) in Chromium', () => {
  const app = useBuiltApp();

  const listItem = () => app.page.locator(`[data-testid=ioc-list]`).filter({ hasText: LIST });

  it('uploads a 200k-line IOC file with a progress bar, keeps it as a filter, and a rule using it alerts', async () => {
    const file = iocFile();
    await app.page.goto(`${app.server.url}?reset#/rules`);
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    await app.page.getByRole('tab', { name: 'IOC lists' }).click();
    await app.page.locator('vigil-list-manager').getByRole('button', { name: '+ New' }).first().click();
    await app.page.locator('vigil-list-manager input[name=listname]').fill(LIST);
    await app.page.locator('[data-testid=list-file]').setInputFiles(file);

    await expect.poll(() => app.page.locator('[data-testid=upload-percent]').textContent(), { timeout: 60_000 }).toBe('100%');
    expect(await app.page.locator('[data-testid=upload-progress]').getAttribute('aria-valuenow')).toBe('100');
    const result = app.page.locator('[data-testid=upload-result]');
    await expect.poll(() => result.getAttribute('data-count')).toBe(String(ENTRIES));
    expect(await result.textContent()).toContain('kept as a filter');
    await listItem().waitFor();
    await expect.poll(() => listItem().locator('[data-testid=ioc-list-count]').getAttribute('data-count')).toBe(String(ENTRIES));
    await app.shot('list-upload');

    // A large list is edited one entry at a time.
    await app.page.locator('[data-testid=list-filter-editor]').waitFor();
    const entry = app.page.locator('[data-testid=list-entry]');
    await entry.fill('203.0.113.250');
    await app.page.locator('[data-testid=list-entry-add]').click();
    await expect.poll(() => listItem().locator('[data-testid=ioc-list-count]').getAttribute('data-count')).toBe(String(ENTRIES + 1));
    await entry.fill('203.0.113.250');
    await app.page.locator('[data-testid=list-entry-remove]').click();
    await expect.poll(() => listItem().locator('[data-testid=ioc-list-count]').getAttribute('data-count')).toBe(String(ENTRIES));

    // A rule using the list: the simulator's regular users log in from 192.168.1.x.
    await app.page.goto(`${app.server.url}#/rules/new`);
    const textarea = app.page.locator('[data-testid=rule-textarea]');
    await textarea.fill(`RULE "${RULE}"
SOURCES kind = "auth"
IOC FILTERS in ${LIST}(sourceAddress)
SINK function (e) { return { user: e.user, sourceAddress: e.sourceAddress }; }
`);
    await app.page.getByText('No problems').waitFor();
    // Ctrl+Enter previews the draft; Apply is in the preview.
    await textarea.press('Control+Enter');
    await app.page.locator('[data-testid=apply]:not([disabled])').click();
    await app.page.locator('[data-testid=toast]').getByText(`added "${RULE}"`).waitFor();
    await app.page.goto(`${app.server.url}#/alerts?rule=${encodeURIComponent(RULE)}`);
    const rows = app.page.locator('[data-testid=alert-row]');
    await rows.first().waitFor({ timeout: 30_000 });
    await rows.first().click();
    await expect.poll(() => app.page.locator('[data-testid=detail-rule]').textContent()).toBe(RULE);
  });

  it('keeps the large list (as filter bytes) across a reload', async () => {
    await app.page.goto(`${app.server.url}#/rules`);
    await app.page.reload();
    await app.page.locator('[data-testid=live-status]').getByText('simulator running').waitFor({ timeout: 30_000 });
    await app.page.getByRole('tab', { name: 'IOC lists' }).click();
    await listItem().waitFor({ timeout: 30_000 });
    await expect.poll(() => listItem().locator('[data-testid=ioc-list-count]').getAttribute('data-count')).toBe(String(ENTRIES));
    expect(await listItem().textContent()).toContain('filter');
  });

  it('shows top destinations and URLs beside the top sources on the dashboard', async () => {
    await app.page.goto(`${app.server.url}#/dashboard`);
    for (const id of ['top-sources', 'top-destinations', 'top-urls']) {
      await expect.poll(() => app.page.locator(`[data-testid=${id}] .src`).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    }
    const destinations = await app.page.locator('[data-testid=top-destinations] .src span.v').allTextContents();
    expect(destinations.every((d) => /^[\d.:a-f]+$/i.test(d))).toBe(true);
    await app.shot('dashboard-top');
  });

  it('logs no errors', () => {
    expect(app.errors).toEqual([]);
  });
});
