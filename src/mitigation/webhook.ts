/**
 * Alerts to a webhook: each alert (or batch of alerts) is POSTed as JSON to one URL, retried with
 * exponential backoff, and what cannot be delivered goes to a dead-letter sink with the reason.
 *
 * Runtime-agnostic (Node, workerd, Deno, browsers): only `fetch`, `crypto.subtle`, `TextEncoder`,
 * `AbortController` and `setTimeout` from globalThis, and those that matter for tests (fetch, clock,
 * sleep, randomness) can be injected.
 *
 * Delivery is at least once: a request whose answer was lost is sent again. The Idempotency-Key
 * header lets the receiver drop the repeats; it is a pure function of the alert's content (see
 * `alertIdempotencyKey`), so the same alert raised again after a restart and replay carries the same
 * key as before, and a receiver can recompute it from the body.
 */
import type { Alert } from '../engine/engine.js';
import type { Clock } from '../engine/event-time.js';

/** Why an alert went to the dead letter. */
export type DeadLetterReason =
  /** The queue held `maxQueue` alerts already (an alert storm, or an endpoint much slower than the stream). */
  | 'queue full'
  /** The receiver answered with a status that retrying cannot change (a 4xx other than 408 and 429, a redirect). */
  | 'rejected'
  /** Every attempt failed with a retryable status or a network error. */
  | 'retries exhausted'
  /** `shutdown()` was called before the alert was delivered. */
  | 'stopped'
  /** JSON.stringify threw on the alert (a BigInt, a cycle). */
  | 'unserializable';

/** One undelivered alert, as handed to the dead-letter sink. */
export interface DeadLetter {
  /** When it was given up, ISO-8601. */
  time: string;
  reason: DeadLetterReason;
  url: string;
  /** The alert's own key (the same whether or not it travelled in a batch). */
  idempotencyKey: string;
  /** The key of the request, when the alert travelled in a batch of several. */
  batchIdempotencyKey?: string;
  /** Requests sent (0 when it never left the queue). */
  attempts: number;
  /** The last HTTP status received, if any. */
  status?: number;
  /** The last network error or timeout, if the last attempt had no response. */
  error?: string;
  /** The start of the last response body (for rejected and exhausted deliveries). */
  response?: string;
  alert: Alert;
}

/**
 * Where undelivered alerts go. It is called in the order the alerts were given up, without waiting
 * for the previous call to settle; drain() waits for every call. A sink that throws or rejects is
 * counted in `deadLetterFailures` and the letter logged with console.error.
 */
export type DeadLetterSink = (letter: DeadLetter) => void | Promise<void>;

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface WebhookOptions {
  url: string;
  /** Sent with every request (Authorization, for instance). Content-Type and the Vigil headers win over these. */
  headers?: Record<string, string>;
  /** With a secret, each request carries `Vigil-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string;
  /** Requests per alert (or batch), the first included. Default 5. */
  maxAttempts?: number;
  /** The backoff before the first retry, doubling for each further one. Default 500 ms. */
  baseDelayMs?: number;
  /** The longest wait between attempts, Retry-After included. Default 30 s. */
  maxDelayMs?: number;
  /** One request, from sending to the end of reading the response. Default 10 s. */
  timeoutMs?: number;
  /** Alerts waiting to be sent; beyond it they go to the dead letter as 'queue full'. Default 10,000. */
  maxQueue?: number;
  /** Requests at once (retries waiting for their turn included). Default 4. */
  concurrency?: number;
  /** Alerts per request. 1 (the default) sends each alert as a JSON object; more sends a JSON array. */
  batchSize?: number;
  userAgent?: string;
  fetch?: typeof fetch;
  /** Epoch ms: for the dead-letter time and Retry-After dates. */
  now?: Clock;
  sleep?: Sleep;
  /** In [0, 1): the jitter. */
  random?: () => number;
  /** Default: each letter logged with console.error, so that nothing is dropped silently. */
  deadLetter?: DeadLetterSink;
}

export interface WebhookStats {
  /** Alerts the receiver accepted (2xx). */
  delivered: number;
  /** Requests sent again after a failed attempt. */
  retried: number;
  /** Alerts given to the dead-letter sink. */
  deadLettered: number;
  /** Dead letters the sink failed to take (they were logged with console.error instead). */
  deadLetterFailures: number;
  /** Alerts in requests under way, including those waiting to be retried. */
  inFlight: number;
  /** Alerts waiting for a request. */
  queued: number;
}

