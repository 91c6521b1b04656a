/**
 * `flows`: network flow records (the {@link FlowEvent} of src/io/flow-event.ts, plus `timestamp`
 * = `event.start`) of regular clients, with injected anomalies: vertical and horizontal TCP port
 * scans, SSH brute force, UDP floods and DNS queries to external resolvers; and, on request, a DDoS
 * flood against one victim ({@link FlowsGenerator.injectFlood}) and an internal host answering DNS
 * queries from the Internet ({@link FlowsGenerator.injectOpenResolver}).
 */
import { makeFlowEvent, TCP } from '../io/flow-event.js';
import { BurstGenerator, MINUTE, type TimedEvent } from './burst-generator.js';
import { baseOptions, positive, type GeneratorOptions, type SimulatedEvent } from './generator.js';

export interface FlowsOptions extends GeneratorOptions {
  /** Regular clients, 10.1.0.0/16 (default 100). */
  clients?: number;
  /** Servers, 10.2.0.0/16 (default 20). */
  servers?: number;
}

/**
 * The kinds of injected anomalies, in the ground truth of {@link FlowsGenerator.kindOf}. `ddos`
 * only comes from {@link FlowsGenerator.injectFlood}, `open-resolver` only from
 * {@link FlowsGenerator.injectOpenResolver}: they are never drawn at random, so adding them changed
 * no seed's output.
 */
export type FlowAnomalyKind = 'vertical-scan' | 'horizontal-scan' | 'ssh-bruteforce' | 'udp-flood' | 'external-dns' | 'ddos' | 'open-resolver';

export const FLOW_ANOMALY_KINDS: readonly FlowAnomalyKind[] = ['vertical-scan', 'horizontal-scan', 'ssh-bruteforce', 'udp-flood', 'external-dns', 'ddos', 'open-resolver'];

/** Fewest distinct ports (vertical) or hosts (horizontal) one scan probes with SYN-only flows. */
export const FLOW_SCAN_MIN_TARGETS = 20;
export const FLOW_SCAN_MAX_TARGETS = 80;
/** SSH brute force: attempts per attack. */
export const SSH_MIN_ATTEMPTS = 10;
export const SSH_MAX_ATTEMPTS = 30;
/** The internal resolver regular clients use; any other resolver is external. */
export const INTERNAL_RESOLVER = '10.2.0.53';
export const EXTERNAL_RESOLVERS = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '208.67.222.222'];
export const FLOW_OBSERVER = '192.0.2.1';
/**
 * DDoS flood: flows, packets per flow and span. At least 200,000 packets within 20 s touch at most
 * two epoch-aligned 30 s windows, so one of them holds at least 100,000 — the DDoS rule's minimum.
 */
export const DDOS_MIN_FLOWS = 100;
export const DDOS_MAX_FLOWS = 200;
export const DDOS_MIN_PACKETS_PER_FLOW = 2000;
export const DDOS_MAX_PACKETS_PER_FLOW = 5000;
export const DDOS_MAX_SPAN_MS = 20_000;
/** Reflectors a DDoS flood comes from: 198.18.0.0/15, the benchmarking range, seen nowhere else. */
const DDOS_REFLECTOR_PREFIX = '198.18.';
const REFLECTED_PORTS = [53, 123, 1900, 11211];
/**
 * Open resolver: 2–8 outside clients send 30–300 queries within 2–15 min to an internal host's
 * port 53, one in ten over TCP, and the host answers each 1–50 ms later from port 53.
 */
export const OPEN_RESOLVER_MIN_CLIENTS = 2;
export const OPEN_RESOLVER_MAX_CLIENTS = 8;
export const OPEN_RESOLVER_MIN_QUERIES = 30;
export const OPEN_RESOLVER_MAX_QUERIES = 300;
export const OPEN_RESOLVER_MIN_SPAN_MS = 2 * 60_000;
export const OPEN_RESOLVER_MAX_SPAN_MS = 15 * 60_000;
/** The outside clients of an open resolver: 192.0.2.2–127 (TEST-NET-1; floods come from its upper half). */
const OPEN_RESOLVER_CLIENT_PREFIX = '192.0.2.';

