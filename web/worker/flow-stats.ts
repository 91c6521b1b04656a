/**
 * Statistics of the flow events pushed to the engine, kept in the worker so the page gets small
 * summaries instead of every flow: protocol buckets (TCP/UDP/other every `bucketMs` of event time),
 * top talkers, and per host and window the features of src/ml (bytes, flows, packets, distinct
 * destinations, distinct destination ports) — computed with `flowFeatures` itself, so the Flows
 * view's host profiles and the model's training rows are the numbers `vigil train` would compute.
 *
 * Windows are tumbling, by `event.start`. A window keeps its (slimmed) flows while open and is
 * reduced to its feature rows once the watermark (latest start − lateness) passes its end; a flow
 * that arrives for a closed window is counted as late and left out of the windows.
 */
import { flowFeatures, type FeatureRow, type FlowLike } from '../../src/ml/features.js';
import type { FlowCounts, FlowHostCounts, FlowHostProfile, FlowHostWindow, FlowProtocolPoint, FlowSummary, FlowTalker } from '../../src/runtime/worker/protocol.js';

export interface FlowStatsOptions {
  /** Protocol bucket length (default 10 s, the "TCP/UDP/other every 10 s"). */
  bucketMs?: number;
  /** Protocol buckets kept (default 60: ten minutes). */
  buckets?: number;
  /** Host window length (default 60 s, the model's window). */
  windowMs?: number;
  /** Windows kept, open and closed (default 15). */
  windows?: number;
  /** How far behind the latest event.start a window still takes flows (default 5 s). */
  latenessMs?: number;
  /** Top talkers are counted over this many of the newest windows (default 5). */
  talkerWindows?: number;
  /** Flows an open window keeps for its features; beyond that only its talker counts grow. */
  maxFlowsPerWindow?: number;
}

/** The fields the features read, plus the simulator's ground truth. */
interface SlimFlow extends FlowLike {
  'source.ip': string;
  /** Kept for the host-baseline inputs: failed connections (TCP flags) and flows answered as a server (ports). */
  'source.port'?: unknown;
  'network.transport'?: unknown;
  'tcp.flags'?: unknown;
  'destination.ip': string;
  'destination.port': unknown;
  'network.bytes': number;
  'network.packets': number;
  'event.start': number;
  anomaly?: boolean;
}

type Transport = 'tcp' | 'udp' | 'other';

interface OpenWindow {
  start: number;
  flows: SlimFlow[];
  /** Flows not kept (over maxFlowsPerWindow). */
  dropped: number;
  talkers: Map<string, FlowCounts>;
}

interface ClosedWindow {
  start: number;
  /** Rows by source address: the host as a sender. */
  out: Map<string, FeatureRow>;
  /** Rows by destination address, from the flows turned around: the host as a receiver. */
  in: Map<string, FeatureRow>;
}

const isAnomaly = (f: FlowLike): boolean | undefined => (f as SlimFlow).anomaly;

/** The flow with source and destination swapped, so `flowFeatures` counts what a host received. */
function inbound(f: SlimFlow): SlimFlow {
  return { ...f, 'source.ip': f['destination.ip'], 'destination.ip': f['source.ip'] };
}

function byHost(rows: FeatureRow[]): Map<string, FeatureRow> {
  return new Map(rows.map((r) => [r.source, r]));
}

/** A field by flat dotted key, else by nested path (JSON-lines input may nest ECS objects). */
function read(event: Record<string, unknown>, field: string): unknown {
  const flat = event[field];
  if (flat !== undefined) return flat;
  const dot = field.indexOf('.');
  const parent = event[field.slice(0, dot)];
  return typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[field.slice(dot + 1)] : undefined;
}

function timeOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return NaN;
}

