import { describe, expect, it } from 'vitest';
import { NetflowDecoder } from '../../src/io/from-netflow.js';
import { ipv6At } from '../../src/io/netflow-bytes.js';
import { Bytes, concat, ipfixPacket, set, templateRecord, v4Record, V4_FIELDS, v5Packet, v9Packet } from './packets.js';

const EXPORT_SECS = 1_767_225_600; // 2026-01-01T00:00:00Z
const UPTIME = 100_000;
const BOOT = EXPORT_SECS * 1000 - UPTIME;

const rec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 22, proto: 6, flags: 0x1b, bytes: 3000, packets: 12, first: 90_000, last: 95_000 };

describe('NetFlow v5', () => {
  it('decodes records into flow events', () => {
    const d = new NetflowDecoder();
    const r = d.decode(v5Packet([{ ...rec }, { ...rec, src: '10.0.0.3', dst: '8.8.8.8', sport: 5353, dport: 53, proto: 17, flags: 0, bytes: 68, packets: 1 }], { nsecs: 250_000_000 }), '192.0.2.9');
    expect(r.error).toBeUndefined();
    expect(r.version).toBe(5);
    expect(r.flows[0]).toEqual({
      kind: 'flow',
      'source.ip': '10.0.0.1',
      'source.port': 40000,
      'destination.ip': '10.0.0.2',
      'destination.port': 22,
      'network.transport': 'tcp',
      'network.iana_number': 6,
      'network.bytes': 3000,
      'network.packets': 12,
      'tcp.flags': 0x1b,
      'event.start': BOOT + 250 + 90_000,
      'event.end': BOOT + 250 + 95_000,
      'observer.ip': '192.0.2.9',
    });
    expect(r.flows[1]).toMatchObject({ 'network.transport': 'udp', 'destination.port': 53, 'network.bytes': 68 });
    expect(r.flows[1]['tcp.flags']).toBeUndefined();
  });

  it('scales bytes and packets by the sampling interval and keeps the rate', () => {
    const r = new NetflowDecoder().decode(v5Packet([rec], { sampling: (1 << 14) | 100 }), '192.0.2.9');
    expect(r.flows[0]).toMatchObject({ 'network.bytes': 300_000, 'network.packets': 1200, 'network.sampling_rate': 100 });
  });

  it('reports bad lengths and counts as malformed, never throws', () => {
    const d = new NetflowDecoder();
    const good = v5Packet([rec, rec]);
    expect(d.decode(good.subarray(0, good.length - 1), 'x').error?.reason).toBe('bad-length');
    expect(d.decode(v5Packet([rec], { count: 2 }), 'x').error?.reason).toBe('bad-length');
    expect(d.decode(v5Packet([], { count: 0 }), 'x').error?.reason).toBe('bad-length');
    expect(d.decode(good.subarray(0, 10), 'x').error?.reason).toBe('truncated');
    expect(d.decode(new Uint8Array([0]), 'x').error?.reason).toBe('truncated');
    expect(d.decode(new Uint8Array([0, 7, 1, 2]), 'x').error?.reason).toBe('bad-version');
    expect(d.stats).toMatchObject({ packets: 6, malformed: 6, flows: 0 });
  });
});

