/**
 * The protocol between a page and the engine worker: one interface both sides import.
 *
 * The worker (web/worker/) exposes a `VigilWorkerApi` with comlink; the page holds a
 * `RemoteApi<VigilWorkerApi>`, where every method returns a promise. The widget's host (web/widget/)
 * serves a `WidgetWorkerApi` the same way; both share the engine feed (`EngineFeedApi`).
 * Everything that crosses is plain data (structured clone), except the `subscribe` listener (and
 * progress callbacks), which the page wraps in `comlink.proxy`. The library does not import comlink.
 *
 * Updates flow one way, in batches: the worker coalesces alerts, runtime diagnostics and a metrics
 * snapshot into at most one `UpdateBatch` per `UPDATE_INTERVAL_MS`, so a busy engine never floods
 * the page. The engine itself never waits for the page and never drops work; only the copies of
 * alerts sent to the page are capped per batch (`omittedAlerts` counts the rest).
 *
 * Longer than ~400 lines for one reason: it is only types and limits, the whole API in one file
 * so the page, the worker and the widget read the same contract.
 */
import type { Alert, ApplyResult, EngineMetrics, EventTimeInfo, RuleInfo, RuntimeDiagnostic } from '../../engine/engine.js';
import type { Diagnostic } from '../../lang/diagnostic.js';

/** At most one update batch per this many milliseconds. */
export const UPDATE_INTERVAL_MS = 250;
/** When nothing happens, a batch (metrics only) still goes out this often, so charts move on. */
export const HEARTBEAT_MS = 1000;
/** Alerts copied to the page per batch; the rest are counted in `omittedAlerts`. */
export const MAX_ALERTS_PER_BATCH = 1000;
/** Runtime diagnostics copied to the page per batch. */
export const MAX_DIAGNOSTICS_PER_BATCH = 50;
/**
 * Events of an alert's `events` array copied to the page with it (the first ones); the worker keeps
 * them all, and the page asks for the rest (`keptAlerts`) when an analyst opens or exports the alert.
 * At 100k events/s a minute's brute-force windows close into 1,000 alerts holding ~40,000 events:
 * one 5.6 MB update, 116 ms of the page's main thread to decode. With 10 per alert it is ~1.3 MB.
 */
export const PAGE_ALERT_EVENTS = 10;

/** Generators the simulator offers (src/simulate). */
export type SimulatorGeneratorName = 'network' | 'bruteforce' | 'portscan' | 'wave' | 'noise' | 'flows' | 'sysmon';

/** An alert as the page sees it: numbered in arrival order, stamped with processing time. */
export interface AlertEnvelope {
  /** 1, 2, 3… per worker; stable identity for selection. */
  id: number;
  /** Processing time (epoch ms) when the engine raised it. */
  at: number;
  alert: Alert;
  /**
   * Events of `alert.events` left out of this copy (over PAGE_ALERT_EVENTS); absent when it has
   * them all. The worker keeps the whole alert: `keptAlerts([id])`.
   */
  omittedEvents?: number;
}

/** One version of a rule in the persisted history (kept across reloads, unlike the engine's own). */
export interface RuleHistoryEntry {
  version: number;
  action: 'create' | 'replace' | 'remove' | 'revert' | 'enable' | 'disable';
  /** The rule's text after the change ('' for remove). */
  text: string;
  author: string;
  time: number;
  /** For revert: the version restored. */
  from?: number;
}

export interface IocListSummary {
  name: string;
  /** Entries as the filter counts them. */
  count: number;
  byteSize: number;
  /** Rules whose IOC FILTERS name this list. */
  usedBy: string[];
  /**
   * 'filter': a large list (over LARGE_LIST_ENTRIES), kept and persisted as its cuckoo filter only:
   * its entries cannot be listed or edited one by one, only added or removed. Absent: 'entries'.
   */
  storage?: 'entries' | 'filter';
}

/** IOC lists with more entries than this are kept and persisted as cuckoo filter bytes only. */
export const LARGE_LIST_ENTRIES = 100_000;
/** Entries per batch when an uploaded file is streamed into a list. */
export const UPLOAD_BATCH_ENTRIES = 50_000;

