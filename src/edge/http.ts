/**
 * Vigil's HTTP API, runtime-agnostic: a `(Request) => Promise<Response>` over a VigilService.
 * The Cloudflare Worker, its Durable Objects, the Deno entry and the Node server all serve this.
 *
 * | route | access | |
 * |---|---|---|
 * | `POST /events` | ingest | JSON array, JSON lines or CEF lines → 202 `{ accepted, rejected: [{ line, reason }] }` |
 * | `GET /alerts?since=<cursor>&limit=<n>` | read | alerts as JSON lines; `Vigil-Cursor` for the next call |
 * | `GET /rules` | read | `{ rules: [...] }` |
 * | `PUT /rules/:name` | admin | body: the VGL text of that one rule; 400 with `diagnostics` when invalid |
 * | `DELETE /rules/:name` | admin | 204, or 404 |
 * | `PUT /iocs/:list` | admin | body: entries, one a line (`#` comments, blank lines ignored); replaces the list |
 * | `DELETE /iocs/:list` | admin | 204, 404, or 409 while a rule uses it |
 * | `POST /flush` | admin | end of input: every open window fires |
 * | `GET /metrics` | read | engine counters |
 * | `GET /health` | open | `{ ok: true }` |
 *
 * Errors are JSON: `{ "error": { "code", "message", … } }`. 401 without a token where one is
 * needed, 403 with a wrong one (or when management is disabled: no VIGIL_TOKEN), 413 for a body
 * over the limit, 404/405 for unknown routes and methods.
 */
import { bearerToken, tokensEqual } from './auth.js';
import type { HttpConfig } from './config.js';
import { BodyError, decodeEvents } from './decode-body.js';
import { HttpError, type VigilService } from './service.js';

export type Handler = (request: Request) => Promise<Response>;

export interface HandlerOptions {
  /** Skip authentication: for calls that already passed it (a Worker calling its Durable Objects). */
  trusted?: boolean;
}

type Access = 'open' | 'ingest' | 'read' | 'admin';

const RULE_NAME_MAX = 200;
const LIST_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const encoder = new TextEncoder();

export function createHttpHandler(service: VigilService, config: HttpConfig, options: HandlerOptions = {}): Handler {
  return async (request) => {
    let response: Response;
    try {
      response = await route(service, config, options, request);
    } catch (error) {
      response = errorResponse(error);
    }
    return withCors(response, request, config);
  };
}

