/**
 * Templates of NetFlow v9 and IPFIX, and the data records they describe, kept per exporter session:
 * (version, exporter address, source id / observation domain). A template arrives again to refresh
 * (or redefine) itself; IPFIX withdraws one with a zero field count.
 */
import { makeFlowEvent, type FlowEvent } from './flow-event.js';
import { ipv4At, ipv6At, readUint } from './netflow-bytes.js';

/** IPFIX marks a variable-length field with this length. */
export const VARIABLE_LENGTH = 0xffff;

export interface TemplateField {
  /** Information element id (without the enterprise bit). */
  id: number;
  /** Fixed length, or {@link VARIABLE_LENGTH}. */
  length: number;
  /** Private enterprise number; 0 for IANA elements. Enterprise fields are skipped. */
  enterprise: number;
}

export interface Template {
  id: number;
  fields: TemplateField[];
  /** Options templates: how many leading fields are scope fields (data records describe the exporter, not flows). */
  scopeCount: number;
  options: boolean;
  /** Fewest bytes a record takes (variable fields count 1): a data set shorter than this is padding. */
  minLength: number;
}

export function makeTemplate(id: number, fields: TemplateField[], options: boolean, scopeCount: number): Template {
  let minLength = 0;
  for (const f of fields) minLength += f.length === VARIABLE_LENGTH ? 1 : f.length;
  return { id, fields, options, scopeCount, minLength };
}

/** What an exporter session remembers besides templates, from options data. */
export interface SessionState {
  templates: Map<number, Template>;
  /** Sampling rate announced in options data (1 in N). */
  samplingRate?: number;
  /** IPFIX systemInitTimeMilliseconds: the base of flowStart/EndSysUpTime. */
  systemInitMs?: number;
  /** flowActiveTimeout (s) announced in options data. */
  activeTimeoutS?: number;
  /** flowIdleTimeout (s) announced in options data. */
  idleTimeoutS?: number;
}

/** Template cache limits (a flood of templates, or of observation domains, must not grow memory). */
export interface TemplateLimits {
  /** Templates kept per exporter address, over all its domains. */
  perExporter: number;
  /** Templates kept over all exporters. */
  total: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { perExporter: 1024, total: 16_384 };

/** A template pushed out of the cache to make room. */
export interface TemplateEviction {
  version: number;
  exporter: string;
  domain: number;
  id: number;
  /** Which limit was reached. */
  limit: 'exporter' | 'total';
}

interface Entry {
  key: string;
  version: number;
  exporter: string;
  domain: number;
  id: number;
}

/**
 * Sessions by exporter and domain, with a bounded template cache: least recently used (defined,
 * refreshed or used to decode) templates leave first when an exporter, or everyone together, is at
 * its limit. A session whose last template left is forgotten with its options state.
 */
export class TemplateStore {
  private readonly sessions = new Map<string, SessionState>();
  /** Every cached template, least recently used first (Map order, re-inserted on use). */
  private readonly lru = new Map<string, Entry>();
  /** Per exporter address, its cached templates in the same order. */
  private readonly byExporter = new Map<string, Map<string, Entry>>();
  /** Evictions since the last {@link takeEvictions}. */
  private evictions: TemplateEviction[] = [];
  evicted = 0;

  constructor(readonly limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS) {}

  private static key(version: number, exporter: string, domain: number): string {
    return `${version}|${exporter}|${domain}`;
  }

  /** The session, if it has anything cached. */
  find(version: number, exporter: string, domain: number): SessionState | undefined {
    return this.sessions.get(TemplateStore.key(version, exporter, domain));
  }