/** How an uploaded list file is read (see list-upload.ts). */
export interface ListUploadOptions {
  /** 'auto' (default): CSV for .csv/.tsv names, else text (one entry a line). */
  format?: 'auto' | 'text' | 'csv';
  /** The file's name (for 'auto'; a File's own name is used when absent). */
  fileName?: string;
  /** CSV: the column, 0-based, or a header name. Default 0. */
  column?: number | string;
  /** CSV: the first row is a header (true), is not (false), or guess ('auto', the default). */
  header?: boolean | 'auto';
  /** Replace the list's entries (default: add to them; a missing list is created). */
  replace?: boolean;
}

export interface ListUploadProgress {
  bytesRead: number;
  totalBytes: number;
  /** Entries read so far (before deduplication). */
  entries: number;
  done: boolean;
}

export interface ListUploadResult extends ListUploadProgress {
  kind: 'ioc' | 'table';
  name: string;
  format: 'text' | 'csv';
  /** Entries the list holds afterwards. */
  count: number;
  /** New entries this upload added (duplicates within the file, or of a small list, left out). */
  added: number;
  lines: number;
  /** Comment, blank and empty-column lines (and a header row). */
  skipped: number;
  header?: string[];
  storage: 'entries' | 'filter';
  ms: number;
  error?: string;
}

export interface TableSummary {
  name: string;
  count: number;
}

export interface SimulatorMixPart {
  generator: SimulatorGeneratorName;
  weight: number;
  /** This generator's own error (anomaly) probability; the settings' `errorProbability` when absent. */
  errorProbability?: number;
}

export interface SimulatorSettings {
  mix: SimulatorMixPart[];
  /** Events per second (wall clock). */
  rate: number;
  /** Probability that the generator emits a malformed event. */
  errorProbability: number;
  seed: number;
}

export interface SimulatorStatus {
  /** false until src/simulate could be loaded; `error` then says why. */
  available: boolean;
  running: boolean;
  settings: SimulatorSettings;
  /** Events generated and pushed since the last (re)start. */
  generated: number;
  /** Anomalies among them (ground truth). */
  anomalies: number;
  /** Anomalies asked for with `inject` and not yet generated. */
  injected: number;
  /** Event time of the generator (epoch ms). */
  eventTime: number;
  /** Events the engine rejected (malformed). */
  rejected: number;
  /** true when the engine cannot keep up with the rate (the generator is throttled, not dropped). */
  behind: boolean;
  /** Detection quality against the generator's ground truth, when anything was scored. */
  score?: { precision: number; recall: number; truePositives: number; falsePositives: number; falseNegatives: number };
  error?: string;
}

/** A value and how often it was seen as source address over the last minute of events. */
export interface SourceCount {
  address: string;
  count: number;
}

export interface MetricsSnapshot {
  /** Processing time of the snapshot (epoch ms). */
  time: number;
  engine: EngineMetrics;
  /** Event time per USING field and source: watermarks, how far each source trails, quarantined events. */
  eventTime: EventTimeInfo[];
  /** Alerts raised per second, over the last few seconds. */
  alertsPerSecond: number;
  /** Top source addresses of the events over the last minute. */
  topSources: SourceCount[];
  /** Top destination addresses (destinationAddress, destination.ip, dst) over the last minute. */
  topDestinations: SourceCount[];
  /** Top URLs (url, url.full, http.url; else host + path) over the last minute. */
  topUrls: SourceCount[];
  simulator: SimulatorStatus;
  /** Bumped whenever the set of rules, their texts or states change: refetch `rules()`. */
  rulesVersion: number;
  /** Bumped whenever IOC lists or tables change. */
  listsVersion: number;
  /** The last engine checkpoint saved (IndexedDB), when any. */
  checkpoint?: CheckpointInfo;
  /** Set while checkpoints are not taken because the open windows hold too many events. */
  checkpointPaused?: CheckpointPause;
  /** Statistics of the flow events the engine saw (absent until the first flow). */
  flows?: FlowSummary;
  /** A host that reads its own event source (the widget's): how that goes. */
  source?: SourceStatus;
}

export type SourceState = 'connecting' | 'live' | 'reconnecting' | 'error' | 'closed';

