/** Pure helpers of the widget: alert summaries, decoding source messages, parsing `source`. */
import type { AlertSummary } from './view.js';

/** Fields that say where an alert comes from rather than what it is about. */
const META_FIELDS = new Set(['rule', 'key', 'windowStart', 'windowEnd', 'events', 'update', 'severity']);
const SUMMARY_MAX = 160;

function short(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 59)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  }
  return String(value);
}

/** `user=root · server=db1 · failures=12`: the alert's own fields, short. */
export function summarizeAlert(alert: Record<string, unknown>): string {
  const parts: string[] = [];
  let length = 0;
  for (const [key, value] of Object.entries(alert)) {
    if (META_FIELDS.has(key)) continue;
    const part = `${key}=${short(value)}`;
    parts.push(part);
    length += part.length + 3;
    if (length > SUMMARY_MAX) break;
  }
  if (!parts.length && alert.key && typeof alert.key === 'object') {
    for (const [key, value] of Object.entries(alert.key as Record<string, unknown>)) parts.push(`${key}=${short(value)}`);
  }
  if (Array.isArray(alert.events) && !('count' in alert)) parts.push(`${alert.events.length} events`);
  const text = parts.join(' · ');
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

/** The alert as the page gets it: summary, severity, times; `events` left out. */
export function toSummary(alert: Record<string, unknown> & { rule: string }, id: number, now: number): AlertSummary {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(alert)) {
    if (key === 'events' && Array.isArray(value)) fields.eventCount = value.length;
    else fields[key] = value;
  }
  const severity = typeof alert.severity === 'string' ? alert.severity : undefined;
  const eventTime = typeof alert.windowEnd === 'number' ? alert.windowEnd : undefined;
  return {
    id,
    rule: alert.rule,
    summary: summarizeAlert(alert),
    severity,
    time: now,
    eventTime,
    system: alert.rule.startsWith('vigil.'),
    fields: sanitize(fields),
  };
}

/** Structured-clone-safe copy (alerts are plain JSON from the engine, but be strict). */
function sanitize(value: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export interface Decoded {
  events: Record<string, unknown>[];
  /** Parts that were not JSON objects. */
  rejected: number;
}

function isEvent(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One message of a WebSocket or EventSource: a JSON object, a JSON array of objects, or JSON lines
 * (one object per line). Anything else is counted as rejected.
 */
export function decodeMessage(text: string): Decoded {
  const events: Record<string, unknown>[] = [];
  let rejected = 0;
  const take = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (isEvent(item)) events.push(item);
        else rejected++;
      }
    } else if (isEvent(value)) events.push(value);
    else rejected++;
  };
  const trimmed = text.trim();
  if (!trimmed) return { events, rejected };
  try {
    take(JSON.parse(trimmed));
    return { events, rejected };
  } catch {
    // not one JSON value: JSON lines
  }
  for (const line of trimmed.split(/\r?\n/)) {
    const l = line.trim();
    if (!l) continue;
    try {
      take(JSON.parse(l));
    } catch {
      rejected++;
    }
  }
  return { events, rejected };
}

export const SIMULATOR_GENERATORS = ['bruteforce', 'portscan', 'network', 'wave', 'noise'] as const;
export type SimulatorGenerator = (typeof SIMULATOR_GENERATORS)[number];

export interface SimulatorSpec {
  generators: SimulatorGenerator[];
  rate: number;
  seed: number;
  errorProbability: number;
}

export type SourceSpec =
  | { kind: 'simulator'; simulator: SimulatorSpec }
  | { kind: 'websocket'; url: string }
  | { kind: 'eventsource'; url: string };

/**
 * `simulator:bruteforce`, `simulator:bruteforce+noise?rate=500&seed=3`, `ws://…`, `wss://…`,
 * `http(s)://…` (EventSource). Relative URLs are resolved against `base` (the page). Throws an
 * Error with a sentence for the user when the source cannot be used.
 */
export function parseSource(source: string, base?: string): SourceSpec {
  const text = source.trim();
  if (!text) throw new Error('no source: set source="simulator:bruteforce", a ws:// URL or an http(s):// EventSource URL');
  if (/^simulator:/i.test(text)) {
    const [names, query = ''] = text.slice('simulator:'.length).split('?', 2) as [string, string?];
    const generators = names
      .split(/[+,]/)
      .map((n) => n.trim().toLowerCase())
      .filter(Boolean);
    if (!generators.length) throw new Error(`no generator in "${text}": use simulator:${SIMULATOR_GENERATORS.join('|')}`);
    for (const name of generators) {
      if (!(SIMULATOR_GENERATORS as readonly string[]).includes(name)) {
        throw new Error(`unknown simulator generator "${name}": use one of ${SIMULATOR_GENERATORS.join(', ')}`);
      }
    }
    const params = new URLSearchParams(query);
    const number = (key: string, fallback: number, ok: (n: number) => boolean) => {
      const raw = params.get(key);
      if (raw === null) return fallback;
      const n = Number(raw);
      if (!ok(n)) throw new Error(`bad ${key}=${raw} in "${text}"`);
      return n;
    };
    return {
      kind: 'simulator',
      simulator: {
        generators: generators as SimulatorGenerator[],
        rate: number('rate', 200, (n) => n > 0 && n <= 100_000),
        seed: number('seed', 1, Number.isInteger),
        errorProbability: number('error', 0.01, (n) => n >= 0 && n < 1),
      },
    };
  }
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new Error(`source "${text}" is not a URL or simulator:<generator>`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { kind: 'websocket', url: url.href };
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'eventsource', url: url.href };
  throw new Error(`source "${text}": use ws://, wss://, http(s):// (EventSource) or simulator:<generator>`);
}

/** `14:03:07` in the viewer's time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** 1234567 → 1.23M, 12345 → 12.3k. */
export function compactNumber(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}
