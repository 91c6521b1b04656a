/** The `vigil` command: argument parsing and dispatch. Each command lives in its own file. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EVENT_FORMATS, type EventFormat } from '../io/event-lines.js';
import { ALERT_FORMATS, type AlertFormat } from '../io/to-alerts.js';
import { InputError, UsageError, type CliIO } from './io.js';
import { guardOptionsFromEnv } from '../runtime/guard/guard-options.js';
import { GuardFailure } from '../runtime/guard/guarded-engine.js';
import { WEBHOOK_USAGE_LINES, WEBHOOK_USAGE_TEXT, webhookOptions, webhookSpec } from './webhook.js';

/**
 * The usage text. Built on demand: it quotes every command's own usage, and importing a command's
 * module loads what the command needs (the ML library, the web server, the Sigma compiler), which
 * `vigil run` should not pay for at start-up.
 */
export async function usageText(): Promise<string> {
  const [{ COLLECT_USAGE }, { SIMULATE_USAGE }, { TRAIN_USAGE }, { SERVE_USAGE }, { SIGMA_USAGE }] = await Promise.all([
    import('./collect.js'),
    import('./simulate.js'),
    import('./train.js'),
    import('./serve.js'),
    import('./sigma.js'),
  ]);
  return `Usage:
  vigil run --rules <file|dir> [--rules …] [--ioc name=path]… [--table name=path]… [--model name=path]…
            [--out-of-order <ms>] [--lateness <ms>] [--sandbox-only] [--out <file>]
            [--watermark-by <field>] [--max-future <ms>] [--max-jump <ms>]
            [--max-held-events <n>] [--max-state-keys <n>]
            [--metrics] [--checkpoint <file> [--checkpoint-every <lines>]] [--resume <file>]
            [--format auto|jsonl|goflow2|cef] [--output-format jsonl|cef] [--no-guard] [--threads <n>]
            [--sigma-pipeline evtx-json|ecs|flat|<pipeline.yml>]
            ${WEBHOOK_USAGE_LINES}
            [<events.jsonl[.gz]> | -]
      Applies the rules to JSON-lines events (a file, .gz too, or stdin) and writes alerts as
      JSON lines to stdout (or --out). Diagnostics go to stderr. With --checkpoint the engine's
      state is saved every --checkpoint-every input lines (default 100000); --resume continues
      from a checkpoint, skipping the input already consumed and truncating --out to match.
      --model loads a flow model (vigil train) that rules score with utils.classify(name, …).
      Rules are VGL (.vgl) or Sigma (.yml, .yaml; a directory gives all three kinds below it);
      --sigma-pipeline says how Sigma fields and logsources map to events (default flat: names
      as written; evtx-json: evtx_dump/Chainsaw JSON; ecs: Winlogbeat/Elastic Agent; or a file).
      Event time: the input is one source, or one per value of --watermark-by <field>. An event
      more than --max-jump (default 3600000 ms) ahead of its source, or --max-future (default off)
      ahead of the clock, is quarantined: simple rules see it, windows do not, vigil.future says so.
      Per rule, --max-held-events (default 4000000) bounds the events its windows hold and
      --max-state-keys (default 1000000) the keys its state machine or SUPPRESS holds; past them new
      ones are shed (stats.shed), vigil.state-limit says so, and other rules are not affected.
      --format goflow2 reads goflow2 JSON records (v1 or v2) as the flow events NetFlow gives;
      --format cef reads CEF lines (an optional syslog prefix before CEF:), extension keys under
      their full names (src → sourceAddress); by default (auto) the first line that holds a JSON
      object decides between JSON lines and goflow2. --output-format cef writes each alert as a
      CEF line (CEF:0|Vigil|Vigil|version|rule|rule|severity|fields; \\, | and = escaped,
      line breaks as \\n) instead of a JSON line.
      The engine runs on a worker thread under a watchdog: a rule function that runs past its
      budget (VIGIL_GUARD_BUDGET_MS, default 2000) or exhausts the thread's heap
      (VIGIL_GUARD_HEAP_MB, default 2048) is deactivated and the run goes on; --no-guard runs
      the engine on the main thread.
      --threads <n> (default 1) runs n engines on n threads when every rule is a simple
      rule fed by events whose functions run natively (no AGGREGATE BY, STATE MACHINE, SUPPRESS,
      SOURCES rule = … nor sandboxed function): a plain file is cut into ranges each thread
      reads itself, other input goes in batches of 1024 lines to whichever thread is free, and
      alerts and errors are written in input order, byte for byte as with one thread. Other
      rule sets run on one thread. One thread by default: it already uses two cores (reading
      beside the engine).
      ${WEBHOOK_USAGE_TEXT}
  vigil check <rules file|dir>… [--ioc name[=path]]… [--table name[=path]]… [--sigma-pipeline <name|file>]
      Prints the diagnostics of rule files; exit 0 when they have no errors.
${SIMULATE_USAGE}
${COLLECT_USAGE}
${TRAIN_USAGE}
${SERVE_USAGE}
${SIGMA_USAGE}
  vigil help | --help
  vigil --version

Exit status: 0 after a run; 1 when rules have errors (nothing is run); 2 for usage errors and
unreadable input (a corrupt gzip stream: after the alerts of the lines before it); 3 for a runtime
failure (output that cannot be written, the engine failed and the guard could not restore it, an
internal error).`;
}

