/**
 * One JSON text that holds events: an array of objects, or one object. Each element that is not an
 * object, or nests deeper than MAX_EVENT_DEPTH (128), is rejected with its 1-based index; the rest
 * go on. A text that is not JSON is a JsonTextError (nothing in it can be trusted to be counted).
 */
import { nestingDepthExceeds } from '../engine/nesting.js';
import { describeJsonValue } from './from-jsonl.js';
import { jsonTextNestsDeeperThan, MAX_EVENT_DEPTH, tooDeepReason } from './json-depth.js';

export class JsonTextError extends Error {}

export interface DecodedElements {
  events: Record<string, unknown>[];
  /** For each event, the 1-based index of its element. */
  indexes: number[];
  rejected: { index: number; reason: string }[];
}

export function decodeJsonEvents(text: string): DecodedElements {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonTextError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const items = Array.isArray(value) ? value : [value];
  // JSON.parse does not recurse, so a deep text parses; its elements are measured before use (a
  // text that nests no deeper than the limit, plus the array around them, needs no walk).
  return decodeJsonElements(items, jsonTextNestsDeeperThan(text, MAX_EVENT_DEPTH + (Array.isArray(value) ? 1 : 0)));
}

/**
 * The events among parsed JSON values (an array's elements), each refused as `decodeJsonEvents`
 * refuses it; `mayBeTooDeep` false skips measuring their depth (their text was measured).
 */
export function decodeJsonElements(items: readonly unknown[], mayBeTooDeep = true): DecodedElements {
  const out: DecodedElements = { events: [], indexes: [], rejected: [] };
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.rejected.push({ index: i + 1, reason: `element is ${describeJsonValue(item)}, not an object` });
    } else if (mayBeTooDeep && nestingDepthExceeds(item)) {
      out.rejected.push({ index: i + 1, reason: tooDeepReason() });
    } else {
      out.events.push(item as Record<string, unknown>);
      out.indexes.push(i + 1);
    }
  });
  return out;
}
