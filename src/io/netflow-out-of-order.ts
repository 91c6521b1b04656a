/**
 * How far out of order one exporter's flows arrive, learned from what it sends: the bound the
 * collector gives the engine for that source (`engine.push(flows, { source, outOfOrderMs })`).
 *
 * A flow exporter sends a flow when the flow ends (a FIN or RST, or after its idle timeout) or
 * when it has lasted its active timeout, so flows arrive ordered by when they were *exported*,
 * not by when they started: a lone SYN of a scan arrives one idle timeout after it was sent, a
 * long download one active timeout after it began. Defaults, from the exporters' documentation:
 *
 * | exporter | idle (inactive) | active | notes |
 * |---|---|---|---|
 * | softflowd | tcp 3600 s, udp/icmp 300 s, tcp.fin 300 s, tcp.rst 120 s, general 3600 s | maxlife 7 days | checks expiry every 60 s (expint) |
 * | Cisco IOS / NX-OS | 15 s | 1800 s | |
 * | Juniper (inline J-Flow) | 60 s | 1800 s | |
 * | nProbe | `-d` 30 s | `-t` 120 s | |
 * | goflow2 | — | — | passes through what the router sends; sFlow is per packet |
 *
 * A lag shows only once the flow arrives: softflowd's lone SYNs show theirs an hour after the
 * exporter started, and a watermark that has passed them cannot go back. So until an exporter has
 * been heard over {@link WARM_UP_SPAN_MS} of its own time (softflowd's one-hour TCP timeout, its
 * 60 s expiry check, and a margin) its bound is at least {@link WARM_UP_OUT_OF_ORDER_MS}, which
 * fits every default above. After that it is the larger of {@link DEFAULT_FLOW_OUT_OF_ORDER_MS}
 * (which covers nProbe's timeouts, Cisco's and Juniper's idle timeouts, softflowd's UDP/ICMP/FIN
 * timeouts) and a high quantile ({@link OUT_OF_ORDER_QUANTILE}) of the lags observed on the
 * exporter times {@link OUT_OF_ORDER_HEADROOM}, capped at {@link MAX_FLOW_OUT_OF_ORDER_MS}. An
 * exporter that announces its timeouts in options data (flowActiveTimeout, IE 36; or
 * flowIdleTimeout, IE 37, without it) needs no warm-up: that timeout times the headroom is its
 * floor instead.
 *
 * A flow's lag is how far its start (and its end) are behind the newest start (end) the exporter
 * sent before it or with it, which is what an event-time watermark per source sees. The newest is
 * taken no later than the flow's own datagram's export time, so one forged flow dated in the
 * future does not make every later flow look late. Runtime-agnostic, no I/O.
 */

/** The floor of every exporter's bound once it is known (5 min). */
export const DEFAULT_FLOW_OUT_OF_ORDER_MS = 300_000;
/** The floor while an exporter is new (65 min). */
export const WARM_UP_OUT_OF_ORDER_MS = 3_900_000;
/** How much of its own time an exporter is watched before its learned bound is trusted (65 min). */
export const WARM_UP_SPAN_MS = 3_900_000;
/** The ceiling of every exporter's bound (2 h). */
export const MAX_FLOW_OUT_OF_ORDER_MS = 7_200_000;
/** The share of flows the bound should cover. */
export const OUT_OF_ORDER_QUANTILE = 0.999;
/** Multiplier on the observed quantile (and on announced timeouts). */
export const OUT_OF_ORDER_HEADROOM = 1.25;
/** Observations are halved every this many flows, so the estimate follows the exporter's present. */
export const OUT_OF_ORDER_HALF_LIFE_FLOWS = 100_000;

/** Histogram buckets: bucket i holds lags up to FIRST × RATIO^i ms; the last bucket holds the rest. */
const FIRST_BUCKET_MS = 100;
const RATIO = 1.1;
const BUCKETS = Math.ceil(Math.log(MAX_FLOW_OUT_OF_ORDER_MS / FIRST_BUCKET_MS) / Math.log(RATIO)) + 2;

function bucketOf(lagMs: number): number {
  if (lagMs <= FIRST_BUCKET_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(lagMs / FIRST_BUCKET_MS) / Math.log(RATIO)));
}

function bucketTop(i: number): number {
  return FIRST_BUCKET_MS * RATIO ** i;
}