/** The flow's fields the statistics need, or undefined for an event that is not a flow. */
export function slimFlow(event: unknown, anomaly?: boolean): (SlimFlow & { transport: Transport }) | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  const source = read(e, 'source.ip');
  const destination = read(e, 'destination.ip');
  if (typeof source !== 'string' || typeof destination !== 'string') return undefined;
  const bytes = Number(read(e, 'network.bytes'));
  const packets = Number(read(e, 'network.packets'));
  // Connection logs also carry addresses; a flow record carries counts.
  if (!Number.isFinite(bytes) && !Number.isFinite(packets)) return undefined;
  const start = timeOf(read(e, 'event.start') ?? e.timestamp);
  if (!Number.isFinite(start)) return undefined;
  const name = read(e, 'network.transport');
  const number = read(e, 'network.iana_number');
  const lower = typeof name === 'string' ? name.toLowerCase() : undefined;
  const transport: Transport = lower === 'tcp' || number === 6 ? 'tcp' : lower === 'udp' || number === 17 ? 'udp' : 'other';
  return {
    'source.ip': source,
    'destination.ip': destination,
    'destination.port': read(e, 'destination.port'),
    ...optional('source.port', read(e, 'source.port')),
    ...optional('network.transport', typeof name === 'string' ? name : transport),
    ...optional('tcp.flags', read(e, 'tcp.flags')),
    'network.bytes': Number.isFinite(bytes) ? bytes : 0,
    'network.packets': Number.isFinite(packets) ? packets : 0,
    'event.start': start,
    transport,
    ...(anomaly === undefined ? {} : { anomaly }),
  };
}

function optional(field: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : { [field]: value };
}

const zero = (): FlowCounts => ({ flows: 0, packets: 0, bytes: 0 });
const zeroHost = (): FlowHostCounts => ({ flows: 0, packets: 0, bytes: 0, peers: 0, ports: 0 });

function addCounts(to: FlowCounts, flows: number, packets: number, bytes: number): void {
  to.flows += flows;
  to.packets += packets;
  to.bytes += bytes;
}

/** Host counts from a feature row ([bytes, flows, packets, destinations, ports]). */
function hostCounts(row: FeatureRow | undefined): FlowHostCounts {
  if (!row) return zeroHost();
  const [bytes, flows, packets, peers, ports] = row.features;
  return { flows, packets, bytes, peers, ports };
}

export class FlowStats {
  readonly bucketMs: number;
  readonly windowMs: number;
  private readonly bucketCount: number;
  private readonly windowCount: number;
  private readonly latenessMs: number;
  private readonly talkerWindows: number;
  private readonly maxFlowsPerWindow: number;
  private readonly buckets = new Map<number, Record<Transport, FlowCounts>>();
  private readonly open = new Map<number, OpenWindow>();
  private readonly closed: ClosedWindow[] = [];
  /** Windows starting before this have closed (or were never kept). */
  private closedBefore = -Infinity;
  private latest = -Infinity;
  /** Earliest event.start seen. */
  private firstFlow = Infinity;
  private total = 0;
  private lateFlows = 0;
  private changes = 0;
  private cached: { version: number; summary: Omit<FlowSummary, 'model'> } | undefined;
  /** Told of each window as it closes, with its outbound rows (live scoring). */
  onWindowClosed: ((rows: FeatureRow[]) => void) | undefined;

  constructor(options: FlowStatsOptions = {}) {
    this.bucketMs = options.bucketMs ?? 10_000;
    this.bucketCount = options.buckets ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    this.windowCount = options.windows ?? 15;
    this.latenessMs = options.latenessMs ?? 5_000;
    this.talkerWindows = options.talkerWindows ?? 5;
    this.maxFlowsPerWindow = options.maxFlowsPerWindow ?? 100_000;
  }

  /** Flows seen. */
  get flows(): number {
    return this.total;
  }

  get version(): number {
    return this.changes;
  }

  /**
   * Takes the flows among `events` (others are skipped); `anomalous[i]` is the simulator's ground
   * truth of events[i], when known. Returns the number of flows taken.
   */
  add(events: readonly unknown[], anomalous?: readonly boolean[]): number {
    let taken = 0;
    for (let i = 0; i < events.length; i++) {
      const flow = slimFlow(events[i], anomalous?.[i]);
      if (!flow) continue;
      taken++;
      const { transport, ...slim } = flow;
      this.addToBucket(transport, slim);
      this.addToWindow(slim);
    }
    if (taken) {
      this.total += taken;
      this.changes++;
      this.closeDue();
    }
    return taken;
  }

