/**
 * The `utils` library every rule function sees.
 *
 * There is exactly one implementation. The native fast path calls `createUtils` directly; the sandbox
 * evaluates `createUtils.toString()` inside QuickJS, so both paths run the same code. That is why this
 * function must stay self-contained: no imports, no references to module scope, no TypeScript-only
 * constructs that emit helpers (enums, parameter properties, decorators).
 */

export interface UtilsHost {
  /** Exact membership in a custom table (loaded like an IOC list). */
  inTable(table: string, value: string): boolean;
  /** The engine's flow model `model` applied to a feature vector or object; unknown models throw. */
  classify(model: string, features: unknown): FlowClassification;
}

/**
 * What `utils.classify` returns (src/ml/classify.ts computes it; src/ml/types.ts names it
 * Classification). Defined here because the rule language's library is the bottom layer.
 */
export interface FlowClassification {
  /** The KNN's label (distance-weighted vote of the nearest training points). */
  label: string;
  /** The nearest centroid. */
  cluster: number;
  /** Share of the vote that says anomalous, 0–1. */
  score: number;
}

/**
 * What `utils.flowFeatures` returns: the counts both flow-model feature sets are computed from
 * (src/ml/feature-sets.ts). The raw set is the first five as they are.
 */
export interface FlowFeatureValues {
  bytes: number;
  flows: number;
  packets: number;
  distinctDestinations: number;
  distinctDestinationPorts: number;
  /** Flows of at most 2 packets (a probe, a lone SYN, a one-packet query). */
  smallFlows: number;
  /** TCP flows that never carried an ACK but a SYN or a RST: unanswered or aborted connection attempts. */
  failedConnections: number;
  /** TCP or UDP flows from a lower port to a higher one: the host answering as a server (the lower port is usually the service). */
  serverFlows: number;
  /**
   * The flows' source address as a 53-bit number (a hash of its text), by which a model finds the
   * host's own baseline; 0 when the flows come from more than one source or none.
   */
  sourceKey: number;
}

export interface Utils {
  matches(s: unknown, pattern: unknown): boolean;
  includesIgnoreCase(s: unknown, sub: unknown): boolean;
  startsWith(s: unknown, prefix: unknown): boolean;
  endsWith(s: unknown, suffix: unknown): boolean;
  lower(s: unknown): unknown;
  upper(s: unknown): unknown;
  cidrContains(cidr: unknown, ip: unknown): boolean;
  inTable(table: unknown, value: unknown): boolean;
  flowFeatures(flows: unknown): FlowFeatureValues;
  distinct(values: unknown): unknown[];
  classify(model: unknown, features: unknown): FlowClassification;
}

/** Names of the utils functions, for the expression compiler's whitelist. */
export const UTILS_NAMES: readonly string[] = [
  'matches',
  'includesIgnoreCase',
  'startsWith',
  'endsWith',
  'lower',
  'upper',
  'cidrContains',
  'inTable',
  'flowFeatures',
  'distinct',
  'classify',
];

