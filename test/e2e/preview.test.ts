/**
 * Rule preview in Chromium on the built app: a draft previewed against a pasted sample and against
 * the live ring (the simulator paused, the ring saved as a file) raises exactly the alerts a naive
 * model of the rule computes in the test, with each event's path; Apply waits for a fresh preview;
 * diagnostics follow every edit (the worker's Sigma errors too), never stale; Sigma YAML pasted
 * into the editor is detected, previewed and applied.
 * At its key steps, at 390×844, 768×1024 and 1440×900: what the step needs can be reached and used
 * (test/e2e/sizes.ts); screenshots go to test-artifacts/<step>-WxH.png.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sysmon } from '../sigma/evtx-cases.js';
import { chromiumAvailable, useBuiltApp } from './browser.js';
import { atEverySize } from './sizes.js';

const DRAFT = `RULE "root failures"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure' && event.user == 'root'; }
SINK function (event) { return { user: event.user, server: event.server, sourceAddress: event.sourceAddress }; }
`;

type AuthEvent = { kind?: string; outcome?: string; user?: string; server?: string; sourceAddress?: string };

/** The naive model of DRAFT. */
function expectedAlerts(events: AuthEvent[]) {
  return events
    .filter((e) => e.kind === 'auth' && e.outcome === 'failure' && e.user === 'root')
    .map((e) => ({ rule: 'root failures', user: e.user, server: e.server, sourceAddress: e.sourceAddress }));
}

const SAMPLE: AuthEvent[] = [
  { kind: 'auth', outcome: 'failure', user: 'root', server: 'db1', sourceAddress: '203.0.113.3' },
  { kind: 'auth', outcome: 'success', user: 'root', server: 'db1', sourceAddress: '203.0.113.3' },
  { kind: 'web', outcome: 'failure', user: 'root', server: 'www', sourceAddress: '198.51.100.7' },
  { kind: 'auth', outcome: 'failure', user: 'alice', server: 'db2', sourceAddress: '10.0.0.9' },
  { kind: 'auth', outcome: 'failure', user: 'root', server: 'db2', sourceAddress: '10.0.0.8' },
];

const SIGMA = `title: Encoded PowerShell from the preview test
id: 0e6a3b8e-1f2d-4c5b-9a7e-6f1e2d3c4b5a
status: experimental
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\powershell.exe'
    CommandLine|contains: ' -enc '
  condition: selection
`;

