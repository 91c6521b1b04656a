/**
 * The widget's engine host: builds the engine (createBrowserEngine), applies the rules, connects
 * the source (simulator, WebSocket or EventSource), and sends the page an update at most every
 * 250 ms (new alerts, counts, source status). Runs in the widget's Web Worker, or in the page when
 * no worker can be started. One host per element.
 */
import type { Engine } from '../../src/engine/engine.js';
import { createBrowserEngine } from '../../src/runtime/browser.js';
import { SimulatorDriver } from '../worker/simulator.js';
import { simulatorLib } from '../worker/simulator-lib.js';
import { decodeMessage, parseSource, toSummary, type SourceSpec } from './format.js';
import type { AlertSummary, Counts, HostMessage, PageMessage, SourceStatus, StartMessage } from './protocol.js';

const UPDATE_MS = 250;
const HEARTBEAT_MS = 1000;
/** The simulator starts this far in the past and catches up, so one-minute windows close quickly. */
const SIMULATOR_WARMUP_MS = 120_000;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export class WidgetHost {
  private engine: Engine | undefined;
  private stopped = false;
  private maxAlerts = 50;
  private pending: AlertSummary[] = [];
  private dropped = 0;
  private nextId = 1;
  private rejected = 0;
  private ruleErrors = 0;
  private lastError: string | undefined;
  private dirty = true;
  private lastSent = 0;
  private timers: ReturnType<typeof setInterval>[] = [];
  private source: SourceStatus = { state: 'connecting', message: 'starting' };
  private closeSource: () => void = () => {};

  constructor(private readonly post: (message: HostMessage) => void) {}

  handle(message: PageMessage): void {
    if (message.type === 'start') void this.start(message);
    else if (message.type === 'stop') this.stop();
  }

  async start(init: StartMessage): Promise<void> {
    this.maxAlerts = Math.max(1, init.maxAlerts);
    let spec: SourceSpec;
    try {
      spec = parseSource(init.source);
    } catch (error) {
      this.post({ type: 'fatal', message: messageOf(error) });
      return;
    }
    let loadMs: number;
    try {
      const loaded = await createBrowserEngine();
      this.engine = loaded.engine;
      loadMs = loaded.loadMs;
    } catch (error) {
      this.post({ type: 'fatal', message: `the engine did not load: ${messageOf(error)}` });
      return;
    }
    if (this.stopped) return this.dispose();
    const engine = this.engine;
    const result = engine.putRules(init.rules, { file: init.rulesFile, author: 'widget' });
    if (!result.ok) {
      this.post({ type: 'rules-error', diagnostics: result.diagnostics.filter((d) => d.severity === 'error') });
      return this.dispose();
    }
    if (!engine.rules().length) {
      this.post({ type: 'fatal', message: 'the rules text holds no rule' });
      return this.dispose();
    }
    engine.onAlert((alert) => {
      const summary = toSummary(alert, this.nextId++, Date.now());
      if (this.pending.length >= this.maxAlerts) {
        this.pending.shift();
        this.dropped++;
      }
      this.pending.push(summary);
      this.dirty = true;
    });
    engine.onDiagnostic((d) => {
      if (d.code === 'vigil.rule.error') {
        this.ruleErrors++;
        this.lastError = d.message;
        this.dirty = true;
      }
    });
    this.post({ type: 'ready', loadMs, rules: engine.rules().map((r) => r.name) });
    this.timers.push(setInterval(() => this.tick(), UPDATE_MS));
    // Rules without USING run on processing time: their windows close as the clock moves.
    this.timers.push(setInterval(() => this.engine?.advanceTime(), 1000));
    this.connect(spec);
    this.flushUpdate();
  }

  stop(): void {
    this.stopped = true;
    this.dispose();
  }

  private dispose(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.closeSource();
    this.closeSource = () => {};
    this.engine?.dispose();
    this.engine = undefined;
  }

  private push(events: Record<string, unknown>[]): number {
    const engine = this.engine;
    if (!engine || !events.length) return 0;
    const result = engine.push(events);
    engine.advanceTime();
    this.dirty = true;
    return result.rejected.length;
  }

  private setSource(state: SourceStatus['state'], message: string): void {
    this.source = { state, message };
    this.dirty = true;
  }

  private connect(spec: SourceSpec): void {
    if (spec.kind === 'simulator') this.connectSimulator(spec.simulator);
    else if (spec.kind === 'websocket') this.connectWebSocket(spec.url);
    else this.connectEventSource(spec.url);
  }

  private connectSimulator(sim: Extract<SourceSpec, { kind: 'simulator' }>['simulator']): void {
    const driver = new SimulatorDriver(
      simulatorLib,
      { push: (events) => this.push(events) },
      undefined,
      () => {
        this.dirty = true;
      },
      SIMULATOR_WARMUP_MS,
    );
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
    this.setSource('live', `simulator: ${sim.generators.join(' + ')}, ${sim.rate} events/s`);
    this.closeSource = () => driver.stop();
    // The driver stops itself when a generator throws; report it.
    const watch = setInterval(() => {
      const status = driver.status();
      if (status.error && this.source.state !== 'error') this.setSource('error', `simulator stopped: ${status.error}`);
    }, 1000);
    this.timers.push(watch);
  }

  private onMessageText(text: string): void {
    const { events, rejected } = decodeMessage(text);
    this.rejected += rejected + this.push(events);
    if (rejected) this.dirty = true;
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

  private tick(): void {
    const now = Date.now();
    if (this.dirty || now - this.lastSent >= HEARTBEAT_MS) this.flushUpdate();
  }

  private flushUpdate(): void {
    const engine = this.engine;
    if (!engine) return;
    const metrics = engine.metrics();
    const counts: Counts = {
      events: metrics.eventsIn,
      alerts: metrics.alertsOut,
      rules: engine.rules().map((r) => ({
        name: r.name,
        alerts: r.stats.alerts,
        state: r.state,
        reason: r.deactivation?.reason,
      })),
      rejected: this.rejected,
      ruleErrors: this.ruleErrors,
    };
    this.post({ type: 'update', alerts: this.pending, dropped: this.dropped, counts, source: this.source, lastError: this.lastError });
    this.pending = [];
    this.dropped = 0;
    this.dirty = false;
    this.lastSent = Date.now();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** In the widget's worker: one host, driven by the page's messages. */
export function serveWorker(scope: { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void }): void {
  const host = new WidgetHost((message) => scope.postMessage(message));
  scope.addEventListener('message', (event: MessageEvent) => host.handle(event.data as PageMessage));
}
