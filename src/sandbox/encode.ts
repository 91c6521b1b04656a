/**
 * Host-side encoding of a batch for one crossing into the VM: JSON text, optionally projected to the
 * fields a function reads, and checked for nesting QuickJS's native JSON parser could not survive.
 */

/** Input nested deeper than this is not sent into the VM (its parser recurses on the wasm stack). */
export const MAX_JSON_DEPTH = 512;

const isEnumerable = Object.prototype.propertyIsEnumerable;

/** JSON for `items[from..to)`, each reduced to the own enumerable `fields` it has. */
export function encodeProjected(items: readonly object[], from: number, to: number, fields: readonly string[]): { json: string; nested: boolean } {
  const keys = fields.map((f) => JSON.stringify(f) + ':');
  let nested = false;
  let out = '[';
  for (let i = from; i < to; i++) {
    const item = items[i] as Record<string, unknown>;
    if (item === null || typeof item !== 'object') {
      // Not an object: send it as it is, so the function sees exactly what the full path shows it.
      out += (i === from ? '' : ',') + (JSON.stringify(item) ?? 'null');
      continue;
    }
    let obj = '{';
    {
      for (let k = 0; k < fields.length; k++) {
        const f = fields[k];
        if (!isEnumerable.call(item, f)) continue;
        const v = item[f];
        if (v !== null && typeof v === 'object') nested = true;
        const s = JSON.stringify(v);
        if (s === undefined) continue;
        obj += (obj.length === 1 ? '' : ',') + keys[k] + s;
      }
    }
    out += (i === from ? '' : ',') + obj + '}';
  }
  return { json: out + ']', nested };
}

/**
 * Like {@link encodeProjected}, but each distinct projected item is sent once: `index[k]` is the
 * position of item `from + k` among the distinct ones, `first[u]` the first item (relative to `from`)
 * of distinct item `u`.
 */
export function encodeProjectedDistinct(
  items: readonly object[],
  from: number,
  to: number,
  fields: readonly string[],
): { json: string; nested: boolean; index: Int32Array; first: number[] } {
  const keys = fields.map((f) => JSON.stringify(f) + ':');
  const seen = new Map<string, number>();
  const index = new Int32Array(to - from);
  const first: number[] = [];
  let nested = false;
  let out = '[';
  for (let i = from; i < to; i++) {
    const item = items[i] as Record<string, unknown>;
    let obj: string;
    if (item === null || typeof item !== 'object') obj = JSON.stringify(item) ?? 'null';
    else {
      obj = '{';
      for (let k = 0; k < fields.length; k++) {
        const f = fields[k];
        if (!isEnumerable.call(item, f)) continue;
        const v = item[f];
        if (v !== null && typeof v === 'object') nested = true;
        const s = JSON.stringify(v);
        if (s === undefined) continue;
        obj += (obj.length === 1 ? '' : ',') + keys[k] + s;
      }
      obj += '}';
    }
    let u = seen.get(obj);
    if (u === undefined) {
      u = first.length;
      seen.set(obj, u);
      first.push(i - from);
      out += (u === 0 ? '' : ',') + obj;
    }
    index[i - from] = u;
  }
  return { json: out + ']', nested, index, first };
}

/** JSON for `items[from..to)` as they are. Throws what JSON.stringify throws (cycles, BigInt). */
export function encodeFull(items: readonly unknown[], from: number, to: number): string {
  return JSON.stringify(from === 0 && to === items.length ? items : items.slice(from, to));
}

/** True when the JSON text nests arrays/objects deeper than `max`. */
export function jsonTooDeep(json: string, max: number = MAX_JSON_DEPTH): boolean {
  if (json.length <= max) return false;
  let depth = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 34) {
      for (i++; i < n; i++) {
        const d = json.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
