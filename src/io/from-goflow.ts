/**
 * goflow2 JSON lines to {@link FlowEvent}s. Both goflow2 formats are read: v2's snake_case
 * (`src_addr`, `time_flow_start_ns`, `proto: "TCP"`) and v1's CamelCase (`SrcAddr`,
 * `TimeFlowStartMs`, `Proto: 6`). A bad line comes back as a {@link FlowDecodeError}, never thrown.
 */
import { FlowDecodeError, makeFlowEvent, transportNumber, type FlowEvent } from './flow-event.js';
import { jsonTextNestsDeeperThan, tooDeepReason } from './json-depth.js';

export type GoflowResult = { ok: true; flow: FlowEvent } | { ok: false; error: FlowDecodeError };

/** Decodes one goflow2 JSON line (already split; surrounding blanks allowed). */
export function decodeGoflowLine(line: string): GoflowResult {
  if (jsonTextNestsDeeperThan(line)) return fail('bad-json', tooDeepReason());
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    return fail('bad-json', `not JSON: ${(error as Error).message}`);
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) return fail('bad-json', 'not a JSON object');
  return decodeGoflowRecord(record as Record<string, unknown>, exactMilliseconds(line));
}

/**
 * goflow2 v2's nanosecond times (about 1.8e18) are beyond a double's 53 bits: JSON.parse rounds
 * them by up to 128 ns, which can move a time to the millisecond before. Read from the text, they
 * are exact.
 */
const NANOSECOND_FIELD = /"(time_received_ns|time_flow_start_ns|time_flow_end_ns)"\s*:\s*"?(\d{1,30})"?/g;

function exactMilliseconds(line: string): Map<string, number> | undefined {
  if (!line.includes('_ns"')) return undefined;
  const out = new Map<string, number>();
  for (const [, name, digits] of line.matchAll(NANOSECOND_FIELD)) out.set(name!, Number(BigInt(digits!) / 1_000_000n));
  return out;
}

/** Whether a parsed JSON line looks like a goflow2 record (v1 or v2): addresses under goflow2's names and one of its own fields. */
export function looksLikeGoflow(r: Record<string, unknown>): boolean {
  const v2 = 'src_addr' in r && 'dst_addr' in r && ('time_received_ns' in r || 'sampler_address' in r || 'sequence_num' in r || 'time_flow_start_ns' in r);
  const v1 = 'SrcAddr' in r && 'DstAddr' in r && ('TimeReceived' in r || 'SamplerAddress' in r || 'SequenceNum' in r || 'TimeFlowStart' in r);
  return v2 || v1;
}

/**
 * Decodes one parsed goflow2 record. `exactMs` holds nanosecond times converted from the line's
 * text (see exactMilliseconds); without it they are converted from the parsed numbers.
 */
export function decodeGoflowRecord(r: Record<string, unknown>, exactMs?: Map<string, number>): GoflowResult {
  const pick = (...names: string[]): unknown => {
    for (const n of names) if (r[n] !== undefined && r[n] !== null) return r[n];
    return undefined;
  };
  const number = (...names: string[]): number | undefined => {
    const v = pick(...names);
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  };
  const sourceIp = pick('src_addr', 'SrcAddr');
  const destinationIp = pick('dst_addr', 'DstAddr');
  if (typeof sourceIp !== 'string' || typeof destinationIp !== 'string') return fail('missing-field', 'src_addr and dst_addr (SrcAddr, DstAddr) must be strings');
  const proto = pick('proto', 'Proto');
  const protocol = typeof proto === 'number' ? proto : typeof proto === 'string' ? transportNumber(proto) : 0;
  if (protocol === undefined) return fail('missing-field', `unknown protocol '${String(proto)}'`);

  const ms = (name: string) => {
    const exact = exactMs?.get(name);
    return exact !== undefined && exact !== 0 ? exact : nsToMs(number(name));
  };
  const receivedMs = ms('time_received_ns') ?? secToMs(number('TimeReceived')) ?? 0;
  const start = ms('time_flow_start_ns') ?? nonZero(number('TimeFlowStartMs', 'time_flow_start_ms')) ?? secToMs(number('TimeFlowStart')) ?? receivedMs;
  const end = ms('time_flow_end_ns') ?? nonZero(number('TimeFlowEndMs', 'time_flow_end_ms')) ?? secToMs(number('TimeFlowEnd')) ?? start;
  const flags = number('tcp_flags', 'TCPFlags');
  return {
    ok: true,
    flow: makeFlowEvent({
      sourceIp,
      destinationIp,
      sourcePort: number('src_port', 'SrcPort') ?? 0,
      destinationPort: number('dst_port', 'DstPort') ?? 0,
      protocol,
      bytes: number('bytes', 'Bytes') ?? 0,
      packets: number('packets', 'Packets') ?? 0,
      samplingRate: number('sampling_rate', 'SamplingRate'),
      tcpFlags: protocol === 6 ? (flags ?? 0) : undefined,
      start,
      end,
      observer: String(pick('sampler_address', 'SamplerAddress') ?? ''),
    }),
  };
}

function nsToMs(ns: number | undefined): number | undefined {
  return ns === undefined || ns === 0 ? undefined : Math.floor(ns / 1e6);
}

function nonZero(n: number | undefined): number | undefined {
  return n === 0 ? undefined : n;
}

function secToMs(s: number | undefined): number | undefined {
  return s === undefined || s === 0 ? undefined : s * 1000;
}

function fail(reason: FlowDecodeError['reason'], message: string): GoflowResult {
  return { ok: false, error: new FlowDecodeError(reason, message) };
}
