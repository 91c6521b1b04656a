/**
 * Alerts out as CEF (ArcSight Common Event Format) lines, the inverse of ./from-cef.ts:
 *
 *   CEF:0|Vigil|Vigil|<version>|<rule>|<rule>|<severity>|<field>=<value> …
 *
 * Alert fields are attacker-influenced (a SINK copies event values), so nothing in them may end a
 * field or a line: header fields escape `\` and `|`, and their line breaks (which the CEF spec
 * does not allow in the header) become spaces; extension values escape `\` and `=`, and write line
 * breaks as `\n` / `\r`. A field name that is not a plain CEF key (letters, digits, `_`, `.`, `-`),
 * or that a CEF reader would rename (a short dictionary key such as `src`), is not written as a key:
 * such fields go, as one JSON object, into the `vigilFields` extension field, so nothing is lost
 * and no name can inject a key. Full dictionary names are written as their short keys
 * (`sourceAddress` → `src`), so CEF readers see the standard fields.
 */
import { CEF_KEY_NAMES } from './from-cef.js';

/** One CEF record: the header's six text fields and the extension's fields, in order. */
export interface CefRecord {
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  deviceEventClassId: string;
  name: string;
  severity: string;
  /** Keys as written (short dictionary keys or custom keys) and their values as text. */
  extension: readonly (readonly [key: string, value: string])[];
}

/** The extension field that carries, as JSON, the fields whose names cannot be CEF keys. */
export const CEF_OTHER_FIELDS = 'vigilFields';

const SHORT_KEY_OF: ReadonlyMap<string, string> = new Map(Object.entries(CEF_KEY_NAMES).map(([short, full]) => [full, short]));

/** What from-cef reads as a key (and so what may be written as one). */
const PLAIN_KEY = /^[A-Za-z0-9_.-]{1,1023}$/;

/** Header text: `\` and `|` escaped, line breaks (not allowed in a header) as spaces. */
export function escapeCefHeader(text: string): string {
  return text.replace(/[\\|]/g, '\\$&').replace(/\r\n|[\r\n]/g, ' ');
}

/** Extension value text: `\` and `=` escaped, line breaks as `\n` and `\r`. */
export function escapeCefValue(text: string): string {
  return text.replace(/[\\=]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One CEF line (without its newline). Keys must be plain CEF keys: a key that is not throws. */
export function encodeCef(record: CefRecord): string {
  const header = [record.deviceVendor, record.deviceProduct, record.deviceVersion, record.deviceEventClassId, record.name, record.severity].map(escapeCefHeader).join('|');
  const extension = record.extension.map(([key, value]) => {
    if (!PLAIN_KEY.test(key)) throw new Error(`'${key.slice(0, 40)}' is not a CEF extension key`);
    return `${key}=${escapeCefValue(value)}`;
  });
  return `CEF:0|${header}|${extension.join(' ')}`;
}

/** CEF severity: 0–10 or one of the spec's words; alerts say low, medium, high, critical… */
export function cefSeverity(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10) return String(value);
  const words: Record<string, string> = { unknown: 'Unknown', low: 'Low', medium: 'Medium', high: 'High', 'very-high': 'Very-High', critical: 'Very-High' };
  return (typeof value === 'string' && words[value.toLowerCase()]) || 'Unknown';
}

/** Text of an alert field's value: strings as they are, other values as JSON. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** An alert as one CEF line (without its newline). `version` is Vigil's, for the header. */
export function alertToCef(alert: { rule: string; [field: string]: unknown }, version = ''): string {
  const extension: [string, string][] = [];
  const other: Record<string, unknown> = {};
  let hasOther = false;
  for (const name of Object.keys(alert)) {
    const value = alert[name];
    if (name === 'rule' || value === undefined) continue;
    const key = SHORT_KEY_OF.get(name) ?? name;
    if (key === name && (!PLAIN_KEY.test(name) || Object.hasOwn(CEF_KEY_NAMES, name) || name === CEF_OTHER_FIELDS)) {
      setOwn(other, name, value);
      hasOther = true;
    } else {
      extension.push([key, valueText(value)]);
    }
  }
  if (hasOther) extension.push([CEF_OTHER_FIELDS, JSON.stringify(other)]);
  keepLastValueWhole(extension);
  const rule = String(alert.rule);
  return encodeCef({ deviceVendor: 'Vigil', deviceProduct: 'Vigil', deviceVersion: version, deviceEventClassId: rule, name: rule, severity: cefSeverity(alert.severity), extension });
}

/**
 * A reader drops the trailing whitespace of the last value (where the line ends), never of one
 * followed by a key: a value that ends in whitespace is not put last when another can be.
 */
function keepLastValueWhole(extension: [string, string][]): void {
  const endsInSpace = (pair: [string, string]) => /\s$/.test(pair[1]);
  if (!extension.length || !endsInSpace(extension[extension.length - 1]!)) return;
  const whole = extension.findIndex((pair) => !endsInSpace(pair));
  if (whole >= 0) {
    extension.push(extension.splice(whole, 1)[0]!);
    return;
  }
  // Every value ends in whitespace: the fields go into the JSON field, which ends in `}`.
  const other: Record<string, string> = {};
  for (const [key, value] of extension) setOwn(other, Object.hasOwn(CEF_KEY_NAMES, key) ? CEF_KEY_NAMES[key]! : key, value);
  extension.splice(0, extension.length, [CEF_OTHER_FIELDS, JSON.stringify(other)]);
}

/** An own field, `__proto__` too (an assignment would set the prototype). */
function setOwn(into: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(into, name, { value, enumerable: true, writable: true, configurable: true });
}
