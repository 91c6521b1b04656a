/**
 * `vigil collect`: a NetFlow v5 / v9 / IPFIX collector on a UDP socket feeding the engine. Each
 * datagram is decoded by its version and its flows pushed to the rules, as the batch of their
 * source (exporter address and observation domain) with that exporter's out-of-order bound;
 * alerts leave as JSON lines. A malformed datagram is counted and reported with its exporter, and
 * the collector goes on. Sequence numbers say how many flows the network lost on the way.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createWriteStream, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { Writable } from 'node:stream';
import type { Alert, RuntimeDiagnostic } from '../engine/engine.js';
import { DEFAULT_TEMPLATE_LIMITS, NetflowDecoder, versionName, type NetflowDecodeResult, type NetflowStats, type TemplateLimits } from '../io/from-netflow.js';
import { DEFAULT_FLOW_OUT_OF_ORDER_MS, MAX_FLOW_OUT_OF_ORDER_MS, OUT_OF_ORDER_HEADROOM, OUT_OF_ORDER_QUANTILE, OutOfOrderEstimator, WARM_UP_OUT_OF_ORDER_MS, WARM_UP_SPAN_MS } from '../io/netflow-out-of-order.js';
import { SequenceTracker, type SequenceStats } from '../io/netflow-sequence.js';
import { toJsonLine } from '../io/to-jsonl.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';
import type { GuardOptions } from '../runtime/guard/guard-options.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import { hasErrors, printDiagnostics, setUpEngine, type SetupSpec } from './setup.js';
import { BlockRunner, rulesMayShare, sequentialReason, type BlockResult } from './threads.js';
import { Dispatcher, iocFiltersOf, ruleErrorsOf, ThreadPool } from './threads-pool.js';
import { CliWebhook, WEBHOOK_USAGE_LINES, WEBHOOK_USAGE_TEXT, type WebhookSpec } from './webhook.js';

export interface CollectSpec {
  /** Built-in Sigma pipeline name or pipeline file (`--sigma-pipeline`). */
  sigmaPipeline?: string;
  /** `host:port` to bind (`0.0.0.0:2055`, `[::]:4739`, `127.0.0.1:0` for any free port). */
  udp: string;
  rules: readonly string[];
  iocs: readonly string[];
  tables: readonly string[];
  models?: readonly string[];
  /** Alerts go here (JSON lines) instead of stdout. */
  out?: string;
  /** Stop after this long (tests). */
  durationMs?: number;
  /** Stop after this many datagrams (tests). */
  maxPackets?: number;
  outOfOrderMs?: number;
  latenessMs?: number;
  /** Event time per source named by this field (default: per exporter and domain). */
  watermarkBy?: string;
  /** Quarantine flows dated this far ahead of the clock ({@link DEFAULT_COLLECT_MAX_FUTURE_MS}). */
  maxFutureMs?: number;
  /** Quarantine flows dated this far ahead of their exporter (default 1 h). */
  maxJumpMs?: number;
  /** Events one rule's windows may hold (engine option maxHeldEvents; default 4 000 000). */
  maxHeldEvents?: number;
  /** Keys one rule's state machine or SUPPRESS may hold (engine option maxStateKeys; default 1 000 000). */
  maxStateKeys?: number;
  /** Print the decoder's counters and the engine's metrics on stderr at the end. */
  metrics?: boolean;
  /** Called once the socket is bound, with the address actually bound (tests bind port 0). */
  onListening?: (address: { address: string; port: number }) => void;
  /** Stop when this signal aborts (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Also POST each alert to a webhook; drained after the last window fired. */
  webhook?: WebhookSpec;
  /** Run the engine on a worker thread behind the outer guard's watchdog (`vigil collect` does, unless --no-guard). */
  guard?: GuardOptions | false;
  /** SO_RCVBUF asked for, bytes ({@link DEFAULT_RECEIVE_BUFFER}). */
  receiveBufferBytes?: number;
  /** Template cache limits ({@link DEFAULT_TEMPLATE_LIMITS}). */
  templateLimits?: Partial<TemplateLimits>;
  /** How often the flows-lost line is printed when there is news ({@link LOSS_REPORT_EVERY_MS}). */
  lossReportEveryMs?: number;
  /** Bytes of datagrams read and waiting to be decoded ({@link DEFAULT_RECEIVE_QUEUE}). */
  receiveQueueBytes?: number;
  /**
   * Engines on as many threads (`--threads`; default 1). Rules that correlate nothing share the
   * datagrams between them; any other rule set runs on one (src/cli/threads.ts). One thread by
   * default: a datagram (30 flows) is handed over as one unit of work, and handing it over costs
   * about what the rules cost (2 threads measured at 0.8–0.9× one).
   */
  threads?: number;
}