/** The event source of a host that reads one itself (the widget's simulator, WebSocket or EventSource). */
export interface SourceStatus {
  state: SourceState;
  /** What to show: "simulator: bruteforce, 200 events/s", "cannot connect to ws://…". */
  message: string;
  /** Messages (or parts of them) that were not JSON events, and events the engine rejected. */
  rejected: number;
}

/** An engine checkpoint kept in IndexedDB. */
export interface CheckpointInfo {
  /** Processing time it was taken (epoch ms). */
  time: number;
  bytes: number;
}

/**
 * Checkpoints skipped: the open windows hold more events than a checkpoint may save (a checkpoint
 * of millions of events took the engine worker seconds and hundreds of MiB to encode).
 */
export interface CheckpointPause {
  /** Processing time of the first checkpoint skipped (epoch ms). */
  since: number;
  /** Events held in open windows at the last one skipped (EngineMetrics.windowEvents). */
  windowEvents: number;
  /** The most events a checkpoint saves. */
  limit: number;
}

// ── state-machine debugger ─────────────────────────────────────────────────

/** One transition of a STATE MACHINE rule's definition. */
export interface MachineEdge {
  from: string;
  to: string;
  /** The ON field's value that takes this transition. */
  event: string;
}

/** A STATE MACHINE rule's definition as plain data: what the debugger draws. */
export interface MachineDefinition {
  rule: string;
  keyFields: string[];
  /** The field naming the transition. */
  on: string;
  /** The USING field, when the rule has one. */
  timeField?: string;
  /** INITIAL first, then in order of first mention; TERM last when any transition reaches it. */
  states: string[];
  edges: MachineEdge[];
  timeoutMs?: number;
  resetOnAlert: boolean;
  /** SOURCES selectors (all must hold). */
  sources: { field: string; values: string[] }[];
  /** true when the rule has a FILTER or IOC FILTERS. */
  filtered: boolean;
}

/** One event of one key through a STATE MACHINE rule, as the engine stepped it (`engine.onTransition`). */
export interface TrailStep {
  /** 1, 2, 3… per rule. */
  seq: number;
  /** Processing time it was pushed (epoch ms). */
  at: number;
  /** Event time (the USING field), else processing time. */
  time: number;
  from: string;
  /** The state it led to ('TERM' when the machine ended); null for an invalid event (no transition for it in `from`). */
  to: string | null;
  /** The ON field's value. */
  event: string;
  valid: boolean;
  /** The event itself. */
  data: Record<string, unknown>;
}

export interface MachineSnapshot {
  rule: string;
  definition: MachineDefinition;
  liveKeys: number;
  byteSize: number;
  /** Keys per state, from the engine (INITIAL counts only keys the table holds). */
  states: Record<string, number>;
  /** Every transition of the definition with how often it was taken, and per second over the last 10 s. */
  edges: (MachineEdge & { count: number; perSecond: number })[];
  /** Invalid events by the state they came in and their type. */
  invalid: { from: string; event: string; count: number; perSecond: number }[];
  steps: number;
  invalidSteps: number;
  /** Keys that made invalid transitions, most recent first. */
  alertedKeys: string[];
  watchedKeys: string[];
  /** Keys with recent steps, most recent first. */
  recentKeys: string[];
}

export interface MachineTrail {
  rule: string;
  key: string;
  /** The engine's state of the key now. */
  state: string;
  /** Oldest first (the last N the worker kept). */
  steps: TrailStep[];
  watched: boolean;
}

// ── replay ─────────────────────────────────────────────────────────────────

export interface ReplayProgress {
  /** Bytes of the file read so far (compressed bytes for .gz). */
  bytesRead: number;
  totalBytes: number;
  events: number;
  alerts: number;
  /** Lines that were not JSON objects. */
  badLines: number;
  done: boolean;
}

export interface ReplayResult extends ReplayProgress {
  name: string;
  /** Alerts raised, in order (at most MAX_REPLAY_ALERTS are copied; `alerts` counts all). */
  envelopes: AlertEnvelope[];
  /** Alerts per rule. */
  byRule: Record<string, number>;
  ms: number;
  /** The first bad lines, as `LINE: reason`. */
  problems: string[];
  error?: string;
}

/** Alerts of a replay copied to the page. */
export const MAX_REPLAY_ALERTS = 20_000;

// ── benchmarks ─────────────────────────────────────────────────────────────

