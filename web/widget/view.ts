/**
 * What `<vigil-detections>` shows, made on the page from the worker protocol's update batches
 * (src/runtime/worker/protocol.ts): alert summaries and counts.
 */

/** An alert as the widget shows it: small, no contributing events. */
export interface AlertSummary {
  /** 1, 2, 3… in arrival order. */
  id: number;
  rule: string;
  /** A short text of the alert's fields (`user=root · server=db1 · failures=12`). */
  summary: string;
  severity?: string;
  /** Processing time the alert was raised (epoch ms). */
  time: number;
  /** Event time of the alert when it has one (end of its window). */
  eventTime?: number;
  /** Engine alerts (`vigil.*`: a rule deactivated…). */
  system: boolean;
  /** Raised by the simulator while it replayed its warm-up minutes (web/widget/host.ts). */
  backfill?: boolean;
  /** The alert without its `events`, for the tooltip and the `vigil-alert` DOM event. */
  fields: Record<string, unknown>;
}

export interface Counts {
  events: number;
  alerts: number;
  /** Per rule (in rule order): alerts raised and whether the rule still runs. */
  rules: { name: string; alerts: number; state: string; reason?: string }[];
  /** Messages of the source that were not JSON events. */
  rejected: number;
  /** Runtime errors of rule functions (the engine reports and counts them). */
  ruleErrors: number;
}
