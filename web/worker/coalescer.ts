/**
 * Coalesces what the engine produces into update batches for the page: at most one batch per
 * interval, plus a heartbeat when idle. Adding never blocks and never drops engine work; only the
 * copies kept for the page are capped (the rest are counted).
 */

export interface CoalescerTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimer: CoalescerTimer = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface CoalescedBatch<A, D, M> {
  seq: number;
  alerts: A[];
  omittedAlerts: number;
  diagnostics: D[];
  omittedDiagnostics: number;
  metrics: M;
}

export interface CoalescerOptions<A, D, M> {
  intervalMs: number;
  /** With no news, a batch still goes out after this long. 0: never. */
  heartbeatMs: number;
  maxAlerts: number;
  maxDiagnostics: number;
  /** Taken once per batch, when it is sent. */
  snapshot: () => M;
  deliver: (batch: CoalescedBatch<A, D, M>) => void;
  timer?: CoalescerTimer;
}

export class UpdateCoalescer<A, D, M> {
  private alerts: A[] = [];
  private diagnostics: D[] = [];
  private omittedAlerts = 0;
  private omittedDiagnostics = 0;
  private seq = 0;
  private lastSent = -Infinity;
  private pending: unknown = undefined;
  private pendingAt = Infinity;
  private stopped = true;
  private readonly timer: CoalescerTimer;

  constructor(private readonly options: CoalescerOptions<A, D, M>) {
    this.timer = options.timer ?? realTimer;
  }

  /** Starts sending (the first batch goes out at once, then heartbeats). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  addAlert(alert: A): void {
    if (this.alerts.length < this.options.maxAlerts) this.alerts.push(alert);
    else this.omittedAlerts++;
    this.markDirty();
  }

  addDiagnostic(diagnostic: D): void {
    if (this.diagnostics.length < this.options.maxDiagnostics) this.diagnostics.push(diagnostic);
    else this.omittedDiagnostics++;
    this.markDirty();
  }

  /** Something changed (events went in, a rule changed): send a batch within the interval. */
  markDirty(): void {
    if (this.stopped) return;
    const due = Math.max(this.lastSent + this.options.intervalMs, this.timer.now());
    this.scheduleAt(due);
  }

  /** Sends now, whatever the interval (e.g. right after a rule change the user waits for). */
  flushNow(): void {
    if (this.stopped) return;
    this.cancel();
    this.send();
  }

  private send(): void {
    const batch: CoalescedBatch<A, D, M> = {
      seq: ++this.seq,
      alerts: this.alerts,
      omittedAlerts: this.omittedAlerts,
      diagnostics: this.diagnostics,
      omittedDiagnostics: this.omittedDiagnostics,
      metrics: this.options.snapshot(),
    };
    this.alerts = [];
    this.diagnostics = [];
    this.omittedAlerts = 0;
    this.omittedDiagnostics = 0;
    this.lastSent = this.timer.now();
    if (this.options.heartbeatMs > 0) this.schedule(this.options.heartbeatMs);
    this.options.deliver(batch);
  }

  private schedule(delayMs: number): void {
    this.scheduleAt(this.timer.now() + delayMs);
  }

  /** Keeps the earliest of the scheduled times. */
  private scheduleAt(at: number): void {
    if (this.pending !== undefined && this.pendingAt <= at) return;
    this.cancel();
    this.pendingAt = at;
    this.pending = this.timer.setTimeout(() => {
      this.pending = undefined;
      this.pendingAt = Infinity;
      if (!this.stopped) this.send();
    }, Math.max(0, at - this.timer.now()));
  }

  private cancel(): void {
    if (this.pending !== undefined) this.timer.clearTimeout(this.pending);
    this.pending = undefined;
    this.pendingAt = Infinity;
  }
}
