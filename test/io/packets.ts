/** Hand-built NetFlow v5, v9 and IPFIX datagrams for decoder tests. */

export class Bytes {
  private readonly parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(Math.floor(v / 65536)).u16(v % 65536);
  }
  u64(v: number): this {
    return this.u32(Math.floor(v / 4294967296)).u32(v % 4294967296);
  }
  ip(a: string): this {
    for (const p of a.split('.')) this.u8(Number(p));
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.u8(bytes[i]);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface V5Record {
  src: string;
  dst: string;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  sport: number;
  dport: number;
  flags: number;
  proto: number;
}

export function v5Packet(records: V5Record[], opts: { sysUptime?: number; secs?: number; nsecs?: number; sampling?: number; count?: number; sequence?: number; engineId?: number } = {}): Uint8Array {
  const b = new Bytes().u16(5).u16(opts.count ?? records.length).u32(opts.sysUptime ?? 100_000).u32(opts.secs ?? 1_767_225_600).u32(opts.nsecs ?? 0).u32(opts.sequence ?? 7).u8(0).u8(opts.engineId ?? 0).u16(opts.sampling ?? 0);
  for (const r of records) {
    b.ip(r.src).ip(r.dst).ip('0.0.0.0').u16(1).u16(2).u32(r.packets).u32(r.bytes).u32(r.first).u32(r.last).u16(r.sport).u16(r.dport).u8(0).u8(r.flags).u8(r.proto).u8(0).u16(0).u16(0).u8(24).u8(24).u16(0);
  }
  return b.done();
}

/** A set: id, length, body, padded to 4 bytes. */
export function set(id: number, body: Uint8Array, pad = true): Uint8Array {
  const padding = pad ? (4 - ((body.length + 4) % 4)) % 4 : 0;
  return new Bytes().u16(id).u16(4 + body.length + padding).raw(body).raw(new Array(padding).fill(0)).done();
}

export function v9Packet(sets: Uint8Array[], opts: { sysUptime?: number; secs?: number; sourceId?: number; sequence?: number } = {}): Uint8Array {
  const b = new Bytes().u16(9).u16(sets.length).u32(opts.sysUptime ?? 100_000).u32(opts.secs ?? 1_767_225_600).u32(opts.sequence ?? 1).u32(opts.sourceId ?? 0);
  for (const s of sets) b.raw(s);
  return b.done();
}

export function ipfixPacket(sets: Uint8Array[], opts: { exportSecs?: number; domain?: number; length?: number; sequence?: number } = {}): Uint8Array {
  const total = 16 + sets.reduce((n, s) => n + s.length, 0);
  const b = new Bytes().u16(10).u16(opts.length ?? total).u32(opts.exportSecs ?? 1_767_225_600).u32(opts.sequence ?? 1).u32(opts.domain ?? 0);
  for (const s of sets) b.raw(s);
  return b.done();
}

/** Template record body: id, count, (type, length[, enterprise]) fields. */
export function templateRecord(id: number, fields: [number, number, number?][]): Uint8Array {
  const b = new Bytes().u16(id).u16(fields.length);
  for (const [type, length, enterprise] of fields) {
    if (enterprise !== undefined) b.u16(type | 0x8000).u16(length).u32(enterprise);
    else b.u16(type).u16(length);
  }
  return b.done();
}

/** The fields of a typical IPv4 flow template (NetFlow v9 / IPFIX with sysUpTime times). */
export const V4_FIELDS: [number, number][] = [
  [8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [1, 4], [2, 4], [22, 4], [21, 4],
];

export function v4Record(r: { src: string; dst: string; sport: number; dport: number; proto: number; flags: number; bytes: number; packets: number; first: number; last: number }): Uint8Array {
  return new Bytes().ip(r.src).ip(r.dst).u16(r.sport).u16(r.dport).u8(r.proto).u8(r.flags).u32(r.bytes).u32(r.packets).u32(r.first).u32(r.last).done();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Bytes().raw(parts.flatMap((p) => Array.from(p))).done();
}
