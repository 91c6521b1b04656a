/** NetFlow v5: a fixed 24-byte header and 48-byte records. */
import { FlowDecodeError, makeFlowEvent, type FlowEvent } from './flow-event.js';
import { ipv4At, readUint } from './netflow-bytes.js';

export const V5_HEADER = 24;
export const V5_RECORD = 48;
/** Cisco's limit of records in one v5 datagram. */
export const V5_MAX_RECORDS = 30;

/** What a v5 header says besides its records. */
export interface V5Header {
  /** Flows exported before this datagram (32 bits, wraps). */
  sequence: number;
  /** engine_type × 256 + engine_id: the v5 stand-in for a source id (one sequence per engine). */
  engine: number;
  uptimeMs: number;
  exportMs: number;
}

/**
 * Decodes one v5 datagram into `out`; returns an error (after decoding nothing) when it is malformed.
 * Bytes after the last record, fewer than a record, are padding (some exporters pad to 4 or 8
 * bytes; nfdump reads them too).
 */
export function decodeV5(bytes: Uint8Array, observer: string, out: FlowEvent[], header?: (h: V5Header) => void): FlowDecodeError | undefined {
  if (bytes.length < V5_HEADER) return new FlowDecodeError('truncated', `NetFlow v5 header needs ${V5_HEADER} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(2);
  if (count < 1 || count > V5_MAX_RECORDS) return new FlowDecodeError('bad-length', `NetFlow v5 record count ${count} is outside 1–${V5_MAX_RECORDS}`);
  const needed = V5_HEADER + count * V5_RECORD;
  if (bytes.length < needed || bytes.length - needed >= V5_RECORD) {
    return new FlowDecodeError('bad-length', `NetFlow v5 with ${count} records is ${needed} bytes (plus padding shorter than a record), got ${bytes.length}`);
  }
  const sysUptime = view.getUint32(4);
  const exportMs = view.getUint32(8) * 1000 + Math.floor(view.getUint32(12) / 1e6);
  const boot = exportMs - sysUptime;
  header?.({ sequence: view.getUint32(16), engine: view.getUint16(20), uptimeMs: sysUptime, exportMs });
  const sampling = view.getUint16(22) & 0x3fff;
  for (let i = 0; i < count; i++) {
    const o = V5_HEADER + i * V5_RECORD;
    const protocol = bytes[o + 38];
    out.push(
      makeFlowEvent({
        sourceIp: ipv4At(bytes, o),
        destinationIp: ipv4At(bytes, o + 4),
        packets: readUint(bytes, o + 16, 4),
        bytes: readUint(bytes, o + 20, 4),
        start: boot + uptimeOffset(view.getUint32(o + 24), sysUptime),
        end: boot + uptimeOffset(view.getUint32(o + 28), sysUptime),
        sourcePort: view.getUint16(o + 32),
        destinationPort: view.getUint16(o + 34),
        tcpFlags: protocol === 6 ? bytes[o + 37] : undefined,
        protocol,
        samplingRate: sampling,
        observer,
      }),
    );
  }
  return undefined;
}

/**
 * A switch time (ms since boot, 32 bits) as an offset from boot, allowing for one wrap of the
 * 49.7-day uptime counter between the flow and the export.
 */
export function uptimeOffset(at: number, sysUptime: number): number {
  return at > sysUptime && at - sysUptime > 0x80000000 ? at - 0x100000000 : at;
}