const WEB_PORTS = [80, 443, 8080];
const KIND_WEIGHTS: readonly (readonly [FlowAnomalyKind, number])[] = [
  ['vertical-scan', 2],
  ['horizontal-scan', 2],
  ['ssh-bruteforce', 3],
  ['udp-flood', 1],
  ['external-dns', 2],
];

interface Client {
  address: string;
  servers: string[];
  ssh: boolean;
}

/**
 * Regular traffic, from clients 10.1.0.0/16 to their own 1–6 servers (10.2.0.0/16):
 * - web (tcp 80/443/8080): 5–200 packets, flags SYN|ACK|PSH|FIN (or RST instead of FIN), ≤ 30 s;
 * - DNS (udp 53) to {@link INTERNAL_RESOLVER} only; NTP (udp 123); ICMP echo;
 * - SSH sessions (tcp 22, a third of the clients): ≥ 30 s and ≥ 20 000 bytes — never like brute force.
 * No regular flow is SYN-only, none goes to an external resolver.
 *
 * Anomalies (each flow marked with truthKey = the attacking source address, `incident`):
 * - vertical scan: one source (203.0.113.0/24) sends SYN-only flows (1 packet, 44 bytes) to 20–80
 *   distinct ports of one server within 5–45 s; horizontal scan: one port of 20–80 distinct hosts;
 * - SSH brute force (198.51.100.0/24 → one server:22): 10–30 attempts over ≤ 240 s, each from a
 *   port > 1024, 10–20 packets, 1800–5000 bytes, shorter than 12 s;
 * - UDP flood (192.0.2.128/25 → one server): 40–120 flows over ≤ 20 s, each 1000–5000 packets of 512–1400 bytes;
 * - external DNS: a regular client queries an external resolver 3–10 times within 60 s;
 * - DDoS, only by {@link injectFlood} (truthKey = the victim, the host a DDoS rule reports):
 *   20–60 reflectors (198.18.0.0/15, from one UDP service port) send 100–200 flows of
 *   2000–5000 packets each to one victim within 20 s;
 * - open resolver, only by {@link injectOpenResolver} (truthKey = the resolver): outside clients
 *   (192.0.2.2–127) query an internal host on port 53 and it answers them from port 53.
 * Regular traffic has only the query flows of DNS, no answers: no internal host sends from port 53.
 */
export class FlowsGenerator extends BurstGenerator {
  readonly name = 'flows';
  private readonly clients: Client[];
  private readonly serverCount: number;
  /** The kind of each incident, by incident number. */
  private readonly kinds: FlowAnomalyKind[] = [];
  /**
   * Set by {@link injectFlood} and {@link injectOpenResolver} for the one burst they start: no kind
   * is drawn, the target is given.
   */
  private requested?: { kind: 'ddos'; victim?: string } | { kind: 'open-resolver'; resolver?: string };

  constructor(options: FlowsOptions = {}) {
    const { seed, rate, startTime } = baseOptions(options);
    super(seed, rate, startTime, options.errorProbability ?? 0.01, 40);
    this.serverCount = positive(options.servers ?? 20, 'servers');
    const random = this.random;
    this.clients = Array.from({ length: positive(options.clients ?? 100, 'clients') }, (_, i) => ({
      address: `10.1.${Math.floor(i / 254)}.${1 + (i % 254)}`,
      servers: random.distinct(this.serverCount, random.between(1, Math.min(6, this.serverCount))).map(serverAddress),
      ssh: random.chance(1 / 3),
    }));
  }

  /** The anomaly kind of an incident number (from {@link SimulatedEvent.incident}). */
  kindOf(incident: number): FlowAnomalyKind | undefined {
    return this.kinds[incident];
  }

  /**
   * Starts a DDoS flood at {@link now} against `victim` (default: a server drawn at random); its
   * flows are among the next ones taken. With a low rate and no other anomalies before it, this is
   * a flood after a quiet baseline. Draws nothing at random until called, so it leaves the output
   * of a seed that never calls it unchanged.
   */
  injectFlood(victim?: string): void {
    this.injectRequested({ kind: 'ddos', victim });
  }

  /**
   * Makes `resolver` (default {@link INTERNAL_RESOLVER}) an open resolver from {@link now}: 2–8
   * outside clients (192.0.2.2–127) send it 30–300 DNS queries within 2–15 min, one in ten over
   * TCP, and it answers each from port 53 to the client's port 1–50 ms later. Queries and answers
   * are the incident, kind `open-resolver`, truthKey = the resolver (the host the rule reports).
   * Draws nothing at random until called, so it leaves the output of a seed that never calls it
   * unchanged.
   */
  injectOpenResolver(resolver?: string): void {
    this.injectRequested({ kind: 'open-resolver', resolver });
  }

