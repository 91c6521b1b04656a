/**
 * The widget's engine host, serving the worker protocol's `WidgetWorkerApi` (src/runtime/worker/
 * protocol.ts) through comlink: builds the engine (createBrowserEngine), applies the rules,
 * connects the source (simulator, WebSocket or EventSource) and feeds the page update batches with
 * the web app's update feed (web/worker/services/update-feed.ts: at most one every 250 ms, a
 * heartbeat every second). Runs in the widget's Web Worker, or in the page when no worker can be
 * started. One host per element.
 */
import * as Comlink from 'comlink';
import type { Engine, RuleInfo } from '../../src/engine/engine.js';
import { createBrowserEngine } from '../../src/targets/browser.js';
import type {
  MetricsSnapshot,
  SourceStatus,
  UpdateBatch,
  WidgetStart,
  WidgetStarted,
  WidgetWorkerApi,
} from '../../src/runtime/worker/protocol.js';
import { UpdateFeed } from '../worker/services/update-feed.js';
import { SimulatorDriver } from '../worker/simulator.js';
import { simulatorLib } from '../worker/simulator-lib.js';
import { decodeMessage, parseSource, type SourceSpec } from './format.js';

/** The simulator starts this far in the past and catches up, so one-minute windows close quickly. */
const SIMULATOR_WARMUP_MS = 120_000;
/** Event time this close to the clock is live (the page's element uses the same margin). */
const SIMULATOR_BACKFILL_LAG_MS = 5000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export class WidgetHost implements WidgetWorkerApi {
  private engine: Engine | undefined;
  private feed: UpdateFeed | undefined;
  private driver: SimulatorDriver | undefined;
  private stopped = false;
  private timers: ReturnType<typeof setInterval>[] = [];
  private source: SourceStatus = { state: 'connecting', message: 'starting', rejected: 0 };
  private closeSource: () => void = () => {};

  constructor(
    /** The browser engine; tests hand in the Node one. */
    private readonly createEngine: () => Promise<{ engine: Engine; loadMs: number }> = createBrowserEngine,
  ) {}

  async start(init: WidgetStart): Promise<WidgetStarted> {
    let spec: SourceSpec;
    try {
      spec = parseSource(init.source);
    } catch (error) {
      return { status: 'fatal', message: messageOf(error) };
    }
    let loaded: { engine: Engine; loadMs: number };
    try {
      loaded = await this.createEngine();
    } catch (error) {
      return { status: 'fatal', message: `the engine did not load: ${messageOf(error)}` };
    }
    const engine = loaded.engine;
    if (this.stopped) {
      engine.dispose();
      return { status: 'fatal', message: 'stopped' };
    }
    const result = engine.putRules(init.rules, { file: init.rulesFile, author: 'widget' });
    if (!result.ok) {
      engine.dispose();
      return { status: 'rules-error', diagnostics: result.diagnostics.filter((d) => d.severity === 'error') };
    }
    if (!engine.rules().length) {
      engine.dispose();
      return { status: 'fatal', message: 'the rules text holds no rule' };
    }
    this.engine = engine;
    this.driver = new SimulatorDriver(simulatorLib, { push: (events) => this.pushEvents(events) }, undefined, () => this.feed?.markDirty(), SIMULATOR_WARMUP_MS);
    const driver = this.driver;
    // The embedding page's `vigil-alert` events carry alerts as raised: every event, no cut.
    const feed = new UpdateFeed(
      engine,
      () => Date.now(),
      {
        simulator: () => driver.status(),
        checkpoint: () => undefined,
        flows: () => undefined,
        source: () => this.source,
        ruleStatesChanged: () => {},
      },
      undefined,
      Number.POSITIVE_INFINITY,
    );
    this.feed = feed;
    engine.onAlert((alert) => feed.alert(alert));
    engine.onDiagnostic((d) => feed.diagnostic(d));
    // Rules without USING run on processing time: their windows close as the clock moves.
    this.timers.push(setInterval(() => this.engine?.advanceTime(), 1000));
    this.connect(spec);
    feed.start();
    return { status: 'ready', loadMs: loaded.loadMs, rules: engine.rules().map((r) => r.name) };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.closeSource();
    this.closeSource = () => {};
    this.feed?.stop();
    this.engine?.dispose();
    this.engine = undefined;
  }

  // ── the engine feed ──────────────────────────────────────────────────────

  rules(): RuleInfo[] {
    return this.started().engine.rules();
  }

  push(events: unknown[]): { accepted: number; rejected: { index: number; reason: string }[] } {
    const { engine, feed } = this.started();
    const result = engine.push(events);
    engine.advanceTime();
    feed.markDirty();
    return result;
  }

  metrics(): MetricsSnapshot {
    return this.started().feed.metrics();
  }

  subscribe(listener: (batch: UpdateBatch) => void): number {
    return this.started().feed.subscribe(listener);
  }

  unsubscribe(token: number): void {
    this.feed?.unsubscribe(token);
  }

  private started(): { engine: Engine; feed: UpdateFeed } {
    if (!this.engine || !this.feed) throw new Error('the widget host has not started (or has stopped)');
    return { engine: this.engine, feed: this.feed };
  }

  /** Events of the source; returns how many the engine rejected. */
  private pushEvents(events: Record<string, unknown>[]): number {
    if (!this.engine || !events.length) return 0;
    return this.push(events).rejected.length;
  }

  private setSource(state: SourceStatus['state'], message: string): void {
    this.source = { ...this.source, state, message };
    this.feed?.markDirty();
  }

  private connect(spec: SourceSpec): void {
    if (spec.kind === 'simulator') this.connectSimulator(spec.simulator);
    else if (spec.kind === 'websocket') this.connectWebSocket(spec.url);
    else this.connectEventSource(spec.url);
  }

  private connectSimulator(sim: Extract<SourceSpec, { kind: 'simulator' }>['simulator']): void {
    const driver = this.driver!;
    try {
      driver.configure({
        mix: sim.generators.map((generator) => ({ generator, weight: 1 })),
        rate: sim.rate,
        seed: sim.seed,
        errorProbability: sim.errorProbability,
      });
      driver.start();
    } catch (error) {
      this.setSource('error', `simulator: ${messageOf(error)}`);
      return;
    }
    const live = `simulator: ${sim.generators.join(' + ')}, ${sim.rate} events/s`;
    // It starts SIMULATOR_WARMUP_MS in the past: say so until its event time has caught up.
    const backfilling = `${live}, backfilling the last ${Math.round(SIMULATOR_WARMUP_MS / 60_000)} min`;
    this.setSource('live', backfilling);
    this.closeSource = () => driver.stop();
    // The driver stops itself when a generator throws; report it.
    const watch = setInterval(() => {
      const status = driver.status();
      if (status.error && this.source.state !== 'error') this.setSource('error', `simulator stopped: ${status.error}`);
      else if (this.source.message === backfilling && status.eventTime >= Date.now() - SIMULATOR_BACKFILL_LAG_MS) this.setSource('live', live);
    }, 1000);
    this.timers.push(watch);
  }

  private onMessageText(text: string): void {
    const { events, rejected } = decodeMessage(text);
    const more = rejected + this.pushEvents(events);
    if (more) {
      this.source = { ...this.source, rejected: this.source.rejected + more };
      this.feed?.markDirty();
    }
  }

  private connectWebSocket(url: string): void {
    if (typeof WebSocket === 'undefined') {
      this.setSource('error', 'WebSocket is not available here');
      return;
    }
    let socket: WebSocket | undefined;
    let retryMs = RECONNECT_MIN_MS;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const open = () => {
      // While retrying after a failure, the failure stays on screen until the socket opens.
      if (this.source.state !== 'error') this.setSource(this.source.state === 'live' ? 'reconnecting' : 'connecting', `connecting to ${url}`);
      let opened = false;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        this.setSource('error', `cannot connect to ${url}: ${messageOf(error)}`);
        return;
      }
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        opened = true;
        retryMs = RECONNECT_MIN_MS;
        this.setSource('live', `WebSocket ${url}`);
      };
      socket.onmessage = (message: MessageEvent) => {
        const data = message.data as unknown;
        this.onMessageText(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer));
      };
      socket.onclose = (event: CloseEvent) => {
        if (closed) return;
        const seconds = Math.round(retryMs / 1000);
        const why = opened
          ? `connection to ${url} closed${event.code && event.code !== 1000 ? ` (code ${event.code})` : ''}`
          : `cannot connect to ${url}`;
        this.setSource(opened ? 'reconnecting' : 'error', `${why}; retrying in ${seconds} s`);
        retry = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
      };
    };
    open();
    this.closeSource = () => {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }

  private connectEventSource(url: string): void {
    if (typeof EventSource === 'undefined') {
      this.setSource('error', 'EventSource is not available here');
      return;
    }
    let source: EventSource;
    try {
      source = new EventSource(url);
    } catch (error) {
      this.setSource('error', `cannot connect to ${url}: ${messageOf(error)}`);
      return;
    }
    let opened = false;
    this.setSource('connecting', `connecting to ${url}`);
    source.onopen = () => {
      opened = true;
      this.setSource('live', `EventSource ${url}`);
    };
    source.onmessage = (message: MessageEvent<string>) => this.onMessageText(message.data);
    source.onerror = () => {
      // CLOSED: the browser gave up (not reachable with an event stream: 404, wrong type, CORS…);
      // CONNECTING: it retries by itself.
      if (source.readyState === EventSource.CLOSED) {
        this.setSource('error', `cannot read events from ${url}: the server is unreachable or does not send text/event-stream`);
      } else {
        this.setSource(opened ? 'reconnecting' : 'error', opened ? `connection to ${url} lost; reconnecting` : `cannot connect to ${url}; retrying`);
      }
    };
    this.closeSource = () => source.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** In the widget's worker: one host, served to the page with comlink. */
export function serveWorker(scope: Comlink.Endpoint): void {
  Comlink.expose(new WidgetHost(), scope);
}