export const WEBHOOK_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 10_000,
  maxQueue: 10_000,
  concurrency: 4,
  batchSize: 1,
} as const;

/** How much of an error response is kept for the dead letter. */
const RESPONSE_EXCERPT_BYTES = 512;

interface QueuedAlert {
  /** JSON.stringify of the alert when it was enqueued: later changes to the object do not leak into the request. */
  json: string;
  key?: Promise<string>;
}

interface AttemptOutcome {
  delivered: boolean;
  retryable: boolean;
  status?: number;
  error?: string;
  response?: string;
  retryAfterMs?: number;
}

export class WebhookDelivery {
  private readonly options: Required<Omit<WebhookOptions, 'headers' | 'secret' | 'userAgent'>> & Pick<WebhookOptions, 'headers' | 'secret' | 'userAgent'>;
  private readonly queue: QueuedAlert[] = [];
  /** Index of the queue's first alert (shifting an array of thousands for every batch would be quadratic). */
  private head = 0;
  private active = 0;
  private inFlightAlerts = 0;
  /** Alerts given up and not yet handed to the dead-letter sink. */
  private toBury: { queued: QueuedAlert; detail: Omit<DeadLetter, 'time' | 'url' | 'idempotencyKey' | 'alert'>; time: string }[] = [];
  private burying = false;
  private pumpScheduled = false;
  private stopping = false;
  /** Whether the last request that finished was accepted: waitForRoom() waits only on a working endpoint. */
  private endpointHealthy = true;
  private readonly stopController = new AbortController();
  private readonly idleWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private signingKey?: Promise<CryptoKey>;
  private readonly counts = { delivered: 0, retried: 0, deadLettered: 0, deadLetterFailures: 0 };

