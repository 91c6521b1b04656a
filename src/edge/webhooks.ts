/**
 * Alerts of the HTTP API to a webhook (VIGIL_WEBHOOK_URL): a VigilService that passes every call on
 * and, after each call that can raise alerts, reads the new alerts through the same cursor API as
 * `GET /alerts` and hands them to a WebhookDelivery (retries, backoff, Idempotency-Key).
 *
 * Delivery is at least once. The cursor lives in memory: after a restart the alerts still kept for
 * `GET /alerts` are sent again, with the Idempotency-Key they had, so a receiver that honours the
 * key sees each alert once. Undelivered alerts are logged (console.error: `wrangler tail`, the Deno
 * or Node log); the edge has no file to write a dead letter to.
 */
import type { RuleLanguage } from '../engine/rule-plan.js';
import { WebhookDelivery, type WebhookOptions } from '../mitigation/webhook.js';
import type { WebhookConfig } from './config.js';
import type { AlertPage, IngestKey, IngestResult, PutRuleResult, RuleSummary, VigilService } from './service.js';

const PAGE = 1000;

export class WebhookingService implements VigilService {
  readonly delivery: WebhookDelivery;
  private cursor: string | undefined;
  private forwarding: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: VigilService,
    config: WebhookConfig,
    options: Partial<WebhookOptions> = {},
  ) {
    this.delivery = new WebhookDelivery({ ...options, url: config.url, secret: config.secret, maxAttempts: config.maxAttempts });
  }

  async ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    const result = await this.inner.ingest(events, key);
    void this.forward();
    return result;
  }

  async flush(): Promise<void> {
    await this.inner.flush();
    void this.forward();
  }

  /**
   * Reads the alerts raised since the last call and queues them; calls run one after another.
   * Call it after anything else that may raise alerts (a timer closing processing-time windows).
   */
  forward(): Promise<void> {
    this.forwarding = this.forwarding.then(async () => {
      for (;;) {
        let page: AlertPage;
        try {
          page = await this.inner.alerts(this.cursor, PAGE);
        } catch (error) {
          console.error(`vigil: webhook: could not read alerts: ${(error as Error).message}`);
          return;
        }
        for (const alert of page.alerts) this.delivery.enqueue(alert);
        this.cursor = page.cursor;
        if (page.alerts.length < PAGE) return;
      }
    });
    return this.forwarding;
  }

  /** Resolves when the alerts raised so far were delivered or given up (for `waitUntil`). */
  async settled(): Promise<void> {
    await this.forwarding;
    await this.delivery.drain();
  }

  alerts(since: string | undefined, limit: number): Promise<AlertPage> {
    return this.inner.alerts(since, limit);
  }
  putRule(name: string, text: string, author: string, language?: RuleLanguage): Promise<PutRuleResult> {
    return this.inner.putRule(name, text, author, language);
  }
  rules(): Promise<RuleSummary[]> {
    return this.inner.rules();
  }
  deleteRule(name: string, author: string): Promise<boolean> {
    return this.inner.deleteRule(name, author);
  }
  addIocEntries(name: string, entries: string[]): Promise<{ count: number }> {
    return this.inner.addIocEntries(name, entries);
  }
  removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined> {
    return this.inner.removeIocEntries(name, entries);
  }
  putTable(name: string, entries: string[]): Promise<{ count: number }> {
    return this.inner.putTable(name, entries);
  }
  getTable(name: string): Promise<string[] | undefined> {
    return this.inner.getTable(name);
  }
  deleteTable(name: string): Promise<boolean> {
    return this.inner.deleteTable(name);
  }
  putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    return this.inner.putIocList(name, entries);
  }
  deleteIocList(name: string): Promise<boolean> {
    return this.inner.deleteIocList(name);
  }
  async metrics(): Promise<unknown> {
    const inner = (await this.inner.metrics()) as Record<string, unknown>;
    return { ...inner, webhook: this.delivery.stats() };
  }
}
