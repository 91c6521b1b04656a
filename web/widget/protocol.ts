/**
 * Messages between `<vigil-detections>` (the page) and its engine host (a Web Worker started from
 * the same module, or the page itself as a fallback). Plain structured-clone data, no comlink.
 */
import type { Diagnostic } from '../../src/lang/diagnostic.js';

/** Page → host: the one message that starts a session. */
export interface StartMessage {
  type: 'start';
  /** VGL text of the rules. */
  rules: string;
  /** Shown as the file name in diagnostics. */
  rulesFile: string;
  /** `simulator:<generator>[+<generator>…][?rate=…&seed=…]`, a ws(s):// URL or an http(s):// URL (absolute). */
  source: string;
  /** Most alerts sent per update (the page keeps as many). */
  maxAlerts: number;
}

export interface StopMessage {
  type: 'stop';
}

export type PageMessage = StartMessage | StopMessage;

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
  /** The alert without its `events`, for the tooltip and the `vigil-alert` DOM event. */
  fields: Record<string, unknown>;
}

export type SourceState = 'connecting' | 'live' | 'reconnecting' | 'error' | 'closed';

export interface SourceStatus {
  state: SourceState;
  /** What to show: "simulator: bruteforce, 200 events/s", "cannot connect to ws://…". */
  message: string;
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

export type HostMessage =
  /** The engine is loaded (ms) and the rules are applied. */
  | { type: 'ready'; loadMs: number; rules: string[] }
  /** The rules did not compile: nothing runs. */
  | { type: 'rules-error'; diagnostics: Diagnostic[] }
  /** The engine could not start, or the source is unusable. */
  | { type: 'fatal'; message: string }
  | { type: 'update'; alerts: AlertSummary[]; dropped: number; counts: Counts; source: SourceStatus; lastError?: string };