export interface BenchmarkInfo {
  name: string;
  title: string;
  description: string;
}

export interface BenchmarkResult {
  name: string;
  columns: string[];
  rows: Record<string, string | number>[];
  notes: string[];
  ms: number;
}

// ── network flows ──────────────────────────────────────────────────────────

/** Flows, packets and bytes. */
export interface FlowCounts {
  flows: number;
  packets: number;
  bytes: number;
}

/** One bucket of event time (`bucketMs` long) by transport: TCP, UDP, everything else. */
export interface FlowProtocolPoint {
  /** Start of the bucket (epoch ms of event.start). */
  time: number;
  tcp: FlowCounts;
  udp: FlowCounts;
  other: FlowCounts;
}

/** A source address and what it sent over the talker span. */
export interface FlowTalker extends FlowCounts {
  address: string;
}

/**
 * What the worker aggregated from the flow events (`source.ip`, `destination.ip`,
 * `destination.port`, `network.transport`, `network.bytes`, `network.packets`, `event.start`) it
 * pushed to the engine; sent with every metrics snapshot, so it stays small.
 */
export interface FlowSummary {
  /** Bumped whenever a flow arrives or a window closes. */
  version: number;
  /** Flows seen since the start (or the last reset). */
  flows: number;
  /** Flows whose feature window had already closed (counted in the protocol buckets only). */
  late: number;
  /** Latest event.start seen. */
  eventTime: number;
  bucketMs: number;
  /** Protocol buckets, oldest first, without gaps (empty buckets are zeros). */
  protocols: FlowProtocolPoint[];
  /** Sums of `protocols`. */
  totals: { tcp: FlowCounts; udp: FlowCounts; other: FlowCounts };
  /** Length of the host windows (features, host profiles). */
  windowMs: number;
  /** Top talkers are counted over the windows of this last stretch of event time. */
  talkerSpanMs: number;
  /** Distinct source addresses over the talker span. */
  sources: number;
  topByBytes: FlowTalker[];
  topByFlows: FlowTalker[];
  /** The trained model, when there is one: refetch `flowModel()` when `version` changes. */
  model?: { version: number; trainedAt: number; k: number; flagged: number };
}

/** A host's traffic in one window: as a source (`out`) and as a destination (`in`). */
export interface FlowHostCounts extends FlowCounts {
  /** Distinct destination addresses (out) or source addresses (in). */
  peers: number;
  /** Distinct destination ports: those it connected to (out) or was reached on (in). */
  ports: number;
}

export interface FlowHostWindow {
  windowStart: number;
  /** The window is still open: its counts still grow. */
  open: boolean;
  out: FlowHostCounts;
  in: FlowHostCounts;
  /** The model's verdict on the window's outbound features, once a model was trained. */
  label?: string;
  score?: number;
}

export interface FlowHostProfile {
  address: string;
  windowMs: number;
  /** Every window kept, oldest first (zeros where the host was silent). */
  windows: FlowHostWindow[];
}

/** A feature row (host × window) placed in the plane of the first two principal components. */
export interface FlowModelPoint {
  host: string;
  windowStart: number;
  /** Raw features in FEATURE_NAMES order (src/ml/features.ts). */
  features: number[];
  x: number;
  y: number;
  cluster: number;
  /** The cluster's label (training points) or the KNN's vote (scored points). */
  label: string;
  /** Share of the KNN vote that says anomalous (scored points). */
  score?: number;
  /** Ground truth from the simulator: the majority of the row's flows were injected anomalies. */
  truth?: boolean;
}

export interface FlowModelCluster {
  index: number;
  label: string;
  /** Who decided the label: the user, the simulator's ground truth, or (no truth) cluster size. */
  labelledBy: 'user' | 'truth' | 'size';
  size: number;
  /** Rows of the cluster whose ground truth is anomalous / known. */
  truthAnomalous: number;
  truthKnown: number;
  /** The centroid in the plane of the plot. */
  x: number;
  y: number;
}