  private injectRequested(request: NonNullable<FlowsGenerator['requested']>): void {
    this.requested = request;
    try {
      this.inject(1);
    } finally {
      this.requested = undefined;
    }
  }

  protected regular(time: number): SimulatedEvent {
    const r = this.random;
    const client = r.pick(this.clients);
    const sport = r.between(32768, 60999);
    const what = r.weighted([['web', 60], ['dns', 25], ['ntp', 5], ['icmp', 4], ['ssh', client.ssh ? 6 : 0]] as const);
    let event;
    switch (what) {
      case 'web': {
        const packets = r.between(5, 200);
        event = flow(client.address, sport, r.pick(client.servers), r.pick(WEB_PORTS), 6, packets * r.between(60, 1400), packets, time, r.between(50, 30_000), r.chance(0.9) ? TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN : TCP.SYN | TCP.ACK | TCP.PSH | TCP.RST);
        break;
      }
      case 'dns': {
        const packets = r.between(1, 2);
        event = flow(client.address, sport, INTERNAL_RESOLVER, 53, 17, packets * r.between(60, 300), packets, time, r.int(50));
        break;
      }
      case 'ntp':
        event = flow(client.address, 123, serverAddress(122), 123, 17, 76, 1, time, 0);
        break;
      case 'icmp': {
        const packets = r.between(1, 4);
        event = flow(client.address, 0, r.pick(client.servers), 2048, 1, packets * 84, packets, time, (packets - 1) * 1000);
        break;
      }
      default: {
        const packets = r.between(50, 5000);
        event = flow(client.address, sport, r.pick(client.servers), 22, 6, Math.max(20_000, packets * r.between(80, 1400)), packets, time, r.between(30_000, 600_000), TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN);
      }
    }
    return { event, anomaly: false };
  }

