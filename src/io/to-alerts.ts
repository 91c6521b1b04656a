/** How alerts leave as lines of text: JSON lines (./to-jsonl.ts) or CEF (./to-cef.ts). */
import type { Alert } from '../engine/engine.js';
import { alertToCef } from './to-cef.js';
import { toJsonLine } from './to-jsonl.js';

export type AlertFormat = 'jsonl' | 'cef';

export const ALERT_FORMATS: readonly AlertFormat[] = ['jsonl', 'cef'];

/** The encoder of one alert as a line (newline included); `version` is Vigil's, for CEF's header. */
export function alertLineEncoder(format: AlertFormat, version = ''): (alert: Alert) => string {
  return format === 'cef' ? (alert) => `${alertToCef(alert, version)}\n` : toJsonLine;
}
