/**
 * The rule preview service: a draft (VGL, or Sigma YAML) run in a throwaway engine — never the live
 * one — with the current IOC lists and tables, over a pasted sample, the live ring buffer
 * (preview-ring.ts) or a JSON-lines file, windows closed at the end (flush). It reports the alerts
 * the draft would raise, each event's path through it as far as the engine tells (routed, FILTER and
 * IOC FILTERS passed — from the rule's counters, pushed one event at a time for the first
 * PREVIEW_PATH_EVENTS —, a state machine's key and transition from `engine.onTransition`, the alerts
 * and errors each event caused), and the cost. Also compiles drafts for live diagnostics.
 */
import { languageOf } from '../../../src/engine/compile-source.js';
import type { Alert, Engine, RuleInfo, RuntimeDiagnostic } from '../../../src/engine/engine.js';
import type { Diagnostic } from '../../../src/lang/diagnostic.js';
import { parseEventTime } from '../../../src/engine/event-time.js';
import { readJsonObject } from '../../../src/io/from-jsonl.js';
import { compileCheck } from '../../../src/lang/index.js';
import { getField, scalarText, type EventRecord } from '../../../src/lang/fields.js';
import { loadSigma } from '../../../src/sigma/index.js';
import {
  PREVIEW_MAX_ALERTS,
  PREVIEW_MAX_EVENTS,
  PREVIEW_PATH_EVENTS,
  type AlertEnvelope,
  type PreviewPlan,
  type PreviewResult,
  type PreviewRingInfo,
  type PreviewRuleStep,
  type PreviewSample,
  type PreviewStep,
} from '../../../src/runtime/worker/protocol.js';
import { readJsonLines } from '../replay.js';
import { messageOf, type HostContext } from './context.js';
import type { ListsService } from './lists.js';
import { PreviewRing } from './preview-ring.js';

/** The Sigma pipeline of the web app's engines (engine.worker.ts): Sysmon and Security events as evtx_dump writes them. */
export const WEB_SIGMA_PIPELINE = 'evtx-json';

/** Batch size for the events after the per-event path. */
const BATCH = 2000;
const MAX_PROBLEMS = 20;
const MAX_RUNTIME = 50;
const SUMMARY_CHARS = 300;

interface Sample {
  name: string;
  events: unknown[];
  rejected: number;
  problems: string[];
}

export class PreviewService {
  readonly ring: PreviewRing;
  /** Compiles drafts for diagnostics: kept, holding (empty) IOC lists of the live names. */
  private checker: Promise<Engine> | undefined;

  constructor(
    private readonly ctx: HostContext,
    private readonly lists: ListsService,
    private readonly createEngine: () => Promise<{ engine: Engine }>,
  ) {
    this.ring = new PreviewRing(() => ctx.now());
  }

  /** Every event given to the live engine passes here (host.ingest). */
  observe(events: readonly unknown[]): void {
    this.ring.add(events);
  }

  ringInfo(): PreviewRingInfo {
    return this.ring.info();
  }

  ringSample(minutes?: number): string {
    return this.ring
      .recent(Number(minutes) || this.ring.minutes)
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('');
  }

  async checkRules(text: string, file: string): Promise<Diagnostic[]> {
    const engine = await (this.checker ??= this.createEngine().then((e) => e.engine));
    for (const name of this.ctx.engine.iocs.names()) if (!engine.iocs.exists(name)) engine.iocs.create(name, { capacity: 1024 });
    for (const name of this.ctx.engine.tables.names()) if (!engine.tables.names().includes(name)) engine.tables.create(name, []);
    const fileName = safeFile(file);
    try {
      const result = engine.putRules(String(text), { file: fileName, author: 'check' });
      for (const name of [...result.added, ...result.replaced]) engine.removeRule(name);
      return result.diagnostics;
    } catch (error) {
      // The engine threw instead of reporting (a bug): say so at the top rather than nothing.
      return [{ severity: 'error', code: 'engine', message: `the engine refused the rules: ${messageOf(error)}`, file: fileName, line: 1, column: 1, endLine: 1, endColumn: 1, excerpt: '' }];
    }
  }

