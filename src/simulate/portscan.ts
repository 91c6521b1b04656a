/**
 * `portscan`: connections of regular clients to their usual services, plus port scans — one source
 * touching many ports of one host (vertical) or one port of many hosts (horizontal).
 */
import { BurstGenerator, MINUTE, type TimedEvent } from './burst-generator.js';
import { baseOptions, positive, type GeneratorOptions, type SimulatedEvent } from './generator.js';

export interface PortScanOptions extends GeneratorOptions {
  /** Regular clients (default 200). */
  clients?: number;
  /** Servers the clients use (default 50). */
  servers?: number;
}

/** Fewest ports (vertical) or hosts (horizontal) one scan touches. */
export const SCAN_MIN_TARGETS = 20;
/** Most ports a vertical scan touches. */
export const SCAN_MAX_PORTS = 100;
/** Most hosts a horizontal scan touches. */
export const SCAN_MAX_HOSTS = 60;
/** Most servers one regular client talks to. */
export const CLIENT_MAX_SERVERS = 8;
/** Most ports one regular client uses. */
export const CLIENT_MAX_PORTS = 4;

const SERVICE_PORTS = [80, 443, 22, 53, 25, 3306, 5432, 8080, 123, 389, 636, 993];
const HORIZONTAL_PORTS = [22, 23, 80, 445, 3389, 5900];

interface Client {
  address: string;
  servers: string[];
  ports: number[];
}

/**
 * Regular traffic: a uniform client (10.1.0.0/16) connects to one of its own 1–8 servers (drawn
 * from 10.2.0.1…) on one of its own 1–4 service ports. So a regular source never touches more than
 * {@link CLIENT_MAX_PORTS} ports of a host nor more than {@link CLIENT_MAX_SERVERS} hosts, in any
 * time span. `tcpFlags` lists the flags seen in the connection as letters (S SYN, A ACK, P PSH,
 * F FIN, R RST): regular connections are `SAPF`, `SAF` or `SAR`.
 *
 * A scan, from one source (203.0.113.0/24, 198.51.100.0/24 or a compromised 10.3.0.0/16 host):
 * half the time vertical — 20–100 distinct ports of one server, in order or at random from 1–1024 —
 * otherwise horizontal — one port of 20–60 distinct hosts in 10.2.0.0/22. Probes carry `S` (no
 * answer) or `SR` (reset), at uniform times over 5–45 s, all within one epoch-aligned minute. Every
 * probe is an anomaly with truthKey = the scanning source.
 */
export class PortScanGenerator extends BurstGenerator {
  readonly name = 'portscan';
  private readonly clients: Client[];
  private readonly serverCount: number;

  constructor(options: PortScanOptions = {}) {
    const { seed, rate, startTime } = baseOptions(options);
    const meanSize = ((SCAN_MIN_TARGETS + SCAN_MAX_PORTS) / 2 + (SCAN_MIN_TARGETS + SCAN_MAX_HOSTS) / 2) / 2;
    super(seed, rate, startTime, options.errorProbability ?? 0.01, meanSize);
    const serverCount = positive(options.servers ?? 50, 'servers');
    this.serverCount = serverCount;
    const random = this.random;
    this.clients = Array.from({ length: positive(options.clients ?? 200, 'clients') }, (_, i) => ({
      address: `10.1.${Math.floor(i / 254)}.${1 + (i % 254)}`,
      servers: random.distinct(serverCount, random.between(1, Math.min(CLIENT_MAX_SERVERS, serverCount))).map(serverAddress),
      ports: random.distinct(SERVICE_PORTS.length, random.between(1, CLIENT_MAX_PORTS)).map((p) => SERVICE_PORTS[p]),
    }));
  }

  protected regular(time: number): SimulatedEvent {
    const random = this.random;
    const client = random.pick(this.clients);
    const event = {
      kind: 'conn',
      sourceAddress: client.address,
      sourcePort: random.between(32768, 60999),
      destinationAddress: random.pick(client.servers),
      destinationPort: random.pick(client.ports),
      tcpFlags: random.weighted([['SAPF', 8], ['SAF', 1], ['SAR', 1]] as const),
      timestamp: time,
    };
    return { event, anomaly: false };
  }

  protected burst(start: number, incident: number): TimedEvent[] {
    const random = this.random;
    const origin = random.int(3);
    const sourceAddress = origin === 2 ? `10.3.${random.int(256)}.${random.between(1, 254)}` : `${origin ? '198.51.100' : '203.0.113'}.${random.between(1, 254)}`;
    const sourcePort = random.between(40000, 60999);
    let targets: { host: string; port: number }[];
    if (random.chance(0.5)) {
      const host = serverAddress(random.int(this.serverCount));
      const k = random.between(SCAN_MIN_TARGETS, SCAN_MAX_PORTS);
      let ports: number[];
      if (random.chance(0.5)) {
        const first = random.between(1, 1025 - k);
        ports = Array.from({ length: k }, (_, i) => first + i);
      } else {
        ports = random.distinct(1024, k).map((p) => p + 1);
      }
      targets = ports.map((port) => ({ host, port }));
    } else {
      const port = random.pick(HORIZONTAL_PORTS);
      const k = random.between(SCAN_MIN_TARGETS, SCAN_MAX_HOSTS);
      targets = random.distinct(4 * 254, k).map((i) => ({ host: `10.2.${Math.floor(i / 254)}.${1 + (i % 254)}`, port }));
    }
    const end = Math.min(start + random.between(5_000, 45_000), Math.floor(start / MINUTE) * MINUTE + MINUTE);
    const times = targets.map(() => start + random.int(end - start)).sort((a, b) => a - b);
    times[0] = start; // the scan begins when it starts, so `now` announced it truly
    return targets.map(({ host, port }, i) => ({
      time: times[i],
      item: {
        event: {
          kind: 'conn',
          sourceAddress,
          sourcePort,
          destinationAddress: host,
          destinationPort: port,
          tcpFlags: random.chance(0.5) ? 'S' : 'SR',
          timestamp: times[i],
        },
        anomaly: true,
        truthKey: sourceAddress,
        incident,
      },
    }));
  }
}

/** The i-th server: 10.2.0.1, 10.2.0.2, … */
function serverAddress(i: number): string {
  return `10.2.${Math.floor(i / 254)}.${1 + (i % 254)}`;
}
