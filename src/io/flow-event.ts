/**
 * The one flow event every flow decoder (NetFlow v5/v9, IPFIX, goflow2 JSON) and the `flows`
 * simulator produce: flat ECS-style keys, so rules read `event['source.ip']` or `source.ip`.
 */

/** A network flow, normalized. Times are epoch milliseconds. */
export interface FlowEvent {
  kind: 'flow';
  'source.ip': string;
  'source.port': number;
  'destination.ip': string;
  'destination.port': number;
  /** 'tcp', 'udp', 'icmp', 'ipv6-icmp', 'gre', 'esp', … or the protocol number as a string. */
  'network.transport': string;
  'network.iana_number': number;
  /** Bytes of the flow, multiplied by the sampling rate when it is known. */
  'network.bytes': number;
  /** Packets of the flow, multiplied by the sampling rate when it is known. */
  'network.packets': number;
  /** 1 in N packets sampled; present only when the exporter said so (and N > 1). */
  'network.sampling_rate'?: number;
  /** TCP flags OR-ed over the flow (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128). */
  'tcp.flags'?: number;
  'event.start': number;
  'event.end': number;
  /** The exporter's address. */
  'observer.ip': string;
  [field: string]: unknown;
}

/** TCP flag bits. */
export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

const TRANSPORTS: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'ipv6-icmp', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp',
};
const NUMBERS: Record<string, number> = Object.fromEntries(Object.entries(TRANSPORTS).map(([n, name]) => [name, Number(n)]));
NUMBERS.icmpv6 = 58;

/** The ECS `network.transport` name of an IANA protocol number. */
export function transportName(protocol: number): string {
  return TRANSPORTS[protocol] ?? String(protocol);
}

/** The IANA number of a transport name ('TCP', 'udp', '6'…), or undefined. */
export function transportNumber(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (lower in NUMBERS) return NUMBERS[lower];
  const n = Number(lower);
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

export interface FlowFields {
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  protocol: number;
  bytes: number;
  packets: number;
  /** 0 or 1 mean unsampled. */
  samplingRate?: number;
  tcpFlags?: number;
  start: number;
  end: number;
  observer: string;
}

/** Builds a flow event, scaling bytes and packets by the sampling rate. */
export function makeFlowEvent(f: FlowFields): FlowEvent {
  const rate = f.samplingRate && f.samplingRate > 1 ? f.samplingRate : 1;
  const event: FlowEvent = {
    kind: 'flow',
    'source.ip': f.sourceIp,
    'source.port': f.sourcePort,
    'destination.ip': f.destinationIp,
    'destination.port': f.destinationPort,
    'network.transport': transportName(f.protocol),
    'network.iana_number': f.protocol,
    'network.bytes': f.bytes * rate,
    'network.packets': f.packets * rate,
    'event.start': f.start,
    'event.end': f.end,
    'observer.ip': f.observer,
  };
  if (rate > 1) event['network.sampling_rate'] = rate;
  if (f.tcpFlags !== undefined) event['tcp.flags'] = f.tcpFlags;
  return event;
}

/** Why a datagram or line could not be decoded. */
export type FlowDecodeReason =
  | 'truncated'
  | 'bad-version'
  | 'bad-length'
  | 'bad-template'
  | 'unknown-template'
  | 'bad-json'
  | 'missing-field';

/** A decoding failure: what went wrong (`reason`) and where. Decoders return these; they never throw them out. */
export class FlowDecodeError extends Error {
  override readonly name = 'FlowDecodeError';
  constructor(
    readonly reason: FlowDecodeReason,
    message: string,
  ) {
    super(message);
  }
}
