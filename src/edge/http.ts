/**
 * Vigil's HTTP API, runtime-agnostic: a Hono app over a VigilService, served as its `fetch`.
 * The Cloudflare Worker, its Durable Objects, the Deno entry and the Node server all serve this.
 *
 * | route | access | |
 * |---|---|---|
 * | `POST /events` | ingest | JSON array, JSON lines or CEF lines → 202 `{ accepted, rejected: [{ line, reason }] }` (the first REJECTED_LISTED (1000), with `rejectedTotal` when there are more); `Idempotency-Key` (or a body `{ "batch", "events" }`): applied once, a retry gets the first answer (`Idempotent-Replayed: true`) |
 * | `GET /alerts?since=<cursor>&limit=<n>` | read | alerts as JSON lines (at most `limit`, default 1000, and about ALERT_PAGE_CHARS (8 MiB) of JSON); `Vigil-Cursor` for the next call |
 * | `GET /rules` | read | `{ rules: [...] }` |
 * | `PUT /rules/:name` | admin | body: the VGL text of that one rule, or a Sigma rule (YAML, titled `name`) with `Content-Type: application/yaml`, `?language=sigma` or `?file=x.yml`; 400 with `diagnostics` (line:col) when invalid |
 * | `DELETE /rules/:name` | admin | 204, or 404 |
 * | `PUT /iocs/:list` | admin | body: entries, one a line (`#` comments, blank lines ignored, repeats counted once); replaces the list |
 * | `DELETE /iocs/:list` | admin | 204, 404, or 409 while a rule uses it |
 * | `POST /iocs/:list/entries` | admin | body: entries, one a line; added (the list is created when there is none) → `{ name, count }` |
 * | `DELETE /iocs/:list/entries` | admin | body: entries, one a line; removed → `{ name, count, removed }`, or 404 |
 * | `PUT /tables/:name` | admin | body: entries, one a line; creates or replaces the table rules read with `utils.inTable` |
 * | `GET /tables/:name` | read | the table's entries, one a line, or 404 |
 * | `DELETE /tables/:name` | admin | 204, or 404 |
 * | `POST /flush` | admin | end of input: every open window fires |
 * | `GET /metrics` | read | counters, totals and per partition (src/edge/metrics.ts); `?format=prometheus`: Prometheus text format |
 * | `GET /health` | open | `{ ok: true }` |
 *
 * Errors are JSON: `{ "error": { "code", "message", … } }`. 401 without a token where one is
 * needed, 403 with a wrong one (or when management is disabled: no VIGIL_TOKEN), 413 for a body
 * over the limit, 404/405 for unknown routes and methods (HEAD is answered as GET without a body).
 *
 * Hono routes, answers CORS and limits bodies; the checks run in the order a caller can see:
 * the path's percent-encoding (400), the name in it (400), the method (405), the token (401/403),
 * then the body's size (413) and encoding (400).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { bearerToken, tokensEqual } from './auth.js';
import type { HttpConfig } from './config.js';
import { BodyError, decodeEventArray, decodeEvents } from './decode-body.js';
import { checkIngestKey, fingerprintEvents } from './ingest-ledger.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText, type VigilMetrics } from './metrics.js';
import { bodyEntries } from './shared-data.js';
import { HttpError, type IngestKey, type VigilService } from './service.js';
import { languageOf } from '../engine/compile-source.js';
import type { RuleLanguage } from '../engine/rule-plan.js';

export type Handler = (request: Request) => Promise<Response>;

export interface HandlerOptions {
  /** Skip authentication: for calls that already passed it (a Worker calling its Durable Objects). */
  trusted?: boolean;
}

type Access = 'open' | 'ingest' | 'read' | 'admin';

const RULE_NAME_MAX = 200;
/** Rejected lines a `POST /events` answer lists (the first ones); past it, `rejectedTotal` counts them all. */
export const REJECTED_LISTED = 1000;
/** The JSON (in UTF-16 units) a page of `GET /alerts` holds at most, unless its first alert alone is larger. */
export const ALERT_PAGE_CHARS = 8 * 1024 * 1024;

/** How many of the lines, from the first, fit in ALERT_PAGE_CHARS (at least one). */
function fitting(lines: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    size += lines[i]!.length;
    if (size > ALERT_PAGE_CHARS) return Math.max(1, i);
  }
  return lines.length;
}
const LIST_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const encoder = new TextEncoder();

