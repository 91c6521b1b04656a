/**
 * Value transformations of the modifiers appendix: the encodings (`base64`, `base64offset`,
 * `utf16le`/`wide`, `utf16be`, `utf16`), `windash`, and `cidr` ranges. Values travel as byte
 * arrays between encodings and as text otherwise: a byte array that no `base64` turns back into text
 * is read as one character per byte (`cmd|wide` is `c\0m\0d\0`), which is how an event shows such
 * bytes once decoded as Latin-1.
 */

export type ValueBytes = Uint8Array;

export function utf8Bytes(text: string): ValueBytes {
  return new TextEncoder().encode(text);
}

/** Text as UTF-16 code units, little or big endian. */
export function utf16Bytes(text: string, bigEndian: boolean, bom = false): ValueBytes {
  const out = new Uint8Array(text.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = bigEndian ? 0xfe : 0xff;
    out[o++] = bigEndian ? 0xff : 0xfe;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[o++] = bigEndian ? c >>> 8 : c & 0xff;
    out[o++] = bigEndian ? c & 0xff : c >>> 8;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: ValueBytes): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >>> 18] + B64[(n >>> 12) & 63] + B64[(n >>> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += `${B64[n >>> 18]}${B64[(n >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += `${B64[n >>> 18]}${B64[(n >>> 12) & 63]}${B64[(n >>> 6) & 63]}=`;
  }
  return out;
}

/**
 * The three forms `bytes` takes inside a longer base64 text, for the three alignments it can start
 * at: the value is encoded after 0, 1 or 2 filler bytes and the characters that depend on the filler
 * or on what follows are cut off (the same three strings pySigma and Sigma's documentation give).
 */
export function base64Offsets(bytes: ValueBytes): string[] {
  const startCut = [0, 2, 3];
  const endCut = [0, 3, 2];
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(bytes.length + shift);
    padded.set(bytes, shift);
    const encoded = base64(padded);
    const cut = endCut[(bytes.length + shift) % 3];
    out.push(encoded.slice(startCut[shift], cut ? encoded.length - cut : encoded.length));
  }
  return out;
}

export function bytesAsText(bytes: ValueBytes): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return out;
}

/** The characters `windash` treats as one: hyphen-minus, slash, en dash, em dash, horizontal bar. */
export const WINDASH_CHARS = '-/\u2013\u2014\u2015';
const WINDASH_RE = /[-/\u2013\u2014\u2015]/g;

/**
 * `windash` as a normalisation: every dash-like character becomes `-`, in the pattern and in the
 * text. A pattern's dash then matches any of the five in the text — exactly the union of the
 * permutations the appendix describes — and no other pattern character can match a dash anyway.
 */
export function normalizeDashes(text: string): string {
  return text.replace(WINDASH_RE, '-');
}

/** Every permutation of the dash characters in `text` (for a `windash` before an encoding). */
export function windashVariants(text: string, limit: number): string[] | undefined {
  let out = [''];
  for (const ch of text) {
    if (WINDASH_CHARS.includes(ch)) {
      if (out.length * WINDASH_CHARS.length > limit) return undefined;
      out = out.flatMap((prefix) => [...WINDASH_CHARS].map((d) => prefix + d));
    } else {
      out = out.map((prefix) => prefix + ch);
    }
  }
  return out;
}

/** An IP address as a bigint and its family, or undefined when `text` is not one. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (text.length > 64) return undefined;
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

function parseIpv6(input: string): bigint | undefined {
  let text = input;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

export interface CidrRange {
  family: 4 | 6;
  network: bigint;
  mask: bigint;
}

/** `10.0.0.0/8`, `fe80::/10`, or a bare address (a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const bits = addr.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
  return { family: addr.family, network: addr.value & mask, mask };
}

export function inCidr(range: CidrRange, text: string): boolean {
  const ip = parseIp(text);
  if (!ip) return false;
  if (ip.family === range.family) return (ip.value & range.mask) === range.network;
  // An IPv4-mapped IPv6 address (::ffff:10.1.2.3) is the IPv4 address it carries.
  if (range.family === 4 && ip.family === 6 && ip.value >> 32n === 0xffffn) return (ip.value & 0xffffffffn & range.mask) === range.network;
  return false;
}
