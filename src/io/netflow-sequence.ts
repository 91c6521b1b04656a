/**
 * Sequence-number accounting for one exporter session (exporter address and port, version,
 * observation domain / source id): how many flows the network lost between the exporter and us.
 *
 * The standards disagree on what the header's sequence counts, and exporters disagree with the
 * standards: NetFlow v5 counts flows (the sequence of the datagram's first flow); NetFlow v9
 * (RFC 3954) counts export packets; IPFIX (RFC 7011) counts data records sent before this
 * message. softflowd's v9 and IPFIX count data records *including* this message's. So every
 * session is followed under each plausible convention at once, and the convention that explains
 * the most consecutive datagrams exactly is the one reported. Runtime-agnostic, no I/O.
 */

/** What one sequence step means. */
export type SequenceConvention =
  /** Data records (flows and options data) sent before this datagram: v5, IPFIX. */
  | 'records-before'
  /** Data records sent including this datagram's. */
  | 'records-through'
  /** Flow records (options data not counted) sent before this datagram. */
  | 'flows-before'
  /** Flow records sent including this datagram's: softflowd v9 and IPFIX. */
  | 'flows-through'
  /** One per datagram: NetFlow v9. */
  | 'packets';

/** One received datagram, as far as sequencing goes. */
export interface SequencedDatagram {
  /** The header's sequence number (32 bits). */
  sequence: number;
  /** Data records in the datagram, or undefined when some could not be counted (a data set without its template). */
  records: number | undefined;
  /** Of those, flow records (not options data); as `records` when not given. */
  flowRecords?: number | undefined;
  /** Flows decoded from it (for converting lost units into flows). */
  flows: number;
  /** NetFlow v5/v9 sysUptime (ms): when it goes back by more than {@link RESTART_UPTIME_DROP_MS}, the exporter restarted. */
  uptimeMs?: number;
}

export interface SequenceStats {
  /** The convention that explains this session's sequence numbers best. */
  convention: SequenceConvention;
  datagrams: number;
  /** Datagrams exactly where the sequence said they would be. */
  inOrder: number;
  /** Forward jumps in the sequence (each a run of lost datagrams). */
  gaps: number;
  /** Units (records or datagrams, per convention) missing, net of late arrivals that filled a gap. */
  lostUnits: number;
  /** Estimated flows lost: lost units × flows per unit observed on this session. */
  estimatedFlowsLost: number;
  /** Datagrams that arrived after a later one and filled a gap. */
  reordered: number;
  /** Datagrams behind the sequence that filled no known gap (duplicates, or gaps already forgotten). */
  outOfSequence: number;
  /** Exporter restarts (sysUptime went back, or the sequence did and stayed there). */
  restarts: number;
  /** Jumps beyond {@link MAX_PLAUSIBLE_GAP} confirmed by the datagrams after them (their units count as lost). */
  resyncs: number;
  /** Datagrams whose record count was unknown (missing template): the next step is not checked. */
  unchecked: number;
}

/** Sequence numbers are 32 bits and wrap. */
const WRAP = 0x1_0000_0000;
/** A forward jump larger than this (in units) is not believed from one datagram: it takes {@link CONFIRMATIONS} in a row. */
export const MAX_PLAUSIBLE_GAP = 1_000_000;
/** Datagrams in a row behind (or far ahead of) the expected sequence that mean the exporter restarted (or really jumped). */
export const CONFIRMATIONS = 3;
/** sysUptime going back by more than this means a restart, not reordering. */
export const RESTART_UPTIME_DROP_MS = 10_000;
/** Gaps remembered per session, so that a late datagram can fill one. */
export const REMEMBERED_GAPS = 64;

/** Signed distance b − a on the 32-bit circle. */
function distance(a: number, b: number): number {
  const d = (((b - a) % WRAP) + WRAP) % WRAP;
  return d >= WRAP / 2 ? d - WRAP : d;
}

/** The session followed under one convention. */
class ConventionTrack {
  /** The unit count just after the last in-sequence datagram; undefined until known. */
  private position: number | undefined;
  /** Missing ranges [start, start + length) in units, oldest first. */
  private readonly missing: { start: number; length: number }[] = [];
  private suspicious = 0;
  private suspiciousJump = 0;
  inOrder = 0;
  gaps = 0;
  lostUnits = 0;
  reordered = 0;
  outOfSequence = 0;
  restarts = 0;
  resyncs = 0;
  unchecked = 0;
  units = 0;
  private seen = 0;

  constructor(readonly convention: SequenceConvention) {}

  /** This datagram's range of units [start, end), either bound undefined when unknowable. */
  private range(d: SequencedDatagram): [number | undefined, number | undefined] {
    if (this.convention === 'packets') return [d.sequence, d.sequence + 1];
    const n = this.count(d);
    if (this.convention.endsWith('-before')) return [d.sequence, n === undefined ? undefined : d.sequence + n];
    return [n === undefined ? undefined : d.sequence - n, d.sequence];
  }

  private count(d: SequencedDatagram): number | undefined {
    if (this.convention === 'packets') return 1;
    return this.convention.startsWith('flows') ? ('flowRecords' in d ? d.flowRecords : d.records) : d.records;
  }

