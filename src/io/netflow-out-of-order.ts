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
 * The bound starts at {@link DEFAULT_FLOW_OUT_OF_ORDER_MS}, which covers the idle and active
 * timeouts of nProbe, Cisco's and Juniper's idle timeouts and softflowd's UDP/ICMP/FIN timeouts.
 * From then on it is the larger of that floor and a high quantile ({@link OUT_OF_ORDER_QUANTILE})
 * of the lags observed on the exporter times {@link OUT_OF_ORDER_HEADROOM}, capped at
 * {@link MAX_FLOW_OUT_OF_ORDER_MS} (softflowd's one-hour TCP timeout with room to spare); when the
 * exporter announces its active timeout in options data (flowActiveTimeout, IE 36; or
 * flowIdleTimeout, IE 37, without it), that times the headroom is a floor too.
 *
 * A flow's lag is how far its start (and its end) are behind the newest start (end) the exporter
 * sent before it or with it, which is what an event-time watermark per source sees. The newest is
 * taken no later than the flow's own datagram's export time, so one forged flow dated in the
 * future does not make every later flow look late. Runtime-agnostic, no I/O.
 */

/** The floor of every exporter's bound (5 min). */
export const DEFAULT_FLOW_OUT_OF_ORDER_MS = 300_000;
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
  private readonly floorMs: number;
  private readonly maxMs: number;
  private readonly quantile: number;
  private readonly headroom: number;
  private readonly halfLife: number;
  /** The largest lag seen (ms), for reports. */
  maxLagMs = 0;

  constructor(options: OutOfOrderOptions = {}) {
    this.floorMs = options.floorMs ?? DEFAULT_FLOW_OUT_OF_ORDER_MS;
    this.maxMs = Math.max(this.floorMs, options.maxMs ?? MAX_FLOW_OUT_OF_ORDER_MS);
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

  /** The bound to give the engine for this exporter, in whole seconds. */
  get boundMs(): number {
    const observed = this.quantileLagMs() * this.headroom;
    const bound = Math.min(this.maxMs, Math.max(this.floorMs, this.announcedMs ?? 0, observed));
    return Math.ceil(bound / 1000) * 1000;
  }
}
