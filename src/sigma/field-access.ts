/**
 * Reading a Sigma field from an event: the pipeline gives one or more event paths (the first that is
 * present wins), read with the engine's {@link fieldReader} (dotted paths, `__proto__`-safe), and the
 * text is folded once per value for all rules: lower-cased for Sigma's default case-insensitive
 * match, dashes unified for `windash`. The fold memo is keyed by path and checked against the value
 * itself, so it is never stale, and rules reading the same field of the same event share the work.
 *
 * Reads are memoised too, by event identity: the last event object a field was read from and the
 * value read, within one read epoch. The engine starts a new epoch for every batch it is pushed
 * (`forgetEventReads`), so a caller that changes an event object and pushes it again is read afresh;
 * within a batch nothing changes events.
 */
import { fieldReader, scalarText, type EventRecord, type FieldReader } from '../lang/fields.js';
import { normalizeDashes } from './encodings.js';

/** How text is folded before comparison: bit 1 lower-cases, bit 2 unifies dashes (`windash`). */
export const Fold = { None: 0, Lower: 1, Dash: 2, LowerDash: 3 } as const;
export type Fold = (typeof Fold)[keyof typeof Fold];

interface Memo {
  raw: string | undefined;
  folded: [string, string, string, string];
  ready: number;
}

const memos = new Map<string, Memo>();
/** Memoised reads hold only within one epoch (one batch). */
let epoch = 0;

/** Forgets which event objects fields were read from: call it before each batch of caller's events. */
export function forgetEventReads(): void {
  epoch++;
}
const MAX_MEMOS = 4096;

function memoFor(key: string): Memo {
  let m = memos.get(key);
  if (!m) {
    if (memos.size >= MAX_MEMOS) memos.clear();
    m = { raw: undefined, folded: ['', '', '', ''], ready: 0 };
    memos.set(key, m);
  }
  return m;
}

/** Sigma's case fold: String.prototype.toLowerCase (locale-independent). */
export function lower(text: string): string {
  return text.toLowerCase();
}

export function foldText(text: string, fold: Fold): string {
  switch (fold) {
    case Fold.None:
      return text;
    case Fold.Lower:
      return text.toLowerCase();
    case Fold.Dash:
      return normalizeDashes(text);
    default:
      return normalizeDashes(text.toLowerCase());
  }
}

export interface FieldAccess {
  /** Event paths, in order of preference (the first holding a scalar or an array; else the first object). */
  paths: readonly string[];
  read(event: EventRecord): unknown;
  /** The folded text of a scalar read from this field (memoised per path). */
  folded(text: string, fold: Fold): string;
}

const accessCache = new Map<string, FieldAccess>();

export function fieldAccess(paths: readonly string[]): FieldAccess {
  const key = paths.join('\u0000');
  const cached = accessCache.get(key);
  if (cached) return cached;
  const readers: FieldReader[] = paths.map((p) => fieldReader(p));
  const memo = memoFor(key);
  const read =
    readers.length === 1
      ? readers[0]
      : (event: EventRecord) => {
          // The first path holding a value wins; an object (evtx's `EventID: {#text, #attributes}`)
          // only when no later path holds a plain value.
          let fallback: unknown;
          for (const r of readers) {
            const v = r(event);
            if (v === undefined) continue;
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
              fallback ??= v;
              continue;
            }
            return v;
          }
          return fallback;
        };
  // The last event read and its value: all rules evaluated on one event share one read per field.
  let lastEvent: EventRecord | undefined;
  let lastEpoch = -1;
  let lastValue: unknown;
  const access: FieldAccess = {
    paths,
    read(event) {
      if (event === lastEvent && lastEpoch === epoch) return lastValue;
      lastValue = read(event);
      lastEvent = event;
      lastEpoch = epoch;
      return lastValue;
    },
    folded(text, fold) {
      if (fold === Fold.None) return text;
      if (memo.raw !== text) {
        memo.raw = text;
        memo.ready = 0;
      }
      const bit = 1 << fold;
      if (!(memo.ready & bit)) {
        memo.folded[fold] = foldText(text, fold);
        memo.ready |= bit;
      }
      return memo.folded[fold];
    },
  };
  if (accessCache.size < MAX_MEMOS) accessCache.set(key, access);
  return access;
}

/** Most values one field may hold as an array before the rest are ignored. */
export const MAX_ARRAY_VALUES = 1024;

/**
 * The scalars a field value stands for: the value itself, or the elements of an array (a Sigma
 * value matches a multi-valued field when it matches one element). Objects and null have none.
 */
export function scalarsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length && i < MAX_ARRAY_VALUES; i++) {
      const v = value[i];
      if (v !== null && typeof v !== 'object' && v !== undefined) out.push(v);
    }
    return out;
  }
  return value === null || value === undefined || typeof value === 'object' ? [] : [value];
}

export { scalarText };

/** Most text values the keyword search reads from one event (and how deep it walks). */
export const MAX_KEYWORD_VALUES = 10_000;
export const MAX_KEYWORD_DEPTH = 16;

/** Every string and number of an event, depth-first, within the bounds above. */
export function eventTexts(event: EventRecord): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (out.length >= MAX_KEYWORD_VALUES) return;
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
    else if (v && typeof v === 'object' && depth < MAX_KEYWORD_DEPTH) {
      if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
      else for (const k of Object.keys(v)) walk((v as EventRecord)[k], depth + 1);
    }
  };
  walk(event, 0);
  return out;
}