  private addToBucket(transport: Transport, f: SlimFlow): void {
    const start = Math.floor(f['event.start'] / this.bucketMs) * this.bucketMs;
    const horizon = Math.max(this.latest, f['event.start']) - this.bucketCount * this.bucketMs;
    if (start <= horizon) return;
    let bucket = this.buckets.get(start);
    if (!bucket) this.buckets.set(start, (bucket = { tcp: zero(), udp: zero(), other: zero() }));
    addCounts(bucket[transport], 1, f['network.packets'], f['network.bytes']);
  }

  private addToWindow(f: SlimFlow): void {
    const time = f['event.start'];
    if (time > this.latest) this.latest = time;
    if (time < this.firstFlow) this.firstFlow = time;
    const start = Math.floor(time / this.windowMs) * this.windowMs;
    if (start < this.closedBefore || start < this.oldestKeptWindow()) {
      this.lateFlows++;
      return;
    }
    let window = this.open.get(start);
    if (!window) this.open.set(start, (window = { start, flows: [], dropped: 0, talkers: new Map() }));
    if (window.flows.length < this.maxFlowsPerWindow) window.flows.push(f);
    else window.dropped++;
    const source = f['source.ip'];
    let talker = window.talkers.get(source);
    if (!talker) window.talkers.set(source, (talker = zero()));
    addCounts(talker, 1, f['network.packets'], f['network.bytes']);
  }

  /** Closes the windows the watermark passed and forgets what fell out of the kept range. */
  private closeDue(): void {
    const watermark = this.latest - this.latenessMs;
    for (const window of [...this.open.values()].sort((a, b) => a.start - b.start)) {
      if (window.start + this.windowMs > watermark) break;
      this.open.delete(window.start);
      const out = flowFeatures(window.flows, this.windowMs, isAnomaly);
      this.closed.push({ start: window.start, out: byHost(out), in: byHost(flowFeatures(window.flows.map(inbound), this.windowMs)) });
      this.closedBefore = Math.max(this.closedBefore, window.start + this.windowMs);
      this.onWindowClosed?.(out);
    }
    this.closed.sort((a, b) => a.start - b.start);
    const oldestKept = this.oldestKeptWindow();
    while (this.closed.length && this.closed[0]!.start < oldestKept) this.closed.shift();
    const bucketHorizon = this.latest - this.bucketCount * this.bucketMs;
    for (const start of this.buckets.keys()) if (start <= bucketHorizon) this.buckets.delete(start);
  }

  private newestWindow(): number {
    return Math.floor(this.latest / this.windowMs) * this.windowMs;
  }

  private oldestKeptWindow(): number {
    return this.newestWindow() - (this.windowCount - 1) * this.windowMs;
  }

