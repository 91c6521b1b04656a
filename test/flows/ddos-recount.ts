/**
 * The DDoS rules of rules/flows/ddos.vgl recomputed from the flows themselves, as the README states
 * them: per host, packets in (destination.ip = host) and out (source.ip = host) over the 30 s
 * window [E − 30 s, E) and the 2 h window [E − 2 h, E), for every epoch-aligned E.
 */
import type { Flow } from './pack.js';

export const SHORT_MS = 30_000;
export const LONG_MS = 7_200_000;
export const MIN_INCOMING = 100_000;
export const MIN_FACTOR = 50;
/** Sources named as attackers: at least this many packets to the host in the 30 s; the top 10 of them. */
export const MIN_ATTACKER_PACKETS = 1000;
export const TOP_ATTACKERS = 10;
/** Outgoing packets are smoothed by one packet per 30 s of window. */
const SMOOTHING_SHORT = 1;
const SMOOTHING_LONG = LONG_MS / SHORT_MS;

interface Traffic {
  incoming: number;
  outgoing: number;
}

/** Packets `host` received and sent in flows starting in [from, to). */
function traffic(flows: readonly Flow[], host: string, from: number, to: number): Traffic {
  const t: Traffic = { incoming: 0, outgoing: 0 };
  for (const f of flows) {
    const start = f['event.start'];
    if (start < from || start >= to) continue;
    if (f['destination.ip'] === host) t.incoming += f['network.packets'];
    if (f['source.ip'] === host) t.outgoing += f['network.packets'];
  }
  return t;
}

function ratios(short: Traffic, long: Traffic) {
  const shortRatio = short.incoming / (short.outgoing + SMOOTHING_SHORT);
  const longRatio = long.incoming / (long.outgoing + SMOOTHING_LONG);
  return { shortRatio, longRatio, factor: shortRatio / longRatio };
}

/** Sum of incoming packets per host and 30 s window start: the only places a DDoS can fire. */
function incomingPer30s(flows: readonly Flow[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const f of flows) {
    const host = f['destination.ip'] as string;
    const start = Math.floor(f['event.start'] / SHORT_MS) * SHORT_MS;
    let perWindow = out.get(host);
    if (!perWindow) out.set(host, (perWindow = new Map()));
    perWindow.set(start, (perWindow.get(start) ?? 0) + f['network.packets']);
  }
  return out;
}

/** Flows grouped by each host they touch (a flow from a host to itself counts once). */
function flowsByHost(flows: readonly Flow[]): Map<string, Flow[]> {
  const out = new Map<string, Flow[]>();
  for (const f of flows) {
    for (const host of new Set([f['source.ip'] as string, f['destination.ip'] as string])) {
      const list = out.get(host);
      if (list) list.push(f);
      else out.set(host, [f]);
    }
  }
  return out;
}

/** Packets and flows per source toward `host` in flows starting in [from, to). */
function sourcesOf(flows: readonly Flow[], host: string, from: number, to: number): Map<string, { packets: number; flows: number }> {
  const out = new Map<string, { packets: number; flows: number }>();
  for (const f of flows) {
    const start = f['event.start'];
    if (start < from || start >= to || f['destination.ip'] !== host) continue;
    const s = out.get(f['source.ip']) ?? { packets: 0, flows: 0 };
    s.packets += f['network.packets'];
    s.flows++;
    out.set(f['source.ip'], s);
  }
  return out;
}

/**
 * The attackers of `host` in the 30 s window [from, from + 30 s): the sources with at least
 * {@link MIN_ATTACKER_PACKETS} packets toward it, most packets first (ties: lower address in text
 * order), the first {@link TOP_ATTACKERS}, and how many there were.
 */