export function createUtils(host: UtilsHost): Utils {
  const MAX_CACHED = 512;
  const regexCache = new Map<string, RegExp>();
  const cidrCache = new Map<string, { v6: boolean; words: number[]; bits: number } | null>();

  function regexFor(pattern: string): RegExp {
    let re = regexCache.get(pattern);
    if (re === undefined) {
      re = new RegExp(pattern);
      if (regexCache.size >= MAX_CACHED) regexCache.clear();
      regexCache.set(pattern, re);
    }
    return re;
  }

  function parseV4(text: string): number[] | null {
    const parts = text.split('.');
    if (parts.length !== 4) return null;
    const words = [0, 0];
    for (let i = 0; i < 4; i++) {
      const p = parts[i];
      if (!/^[0-9]{1,3}$/.test(p)) return null;
      const n = Number(p);
      if (n > 255) return null;
      words[i >> 1] = (words[i >> 1] << 8) | n;
    }
    return words;
  }

  /** IPv6 as eight 16-bit words; IPv4 as two. Returns null when the text is not an address. */
  function parseIp(raw: string): { v6: boolean; words: number[] } | null {
    let text = raw.trim();
    const zone = text.indexOf('%');
    if (zone >= 0) text = text.slice(0, zone);
    if (text.indexOf(':') < 0) {
      const v4 = parseV4(text);
      return v4 ? { v6: false, words: v4 } : null;
    }
    let tail: number[] = [];
    const lastColon = text.lastIndexOf(':');
    if (text.indexOf('.', lastColon) > lastColon) {
      const v4 = parseV4(text.slice(lastColon + 1));
      if (!v4) return null;
      tail = v4;
      text = text.slice(0, lastColon + 1) + '0:0';
    }
    const halves = text.split('::');
    if (halves.length > 2) return null;
    const toWords = (s: string): number[] | null => {
      if (s === '') return [];
      const out: number[] = [];
      for (const g of s.split(':')) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
      return out;
    };
    const head = toWords(halves[0]);
    const rest = halves.length === 2 ? toWords(halves[1]) : [];
    if (!head || !rest) return null;
    let words: number[];
    if (halves.length === 2) {
      const fill = 8 - head.length - rest.length;
      if (fill < 1) return null;
      words = head.concat(new Array(fill).fill(0), rest);
    } else {
      if (head.length !== 8) return null;
      words = head;
    }
    if (tail.length) {
      words[6] = tail[0];
      words[7] = tail[1];
      // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address.
      if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return { v6: false, words: tail };
    } else if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
      return { v6: false, words: [words[6], words[7]] };
    }
    return { v6: true, words };
  }

  function parseCidr(text: string): { v6: boolean; words: number[]; bits: number } | null {
    const slash = text.indexOf('/');
    const address = slash >= 0 ? text.slice(0, slash) : text;
    const ip = parseIp(address);
    if (!ip) return null;
    // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network with 96 bits less of prefix.
    const mapped = !ip.v6 && address.indexOf(':') >= 0;
    const max = ip.v6 || mapped ? 128 : 32;
    let bits = max;
    if (slash >= 0) {
      const b = text.slice(slash + 1);
      if (!/^[0-9]{1,3}$/.test(b)) return null;
      bits = Number(b);
      if (bits > max) return null;
    }
    if (mapped) {
      if (bits < 96) return null;
      bits -= 96;
    }
    return { v6: ip.v6, words: ip.words, bits };
  }

  function str(s: unknown): string | null {
    return s === null || s === undefined ? null : String(s);
  }

  /** cyrb53: a 53-bit hash of a text, exact in a double (so it survives JSON as a number). */
  function hash53(text: string): number {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** A flow field: the flat ECS key (`"network.bytes"`) if present, else the nested path. */
  function flowField(flow: Record<string, unknown>, path: string): unknown {
    const flat = flow[path];
    if (flat !== undefined) return flat;
    let value: unknown = flow;
    for (const part of path.split('.')) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  }

  return Object.freeze({
    matches(s: unknown, pattern: unknown): boolean {
      const text = str(s);
      if (text === null) return false;
      return regexFor(String(pattern)).test(text);
    },
    includesIgnoreCase(s: unknown, sub: unknown): boolean {
      const text = str(s);
      const needle = str(sub);
      if (text === null || needle === null) return false;
      return text.toLowerCase().includes(needle.toLowerCase());
    },
    startsWith(s: unknown, prefix: unknown): boolean {
      const text = str(s);
      const p = str(prefix);
      return text !== null && p !== null && text.startsWith(p);
    },
    endsWith(s: unknown, suffix: unknown): boolean {
      const text = str(s);
      const p = str(suffix);
      return text !== null && p !== null && text.endsWith(p);
    },
    lower(s: unknown): unknown {
      const text = str(s);
      return text === null ? s : text.toLowerCase();
    },
    upper(s: unknown): unknown {
      const text = str(s);
      return text === null ? s : text.toUpperCase();
    },
    cidrContains(cidr: unknown, ip: unknown): boolean {
      const cidrText = str(cidr);
      const ipText = str(ip);
      if (cidrText === null || ipText === null) return false;
      let net = cidrCache.get(cidrText);
      if (net === undefined) {
        net = parseCidr(cidrText);
        if (cidrCache.size >= MAX_CACHED) cidrCache.clear();
        cidrCache.set(cidrText, net);
      }
      const addr = parseIp(ipText);
      if (!net || !addr || net.v6 !== addr.v6) return false;
      let remaining = net.bits;
      for (let i = 0; i < net.words.length && remaining > 0; i++) {
        const take = Math.min(16, remaining);
        const mask = (0xffff << (16 - take)) & 0xffff;
        if ((net.words[i] & mask) !== (addr.words[i] & mask)) return false;
        remaining -= take;
      }
      return true;
    },
    inTable(table: unknown, value: unknown): boolean {
      const v = str(value);
      if (v === null) return false;
      return host.inTable(String(table), v);
    },
    /**
     * The counts the flow model is trained on (src/ml/features.ts groups flows and calls this):
     * sums of bytes and packets, the number of flows, distinct destination addresses and ports,
     * small flows, failed TCP connection attempts, and the source as a number.
     */
    flowFeatures(flows: unknown): FlowFeatureValues {
      if (!Array.isArray(flows)) throw new TypeError('utils.flowFeatures needs an array of flow events');
      let bytes = 0;
      let packets = 0;
      let smallFlows = 0;
      let failedConnections = 0;
      let serverFlows = 0;
      let source: unknown;
      let oneSource = true;
      const destinations = new Set<unknown>();
      const ports = new Set<unknown>();
      for (let i = 0; i < flows.length; i++) {
        const flow = flows[i];
        const f = flow !== null && typeof flow === 'object' ? (flow as Record<string, unknown>) : {};
        const flowPackets = Number(flowField(f, 'network.packets')) || 0;
        bytes += Number(flowField(f, 'network.bytes')) || 0;
        packets += flowPackets;
        if (flowPackets <= 2) smallFlows++;
        destinations.add(flowField(f, 'destination.ip'));
        ports.add(flowField(f, 'destination.port'));
        const transport = flowField(f, 'network.transport');
        const name = typeof transport === 'string' ? transport.toLowerCase() : '';
        const protocol = Number(flowField(f, 'network.iana_number'));
        const isTcp = protocol === 6 || name === 'tcp';
        if (isTcp) {
          const flags = Number(flowField(f, 'tcp.flags')) || 0;
          // FIN 1, SYN 2, RST 4, ACK 16 (src/io/flow-event.ts TCP)
          if ((flags & 16) === 0 && (flags & 6) !== 0) failedConnections++;
        }
        if (isTcp || protocol === 17 || name === 'udp') {
          const from = Number(flowField(f, 'source.port'));
          const to = Number(flowField(f, 'destination.port'));
          // the lower port is the service's: a flow from it answers as a server
          if (from >= 0 && from < to) serverFlows++;
        }
        const from = flowField(f, 'source.ip');
        if (i === 0) source = from;
        else if (from !== source) oneSource = false;
      }
      const sourceKey = oneSource && typeof source === 'string' && source !== '' ? hash53(source) : 0;
      return {
        bytes,
        flows: flows.length,
        packets,
        distinctDestinations: destinations.size,
        distinctDestinationPorts: ports.size,
        smallFlows,
        failedConnections,
        serverFlows,
        sourceKey,
      };
    },
    /**
     * The distinct values of an array, in order of first appearance (compared as a Set does:
     * SameValueZero). The linear form of `xs.filter((x, i, all) => all.indexOf(x) == i)`, which
     * scans the array once per element and so never compiles natively.
     */
    distinct(values: unknown): unknown[] {
      if (!Array.isArray(values)) throw new TypeError('utils.distinct needs an array');
      const seen = new Set<unknown>();
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (seen.has(v)) continue;
        seen.add(v);
        out.push(v);
      }
      return out;
    },
    classify(model: unknown, features: unknown): FlowClassification {
      if (features === null || typeof features !== 'object') {
        throw new TypeError('utils.classify needs features: an array of numbers or an object such as utils.flowFeatures(events) gives');
      }
      return host.classify(String(model), features);
    },
  });
}
