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
  return decodeGoflowRecord(record as Record<string, unknown>);
}

/** Decodes one parsed goflow2 record. */
export function decodeGoflowRecord(r: Record<string, unknown>): GoflowResult {
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

  const receivedMs = nsToMs(number('time_received_ns')) ?? secToMs(number('TimeReceived')) ?? 0;
  const start = nsToMs(number('time_flow_start_ns')) ?? number('TimeFlowStartMs', 'time_flow_start_ms') ?? secToMs(number('TimeFlowStart')) ?? receivedMs;
  const end = nsToMs(number('time_flow_end_ns')) ?? number('TimeFlowEndMs', 'time_flow_end_ms') ?? secToMs(number('TimeFlowEnd')) ?? start;
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

function secToMs(s: number | undefined): number | undefined {
  return s === undefined || s === 0 ? undefined : s * 1000;
}

function fail(reason: FlowDecodeError['reason'], message: string): GoflowResult {
  return { ok: false, error: new FlowDecodeError(reason, message) };
}
