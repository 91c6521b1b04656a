/**
 * Vigil's HTTP API on Node (node:http), over one engine, optionally checkpointed into a directory.
 * The same handler the Worker and Deno serve; this file only adapts node:http to Request/Response.
 *
 *   const server = await startNodeServer({ env: process.env, port: 8080, stateDir: '.vigil' });
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createNodeEngine } from '../../targets/node.js';
import { guardOptionsFromEnv, type GuardOptions } from '../../runtime/guard/guard-options.js';
import { GuardedEngine } from '../../runtime/guard/guarded-engine.js';
import type { Clock } from '../../engine/event-time.js';
import { ChunkedCheckpointStore, type ByteStore } from '../checkpoint-store.js';
import { readConfig, type Env } from '../config.js';
import { createHttpHandler, internalError, type Handler } from '../http.js';
import { WebhookingService } from '../webhooks.js';
import { EngineInstance } from '../instance.js';

/** Keys as files in a directory; each write goes to a temporary file renamed into place. */
export class DirectoryByteStore implements ByteStore {
  constructor(private readonly dir: string) {}
  private file(key: string): string {
    return join(this.dir, encodeURIComponent(key));
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.file(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  async put(key: string, value: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.file(key)}.tmp`;
    await writeFile(temporary, value);
    await rename(temporary, this.file(key));
  }
  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}

export interface NodeServerOptions {
  env?: Env;
  port?: number;
  hostname?: string;
  /** Checkpoint directory; without it state lives in memory only. */
  stateDir?: string;
  clock?: Clock;
  /**
   * The outer guard: the engine on a worker thread under a watchdog (a rule function that overruns
   * its budget or exhausts the thread's heap is deactivated, the engine restored). Default: on,
   * with the limits from `env` (VIGIL_GUARD=off turns it off); false runs the engine on this thread.
   */
  guard?: GuardOptions | false;
}

export interface NodeServer {
  url: string;
  instance: EngineInstance;
  handler: Handler;
  close(): Promise<void>;
}

/** Builds the handler without listening: for in-process use and tests. */
export async function createNodeHandler(options: NodeServerOptions = {}): Promise<{ instance: EngineInstance; handler: Handler; webhooks?: WebhookingService }> {
  const config = readConfig(options.env ?? {});
  const engineOptions = { ...config.engine, clock: options.clock ?? Date.now };
  const guard = options.guard ?? guardOptionsFromEnv(options.env ?? {});
  const engine = guard ? await GuardedEngine.create(engineOptions, guard) : await createNodeEngine(engineOptions);
  const store = options.stateDir ? new ChunkedCheckpointStore(new DirectoryByteStore(options.stateDir), 4 * 1024 * 1024) : undefined;
  const instance = await EngineInstance.open(engine, { alertCapacity: config.alertCapacity, alertRingBytes: config.alertRingBytes, ledgerKeys: config.ledgerKeys, store });
  const webhooks = config.webhook ? new WebhookingService(instance, config.webhook) : undefined;
  return { instance, webhooks, handler: createHttpHandler(webhooks ?? instance, config.http) };
}

export async function startNodeServer(options: NodeServerOptions = {}): Promise<NodeServer> {
  const { instance, handler } = await createNodeHandler(options);
  const server: Server = createServer((req, res) => void serve(handler, req, res));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', resolve));
  const address = server.address() as { address: string; port: number };
  return {
    url: `http://${address.address}:${address.port}`,
    instance,
    handler,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        instance.engine.dispose();
      }),
  };
}

/**
 * The request's URL: the path and query of its request line under a fixed origin. The Host header
 * has no part in it (`Host: x/metrics#` would otherwise turn `GET /events` into `GET /metrics`, and
 * a malformed Host into a 500); an absolute-form target (RFC 9112 §3.2.2) gives its path and query.
 */
function requestUrl(target: string): string | undefined {
  const base = 'http://localhost';
  if (target.startsWith('/')) return URL.canParse(base + target) ? base + target : undefined;
  if (!URL.canParse(target)) return undefined;
  const url = new URL(target);
  return /^https?:$/.test(url.protocol) ? base + url.pathname + url.search : undefined;
}

async function serve(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
      else if (value !== undefined) headers.set(name, value);
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const url = requestUrl(req.url ?? '/');
    if (url === undefined) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: 'bad-request-target', message: `the request target "${(req.url ?? '').slice(0, 100)}" is not a path` } }));
      return;
    }
    const request = new Request(url, {
      method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      // Node's fetch needs this for a streamed body.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    const response = internalError(error);
    // Failed while the answer was being written: its status is out, so only cutting it short is left.
    if (res.headersSent) return void res.destroy();
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }
}
