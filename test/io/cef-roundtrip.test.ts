/**
 * CEF out and back: alerts with attacker-chosen values (and names) written by to-cef and read by
 * from-cef give the same fields; an independent CEF reader written here from the spec (a character
 * by character scanner, not from-cef's key search) sees exactly the header and the keys the encoder
 * meant, so no value can inject a field or a line.
 */
import { describe, expect, it } from 'vitest';
import { CEF_KEY_NAMES, CEF_NUMERIC_FIELDS, parseCef } from '../../src/io/from-cef.js';
import { alertToCef, CEF_OTHER_FIELDS, cefSeverity, encodeCef } from '../../src/io/to-cef.js';

/** A seeded generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['|', '\\', '=', '\n', '\r', '\r\n', ' ', '  ', '\t', 'CEF:0|', ' src=6.6.6.6', ' msg=', 'a=b', '\\=', '\\n', '\\\\', 'x', 'user', '7', '{"a":1}', 'é', '\u2028', '\u00a0', '\u0000', '😀', ' k= v '];

function hostileString(next: () => number, max = 8): string {
  let s = '';
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
  return s;
}

const NAMES = ['user', 'src_ip', 'count', 'sourceAddress', 'destinationPort', 'message', 'severity', 'name', 'deviceVendor', 'src', 'msg', 'a b', 'x=y', 'pipe|name', '', '__proto__', 'constructor', 'key.user', 'new\nline', CEF_OTHER_FIELDS, 'windowStart'];

function hostileAlert(next: () => number): { rule: string; [f: string]: unknown } {
  const alert: { rule: string; [f: string]: unknown } = { rule: hostileString(next) || 'r' };
  const fields = Math.floor(next() * 6);
  for (let i = 0; i < fields; i++) {
    const name = next() < 0.7 ? NAMES[Math.floor(next() * NAMES.length)]! : hostileString(next, 3);
    const kind = next();
    const value = CEF_NUMERIC_FIELDS.has(name) ? Math.floor(next() * 65536) : kind < 0.6 ? hostileString(next) : kind < 0.75 ? Math.floor(next() * 1e6) : kind < 0.85 ? { nested: hostileString(next) } : kind < 0.95 ? [hostileString(next)] : true;
    Object.defineProperty(alert, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return alert;
}

/** The text form a CEF field has: strings as they are, the rest as JSON. */
function text(value: unknown): unknown {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * The spec, read character by character: the header is 7 fields ended by unescaped pipes; in the
 * extension a key is [A-Za-z0-9_.-]+ then `=`, at the start or after a space; a value runs to the
 * space before the next key; `\=` `\\` `\n` `\r` are escapes.
 */
function specReader(line: string): { header: string[]; pairs: [string, string][] } {
  if (!line.startsWith('CEF:')) throw new Error('no CEF: prefix');
  const header: string[] = [];
  let field = '';
  let i = 4;
  for (; header.length < 7; i++) {
    const c = line[i];
    if (c === undefined) throw new Error('short header');
    if (c === '\\' && (line[i + 1] === '\\' || line[i + 1] === '|')) field += line[++i];
    else if (c === '|') {
      header.push(field);
      field = '';
    } else field += c;
  }
  const pairs: [string, string][] = [];
  const keyAt = (at: number): string | undefined => /^[A-Za-z0-9_.-]+(?==)/.exec(line.slice(at))?.[0];
  let key = keyAt(i);
  if (key === undefined) return { header, pairs };
  i += key.length + 1;
  let value = '';
  for (; i <= line.length; i++) {
    const c = line[i];
    if (c === undefined) {
      pairs.push([key, value.replace(/\s+$/, '')]);
      break;
    }
    if (c === '\\') {
      const e = line[++i];
      value += e === 'n' ? '\n' : e === 'r' ? '\r' : e;
    } else if (/\s/.test(c) && keyAt(i + 1) !== undefined) {
      pairs.push([key, value]);
      key = keyAt(i + 1)!;
      i += key.length + 1;
      value = '';
    } else value += c;
  }
  return { header, pairs };
}

describe('to-cef → from-cef', () => {
  it('gives back every field of 3,000 alerts with hostile values and names, on one line each', () => {
    const next = random(13);
    for (let n = 0; n < 3000; n++) {
      const alert = hostileAlert(next);
      const line = alertToCef(alert, '1.2.3');
      expect(line).not.toMatch(/[\r\n]/);
      const result = parseCef(line);
      if (!result.ok) throw new Error(`${JSON.stringify(line)}: ${result.reason}`);
      const event = result.event;
      expect(event.cefVersion).toBe(0);
      expect(event.deviceVendor === 'Vigil' || Object.hasOwn(alert, 'deviceVendor')).toBe(true);
      if (!Object.hasOwn(alert, 'name')) expect(event.name).toBe(alert.rule.replace(/\r\n|[\r\n]/g, ' '));
      // The JSON field gives back the fields whose names are not CEF keys.
      const other = Object.hasOwn(event, CEF_OTHER_FIELDS) ? (JSON.parse(event[CEF_OTHER_FIELDS] as string) as Record<string, unknown>) : {};
      for (const name of Object.keys(alert)) {
        if (name === 'rule') continue;
        const value = alert[name];
        const got = Object.hasOwn(other, name) ? text(other[name]) : event[name];
        const want = CEF_NUMERIC_FIELDS.has(name) && !Object.hasOwn(other, name) ? value : text(value);
        expect({ line, name, got }).toEqual({ line, name, got: want });
      }
      // Nothing more than the alert's fields and the header (no injected field).
      const expectedNames = new Set([...Object.keys(alert).filter((k) => k !== 'rule' && !Object.hasOwn(other, k)), 'cefVersion', 'deviceVendor', 'deviceProduct', 'deviceVersion', 'deviceEventClassId', 'name', 'severity']);
      if (Object.keys(other).length) expectedNames.add(CEF_OTHER_FIELDS);
      expect(new Set(Object.keys(event))).toEqual(expectedNames);
    }
  });

  it('agrees with an independent reader of the spec: the header and exactly the keys the encoder wrote', () => {
    const next = random(7);
    for (let n = 0; n < 3000; n++) {
      const keys = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => `k${i}${['', '_x', '.y', '-z'][Math.floor(next() * 4)]}`);
      const record = {
        deviceVendor: hostileString(next).replace(/[\r\n]/g, ''),
        deviceProduct: hostileString(next).replace(/[\r\n]/g, ''),
        deviceVersion: '1',
        deviceEventClassId: hostileString(next).replace(/[\r\n]/g, ''),
        name: hostileString(next).replace(/[\r\n]/g, ''),
        severity: '5',
        extension: keys.map((k, i) => [k, i === keys.length - 1 ? hostileString(next).replace(/\s+$/, '') : hostileString(next)] as [string, string]),
      };
      const line = encodeCef(record);
      const spec = specReader(line);
      expect(spec.header).toEqual(['0', record.deviceVendor, record.deviceProduct, '1', record.deviceEventClassId, record.name, '5']);
      expect(spec.pairs).toEqual(record.extension);
      const ours = parseCef(line);
      expect(ours.ok).toBe(true);
      if (ours.ok) for (const [k, v] of record.extension) expect(ours.event[k]).toBe(v);
    }
  });

  it('writes full dictionary names as their short keys, and refuses a key that is not a CEF key', () => {
    const line = alertToCef({ rule: 'r', sourceAddress: '10.0.0.1', destinationPort: 22, message: 'a=b\nc', severity: 'high' }, '0.1.0');
    expect(line).toBe('CEF:0|Vigil|Vigil|0.1.0|r|r|High|src=10.0.0.1 dpt=22 msg=a\\=b\\nc severity=high');
    expect(specReader(line).pairs.map(([k]) => k)).toEqual(['src', 'dpt', 'msg', 'severity']);
    expect(() => encodeCef({ deviceVendor: '', deviceProduct: '', deviceVersion: '', deviceEventClassId: '', name: '', severity: '', extension: [['a b', 'x']] })).toThrow(/not a CEF extension key/);
  });

  it('maps severities to CEF (0–10 or the spec words) and anything else to Unknown', () => {
    expect([3, 10, 11, 2.5, 'LOW', 'medium', 'High', 'very-high', 'critical', 'nope', undefined].map(cefSeverity)).toEqual(['3', '10', 'Unknown', 'Unknown', 'Low', 'Medium', 'High', 'Very-High', 'Very-High', 'Unknown', 'Unknown']);
  });

  it('keeps a value ending in whitespace whole by not writing it last', () => {
    const alert = { rule: 'r', a: 'x ', b: 'y' };
    const back = parseCef(alertToCef(alert));
    expect(back.ok && [back.event.a, back.event.b]).toEqual(['x ', 'y']);
    const allSpace = { rule: 'r', a: 'x ', b: 'y\t' };
    const back2 = parseCef(alertToCef(allSpace));
    expect(back2.ok && JSON.parse(back2.event[CEF_OTHER_FIELDS] as string)).toEqual({ a: 'x ', b: 'y\t' });
  });
});

describe('from-cef on hostile keys', () => {
  it('reads __proto__ and constructor as ordinary fields, not Object.prototype members', () => {
    const result = parseCef('CEF:0|v|p|1|id|n|5|__proto__=x constructor=y toString=z src=1.2.3.4');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.event)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result.event, '__proto__')?.value).toBe('x');
    expect(Object.hasOwn(result.event, 'constructor') && result.event.constructor).toBe('y');
    expect(result.event.toString).toBe('z');
    expect(result.event.sourceAddress).toBe('1.2.3.4');
    expect(Object.keys(CEF_KEY_NAMES)).not.toContain('__proto__');
  });
});