  async preview(text: string, file: string, sampleSpec: PreviewSample): Promise<PreviewResult> {
    const started = performance.now();
    const fileName = safeFile(file);
    const language = languageOf(fileName);
    const empty = (name: string): PreviewResult => ({
      ok: false,
      diagnostics: [],
      language,
      rules: [],
      plans: [],
      sample: name,
      events: 0,
      rejected: 0,
      problems: [],
      alerts: [],
      alertCount: 0,
      flushAlerts: 0,
      path: [],
      stats: {},
      runtime: [],
      cost: { setupMs: 0, runMs: 0, totalMs: 0, eventsPerSecond: 0 },
    });
    let sample: Sample;
    try {
      sample = await this.readSample(sampleSpec);
    } catch (error) {
      return { ...empty(sampleName(sampleSpec)), error: `the sample could not be read: ${messageOf(error)}` };
    }
    const { engine } = await this.createEngine();
    try {
      this.lists.copyInto(engine);
      const applied = engine.putRules(String(text), { file: fileName, author: 'preview' });
      if (!applied.ok) return { ...empty(sample.name), diagnostics: applied.diagnostics, problems: sample.problems, rejected: sample.rejected, events: sample.events.length };
      const names = applied.added;
      const infos = new Map(names.map((n) => [n, engine.rule(n)!]));
      const setupMs = performance.now() - started;
      const run = this.run(engine, names, infos, sample);
      const runMs = performance.now() - started - setupMs;
      const stats: PreviewResult['stats'] = {};
      for (const n of names) stats[n] = engine.rule(n)?.stats ?? infos.get(n)!.stats;
      return {
        ok: true,
        diagnostics: applied.diagnostics,
        language,
        rules: names,
        plans: plansOf(String(text), fileName, names.map((n) => infos.get(n)!)),
        sample: sample.name,
        events: sample.events.length,
        rejected: sample.rejected + run.rejected,
        problems: [...sample.problems, ...run.problems].slice(0, MAX_PROBLEMS),
        alerts: run.alerts,
        alertCount: run.alertCount,
        flushAlerts: run.flushAlerts,
        path: run.path,
        stats,
        runtime: run.runtime,
        cost: { setupMs, runMs, totalMs: performance.now() - started, eventsPerSecond: runMs > 0 ? (sample.events.length * 1000) / runMs : 0 },
      };
    } catch (error) {
      return { ...empty(sample.name), error: messageOf(error) };
    } finally {
      engine.dispose();
    }
  }

  private run(engine: Engine, names: string[], infos: Map<string, RuleInfo>, sample: Sample) {
    const alerts: AlertEnvelope[] = [];
    const runtime: RuntimeDiagnostic[] = [];
    const problems: string[] = [];
    let alertCount = 0;
    let rejected = 0;
    // What the event being pushed caused, per rule (the per-event part).
    let current: Map<string, PreviewRuleStep> | undefined;
    engine.onAlert((alert: Alert) => {
      alertCount++;
      if (alerts.length < PREVIEW_MAX_ALERTS) alerts.push({ id: alertCount, at: this.ctx.now(), alert });
      const step = current?.get(alert.rule);
      if (step) step.alerts++;
    });
    engine.onDiagnostic((d) => {
      if (runtime.length < MAX_RUNTIME) runtime.push(d);
    });
    engine.onTransition((t) => {
      const step = current?.get(t.rule);
      if (step) step.machine = { key: t.key, from: t.from, to: t.to, valid: t.valid };
    });
    const windowSpecs = new Map(names.map((n) => [n, windowSpecOf(infos.get(n)!)]));
    const iocTerms = new Map(names.map((n) => [n, iocTermsOf(infos.get(n)!)]));
    const counters = () => new Map(names.map((n) => [n, { ...(engine.rule(n)?.stats ?? infos.get(n)!.stats) }]));
    const push = (events: unknown[], offset: number) => {
      const result = engine.push(events, { source: sample.name });
      for (const r of result.rejected) {
        rejected++;
        if (problems.length < MAX_PROBLEMS) problems.push(`event ${offset + r.index + 1}: ${r.reason}`);
      }
    };
    const path: PreviewStep[] = [];
    const detailed = Math.min(PREVIEW_PATH_EVENTS, sample.events.length);
    let before = counters();
    for (let i = 0; i < detailed; i++) {
      const event = sample.events[i];
      current = new Map(
        names.map((n) => [
          n,
          { rule: n, routed: false, passed: false, ioc: usesIoc(infos.get(n)!), kind: infos.get(n)!.kind, alerts: 0, errors: 0 },
        ]),
      );
      push([event], i);
      const after = counters();
      for (const [n, step] of current) {
        const b = before.get(n)!;
        const a = after.get(n)!;
        step.routed = a.routed > b.routed;
        step.passed = a.matched > b.matched;
        step.errors = a.errors - b.errors;
        const spec = windowSpecs.get(n);
        if (spec && step.passed && event && typeof event === 'object') step.window = windowOf(spec, event as EventRecord, this.ctx.now());
        const terms = iocTerms.get(n)!;
        if (terms.length && step.routed && event && typeof event === 'object') {
          step.iocs = terms.map((term) => {
            const value = scalarText(getField(event as EventRecord, term.field));
            const inList = value !== undefined && engine.iocs.exists(term.list) && engine.iocs.has(term.list, value);
            return { list: term.list, field: term.field, ...(value !== undefined ? { value } : {}), negated: term.negated, inList, holds: term.negated ? !inList : inList };
          });
        }
      }
      before = after;
      path.push({ index: i, summary: summarize(event), rules: [...current.values()] });
    }
    current = undefined;
    for (let i = detailed; i < sample.events.length; i += BATCH) push(sample.events.slice(i, i + BATCH), i);
    const beforeFlush = alertCount;
    engine.flush();
    return { alerts, alertCount, flushAlerts: alertCount - beforeFlush, path, runtime, rejected, problems };
  }

