/**
 * `--webhook` for `vigil run` and `vigil collect`: the flags, and a WebhookDelivery wired to a
 * dead-letter file (or stderr) that is drained before the command exits.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Alert } from '../engine/engine.js';
import { WebhookDelivery, type DeadLetter } from '../mitigation/webhook.js';
import { DeadLetterFile } from '../runtime/dead-letter-file.js';
import { InputError, UsageError, type CliIO } from './io.js';

export interface WebhookSpec {
  url: string;
  /** `Name: value`, as given. */
  headers: readonly string[];
  /** The environment variable holding the HMAC secret (a secret on the command line shows in `ps`). */
  secretEnv?: string;
  deadLetter?: string;
  attempts?: number;
  batch?: number;
  /** After the input ends, how long to wait for delivery before dead-lettering what is left. */
  drainTimeoutMs?: number;
}

export const WEBHOOK_USAGE_LINES = `[--webhook <url> [--webhook-header 'Name: value']… [--webhook-secret-env <VAR>]
             [--webhook-attempts <n>] [--webhook-batch <n>] [--webhook-drain-timeout <ms>]
             [--dead-letter <file>]]`;

export const WEBHOOK_USAGE_TEXT = `With --webhook each alert is also POSTed as JSON to the URL (retried with backoff,
      Idempotency-Key header, HMAC signature with --webhook-secret-env); alerts that cannot be
      delivered go to --dead-letter as JSON lines (or are reported on stderr).`;

export const webhookOptions = {
  webhook: { type: 'string' },
  'webhook-header': { type: 'string', multiple: true },
  'webhook-secret-env': { type: 'string' },
  'webhook-attempts': { type: 'string' },
  'webhook-batch': { type: 'string' },
  'webhook-drain-timeout': { type: 'string' },
  'dead-letter': { type: 'string' },
} satisfies ParseArgsConfig['options'];

type WebhookValues = { [K in keyof typeof webhookOptions]?: (typeof webhookOptions)[K] extends { multiple: true } ? string[] : string };

/** Headers vigil sets itself: a --webhook-header of the same name would make retries unrecognisable or break the signature. */
const RESERVED_HEADERS = ['content-type', 'idempotency-key', 'vigil-attempt', 'vigil-signature'];
const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;
/** Without --dead-letter, how many dead letters are printed on stderr before only the count is kept. */
const DEAD_LETTERS_SHOWN = 10;

