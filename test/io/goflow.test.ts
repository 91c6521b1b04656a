import { describe, expect, it } from 'vitest';
import { decodeGoflowLine, looksLikeGoflow } from '../../src/io/from-goflow.js';
import { eventLineParser } from '../../src/io/event-lines.js';

describe('goflow2 JSON lines', () => {
  it('reads goflow2 v2 (snake_case) records', () => {
    const line = JSON.stringify({
      type: 'IPFIX', time_received_ns: 1767225605000000000, sequence_num: 3, sampling_rate: 10, sampler_address: '192.0.2.1',
      time_flow_start_ns: 1767225600123000000, time_flow_end_ns: 1767225601123000000, bytes: 300, packets: 3,
      src_addr: '10.0.0.1', dst_addr: '2001:db8::1', etype: 'IPv6', proto: 'TCP', src_port: 40000, dst_port: 443, tcp_flags: 18,
    });
    const r = decodeGoflowLine(line);
    expect(r).toEqual({
      ok: true,
      flow: {
        kind: 'flow', 'source.ip': '10.0.0.1', 'source.port': 40000, 'destination.ip': '2001:db8::1', 'destination.port': 443,
        'network.transport': 'tcp', 'network.iana_number': 6, 'network.bytes': 3000, 'network.packets': 30, 'network.sampling_rate': 10,
        'tcp.flags': 18, 'event.start': 1767225600123, 'event.end': 1767225601123, 'observer.ip': '192.0.2.1',
      },
    });
  });

  it('reads goflow2 v1 (CamelCase) records', () => {
    const r = decodeGoflowLine(JSON.stringify({ Type: 'NETFLOW_V5', TimeReceived: 1767225605, SamplingRate: 0, SamplerAddress: '192.0.2.2', TimeFlowStart: 1767225600, TimeFlowEnd: 1767225602, Bytes: 68, Packets: 1, SrcAddr: '10.0.0.3', DstAddr: '8.8.8.8', Proto: 17, SrcPort: 5353, DstPort: 53 }));
    expect(r.ok && r.flow).toMatchObject({ 'network.transport': 'udp', 'event.start': 1767225600000, 'event.end': 1767225602000, 'network.bytes': 68, 'observer.ip': '192.0.2.2' });
    expect(r.ok && r.flow['network.sampling_rate']).toBeUndefined();
  });

  it('bad lines are typed errors', () => {
    for (const [line, reason] of [['{', 'bad-json'], ['[1]', 'bad-json'], ['{"src_addr":"1.2.3.4"}', 'missing-field'], ['{"src_addr":"1.1.1.1","dst_addr":"2.2.2.2","proto":"XYZ"}', 'missing-field']]) {
      const r = decodeGoflowLine(line);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).toBe(reason);
    }
  });

  it('reads nanosecond times exactly (regression: 1.8e18 ns rounded as doubles moved flows a millisecond back)', () => {
    let moved = 0;
    for (let ms = 1767225600000; ms < 1767225600000 + 2000; ms++) {
      const ns = BigInt(ms) * 1_000_000n + 999_999n; // the last nanosecond of the millisecond
      if (Math.floor(Number(ns) / 1e6) !== ms) moved++;
      const r = decodeGoflowLine(`{"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":"UDP","time_flow_start_ns":${ns},"time_flow_end_ns":${ns}}`);
      expect(r.ok && r.flow['event.start']).toBe(ms);
    }
    expect(moved).toBeGreaterThan(0); // doubles do get it wrong: the case is real
  });

  it('tells goflow2 records (v1, v2) from other JSON lines', () => {
    expect(looksLikeGoflow({ src_addr: 'a', dst_addr: 'b', time_received_ns: 1 })).toBe(true);
    expect(looksLikeGoflow({ SrcAddr: 'a', DstAddr: 'b', TimeReceived: 1 })).toBe(true);
    expect(looksLikeGoflow({ kind: 'flow', 'source.ip': 'a', 'destination.ip': 'b' })).toBe(false);
    expect(looksLikeGoflow({ src_addr: 'a', dst_addr: 'b' })).toBe(false);
    const parser = eventLineParser();
    expect(parser.parse('')).toBeUndefined();
    expect(parser.format).toBeUndefined();
    expect(parser.parse('{"SrcAddr":"10.0.0.1","DstAddr":"10.0.0.2","Proto":17,"TimeReceived":1767225605}')).toMatchObject({ event: { kind: 'flow', 'network.transport': 'udp' } });
    expect(parser.format).toBe('goflow2');
    expect(parser.parse('{"kind":"x"}')).toEqual({ reason: 'goflow2: src_addr and dst_addr (SrcAddr, DstAddr) must be strings' });
  });
});
