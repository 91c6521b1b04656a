/** `vigil simulate`: synthetic events as JSON lines, with the ground truth of their anomalies. */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createGenerator, GENERATOR_NAMES, isGeneratorName, type Generator, type SimulatedEvent } from '../simulate/index.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';

export interface SimulateSpec {
  /** One of GENERATOR_NAMES. */
  generator: string;
  seed?: number;
  /** Events per second of event time. */
  rate?: number;
  /** Events to write (default 1000). */
  count?: number;
  errorProbability?: number;
  capacity?: number;
  /** Where to write the ground truth (JSON lines, one per anomaly). */
  truth?: string;
  /** Where to write the events; stdout without it. */
  out?: string;
  /** `wave`: cycle length in ms. */
  period?: number;
  /** `wave`: sawtooth, sine or square. */
  shape?: string;
  /** Event time of the first event, epoch ms. */
  startTime?: number;
}

export const DEFAULT_COUNT = 1000;

export const SIMULATE_USAGE = `  vigil simulate <${GENERATOR_NAMES.join('|')}> [--count <n>] [--seed <n>] [--rate <events/s>]
            [--error-probability <p>] [--capacity <n>] [--period <ms>] [--shape <s>]
            [--start <ms|ISO-8601>] [--truth <file>] [--out <file>]
      Writes simulated events as JSON lines to stdout (or --out): --count of them (default ${DEFAULT_COUNT}),
      then the rest of any attack under way; the same for the same --seed (default 1). --truth writes one JSON line per anomaly,
      {"index","truthKey","incident"}, index counting events from 0.`;

/** Flags of `vigil simulate`, for node:util parseArgs. */
export const simulateOptions = {
  seed: { type: 'string' },
  rate: { type: 'string' },
  count: { type: 'string', short: 'n' },
  'error-probability': { type: 'string' },
  capacity: { type: 'string' },
  period: { type: 'string' },
  shape: { type: 'string' },
  start: { type: 'string' },
  truth: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/**
 * The arguments after `simulate` as a spec, or `'help'` for --help. Throws UsageError (or
 * parseArgs's own ERR_PARSE_ARGS errors) on bad arguments.
 */
export function parseSimulateArgs(args: readonly string[]): SimulateSpec | 'help' {
  const { values, positionals } = parseArgs({ args: [...args], options: simulateOptions, allowPositionals: true, strict: true });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`simulate takes one generator (${GENERATOR_NAMES.join(', ')}), got ${positionals.length ? positionals.join(' ') : 'none'}`);
  return {
    generator: positionals[0],
    seed: numberFlag(values.seed, '--seed', /^-?\d+$/, 'a whole number'),
    rate: numberFlag(values.rate, '--rate', /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, 'a positive number of events per second'),
    count: numberFlag(values.count, '--count', /^\d+$/, 'a whole number of events'),
    errorProbability: numberFlag(values['error-probability'], '--error-probability', /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, 'a probability in [0, 1]'),
    capacity: numberFlag(values.capacity, '--capacity', /^\d+$/, 'a positive whole number'),
    period: numberFlag(values.period, '--period', /^\d+$/, 'a whole number of milliseconds'),
    shape: values.shape,
    startTime: values.start === undefined ? undefined : parseStart(values.start),
    truth: values.truth,
    out: values.out,
  };
}

/** Events written per chunk: bounds memory whatever the count. */
const CHUNK = 1024;

export async function runSimulate(spec: SimulateSpec, io: CliIO): Promise<number> {
  const generator = makeGenerator(spec);
  const count = spec.count ?? DEFAULT_COUNT;
  if (!(Number.isInteger(count) && count >= 0)) throw new UsageError(`--count takes a whole number of events, got ${count}`);

  let out: Writable = io.stdout;
  let truth: Writable | undefined;
  try {
    if (spec.out) out = await openOutput(spec.out);
    if (spec.truth) truth = await openOutput(spec.truth);
    let index = 0;
    const write = async (batch: readonly SimulatedEvent[]) => {
      let events = '';
      let anomalies = '';
      for (const item of batch) {
        events += `${JSON.stringify(item.event)}\n`;
        if (item.anomaly) anomalies += `${JSON.stringify({ index, truthKey: item.truthKey, incident: item.incident })}\n`;
        index++;
      }
      await writeAll(out, events);
      if (truth && anomalies) await writeAll(truth, anomalies);
    };
    while (index < count) await write(generator.take(Math.min(CHUNK, count - index)));
    if (count > 0) await write(generator.settle());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw error;
  } finally {
    if (out !== io.stdout) await close(out);
    if (truth) await close(truth);
  }
  return 0;
}

function makeGenerator(spec: SimulateSpec): Generator {
  if (!isGeneratorName(spec.generator)) throw new UsageError(`unknown generator '${spec.generator}'; known: ${GENERATOR_NAMES.join(', ')}`);
  const options: Record<string, unknown> = {};
  for (const key of ['seed', 'rate', 'errorProbability', 'capacity', 'period', 'shape', 'startTime'] as const) {
    if (spec[key] !== undefined) options[key] = spec[key];
  }
  try {
    return createGenerator(spec.generator, options);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`simulate ${spec.generator}: ${error.message}`);
    throw error;
  }
}

function numberFlag(text: string | undefined, flag: string, pattern: RegExp, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!pattern.test(text)) throw new UsageError(`${flag} takes ${what}, got '${text}'`);
  return Number(text);
}

function parseStart(text: string): number {
  const time = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(time)) throw new UsageError(`--start takes epoch milliseconds or an ISO-8601 time, got '${text}'`);
  return time;
}

/** Opens a file for writing, failing early (InputError: exit 2) when it cannot be created. */
function openOutput(path: string): Promise<Writable> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path);
    stream.once('open', () => resolve(stream));
    stream.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(`cannot write '${path}': ${error.code === 'ENOENT' ? 'no such directory' : error.code === 'EISDIR' ? 'it is a directory' : error.message}`)));
  });
}

function close(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
