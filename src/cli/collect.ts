/**
 * `vigil collect`: a NetFlow v5 / v9 / IPFIX collector on a UDP socket feeding the engine. Each
 * datagram is decoded by its version and its flows pushed to the rules; alerts leave as JSON lines.
 * A malformed datagram is counted and reported with its exporter, and the collector goes on.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createWriteStream } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { Writable } from 'node:stream';
import type { Alert, RuntimeDiagnostic } from '../engine/engine.js';
import { NetflowDecoder, type NetflowStats } from '../io/from-netflow.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';
import type { GuardOptions } from '../runtime/guard/guard-options.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import { hasErrors, printDiagnostics, setUpEngine } from './setup.js';
import { CliWebhook, WEBHOOK_USAGE_LINES, WEBHOOK_USAGE_TEXT, type WebhookSpec } from './webhook.js';

export interface CollectSpec {
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
}

/** Per exporter and template, how many "no template" notes are printed. */
const MISSING_TEMPLATE_REPORTS = 1;

export const COLLECT_USAGE = `  vigil collect --udp <host:port> --rules <file|dir> [--rules …] [--ioc name=path]… [--table name=path]… [--model name=path]…
            [--out-of-order <ms>] [--lateness <ms>] [--out <file>] [--metrics]
            [--duration <ms>] [--max-packets <n>] [--no-guard]
            ${WEBHOOK_USAGE_LINES}
      Listens for NetFlow v5, v9 and IPFIX on UDP, applies the rules to the flows and writes alerts
      as JSON lines to stdout (or --out). Malformed datagrams are reported on stderr and skipped.
      Stops on SIGINT/SIGTERM (or after --duration / --max-packets), firing every open window.
      The engine runs on a worker thread under the same watchdog as run (--no-guard: main thread).
      ${WEBHOOK_USAGE_TEXT}
      On stop the collector waits for undelivered alerts (a second SIGINT dead-letters them).`;

/** Parses `host:port` / `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`--udp takes host:port (or [v6]:port), got '${text}'`);
  return { host: m[1], port };
}

export async function runCollect(spec: CollectSpec, io: CliIO): Promise<number> {
  if (!spec.rules.length) throw new InputError('collect needs at least one --rules file or directory');
  const { host, port } = parseHostPort(spec.udp);
  const setup = await setUpEngine(
    { rules: spec.rules, iocs: spec.iocs, tables: spec.tables, models: spec.models, listPathRequired: true },
    { outOfOrderMs: spec.outOfOrderMs, allowedLatenessMs: spec.latenessMs },
    GuardedEngine.factory(spec.guard),
  );
  const { engine } = setup;
  await printDiagnostics(io, setup.diagnostics);
  if (hasErrors(setup.diagnostics)) {
    engine.dispose();
    return 1;
  }

  let webhook: CliWebhook | undefined;
  try {
    webhook = spec.webhook ? await CliWebhook.start(spec.webhook, io) : undefined;
  } catch (error) {
    engine.dispose();
    throw error;
  }
  const out: Writable = spec.out ? createWriteStream(spec.out) : io.stdout;
  const decoder = new NetflowDecoder();
  let alerts = 0;
  engine.onAlert((alert: Alert) => {
    alerts++;
    out.write(`${JSON.stringify(alert)}\n`);
    webhook?.enqueue(alert);
  });
  engine.onDiagnostic((d: RuntimeDiagnostic) => {
    io.stderr.write(`vigil: ${d.code}${d.rule ? ` rule "${d.rule}"` : ''}: ${d.message}\n`);
  });

  const socket: Socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  const missingReported = new Map<string, number>();
  let engineErrors = 0;

  const onMessage = (msg: Buffer, from: RemoteInfo) => {
    const exporter = `${from.address}:${from.port}`;
    const result = decoder.decode(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from.address);
    if (result.error) io.stderr.write(`vigil: malformed packet from ${exporter}: ${result.error.reason}: ${result.error.message}\n`);
    for (const id of result.missingTemplates) {
      const key = `${from.address}|${result.version}|${id}`;
      const n = (missingReported.get(key) ?? 0) + 1;
      missingReported.set(key, n);
      if (n <= MISSING_TEMPLATE_REPORTS) io.stderr.write(`vigil: no template ${id} from ${exporter} (NetFlow v${result.version}): its data is skipped until the template arrives\n`);
    }
    if (result.flows.length) {
      try {
        engine.push(result.flows);
      } catch (error) {
        engineErrors++;
        io.stderr.write(`vigil: engine error on flows from ${exporter}: ${(error as Error).message}\n`);
      }
    }
  };

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
  io.stderr.write(`vigil: collecting NetFlow v5/v9/IPFIX on udp ${bound.address}:${bound.port}\n`);
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
      timers.forEach(clearTimeout);
      resolve();
    };
    socket.on('message', (msg, from) => {
      if (done) return;
      onMessage(msg, from);
      if (spec.maxPackets !== undefined && decoder.stats.packets >= spec.maxPackets) stop();
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (spec.signal) {
      if (spec.signal.aborted) stop();
      else spec.signal.addEventListener('abort', stop);
    }
    if (spec.durationMs !== undefined) timers.push(setTimeout(stop, spec.durationMs));
    if (spec.maxPackets === 0) stop();
  });

  socket.close();
  try {
    engine.flush();
  } finally {
    const s: NetflowStats = decoder.stats;
    if (s.malformed || s.missingTemplateSets || spec.metrics) {
      io.stderr.write(`vigil: ${s.packets} packets, ${s.flows} flows, ${s.malformed} malformed, ${s.missingTemplateSets} data sets without template, ${alerts} alerts${engineErrors ? `, ${engineErrors} engine errors` : ''}\n`);
    }
    if (spec.metrics) io.stderr.write(`${JSON.stringify({ decoder: s, engine: engine.metrics() })}\n`);
    engine.dispose();
    // After the last window fired, so its alerts are delivered too.
    await webhook?.finish();
  }
  if (spec.out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  else await writeAll(out, '');
  return 0;
}
