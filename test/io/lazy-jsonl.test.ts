/**
 * Lazy against eager decoding of JSON lines, the eager path (JsonLinesDecoder with parseLine) the
 * oracle: over a corpus of hostile lines fed in chunks cut at random places, the same line errors
 * at the same line numbers, the same events (a lazy event built whole equals the eager one, and
 * its partial fields equal the eager event's), and the rules analysis that decides when lazy
 * decoding is allowed at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { WHOLE_EVENT, wholeEvent } from '../../src/engine/whole-event.js';
import { eventLineParser } from '../../src/io/event-lines.js';
import { JsonLinesDecoder, type JsonLinesHandlers } from '../../src/io/from-jsonl.js';
import { lazyFieldsOf } from '../../src/io/lazy-fields.js';
import { LazyJsonLines, lineReading, useJsonScanModule } from '../../src/io/lazy-jsonl.js';
import { loadJsonScanModuleNode } from '../../src/wasm/load-node.js';
import { WasmJsonObjectScanner } from '../../src/io/json-scan-wasm.js';
import { createNodeEngine } from '../../src/targets/node.js';
import { hostileCorpus } from './hostile-lines.js';
import { canonical } from './canonical.js';

const encoder = new TextEncoder();

interface Seen {
  errors: string[];
  events: { line: number; event: Record<string, unknown> }[];
}

function decode(bytes: Uint8Array, cuts: number[], options: ConstructorParameters<typeof JsonLinesDecoder>[0]): Seen {
  const seen: Seen = { errors: [], events: [] };
  const handlers: JsonLinesHandlers = {
    onEvent: ({ line, event }) => seen.events.push({ line, event }),
    onError: ({ line, reason }) => seen.errors.push(`${line}: ${reason}`),
  };
  const decoder = new JsonLinesDecoder(options);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    // A fresh buffer per chunk, as a file or socket reader gives (the lazy reader keeps them).
    decoder.push(Uint8Array.prototype.slice.call(bytes, at, cut), handlers);
    at = cut;
  }
  decoder.end(handlers);
  return seen;
}


const FIELDS = ['kind', 'user', 'tag', 'n', '__proto__', 'constructor'];

const jsonScanModule = await loadJsonScanModuleNode();

// Both scanners behind the lazy reader: TypeScript, and build/json-scan.wasm.
describe.each([
  ['TypeScript', undefined],
  ['WebAssembly', jsonScanModule],
])('lazy JSON lines, scanned in %s', (_name, module) => {
  beforeAll(() => useJsonScanModule(module));
  afterAll(() => useJsonScanModule(undefined));

  it('give the eager path’s errors and events on the hostile corpus, whatever the chunking', () => {
    const bytes = hostileCorpus();
    const random = (() => {
      let s = 7;
      return () => ((s = (s * 1103515245 + 12345) >>> 0) / 0x1_0000_0000);
    })();
    for (let round = 0; round < 12; round++) {
      const cuts = [...new Set(Array.from({ length: round * 3 }, () => Math.floor(random() * bytes.length)))].sort((a, b) => a - b);
      const eager = decode(bytes, cuts, { parse: eventLineParser('jsonl').parse });
      const parser = eventLineParser('jsonl');
      const reader = new LazyJsonLines(FIELDS, parser);
      // The scanner asked for is the one at work.
      expect(reader['scanner'] instanceof WasmJsonObjectScanner).toBe(module !== undefined);
      const lazy = decode(bytes, cuts, { parse: parser.parse, lazy: reader });
      expect(lazy.errors).toEqual(eager.errors);
      expect(lazy.events.map((e) => e.line)).toEqual(eager.events.map((e) => e.line));
      let partial = 0;
      lazy.events.forEach(({ event }, i) => {
        const expected = eager.events[i]!.event;
        if (WHOLE_EVENT in event) partial++;
        expect(canonical(wholeEvent(event))).toBe(canonical(expected));
        for (const name of FIELDS) {
          const own = Object.prototype.hasOwnProperty;
          expect(own.call(event, name)).toBe(own.call(expected, name));
          expect(canonical(own.call(event, name) ? event[name] : undefined)).toBe(canonical(own.call(expected, name) ? expected[name] : undefined));
        }
      });
      // The lazy path did the work for most of the accepted lines (the rest are unusual: a BOM).
      expect(partial).toBeGreaterThanOrEqual(lazy.events.length - 1);
    }
    // The corpus has errors and events in number.
    const eager = decode(bytes, [], {});
    expect(eager.errors.length).toBeGreaterThanOrEqual(15);
    expect(eager.events.length).toBeGreaterThanOrEqual(12);
  });

  it('turn eager for a while when most events are built whole, with the same events', () => {
    // 4096 lines per look, 16 × 4096 eager after a look that found most built: 4096 + 65536 + 4096 lines cover lazy, eager, lazy again.
    const count = 4096 + 16 * 4096 + 4096;
    const text = Array.from({ length: count }, (_, i) => `{"adaptive":${i},"pad":"p${i}"}\n`).join('');
    const bytes = encoder.encode(text);
    const parser = eventLineParser('jsonl');
    const reader = new LazyJsonLines(['adaptive'], parser);
    const lazyAt: number[] = [];
    const decoder = new JsonLinesDecoder({ parse: parser.parse, lazy: reader });
    let mismatches = 0;
    const handlers: JsonLinesHandlers = {
      onEvent: ({ line, event }) => {
        if (WHOLE_EVENT in event) lazyAt.push(line);
        // Every event is built whole, as when every event reaches a SINK.
        const whole = wholeEvent(event);
        if (whole.adaptive !== line - 1 || whole.pad !== `p${line - 1}`) mismatches++;
      },
      onError: () => mismatches++,
    };
    for (let at = 0; at < bytes.length; at += 65536) decoder.push(bytes.slice(at, at + 65536), handlers);
    decoder.end(handlers);
    expect(mismatches).toBe(0);
    // Lazy for the first stretch, eager for the next 16, lazy again to look once more.
    expect(lazyAt.filter((line) => line <= 4096)).toHaveLength(4096);
    expect(lazyAt.filter((line) => line > 4096 && line <= 4096 + 65536)).toHaveLength(0);
    expect(lazyAt.filter((line) => line > 4096 + 65536)).toHaveLength(4096);
  });

  it('leave goflow2 input (chosen by `auto` from the first object) to the eager parser', () => {
    const goflow = '{"type":"IPFIX","time_received_ns":1,"sequence_num":1,"sampling_rate":0,"sampler_address":"10.0.0.1","time_flow_start_ns":1,"time_flow_end_ns":2,"bytes":10,"packets":1,"src_addr":"10.0.0.2","dst_addr":"10.0.0.3","etype":"IPv4","proto":"TCP","src_port":1,"dst_port":2}\n';
    const bytes = encoder.encode(goflow.repeat(3));
    const parser = eventLineParser('auto');
    const lazy = decode(bytes, [], { parse: parser.parse, lazy: new LazyJsonLines(['src_addr'], parser) });
    const eager = decode(bytes, [], { parse: eventLineParser('auto').parse });
    expect(parser.format).toBe('goflow2');
    expect(lazy.events.map((e) => canonical(e.event))).toEqual(eager.events.map((e) => canonical(e.event)));
    expect(lazy.events.some((e) => WHOLE_EVENT in e.event)).toBe(false);
  });
});

describe('which fields the rules read (lazyFieldsOf)', () => {
  async function infos(text: string, options: Parameters<typeof createNodeEngine>[0] = {}) {
    const engine: Engine = await createNodeEngine(options);
    try {
      engine.iocs.create('list');
      const applied = engine.putRules(text, { file: 'r.vgl' });
      expect(applied.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return engine.rulePlans();
    } finally {
      engine.dispose();
    }
  }

  it('collects SOURCES, IOC FILTERS and the FILTER’s named reads (dotted paths with their first segment)', async () => {
    const rules = await infos(`
RULE "a"
SOURCES kind = "e"
FILTER function (e) { return e.user == 'u1' && e['tag'] != 'x' && e.src.ip == '1.2.3.4'; }
IOC FILTERS in list(host.name)
SINK function (e) { return e; }
`);
    expect(lazyFieldsOf(rules)).toEqual({ fields: expect.arrayContaining(['kind', 'host.name', 'host', 'user', 'tag', 'src']) });
    expect((lazyFieldsOf(rules) as { fields: string[] }).fields).toHaveLength(6);
  });

  it('is eager for any use of the event it cannot follow, or for rules that read every event', async () => {
    const eager = async (rule: string, options = {}) => lazyFieldsOf(await infos(`RULE "r"\nSOURCES kind = "e"\n${rule}\nSINK function (e) { return e; }\n`, options));
    const cases = [
      'FILTER function (e) { return Object.keys(e).length > 1; }',
      'FILTER function (e) { return utils.matches(JSON.stringify(e), "x"); }',
      'FILTER function (e) { const k = "user"; return e[k] == "u"; }',
      'FILTER function (e) { return e[0] == 1; }',
      'FILTER function (e) { return [e].length == 1; }',
      'FILTER function ({ user }) { return user == "u"; }',
      'FILTER function (e) { return arguments[0].user == "u"; }',
      'FILTER function (e) { return [1].some((e) => e == 1); }',
      'FILTER function (e) { let n = 0; for (const k in e) n++; return n > 1; }',
      'USING t\nAGGREGATE BY user WITHIN 1:min, 1:min',
    ];
    for (const rule of cases) expect({ rule, use: await eager(rule) }).toEqual({ rule, use: { eager: expect.any(String) } });
    // The same FILTER, lazy natively and eager in the sandbox.
    const filter = 'FILTER function (e) { return e.user == "u"; }';
    expect(await eager(filter)).toEqual({ fields: ['kind', 'user'] });
    expect(await eager(filter, { sandboxOnly: true })).toEqual({ eager: expect.stringMatching(/sandbox/) });
  });

  it('choose lazy reading for the thesis workload’s rules', async () => {
    // @ts-expect-error: a JavaScript module of the benchmarks, without types.
    const { vgl, ruleSpecs } = (await import('../../bench/thesis-workload.mjs')) as { vgl: (s: unknown) => string; ruleSpecs: (n: number) => unknown };
    const engine = await createNodeEngine({});
    try {
      engine.iocs.create('id_list');
      engine.putRules(vgl(ruleSpecs(6)), { file: 'thesis.vgl' });
      const reading = lineReading('auto', engine.rulePlans());
      expect(reading.lazy?.fields.slice().sort()).toEqual(['groupName', 'groupTag', 'integer', 'tag']);
      expect(lineReading('auto', engine.rulePlans(), true).lazy).toBeUndefined();
      expect(lineReading('cef', engine.rulePlans()).lazy).toBeUndefined();
    } finally {
      engine.dispose();
    }
  });
});
