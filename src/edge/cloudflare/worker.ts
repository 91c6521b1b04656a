/**
 * The Cloudflare Worker: Vigil's HTTP API in front of VIGIL_PARTITIONS Durable Objects. The Worker
 * authenticates, decodes events and sends each to the partitions that own its keys (by
 * VIGIL_PARTITION_FIELD, or by the keys of rules grouped by other fields: src/edge/routing.ts);
 * rule and IOC changes go to every partition; alerts and metrics are merged.
 *
 * Deploy with wrangler (Node ≥ 22.12): `wrangler deploy` with the wrangler.toml at the package root.
 */
import { readConfig } from '../config.js';
import { createHttpHandler, type Handler } from '../http.js';
import { WebhookingService } from '../webhooks.js';
import { PartitionedService } from '../partition.js';
import { RemotePartition } from '../partition-protocol.js';
import { partitionObjectName } from './partition-object.js';
import type { WorkerEnv } from './types.js';

export { VigilPartition } from './partition-object.js';

let cached: { env: WorkerEnv; handler: Handler; webhooks?: WebhookingService } | undefined;

function handlerFor(env: WorkerEnv): NonNullable<typeof cached> {
  if (cached?.env === env) return cached;
  const config = readConfig(env);
  // A stub is an I/O object of the request that made it: get a fresh one for every call.
  const partitions = Array.from({ length: config.partitions }, (_, i) => {
    const name = partitionObjectName(i);
    return new RemotePartition((request) => env.VIGIL_PARTITION.get(env.VIGIL_PARTITION.idFromName(name)).fetch(request), i);
  });
  const service = new PartitionedService(partitions, config.partitionField);
  // Alerts raised by alarms (processing-time windows) go out with the next request.
  const webhooks = config.webhook ? new WebhookingService(service, config.webhook) : undefined;
  cached = { env, handler: createHttpHandler(webhooks ?? service, config.http), webhooks };
  return cached;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx?: { waitUntil(promise: Promise<unknown>): void }): Promise<Response> {
    const { handler, webhooks } = handlerFor(env);
    const response = await handler(request);
    // Deliveries outlive the response: the isolate is kept until they are done (or given up).
    if (webhooks) ctx?.waitUntil(webhooks.settled());
    return response;
  },
};