export function attackersOf(flows: readonly Flow[], host: string, from: number): { attackers: { source: string; packets: number; flows: number }[]; attackerCount: number } {
  const ranked = [...sourcesOf(flows, host, from, from + SHORT_MS)]
    .filter(([, s]) => s.packets >= MIN_ATTACKER_PACKETS)
    .map(([source, s]) => ({ source, packets: s.packets, flows: s.flows }))
    .sort((a, b) => b.packets - a.packets || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { attackers: ranked.slice(0, TOP_ATTACKERS), attackerCount: ranked.length };
}

/** The "ddos source statistics" alerts (without `rule`): every (host, source, 30 s) with ≥ 1,000 packets. */
export function expectedSourceStatistics(flows: readonly Flow[]): Record<string, unknown>[] {
  const sums = new Map<string, { host: string; source: string; start: number; packets: number; flows: number }>();
  for (const f of flows) {
    const start = Math.floor(f['event.start'] / SHORT_MS) * SHORT_MS;
    const k = `${f['destination.ip']}|${f['source.ip']}|${start}`;
    const s = sums.get(k) ?? { host: f['destination.ip'], source: f['source.ip'], start, packets: 0, flows: 0 };
    s.packets += f['network.packets'];
    s.flows++;
    sums.set(k, s);
  }
  const pad = (n: number) => String(999_999_999_999_999 - n).padStart(15, '0');
  return [...sums.values()]
    .filter((s) => s.packets >= MIN_ATTACKER_PACKETS)
    .map((s) => ({
      key: { 'destination.ip': s.host, 'source.ip': s.source }, windowStart: s.start, windowEnd: s.start + SHORT_MS,
      host: s.host, source: s.source, direction: 'source', flows: s.flows, packets: s.packets,
      order: `${pad(s.start)}|${pad(s.packets)}|${s.source}`,
    }));
}

/** The "ddos" alerts the rules must raise (without `rule`). */
export function expectedDdos(flows: readonly Flow[]): Record<string, unknown>[] {
  const byHost = flowsByHost(flows);
  const out: Record<string, unknown>[] = [];
  for (const [host, perWindow] of incomingPer30s(flows)) {
    for (const [start, incoming] of perWindow) {
      if (incoming < MIN_INCOMING) continue;
      const end = start + SHORT_MS;
      const own = byHost.get(host)!;
      const short = traffic(own, host, start, end);
      const long = traffic(own, host, end - LONG_MS, end);
      const { shortRatio, longRatio, factor } = ratios(short, long);
      if (!(factor >= MIN_FACTOR)) continue;
      out.push({
        host, windowStart: start, windowEnd: end,
        incomingPackets: short.incoming, outgoingPackets: short.outgoing, shortRatio,
        longIncomingPackets: long.incoming, longOutgoingPackets: long.outgoing, longRatio,
        factor, ...attackersOf(own, host, start), severity: 'high',
      });
    }
  }
  return out;
}

/**
 * The "ddos candidate" alerts: every 2 h window (sliding by 30 s) of a host whose latest 30 s window
 * with traffic had ≥ 100,000 incoming packets and 50× the window's ratio — including the windows
 * that end later than that 30 s window, while the host stays silent (at most 2 h).
 */
export function expectedCandidates(flows: readonly Flow[]): Record<string, unknown>[] {
  const byHost = flowsByHost(flows);
  const out: Record<string, unknown>[] = [];
  for (const [host, perWindow] of incomingPer30s(flows)) {
    const own = byHost.get(host)!;
    const activeStarts = [...new Set(own.map((f) => Math.floor(f['event.start'] / SHORT_MS) * SHORT_MS))].sort((a, b) => a - b);
    for (const [latest, incoming] of perWindow) {
      if (incoming < MIN_INCOMING) continue;
      const nextActive = activeStarts.find((s) => s > latest) ?? Infinity;
      // 2 h windows holding `latest` and nothing later: they end after it, by the next active window at most.
      for (let end = latest + SHORT_MS; end <= Math.min(nextActive, latest + LONG_MS); end += SHORT_MS) {
        const short = traffic(own, host, latest, latest + SHORT_MS);
        const long = traffic(own, host, end - LONG_MS, end);
        const { shortRatio, longRatio, factor } = ratios(short, long);
        if (!(factor >= MIN_FACTOR)) continue;
        out.push({
          key: { host }, windowStart: end - LONG_MS, windowEnd: end,
          host, shortWindowStart: latest, shortWindowEnd: latest + SHORT_MS,
          incoming: short.incoming, outgoing: short.outgoing, longIncoming: long.incoming, longOutgoing: long.outgoing,
          ...attackersOf(own, host, latest),
          shortRatio, longRatio, factor,
        });
      }
    }
  }
  return out;
}