export interface OutOfOrderOptions {
  floorMs?: number;
  warmUpMs?: number;
  warmUpSpanMs?: number;
  maxMs?: number;
  quantile?: number;
  headroom?: number;
  halfLifeFlows?: number;
}

/** The times of one flow, epoch ms. */
export interface FlowTimes {
  'event.start': number;
  'event.end': number;
}

/** Out-of-order bound of one exporter session. */
export class OutOfOrderEstimator {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sinceHalving = 0;
  private newestStart = -Infinity;
  private newestEnd = -Infinity;
  private announcedMs: number | undefined;
  private firstEnd = Infinity;
  private readonly floorMs: number;
  private readonly warmUpMs: number;
  private readonly warmUpSpanMs: number;
  private readonly maxMs: number;
  private readonly quantile: number;
  private readonly headroom: number;
  private readonly halfLife: number;
  /** The largest lag seen (ms), for reports. */
  maxLagMs = 0;

  constructor(options: OutOfOrderOptions = {}) {
    this.floorMs = options.floorMs ?? DEFAULT_FLOW_OUT_OF_ORDER_MS;
    this.maxMs = Math.max(this.floorMs, options.maxMs ?? MAX_FLOW_OUT_OF_ORDER_MS);
    this.warmUpMs = Math.min(this.maxMs, options.warmUpMs ?? WARM_UP_OUT_OF_ORDER_MS);
    this.warmUpSpanMs = options.warmUpSpanMs ?? WARM_UP_SPAN_MS;
    this.quantile = options.quantile ?? OUT_OF_ORDER_QUANTILE;
    this.headroom = options.headroom ?? OUT_OF_ORDER_HEADROOM;
    this.halfLife = options.halfLifeFlows ?? OUT_OF_ORDER_HALF_LIFE_FLOWS;
  }

  /**
   * Records the flows of one datagram, in the order they came.
   * @param exportMs the datagram's export time: the newest is never taken later than this.
   */
  observe(flows: readonly FlowTimes[], exportMs?: number): void {
    for (const f of flows) {
      const start = f['event.start'];
      const end = f['event.end'];
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      if (end < this.firstEnd && end >= (exportMs ?? end) - this.maxMs) this.firstEnd = end;
      this.newestStart = Math.max(this.newestStart, start);
      this.newestEnd = Math.max(this.newestEnd, end);
      // measured against this datagram's export time at most: a forged future flow in an earlier
      // datagram does not make later ones look late
      const ceiling = exportMs ?? Infinity;
      const lag = Math.max(0, Math.min(this.newestStart, ceiling) - start, Math.min(this.newestEnd, ceiling) - end);
      this.record(lag);
    }
  }

  /** Timeouts from the exporter's options data: the active timeout (or the idle one without it) becomes a floor. */
  announce(timeouts: { activeMs?: number; idleMs?: number }): void {
    const announced = timeouts.activeMs ?? timeouts.idleMs;
    this.announcedMs = announced === undefined ? undefined : Math.min(this.maxMs, announced * this.headroom);
  }

  private record(lagMs: number): void {
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    this.counts[bucketOf(lagMs)]++;
    this.total++;
    if (++this.sinceHalving >= this.halfLife) {
      this.sinceHalving = 0;
      this.total = 0;
      for (let i = 0; i < BUCKETS; i++) this.total += this.counts[i] /= 2;
    }
  }

  /** Flows observed (decayed). */
  get observed(): number {
    return this.total;
  }

  /** The lag at the quantile (the top of its histogram bucket, so ≤ 10 % above the true value). */
  quantileLagMs(): number {
    if (this.total === 0) return 0;
    const wanted = this.total * this.quantile;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= wanted) return i === 0 ? Math.min(this.maxLagMs, FIRST_BUCKET_MS) : Math.min(bucketTop(i), this.maxLagMs);
    }
    return this.maxLagMs;
  }

  /** True while the exporter is new: heard over less than the warm-up span of its time, and silent about its timeouts. */
  get warmingUp(): boolean {
    return this.announcedMs === undefined && !(this.newestEnd - this.firstEnd >= this.warmUpSpanMs);
  }

  /** The bound to give the engine for this exporter, in whole seconds. */
  get boundMs(): number {
    const observed = this.quantileLagMs() * this.headroom;
    const floor = this.warmingUp ? this.warmUpMs : Math.max(this.floorMs, this.announcedMs ?? 0);
    const bound = Math.min(this.maxMs, Math.max(floor, observed));
    return Math.ceil(bound / 1000) * 1000;
  }
}
