/** Pure helpers of the list upload form (the parsing itself is web/worker/list-upload.ts). */
import type { ListUploadOptions, ListUploadProgress } from '../../src/runtime/worker/protocol.js';

/**
 * The column the user typed: blank → the first; a number is 1-based (as people count columns);
 * anything else is a header name.
 */
export function columnOption(text: string): number | string {
  const t = text.trim();
  if (!t) return 0;
  if (/^\d+$/.test(t)) return Math.max(0, Number(t) - 1);
  return t;
}

export function headerOption(value: string): ListUploadOptions['header'] {
  return value === 'yes' ? true : value === 'no' ? false : 'auto';
}

/** Whole percent of bytes read; 100 only when done. */
export function uploadPercent(p: ListUploadProgress | undefined): number {
  if (!p) return 0;
  if (p.done) return 100;
  return p.totalBytes ? Math.min(99, Math.floor((100 * p.bytesRead) / p.totalBytes)) : 0;
}
