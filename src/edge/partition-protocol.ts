/**
 * How the Worker and the partitions (Durable Objects) speak beyond the public API: routed events,
 * forwarded alerts, the routing table and staged flushes, under `/_partition/`. Only the Worker and
 * other partitions reach these routes (a Durable Object has no public address); every request says
 * which partition it is for in `Vigil-Partition`, since an object does not know its own name.
 */
import { internalError, type Handler } from './http.js';
import type { ForwardMessage, PartitionClient, PartitionNode, RoutedBatch, RoutedIngestResult } from './partition-node.js';
import { RemoteService, type Fetch } from './remote-service.js';
import type { Feed, RoutingDescription } from './routing.js';
import { HttpError } from './service.js';

export const PARTITION_HEADER = 'vigil-partition';
const PREFIX = '/_partition/';

/** A partition behind a fetch (a Durable Object stub): the public API plus the internal routes. */
export class RemotePartition extends RemoteService implements PartitionClient {
  constructor(fetch: Fetch, index: number) {
    super(fetch, 'http://vigil.internal', { [PARTITION_HEADER]: String(index) });
  }

  async ingestRouted(batch: RoutedBatch): Promise<RoutedIngestResult> {
    return (await this.call('POST', `${PREFIX}events`, JSON.stringify(batch), 'application/json')) as RoutedIngestResult;
  }

  async routing(): Promise<RoutingDescription> {
    return (await this.call('GET', `${PREFIX}routing`)) as RoutingDescription;
  }

  async flushStage(feed: Feed): Promise<{ produced: number }> {
    return (await this.call('POST', `${PREFIX}flush?feed=${feed}`)) as { produced: number };
  }

  async forward(message: ForwardMessage): Promise<void> {
    await this.call('POST', `${PREFIX}forward`, JSON.stringify(message), 'application/json');
  }

  async iocFilter(name: string): Promise<Uint8Array | undefined> {
    const response = await this.fetch(new Request(`http://vigil.internal${PREFIX}ioc-filter?name=${encodeURIComponent(name)}`, { headers: this.headers }));
    if (response.status === 404) return undefined;
    if (!response.ok) throw new HttpError(response.status, 'upstream', await response.text());
    return new Uint8Array(await response.arrayBuffer());
  }

  async loadIocFilter(name: string, bytes: Uint8Array): Promise<{ count: number }> {
    const request = new Request(`http://vigil.internal${PREFIX}ioc-filter?name=${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { ...this.headers, 'content-type': 'application/octet-stream' },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    const response = await this.fetch(request);
    if (!response.ok) throw new HttpError(response.status, 'upstream', await response.text());
    return (await response.json()) as { count: number };
  }
}

/**
 * The handler of one partition: the internal routes, and the public API (`api`) for the rest.
 * Internal failures answer JSON errors like the public API, so RemoteService turns them into
 * HttpErrors.
 */
export function createPartitionHandler(node: PartitionNode, api: Handler): Handler {
  return async (request) => {
    const index = request.headers.get(PARTITION_HEADER);
    try {
      if (index !== null) node.setIndex(Number(index));
      const url = new URL(request.url);
      if (!url.pathname.startsWith(PREFIX)) return await api(request);
      const route = `${request.method.toUpperCase()} ${url.pathname.slice(PREFIX.length)}`;
      switch (route) {
        case 'POST events':
          return json(await node.ingestRouted((await request.json()) as RoutedBatch));
        case 'POST forward':
          await node.receiveForward((await request.json()) as ForwardMessage);
          return json({ ok: true });
        case 'GET routing':
          return json(await node.routing());
        case 'GET ioc-filter': {
          const bytes = await node.iocFilter(url.searchParams.get('name') ?? '');
          if (!bytes) throw new HttpError(404, 'no-such-list', 'no such IOC list');
          return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } });
        }
        case 'PUT ioc-filter':
          return json(await node.loadIocFilter(url.searchParams.get('name') ?? '', new Uint8Array(await request.arrayBuffer())));
        case 'POST flush': {
          const feed = url.searchParams.get('feed');
          if (feed !== 'events' && feed !== 'alerts') throw new HttpError(400, 'bad-feed', 'feed is events or alerts');
          return json(await node.flushStage(feed));
        }
      }
      throw new HttpError(404, 'not-found', `no route ${route}`);
    } catch (error) {
      // Not an HttpError: a generic 500, since the front relays the answer to the client as it is.
      if (!(error instanceof HttpError)) return internalError(error, request);
      return json({ error: { code: error.code, message: error.message, ...error.details } }, error.status);
    }
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