/** Live flows dated further ahead of the clock than this are quarantined (an exporter's clock may be off by a little). */
export const DEFAULT_COLLECT_MAX_FUTURE_MS = 5 * 60_000;
/** Per exporter session and template, how many "no template" notes are printed. */
const MISSING_TEMPLATE_REPORTS = 1;
/** Distinct (exporter, domain, template) "no template" keys remembered; beyond, data without template is only counted. */
const MISSING_TEMPLATE_KEYS = 10_000;
/** Template evictions printed one by one; the rest are counted in the periodic line and at the end. */
const EVICTION_REPORTS = 3;
/** SO_RCVBUF asked for by default: a burst of ~5,000 full datagrams. */
export const DEFAULT_RECEIVE_BUFFER = 8 * 1024 * 1024;
/** Datagrams read off the socket and waiting for the rules, at most (64 MiB: ~45,000 full datagrams). */
export const DEFAULT_RECEIVE_QUEUE = 64 * 1024 * 1024;
/** The decoder and rules run this long at a time before the socket is read again. */
const DRAIN_SLICE_MS = 1;
/** How often news of lost flows is printed. */
export const LOSS_REPORT_EVERY_MS = 10_000;
/** Exporter sessions (address, port, version, domain) accounted; least recently heard from leaves first. */
export const MAX_EXPORTER_SESSIONS = 4096;

export const COLLECT_USAGE = `  vigil collect --udp <host:port> --rules <file|dir> [--rules …] [--ioc name=path]… [--table name=path]… [--model name=path]…
            [--out-of-order <ms>] [--lateness <ms>] [--out <file>] [--metrics]
            [--watermark-by <field>] [--max-future <ms>] [--max-jump <ms>]
            [--max-held-events <n>] [--max-state-keys <n>]
            [--receive-buffer <bytes>] [--receive-queue <bytes>] [--max-templates <n>] [--max-templates-per-exporter <n>]
            [--duration <ms>] [--max-packets <n>] [--no-guard] [--threads <n>]
            ${WEBHOOK_USAGE_LINES}
      Listens for NetFlow v5, v9 and IPFIX on UDP, applies the rules to the flows and writes alerts
      as JSON lines to stdout (or --out). Malformed datagrams are reported on stderr and skipped.
      Stops on SIGINT/SIGTERM (or after --duration / --max-packets), firing every open window.
      The engine runs on a worker thread under the same watchdog as run (--no-guard: main thread).
      Event time advances per exporter and observation domain / source id. Exporters send a flow
      when it ends or times out, so flows arrive out of order by up to the exporter's idle or active
      timeout (softflowd: 300 s for UDP, 3600 s for TCP; Cisco: 15 s idle, 30 min active; nProbe:
      30 s / 120 s). Without --out-of-order each exporter's bound is learned from its flows: the
      ${OUT_OF_ORDER_QUANTILE * 100}th percentile of how far a flow's start or end is behind the newest one, times ${OUT_OF_ORDER_HEADROOM}, never
      below ${DEFAULT_FLOW_OUT_OF_ORDER_MS / 1000} s (nor the active timeout the exporter announces in options data), never
      above ${MAX_FLOW_OUT_OF_ORDER_MS / 3_600_000} h; for its first ${WARM_UP_SPAN_MS / 60_000} minutes (unless it announces its timeouts) at least
      ${WARM_UP_OUT_OF_ORDER_MS / 60_000} minutes, since a late flow shows its lag only when it arrives. --out-of-order <ms>
      fixes one bound for every exporter instead. A flow dated more than --max-future (default
      ${DEFAULT_COLLECT_MAX_FUTURE_MS / 60_000} min) ahead of the clock, or --max-jump (default 1 h) ahead of its exporter, is quarantined:
      it reaches simple rules, moves no event time, and is reported as vigil.future.
      --receive-buffer asks for a UDP receive buffer (default ${DEFAULT_RECEIVE_BUFFER / 1048576} MiB; Linux caps it at
      net.core.rmem_max, and the collector says so); datagrams read wait for the rules in a queue of
      --receive-queue bytes (default ${DEFAULT_RECEIVE_QUEUE / 1048576} MiB). Sequence numbers are checked per exporter and
      domain; flows lost on the way are reported every ${LOSS_REPORT_EVERY_MS / 1000} s and counted in --metrics.
      Templates are cached up to --max-templates (default ${DEFAULT_TEMPLATE_LIMITS.total}) in all and
      --max-templates-per-exporter (default ${DEFAULT_TEMPLATE_LIMITS.perExporter}); the least recently used leave first.
      ${WEBHOOK_USAGE_TEXT}
      On stop the collector waits for undelivered alerts (a second SIGINT dead-letters them).
      --threads <n> (default 1) runs n engines on n threads when every rule is a simple
      rule fed by events whose functions run natively (as for run): each datagram's flows go to
      whichever thread is free, and alerts and reports are written in the order the datagrams
      came, byte for byte as with one thread. Other rule sets run on one thread.`;