describe.skipIf(!chromiumAvailable())('rule preview (built app) in Chromium', () => {
  const app = useBuiltApp();
  const textarea = () => app.page.locator('[data-testid=rule-textarea]');
  const previewAlerts = async () =>
    (await app.page.locator('[data-testid=preview-alert]').evaluateAll((els) => els.map((e) => e.getAttribute('title')!))).map((t) => JSON.parse(t) as Record<string, unknown>);

  it('previews a draft against pasted events: the alerts of a naive model, the path of each event; Apply only after a fresh preview', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    await textarea().fill(DRAFT);
    await app.page.getByText('No problems').waitFor();
    const apply = app.page.locator('[data-testid=apply]');
    expect(await apply.isDisabled()).toBe(true);
    await app.page.locator('[data-testid=preview-sample]').fill(SAMPLE.map((e) => JSON.stringify(e)).join('\n'));
    await app.page.locator('[data-testid=preview-run]').click();
    const summary = app.page.locator('[data-testid=preview-summary]');
    await summary.waitFor({ timeout: 30_000 });
    const want = expectedAlerts(SAMPLE);
    expect(Number(await summary.getAttribute('data-alerts'))).toBe(want.length);
    expect(await previewAlerts()).toEqual(want);
    // The path: not routed (web), routed and dropped by FILTER, routed and passed with an alert.
    const steps = app.page.locator('[data-testid=preview-step] [data-rule="root failures"]');
    expect(await steps.count()).toBe(SAMPLE.length);
    const passed = await steps.evaluateAll((els) => els.map((e) => [e.getAttribute('data-passed'), e.getAttribute('data-alerts')]));
    expect(passed).toEqual(SAMPLE.map((e) => (e.kind === 'auth' && e.outcome === 'failure' && e.user === 'root' ? ['true', '1'] : ['false', '0'])));
    expect(await steps.nth(2).getAttribute('data-routed')).toBe('false');
    expect(await app.page.locator('[data-testid=preview-cost]').textContent()).toMatch(/^\d+ ms$/);
    await atEverySize(app.page, 'preview-pasted', {
      'the editor': app.page.locator('.scroller'),
      'the sample': app.page.locator('[data-testid=preview-sample]'),
      '▶ Preview': app.page.locator('[data-testid=preview-run]'),
      'the summary': summary,
      'an alert': app.page.locator('[data-testid=preview-alert]'),
      "an event's path": steps.first(),
      'the cost': app.page.locator('[data-testid=preview-cost]'),
      'Apply': apply,
    });

    // An edit makes the preview stale: Apply waits for a new one.
    await textarea().fill(DRAFT.replace('sourceAddress: event.sourceAddress', 'source: event.sourceAddress'));
    await app.page.locator('[data-testid=preview-stale]').waitFor();
    expect(await apply.isDisabled()).toBe(true);
    await textarea().fill(DRAFT);
    await app.page.locator('[data-testid=preview-run]').click();
    await expect.poll(() => apply.isDisabled()).toBe(false);
    await apply.click();
    await app.page.locator('[data-testid=toast]').getByText('added "root failures"').waitFor();
    await app.page.locator('[data-testid=rule-item][data-rule="root failures"]').waitFor();
  });

  it('previews the last minutes of the live stream: exactly the naive alerts over the ring saved as a file', async () => {
    await app.page.goto(`${app.server.url}#/simulator`);
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent(), { timeout: 30_000 }).toBe('Running');
    // Let some traffic into the ring, then freeze it.
    await expect.poll(async () => (await app.page.locator('[data-testid=sim-generated]').textContent()) ?? '', { timeout: 30_000 }).toMatch(/[\d.]+\s*[kM]/);
    await app.page.locator('[data-testid=sim-toggle]').click();
    await expect.poll(() => app.page.locator('[data-testid=sim-state]').textContent()).toBe('Paused');
    await app.page.goto(`${app.server.url}#/rules/new`);
    await textarea().fill(DRAFT.replace('"root failures"', '"root failures live"'));
    await app.page.locator('[data-testid=preview-source-live]').click();
    const [download] = await Promise.all([app.page.waitForEvent('download'), app.page.locator('[data-testid=preview-ring-save]').click()]);
    const ring = readFileSync((await download.path())!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuthEvent);
    expect(ring.length).toBeGreaterThan(100);
    await app.page.locator('[data-testid=preview-run]').click();
    const summary = app.page.locator('[data-testid=preview-summary]');
    // The Rules view is kept between visits: the last test's preview shows (stale) until this one's.
    await expect.poll(() => summary.getAttribute('data-events'), { timeout: 60_000 }).toBe(String(ring.length));
    const want = expectedAlerts(ring).map((a) => ({ ...a, rule: 'root failures live' }));
    expect(want.length).toBeGreaterThan(0);
    expect(Number(await summary.getAttribute('data-alerts'))).toBe(want.length);
    expect(await previewAlerts()).toEqual(want.slice(0, 1000));
    console.log(`preview of the live ring: ${ring.length} events, ${want.length} alerts, cost ${await app.page.locator('[data-testid=preview-cost]').textContent()}`);
    await atEverySize(app.page, 'preview-live', {
      'the live source': app.page.locator('[data-testid=preview-source-live]'),
      'Save as JSONL': app.page.locator('[data-testid=preview-ring-save]'),
      'the summary': summary,
      'an alert': app.page.locator('[data-testid=preview-alert]'),
      'Apply': app.page.locator('[data-testid=apply]'),
    });
    await app.page.goto(`${app.server.url}#/simulator`);
    await app.page.locator('[data-testid=sim-toggle]').click();
  });

  it('never shows stale diagnostics: a Sigma error from the worker goes as soon as the text is fixed, no Apply needed', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    const broken = SIGMA.replace("CommandLine|contains: ' -enc '", "CommandLine|nosuchmodifier: ' -enc '");
    await textarea().fill(broken);
    const problem = app.page.locator('[data-testid=problem]');
    await problem.first().waitFor({ timeout: 15_000 });
    expect(await problem.first().locator('.pos').textContent()).toMatch(/^11:/);
    await textarea().fill(SIGMA);
    await app.page.getByText('No problems').waitFor({ timeout: 15_000 });
    expect(await problem.count()).toBe(0);
  });

  it('takes a .yml file dropped on the editor as Sigma', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    await app.page.locator('.scroller').evaluate((el, text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'dropped.yml', { type: 'application/yaml' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, SIGMA);
    await expect.poll(() => textarea().inputValue()).toBe(SIGMA);
    expect(await app.page.locator('[data-testid=rule-language]').inputValue()).toBe('sigma');
    await app.page.getByText('No problems').waitFor({ timeout: 15_000 });
  });

  it('detects pasted Sigma YAML, previews it against EVTX JSON and applies it', async () => {
    await app.page.goto(`${app.server.url}#/rules/new`);
    await textarea().fill(SIGMA);
    await expect.poll(() => app.page.locator('[data-testid=rule-language] option[value=auto]').textContent()).toContain('Sigma');
    const hit = sysmon(1, { Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: 'powershell.exe -nop -enc SQBFAFgA' });
    const miss = sysmon(1, { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe /c -enc x' });
    // The kept Rules view still has the last test's sample source (the live stream) and preview.
    await app.page.locator('[data-testid=preview-source-events]').click();
    await app.page.locator('[data-testid=preview-sample]').fill(JSON.stringify([hit, miss, hit]));
    await app.page.locator('[data-testid=preview-run]').click();
    const summary = app.page.locator('[data-testid=preview-summary]');
    await expect.poll(() => summary.getAttribute('data-events'), { timeout: 30_000 }).toBe('3');
    expect(Number(await summary.getAttribute('data-alerts'))).toBe(2);
    expect((await previewAlerts()).map((a) => a.rule)).toEqual(['Encoded PowerShell from the preview test', 'Encoded PowerShell from the preview test']);
    expect(await app.page.locator('[data-testid=preview-plan-sigma]').textContent()).toContain('Event.System.EventID ∈ {1, 4688}');
    await atEverySize(app.page, 'preview-sigma', {
      'the language': app.page.locator('[data-testid=rule-language]'),
      'the Sigma plan': app.page.locator('[data-testid=preview-plan-sigma]'),
      'the summary': summary,
      'Apply': app.page.locator('[data-testid=apply]'),
    });
    await app.page.locator('[data-testid=apply]').click();
    await app.page.locator('[data-testid=rule-item][data-rule="Encoded PowerShell from the preview test"]').waitFor({ timeout: 15_000 });
    expect(app.errors).toEqual([]);
  });
});
