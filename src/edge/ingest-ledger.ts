/**
 * The ingest ledger: the idempotency keys (`Idempotency-Key`, or a body's `batch` id) an instance
 * or a partition has applied, each with the answer it gave. It is saved in the same checkpoint as
 * the state the batch changed (one atomic write, before answering), so after a crash at any point
 * a retry with the same key either finds the key (the batch was applied: the first answer is given
 * again, nothing is applied) or does not (nothing of the batch survived: it is applied now).
 *
 * Bounded: the last `limit` keys (default DEFAULT_LEDGER_KEYS) are kept; a retry of an older key
 * is applied again. A key sent again with a different body is refused (422), so a reused key
 * cannot silently drop a batch.
 */
import { HttpError, type IngestKey } from './service.js';

/** Keys kept per instance or partition: the retry horizon. */
export const DEFAULT_LEDGER_KEYS = 10_000;
/** Longest key accepted. */
export const MAX_KEY_LENGTH = 200;

export type { IngestKey } from './service.js';

export interface LedgerEntry<Answer> {
  fingerprint: string;
  answer: Answer;
}

export class IngestLedger<Answer> {
  /** Insertion order is age: the oldest key is first. Each entry is numbered (`seq`) for the log it is stored in. */
  private entries = new Map<string, LedgerEntry<Answer> & { seq: number }>();
  /** The number the next key recorded gets. */
  next = 1;

  constructor(private readonly limit = DEFAULT_LEDGER_KEYS) {}

  /** The answer given for `key`, if it was applied; a 422 when it was applied with other events. */
  answerFor(ingestKey: IngestKey): Answer | undefined {
    const entry = this.entries.get(ingestKey.key);
    if (!entry) return undefined;
    if (entry.fingerprint !== ingestKey.fingerprint) {
      throw new HttpError(422, 'idempotency-key-reused', `Idempotency-Key "${ingestKey.key}" was used for a different batch of events`, { key: ingestKey.key });
    }
    return entry.answer;
  }

  record(ingestKey: IngestKey, answer: Answer): void {
    this.entries.delete(ingestKey.key);
    this.entries.set(ingestKey.key, { fingerprint: ingestKey.fingerprint, answer, seq: this.next++ });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The keys as numbered items, oldest first (what SegmentedLog stores). */
  items(): [number, [string, LedgerEntry<Answer>]][] {
    return [...this.entries].map(([key, { fingerprint, answer, seq }]) => [seq, [key, { fingerprint, answer }]]);
  }

  /** Back to what `items` gave (a key numbered twice: its later number holds). */
  restoreItems(items: [number, [string, LedgerEntry<Answer>]][], next: number): void {
    this.entries = new Map();
    for (const [seq, [key, entry]] of items.slice(-this.limit)) {
      this.entries.delete(key);
      this.entries.set(key, { ...entry, seq });
    }
    this.next = next;
  }

  /** A ledger saved whole inside a checkpoint (before it was stored as a log). */
  restore(saved: [string, LedgerEntry<Answer>][] | undefined): void {
    this.restoreItems((saved ?? []).map((entry, i) => [i + 1, entry]), (saved?.length ?? 0) + 1);
  }
}

/** Checks a client's key: 1 to MAX_KEY_LENGTH visible ASCII characters. */
export function checkIngestKey(key: string, where: string): string {
  if (!/^[\x21-\x7e]+$/.test(key) || key.length > MAX_KEY_LENGTH) {
    throw new HttpError(400, 'bad-idempotency-key', `${where} must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters`);
  }
  return key;
}

/**
 * A digest of a batch's events (64-bit FNV-1a over their JSON, as hex): cheap, and only compared
 * with the digest of the same key's first batch, so it need not resist forgery.
 */
export function fingerprintEvents(events: readonly unknown[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const event of events) {
    const text = JSON.stringify(event) ?? 'undefined';
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 0x0a, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