/** Parses `host:port` / `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`--udp takes host:port (or [v6]:port), got '${text}'`);
  return { host: m[1], port };
}

/** One exporter session: the unit of sequence accounting and of the out-of-order bound. */
interface ExporterSession {
  /** address:port */
  exporter: string;
  version: number;
  domain: number;
  /** The engine's source: exporter address and domain. */
  source: string;
  sequence: SequenceTracker;
  outOfOrder: OutOfOrderEstimator;
  flows: number;
  /** Estimated flows lost at the last report. */
  reportedLost: number;
}

/** "source id 3" (v9), "observation domain 3" (IPFIX), "engine 0" (v5). */
export function domainName(version: number, domain: number): string {
  return version === 10 ? `observation domain ${domain}` : version === 9 ? `source id ${domain}` : `engine ${domain}`;
}

function bytesText(n: number): string {
  return n >= 1048576 && n % 1048576 === 0 ? `${n / 1048576} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/** Linux's cap on SO_RCVBUF, when readable. */
function rmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Datagrams the kernel dropped on our socket (receive buffer full): the `drops` column of /proc/net/udp[6], Linux only. */
export function kernelDrops(port: number, ipv6: boolean): number | undefined {
  try {
    const table = readFileSync(ipv6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8').split('\n').slice(1);
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    let drops: number | undefined;
    for (const line of table) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1].endsWith(`:${hexPort}`)) continue;
      drops = (drops ?? 0) + Number(cols[12]);
    }
    return drops;
  } catch {
    return undefined;
  }
}

export async function runCollect(spec: CollectSpec, io: CliIO): Promise<number> {
  if (!spec.rules.length) throw new InputError('collect needs at least one --rules file or directory');
  const { host, port } = parseHostPort(spec.udp);
  const setupSpec: SetupSpec = { rules: spec.rules, iocs: spec.iocs, tables: spec.tables, models: spec.models, listPathRequired: true, sigmaPipeline: spec.sigmaPipeline };
  // pushes carry each exporter's bound; this one is for anything pushed without
  const engineOptions = {
    outOfOrderMs: spec.outOfOrderMs ?? DEFAULT_FLOW_OUT_OF_ORDER_MS,
    allowedLatenessMs: spec.latenessMs,
    watermarkBy: spec.watermarkBy,
    maxFutureMs: spec.maxFutureMs ?? DEFAULT_COLLECT_MAX_FUTURE_MS,
    maxJumpMs: spec.maxJumpMs,
    maxHeldEvents: spec.maxHeldEvents,
    maxStateKeys: spec.maxStateKeys,
  };
  const threads = spec.threads ?? 1;
  // The other threads' engines start while this one loads the rules (closed again if the rules cannot be shared).
  const spawned = threads > 1 && (await rulesMayShare(spec.rules)) ? ThreadPool.spawn(threads - 1, { engineOptions: spec.sigmaPipeline === undefined ? engineOptions : undefined, guard: spec.guard }) : undefined;
  const setup = await setUpEngine(setupSpec, engineOptions, GuardedEngine.factory(spec.guard)).catch(async (error: unknown) => {
    await spawned?.close();
    throw error;
  });
  const { engine } = setup;
  await printDiagnostics(io, setup.diagnostics);
  if (hasErrors(setup.diagnostics)) {
    engine.dispose();
    await spawned?.close();
    return 1;
  }
  const sequential = threads > 1 ? sequentialReason(engine.rules()) : undefined;
  // Asked for by name and not possible: say why (the default quietly uses one thread).
  if (spec.threads !== undefined && spec.threads > 1 && sequential) io.stderr.write(`vigil: --threads ${spec.threads}: running on one thread: ${sequential}\n`);
  const pool = !sequential ? spawned : undefined;
  if (!pool) await spawned?.close();

  let webhook: CliWebhook | undefined;
  try {
    webhook = spec.webhook ? await CliWebhook.start(spec.webhook, io) : undefined;
    await pool?.init({
      setup: setupSpec,
      iocFilters: iocFiltersOf(engine),
      engineOptions,
      batchLines: 1,
      inputName: spec.udp,
      outputFormat: 'jsonl',
      version: io.version,
      keepAlerts: webhook !== undefined,
    });
  } catch (error) {
    engine.dispose();
    await pool?.close();
    await webhook?.finish();
    throw error;
  }
  const out: Writable = spec.out ? createWriteStream(spec.out) : io.stdout;
  const templateLimits: TemplateLimits = {
    perExporter: spec.templateLimits?.perExporter ?? DEFAULT_TEMPLATE_LIMITS.perExporter,
    total: spec.templateLimits?.total ?? DEFAULT_TEMPLATE_LIMITS.total,
  };
  const decoder = new NetflowDecoder(templateLimits);
  let alerts = 0;
  let engineErrors = 0;
  const diagnosticLine = (d: Pick<RuntimeDiagnostic, 'code' | 'rule' | 'message'>) => `vigil: ${d.code}${d.rule ? ` rule "${d.rule}"` : ''}: ${d.message}\n`;
  const engineErrorLine = (exporter: string, message: string) => `vigil: engine error on flows from ${exporter}: ${message}\n`;
  /**
   * With threads, what the main thread says about a datagram (malformed, no template, evictions)
   * waits for the engine's reports on the datagrams before it, so stderr reads as with one thread:
   * `notes` gathers it until the next datagram with flows takes it along (`unitNotes`) — only while
   * such datagrams are in flight: with none, or once the last is written, it goes out at once (a
   * flood of datagrams without flows is not held in memory).
   */
  let notes = '';
  const unitNotes = new Map<number, { notes: string; exporter: string }>();
  const note = (text: string) => {
    if (unitNotes.size > 0) {
      notes += text;
      return;
    }
    io.stderr.write(notes + text);
    notes = '';
  };
  let nextUnit = 0;
  const dispatcher = pool
    ? new Dispatcher(pool, new BlockRunner(engine, 1, spec.udp, toJsonLine, webhook !== undefined), 0, (result: BlockResult) => {
        const unit = unitNotes.get(result.index);
        unitNotes.delete(result.index);
        let text = unit?.notes ?? '';
        for (const a of result.alerts) {
          alerts++;
          out.write(a.text);
          if (a.alert) webhook?.enqueue(a.alert);
        }
        for (const r of result.reports) text += 'text' in r ? r.text : diagnosticLine(r.diagnostic);
        if (result.pushError !== undefined) {
          engineErrors++;
          text += engineErrorLine(unit?.exporter ?? '', result.pushError);
        }
        // Nothing else in flight: the notes on the datagrams since this one go out after its reports.
        if (unitNotes.size === 0) {
          text += notes;
          notes = '';
        }
        if (text) io.stderr.write(text);
      }, ruleErrorsOf(engine))
    : undefined;
  if (!dispatcher) {
    engine.onAlert((alert: Alert) => {
      alerts++;
      out.write(toJsonLine(alert));
      webhook?.enqueue(alert);
    });
    engine.onDiagnostic((d: RuntimeDiagnostic) => {
      io.stderr.write(diagnosticLine(d));
    });
  }

  const ipv6 = isIPv6(host);
  const socket: Socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4' });
  const missingReported = new Map<string, number>();
  const sessions = new Map<string, ExporterSession>();
  let evictionsReported = 0;
  let evictionsAtLastReport = 0;

  const sessionOf = (from: RemoteInfo, result: NetflowDecodeResult): ExporterSession => {
    const key = `${from.address}|${from.port}|${result.version}|${result.domain}`;
    let session = sessions.get(key);
    if (session) {
      // least recently heard from first
      sessions.delete(key);
    } else {
      if (sessions.size >= MAX_EXPORTER_SESSIONS) sessions.delete(sessions.keys().next().value!);
      session = {
        exporter: `${from.address}:${from.port}`,
        version: result.version,
        domain: result.domain,
        source: `${from.address}#${result.domain}`,
        sequence: new SequenceTracker(result.version),
        outOfOrder: new OutOfOrderEstimator(),
        flows: 0,
        reportedLost: 0,
      };
    }
    sessions.set(key, session);
    return session;
  };

  const onMessage = (msg: Buffer, from: RemoteInfo) => {
    const exporter = `${from.address}:${from.port}`;
    const result = decoder.decode(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from.address);
    const where = `${versionName(result.version)} ${domainName(result.version, result.domain)}`;
    if (result.error) note(`vigil: malformed packet from ${exporter}: ${result.error.reason}: ${result.error.message}\n`);
    for (const id of result.missingTemplates) {
      const key = `${from.address}|${result.version}|${result.domain}|${id}`;
      const n = (missingReported.get(key) ?? 0) + 1;
      if (missingReported.size < MISSING_TEMPLATE_KEYS || missingReported.has(key)) missingReported.set(key, n);
      if (n <= MISSING_TEMPLATE_REPORTS && missingReported.has(key)) {
        note(`vigil: no template ${id} from ${exporter} (${where}): its data is skipped until the template arrives\n`);
      }
    }
    for (const e of result.evictions) {
      if (++evictionsReported > EVICTION_REPORTS) break;
      const limit = e.limit === 'exporter' ? `${templateLimits.perExporter} per exporter (--max-templates-per-exporter)` : `${templateLimits.total} in all (--max-templates)`;
      note(
        `vigil: template cache full at ${limit}: forgot template ${e.id} of ${e.exporter} (${versionName(e.version)} ${domainName(e.version, e.domain)}), the least recently used; its data is skipped until it is sent again${evictionsReported === EVICTION_REPORTS ? ' (further evictions are counted, not listed)' : ''}\n`,
      );
    }
    if (result.version !== 5 && result.version !== 9 && result.version !== 10) return;
    const session = sessionOf(from, result);
    session.flows += result.flows.length;
    if (result.sequence !== undefined) session.sequence.observe({ sequence: result.sequence, records: result.records, flowRecords: result.flowRecords, flows: result.flows.length, uptimeMs: result.uptimeMs });
    if (result.version !== 5) session.outOfOrder.announce(decoder.announcedTimeouts(result.version, from.address, result.domain));
    session.outOfOrder.observe(result.flows, result.exportMs);
    if (result.flows.length) {
      const options = { source: session.source, outOfOrderMs: spec.outOfOrderMs ?? session.outOfOrder.boundMs };
      if (dispatcher) {
        unitNotes.set(nextUnit, { notes, exporter });
        notes = '';
        dispatcher.submit({ index: nextUnit++, events: result.flows as unknown as Record<string, unknown>[], options });
        return;
      }
      try {
        engine.push(result.flows, options);
      } catch (error) {
        engineErrors++;
        io.stderr.write(engineErrorLine(exporter, (error as Error).message));
      }
    }
  };

  /** Sessions that lost flows since the last report, as one line; undefined when there is no news. */
  const lossNews = (final: boolean, dropsAtClose?: number): string | undefined => {
    let total = 0;
    let news = 0;
    const parts: string[] = [];
    for (const s of sessions.values()) {
      const st: SequenceStats = s.sequence.stats;
      total += st.estimatedFlowsLost;
      const fresh = st.estimatedFlowsLost - s.reportedLost;
      if (fresh !== 0 || (final && st.estimatedFlowsLost > 0)) {
        news += fresh;
        const unit = st.convention === 'packets' ? 'datagrams' : 'records';
        parts.push(`${s.exporter} ${versionName(s.version)} ${domainName(s.version, s.domain)}: ~${st.estimatedFlowsLost} flows (${st.lostUnits} ${unit} in ${st.gaps} gaps${st.reordered ? `, ${st.reordered} datagrams reordered` : ''}${st.restarts ? `, ${st.restarts} restarts` : ''})`);
      }
      s.reportedLost = st.estimatedFlowsLost;
    }
    const evicted = decoder.stats.templatesEvicted - evictionsAtLastReport;
    evictionsAtLastReport = decoder.stats.templatesEvicted;
    const drops = (final ? dropsAtClose : kernelDrops(boundPort, ipv6)) ?? 0;
    const lines: string[] = [];
    if (news !== 0 || (final && total > 0)) lines.push(`vigil: flows lost in transit (sequence numbers): ~${total} in all${final ? '' : `, ${news >= 0 ? '+' : ''}${news} since the last report`} — ${parts.join('; ')}`);
    // the kernel's count also covers a loss at the end of an export, which no sequence number shows
    if (drops > dropsReported || (final && drops > 0)) {
      lines.push(`vigil: the kernel dropped ${drops} datagrams on this socket (receive buffer full), with the flows in them: raise --receive-buffer (and net.core.rmem_max)`);
    }
    dropsReported = drops;
    if (received.dropped > queueDropsReported || (final && received.dropped > 0)) {
      lines.push(`vigil: ${received.dropped} datagrams dropped because the collector's receive queue was full (${bytesText(received.limit)}): the rules are slower than the exporters`);
    }
    queueDropsReported = received.dropped;
    if (evicted > 0) lines.push(`vigil: ${evicted} templates forgotten to stay within the template cache (${decoder.templateCount} cached)`);
    return lines.length ? lines.join('\n') : undefined;
  };
  let boundPort = 0;
  let sliceFailure: unknown;
  let dropsReported = 0;
  const received = new ReceiveQueue(spec.receiveQueueBytes ?? DEFAULT_RECEIVE_QUEUE);
  let queueDropsReported = 0;

  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => reject(new InputError(`cannot listen on udp ${spec.udp}: ${error.message}`)));
    socket.bind(port, host, () => resolve());
  }).catch(async (error) => {
    engine.dispose();
    socket.close();
    await webhook?.finish();
    throw error;
  });
  socket.on('error', (error) => io.stderr.write(`vigil: udp socket error: ${error.message}\n`));
  const bound = socket.address();
  boundPort = bound.port;
  const receiveBuffer = setReceiveBuffer(socket, spec.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
  io.stderr.write(`vigil: collecting NetFlow v5/v9/IPFIX on udp ${bound.address}:${bound.port}; ${receiveBuffer.text}\n`);
  spec.onListening?.({ address: bound.address, port: bound.port });

  await new Promise<void>((resolve) => {
    let done = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const stop = () => {
      if (done) return;
      done = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      spec.signal?.removeEventListener('abort', stop);
      timers.forEach((t) => clearTimeout(t));
      resolve();
    };
    // Datagrams are taken off the socket as soon as they come and decoded a slice at a time: the
    // kernel's buffer is emptied at the speed of a read, and a burst waits here, in a bounded queue,
    // instead of overflowing it.
    let scheduled = false;
    const drainSlice = (): void => {
      scheduled = false;
      const until = performance.now() + DRAIN_SLICE_MS;
      try {
        do {
          // With threads: while the results waiting to be written are at their bound, the queue waits.
          if (dispatcher?.full) break;
          const item = received.shift();
          if (!item) break;
          onMessage(item.msg, item.from);
          if (spec.maxPackets !== undefined && decoder.stats.packets >= spec.maxPackets) return stop();
        } while (performance.now() < until);
      } catch (error) {
        // A thread failed (or the decoding): the collector stops, and the error is thrown once the socket is closed.
        sliceFailure ??= error;
        return stop();
      }
      if (received.length && !done) {
        scheduled = true;
        if (dispatcher?.full) void dispatcher.whenAnyDone().then(() => setImmediate(drainSlice));
        else setImmediate(drainSlice);
      }
    };
    socket.on('message', (msg, from) => {
      if (done) return;
      if (!received.push(msg, from)) return;
      if (!scheduled) {
        scheduled = true;
        setImmediate(drainSlice);
      }
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (spec.signal) {
      if (spec.signal.aborted) stop();
      else spec.signal.addEventListener('abort', stop);
    }
    if (spec.durationMs !== undefined) timers.push(setTimeout(stop, spec.durationMs));
    const reporter = setInterval(() => {
      const news = lossNews(false);
      if (news) io.stderr.write(`${news}\n`);
    }, spec.lossReportEveryMs ?? LOSS_REPORT_EVERY_MS);
    reporter.unref();
    timers.push(reporter);
    if (spec.maxPackets === 0) stop();
  });

  const drops = kernelDrops(boundPort, ipv6);
  socket.close();
  if (sliceFailure) {
    engine.dispose();
    await pool?.close();
    await webhook?.finish();
    throw sliceFailure;
  }
  let metrics: unknown;
  try {
    // what was received is decoded before the windows close (up to --max-packets)
    for (let item = received.shift(); item && !(spec.maxPackets !== undefined && decoder.stats.packets >= spec.maxPackets); item = received.shift()) {
      await dispatcher?.room();
      onMessage(item.msg, item.from);
    }
    if (dispatcher) {
      await dispatcher.drain();
      // Notes on the datagrams after the last one with flows.
      if (notes) io.stderr.write(notes);
      notes = '';
      await dispatcher.finish();
      if (spec.metrics) metrics = await dispatcher.metrics(engine.metrics());
    } else engine.flush();
  } finally {
    await pool?.close();
    const s: NetflowStats = decoder.stats;
    const news = lossNews(true, drops);
    if (news) io.stderr.write(`${news}\n`);
    const lost = [...sessions.values()].reduce((n, x) => n + x.sequence.stats.estimatedFlowsLost, 0);
    if (s.malformed || s.missingTemplateSets || lost || spec.metrics) {
      io.stderr.write(
        `vigil: ${s.packets} packets, ${s.flows} flows, ${s.malformed} malformed, ${s.missingTemplateSets} data sets without template, ${alerts} alerts${lost ? `, ~${lost} flows lost in transit` : ''}${engineErrors ? `, ${engineErrors} engine errors` : ''}\n`,
      );
    }
    if (spec.metrics) {
      const exporters = [...sessions.values()].map((x) => ({
        exporter: x.exporter,
        version: versionName(x.version),
        domain: x.domain,
        source: x.source,
        flows: x.flows,
        outOfOrderMs: spec.outOfOrderMs ?? x.outOfOrder.boundMs,
        maxLagMs: x.outOfOrder.maxLagMs,
        sequence: x.sequence.stats,
      }));
      const collector = {
        receiveBuffer: { askedBytes: receiveBuffer.asked, grantedBytes: receiveBuffer.granted },
        kernelDrops: drops,
        receiveQueue: { limitBytes: received.limit, peakBytes: received.peakBytes, dropped: received.dropped },
        templates: decoder.templateCount,
        templateLimits,
        flowsLost: lost,
        exporters,
      };
      io.stderr.write(`${JSON.stringify({ decoder: s, collector, engine: metrics ?? engine.metrics() })}\n`);
    }
    engine.dispose();
    // After the last window fired, so its alerts are delivered too.
    await webhook?.finish();
  }
  if (spec.out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  else await writeAll(out, '');
  return 0;
}

/**
 * Asks for a receive buffer of `asked` bytes and says what was granted. Linux grants at most
 * net.core.rmem_max and reports twice what it grants (the other half is its bookkeeping).
 */
function setReceiveBuffer(socket: Socket, asked: number): { asked: number; granted?: number; text: string } {
  try {
    socket.setRecvBufferSize(asked);
  } catch (error) {
    return { asked, text: `receive buffer not set (${(error as Error).message})` };
  }
  let reported: number;
  try {
    reported = socket.getRecvBufferSize();
  } catch {
    return { asked, text: `receive buffer of ${bytesText(asked)} asked for` };
  }
  const linux = process.platform === 'linux';
  const granted = linux ? Math.floor(reported / 2) : reported;
  if (granted >= asked) return { asked, granted, text: `receive buffer ${bytesText(granted)}` };
  const cap = linux ? rmemMax() : undefined;
  const why = linux
    ? `Linux caps it at net.core.rmem_max${cap ? ` = ${cap}` : ''}; raise that (sysctl -w net.core.rmem_max=${asked}) for the full size`
    : 'the system capped it';
  return { asked, granted, text: `receive buffer ${bytesText(granted)}, less than the ${bytesText(asked)} asked for: ${why}` };
}

/** Datagrams read and not yet decoded: a FIFO bounded in bytes, counting what it turns away. */
class ReceiveQueue {
  private items: { msg: Buffer; from: RemoteInfo }[] = [];
  private head = 0;
  private bytes = 0;
  peakBytes = 0;
  dropped = 0;

  constructor(readonly limit: number) {}

  /** False (and counted) when the queue is full. */
  push(msg: Buffer, from: RemoteInfo): boolean {
    if (this.bytes + msg.length > this.limit) {
      this.dropped++;
      return false;
    }
    this.items.push({ msg, from });
    this.bytes += msg.length;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    return true;
  }

  shift(): { msg: Buffer; from: RemoteInfo } | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    this.bytes -= item.msg.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}