const runOptions = {
  rules: { type: 'string', multiple: true },
  ioc: { type: 'string', multiple: true },
  table: { type: 'string', multiple: true },
  model: { type: 'string', multiple: true },
  'out-of-order': { type: 'string' },
  'watermark-by': { type: 'string' },
  'max-future': { type: 'string' },
  'max-jump': { type: 'string' },
  'max-held-events': { type: 'string' },
  'max-state-keys': { type: 'string' },
  lateness: { type: 'string' },
  'sandbox-only': { type: 'boolean' },
  out: { type: 'string' },
  metrics: { type: 'boolean' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'string' },
  format: { type: 'string' },
  'output-format': { type: 'string' },
  'sigma-pipeline': { type: 'string' },
  'no-guard': { type: 'boolean' },
  threads: { type: 'string' },
  ...webhookOptions,
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const collectOptions = {
  udp: { type: 'string' },
  rules: { type: 'string', multiple: true },
  ioc: { type: 'string', multiple: true },
  table: { type: 'string', multiple: true },
  model: { type: 'string', multiple: true },
  'out-of-order': { type: 'string' },
  'watermark-by': { type: 'string' },
  'max-future': { type: 'string' },
  'max-jump': { type: 'string' },
  'max-held-events': { type: 'string' },
  'max-state-keys': { type: 'string' },
  lateness: { type: 'string' },
  out: { type: 'string' },
  metrics: { type: 'boolean' },
  duration: { type: 'string' },
  'max-packets': { type: 'string' },
  'no-guard': { type: 'boolean' },
  'receive-buffer': { type: 'string' },
  'receive-queue': { type: 'string' },
  'max-templates': { type: 'string' },
  'max-templates-per-exporter': { type: 'string' },
  'sigma-pipeline': { type: 'string' },
  threads: { type: 'string' },
  ...webhookOptions,
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const trainOptions = {
  out: { type: 'string' },
  window: { type: 'string' },
  labels: { type: 'string' },
  features: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const serveOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  'state-dir': { type: 'string' },
  'no-guard': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const sigmaOptions = {
  'sigma-pipeline': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const checkOptions = {
  ioc: { type: 'string', multiple: true },
  'sigma-pipeline': { type: 'string' },
  table: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': {
        const { values, positionals } = parseArgs({ args: rest, options: runOptions, allowPositionals: true, strict: true });
        if (values.help) return await help(io);
        if (positionals.length > 1) throw new UsageError(`run takes one events file (or -), got ${positionals.length}: ${positionals.join(' ')}`);
        const { runRun } = await import('./run.js');
        return await runRun(
          {
            rules: values.rules ?? [],
            iocs: values.ioc ?? [],
            tables: values.table ?? [],
            models: values.model ?? [],
            outOfOrderMs: optionalMs(values['out-of-order'], '--out-of-order'),
            latenessMs: optionalMs(values.lateness, '--lateness'),
            watermarkBy: values['watermark-by'],
            maxFutureMs: optionalMs(values['max-future'], '--max-future'),
            maxJumpMs: optionalMs(values['max-jump'], '--max-jump'),
            maxHeldEvents: optionalCount(values['max-held-events'], '--max-held-events'),
            maxStateKeys: optionalCount(values['max-state-keys'], '--max-state-keys'),
            sandboxOnly: values['sandbox-only'] ?? false,
            out: values.out,
            metrics: values.metrics ?? false,
            input: positionals[0] ?? '-',
            checkpoint: values.checkpoint,
            checkpointEvery: optionalCount(values['checkpoint-every'], '--checkpoint-every'),
            resume: values.resume,
            format: eventFormat(values.format),
            outputFormat: alertFormat(values['output-format']),
            sigmaPipeline: values['sigma-pipeline'],
            version: io.version,
            webhook: webhookSpec(values, optionalCount, optionalMs),
            guard: values['no-guard'] ? false : guardOptionsFromEnv(process.env),
            threads: optionalCount(values.threads, '--threads'),
          },
          io,
        );
      }
      case 'check': {
        const { values, positionals } = parseArgs({ args: rest, options: checkOptions, allowPositionals: true, strict: true });
        if (values.help) return await help(io);
        const { runCheck } = await import('./check.js');
        return await runCheck({ rules: positionals, iocs: values.ioc ?? [], tables: values.table ?? [], sigmaPipeline: values['sigma-pipeline'] }, io);
      }
      case 'collect': {
        const { values } = parseArgs({ args: rest, options: collectOptions, allowPositionals: false, strict: true });
        if (values.help) return await help(io);
        if (!values.udp) throw new UsageError('collect needs --udp <host:port>');
        const { runCollect } = await import('./collect.js');
        return await runCollect(
          {
            udp: values.udp,
            rules: values.rules ?? [],
            iocs: values.ioc ?? [],
            tables: values.table ?? [],
            models: values.model ?? [],
            out: values.out,
            outOfOrderMs: optionalMs(values['out-of-order'], '--out-of-order'),
            latenessMs: optionalMs(values.lateness, '--lateness'),
            watermarkBy: values['watermark-by'],
            maxFutureMs: optionalMs(values['max-future'], '--max-future'),
            maxJumpMs: optionalMs(values['max-jump'], '--max-jump'),
            maxHeldEvents: optionalCount(values['max-held-events'], '--max-held-events'),
            maxStateKeys: optionalCount(values['max-state-keys'], '--max-state-keys'),
            metrics: values.metrics ?? false,
            durationMs: optionalMs(values.duration, '--duration'),
            maxPackets: optionalCount(values['max-packets'], '--max-packets'),
            sigmaPipeline: values['sigma-pipeline'],
            receiveBufferBytes: optionalCount(values['receive-buffer'], '--receive-buffer'),
            receiveQueueBytes: optionalCount(values['receive-queue'], '--receive-queue'),
            templateLimits: {
              total: optionalCount(values['max-templates'], '--max-templates'),
              perExporter: optionalCount(values['max-templates-per-exporter'], '--max-templates-per-exporter'),
            },
            webhook: webhookSpec(values, optionalCount, optionalMs),
            guard: values['no-guard'] ? false : guardOptionsFromEnv(process.env),
            threads: optionalCount(values.threads, '--threads'),
          },
          io,
        );
      }
      case 'train': {
        const { values, positionals } = parseArgs({ args: rest, options: trainOptions, allowPositionals: true, strict: true });
        if (values.help) return await help(io);
        if (positionals.length !== 1) throw new UsageError('train takes one flows file (JSON lines)');
        if (!values.out) throw new UsageError('train needs --out <model.json>');
        const { runTrain } = await import('./train.js');
        return await runTrain({ input: positionals[0], out: values.out, window: optionalMs(values.window, '--window'), labels: values.labels, features: values.features, format: values.format }, io);
      }
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: serveOptions, allowPositionals: false, strict: true });
        if (values.help) return await help(io);
        const port = values.port ?? '8080';
        if (!/^\d+$/.test(port) || Number(port) > 65535) throw new UsageError(`--port takes a port number (0 to 65535), got '${port}'`);
        const { runServe } = await import('./serve.js');
        return await runServe(
          { port: Number(port), host: values.host ?? '127.0.0.1', stateDir: values['state-dir'], guard: !values['no-guard'], env: process.env },
          io,
        );
      }
      case 'sigma': {
        const [sub, ...args] = rest;
        if (sub === 'help' || sub === '--help' || sub === '-h') return await help(io);
        if (sub !== 'check' && sub !== 'convert') throw new UsageError(sub === undefined ? 'sigma needs check or convert' : `unknown sigma command '${sub}' (check, convert)`);
        const { values, positionals } = parseArgs({ args, options: sigmaOptions, allowPositionals: true, strict: true });
        if (values.help) return await help(io);
        const { runSigmaCheck, runSigmaConvert } = await import('./sigma.js');
        if (sub === 'check') return await runSigmaCheck({ paths: positionals, sigmaPipeline: values['sigma-pipeline'], json: values.json ?? false }, io);
        if (values.json) throw new UsageError('--json is an option of sigma check');
        return await runSigmaConvert({ paths: positionals, sigmaPipeline: values['sigma-pipeline'] }, io);
      }
      case 'simulate': {
        const { parseSimulateArgs, runSimulate } = await import('./simulate.js');
        const spec = parseSimulateArgs(rest);
        if (spec === 'help') return await help(io);
        return await runSimulate(spec, io);
      }
      case 'help':
      case '--help':
      case '-h':
        return await help(io);
      case '--version':
      case 'version':
        io.stdout.write(`vigil ${io.version}\n`);
        return 0;
      case undefined:
        io.stderr.write(`${await usageText()}\n`);
        return 2;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`vigil: ${(error as Error).message}\n\n${await usageText()}\n`);
      return 2;
    }
    if (error instanceof InputError) {
      io.stderr.write(`vigil: ${error.message}\n`);
      return 2;
    }
    if (error instanceof GuardFailure) {
      io.stderr.write(`vigil: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`vigil: runtime failure: ${describeFailure(error)}\n`);
    return 3;
  }
}

/** What a user sees of an unexpected error: its name and message (the stack with VIGIL_DEBUG=1). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (process.env.VIGIL_DEBUG) return error.stack ?? `${error.name}: ${error.message}`;
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
}

async function help(io: CliIO): Promise<number> {
  io.stdout.write(`${await usageText()}\n`);
  return 0;
}

function optionalMs(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} takes a whole number of milliseconds, got '${text}'`);
  return Number(text);
}

function eventFormat(text: string | undefined): EventFormat | undefined {
  if (text === undefined) return undefined;
  if (!(EVENT_FORMATS as readonly string[]).includes(text)) throw new UsageError(`--format takes ${EVENT_FORMATS.join(', ')}, got '${text}'`);
  return text as EventFormat;
}

function alertFormat(text: string | undefined): AlertFormat | undefined {
  if (text === undefined) return undefined;
  if (!(ALERT_FORMATS as readonly string[]).includes(text)) throw new UsageError(`--output-format takes ${ALERT_FORMATS.join(', ')}, got '${text}'`);
  return text as AlertFormat;
}

function optionalCount(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${flag} takes a positive whole number, got '${text}'`);
  return Number(text);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
