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
import { PartitionedService } from '../partition.js';
import { RemotePartition } from '../partition-protocol.js';
import { partitionObjectName } from './partition-object.js';
import type { WorkerEnv } from './types.js';

export { VigilPartition } from './partition-object.js';

let cached: { env: WorkerEnv; handler: Handler } | undefined;

function handlerFor(env: WorkerEnv): Handler {
  if (cached?.env === env) return cached.handler;
  const config = readConfig(env);
  // A stub is an I/O object of the request that made it: get a fresh one for every call.
  const partitions = Array.from({ length: config.partitions }, (_, i) => {
    const name = partitionObjectName(i);
    return new RemotePartition((request) => env.VIGIL_PARTITION.get(env.VIGIL_PARTITION.idFromName(name)).fetch(request), i);
  });
  const handler = createHttpHandler(new PartitionedService(partitions, config.partitionField), config.http);
  cached = { env, handler };
  return handler;
}

export default {
  fetch(request: Request, env: WorkerEnv): Promise<Response> {
    return handlerFor(env)(request);
  },
};
