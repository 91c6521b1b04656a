/**
 * A generated capture of a small network under attack, for tests that feed a real exporter
 * (softflowd) and check what a collector and the flow rules make of its export. Deterministic for
 * a seed. Background: internal hosts browsing (TCP 443 sessions) and resolving names (UDP 53, to
 * the internal resolver and to 8.8.8.8). Attacks, each with its ground truth:
 * - a vertical port scan (SYNs to 1024 ports of one host; closed ports answer RST|ACK),
 * - a horizontal scan (SYNs to port 3389 of 254 hosts, unanswered),
 * - SSH brute force (short password-guessing sessions to port 22),
 * - an open resolver (an internal host answering DNS queries from outside),
 * - a reflection flood (many reflectors sending large UDP answers from port 123 to one victim).
 * With the defaults (2 minutes, 40 hosts) it holds ~7,000 flows and ~150,000 packets.
 */
import { seededRandom } from '../../src/bench/common.js';
import { ipLength, type PacketSpec } from './pcap.js';

export interface AttackCaptureOptions {
  /** Epoch ms of the first packet. */
  start?: number;
  /** Length of the capture. */
  durationMs?: number;
  seed?: number;
  /** Internal hosts generating background traffic. */
  hosts?: number;
  /** Background sessions per host per minute. */
  sessionsPerHostMinute?: number;
  /** Packets of the reflection flood (120,000 by default: over the flow pack's 100,000 in 30 s). */
  floodPackets?: number;
}

export interface AttackTruth {
  verticalScan: { source: string; target: string; ports: number };
  horizontalScan: { source: string; port: number; hosts: number };
  sshBruteForce: { source: string; target: string; sessions: number };
  openResolver: { resolver: string; clients: number };
  reflection: { victim: string; reflectors: string[]; packets: number };
}

export interface AttackCapture {
  /** In time order. */
  packets: PacketSpec[];
  truth: AttackTruth;
  start: number;
  durationMs: number;
}

const SYN = 2, RST = 4, PSH = 8, ACK = 16, FIN = 1;