describe('NetFlow v9', () => {
  const template = set(0, templateRecord(256, V4_FIELDS));
  const data = (...records: (typeof rec)[]) => set(256, concat(...records.map(v4Record)));

  it('decodes data after its template, in the same or a later packet', () => {
    const d = new NetflowDecoder();
    const r = d.decode(v9Packet([template, data(rec)]), '192.0.2.1');
    expect(r.error).toBeUndefined();
    expect(r.flows).toEqual([
      {
        kind: 'flow',
        'source.ip': '10.0.0.1',
        'source.port': 40000,
        'destination.ip': '10.0.0.2',
        'destination.port': 22,
        'network.transport': 'tcp',
        'network.iana_number': 6,
        'network.bytes': 3000,
        'network.packets': 12,
        'tcp.flags': 0x1b,
        'event.start': BOOT + 90_000,
        'event.end': BOOT + 95_000,
        'observer.ip': '192.0.2.1',
      },
    ]);
    expect(d.decode(v9Packet([data(rec, { ...rec, dport: 23 })]), '192.0.2.1').flows.map((f) => f['destination.port'])).toEqual([22, 23]);
  });

  it('counts data without a template, and keeps exporters and source ids apart', () => {
    const d = new NetflowDecoder();
    d.decode(v9Packet([template], { sourceId: 1 }), '192.0.2.1');
    const other = d.decode(v9Packet([data(rec)], { sourceId: 2 }), '192.0.2.1');
    expect(other.flows).toEqual([]);
    expect(other.missingTemplates).toEqual([256]);
    expect(other.error).toBeUndefined();
    expect(d.decode(v9Packet([data(rec)], { sourceId: 1 }), '192.0.2.2').missingTemplates).toEqual([256]);
    expect(d.decode(v9Packet([data(rec)], { sourceId: 1 }), '192.0.2.1').flows).toHaveLength(1);
    expect(d.stats).toMatchObject({ missingTemplateSets: 2, malformed: 0 });
  });

  it('a refreshed template redefines the records', () => {
    const d = new NetflowDecoder();
    d.decode(v9Packet([template]), 'e');
    const swapped: [number, number][] = [[12, 4], [8, 4], ...V4_FIELDS.slice(2)];
    const r = d.decode(v9Packet([set(0, templateRecord(256, swapped)), data(rec)]), 'e');
    expect(r.flows[0]).toMatchObject({ 'source.ip': '10.0.0.2', 'destination.ip': '10.0.0.1' });
  });

  it('applies the sampling interval of options data to later flows', () => {
    const d = new NetflowDecoder();
    // options template 300: scope system (1) of 4 bytes; option SAMPLING_INTERVAL (34) of 4 bytes
    const options = set(1, new Bytes().u16(300).u16(4).u16(4).u16(1).u16(4).u16(34).u16(4).done());
    const optionsData = set(300, new Bytes().u32(0).u32(10).done());
    const r = d.decode(v9Packet([template, options, optionsData, data(rec)]), 'e');
    expect(r.error).toBeUndefined();
    expect(r.flows[0]).toMatchObject({ 'network.bytes': 30_000, 'network.packets': 120, 'network.sampling_rate': 10 });
  });

  it('reports bad set lengths and bad templates', () => {
    const d = new NetflowDecoder();
    const bad = v9Packet([template]);
    new DataView(bad.buffer).setUint16(22, 2000); // set length past the packet
    expect(d.decode(bad, 'e').error?.reason).toBe('bad-length');
    expect(d.decode(v9Packet([set(0, templateRecord(256, [[8, 0]]))]), 'e').error?.reason).toBe('bad-template');
    expect(d.decode(v9Packet([set(0, templateRecord(12, V4_FIELDS))]), 'e').error?.reason).toBe('bad-template');
    // a record cut short inside the set: its set is shorter than the template says
    d.decode(v9Packet([template]), 'e');
    expect(d.decode(v9Packet([set(256, v4Record(rec).subarray(0, 30), false)]), 'e').error).toBeUndefined(); // shorter than a record: padding
    expect(d.decode(v9Packet([template]).subarray(0, 12), 'e').error?.reason).toBe('truncated');
    expect(d.stats.malformed).toBe(4);
  });
});