  summary(topN = 10): FlowSummary {
    if (this.cached?.version === this.changes) return this.cached.summary;
    const protocols: FlowProtocolPoint[] = [];
    const totals = { tcp: zero(), udp: zero(), other: zero() };
    const starts = [...this.buckets.keys()];
    if (starts.length) {
      const last = Math.max(...starts);
      for (let time = Math.min(...starts); time <= last; time += this.bucketMs) {
        const b = this.buckets.get(time);
        const point = { time, tcp: { ...(b?.tcp ?? zero()) }, udp: { ...(b?.udp ?? zero()) }, other: { ...(b?.other ?? zero()) } };
        protocols.push(point);
        for (const t of ['tcp', 'udp', 'other'] as const) addCounts(totals[t], point[t].flows, point[t].packets, point[t].bytes);
      }
    }
    const talkers = this.talkers();
    const ranked = (key: 'bytes' | 'flows') =>
      [...talkers.values()].sort((a, b) => b[key] - a[key] || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)).slice(0, topN);
    const summary: FlowSummary = {
      version: this.changes,
      flows: this.total,
      late: this.lateFlows,
      eventTime: Number.isFinite(this.latest) ? this.latest : 0,
      bucketMs: this.bucketMs,
      protocols,
      totals,
      windowMs: this.windowMs,
      talkerSpanMs: this.talkerWindows * this.windowMs,
      sources: talkers.size,
      topByBytes: ranked('bytes'),
      topByFlows: ranked('flows'),
    };
    this.cached = { version: this.changes, summary };
    return summary;
  }

  /** What each source sent over the newest `talkerWindows` windows, open and closed. */
  private talkers(): Map<string, FlowTalker> {
    const since = this.newestWindow() - (this.talkerWindows - 1) * this.windowMs;
    const totals = new Map<string, FlowTalker>();
    const add = (address: string, flows: number, packets: number, bytes: number) => {
      let t = totals.get(address);
      if (!t) totals.set(address, (t = { address, flows: 0, packets: 0, bytes: 0 }));
      addCounts(t, flows, packets, bytes);
    };
    for (const w of this.closed) {
      if (w.start < since) continue;
      for (const row of w.out.values()) add(row.source, row.features[1], row.features[2], row.features[0]);
    }
    for (const w of this.open.values()) {
      if (w.start < since) continue;
      for (const [address, c] of w.talkers) add(address, c.flows, c.packets, c.bytes);
    }
    return totals;
  }

  /** Every kept window, oldest first, with the host's counts as sender and receiver. */
  hostProfile(address: string): FlowHostProfile {
    const windows: FlowHostWindow[] = [];
    for (const w of this.closed) windows.push({ windowStart: w.start, open: false, out: hostCounts(w.out.get(address)), in: hostCounts(w.in.get(address)) });
    for (const w of [...this.open.values()].sort((a, b) => a.start - b.start)) {
      const sent = w.flows.filter((f) => f['source.ip'] === address);
      const received = w.flows.filter((f) => f['destination.ip'] === address).map(inbound);
      windows.push({ windowStart: w.start, open: true, out: hostCounts(flowFeatures(sent, this.windowMs)[0]), in: hostCounts(flowFeatures(received, this.windowMs)[0]) });
    }
    return { address, windowMs: this.windowMs, windows };
  }

  /** The host's outbound feature row of a closed window (what the model judges), if it sent anything then. */
  outboundRow(address: string, windowStart: number): FeatureRow | undefined {
    return this.closed.find((w) => w.start === windowStart)?.out.get(address);
  }

  /** Addresses seen in the kept windows, as sender or receiver, busiest (flows) first. */
  hosts(prefix = '', limit = 50): string[] {
    const flows = new Map<string, number>();
    const add = (address: string, n: number) => {
      if (address.startsWith(prefix)) flows.set(address, (flows.get(address) ?? 0) + n);
    };
    for (const w of this.closed) {
      for (const row of w.out.values()) add(row.source, row.features[1]);
      for (const row of w.in.values()) add(row.source, row.features[1]);
    }
    for (const w of this.open.values()) {
      for (const f of w.flows) {
        add(f['source.ip'], 1);
        add(f['destination.ip'], 1);
      }
    }
    return [...flows].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([address]) => address);
  }

  /**
   * The outbound feature rows of the kept windows, oldest first. 'all': every window, the open ones
   * with their counts so far. 'full': only closed windows that flows were already arriving at the
   * start of — neither the first window of the stream nor an open one is a whole minute of traffic.
   */
  featureRows(which: 'all' | 'full' = 'all'): FeatureRow[] {
    const rows: FeatureRow[] = [];
    for (const w of this.closed) {
      if (which === 'full' && w.start < this.firstFlow) continue;
      rows.push(...[...w.out.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0)));
    }
    if (which === 'full') return rows;
    const open = [...this.open.values()].sort((a, b) => a.start - b.start);
    for (const w of open) rows.push(...flowFeatures(w.flows, this.windowMs, isAnomaly));
    return rows;
  }

  clear(): void {
    this.buckets.clear();
    this.open.clear();
    this.closed.length = 0;
    this.closedBefore = -Infinity;
    this.latest = -Infinity;
    this.firstFlow = Infinity;
    this.total = 0;
    this.lateFlows = 0;
    this.changes++;
    this.cached = undefined;
  }
}
