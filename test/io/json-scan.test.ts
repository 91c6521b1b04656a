/**
 * The lazy reader's byte scanner against the eager path it stands in for (TextDecoder with fatal
 * errors, the depth check, JSON.parse): on generated JSON lines and on many random mutations of
 * them (truncation, stray bytes, bad escapes, lone surrogates, NUL, non-UTF-8, a BOM, CR), the
 * scanner accepts a line exactly when the eager path makes an event of it — except a line starting
 * with a byte-order mark, which the eager decoder strips and the scanner leaves to it — and every
 * wanted field it extracts equals the eager event's own field. Every test runs against both
 * scanners: the TypeScript one and build/json-scan.wasm (json-scan-wasm.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../src/io/from-jsonl.js';
import { JsonObjectScanner } from '../../src/io/json-scan.js';
import { WasmJsonObjectScanner } from '../../src/io/json-scan-wasm.js';
import { loadJsonScanModuleNode } from '../../src/wasm/load-node.js';

const jsonScanModule = await loadJsonScanModuleNode();
const SCANNERS: [string, (names: readonly string[], maxDepth?: number) => JsonObjectScanner][] = [
  ['JsonObjectScanner (TypeScript)', (names, maxDepth) => new JsonObjectScanner(names, maxDepth)],
  ['WasmJsonObjectScanner (build/json-scan.wasm)', (names, maxDepth) => new WasmJsonObjectScanner(jsonScanModule, names, maxDepth)],
  ['WasmJsonObjectScanner, whole chunks copied in', (names, maxDepth) => new WasmJsonObjectScanner(jsonScanModule, names, maxDepth, true)],
];

/** xorshift32: the fuzz is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const WANTED = ['tag', 'n', '__proto__', 'user', 'a', 'k\u00e9y', 'constructor', 'deep', 'x.y', 'x'];
const KEYS = [...WANTED, 'other', 'pad', '', 'ta', 'tags', 'toString'];
const STRINGS = ['', 'id_tag_1', 'Group3', 'caf\u00e9', '\u{1f600}', 'a"b', 'back\\slash', 'tab\there', '\u0000', '\ud800', '\udc00x', '\u2028', '[{', '}]',
  // Longer than the WebAssembly scanner's 16-byte steps, with what stops a step at different places.
  '6ff73f370f64a9decdd3de6eb6b2ca1e', `${'x'.repeat(17)}\u00e9${'y'.repeat(20)}`, `${'p'.repeat(31)}"qqq`, `${'c'.repeat(20)}\u0001${'d'.repeat(15)}`, `${'b'.repeat(16)}\\`];
const NUMBERS = ['0', '-0', '1', '-1', '12345678901234', '123456789012345', '1234567890123456', '99999999999999999999999', '1e400', '-1e400', '1.5', '0.1', '1e-400', '2.5E+3', '1E2', '-0.0', '9007199254740993'];

/** A JSON text: an object with random members, some wanted, some repeated. */
function randomObjectText(random: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const ws = () => (random() < 0.15 ? pick([' ', '\t', '\r', '  ', ' \r ']) : '');
  const value = (d: number): string => {
    const r = random();
    if (r < 0.3) return JSON.stringify(pick(STRINGS));
    if (r < 0.35) return `"${pick(['\\u0041', '\\ud83d\\ude00', '\\ud800', '\\/', '\\b\\f\\n\\r\\t'])}"`;
    if (r < 0.6) return pick(NUMBERS);
    if (r < 0.7) return pick(['true', 'false', 'null']);
    if (r < 0.8 && d < 4) return `[${ws()}${Array.from({ length: Math.floor(random() * 3) }, () => value(d + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
    if (r < 0.9 && d < 4) return randomObjectText(random, d + 1);
    if (r < 0.95) return '['.repeat(120 + Math.floor(random() * 12)) + ']'.repeat(120 + Math.floor(random() * 12));
    return '['.repeat(126 + Math.floor(random() * 4)) + ']'.repeat(126 + Math.floor(random() * 4));
  };
  const members = Array.from({ length: Math.floor(random() * 6) }, () => {
    const key = random() < 0.1 ? pick(['"t\\u0061g"', '"\\u005f_proto__"', '"n\\u0000"']) : JSON.stringify(pick(KEYS));
    return `${ws()}${key}${ws()}:${ws()}${value(depth)}${ws()}`;
  });
  return `{${members.join(',')}${members.length ? '' : ws()}}`;
}

const INTERESTING = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x30, 0x39, 0x2d, 0x2b, 0x2e, 0x65, 0x45, 0x75, 0x74, 0x6e, 0x0d, 0x09, 0x0b, 0x0c];

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = [...bytes];
  const times = 1 + Math.floor(random() * 3);
  for (let t = 0; t < times; t++) {
    const at = Math.floor(random() * (out.length + 1));
    const r = random();
    const byte = INTERESTING[Math.floor(random() * INTERESTING.length)]!;
    if (r < 0.25) out.splice(at, 1);
    else if (r < 0.5) out.splice(at, 0, byte);
    else if (r < 0.7) out[Math.min(at, out.length - 1)] = byte;
    else if (r < 0.8) out.length = at;
    else if (r < 0.88) out.splice(at, 0, ...out.slice(at, at + 1 + Math.floor(random() * 8)));
    else if (r < 0.93) out.unshift(0xef, 0xbb, 0xbf);
    else out.splice(at, 0, ...[0xed, 0xa0, 0x80].slice(0, 1 + Math.floor(random() * 3)));
  }
  return Uint8Array.from(out);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Compares the scanner's verdict and fields with the eager path's; returns a problem or undefined. */
function disagreement(scanner: JsonObjectScanner, bytes: Uint8Array): string | undefined {
  const eager = decodeLine(bytes);
  const accepted = eager !== undefined && 'event' in eager;
  // Mid-buffer too: the scanner must respect its bounds.
  const padded = new Uint8Array(bytes.length + 4);
  padded.set([0x22, 0x7b, 0x5c, 0x31]);
  padded.set(bytes, 2);
  padded.set([0x22, 0x7d], bytes.length + 2);
  const scanned = scanner.scan(padded, 2, bytes.length + 2);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (scanned && !accepted) return `scanner accepts what the eager path refuses (${eager && 'reason' in eager ? eager.reason : 'blank'})`;
  if (!scanned && accepted && !bom) return 'scanner refuses what the eager path accepts';
  if (!scanned) return undefined;
  const event = (eager as { event: Record<string, unknown> }).event;
  for (let k = 0; k < scanner.names.length; k++) {
    const name = scanner.names[k]!;
    const expected = hasOwn.call(event, name) ? event[name] : undefined;
    const actual = scanner.value(padded, k);
    if (!sameJson(actual, expected)) return `field ${JSON.stringify(name)}: ${String(actual)} ≠ ${String(expected)}`;
  }
  return undefined;
}

/** Deep equality that tells -0 from 0 and own `__proto__` keys apart. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const encoder = new TextEncoder();

describe.each(SCANNERS)('%s', (_name, makeScanner) => {
  it('agrees with TextDecoder + JSON.parse on generated lines and 40,000 random mutations', () => {
    const random = prng(16);
    const scanner = makeScanner(WANTED);
    let accepted = 0;
    let refused = 0;
    const problems: string[] = [];
    for (let n = 0; n < 8000; n++) {
      const text = randomObjectText(random);
      const bytes = encoder.encode(text);
      const checks = [bytes, ...Array.from({ length: 5 }, () => mutate(bytes, random))];
      for (const line of checks) {
        const problem = disagreement(scanner, line);
        if (problem) problems.push(`${problem}: ${JSON.stringify(Buffer.from(line).toString('latin1'))}`);
        if (scanner.scan(line, 0, line.length)) accepted++;
        else refused++;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // Both verdicts are exercised in volume.
    expect(accepted).toBeGreaterThan(8000);
    expect(refused).toBeGreaterThan(15000);
  });

  it('agrees on hand-picked hostile lines', () => {
    const scanner = makeScanner(WANTED);
    const lines: (string | Uint8Array)[] = [
      '{}',
      ' { } ',
      '{"tag":1,"tag":2}',
      '{"tag":{"a":1},"tag":"last"}',
      '{"__proto__":{"polluted":true},"constructor":"c"}',
      '{"n":-0}',
      '{"n":1e400}',
      '{"n":-1e400}',
      '{"n":123456789012345678901234567890}',
      '{"n":01}',
      '{"n":1.}',
      '{"n":.5}',
      '{"n":1e}',
      '{"n":+1}',
      '{"n":-}',
      '{"n":NaN}',
      '{"n":Infinity}',
      '{"tag":"\\ud800"}',
      '{"tag":"\\udc00\\ud800"}',
      '{"tag":"\\x41"}',
      '{"tag":"\\u12"}',
      '{"tag":"\\u12G4"}',
      '{"tag":"\\\'"}',
      '{"tag":"a\\',
      '{"tag":"a',
      '{"tag":',
      '{"tag"',
      '{"tag',
      '{',
      '{"a":1,}',
      '{,"a":1}',
      '{"a":1 "b":2}',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '{"a":[1,2,]}',
      '{"a":[,1]}',
      '{"a":tru}',
      '{"a":nul}',
      '{"a":falsey}',
      '{"a":1}}',
      '{"a":1} x',
      '{"a":1}{"b":2}',
      '[]',
      '"text"',
      '1',
      'null',
      '',
      '   ',
      '\t\r',
      '{"deep":' + '['.repeat(127) + ']'.repeat(127) + '}',
      '{"deep":' + '['.repeat(128) + ']'.repeat(128) + '}',
      '{"deep":' + '{"a":'.repeat(127) + '1' + '}'.repeat(127) + '}',
      '{"deep":' + '{"a":'.repeat(128) + '1' + '}'.repeat(128) + '}',
      '{"deep":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
      '{"brackets":"' + '[{'.repeat(300) + '"}',
      '{"a":"\u2028\u2029"}',
      '{"k\u00e9y":"v"}',
      '{"t\\u0061g":"escaped key"}',
      Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x00, 0x7d]),
      Uint8Array.from([0x7b, 0x7d, 0x00]),
      Uint8Array.from([0xc2, 0xa0, 0x7b, 0x7d]),
      '{"a":1}\r',
      '{"a":1\r}',
      '\r{"a":1}',
      '{"a":1}\v',
      '{"a":1}\f',
    ];
    const problems = lines.flatMap((line) => {
      const bytes = typeof line === 'string' ? encoder.encode(line) : line;
      const problem = disagreement(scanner, bytes);
      return problem ? [`${JSON.stringify(typeof line === 'string' ? line.slice(0, 60) : [...line])}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it('keeps the last of repeated keys, as JSON.parse does', () => {
    const scanner = makeScanner(['tag']);
    const line = encoder.encode('{"tag":"first","x":1,"tag":"second"}');
    expect(scanner.scan(line, 0, line.length)).toBe(true);
    expect(scanner.value(line, 0)).toBe('second');
  });
  it('scans a line longer than its first memory, and keeps to each line’s bounds after it', () => {
    const scanner = makeScanner(['tag', 'n']);
    const long = encoder.encode(`{"pad":"${'x'.repeat(300_000)}","tag":"late","n":-12.5e1}`);
    expect(scanner.scan(long, 0, long.length)).toBe(true);
    expect([scanner.value(long, 0), scanner.value(long, 1)]).toEqual(['late', -125]);
    const short = encoder.encode('{"tag":"short"}{"n":1}');
    expect(scanner.scan(short, 0, 15)).toBe(true);
    expect([scanner.value(short, 0), scanner.value(short, 1)]).toEqual(['short', undefined]);
    expect(scanner.scan(short, 0, 16)).toBe(false);
  });

  it('gives a wanted plain string or number of hundreds of thousands of bytes as JSON.parse does', () => {
    const scanner = makeScanner(['tag', 'n']);
    for (const text of [`{"tag":"${'a'.repeat(900_000)}"}`, `{"n":${'7'.repeat(300_000)}}`, `{"n":0.${'1'.repeat(300_000)}}`]) {
      const line = encoder.encode(text);
      const expected = JSON.parse(text) as Record<string, unknown>;
      expect(scanner.scan(line, 0, line.length)).toBe(true);
      expect([scanner.value(line, 0), scanner.value(line, 1)]).toEqual([expected.tag, expected.n]);
    }
  });

  it('holds to a depth limit other than the default, deeper than the module’s own stack too', () => {
    for (const limit of [3, 2000]) {
      const scanner = makeScanner(['a'], limit);
      const nested = (depth: number) => encoder.encode(`{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);
      expect(scanner.scan(nested(limit), 0, nested(limit).length)).toBe(true);
      expect(scanner.scan(nested(limit + 1), 0, nested(limit + 1).length)).toBe(false);
    }
  });
});