describe('IPFIX', () => {
  const template = set(2, templateRecord(256, V4_FIELDS.slice(0, 8).concat([[152, 8], [153, 8]])));
  const record = (r: typeof rec, startMs: number, endMs: number) =>
    new Bytes().ip(r.src).ip(r.dst).u16(r.sport).u16(r.dport).u8(r.proto).u8(r.flags).u32(r.bytes).u32(r.packets).u64(startMs).u64(endMs).done();
  const T0 = Date.UTC(2026, 0, 1, 0, 0, 5);

  it('decodes template then data, with millisecond times', () => {
    const d = new NetflowDecoder();
    const r = d.decode(ipfixPacket([template, set(256, concat(record(rec, T0, T0 + 1500), record({ ...rec, dport: 80 }, T0 + 1, T0 + 2)))]), '192.0.2.7');
    expect(r.error).toBeUndefined();
    expect(r.version).toBe(10);
    expect(r.flows).toHaveLength(2);
    expect(r.flows[0]).toMatchObject({ 'source.ip': '10.0.0.1', 'destination.port': 22, 'event.start': T0, 'event.end': T0 + 1500, 'network.bytes': 3000, 'tcp.flags': 0x1b, 'observer.ip': '192.0.2.7' });
  });

  it('reads sysUpTime times against systemInitTimeMilliseconds from an options template, and sampling', () => {
    const d = new NetflowDecoder();
    const init = Date.UTC(2025, 11, 31);
    // options template 257: scope observationDomainId (149, 4); systemInitTimeMilliseconds (160, 8); samplingPacketInterval/Space (305, 306)
    const optionsTemplate = set(3, new Bytes().u16(257).u16(4).u16(1).u16(149).u16(4).u16(160).u16(8).u16(305).u16(4).u16(306).u16(4).done());
    const optionsData = set(257, new Bytes().u32(0).u64(init).u32(1).u32(3).done());
    const flows = set(2, templateRecord(258, V4_FIELDS));
    const r = d.decode(ipfixPacket([optionsTemplate, optionsData, flows, set(258, v4Record(rec))]), 'e');
    expect(r.error).toBeUndefined();
    expect(r.flows[0]).toMatchObject({ 'event.start': init + 90_000, 'event.end': init + 95_000, 'network.sampling_rate': 4, 'network.bytes': 12_000 });
  });

  it('skips enterprise fields and reads variable-length fields (short and long form)', () => {
    const d = new NetflowDecoder();
    const t = set(2, templateRecord(300, [[8, 4], [1, 2, 29305], [12, 4], [82, 0xffff], [4, 1], [1, 4], [2, 4], [95, 0xffff], [7, 2], [11, 2]]));
    const long = new Array(300).fill(65);
    const body = new Bytes().ip('10.9.9.9').u16(0xdead).ip('10.8.8.8').u8(4).raw([101, 116, 104, 48]).u8(17).u32(500).u32(5).u8(255).u16(300).raw(long).u16(1234).u16(53).done();
    const r = d.decode(ipfixPacket([t, set(300, body)]), 'e');
    expect(r.error).toBeUndefined();
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({ 'source.ip': '10.9.9.9', 'destination.ip': '10.8.8.8', 'network.transport': 'udp', 'network.bytes': 500, 'network.packets': 5, 'source.port': 1234, 'destination.port': 53 });
  });

  it('template refresh and withdrawal', () => {
    const d = new NetflowDecoder();
    d.decode(ipfixPacket([template]), 'e');
    const data = set(256, record(rec, T0, T0));
    expect(d.decode(ipfixPacket([data]), 'e').flows).toHaveLength(1);
    // withdraw 256: data is then counted, not decoded
    const withdrawn = d.decode(ipfixPacket([set(2, new Bytes().u16(256).u16(0).done()), data]), 'e');
    expect(withdrawn.flows).toEqual([]);
    expect(withdrawn.missingTemplates).toEqual([256]);
    // redefine (refresh) and decode again
    expect(d.decode(ipfixPacket([template, data]), 'e').flows).toHaveLength(1);
    // withdraw all data templates (id = set id 2)
    d.decode(ipfixPacket([set(2, new Bytes().u16(2).u16(0).done())]), 'e');
    expect(d.decode(ipfixPacket([data]), 'e').missingTemplates).toEqual([256]);
    expect(d.templateCount).toBe(0);
  });

  it('observation domains and exporters keep their own templates', () => {
    const d = new NetflowDecoder();
    d.decode(ipfixPacket([template], { domain: 1 }), 'a');
    const data = set(256, record(rec, T0, T0));
    expect(d.decode(ipfixPacket([data], { domain: 2 }), 'a').missingTemplates).toEqual([256]);
    expect(d.decode(ipfixPacket([data], { domain: 1 }), 'b').missingTemplates).toEqual([256]);
    expect(d.decode(ipfixPacket([data], { domain: 1 }), 'a').flows).toHaveLength(1);
  });

  it('malformed messages: length mismatch, set past the end, record past its set, bad options template', () => {
    const d = new NetflowDecoder();
    expect(d.decode(ipfixPacket([template], { length: 999 }), 'e').error?.reason).toBe('bad-length');
    const cut = ipfixPacket([template]);
    new DataView(cut.buffer).setUint16(18, 400);
    expect(d.decode(cut, 'e').error?.reason).toBe('bad-length');
    d.decode(ipfixPacket([set(2, templateRecord(301, [[8, 4], [82, 0xffff]]))]), 'e');
    // variable-length field announcing 200 bytes in a 12-byte set
    expect(d.decode(ipfixPacket([set(301, new Bytes().ip('1.2.3.4').u8(200).raw([1, 2, 3]).done(), false)]), 'e').error?.reason).toBe('bad-length');
    expect(d.decode(ipfixPacket([set(3, new Bytes().u16(400).u16(1).u16(0).u16(8).u16(4).done())]), 'e').error?.reason).toBe('bad-template');
    expect(d.stats.malformed).toBe(4);
  });

  it('random bytes never throw', () => {
    const d = new NetflowDecoder();
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 255;
    for (let i = 0; i < 3000; i++) {
      const len = rnd() + (i % 3) * 100;
      const bytes = Uint8Array.from({ length: len }, rnd);
      if (len >= 2) bytes.set([0, [5, 9, 10][i % 3]], 0);
      if (i % 3 === 2 && len >= 4) new DataView(bytes.buffer).setUint16(2, len);
      expect(() => d.decode(bytes, 'fuzz')).not.toThrow();
    }
  });
});

describe('addresses', () => {
  it('formats IPv6 per RFC 5952', () => {
    const a = (hex: string) => ipv6At(Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16))), 0);
    expect(a('20010db8000000000000000000000001')).toBe('2001:db8::1');
    expect(a('00000000000000000000000000000000')).toBe('::');
    expect(a('20010db8000100000001000000000001')).toBe('2001:db8:1:0:1::1');
    expect(a('00000000000000000000ffff0a000001')).toBe('::ffff:10.0.0.1');
  });
});