/** The trained flow model as the Flows view draws it. */
export interface FlowModelView {
  /** Bumped on training, relabelling and each scored window. */
  version: number;
  trainedAt: number;
  /** Training time (ms), features to KNN. */
  ms: number;
  features: string[];
  windowMs: number;
  k: number;
  silhouette: { k: number; score: number }[];
  clusters: FlowModelCluster[];
  /** Share of the variance along the two axes. */
  explained: number[];
  /** The training rows. */
  points: FlowModelPoint[];
  /** Rows of windows that closed after training, classified by the KNN (the newest last). */
  scored: FlowModelPoint[];
  /** Of the training rows, those with ground truth, and how many of them the clusters got right. */
  truthRows: number;
  truthAgreement: number;
}

// ── rule preview (web/worker/services/preview.ts) ──────────────────────────

/** Events of the live stream the worker keeps for previews (by processing time), at most this long ago. */
export const PREVIEW_RING_MINUTES = 5;
/** …and at most this many events… */
export const PREVIEW_RING_MAX_EVENTS = 50_000;
/** …and at most about this many bytes (JSON size, estimated from a sample of the events). */
export const PREVIEW_RING_MAX_BYTES = 16 * 1024 * 1024;
/** Events whose path through the draft is reported one by one (the rest are run in batches). */
export const PREVIEW_PATH_EVENTS = 500;
/** Alerts of a preview copied to the page (`alertCount` counts all). */
export const PREVIEW_MAX_ALERTS = 1000;
/** Events a pasted or dropped sample may hold. */
export const PREVIEW_MAX_EVENTS = 200_000;

/** What a draft is previewed against. */
export type PreviewSample =
  /** Pasted text: one JSON object, a JSON array of objects, or JSON lines. */
  | { kind: 'events'; text: string }
  /** The last `minutes` (≤ PREVIEW_RING_MINUTES) of the live stream, from the worker's ring buffer. */
  | { kind: 'live'; minutes?: number }
  /** A JSON-lines file (gzip or not). */
  | { kind: 'file'; file: Blob; name: string };

/** The draft's rules on one event, as far as the engine reports it. */
export interface PreviewRuleStep {
  rule: string;
  /** The rules index let the event in: SOURCES (Sigma: logsource), and the FILTER equalities the index checks itself. */
  routed: boolean;
  /** FILTER and IOC FILTERS (Sigma: the detection) passed. */
  passed: boolean;
  /** The rule has IOC FILTERS: a routed event that did not pass failed FILTER or an IOC lookup. */
  ioc: boolean;
  /**
   * A routed event's IOC FILTERS terms, looked up in the preview engine's lists (all must hold;
   * a missing value is in no list). All holding and not passed: FILTER dropped it.
   */
  iocs?: { list: string; field: string; value?: string; negated: boolean; inList: boolean; holds: boolean }[];
  kind: 'simple' | 'aggregation' | 'state-machine';
  /**
   * Aggregation rules (VGL), for an event that passed: its key (AGGREGATE BY) and the windows it
   * falls in (WITHIN length, slide; aligned to the epoch), by its USING time — else by processing time.
   */
  window?: { key: Record<string, unknown>; starts: number[]; lengthMs: number; byEventTime: boolean };
  /** State machines: the key and its transition (engine.onTransition). */
  machine?: { key: Record<string, unknown>; from: string; to: string; valid: boolean };
  /** Alerts this rule raised while this event was pushed (simple rules, machine violations, windows it closed). */
  alerts: number;
  /** Runtime errors (bad time field, rule function errors) while this event was pushed. */
  errors: number;
}

export interface PreviewStep {
  /** 0-based position in the sample. */
  index: number;
  /** The event, shortened for display (JSON, at most 300 characters). */
  summary: string;
  rules: PreviewRuleStep[];
}

/** How the engine compiled one rule of a draft. */
export interface PreviewPlan {
  rule: string;
  language: 'vgl' | 'sigma';
  kind: 'simple' | 'aggregation' | 'state-machine';
  /** Where each function runs (native or the QuickJS sandbox) and why. */
  functions: RuleInfo['functions'];
  /** Sigma: the logsource, the routing it became through the pipeline, the equalities the index can use, the filters applied. */
  sigma?: {
    pipeline: string;
    logsource: { product?: string; category?: string; service?: string };
    routing: { field: string; values: string[] }[];
    equalities: { field: string; values: string[]; caseInsensitive: boolean }[];
    filters: string[];
  };
}