  private async readSample(spec: PreviewSample): Promise<Sample> {
    if (spec.kind === 'live') {
      const minutes = Math.max(0, Number(spec.minutes ?? this.ring.minutes)) || this.ring.minutes;
      return { name: `live stream, last ${minutes} min`, events: this.ring.recent(minutes), rejected: 0, problems: [] };
    }
    if (spec.kind === 'events') return parsePasted(String(spec.text ?? ''));
    const sample: Sample = { name: spec.name || 'file', events: [], rejected: 0, problems: [] };
    for await (const batch of readJsonLines(spec.file)) {
      for (const line of batch) {
        if ('error' in line) {
          sample.rejected++;
          if (sample.problems.length < MAX_PROBLEMS) sample.problems.push(`line ${line.line}: ${line.error}`);
        } else if (sample.events.length < PREVIEW_MAX_EVENTS) sample.events.push(line.event);
        else return tooMany(sample);
      }
    }
    return sample;
  }
}

function tooMany(sample: Sample): Sample {
  sample.problems.push(`only the first ${PREVIEW_MAX_EVENTS} events are previewed`);
  return sample;
}

/** Pasted text: a JSON object, a JSON array of objects, or JSON lines (blank lines skipped). */
export function parsePasted(text: string): Sample {
  const sample: Sample = { name: 'pasted sample', events: [], rejected: 0, problems: [] };
  const trimmed = text.trim();
  if (!trimmed) return sample;
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      sample.problems.push(`the array is not JSON: ${messageOf(error)}`);
      sample.rejected++;
      return sample;
    }
    if (!Array.isArray(parsed)) return sample;
    parsed.forEach((item, i) => {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        if (sample.events.length < PREVIEW_MAX_EVENTS) sample.events.push(item);
      } else {
        sample.rejected++;
        if (sample.problems.length < MAX_PROBLEMS) sample.problems.push(`item ${i + 1}: not an object`);
      }
    });
    return sample;
  }
  // One object spread over lines reads as one event; otherwise one event a line.
  if (trimmed.startsWith('{')) {
    const whole = readJsonObject(trimmed);
    if ('event' in whole) {
      sample.events.push(whole.event);
      return sample;
    }
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const read = readJsonObject(line);
    if ('event' in read) {
      if (sample.events.length >= PREVIEW_MAX_EVENTS) return tooMany(sample);
      sample.events.push(read.event);
    } else {
      sample.rejected++;
      if (sample.problems.length < MAX_PROBLEMS) sample.problems.push(`line ${i + 1}: ${'tooDeep' in read ? read.tooDeep : 'malformed' in read ? 'not JSON' : 'not an object'}`);
    }
  }
  return sample;
}