async function route(service: VigilService, config: HttpConfig, options: HandlerOptions, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  if (method === 'OPTIONS') return preflight(request, config);
  const parts = url.pathname.split('/').filter(Boolean).map(decodeSegment);
  const guard = async (access: Access) => {
    if (!options.trusted) await authorize(request, config, access);
  };
  const author = request.headers.get('vigil-author') ?? 'api';

  switch (parts[0]) {
    case 'health':
      if (parts.length === 1) return allow(method, ['GET']) ?? json(200, { ok: true });
      break;
    case 'events':
      if (parts.length !== 1) break;
      return (
        allow(method, ['POST']) ??
        (await (async () => {
          await guard('ingest');
          const text = await readBody(request, config.maxBodyBytes);
          let decoded;
          try {
            decoded = decodeEvents(text, request.headers.get('content-type') ?? '');
          } catch (error) {
            if (error instanceof BodyError) throw new HttpError(400, 'bad-body', error.message);
            throw error;
          }
          const result = await service.ingest(decoded.events);
          const rejected = [...decoded.rejected, ...result.rejected.map((r) => ({ line: decoded.lines[r.index] ?? r.index + 1, reason: r.reason }))];
          rejected.sort((a, b) => a.line - b.line);
          return json(202, { accepted: result.accepted, rejected });
        })())
      );
    case 'alerts':
      if (parts.length !== 1) break;
      return (
        allow(method, ['GET']) ??
        (await (async () => {
          await guard('read');
          const limitText = url.searchParams.get('limit');
          const limit = limitText === null ? 1000 : Number(limitText);
          if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, 'bad-limit', 'limit must be an integer from 1 to 10000');
          const page = await service.alerts(url.searchParams.get('since') ?? undefined, limit);
          const body = page.alerts.map((a) => JSON.stringify(a) + '\n').join('');
          const headers: Record<string, string> = { 'content-type': 'application/x-ndjson; charset=utf-8', 'vigil-cursor': page.cursor };
          if (page.dropped) headers['vigil-dropped'] = String(page.dropped);
          return new Response(body, { status: 200, headers });
        })())
      );
    case 'rules':
      if (parts.length === 1) {
        return allow(method, ['GET']) ?? (await guard('read'), json(200, { rules: await service.rules() }));
      }
      if (parts.length === 2) {
        const name = parts[1]!;
        if (!name || name.length > RULE_NAME_MAX) throw new HttpError(400, 'bad-rule-name', `a rule name has 1 to ${RULE_NAME_MAX} characters`);
        const refused = allow(method, ['PUT', 'DELETE']);
        if (refused) return refused;
        await guard('admin');
        if (method === 'DELETE') {
          if (!(await service.deleteRule(name, author))) throw new HttpError(404, 'no-such-rule', `there is no rule "${name}"`);
          return new Response(null, { status: 204 });
        }
        const text = await readBody(request, config.maxBodyBytes);
        const result = await service.putRule(name, text, author);
        if (!result.ok) {
          const errors = result.diagnostics.filter((d) => d.severity === 'error');
          return json(400, { error: { code: 'invalid-rule', message: errors.map((d) => `${d.line}:${d.column}: ${d.message}`).join('\n'), diagnostics: result.diagnostics } });
        }
        return json(result.created ? 201 : 200, { name, version: result.version, created: result.created });
      }
      break;
    case 'iocs':
      if (parts.length === 2) {
        const name = parts[1]!;
        if (!LIST_NAME.test(name)) throw new HttpError(400, 'bad-list-name', `"${name}" is not a list name (letters, digits, _ . -; at most 128)`);
        const refused = allow(method, ['PUT', 'DELETE']);
        if (refused) return refused;
        await guard('admin');
        if (method === 'DELETE') {
          if (!(await service.deleteIocList(name))) throw new HttpError(404, 'no-such-list', `there is no IOC list "${name}"`);
          return new Response(null, { status: 204 });
        }
        const entries = (await readBody(request, config.maxBodyBytes))
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('#'));
        const { count } = await service.putIocList(name, entries);
        return json(200, { name, count });
      }
      break;
    case 'flush':
      if (parts.length !== 1) break;
      return allow(method, ['POST']) ?? (await guard('admin'), await service.flush(), json(200, { flushed: true }));
    case 'metrics':
      if (parts.length !== 1) break;
      return allow(method, ['GET']) ?? (await guard('read'), json(200, await service.metrics()));
  }
  throw new HttpError(404, 'not-found', `no route ${method} ${url.pathname}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad-path', `path segment "${segment}" is not valid percent-encoding`);
  }
}

function allow(method: string, methods: string[]): Response | undefined {
  if (methods.includes(method)) return undefined;
  return json(405, { error: { code: 'method-not-allowed', message: `use ${methods.join(' or ')}` } }, { allow: methods.join(', ') });
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

/** Reads the body as UTF-8 text, refusing it (413) as soon as it passes `limit` bytes. */
async function readBody(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'bad-encoding', 'the body is not UTF-8');
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload-too-large', `the body is larger than ${limit} bytes`, { limit });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(encoder.encode(JSON.stringify(body)), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="vigil"' } : {};
    return json(error.status, { error: { code: error.code, message: error.message, ...error.details } }, headers);
  }
  return json(500, { error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } });
}

function allowedOrigin(request: Request, config: HttpConfig): string | undefined {
  if (!config.corsOrigins.length) return undefined;
  if (config.corsOrigins.includes('*')) return '*';
  const origin = request.headers.get('origin');
  return origin && config.corsOrigins.includes(origin) ? origin : undefined;
}

function preflight(request: Request, config: HttpConfig): Response {
  const origin = allowedOrigin(request, config);
  if (!origin) return new Response(null, { status: 204 });
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, vigil-author',
      'access-control-max-age': '600',
    },
  });
}

function withCors(response: Response, request: Request, config: HttpConfig): Response {
  const origin = allowedOrigin(request, config);
  if (!origin) return response;
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', origin);
  headers.set('access-control-expose-headers', 'vigil-cursor, vigil-dropped');
  if (origin !== '*') headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