export interface PreviewResult {
  ok: boolean;
  /** Compile diagnostics of the draft (with ok=false nothing ran). */
  diagnostics: Diagnostic[];
  language: 'vgl' | 'sigma';
  /** The draft's rules. */
  rules: string[];
  /** How each was compiled. */
  plans: PreviewPlan[];
  sample: string;
  events: number;
  /** Lines or items that were not JSON objects, and events the engine rejected. */
  rejected: number;
  problems: string[];
  alerts: AlertEnvelope[];
  alertCount: number;
  /** Alerts raised by the final flush (windows closed at the end of the sample). */
  flushAlerts: number;
  /** The first PREVIEW_PATH_EVENTS events' path through the draft. */
  path: PreviewStep[];
  stats: Record<string, RuleInfo['stats']>;
  /** Runtime diagnostics of the run (the first 50). */
  runtime: RuntimeDiagnostic[];
  /** Engine set-up (lists, tables, compile), the run with the flush, all. */
  cost: { setupMs: number; runMs: number; totalMs: number; eventsPerSecond: number };
  error?: string;
}

export interface PreviewRingInfo {
  events: number;
  /** Estimated JSON bytes held. */
  bytes: number;
  /** Processing time of the oldest and newest event held (epoch ms). */
  oldest?: number;
  newest?: number;
  minutes: number;
  maxEvents: number;
  maxBytes: number;
}

// ── alert triage (web/worker/alert-store.ts) ───────────────────────────────

export type AlertStatus = 'new' | 'acknowledged' | 'closed';

/** An alert as the triage view keeps it: the envelope, its event time and its status. */
export interface TriageAlert extends AlertEnvelope {
  /** Event time (epoch ms): the alert's own time field, else its window's end; absent when it has neither. */
  eventTime?: number;
  status: AlertStatus;
  /** Who set the status, and when (epoch ms); absent while new. */
  statusBy?: string;
  statusAt?: number;
}

/** How many alerts, and for how long, the worker keeps in IndexedDB. */
export interface AlertRetention {
  /** Newest alerts kept. Default DEFAULT_ALERT_RETENTION.maxAlerts. */
  maxAlerts: number;
  /** Alerts older than this (processing time) are dropped. */
  maxDays: number;
}

export const DEFAULT_ALERT_RETENTION: AlertRetention = { maxAlerts: 10_000, maxDays: 7 };
/** The bounds a retention setting is clamped to. */
export const ALERT_RETENTION_LIMITS = { maxAlerts: [100, 50_000], maxDays: [1, 365] } as const;

export interface UpdateBatch {
  /** 1, 2, 3… */
  seq: number;
  alerts: AlertEnvelope[];
  /** Alerts raised in the batch interval but not copied (over MAX_ALERTS_PER_BATCH). */
  omittedAlerts: number;
  diagnostics: RuntimeDiagnostic[];
  omittedDiagnostics: number;
  metrics: MetricsSnapshot;
}

/** What the page hands the worker at start: used only when nothing was persisted yet. */
export interface WorkerDefaults {
  rules: string;
  iocLists: Record<string, string[]>;
  tables: Record<string, string[]>;
  simulator: SimulatorSettings;
  /** Start the simulator at load. */
  simulatorRunning: boolean;
}

export interface WorkerInit {
  defaults: WorkerDefaults;
  /** Persist to IndexedDB (default true). Tests and embeds may turn it off. */
  persist?: boolean;
  /** Ignore what was persisted and start from the defaults (persisted data is replaced). */
  reset?: boolean;
  /**
   * The simulator's first stream starts this far in the past and catches up at once, so the first
   * windows close (and alerts show) right after loading. Default 0.
   */
  simulatorWarmupMs?: number;
}

export interface WorkerReady {
  /** Where the state came from. */
  restoredFrom: 'defaults' | 'storage';
  /** Rules that could not be restored, with their diagnostics. */
  restoreProblems: string[];
  /** How long loading QuickJS + Vigil's WebAssembly took (ms). */
  loadMs: number;
  /** The engine checkpoint restored at load (open windows, state machines), or why none was. */
  checkpoint?: { restored: boolean; time?: number; bytes?: number; reason?: string };
}

/** Result of a rule operation: the engine's result, with messages for non-diagnostic failures. */
export type RuleOpResult = ApplyResult & { error?: string };