  protected burst(start: number, incident: number): TimedEvent[] {
    const r = this.random;
    const requested = this.requested;
    const kind: FlowAnomalyKind = requested ? requested.kind : r.weighted(KIND_WEIGHTS);
    this.kinds[incident] = kind;
    const out: TimedEvent[] = [];
    const add = (time: number, event: Record<string, unknown>, key: string) => out.push({ time, item: { event, anomaly: true, truthKey: key, incident } });
    switch (kind) {
      case 'vertical-scan':
      case 'horizontal-scan': {
        const source = `203.0.113.${r.between(1, 254)}`;
        const sport = r.between(40000, 60999);
        const k = r.between(FLOW_SCAN_MIN_TARGETS, FLOW_SCAN_MAX_TARGETS);
        const targets =
          kind === 'vertical-scan'
            ? ((host) => r.distinct(1024, k).map((p) => ({ host, port: p + 1 })))(serverAddress(r.int(this.serverCount)))
            : ((port) => r.distinct(4 * 254, k).map((i) => ({ host: `10.2.${Math.floor(i / 254)}.${1 + (i % 254)}`, port })))(r.pick([22, 23, 445, 3389, 5900]));
        const times = spread(r, start, r.between(5_000, 45_000), targets.length);
        targets.forEach(({ host, port }, i) => add(times[i], flow(source, sport, host, port, 6, 44, 1, times[i], 0, TCP.SYN), source));
        break;
      }
      case 'ssh-bruteforce': {
        const source = `198.51.100.${r.between(1, 254)}`;
        const server = serverAddress(r.int(this.serverCount));
        const n = r.between(SSH_MIN_ATTEMPTS, SSH_MAX_ATTEMPTS);
        const times = spread(r, start, r.between(20_000, 240_000), n);
        for (const t of times) {
          const packets = r.between(10, 20);
          add(t, flow(source, r.between(1025, 65535), server, 22, 6, r.between(1800, 5000), packets, t, r.between(500, 11_999), TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN), source);
        }
        break;
      }
      case 'udp-flood': {
        const source = `192.0.2.${r.between(128, 254)}`;
        const target = serverAddress(r.int(this.serverCount));
        const port = r.pick([53, 123, 1900, 11211]);
        const n = r.between(40, 120);
        const times = spread(r, start, r.between(2_000, 20_000), n);
        for (const t of times) {
          const packets = r.between(1000, 5000);
          add(t, flow(source, r.between(1025, 65535), target, port, 17, packets * r.between(512, 1400), packets, t, r.between(100, 1000)), source);
        }
        break;
      }
      case 'ddos': {
        const victim = (requested?.kind === 'ddos' ? requested.victim : undefined) ?? serverAddress(r.int(this.serverCount));
        const service = r.pick(REFLECTED_PORTS);
        const reflectors = Array.from({ length: r.between(20, 60) }, () => `${DDOS_REFLECTOR_PREFIX}${r.int(2)}.${r.between(1, 254)}`);
        const times = spread(r, start, r.between(5_000, DDOS_MAX_SPAN_MS), r.between(DDOS_MIN_FLOWS, DDOS_MAX_FLOWS));
        for (const t of times) {
          const packets = r.between(DDOS_MIN_PACKETS_PER_FLOW, DDOS_MAX_PACKETS_PER_FLOW);
          add(t, flow(r.pick(reflectors), service, victim, r.between(1024, 65535), 17, packets * r.between(512, 1400), packets, t, r.between(100, 1000)), victim);
        }
        break;
      }
      case 'open-resolver': {
        const resolver = (requested?.kind === 'open-resolver' ? requested.resolver : undefined) ?? INTERNAL_RESOLVER;
        const clients = r.distinct(126, r.between(OPEN_RESOLVER_MIN_CLIENTS, OPEN_RESOLVER_MAX_CLIENTS)).map((i) => `${OPEN_RESOLVER_CLIENT_PREFIX}${i + 2}`);
        const times = spread(r, start, r.between(OPEN_RESOLVER_MIN_SPAN_MS, OPEN_RESOLVER_MAX_SPAN_MS), r.between(OPEN_RESOLVER_MIN_QUERIES, OPEN_RESOLVER_MAX_QUERIES));
        const flags = TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN;
        for (const t of times) {
          const client = r.pick(clients);
          const port = r.between(1024, 65535);
          const answerAt = t + r.between(1, 50);
          if (r.chance(0.1)) {
            add(t, flow(client, port, resolver, 53, 6, r.between(300, 500), r.between(5, 7), t, r.between(20, 200), flags), resolver);
            const packets = r.between(4, 8);
            add(answerAt, flow(resolver, 53, client, port, 6, packets * 60 + r.between(100, 4000), packets, answerAt, r.between(10, 150), flags), resolver);
          } else {
            add(t, flow(client, port, resolver, 53, 17, r.between(60, 100), 1, t, 0), resolver);
            add(answerAt, flow(resolver, 53, client, port, 17, r.between(100, 1400), 1, answerAt, 0), resolver);
          }
        }
        break;
      }
      case 'external-dns': {
        const client = r.pick(this.clients);
        const resolver = r.pick(EXTERNAL_RESOLVERS);
        const times = spread(r, start, r.between(1_000, MINUTE - 1), r.between(3, 10));
        for (const t of times) add(t, flow(client.address, r.between(32768, 60999), resolver, 53, 17, r.between(60, 300), 1, t, r.int(50)), client.address);
        break;
      }
    }
    return out;
  }
}

/** n sorted times in [start, start + span), the first at start. */
function spread(r: { int(n: number): number }, start: number, span: number, n: number): number[] {
  const times = Array.from({ length: n }, () => start + r.int(span)).sort((a, b) => a - b);
  times[0] = start;
  return times;
}

function flow(src: string, sport: number, dst: string, dport: number, protocol: number, bytes: number, packets: number, start: number, duration: number, flags?: number): Record<string, unknown> {
  return {
    ...makeFlowEvent({ sourceIp: src, sourcePort: sport, destinationIp: dst, destinationPort: dport, protocol, bytes, packets, start, end: start + duration, tcpFlags: protocol === 6 ? flags ?? 0 : undefined, observer: FLOW_OBSERVER }),
    timestamp: start,
  };
}

/** The i-th server: 10.2.0.1, 10.2.0.2, … */
function serverAddress(i: number): string {
  return `10.2.${Math.floor(i / 254)}.${1 + (i % 254)}`;
}
