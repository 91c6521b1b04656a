/**
 * The engine's public types: what goes in (options, pushes, rules) and what comes out (alerts,
 * diagnostics, rule status, metrics). Kept apart from the code so every part of the engine can name
 * them without importing the facade.
 */
import type { EventClock } from './watermark.js';
import type { Diagnostic } from '../lang/diagnostic.js';
import type { RuleStatus } from './rule-state.js';
import type { RuleLanguage } from './rule-plan.js';
import type { SigmaMeta } from '../sigma/index.js';
import type { FlowModels, FunctionPhase, IocSetFactory, SandboxFactory, StateTableFactory, WindowBufferFactory } from './ports.js';

/** See EngineOptions.activity. Called once per rule function and batch, not per event. */
export interface RuleActivity {
  enter(rule: string, phase: FunctionPhase): void;
  leave(): void;
}

/** What a runtime hands the engine: its ports (src/engine/ports.ts), loaded the runtime's way. */
export interface EngineHost {
  /** Runs rule functions that cannot run natively (src/sandbox: `createSandboxFactory(quickjs)`). */
  sandboxes: SandboxFactory;
  /** Checks and scores flow models for `utils.classify` (src/ml: `flowModels`). */
  models: FlowModels;
  iocSets: IocSetFactory;
  stateTables: StateTableFactory;
  windowBuffers: WindowBufferFactory;
}

/** An alert: the object SINK returned, plus `rule` and, for aggregation rules, key and window. */
export interface Alert {
  rule: string;
  [field: string]: unknown;
}

/** Something the engine reports about the stream while it runs (late events, rule errors…). */
export interface RuntimeDiagnostic {
  /** `vigil.late`, `vigil.rule.error`, `vigil.time`, `vigil.reentry`, `vigil.input`, `vigil.restore`, `vigil.state-limit`. */
  code: string;
  message: string;
  rule?: string;
  [detail: string]: unknown;
}

export interface RuleInfo {
  name: string;
  state: RuleStatus;
  deactivation?: { kind: string; reason: string; at: number };
  version: number;
  text: string;
  file: string;
  language: RuleLanguage;
  /** A Sigma rule's id, level, status, tags and references. */
  sigma?: SigmaMeta;
  kind: 'simple' | 'aggregation' | 'state-machine';
  /** Where each function runs, and why a function went to the sandbox. */
  functions: { phase: FunctionPhase; mode: 'native' | 'sandbox'; reason?: string }[];
  /** `shed`: events and keys not kept because the rule's state was at its bound (maxHeldEvents, maxStateKeys). */
  stats: { routed: number; matched: number; alerts: number; late: number; errors: number; suppressed: number; shed: number };
}

export interface RuleVersion {
  version: number;
  action: 'create' | 'replace' | 'remove' | 'revert';
  text: string;
  author: string;
  time: number;
}

export interface ApplyOptions {
  file?: string;
  /** `vgl` or `sigma`; by default Sigma for a `.yml`/`.yaml` file name, else VGL. */
  language?: RuleLanguage;
  author?: string;
  /** With false, a rule whose name exists already is an error. Default true. */
  replace?: boolean;
}

export interface ApplyResult {
  ok: boolean;
  added: string[];
  replaced: string[];
  diagnostics: Diagnostic[];
}

/** Where a batch comes from, for event time (see EngineOptions.watermarkBy). */
export interface PushOptions {
  /**
   * The source of the batch: an exporter and observation domain, a file, a partition and client.
   * Event time advances per source; the engine's watermark is the minimum over active sources.
   */
  source?: string;
  /** This source's out-of-order bound, overriding `outOfOrderMs` (a collector derives it per exporter). */
  outOfOrderMs?: number;
}

export interface PushResult {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

export interface StateMachineStats {
  liveKeys: number;
  byteSize: number;
  /** INITIAL first, then the states in order of first mention. */
  stateNames: string[];
  /** Keys per state, when asked for (it walks every key). INITIAL counts only keys the table holds. */
  states?: Record<string, number>;
}

export interface EventTimeInfo {
  field: string;
  watermark: number | null;
  sources: ReturnType<EventClock['describe']>;
}

export interface EngineMetrics {
  eventsIn: number;
  eventsPerSecond: number;
  alertsOut: number;
  lateEvents: number;
  deactivations: number;
  reentries: number;
  /** Events whose time was too far ahead (vigil.future): they moved no event time. */
  quarantined: number;
  /**
   * Events held in the open windows of every rule (a rule's each counted; an event in several
   * sliding windows of one rule once): what a checkpoint saves of them, and so its size and cost.
   */
  windowEvents: number;
  rules: Record<string, RuleInfo['stats'] & { state: RuleInfo['state'] }>;
}