export function attackCapture(options: AttackCaptureOptions = {}): AttackCapture {
  const start = options.start ?? Date.UTC(2026, 0, 1, 0, 0, 0);
  const durationMs = options.durationMs ?? 120_000;
  const rnd = seededRandom(options.seed ?? 1);
  const hosts = options.hosts ?? 40;
  const perMinute = options.sessionsPerHostMinute ?? 30;
  const floodPackets = options.floodPackets ?? 120_000;
  const packets: PacketSpec[] = [];
  const at = (fraction: number) => start + Math.floor(fraction * durationMs);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  let nextPort = 20_000;
  const ephemeral = () => (nextPort = nextPort >= 60_000 ? 20_000 : nextPort + 1);

  /** A TCP session: handshake, `exchanges` request/response pairs, FIN from both sides. */
  const tcpSession = (t0: number, client: string, server: string, dport: number, exchanges: number, request: number, response: number): number => {
    const sport = ephemeral();
    let t = t0;
    const c = (flags: number, payload = 0) => packets.push({ time: t, src: client, dst: server, protocol: 'tcp', sport, dport, flags, payload });
    const s = (flags: number, payload = 0) => packets.push({ time: t, src: server, dst: client, protocol: 'tcp', sport: dport, dport: sport, flags, payload });
    c(SYN);
    t += int(5, 40);
    s(SYN | ACK);
    t += int(5, 40);
    c(ACK);
    for (let i = 0; i < exchanges; i++) {
      t += int(20, 200);
      c(PSH | ACK, request);
      t += int(10, 100);
      s(PSH | ACK, response);
    }
    t += int(10, 100);
    c(FIN | ACK);
    t += int(5, 40);
    s(FIN | ACK);
    t += int(5, 40);
    c(ACK);
    return t;
  };

  // background
  const internal = Array.from({ length: hosts }, (_, i) => `10.0.0.${10 + i}`);
  const servers = Array.from({ length: 30 }, (_, i) => `93.184.${216 + (i % 4)}.${10 + i}`);
  const sessions = Math.round((hosts * perMinute * durationMs) / 60_000);
  for (let i = 0; i < sessions; i++) {
    const host = internal[int(0, hosts - 1)];
    const t0 = at(rnd() * 0.97);
    if (rnd() < 0.35) {
      const resolver = rnd() < 0.8 ? '10.0.0.53' : '8.8.8.8';
      const sport = ephemeral();
      packets.push({ time: t0, src: host, dst: resolver, protocol: 'udp', sport, dport: 53, payload: int(30, 60) });
      packets.push({ time: t0 + int(1, 30), src: resolver, dst: host, protocol: 'udp', sport: 53, dport: sport, payload: int(60, 300) });
    } else {
      tcpSession(t0, host, servers[int(0, servers.length - 1)], 443, int(1, 8), int(100, 600), int(200, 1400));
    }
  }

  // vertical scan: 1024 ports of one host over 30 s; closed ports answer RST|ACK
  const verticalScan = { source: '203.0.113.5', target: '10.0.0.9', ports: 1024 };
  for (let p = 1; p <= verticalScan.ports; p++) {
    const t = at(0.1) + Math.floor((p * 30_000) / verticalScan.ports);
    packets.push({ time: t, src: verticalScan.source, dst: verticalScan.target, protocol: 'tcp', sport: 51_000, dport: p, flags: SYN });
    if (p % 3 === 0) packets.push({ time: t + 1, src: verticalScan.target, dst: verticalScan.source, protocol: 'tcp', sport: p, dport: 51_000, flags: RST | ACK });
  }

  // horizontal scan: port 3389 of 254 hosts over 20 s, unanswered
  const horizontalScan = { source: '198.51.100.7', port: 3389, hosts: 254 };
  for (let h = 1; h <= horizontalScan.hosts; h++) {
    packets.push({ time: at(0.3) + h * 80, src: horizontalScan.source, dst: `10.0.1.${h}`, protocol: 'tcp', sport: 52_000, dport: horizontalScan.port, flags: SYN });
  }

  // SSH brute force: 40 sessions of 10 password attempts (13 client packets, ~2.5 kB, ~3 s)
  const sshBruteForce = { source: '192.0.2.66', target: '10.0.0.2', sessions: 40 };
  let t = at(0.45);
  for (let i = 0; i < sshBruteForce.sessions; i++) t = tcpSession(t + int(100, 400), sshBruteForce.source, sshBruteForce.target, 22, 10, 200, 60);

  // open resolver: 60 outside clients querying the internal host 10.0.0.60
  const openResolver = { resolver: '10.0.0.60', clients: 60 };
  for (let i = 0; i < openResolver.clients; i++) {
    const client = `198.18.${Math.floor(i / 200)}.${1 + (i % 200)}`;
    for (let q = 0; q < 5; q++) {
      const tq = at(0.55 + rnd() * 0.1);
      const sport = ephemeral();
      packets.push({ time: tq, src: client, dst: openResolver.resolver, protocol: 'udp', sport, dport: 53, payload: 40 });
      packets.push({ time: tq + 2, src: openResolver.resolver, dst: client, protocol: 'udp', sport: 53, dport: sport, payload: 480 });
    }
  }

  // reflection flood on 10.0.0.77 (which otherwise browses a little)
  const reflectors = Array.from({ length: 100 }, (_, i) => `45.${33 + (i % 3)}.${i}.${7 + (i % 50)}`);
  const reflection = { victim: '10.0.0.77', reflectors, packets: floodPackets };
  // (its own traffic stops before the flood: under attack, its packet ratio is all incoming)
  for (let i = 0; i < 20; i++) tcpSession(at((i / 20) * 0.6), reflection.victim, servers[i % servers.length], 443, 2, 300, 900);
  // starting mid-way through a 30 s window: NetFlow v9 headers carry whole seconds, so its flow times may be up to 1 s early
  const floodStart = at(0.8);
  const floodLength = Math.floor(durationMs * 0.15);
  for (let i = 0; i < floodPackets; i++) {
    const r = i % reflectors.length;
    packets.push({ time: floodStart + Math.floor((i * floodLength) / floodPackets), src: reflectors[r], dst: reflection.victim, protocol: 'udp', sport: 123, dport: 40_000 + r, payload: 440 });
  }

  packets.sort((a, b) => a.time - b.time);
  return { packets, truth: { verticalScan, horizontalScan, sshBruteForce, openResolver, reflection }, start, durationMs };
}

/** Per source address: unidirectional flows (5-tuples), packets and IP bytes. What an exporter's records must add up to. */
export function countBySource(packets: readonly PacketSpec[]): Map<string, { flows: number; packets: number; bytes: number }> {
  const tuples = new Set<string>();
  const out = new Map<string, { flows: number; packets: number; bytes: number }>();
  for (const p of packets) {
    let c = out.get(p.src);
    if (!c) out.set(p.src, (c = { flows: 0, packets: 0, bytes: 0 }));
    const tuple = `${p.src}|${p.sport}|${p.dst}|${p.dport}|${p.protocol}`;
    if (!tuples.has(tuple)) {
      tuples.add(tuple);
      c.flows++;
    }
    c.packets++;
    c.bytes += ipLength(p);
  }
  return out;
}
