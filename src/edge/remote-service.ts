/**
 * A VigilService that is another server speaking Vigil's HTTP API: how the Worker talks to its
 * Durable Objects (the fetch is the object's stub), and a client for anyone else.
 */
import type { RuleLanguage } from '../engine/rule-plan.js';
import type { Alert } from '../engine/engine.js';
import type { Diagnostic } from '../lang/diagnostic.js';
import { HttpError, type AlertPage, type IngestKey, type IngestResult, type PutRuleResult, type RuleSummary, type VigilService } from './service.js';

export type Fetch = (request: Request) => Promise<Response>;

export class RemoteService implements VigilService {
  constructor(
    protected readonly fetch: Fetch,
    protected readonly base = 'http://vigil.internal',
    protected readonly headers: Record<string, string> = {},
  ) {}

  /** With a key, sent as Idempotency-Key (the other server computes its own fingerprint of the same events). */
  async ingest(events: Record<string, unknown>[], key?: IngestKey): Promise<IngestResult> {
    const response = await this.fetch(this.request('POST', '/events', JSON.stringify(events), 'application/json', key ? { 'idempotency-key': key.key } : {}));
    const body = (await response.json().catch(() => ({}))) as { accepted: number; rejected: { line: number; reason: string }[] };
    if (!response.ok) throw toError(response.status, body);
    return {
      accepted: body.accepted,
      rejected: body.rejected.map((r) => ({ index: r.line - 1, reason: r.reason })),
      ...(response.headers.get('idempotent-replayed') === 'true' ? { replayed: true } : {}),
    };
  }

  async alerts(since: string | undefined, limit: number): Promise<AlertPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (since !== undefined) query.set('since', since);
    const response = await this.send('GET', `/alerts?${query}`);
    const text = await response.text();
    const alerts = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Alert);
    return { alerts, cursor: response.headers.get('vigil-cursor') ?? '', dropped: Number(response.headers.get('vigil-dropped') ?? 0) };
  }

  async putRule(name: string, text: string, author: string, language?: RuleLanguage): Promise<PutRuleResult> {
    const response = await this.fetch(this.request('PUT', `/rules/${encodeURIComponent(name)}`, text, language === 'sigma' ? 'application/yaml' : 'text/plain', { 'vigil-author': author }));
    const body = (await response.json()) as { version: number; created: boolean; error?: { code: string; message: string; diagnostics?: Diagnostic[] } };
    if (response.status === 400 && body.error?.code === 'invalid-rule') return { ok: false, diagnostics: body.error.diagnostics ?? [] };
    if (!response.ok) throw toError(response.status, body);
    return { ok: true, created: body.created, version: body.version };
  }

  async rules(): Promise<RuleSummary[]> {
    return ((await this.call('GET', '/rules')) as { rules: RuleSummary[] }).rules;
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const response = await this.fetch(this.request('DELETE', `/rules/${encodeURIComponent(name)}`, undefined, undefined, { 'vigil-author': author }));
    if (response.status === 404) return false;
    if (!response.ok) throw toError(response.status, await response.json().catch(() => ({})));
    return true;
  }

  async putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    return (await this.call('PUT', `/iocs/${encodeURIComponent(name)}`, entries.join('\n'), 'text/plain')) as { count: number };
  }

  async deleteIocList(name: string): Promise<boolean> {
    const response = await this.fetch(this.request('DELETE', `/iocs/${encodeURIComponent(name)}`));
    if (response.status === 404) return false;
    if (!response.ok) throw toError(response.status, await response.json().catch(() => ({})));
    return true;
  }

  async addIocEntries(name: string, entries: string[]): Promise<{ count: number }> {
    return (await this.call('POST', `/iocs/${encodeURIComponent(name)}/entries`, entries.join('\n'), 'text/plain')) as { count: number };
  }

  async removeIocEntries(name: string, entries: string[]): Promise<{ count: number; removed: number } | undefined> {
    const response = await this.fetch(this.request('DELETE', `/iocs/${encodeURIComponent(name)}/entries`, entries.join('\n'), 'text/plain'));
    if (response.status === 404) return undefined;
    const body = (await response.json().catch(() => ({}))) as { count: number; removed: number };
    if (!response.ok) throw toError(response.status, body);
    return { count: body.count, removed: body.removed };
  }

  async putTable(name: string, entries: string[]): Promise<{ count: number }> {
    return (await this.call('PUT', `/tables/${encodeURIComponent(name)}`, entries.join('\n'), 'text/plain')) as { count: number };
  }

  async getTable(name: string): Promise<string[] | undefined> {
    const response = await this.fetch(this.request('GET', `/tables/${encodeURIComponent(name)}`));
    if (response.status === 404) return undefined;
    if (!response.ok) throw toError(response.status, await response.json().catch(() => ({})));
    return (await response.text()).split('\n').filter(Boolean);
  }

  async deleteTable(name: string): Promise<boolean> {
    const response = await this.fetch(this.request('DELETE', `/tables/${encodeURIComponent(name)}`));
    if (response.status === 404) return false;
    if (!response.ok) throw toError(response.status, await response.json().catch(() => ({})));
    return true;
  }

  async flush(): Promise<void> {
    await this.call('POST', '/flush');
  }

  async metrics(): Promise<unknown> {
    return this.call('GET', '/metrics');
  }

  protected request(method: string, path: string, body?: string, type?: string, extra: Record<string, string> = {}): Request {
    const headers: Record<string, string> = { ...this.headers, ...extra };
    if (type) headers['content-type'] = type;
    return new Request(this.base + path, { method, body, headers });
  }

  private async send(method: string, path: string, body?: string, type?: string): Promise<Response> {
    const response = await this.fetch(this.request(method, path, body, type));
    if (!response.ok) throw toError(response.status, await response.json().catch(() => ({})));
    return response;
  }

  protected async call(method: string, path: string, body?: string, type?: string): Promise<unknown> {
    return (await this.send(method, path, body, type)).json();
  }
}

function toError(status: number, body: unknown): HttpError {
  const error = (body as { error?: { code?: string; message?: string } }).error ?? {};
  const { code, message, ...details } = error as Record<string, unknown>;
  return new HttpError(status, typeof code === 'string' ? code : 'upstream', typeof message === 'string' ? message : `upstream answered ${status}`, details);
}
