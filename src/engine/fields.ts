/** Field access by name, shared by routing, IOC terms, keys, USING and SORT BY. */

export type EventRecord = Record<string, unknown>;

/** A compiled field reader: a flat key with the exact name wins, else dots walk nested objects. */
export type FieldReader = (event: EventRecord) => unknown;

const readerCache = new Map<string, FieldReader>();

export function fieldReader(path: string): FieldReader {
  let reader = readerCache.get(path);
  if (reader) return reader;
  const parts = path.split('.');
  if (parts.length === 1) {
    reader = (event) => event[path];
  } else {
    reader = (event) => {
      const flat = event[path];
      if (flat !== undefined) return flat;
      let value: unknown = event;
      for (const part of parts) {
        if (value === null || typeof value !== 'object') return undefined;
        value = (value as EventRecord)[part];
      }
      return value;
    };
  }
  readerCache.set(path, reader);
  return reader;
}

export function getField(event: EventRecord, path: string): unknown {
  return fieldReader(path)(event);
}

/**
 * The text form of a value for routing, IOC and table look-ups: strings as they are, numbers and
 * booleans as JavaScript prints them; objects, arrays, null and undefined have none.
 */
export function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

/**
 * The text that identifies a group (AGGREGATE BY values, a state machine's key). A single string
 * is kept as it is behind a marker; anything else is JSON behind another, so the string "[3]" and
 * the number 3 are different groups.
 */
export function groupKeyText(values: readonly unknown[]): string {
  if (values.length === 1 && typeof values[0] === 'string') return `s${values[0]}`;
  return `j${JSON.stringify(values)}`;
}