  /** The session, created if needed (to define templates in it). */
  session(version: number, exporter: string, domain: number): SessionState {
    const key = TemplateStore.key(version, exporter, domain);
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { templates: new Map() }));
    return s;
  }

  /** The template, marked as used. */
  template(version: number, exporter: string, domain: number, id: number): Template | undefined {
    const sessionKey = TemplateStore.key(version, exporter, domain);
    const template = this.sessions.get(sessionKey)?.templates.get(id);
    if (template) this.touch(`${sessionKey}|${id}`);
    return template;
  }

  /** Defines or refreshes a template, evicting others when a limit is reached. */
  define(version: number, exporter: string, domain: number, template: Template): void {
    const session = this.session(version, exporter, domain);
    const key = `${TemplateStore.key(version, exporter, domain)}|${template.id}`;
    session.templates.set(template.id, template);
    if (this.lru.has(key)) {
      this.touch(key);
      return;
    }
    let mine = this.byExporter.get(exporter);
    if (!mine) this.byExporter.set(exporter, (mine = new Map()));
    while (mine.size >= this.limits.perExporter) this.evict(mine.values().next().value!, 'exporter');
    while (this.lru.size >= this.limits.total) this.evict(this.lru.values().next().value!, 'total');
    const entry: Entry = { key, version, exporter, domain, id: template.id };
    this.lru.set(key, entry);
    mine.set(key, entry);
  }

  /** Withdraws one template (IPFIX). */
  withdraw(version: number, exporter: string, domain: number, id: number): void {
    const entry = this.lru.get(`${TemplateStore.key(version, exporter, domain)}|${id}`);
    if (entry) this.remove(entry);
  }

  private touch(key: string): void {
    const entry = this.lru.get(key);
    if (!entry) return;
    this.lru.delete(key);
    this.lru.set(key, entry);
    const mine = this.byExporter.get(entry.exporter)!;
    mine.delete(key);
    mine.set(key, entry);
  }

  private evict(entry: Entry, limit: 'exporter' | 'total'): void {
    this.remove(entry);
    this.evicted++;
    // the list is drained by the collector after each datagram; cap it in case nobody drains it
    if (this.evictions.length < 1000) this.evictions.push({ version: entry.version, exporter: entry.exporter, domain: entry.domain, id: entry.id, limit });
  }

  private remove(entry: Entry): void {
    this.lru.delete(entry.key);
    const mine = this.byExporter.get(entry.exporter);
    mine?.delete(entry.key);
    if (mine && mine.size === 0) this.byExporter.delete(entry.exporter);
    const sessionKey = TemplateStore.key(entry.version, entry.exporter, entry.domain);
    const session = this.sessions.get(sessionKey);
    if (!session) return;
    session.templates.delete(entry.id);
    if (session.templates.size === 0) this.sessions.delete(sessionKey);
  }

  /** Evictions since the last call. */
  takeEvictions(): TemplateEviction[] {
    const taken = this.evictions;
    this.evictions = [];
    return taken;
  }

  /** Number of templates known, over all sessions. */
  get size(): number {
    return this.lru.size;
  }

  /** Number of sessions (exporter, version, domain) with something cached. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
    this.lru.clear();
    this.byExporter.clear();
  }
}

/** Element ids (IANA IPFIX registry; NetFlow v9 uses the same numbers below 128). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  samplingInterval: 34,
  flowActiveTimeout: 36,
  flowIdleTimeout: 37,
  samplerRandomInterval: 50,
  octetTotalCount: 85,
  packetTotalCount: 86,
  icmpTypeCodeIPv6: 139,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  systemInitTimeMilliseconds: 160,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

/** Time context of the datagram a record came in. */
export interface PacketTime {
  /** Export time, epoch ms. */
  exportMs: number;
  /** NetFlow v9: epoch ms of the exporter's boot (export time − sysUptime). */
  bootMs?: number;
  /** NetFlow v9: sysUptime of the header, for counter wrap. */
  sysUptime?: number;
}

/** Values of one data record: numbers for integer fields, byte views for the rest. */
type Values = Map<number, number | Uint8Array>;

/**
 * Decodes the records of one data set (bytes [start, end)) into flows, or into session state for
 * options records. Returns the number of records, or -1 if a record runs past the set (malformed);
 * trailing bytes shorter than a record are padding.
 */
export function decodeDataSet(
  bytes: Uint8Array,
  start: number,
  end: number,
  template: Template,
  session: SessionState,
  time: PacketTime,
  observer: string,
  out: FlowEvent[],
): number {
  let o = start;
  let records = 0;
  const step = Math.max(1, template.minLength);
  while (end - o >= step) {
    records++;
    const values: Values = new Map();
    for (let i = 0; i < template.fields.length; i++) {
      const f = template.fields[i];
      let length = f.length;
      if (length === VARIABLE_LENGTH) {
        if (o >= end) return -1;
        length = bytes[o++];
        if (length === 255) {
          if (o + 2 > end) return -1;
          length = (bytes[o] << 8) | bytes[o + 1];
          o += 2;
        }
      }
      if (o + length > end) return -1;
      if (f.enterprise === 0 && !values.has(f.id)) {
        values.set(f.id, isAddress(f.id) || length > 8 ? bytes.subarray(o, o + length) : readUint(bytes, o, length));
      }
      o += length;
    }
    if (template.options) applyOptions(values, session);
    else {
      const flow = toFlow(values, session, time, observer);
      if (flow) out.push(flow);
    }
  }
  return records;
}

function isAddress(id: number): boolean {
  return id === IE.sourceIPv4Address || id === IE.destinationIPv4Address || id === IE.sourceIPv6Address || id === IE.destinationIPv6Address;
}

function num(values: Values, id: number): number | undefined {
  const v = values.get(id);
  return typeof v === 'number' ? v : undefined;
}