/** What every engine host serves (the web app's worker and the widget's): events in, update batches out. */
export interface EngineFeedApi {
  /** The rules, in order, with their state and counters. */
  rules(): RuleInfo[];
  push(events: unknown[]): { accepted: number; rejected: { index: number; reason: string }[] };
  metrics(): MetricsSnapshot;
  /** Receives update batches until unsubscribed. Pass `comlink.proxy(listener)`. Returns a token. */
  subscribe(listener: (batch: UpdateBatch) => void): number;
  unsubscribe(token: number): void;
}

/** How the embeddable widget's host starts (web/widget). */
export interface WidgetStart {
  /** VGL text of the rules. */
  rules: string;
  /** Shown as the file name in diagnostics. */
  rulesFile: string;
  /** `simulator:<generator>[+<generator>…][?rate=…&seed=…]`, a ws(s):// URL or an http(s):// URL (absolute). */
  source: string;
}

export type WidgetStarted =
  /** The engine is loaded (ms), the rules are applied and the source is being read. */
  | { status: 'ready'; loadMs: number; rules: string[] }
  /** The rules did not compile: nothing runs. */
  | { status: 'rules-error'; diagnostics: Diagnostic[] }
  /** The engine could not start, or the source is unusable. */
  | { status: 'fatal'; message: string };

/**
 * The widget's host: the engine feed, started from rules and a source the host reads itself. Call
 * `start` first; the feed's methods throw before it succeeded.
 */
export interface WidgetWorkerApi extends EngineFeedApi {
  start(init: WidgetStart): Promise<WidgetStarted>;
  /** Closes the source and the engine. */
  stop(): void;
}

/** The engine worker's API. Methods may be sync in the worker; through comlink all are async. */
export interface VigilWorkerApi extends EngineFeedApi {
  /** Loads the engine and the persisted (or default) state. Call once, before anything else. */
  init(init: WorkerInit): Promise<WorkerReady>;

  // rules
  putRules(text: string, options?: { author?: string; file?: string }): Promise<RuleOpResult>;
  removeRule(name: string, author?: string): Promise<boolean>;
  setRuleEnabled(name: string, enabled: boolean, author?: string): Promise<void>;
  history(name: string): RuleHistoryEntry[];
  revertRule(name: string, version: number, author?: string): Promise<RuleOpResult>;
  /** Rules removed but with a history (for restore). */
  removedRules(): string[];

  // IOC lists and tables
  iocLists(): IocListSummary[];
  iocEntries(name: string): string[];
  /** Creates the list, or replaces its entries. */
  setIocList(name: string, entries: string[]): Promise<void>;
  deleteIocList(name: string): Promise<void>;
  tables(): TableSummary[];
  tableEntries(name: string): string[];
  setTable(name: string, entries: string[]): Promise<void>;
  deleteTable(name: string): Promise<void>;
  /**
   * Streams a text or CSV file into a list (created when missing) in batches of
   * UPLOAD_BATCH_ENTRIES; `onProgress` (a `comlink.proxy`) hears the bytes read now and then.
   */
  uploadList(kind: 'ioc' | 'table', name: string, file: Blob, options?: ListUploadOptions, onProgress?: (p: ListUploadProgress) => void): Promise<ListUploadResult>;
  /** Adds and removes single entries (the only edits of a list stored as a filter); returns the new count. */
  editListEntries(kind: 'ioc' | 'table', name: string, change: { add?: string[]; remove?: string[] }): Promise<{ count: number; added: number; removed: number }>;

  // simulator
  simulator(): SimulatorStatus;
  configureSimulator(settings: Partial<SimulatorSettings>): Promise<SimulatorStatus>;
  startSimulator(): Promise<SimulatorStatus>;
  stopSimulator(): Promise<SimulatorStatus>;
  /** Asks the generators for `n` anomalies soon. */
  injectAnomaly(n?: number): SimulatorStatus;
  /** Clears the scoring counters (precision/recall start again). */
  resetScore(): SimulatorStatus;

  /** Forgets persisted state and reloads the defaults. */
  resetToDefaults(): Promise<WorkerReady>;

