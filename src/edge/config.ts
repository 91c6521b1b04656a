/**
 * The edge settings, read from environment variables (Cloudflare bindings, Deno.env, process.env):
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `VIGIL_TOKEN` | bearer token for rule and IOC management (and flush); unset: management refused | — |
 * | `VIGIL_READ_TOKEN` | when set, `GET /alerts`, `/rules`, `/iocs`, `/metrics` need it (or VIGIL_TOKEN) | open |
 * | `VIGIL_INGEST_TOKEN` | when set, `POST /events` needs it (or VIGIL_TOKEN) | open |
 * | `VIGIL_CORS_ORIGIN` | `*` or comma-separated origins allowed by CORS | no CORS |
 * | `VIGIL_MAX_BODY_BYTES` | largest request body (413 above) | 10 MB |
 * | `VIGIL_ALERT_CAPACITY` | alerts kept per instance for `GET /alerts` | 10 000 |
 * | `VIGIL_ALERT_RING_BYTES` | bytes of alert JSON kept per instance for `GET /alerts` (the oldest go first) | 64 MiB |
 * | `VIGIL_IDEMPOTENCY_KEYS` | `Idempotency-Key`s remembered per instance (partition); a retry of an older key is applied again | 10 000 |
 * | `VIGIL_OUT_OF_ORDER_MS`, `VIGIL_ALLOWED_LATENESS_MS` | engine options | 5000, 0 |
 * | `VIGIL_MAX_FUTURE_MS` | event times further ahead of the clock are quarantined (0: off) | 300 000 |
 * | `VIGIL_MAX_JUMP_MS` | event times further ahead of their source are quarantined | 3 600 000 |
 * | `VIGIL_MAX_HELD_EVENTS`, `VIGIL_MAX_STATE_KEYS` | per rule: events its windows hold, keys its state machine or SUPPRESS holds (engine options; past them new ones are shed) | 4 000 000, 1 000 000 |
 * | `VIGIL_WATERMARK_BY` | field naming each event's source for event time (a client, a host) | the partition |
 * | `VIGIL_SIGMA_PIPELINE` | how Sigma rules map to events: `evtx-json`, `ecs` or `flat` (src/sigma/README.md) | `flat` |
 * | `VIGIL_PARTITIONS` | Cloudflare: number of partition objects | 1 |
 * | `VIGIL_PARTITION_FIELD` | Cloudflare: field whose value picks the partition (rules keyed by other fields are re-keyed: src/edge/routing.ts) | `sourceAddress` |
 * | `VIGIL_TICK_MS` | Cloudflare/Deno: how often processing-time windows are checked | 1000 |
 * | `VIGIL_WEBHOOK_URL` | POST every alert there (src/edge/webhooks.ts) | no webhook |
 * | `VIGIL_WEBHOOK_SECRET` | HMAC-SHA256 key: requests carry `Vigil-Signature` | unsigned |
 * | `VIGIL_WEBHOOK_ATTEMPTS` | requests per alert, the first included | 5 |
 */
import { DEFAULT_ALERT_RING_BYTES } from './alert-ring.js';
import type { EngineOptions } from '../engine/engine.js';
import { BUILTIN_PIPELINES } from '../sigma/builtin-pipelines.js';
import { DEFAULT_LEDGER_KEYS } from './ingest-ledger.js';

export interface HttpConfig {
  adminToken?: string;
  readToken?: string;
  ingestToken?: string;
  /** `*`, or the allowed origins; empty: no CORS headers. */
  corsOrigins: string[];
  maxBodyBytes: number;
}

export interface WebhookConfig {
  url: string;
  secret?: string;
  maxAttempts?: number;
}

export interface EdgeConfig {
  http: HttpConfig;
  engine: EngineOptions;
  alertCapacity: number;
  /** Bytes of alert JSON kept per instance or partition (alert-ring.ts). */
  alertRingBytes: number;
  /** Idempotency keys remembered per instance or partition (ingest-ledger.ts). */
  ledgerKeys: number;
  partitions: number;
  partitionField: string;
  tickMs: number;
  webhook?: WebhookConfig;
}

export type Env = Record<string, unknown>;

export function readConfig(env: Env): EdgeConfig {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const int = (name: string, fallback: number, min = 0): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${value} is not an integer ≥ ${min}`);
    return n;
  };
  return {
    http: {
      adminToken: text('VIGIL_TOKEN'),
      readToken: text('VIGIL_READ_TOKEN'),
      ingestToken: text('VIGIL_INGEST_TOKEN'),
      corsOrigins: (text('VIGIL_CORS_ORIGIN') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      maxBodyBytes: int('VIGIL_MAX_BODY_BYTES', 10 * 1024 * 1024, 1),
    },
    engine: {
      outOfOrderMs: int('VIGIL_OUT_OF_ORDER_MS', 5000),
      allowedLatenessMs: int('VIGIL_ALLOWED_LATENESS_MS', 0),
      // Live input: a time far ahead of the clock is a forgery or a broken clock (0 turns the check off).
      maxFutureMs: int('VIGIL_MAX_FUTURE_MS', 300_000) || Infinity,
      maxJumpMs: int('VIGIL_MAX_JUMP_MS', 3_600_000),
      maxHeldEvents: int('VIGIL_MAX_HELD_EVENTS', 4_000_000, 1),
      maxStateKeys: int('VIGIL_MAX_STATE_KEYS', 1_000_000, 1),
      ...(text('VIGIL_WATERMARK_BY') ? { watermarkBy: text('VIGIL_WATERMARK_BY') } : {}),
      ...(text('VIGIL_SIGMA_PIPELINE') ? { sigma: { pipeline: sigmaPipelineName(text('VIGIL_SIGMA_PIPELINE')!) } } : {}),
    },
    alertCapacity: int('VIGIL_ALERT_CAPACITY', 10_000, 1),
    alertRingBytes: int('VIGIL_ALERT_RING_BYTES', DEFAULT_ALERT_RING_BYTES, 1),
    ledgerKeys: int('VIGIL_IDEMPOTENCY_KEYS', DEFAULT_LEDGER_KEYS, 1),
    partitions: int('VIGIL_PARTITIONS', 1, 1),
    partitionField: text('VIGIL_PARTITION_FIELD') ?? 'sourceAddress',
    tickMs: int('VIGIL_TICK_MS', 1000, 10),
    webhook: webhookConfig(),
  };

  function webhookConfig(): WebhookConfig | undefined {
    const url = text('VIGIL_WEBHOOK_URL');
    if (url === undefined) return undefined;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new Error(`VIGIL_WEBHOOK_URL=${url} is not an http(s) URL`);
    return { url, secret: text('VIGIL_WEBHOOK_SECRET'), maxAttempts: int('VIGIL_WEBHOOK_ATTEMPTS', 5, 1) };
  }
}

/** A built-in Sigma pipeline's name (a pipeline file needs a file system the edge may not have). */
function sigmaPipelineName(name: string): string {
  if (!Object.hasOwn(BUILTIN_PIPELINES, name)) throw new Error(`VIGIL_SIGMA_PIPELINE=${name} is not a built-in pipeline (${Object.keys(BUILTIN_PIPELINES).join(', ')})`);
  return name;
}