  restart(d: SequencedDatagram): void {
    this.restarts++;
    this.missing.length = 0;
    this.suspicious = 0;
    this.position = this.range(d)[1];
  }

  observe(d: SequencedDatagram): void {
    this.units += this.count(d) ?? 0;
    const [start, end] = this.range(d);
    const first = this.seen++ === 0;
    if (this.position === undefined || start === undefined) {
      if (!first) this.unchecked++;
      this.position = end;
      this.suspicious = 0;
      return;
    }
    const jump = distance(this.position, start);
    if (jump === 0) {
      this.inOrder++;
      this.advance(end);
    } else if (jump > 0 && jump <= MAX_PLAUSIBLE_GAP) {
      this.gaps++;
      this.lostUnits += jump;
      this.missing.push({ start: this.position, length: jump });
      if (this.missing.length > REMEMBERED_GAPS) this.missing.shift();
      this.advance(end);
    } else if (jump < 0 && end !== undefined && this.fill(start, end)) {
      this.reordered++;
    } else {
      // behind with no gap to fill, or implausibly far ahead: believed only when it persists
      if (this.suspicious > 0 && Math.sign(jump) !== Math.sign(this.suspiciousJump)) this.suspicious = 0;
      if (this.suspicious === 0) this.suspiciousJump = jump;
      this.suspicious++;
      if (this.suspicious < CONFIRMATIONS) {
        this.outOfSequence++;
        return;
      }
      if (this.suspiciousJump > 0) {
        this.resyncs++;
        this.lostUnits += this.suspiciousJump;
        this.outOfSequence -= CONFIRMATIONS - 1;
        this.gaps++;
      } else {
        this.restarts++;
        this.outOfSequence -= CONFIRMATIONS - 1;
      }
      this.missing.length = 0;
      this.suspicious = 0;
      this.position = end;
    }
  }

  private advance(end: number | undefined): void {
    this.position = end;
    this.suspicious = 0;
  }

  /** A late datagram [start, end): if it lies in a remembered gap, the gap shrinks and the units are no longer lost. */
  private fill(start: number, end: number): boolean {
    const length = distance(start, end);
    if (length <= 0) return false;
    for (let i = this.missing.length - 1; i >= 0; i--) {
      const gap = this.missing[i];
      const offset = distance(gap.start, start);
      if (offset < 0 || offset + length > gap.length) continue;
      this.lostUnits -= length;
      const before = { start: gap.start, length: offset };
      const after = { start: (end % WRAP + WRAP) % WRAP, length: gap.length - offset - length };
      this.missing.splice(i, 1, ...[before, after].filter((g) => g.length > 0));
      return true;
    }
    return false;
  }
}

/** The conventions worth trying per version, the standard's first (it wins ties). */
const CANDIDATES: Record<number, SequenceConvention[]> = {
  5: ['records-before', 'records-through'],
  9: ['packets', 'flows-through', 'records-through', 'records-before', 'flows-before'],
  10: ['records-before', 'flows-before', 'records-through', 'flows-through'],
};

/** Sequence accounting of one exporter session. */
export class SequenceTracker {
  private readonly tracks: ConventionTrack[];
  private datagrams = 0;
  private flows = 0;
  private lastUptime: number | undefined;

  constructor(readonly version: number) {
    this.tracks = (CANDIDATES[version] ?? ['records-before']).map((c) => new ConventionTrack(c));
  }

  observe(d: SequencedDatagram): void {
    this.datagrams++;
    this.flows += d.flows;
    const sequence = ((d.sequence % WRAP) + WRAP) % WRAP;
    const datagram = { ...d, sequence };
    const restarted =
      d.uptimeMs !== undefined && this.lastUptime !== undefined && d.uptimeMs < this.lastUptime - RESTART_UPTIME_DROP_MS && this.lastUptime - d.uptimeMs < WRAP / 2;
    if (d.uptimeMs !== undefined && (this.lastUptime === undefined || restarted || d.uptimeMs > this.lastUptime)) this.lastUptime = d.uptimeMs;
    for (const t of this.tracks) {
      if (restarted) t.restart(datagram);
      else t.observe(datagram);
    }
  }

  /** The track whose convention explains the most datagrams. */
  private best(): ConventionTrack {
    let best = this.tracks[0];
    for (const t of this.tracks) if (t.inOrder > best.inOrder) best = t;
    return best;
  }

  get stats(): SequenceStats {
    const t = this.best();
    const flowsPerUnit = t.units > 0 ? this.flows / t.units : 1;
    return {
      convention: t.convention,
      datagrams: this.datagrams,
      inOrder: t.inOrder,
      gaps: t.gaps,
      lostUnits: t.lostUnits,
      estimatedFlowsLost: Math.round(Math.max(0, t.lostUnits) * flowsPerUnit),
      reordered: t.reordered,
      outOfSequence: t.outOfSequence,
      restarts: t.restarts,
      resyncs: t.resyncs,
      unchecked: t.unchecked,
    };
  }
}
