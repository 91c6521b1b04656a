/** Builds pcap files (Ethernet, IPv4, TCP/UDP) byte by byte, for tests that feed a real exporter. */

export interface PacketSpec {
  /** Epoch ms. */
  time: number;
  src: string;
  dst: string;
  protocol: 'tcp' | 'udp';
  sport: number;
  dport: number;
  /** TCP flags byte (SYN 2, ACK 16, …); TCP only. */
  flags?: number;
  /** Payload bytes after the transport header. */
  payload?: number;
}

/** Bytes of the IP packet (IP header + transport header + payload): what flow exporters count. */
export function ipLength(p: PacketSpec): number {
  return 20 + (p.protocol === 'tcp' ? 20 : 8) + (p.payload ?? 0);
}

/**
 * A pcap of the packets. With `headersOnly` each record keeps the Ethernet, IP and transport
 * headers and gives the frame's full length as its original length (as `tcpdump -s 54` would):
 * exporters count the IP header's total length, and the file stays small.
 */
export function buildPcap(packets: readonly PacketSpec[], options: { headersOnly?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b2c3d4, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 65535, true);
  header.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  chunks.push(new Uint8Array(header.buffer));
  for (const p of packets) {
    const frame = buildFrame(p);
    const captured = options.headersOnly ? frame.subarray(0, 14 + 20 + (p.protocol === 'tcp' ? 20 : 8)) : frame;
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, Math.floor(p.time / 1000), true);
    rec.setUint32(4, (p.time % 1000) * 1000, true);
    rec.setUint32(8, captured.length, true);
    rec.setUint32(12, frame.length, true);
    chunks.push(new Uint8Array(rec.buffer), captured);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function buildFrame(p: PacketSpec): Uint8Array {
  const ipLen = ipLength(p);
  const frame = new Uint8Array(14 + ipLen);
  const v = new DataView(frame.buffer);
  frame.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, 0x0800);
  const ip = 14;
  v.setUint8(ip, 0x45);
  v.setUint16(ip + 2, ipLen);
  v.setUint8(ip + 8, 64);
  v.setUint8(ip + 9, p.protocol === 'tcp' ? 6 : 17);
  frame.set(p.src.split('.').map(Number), ip + 12);
  frame.set(p.dst.split('.').map(Number), ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(ip + 10, ~sum & 0xffff);
  const t = ip + 20;
  v.setUint16(t, p.sport);
  v.setUint16(t + 2, p.dport);
  if (p.protocol === 'tcp') {
    v.setUint32(t + 4, 1000);
    v.setUint8(t + 12, 5 << 4);
    v.setUint8(t + 13, p.flags ?? 0x10);
    v.setUint16(t + 14, 65535);
  } else {
    v.setUint16(t + 4, 8 + (p.payload ?? 0));
  }
  return frame;
}
