/**
 * One engine behind the HTTP API: the engine, a bounded ring of its alerts (read with a cursor),
 * and, when given a store, a checkpoint after every change, so a restarted instance (a Durable
 * Object evicted or crashed, a Deno process restarted) resumes with nothing lost and nothing twice.
 * The alert ring travels inside the checkpoint (the engine's `extra`), so cursors survive restarts.
 */
import type { Alert } from '../engine/engine.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { parseRules } from '../lang/parse.js';
import type { ChunkedCheckpointStore } from './checkpoint-store.js';
import {
  HttpError,
  type AlertPage,
  type IngestResult,
  type InstanceMetrics,
  type PutRuleResult,
  type RuleSummary,
  type VigilService,
} from './service.js';

export interface InstanceOptions {
  /** Alerts kept for `GET /alerts`; older ones are dropped (and counted). Default 10 000. */
  alertCapacity?: number;
  /** Where checkpoints go; without one the instance keeps its state in memory only. */
  store?: ChunkedCheckpointStore;
}

interface RingState {
  nextSeq: number;
  items: [number, Alert][];
}

export class EngineInstance implements VigilService {
  private readonly capacity: number;
  private ring: [number, Alert][] = [];
  private nextSeq = 1;

  private constructor(
    readonly engine: EngineSurface,
    private readonly options: InstanceOptions,
  ) {
    this.capacity = Math.max(1, options.alertCapacity ?? 10_000);
    engine.onAlert((alert) => {
      // A plain copy: the engine's alerts carry a non-enumerable `fields` view.
      this.ring.push([this.nextSeq++, JSON.parse(JSON.stringify(alert)) as Alert]);
      if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    });
  }

  /** Wraps an engine, restoring the last checkpoint from the store when there is one. */
  static async open(engine: EngineSurface, options: InstanceOptions = {}): Promise<EngineInstance> {
    const instance = new EngineInstance(engine, options);
    const bytes = await options.store?.read();
    if (bytes) {
      const { extra } = engine.restore(bytes);
      const ring = (extra as { alerts?: RingState } | undefined)?.alerts;
      if (ring) {
        instance.nextSeq = ring.nextSeq;
        instance.ring = ring.items.slice(-instance.capacity);
      }
    }
    return instance;
  }

  async ingest(events: Record<string, unknown>[]): Promise<IngestResult> {
    const result = this.engine.push(events);
    await this.persist();
    return result;
  }

  async alerts(since: string | undefined, limit: number): Promise<AlertPage> {
    let after = 0;
    if (since !== undefined && since !== '') {
      if (!/^\d+$/.test(since)) throw new HttpError(400, 'bad-cursor', `cursor "${since}" is not one this server gave`);
      after = Number(since);
    }
    const oldest = this.ring.length ? this.ring[0]![0] : this.nextSeq;
    const dropped = since === undefined ? 0 : Math.max(0, oldest - after - 1);
    const page = this.ring.filter(([seq]) => seq > after).slice(0, Math.max(0, limit));
    const cursor = page.length ? page[page.length - 1]![0] : Math.max(after, oldest - 1);
    return { alerts: page.map(([, alert]) => alert), cursor: String(cursor), dropped };
  }

  async putRule(name: string, text: string, author: string): Promise<PutRuleResult> {
    const parsed = parseRules(text, name);
    if (!parsed.diagnostics.some((d) => d.severity === 'error')) {
      const names = parsed.rules.map((r) => r.name);
      if (names.length !== 1 || names[0] !== name) {
        throw new HttpError(400, 'rule-name-mismatch', `the body must hold exactly one rule, named "${name}"; it holds ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`);
      }
    }
    const result = this.engine.putRules(text, { file: name, author });
    if (!result.ok) return { ok: false, diagnostics: result.diagnostics };
    await this.persist();
    return { ok: true, created: result.added.includes(name), version: this.engine.rule(name)!.version };
  }

  async rules(): Promise<RuleSummary[]> {
    return this.engine.rules().map(({ name, state, deactivation, version, kind, text, stats }) => ({ name, state, deactivation, version, kind, text, stats }));
  }

  async deleteRule(name: string, author: string): Promise<boolean> {
    const removed = this.engine.removeRule(name, { author });
    if (removed) await this.persist();
    return removed;
  }

  async putIocList(name: string, entries: string[]): Promise<{ count: number }> {
    const iocs = this.engine.iocs;
    // Replace in one synchronous step: rules look their list up by name on every batch.
    if (iocs.exists(name)) iocs.drop(name);
    iocs.create(name, { capacity: Math.max(1024, entries.length) });
    iocs.add(name, entries);
    await this.persist();
    return { count: iocs.list().find((l) => l.name === name)!.count };
  }

  async deleteIocList(name: string): Promise<boolean> {
    if (!this.engine.iocs.exists(name)) return false;
    try {
      this.engine.iocs.delete(name);
    } catch (error) {
      throw new HttpError(409, 'ioc-list-in-use', (error as Error).message);
    }
    await this.persist();
    return true;
  }

  async flush(): Promise<void> {
    this.engine.flush();
    await this.persist();
  }

  /** Processing time moved (an alarm, a timer): close the windows that are due. Idempotent. */
  async advanceTime(): Promise<void> {
    this.engine.advanceTime();
    await this.persist();
  }

  /** Whether anything waits on processing time (so a runtime should keep a timer or alarm going). */
  hasTimedRules(): boolean {
    return this.engine.rules().some((r) => r.state === 'active' && r.kind !== 'simple');
  }

  async metrics(): Promise<InstanceMetrics> {
    return { ...this.engine.metrics(), alertRing: { capacity: this.capacity, size: this.ring.length, nextSeq: this.nextSeq } };
  }

  /** Writes a checkpoint now (the engine's state and the alert ring), if there is a store. */
  private async persist(): Promise<void> {
    if (!this.options.store) return;
    const ring: RingState = { nextSeq: this.nextSeq, items: this.ring };
    await this.options.store.write(this.engine.checkpoint({ alerts: ring }));
  }
}