describe('regressions', () => {
  it('a v5 datagram with 4 padding bytes is rejected whole (nfdump reads it): trailing padding shorter than a record is accepted', () => {
    const d = new NetflowDecoder();
    const padded = concat(v5Packet([rec, { ...rec, dport: 23 }]), new Uint8Array(4));
    const r = d.decode(padded, '192.0.2.9');
    expect(r.error).toBeUndefined();
    expect(r.flows.map((f) => f['destination.port'])).toEqual([22, 23]);
    // a whole record's worth of extra bytes is not padding: the count is wrong
    expect(d.decode(concat(v5Packet([rec]), new Uint8Array(48)), 'e').error?.reason).toBe('bad-length');
  });

  it('the header fields the collector accounts with: sequence, domain (v9 source id, IPFIX domain, v5 engine), records', () => {
    const d = new NetflowDecoder();
    expect(d.decode(v5Packet([rec, rec], { sequence: 4000, engineId: 3 }), 'e')).toMatchObject({ sequence: 4000, domain: 3, records: 2, uptimeMs: 100_000 });
    const template = set(0, templateRecord(256, V4_FIELDS));
    expect(d.decode(v9Packet([template, set(256, concat(v4Record(rec), v4Record(rec)))], { sequence: 17, sourceId: 9 }), 'e')).toMatchObject({ sequence: 17, domain: 9, records: 2, flowRecords: 2 });
    // data without its template: its records cannot be counted
    expect(d.decode(v9Packet([set(300, v4Record(rec))], { sequence: 18, sourceId: 9 }), 'e')).toMatchObject({ sequence: 18, records: undefined });
    const ipfixTemplate = set(2, templateRecord(256, V4_FIELDS));
    expect(d.decode(ipfixPacket([ipfixTemplate, set(256, v4Record(rec))], { sequence: 99, domain: 5 }), 'e')).toMatchObject({ sequence: 99, domain: 5, records: 1 });
  });
});

describe('template cache', () => {
  const fields = V4_FIELDS;
  const define = (d: NetflowDecoder, exporter: string, domain: number, id = 256) => d.decode(ipfixPacket([set(2, templateRecord(id, fields))], { domain }), exporter);
  const data = (d: NetflowDecoder, exporter: string, domain: number, id = 256) => d.decode(ipfixPacket([set(id, v4Record(rec))], { domain }), exporter);

  it('keeps at most the per-exporter limit, forgetting the least recently used (a used template stays)', () => {
    const d = new NetflowDecoder({ perExporter: 3, total: 100 });
    define(d, 'a', 1);
    define(d, 'a', 2);
    define(d, 'a', 3);
    expect(data(d, 'a', 1).flows).toHaveLength(1); // 1 is now the most recently used
    const r = define(d, 'a', 4);
    expect(r.evictions).toEqual([{ version: 10, exporter: 'a', domain: 2, id: 256, limit: 'exporter' }]);
    expect(data(d, 'a', 2).missingTemplates).toEqual([256]);
    expect(data(d, 'a', 1).flows).toHaveLength(1);
    expect(data(d, 'a', 3).flows).toHaveLength(1);
    expect(data(d, 'a', 4).flows).toHaveLength(1);
    // another exporter has its own allowance
    define(d, 'b', 1);
    expect(data(d, 'a', 3).flows).toHaveLength(1);
    expect(d.templateCount).toBe(4);
    expect(d.stats.templatesEvicted).toBe(1);
  });

  it('keeps at most the total limit over all exporters; a session whose last template left is forgotten', () => {
    const d = new NetflowDecoder({ perExporter: 100, total: 5 });
    for (let i = 0; i < 50; i++) define(d, `10.0.0.${i}`, i);
    expect(d.templateCount).toBe(5);
    expect(d.sessionCount).toBe(5);
    expect(d.stats.templatesEvicted).toBe(45);
    expect(data(d, '10.0.0.49', 49).flows).toHaveLength(1);
    expect(data(d, '10.0.0.0', 0).missingTemplates).toEqual([256]);
  });

  it('a refresh does not count twice, and a withdrawal frees its place', () => {
    const d = new NetflowDecoder({ perExporter: 2, total: 10 });
    define(d, 'a', 1);
    define(d, 'a', 1);
    define(d, 'a', 1, 257);
    expect(d.stats.templatesEvicted).toBe(0);
    d.decode(ipfixPacket([set(2, new Bytes().u16(256).u16(0).done())], { domain: 1 }), 'a');
    define(d, 'a', 1, 258);
    expect(d.stats.templatesEvicted).toBe(0);
    expect(d.templateCount).toBe(2);
  });
});