/** The webhook flags from parsed arguments; undefined without --webhook. */
export function webhookSpec(values: WebhookValues, count: (text: string | undefined, flag: string) => number | undefined, ms: (text: string | undefined, flag: string) => number | undefined): WebhookSpec | undefined {
  if (values.webhook === undefined) {
    const stray = (Object.keys(webhookOptions) as (keyof WebhookValues)[]).find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --webhook <url>`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(values.webhook);
  } catch {
    throw new UsageError(`--webhook takes an http or https URL, got '${values.webhook}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--webhook takes an http or https URL, got '${values.webhook}'`);
  const headers = values['webhook-header'] ?? [];
  headers.forEach(parseHeader);
  return {
    url: values.webhook,
    headers,
    secretEnv: values['webhook-secret-env'],
    deadLetter: values['dead-letter'],
    attempts: count(values['webhook-attempts'], '--webhook-attempts'),
    batch: count(values['webhook-batch'], '--webhook-batch'),
    drainTimeoutMs: ms(values['webhook-drain-timeout'], '--webhook-drain-timeout'),
  };
}

function parseHeader(text: string): [string, string] {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(text);
  if (!m || /[\r\n\0]/.test(m[2])) throw new UsageError(`--webhook-header takes 'Name: value', got '${text}'`);
  if (RESERVED_HEADERS.includes(m[1].toLowerCase())) throw new UsageError(`--webhook-header cannot set ${m[1]}: vigil sets it`);
  return [m[1], m[2]];
}

/** A webhook for the length of one command. */
export class CliWebhook {
  private shown = 0;

  private constructor(
    private readonly spec: WebhookSpec,
    private readonly io: CliIO,
    private readonly delivery: WebhookDelivery,
    private readonly file: DeadLetterFile | undefined,
  ) {}

  static async start(spec: WebhookSpec, io: CliIO): Promise<CliWebhook> {
    let secret: string | undefined;
    if (spec.secretEnv !== undefined) {
      secret = process.env[spec.secretEnv];
      if (!secret) throw new InputError(`--webhook-secret-env: environment variable ${spec.secretEnv} is not set or empty`);
    }
    let file: DeadLetterFile | undefined;
    if (spec.deadLetter) {
      try {
        file = await DeadLetterFile.open(spec.deadLetter);
      } catch (error) {
        throw new InputError(`cannot write dead letters to '${spec.deadLetter}': ${(error as Error).message}`);
      }
    }
    let self: CliWebhook | undefined;
    const delivery = new WebhookDelivery({
      url: spec.url,
      headers: Object.fromEntries(spec.headers.map(parseHeader)),
      secret,
      maxAttempts: spec.attempts,
      batchSize: spec.batch,
      userAgent: `vigil/${io.version}`,
      deadLetter: (letter) => self!.bury(letter),
    });
    self = new CliWebhook(spec, io, delivery, file);
    return self;
  }

  /** Never throws: a failing webhook must not stop the run. */
  enqueue(alert: Alert): void {
    this.delivery.enqueue(alert);
  }

  waitForRoom(): Promise<void> | undefined {
    return this.delivery.waitForRoom();
  }

  /**
   * Waits for every alert to be delivered or dead-lettered, at most --webhook-drain-timeout; a
   * SIGINT or SIGTERM meanwhile stops at once. Either way what is left goes to the dead letter, so
   * it is recorded rather than lost. Then reports the counts on stderr.
   */
  async finish(): Promise<void> {
    const { delivery, io } = this;
    const limitMs = this.spec.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    const stop = (why: string) => {
      const { queued, inFlight } = delivery.stats();
      if (queued + inFlight > 0) io.stderr.write(`vigil: webhook: ${why}; ${queued + inFlight} undelivered alerts go to the dead letter\n`);
      delivery.shutdown();
    };
    const onSignal = () => stop('interrupted');
    const timer = setTimeout(() => stop(`still delivering after ${limitMs} ms`), limitMs);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await delivery.drain();
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await this.file?.close().catch((error: Error) => io.stderr.write(`vigil: cannot close '${this.spec.deadLetter}': ${error.message}\n`));
    }
    const s = delivery.stats();
    const where = s.deadLettered === 0 ? '' : this.file ? ` to ${this.spec.deadLetter}` : ' (reported above)';
    const retries = s.retried ? ` after ${s.retried} ${s.retried === 1 ? 'retry' : 'retries'}` : '';
    io.stderr.write(`vigil: webhook: ${s.delivered} alerts delivered${retries}, ${s.deadLettered} dead-lettered${where}\n`);
  }

  private async bury(letter: DeadLetter): Promise<void> {
    const { io } = this;
    if (this.file) {
      try {
        await this.file.write(letter);
        return;
      } catch (error) {
        io.stderr.write(`vigil: cannot write dead letter to '${this.spec.deadLetter}': ${(error as Error).message}: ${JSON.stringify(letter)}\n`);
        return;
      }
    }
    if (++this.shown > DEAD_LETTERS_SHOWN) return;
    const detail = [letter.status !== undefined ? `status ${letter.status}` : '', letter.error ?? ''].filter(Boolean).join(', ');
    io.stderr.write(`vigil: webhook: alert of rule "${letter.alert.rule}" not delivered (${letter.reason}${detail ? `: ${detail}` : ''}, ${letter.attempts} attempts); key ${letter.idempotencyKey}${this.shown === DEAD_LETTERS_SHOWN ? ' (further ones are only counted; use --dead-letter <file> to keep them)' : ''}\n`);
  }
}