/** The API as a Hono app (mount it in a larger app, or serve `app.fetch`). */
export function createHttpApp(service: VigilService, config: HttpConfig, options: HandlerOptions = {}): Hono {
  // Segments are matched as sent (percent-encoded) and empty ones dropped, so `/rules//x/` is `/rules/x`;
  // route parameters are decoded by Hono once the whole path has been checked below.
  const app = new Hono({ getPath: (request) => '/' + new URL(request.url).pathname.split('/').filter(Boolean).join('/') });
  const limit = config.maxBodyBytes;
  const tooLarge = () => new HttpError(413, 'payload-too-large', `the body is larger than ${limit} bytes`, { limit });
  const withBody = bodyLimit({ maxSize: limit, onError: () => Promise.reject(tooLarge()) });
  const guard =
    (access: Access): MiddlewareHandler =>
    async (c, next) => {
      if (!options.trusted) await authorize(c.req.raw, config, access);
      await next();
    };
  /** The body as UTF-8 text (bodyLimit has refused it if it was too large). */
  const text = async (c: Context): Promise<string> => {
    const bytes = await c.req.arrayBuffer();
    // bodyLimit trusts a declared Content-Length, which a server has enforced; a Request built in-process has not.
    if (bytes.byteLength > limit) throw tooLarge();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new HttpError(400, 'bad-encoding', 'the body is not UTF-8');
    }
  };
  const author = (c: Context) => c.req.header('vigil-author') ?? 'api';

  app.onError((error, c) => errorResponse(error, c.req.raw));
  app.notFound((c) => errorResponse(new HttpError(404, 'not-found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`)));

  // CORS headers go only to the configured origins; anyone else's preflight gets an empty 204,
  // which browsers read as "no" (and so does every preflight when no origin is configured).
  const corsHeaders = cors({
    origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowHeaders: ['authorization', 'content-type', 'vigil-author', 'idempotency-key'],
    exposeHeaders: ['vigil-cursor', 'vigil-dropped', 'idempotent-replayed'],
    maxAge: 600,
  });
  app.use(async (c, next) => {
    if (allowedOrigin(c.req.raw, config)) return corsHeaders(c, next);
    if (c.req.method === 'OPTIONS') return new Response(null, { status: 204 });
    await next();
  });
  app.use(async (c, next) => {
    for (const segment of new URL(c.req.url).pathname.split('/')) decodeSegment(segment);
    await next();
  });

  app.get('/health', () => json(200, { ok: true }));
  app.all('/health', refuse('GET'));

  app.post('/events', guard('ingest'), withBody, async (c) => {
    const header = c.req.header('idempotency-key');
    let key = header === undefined ? undefined : checkIngestKey(header, 'the Idempotency-Key header');
    let decoded;
    try {
      const body = await text(c);
      const envelope = batchEnvelope(body, c.req.header('content-type') ?? '');
      if (envelope) {
        const batch = checkIngestKey(envelope.batch, 'the body\'s "batch"');
        if (key !== undefined && key !== batch) throw new HttpError(400, 'bad-idempotency-key', `the Idempotency-Key header ("${key}") and the body's "batch" ("${batch}") differ`);
        key = batch;
        decoded = decodeEventArray(envelope.events);
      } else {
        decoded = decodeEvents(body, c.req.header('content-type') ?? '');
      }
    } catch (error) {
      if (error instanceof BodyError) throw new HttpError(400, 'bad-body', error.message);
      throw error;
    }
    // The fingerprint covers the lines refused at decoding too: they are part of the answer.
    const ingestKey: IngestKey | undefined = key === undefined ? undefined : { key, fingerprint: fingerprintEvents([decoded.events, decoded.rejected]) };
    const result = await service.ingest(decoded.events, ingestKey);
    const rejected = [...decoded.rejected, ...result.rejected.map((r) => ({ line: decoded.lines[r.index] ?? r.index + 1, reason: r.reason }))];
    rejected.sort((a, b) => a.line - b.line);
    // The first REJECTED_LISTED, and how many in all: a body of 2-byte bad lines would otherwise
    // answer 45 times its size (and past what one string can hold, after its events were applied).
    const listed = rejected.length > REJECTED_LISTED ? { rejected: rejected.slice(0, REJECTED_LISTED), rejectedTotal: rejected.length } : { rejected };
    return json(202, { accepted: result.accepted, ...listed }, result.replayed ? { 'idempotent-replayed': 'true' } : {});
  });
  app.all('/events', refuse('POST'));

  app.get('/alerts', guard('read'), async (c) => {
    const limitText = c.req.query('limit');
    const count = limitText === undefined ? 1000 : Number(limitText);
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new HttpError(400, 'bad-limit', 'limit must be an integer from 1 to 10000');
    const since = c.req.query('since');
    let page = await service.alerts(since, count);
    let lines = page.alerts.map((a) => JSON.stringify(a) + '\n');
    // A page stops before the alert that would take it past ALERT_PAGE_CHARS (it holds at least one):
    // alerts as large as events, a page of them would pass what one string can hold (a 500 at every
    // try, and a reader, the webhook's too, stuck at that cursor). Asked again for that many.
    for (let fit = fitting(lines); fit < lines.length; fit = fitting(lines)) {
      page = await service.alerts(since, fit);
      lines = page.alerts.map((a) => JSON.stringify(a) + '\n');
    }
    const body = lines.join('');
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson; charset=utf-8', 'vigil-cursor': page.cursor };
    if (page.dropped) headers['vigil-dropped'] = String(page.dropped);
    return new Response(body, { status: 200, headers });
  });
  app.all('/alerts', refuse('GET'));

  app.get('/rules', guard('read'), async () => json(200, { rules: await service.rules() }));
  app.all('/rules', refuse('GET'));

  app.use('/rules/:name', async (c, next) => {
    const name = c.req.param('name');
    if (!name || name.length > RULE_NAME_MAX) throw new HttpError(400, 'bad-rule-name', `a rule name has 1 to ${RULE_NAME_MAX} characters`);
    await next();
  });
  app.put('/rules/:name', guard('admin'), withBody, async (c) => {
    const name = c.req.param('name');
    const result = await service.putRule(name, await text(c), author(c), ruleLanguage(c));
    if (!result.ok) {
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      return json(400, { error: { code: 'invalid-rule', message: errors.map((d) => `${d.line}:${d.column}: ${d.message}`).join('\n'), diagnostics: result.diagnostics } });
    }
    return json(result.created ? 201 : 200, { name, version: result.version, created: result.created });
  });
  app.delete('/rules/:name', guard('admin'), async (c) => {
    const name = c.req.param('name');
    if (!(await service.deleteRule(name, author(c)))) throw new HttpError(404, 'no-such-rule', `there is no rule "${name}"`);
    return new Response(null, { status: 204 });
  });
  app.all('/rules/:name', refuse('PUT', 'DELETE'));

  app.use('/iocs/:list', async (c, next) => {
    const name = c.req.param('list');
    if (!LIST_NAME.test(name)) throw new HttpError(400, 'bad-list-name', `"${name}" is not a list name (letters, digits, _ . -; at most 128)`);
    await next();
  });
  app.put('/iocs/:list', guard('admin'), withBody, async (c) => {
    const name = c.req.param('list');
    const { count } = await service.putIocList(name, bodyEntries(await text(c)));
    return json(200, { name, count });
  });
  app.delete('/iocs/:list', guard('admin'), async (c) => {
    const name = c.req.param('list');
    if (!(await service.deleteIocList(name))) throw new HttpError(404, 'no-such-list', `there is no IOC list "${name}"`);
    return new Response(null, { status: 204 });
  });
  app.all('/iocs/:list', refuse('PUT', 'DELETE'));

  // Lists beyond the body limit go up in parts: one POST per part, each within the limit.
  app.use('/iocs/:list/entries', async (c, next) => {
    const name = c.req.param('list');
    if (!LIST_NAME.test(name)) throw new HttpError(400, 'bad-list-name', `"${name}" is not a list name (letters, digits, _ . -; at most 128)`);
    await next();
  });
  app.post('/iocs/:list/entries', guard('admin'), withBody, async (c) => {
    const name = c.req.param('list');
    const { count } = await service.addIocEntries(name, bodyEntries(await text(c)));
    return json(200, { name, count });
  });
  app.delete('/iocs/:list/entries', guard('admin'), withBody, async (c) => {
    const name = c.req.param('list');
    const result = await service.removeIocEntries(name, bodyEntries(await text(c)));
    if (!result) throw new HttpError(404, 'no-such-list', `there is no IOC list "${name}"`);
    return json(200, { name, ...result });
  });
  app.all('/iocs/:list/entries', refuse('POST', 'DELETE'));

  app.use('/tables/:name', async (c, next) => {
    const name = c.req.param('name');
    if (!LIST_NAME.test(name)) throw new HttpError(400, 'bad-table-name', `"${name}" is not a table name (letters, digits, _ . -; at most 128)`);
    await next();
  });
  app.put('/tables/:name', guard('admin'), withBody, async (c) => {
    const name = c.req.param('name');
    const { count } = await service.putTable(name, bodyEntries(await text(c)));
    return json(200, { name, count });
  });
  app.get('/tables/:name', guard('read'), async (c) => {
    const name = c.req.param('name');
    const entries = await service.getTable(name);
    if (!entries) throw new HttpError(404, 'no-such-table', `there is no table "${name}"`);
    return new Response(entries.map((e) => e + '\n').join(''), { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  });
  app.delete('/tables/:name', guard('admin'), async (c) => {
    const name = c.req.param('name');
    if (!(await service.deleteTable(name))) throw new HttpError(404, 'no-such-table', `there is no table "${name}"`);
    return new Response(null, { status: 204 });
  });
  app.all('/tables/:name', refuse('GET', 'PUT', 'DELETE'));

  app.post('/flush', guard('admin'), async () => {
    await service.flush();
    return json(200, { flushed: true });
  });
  app.all('/flush', refuse('POST'));

  app.get('/metrics', guard('read'), async (c) => {
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'prometheus') throw new HttpError(400, 'bad-format', `format must be json or prometheus, got "${format}"`);
    const metrics = await service.metrics();
    if (format === 'json') return json(200, metrics);
    return new Response(encoder.encode(prometheusText(metrics as VigilMetrics)), { status: 200, headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } });
  });
  app.all('/metrics', refuse('GET'));

  return app;
}

/** The API as a `(Request) => Promise<Response>`: the app's `fetch`. */
export function createHttpHandler(service: VigilService, config: HttpConfig, options: HandlerOptions = {}): Handler {
  const app = createHttpApp(service, config, options);
  return async (request) => app.fetch(request);
}

/**
 * A body `{ "batch": "<id>", "events": [...] }` (a JSON object with exactly these two members):
 * the batch id is the request's idempotency key. Anything else is events.
 */
function batchEnvelope(body: string, contentType: string): { batch: string; events: unknown[] } | undefined {
  const trimmed = body.trimStart();
  if (!trimmed.startsWith('{') || !/"batch"/.test(trimmed.slice(0, 4096)) || contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const members = Object.keys(value);
  const { batch, events } = value as { batch?: unknown; events?: unknown };
  if (members.length !== 2 || typeof batch !== 'string' || !Array.isArray(events)) return undefined;
  return { batch, events };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad-path', `path segment "${segment}" is not valid percent-encoding`);
  }
}

/** The answer for a route's other methods. */
function refuse(...methods: string[]): () => Response {
  return () => json(405, { error: { code: 'method-not-allowed', message: `use ${methods.join(' or ')}` } }, { allow: methods.join(', ') });
}

async function authorize(request: Request, config: HttpConfig, access: Access): Promise<void> {
  if (access === 'open') return;
  const secrets = [config.adminToken];
  if (access === 'read') {
    if (!config.readToken) return;
    secrets.push(config.readToken);
  } else if (access === 'ingest') {
    if (!config.ingestToken) return;
    secrets.push(config.ingestToken);
  } else if (!config.adminToken) {
    throw new HttpError(403, 'management-disabled', 'rule and IOC management is disabled: the server has no VIGIL_TOKEN');
  }
  const token = bearerToken(request.headers.get('authorization'));
  if (token === undefined) throw new HttpError(401, 'unauthorized', 'this route needs Authorization: Bearer <token>');
  let ok = false;
  // Compare against every accepted secret, so the time does not tell which one matched.
  for (const secret of secrets) if (secret !== undefined && (await tokensEqual(token, secret))) ok = true;
  if (!ok) throw new HttpError(403, 'forbidden', 'the token is not valid for this route');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(encoder.encode(JSON.stringify(body)), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function allowedOrigin(request: Request, config: HttpConfig): string | undefined {
  if (!config.corsOrigins.length) return undefined;
  if (config.corsOrigins.includes('*')) return '*';
  const origin = request.headers.get('origin');
  return origin && config.corsOrigins.includes(origin) ? origin : undefined;
}

function errorResponse(error: unknown, request?: Request): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="vigil"' } : {};
    return json(error.status, { error: { code: error.code, message: error.message, ...error.details } }, headers);
  }
  return internalError(error, request);
}

/**
 * A 500 that tells the client only an incident id: an unexpected error's message can carry what a
 * client must not see (a file path, a secret-bearing URL, a rule's or another tenant's data). The
 * message and stack go to the server's log under the same id (console.error: the terminal, `wrangler
 * tail`, the Deno Deploy log), where the operator finds it.
 */
export function internalError(error: unknown, request?: Request): Response {
  const incident = crypto.randomUUID();
  const where = request ? ` on ${request.method} ${new URL(request.url).pathname}` : '';
  console.error(`vigil: internal error ${incident}${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return json(500, { error: { code: 'internal', message: `internal error; the server's log has the details under incident ${incident}`, incident } });
}

/**
 * The language of a rule body: `?language=vgl|sigma`, else the name in `?file=` (`.yml`/`.yaml` is
 * Sigma), else a YAML Content-Type (`application/yaml`, `application/x-yaml`, `text/yaml`) says
 * Sigma; VGL otherwise.
 */
function ruleLanguage(c: Context): RuleLanguage {
  const language = c.req.query('language');
  if (language !== undefined) {
    if (language !== 'vgl' && language !== 'sigma') throw new HttpError(400, 'bad-language', `language is vgl or sigma, not "${language.slice(0, 40)}"`);
    return language;
  }
  const file = c.req.query('file');
  if (file !== undefined) return languageOf(file);
  return /^\s*(application|text)\/(x-)?yaml\s*(;|$)/i.test(c.req.header('content-type') ?? '') ? 'sigma' : 'vgl';
}