  constructor(options: WebhookOptions) {
    for (const name of ['maxAttempts', 'concurrency', 'batchSize', 'maxQueue'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new RangeError(`webhook ${name} must be a positive integer, got ${value}`);
    }
    new URL(options.url); // throws on a malformed URL now rather than on the first alert
    this.options = {
      ...WEBHOOK_DEFAULTS,
      fetch: globalThis.fetch,
      now: Date.now,
      sleep: abortableSleep,
      random: Math.random,
      deadLetter: logDeadLetter,
      ...definedOnly(options),
      url: options.url,
    };
  }

  /**
   * Queues an alert for delivery; never throws and never waits. Returns false when the alert went
   * straight to the dead letter (queue full, shut down, or not serializable).
   */
  enqueue(alert: Alert): boolean {
    let json: string;
    try {
      json = JSON.stringify(alert);
    } catch (error) {
      this.bury([{ json: JSON.stringify({ rule: String(alert.rule) }) }], { reason: 'unserializable', attempts: 0, error: errorText(error) });
      return false;
    }
    if (this.stopping || this.queuedCount() >= this.options.maxQueue) {
      this.bury([{ json }], { reason: this.stopping ? 'stopped' : 'queue full', attempts: 0 });
      return false;
    }
    this.queue.push({ json });
    this.schedulePump();
    return true;
  }

  /** Resolves once every alert enqueued so far was delivered or handed to the dead-letter sink. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves when the queue is at most half full, or at once while the endpoint is failing (then
   * the producer should go on and let overflow go to the dead letter rather than stall on an outage).
   * For producers that can wait, such as a file being read; a UDP collector cannot.
   */
  waitForRoom(): Promise<void> | undefined {
    if (this.hasRoom()) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Stops delivering: waiting alerts, retries and requests under way end in the dead letter as
   * 'stopped' (a request cut short may have reached the receiver; its key lets a re-delivery be
   * recognised). Alerts enqueued afterwards go straight to the dead letter. Await drain() after it.
   */
  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopController.abort();
    const waiting = this.queue.splice(this.head);
    this.queue.length = 0;
    this.head = 0;
    if (waiting.length) this.bury(waiting, { reason: 'stopped', attempts: 0 });
    this.wakeRoomWaiters();
    this.checkIdle();
  }

  stats(): WebhookStats {
    return { ...this.counts, inFlight: this.inFlightAlerts, queued: this.queuedCount() };
  }

  private queuedCount(): number {
    return this.queue.length - this.head;
  }

  private hasRoom(): boolean {
    return this.stopping || !this.endpointHealthy || this.queuedCount() <= this.options.maxQueue / 2;
  }

  private isIdle(): boolean {
    return this.queuedCount() === 0 && this.active === 0 && this.toBury.length === 0 && !this.burying;
  }

  // Deferred to a microtask so the alerts one engine.push() raises together fill a batch.
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queuedCount() > 0 && !this.stopping) {
      const batch = this.queue.slice(this.head, this.head + this.options.batchSize);
      this.head += batch.length;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.active++;
      this.inFlightAlerts += batch.length;
      void this.deliver(batch).finally(() => {
        this.active--;
        this.inFlightAlerts -= batch.length;
        this.pump();
        this.checkIdle();
      });
    }
    if (this.hasRoom()) this.wakeRoomWaiters();
  }

  private async deliver(batch: QueuedAlert[]): Promise<void> {
    const batched = this.options.batchSize > 1;
    const body = new TextEncoder().encode(batched ? `[${batch.map((a) => a.json).join(',')}]` : batch[0].json);
    let requestKey: string;
    let signature: string | undefined;
    try {
      const keys = await Promise.all(batch.map((a) => this.keyOf(a)));
      requestKey = keys.length === 1 ? keys[0] : await sha256Hex(keys.join(','));
      signature = this.options.secret === undefined ? undefined : `sha256=${await this.sign(body)}`;
    } catch (error) {
      // Only a runtime without WebCrypto gets here; the alerts must still land somewhere.
      this.bury(batch, { reason: 'rejected', attempts: 0, error: `cannot prepare request: ${errorText(error)}` });
      return;
    }

    let last: AttemptOutcome = { delivered: false, retryable: true };
    let attempts = 0;
    for (let attempt = 1; attempt <= this.options.maxAttempts && !this.stopping; attempt++) {
      if (attempt > 1) {
        await this.options.sleep(this.retryDelay(attempt - 1, last.retryAfterMs), this.stopController.signal);
        if (this.stopping) break;
        this.counts.retried++;
      }
      attempts = attempt;
      last = await this.attempt(body, requestKey, signature, attempt);
      this.endpointHealthy = last.delivered;
      if (!this.endpointHealthy) this.wakeRoomWaiters();
      if (last.delivered) {
        this.counts.delivered += batch.length;
        return;
      }
      if (!last.retryable) break;
    }
    const reason: DeadLetterReason = this.stopping ? 'stopped' : last.retryable ? 'retries exhausted' : 'rejected';
    const { status, error, response } = last;
    this.bury(batch, { reason, attempts, status, error, response, batchIdempotencyKey: batch.length > 1 ? requestKey : undefined });
  }

  private async attempt(body: Uint8Array<ArrayBuffer>, key: string, signature: string | undefined, attempt: number): Promise<AttemptOutcome> {
    const headers: Record<string, string> = { ...this.options.headers };
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = key;
    headers['Vigil-Attempt'] = String(attempt);
    if (signature) headers['Vigil-Signature'] = signature;
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onStop = () => controller.abort();
    this.stopController.signal.addEventListener('abort', onStop);
    try {
      // A redirect is not followed: fetch would turn a 301/302 POST into a GET and lose the body.
      const send = this.options.fetch; // called unbound: some runtimes' fetch rejects an object as `this`
      const response = await send(this.options.url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      const { status } = response;
      if (status >= 200 && status < 300) {
        await response.body?.cancel().catch(() => undefined); // frees the connection without reading
        return { delivered: true, retryable: false, status };
      }
      const excerpt = await readExcerpt(response, RESPONSE_EXCERPT_BYTES).catch(() => undefined);
      const retryable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), this.options.now()) : undefined;
      // An opaque redirect (browsers, with redirect: 'manual') has status 0.
      const error = status === 0 || (status >= 300 && status < 400) ? 'redirect not followed' : undefined;
      return { delivered: false, retryable, status, response: excerpt, retryAfterMs, error };
    } catch (error) {
      const text = timedOut ? `timeout after ${this.options.timeoutMs} ms` : this.stopping ? 'stopped during the request' : errorText(error);
      return { delivered: false, retryable: true, error: text };
    } finally {
      clearTimeout(timer);
      this.stopController.signal.removeEventListener('abort', onStop);
    }
  }

  /**
   * Before retry n (n = 1 for the second attempt): a random time between half and all of
   * min(maxDelay, base·2^(n−1)) — the jitter spreads the retries of many senders — but never less
   * than the receiver's Retry-After, itself capped at maxDelay so one answer cannot park the queue.
   */
  private retryDelay(retry: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs, random } = this.options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    return Math.min(maxDelayMs, Math.max(backoff, retryAfterMs ?? 0));
  }

  private keyOf(alert: QueuedAlert): Promise<string> {
    alert.key ??= alertIdempotencyKey(JSON.parse(alert.json) as Alert);
    return alert.key;
  }

  private async sign(body: Uint8Array<ArrayBuffer>): Promise<string> {
    this.signingKey ??= crypto.subtle.importKey('raw', new TextEncoder().encode(this.options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return hex(await crypto.subtle.sign('HMAC', await this.signingKey, body));
  }

  /** Hands alerts to the dead-letter sink, one letter each, in the order they were given up. */
  private bury(batch: QueuedAlert[], detail: Omit<DeadLetter, 'time' | 'url' | 'idempotencyKey' | 'alert'>): void {
    const time = new Date(this.options.now()).toISOString();
    for (const queued of batch) this.toBury.push({ queued, detail, time });
    if (this.burying) return;
    this.burying = true;
    void this.writeLetters().finally(() => {
      this.burying = false;
      this.checkIdle();
    });
  }

  /**
   * Everything given up since the last call goes to the sink in one go: the sink is called for each
   * letter in order without waiting for the previous call, so a sink that groups its writes (the
   * dead-letter file syncs once per group) keeps up with an overflowing queue instead of paying one
   * disk sync per alert.
   */
  private async writeLetters(): Promise<void> {
    while (this.toBury.length) {
      const group = this.toBury;
      this.toBury = [];
      const letters = await Promise.all(
        group.map(async ({ queued, detail, time }): Promise<DeadLetter> => {
          const idempotencyKey = await this.keyOf(queued).catch(() => '');
          return { time, url: this.options.url, idempotencyKey, ...withoutUndefined(detail), alert: JSON.parse(queued.json) as Alert };
        }),
      );
      await Promise.all(letters.map((letter) => this.handToSink(letter)));
    }
  }

  private async handToSink(letter: DeadLetter): Promise<void> {
    this.counts.deadLettered++;
    try {
      await this.options.deadLetter(letter);
    } catch (error) {
      this.counts.deadLetterFailures++;
      console.error(`vigil: webhook dead-letter sink failed (${errorText(error)}): ${JSON.stringify(letter)}`);
    }
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    waiters.forEach((wake) => wake());
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}

/**
 * The Idempotency-Key of one alert: the lowercase hex SHA-256 of its canonical JSON (RFC 8785, JCS:
 * object keys sorted by UTF-16 code units, no whitespace, numbers and strings as JSON.stringify
 * writes them). Everything that tells alerts apart is in that JSON — the rule, an aggregation's key
 * and window, `update` on a re-fired window — so the key is stable across retries, restarts and
 * replays, and a receiver of a batch can recompute each alert's key from the body.
 * Two alerts with identical content share a key: a rule that wants each occurrence delivered puts
 * something that tells them apart (the event's time or id) in what SINK returns.
 */
export async function alertIdempotencyKey(alert: Alert): Promise<string> {
  return sha256Hex(canonicalJson(alert));
}

/** RFC 8785 serialization of a JSON value (what JSON.parse returns; toJSON and undefined are not handled). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  return `{${fields.join(',')}}`;
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function readExcerpt(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  // A multi-byte character cut at the limit decodes as U+FFFD rather than failing.
  return new TextDecoder().decode(bytes.subarray(0, maxBytes));
}

/** The message of an error and of its cause: Node's fetch says only "fetch failed" and puts ECONNREFUSED in the cause. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : cause !== undefined ? String(cause) : '';
  return causeText && causeText !== error.message ? `${error.message} (${causeText})` : error.message;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

function logDeadLetter(letter: DeadLetter): void {
  console.error(`vigil: webhook dead letter: ${JSON.stringify(letter)}`);
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return withoutUndefined(options) as Partial<T>;
}

function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}