  // state-machine debugger
  /** Names of the STATE MACHINE rules. */
  machineRules(): string[];
  /** A rule's definition, keys per state, transition counts and rates. */
  machineSnapshot(rule: string): MachineSnapshot;
  /** The recent steps of one key (its value, or a JSON array for several key fields). */
  machineTrail(rule: string, key: string): MachineTrail;
  /** Keeps (or stops keeping) a key's trail however busy the stream is. */
  watchKey(rule: string, key: string, on: boolean): void;
  /**
   * Pauses the simulator and feeds the engine one generated event at a time until one reaches the
   * rule (with `key`: until one of that key does), at most `maxEvents`; returns that step, if any.
   */
  stepMachine(rule: string, options?: { key?: string; maxEvents?: number }): Promise<{ step?: TrailStep; key?: string; events: number }>;

  // engine checkpoints
  /** Takes an engine checkpoint now and saves it (IndexedDB when persisting). */
  checkpointNow(): Promise<CheckpointInfo | undefined>;

  // replay
  /**
   * Runs the current rules and lists over a JSON-lines file (gzip when it starts with the gzip
   * magic bytes) in a fresh engine: the live one is untouched. `onProgress` (a `comlink.proxy`)
   * hears about progress now and then.
   */
  replay(file: Blob, name: string, onProgress?: (p: ReplayProgress) => void): Promise<ReplayResult>;

  // network flows
  /** A host's traffic per window, from the flows the worker aggregated. */
  flowHostProfile(address: string): FlowHostProfile;
  /** Addresses seen (as source or destination) in the kept windows that start with `prefix`, busiest first. */
  flowHosts(prefix?: string, limit?: number): string[];
  /**
   * Trains the flow model (K-Means with k by silhouette, then KNN; src/ml) on the feature rows of the
   * kept windows, labelling clusters from the simulator's ground truth when the flows came with it.
   */
  trainFlowModel(options?: { maxRows?: number }): Promise<FlowModelView>;
  /** The trained model, if any. */
  flowModel(): FlowModelView | undefined;
  /** Sets a cluster's label (the user's call wins over ground truth); the KNN votes with it from now on. */
  labelFlowCluster(cluster: number, label: 'normal' | 'anomalous'): FlowModelView;
  /** The trained model as JSON (src/ml's FlowModel, for `utils.classify` and the CLI). */
  flowModelJson(): string | undefined;

  // rule preview
  /**
   * Runs draft rules (VGL, or Sigma for a .yml/.yaml `file`) in a throwaway engine (the live one is
   * untouched) with the current IOC lists and tables, over a sample; windows close at its end.
   */
  previewRules(text: string, file: string, sample: PreviewSample): Promise<PreviewResult>;
  /** Compile diagnostics of a draft (nothing applied). */
  checkRules(text: string, file: string): Promise<Diagnostic[]>;
  /** What the live ring buffer holds. */
  previewRing(): PreviewRingInfo;
  /** The ring's events of the last `minutes`, as JSON lines (to save the sample as a file). */
  previewRingSample(minutes?: number): string;

  // alert triage
  /** The kept alerts (oldest first) with their statuses; IndexedDB keeps them across reloads. */
  triageAlerts(): Promise<TriageAlert[]>;
  /** Kept alerts whole (every event, unlike the page's copies); ids no longer kept are left out. */
  keptAlerts(ids: number[]): TriageAlert[];
  /** Sets the status of alerts; returns how many changed. */
  setAlertStatus(ids: number[], status: AlertStatus, by: string): Promise<number>;
  alertRetention(): AlertRetention;
  /** Sets (clamped) and applies the retention; returns it. */
  setAlertRetention(retention: Partial<AlertRetention>): Promise<AlertRetention>;
  /** Forgets every kept alert. */
  clearTriageAlerts(): Promise<void>;

  // benchmarks
  /** Benchmarks this build can run (empty when src/bench is missing). */
  benchmarks(): Promise<{ available: BenchmarkInfo[]; unavailable?: string }>;
  /** Runs one benchmark at small sizes in the worker (the engine pauses meanwhile). */
  runBenchmark(name: string, onProgress?: (message: string) => void): Promise<BenchmarkResult>;
}

/**
 * What a page holds of a host's API: every method returns a promise (what comlink's `Remote` gives
 * for an API of plain data). Written here so the library's types need no comlink.
 */
export type RemoteApi<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};
