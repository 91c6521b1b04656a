/**
 * The "dns open resolver" alerts (rules/flows/dns-open-resolver.vgl) recomputed from the flows:
 * the answers, per resolver and minute, then SUPPRESS FOR 10 min BY resolver — without the
 * engine's code (own address arithmetic, own suppression).
 */
import { windows, type Flow } from './pack.js';

const MINUTE = 60_000;
const PERIOD = 10 * MINUTE;
const MAX_CLIENTS_LISTED = 20;

/** [network, prefix length] of the internal IPv4 networks: RFC 1918 and loopback. */
const INTERNAL_V4: [number, number][] = [
  [(10 << 24) >>> 0, 8],
  [((172 << 24) | (16 << 16)) >>> 0, 12],
  [((192 << 24) | (168 << 16)) >>> 0, 16],
  [(127 << 24) >>> 0, 8],
];

function ipv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && +p <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + +p, 0);
}

/** RFC 1918, 127/8, or IPv6 unique local (fc00::/7: the first 16 bits are 0xfc00–0xfdff). */
export function isInternal(address: string): boolean {
  const v4 = ipv4(address);
  if (v4 !== undefined) return INTERNAL_V4.some(([net, len]) => Math.floor(v4 / 2 ** (32 - len)) === Math.floor(net / 2 ** (32 - len)));
  if (!address.includes(':') || address.startsWith('::')) return false;
  const first = parseInt(address.split(':')[0], 16);
  return first >= 0xfc00 && first <= 0xfdff;
}

/** A DNS answer from an internal host to an external one, as the rule defines it. */
export function isOutsideAnswer(f: Flow): boolean {
  const tcpWithData = f['network.iana_number'] === 6 && (f['tcp.flags'] === undefined || f['tcp.flags'] === null || (f['tcp.flags'] & 8) !== 0);
  return f['source.port'] === 53 && f['destination.port'] !== 53 && (f['network.iana_number'] === 17 || tcpWithData)
    && isInternal(f['source.ip']) && !isInternal(f['destination.ip']);
}

/** The alert of every resolver and minute with outside answers, before suppression, in time order. */
export function openResolverWindows(flows: Flow[]): Record<string, unknown>[] {
  return [...windows(flows.filter(isOutsideAnswer), (f) => f['source.ip'], MINUTE, MINUTE)]
    .map(([k, list]) => {
      const [resolver, start] = k.split('|');
      const clients = [...new Set(list.map((f) => f['destination.ip'] as string))];
      return {
        key: { 'source.ip': resolver },
        windowStart: +start,
        windowEnd: +start + MINUTE,
        resolver,
        clients: clients.slice(0, MAX_CLIENTS_LISTED),
        clientCount: clients.length,
        answers: list.length,
        udp: list.filter((f) => f['network.iana_number'] === 17).length,
        tcp: list.filter((f) => f['network.iana_number'] === 6).length,
        packets: list.reduce((n, f) => n + f['network.packets'], 0),
        bytes: list.reduce((n, f) => n + f['network.bytes'], 0),
        severity: 'medium',
      };
    })
    .sort((a, b) => a.windowEnd - b.windowEnd);
}

/**
 * The alerts raised: per resolver, the first alert opens a 10 min period (from its window's end);
 * inside it an alert is raised only with more answers than the last raised, and then says so.
 */
export function expectedOpenResolver(flows: Flow[]): Record<string, unknown>[] {
  const periods = new Map<string, { until: number; count: number; held: number }>();
  const out: Record<string, unknown>[] = [];
  for (const alert of openResolverWindows(flows)) {
    const resolver = alert.resolver as string;
    const time = alert.windowEnd as number;
    const count = alert.answers as number;
    const period = periods.get(resolver);
    if (!period || time >= period.until) {
      periods.set(resolver, { until: time + PERIOD, count, held: 0 });
      out.push(alert);
    } else if (count > period.count) {
      out.push({ ...alert, suppression: { count, previousCount: period.count, growth: count - period.count, suppressed: period.held, until: period.until } });
      period.count = count;
      period.held = 0;
    } else {
      period.held++;
    }
  }
  return out;
}