/** How the draft's rules compiled: the engine's view, and for Sigma the plan src/sigma made of it. */
function plansOf(text: string, file: string, infos: RuleInfo[]): PreviewPlan[] {
  let sigma: ReturnType<typeof loadSigma>['rules'] = [];
  if (infos.some((r) => r.language === 'sigma')) {
    try {
      sigma = loadSigma([{ file, text }], { pipeline: WEB_SIGMA_PIPELINE }).rules;
    } catch {
      sigma = [];
    }
  }
  return infos.map((info) => {
    const plan = sigma.find((p) => p.name === info.name);
    return {
      rule: info.name,
      language: info.language,
      kind: info.kind,
      functions: info.functions,
      ...(plan
        ? {
            sigma: {
              pipeline: WEB_SIGMA_PIPELINE,
              logsource: { ...plan.logsource },
              routing: plan.selectors.map((s) => ({ field: s.field, values: [...s.values] })),
              equalities: plan.equalities.map((e) => ({ field: e.field, values: [...e.values], caseInsensitive: e.caseInsensitive })),
              filters: [...plan.filters],
            },
          }
        : {}),
    };
  });
}

/** IOC FILTERS terms of a VGL rule, read from its text by the parser. */
function iocTermsOf(info: RuleInfo): { list: string; field: string; negated: boolean }[] {
  if (info.language !== 'vgl' || !usesIoc(info)) return [];
  const ast = compileCheck(info.text, info.file).rules.find((r) => r.name === info.name);
  return (ast?.iocFilters ?? []).map((t) => ({ list: t.list, field: t.field, negated: t.negated }));
}

interface WindowSpec {
  keyFields: string[];
  timeField?: string;
  lengthMs: number;
  slideMs: number;
}

/** AGGREGATE BY, USING and WITHIN of a VGL aggregation rule, read from its text by the parser. */
function windowSpecOf(info: RuleInfo): WindowSpec | undefined {
  if (info.language !== 'vgl' || info.kind !== 'aggregation') return undefined;
  const ast = compileCheck(info.text, info.file).rules.find((r) => r.name === info.name);
  if (!ast?.aggregateBy || !ast.within) return undefined;
  return {
    keyFields: ast.aggregateBy.map((f) => f.field),
    ...(ast.using ? { timeField: ast.using.field } : {}),
    lengthMs: ast.within.length.ms,
    slideMs: ast.within.slide.ms,
  };
}

/** The key of an event and the windows its time falls in: starts at the multiples of the slide in (t − length, t]. */
function windowOf(spec: WindowSpec, event: EventRecord, now: number): PreviewRuleStep['window'] {
  const key: Record<string, unknown> = {};
  for (const f of spec.keyFields) key[f] = getField(event, f) ?? null;
  const t = spec.timeField ? parseEventTime(getField(event, spec.timeField)) : now;
  if (t === undefined || spec.slideMs <= 0) return { key, starts: [], lengthMs: spec.lengthMs, byEventTime: !!spec.timeField };
  const starts: number[] = [];
  for (let start = Math.floor(t / spec.slideMs) * spec.slideMs; start > t - spec.lengthMs && starts.length < 64; start -= spec.slideMs) starts.unshift(start);
  return { key, starts, lengthMs: spec.lengthMs, byEventTime: !!spec.timeField };
}

function usesIoc(rule: RuleInfo): boolean {
  return rule.language === 'vgl' && /\bIOC\s+FILTERS\b/i.test(rule.text);
}

function summarize(event: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(event) ?? String(event);
  } catch {
    s = String(event);
  }
  return s.length > SUMMARY_CHARS ? `${s.slice(0, SUMMARY_CHARS - 1)}…` : s;
}

/** The file name decides the language (.yml/.yaml: Sigma); anything odd becomes the editor's. */
function safeFile(file: unknown): string {
  const s = typeof file === 'string' ? file.slice(0, 200) : '';
  return s || 'editor.vgl';
}

function sampleName(spec: PreviewSample): string {
  return spec.kind === 'live' ? 'live stream' : spec.kind === 'file' ? spec.name : 'pasted sample';
}