function address(values: Values, v4: number, v6: number): string | undefined {
  const a = values.get(v4);
  if (a instanceof Uint8Array && a.length === 4) return ipv4At(a, 0);
  const b = values.get(v6);
  if (b instanceof Uint8Array && b.length === 16) return ipv6At(b, 0);
  return undefined;
}

function samplingOf(values: Values): number | undefined {
  const direct = num(values, IE.samplingInterval) ?? num(values, IE.samplerRandomInterval);
  if (direct) return direct;
  const interval = num(values, IE.samplingPacketInterval);
  const space = num(values, IE.samplingPacketSpace);
  if (interval && space !== undefined) return (interval + space) / interval;
  return undefined;
}

function applyOptions(values: Values, session: SessionState): void {
  const rate = samplingOf(values);
  if (rate) session.samplingRate = rate;
  const init = num(values, IE.systemInitTimeMilliseconds);
  if (init !== undefined) session.systemInitMs = init;
  const active = num(values, IE.flowActiveTimeout);
  if (active !== undefined) session.activeTimeoutS = active;
  const idle = num(values, IE.flowIdleTimeout);
  if (idle !== undefined) session.idleTimeoutS = idle;
}

function toFlow(values: Values, session: SessionState, time: PacketTime, observer: string): FlowEvent | undefined {
  const sourceIp = address(values, IE.sourceIPv4Address, IE.sourceIPv6Address);
  const destinationIp = address(values, IE.destinationIPv4Address, IE.destinationIPv6Address);
  if (sourceIp === undefined || destinationIp === undefined) return undefined;
  const protocol = num(values, IE.protocolIdentifier) ?? 0;
  let destinationPort = num(values, IE.destinationTransportPort) ?? 0;
  if ((protocol === 1 || protocol === 58) && !destinationPort) {
    // ICMP type and code travel as a port in flow records: type × 256 + code
    destinationPort = num(values, protocol === 1 ? IE.icmpTypeCodeIPv4 : IE.icmpTypeCodeIPv6) ?? 0;
  }
  const [start, end] = times(values, session, time);
  return makeFlowEvent({
    sourceIp,
    destinationIp,
    sourcePort: num(values, IE.sourceTransportPort) ?? 0,
    destinationPort,
    protocol,
    bytes: num(values, IE.octetDeltaCount) ?? num(values, IE.octetTotalCount) ?? num(values, IE.postOctetDeltaCount) ?? 0,
    packets: num(values, IE.packetDeltaCount) ?? num(values, IE.packetTotalCount) ?? num(values, IE.postPacketDeltaCount) ?? 0,
    tcpFlags: protocol === 6 ? (num(values, IE.tcpControlBits) ?? 0) & 0xff : undefined,
    samplingRate: samplingOf(values) ?? session.samplingRate,
    start,
    end,
    observer,
  });
}

function times(values: Values, session: SessionState, time: PacketTime): [number, number] {
  const pair = (a: number | undefined, b: number | undefined, scale: number): [number, number] | undefined =>
    a !== undefined || b !== undefined ? [(a ?? b!) * scale, (b ?? a!) * scale] : undefined;
  const ms = pair(num(values, IE.flowStartMilliseconds), num(values, IE.flowEndMilliseconds), 1);
  if (ms) return ms;
  if (values.has(IE.flowStartMicroseconds) || values.has(IE.flowEndMicroseconds)) return ntpToMs(values, time);
  const secs = pair(num(values, IE.flowStartSeconds), num(values, IE.flowEndSeconds), 1000);
  if (secs) return secs;
  const up = pair(num(values, IE.flowStartSysUpTime), num(values, IE.flowEndSysUpTime), 1);
  if (up) {
    if (time.bootMs !== undefined) {
      const wrap = (t: number) => (time.sysUptime !== undefined && t > time.sysUptime && t - time.sysUptime > 0x80000000 ? t - 0x100000000 : t);
      return [time.bootMs + wrap(up[0]), time.bootMs + wrap(up[1])];
    }
    const init = num(values, IE.systemInitTimeMilliseconds) ?? session.systemInitMs;
    if (init !== undefined) return [init + up[0], init + up[1]];
  }
  return [time.exportMs, time.exportMs];
}

/** dateTimeMicroseconds are NTP timestamps (seconds since 1900 in the high 32 bits). */
function ntpToMs(values: Values, time: PacketTime): [number, number] {
  const conv = (v: number | undefined) => (v === undefined ? undefined : Math.floor(v / 4294967296) * 1000 - 2208988800000 + Math.floor(((v % 4294967296) / 4294967296) * 1000));
  const s = conv(num(values, IE.flowStartMicroseconds));
  const e = conv(num(values, IE.flowEndMicroseconds));
  return [s ?? e ?? time.exportMs, e ?? s ?? time.exportMs];
}
