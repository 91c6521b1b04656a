/**
 * A packet capture of a small network with attacks, for measuring the flow model on what a real
 * exporter (softflowd) makes of it. Regular traffic: 40 clients (10.1.0.1–40) browse two busy web
 * servers (10.2.0.10, 10.2.0.11) — whole TCP conversations, both directions — ask the internal
 * resolver (10.2.0.53, which answers), and a few keep SSH sessions to 10.2.0.22. Attacks, each from
 * its own address (the ground truth is the address):
 * - vertical scan: 203.0.113.10 sends SYNs to ports 1–600 of 10.2.0.22 within 20 s (the server
 *   answers RST|ACK, or SYN|ACK on 22, which the scanner resets);
 * - horizontal scan: 203.0.113.20 sends SYNs to 3389 of 10.1.0.1–120 within 30 s (clients answer RST|ACK);
 * - SSH brute force: 198.51.100.7 logs in to 10.2.0.22:22 60 times over 3 min (handshake, a few
 *   exchanges, FIN);
 * - open resolver: 4 outside clients (192.0.2.10–13) send 10.2.0.53 300 queries over 5 min, answered;
 * - flood: 192.0.2.200 sends 20,000 UDP packets of 1,200 bytes to 10.2.0.10:80 within 20 s.
 */
import type { PacketSpec } from '../io/pcap.js';

export const ATTACKERS = {
  'vertical-scan': '203.0.113.10',
  'horizontal-scan': '203.0.113.20',
  'ssh-bruteforce': '198.51.100.7',
  'open-resolver': '10.2.0.53',
  'udp-flood': '192.0.2.200',
} as const;
export const OUTSIDE_DNS_CLIENTS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'];
const RESOLVER = '10.2.0.53';
const WEB = ['10.2.0.10', '10.2.0.11'];
const SSH = '10.2.0.22';
const S = 2, R = 4, P = 8, A = 16, F = 1;

/** A capture of `minutes` minutes from `start` (epoch ms), deterministic for `seed`; packets in time order. */
export function buildCapture(seed: number, start: number, minutes: number): PacketSpec[] {
  let state = seed >>> 0 || 1;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const int = (n: number) => Math.floor(random() * n);
  const between = (a: number, b: number) => a + int(b - a + 1);
  const end = start + minutes * 60_000;
  const out: PacketSpec[] = [];
  let port = 32768;
  const ephemeral = () => (port = port >= 60999 ? 32768 : port + 1);
  const tcp = (t: number, src: string, sport: number, dst: string, dport: number, flags: number, payload = 0) => out.push({ time: Math.round(t), src, dst, protocol: 'tcp', sport, dport, flags, payload });
  const udp = (t: number, src: string, sport: number, dst: string, dport: number, payload: number) => out.push({ time: Math.round(t), src, dst, protocol: 'udp', sport, dport, payload });

  /** A TCP conversation: handshake, `exchanges` request/response rounds, FIN both ways. */
  const conversation = (t: number, client: string, server: string, dport: number, exchanges: number, responsePackets: number, gap: number) => {
    const sport = ephemeral();
    tcp(t, client, sport, server, dport, S);
    tcp(t + 1, server, dport, client, sport, S | A);
    tcp(t + 2, client, sport, server, dport, A);
    let now = t + 3;
    for (let i = 0; i < exchanges; i++) {
      tcp(now, client, sport, server, dport, P | A, between(40, 400));
      for (let j = 0; j < responsePackets; j++) tcp(now + 1 + j, server, dport, client, sport, P | A, 1400);
      tcp(now + responsePackets + 2, client, sport, server, dport, A);
      now += gap;
    }
    tcp(now, client, sport, server, dport, F | A);
    tcp(now + 1, server, dport, client, sport, F | A);
    tcp(now + 2, client, sport, server, dport, A);
  };

  const clients = Array.from({ length: 40 }, (_, i) => `10.1.0.${i + 1}`);
  for (const client of clients) {
    const ssh = int(4) === 0;
    for (let t = start + int(5000); t < end - 20_000; t += between(2000, 9000)) {
      const what = int(10);
      if (what < 6) conversation(t, client, WEB[int(2)]!, int(2) ? 443 : 80, between(1, 4), between(2, 20), 300);
      else if (what < 9) {
        const sport = ephemeral();
        udp(t, client, sport, RESOLVER, 53, between(30, 60));
        udp(t + between(1, 30), RESOLVER, 53, client, sport, between(60, 400));
      } else if (ssh) conversation(t, client, SSH, 22, between(20, 60), between(1, 5), 200);
    }
  }
  // the attacks, at different minutes
  const at = (fraction: number) => start + Math.floor(fraction * minutes * 60_000);
  const v = at(0.1);
  for (let p = 1; p <= 600; p++) {
    const t = v + (p * 20_000) / 600;
    tcp(t, ATTACKERS['vertical-scan'], 45000, SSH, p, S);
    if (p === 22) {
      tcp(t + 1, SSH, 22, ATTACKERS['vertical-scan'], 45000, S | A);
      tcp(t + 2, ATTACKERS['vertical-scan'], 45000, SSH, 22, R);
    } else tcp(t + 1, SSH, p, ATTACKERS['vertical-scan'], 45000, R | A);
  }
  const h = at(0.3);
  for (let i = 1; i <= 120; i++) {
    const target = `10.1.0.${i}`;
    const t = h + (i * 30_000) / 120;
    tcp(t, ATTACKERS['horizontal-scan'], 46000, target, 3389, S);
    if (i <= 40) tcp(t + 1, target, 3389, ATTACKERS['horizontal-scan'], 46000, R | A);
  }
  const b = at(0.45);
  for (let i = 0; i < 60; i++) conversation(b + i * 3000 + int(1000), ATTACKERS['ssh-bruteforce'], SSH, 22, between(3, 5), 1, 100);
  const o = at(0.6);
  for (let i = 0; i < 300; i++) {
    const client = OUTSIDE_DNS_CLIENTS[int(OUTSIDE_DNS_CLIENTS.length)]!;
    const t = o + int(5 * 60_000);
    const sport = between(1024, 65535);
    udp(t, client, sport, RESOLVER, 53, between(30, 60));
    udp(t + between(1, 30), RESOLVER, 53, client, sport, between(400, 1400));
  }
  const f = at(0.8);
  for (let i = 0; i < 20_000; i++) udp(f + i, ATTACKERS['udp-flood'], 40000 + (i % 50), WEB[0]!, 80, 1172);
  return out.filter((p) => p.time < end).sort((x, y) => x.time - y.time);
}
