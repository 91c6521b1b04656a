/** Field access by name, shared by routing, IOC terms, keys, USING and SORT BY. */

export type EventRecord = Record<string, unknown>;

/** A compiled field reader: a flat key with the exact name wins, else dots walk nested objects. */
export type FieldReader = (event: EventRecord) => unknown;

const readerCache = new Map<string, FieldReader>();
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether objects and arrays inherit something under `name` (`__proto__`, `constructor`,
 * `toString`, `length`, `map`…). Such a name is read only from an object that has it itself, so an
 * event without a `constructor` field has none (not the Object function) and `__proto__` is a field
 * like any other (JSON.parse makes it an own property). Other names read directly: they can only
 * be own properties of the plain objects and arrays JSON makes.
 */
function inherited(name: string): boolean {
  return name in Object.prototype || name in Array.prototype;
}

/**
 * Whether `fieldReader(path)` reads `event[path]` and nothing else (a flat name no object inherits):
 * a hot loop may then read the field itself, with a property access of its own rather than the
 * readers' one shared (megamorphic) access behind a call.
 */
export function readsDirectly(path: string): boolean {
  return !path.includes('.') && !inherited(path);
}

export function fieldReader(path: string): FieldReader {
  let reader = readerCache.get(path);
  if (reader) return reader;
  const parts = path.split('.');
  if (parts.length === 1) {
    reader = inherited(path) ? (event) => (hasOwn.call(event, path) ? event[path] : undefined) : (event) => event[path];
  } else {
    const guarded = parts.map(inherited);
    reader = (event) => {
      const flat = event[path];
      if (flat !== undefined) return flat;
      let value: unknown = event;
      for (let i = 0; i < parts.length; i++) {
        if (value === null || typeof value !== 'object') return undefined;
        const part = parts[i];
        if (guarded[i] && !hasOwn.call(value, part)) return undefined;
        value = (value as EventRecord)[part];
      }
      return value;
    };
  }
  readerCache.set(path, reader);
  return reader;
}

/**
 * An object with `names[i]` set to `values[i]`, as own data properties whatever the name: a key
 * object for alerts and state-machine violations. (`out[name] = value` would call the
 * `__proto__` setter instead of making a field.)
 */
export function recordOf(names: readonly string[], values: readonly unknown[]): EventRecord {
  const out: EventRecord = {};
  for (let i = 0; i < names.length; i++) Object.defineProperty(out, names[i], { value: values[i], enumerable: true, writable: true, configurable: true });
  return out;
}

/** A record's own value under `name` (undefined when it has none, whatever it inherits). */
export function ownField(record: EventRecord, name: string): unknown {
  return hasOwn.call(record, name) ? record[name] : undefined;
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
