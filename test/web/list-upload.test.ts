import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { WorkerHost } from '../../web/worker/host.js';
import { csvParseRows } from 'd3-dsv';
import { ListChunkParser, looksLikeHeader, readListFile } from '../../web/worker/list-upload.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { LARGE_LIST_ENTRIES, type ListUploadProgress } from '../../src/runtime/worker/protocol.js';
import { filterRecord, readListRecord, stateSignature } from '../../web/worker/records.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { destinationAddress, eventUrl, TopCounter, TrafficTops } from '../../web/worker/top-sources.js';
import { DEFAULTS } from '../../web/defaults.js';
import { columnOption, headerOption, uploadPercent } from '../../web/lib/list-upload.js';
import { FakeTimer } from './fake-timer.js';

/** Feeds `text` to a parser in chunks of `size` characters. */
function parseChunked(text: string, size: number, options: ConstructorParameters<typeof ListChunkParser>[0]): { entries: string[]; parser: ListChunkParser } {
  const parser = new ListChunkParser(options);
  const entries: string[] = [];
  for (let i = 0; i < text.length; i += size) entries.push(...parser.push(text.slice(i, i + size)));
  entries.push(...parser.end());
  return { entries, parser };
}

describe('list file parser', () => {
  const text = '# bad addresses\n10.0.0.1\r\n\n  10.0.0.2  \n   # indented comment\n10.0.0.3';

  it('reads text one entry a line, leaving out comments and blank lines, whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const { entries, parser } = parseChunked(text, size, { name: 'x.txt' });
      expect(entries).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      expect(parser.stats).toMatchObject({ format: 'text', lines: 6, entries: 3, skipped: 3 });
    }
  });

  it('reads a CSV column, detecting a header row; quoted fields may hold commas, quotes and newlines', () => {
    const csv = 'indicator,type,comment\n"evil.example",domain,"a, b"\n10.1.1.1,ip,"say ""hi""\nsecond line"\n# skipped\n,empty,\nlast.example,domain,x';
    for (const size of [1, 5, 13, 10_000]) {
      const { entries, parser } = parseChunked(csv, size, { name: 'feed.csv' });
      expect(entries).toEqual(['evil.example', '10.1.1.1', 'last.example']);
      expect(parser.stats.header).toEqual(['indicator', 'type', 'comment']);
      expect(parser.stats.format).toBe('csv');
    }
    expect(parseChunked(csv, 4, { name: 'feed.csv', column: 2 }).entries).toEqual(['a, b', 'say "hi"\nsecond line', 'x']);
    expect(parseChunked(csv, 4, { format: 'csv', column: 'Type' }).entries).toEqual(['domain', 'ip', 'empty', 'domain']);
    expect(() => parseChunked(csv, 4, { format: 'csv', column: 'nope' })).toThrow(/no column "nope"/);
  });

  it('takes the first row as data unless it looks like a header, or when told', () => {
    const csv = '1.2.3.4,x\n5.6.7.8,y\n';
    expect(parseChunked(csv, 3, { format: 'csv' }).entries).toEqual(['1.2.3.4', '5.6.7.8']);
    expect(parseChunked(csv, 3, { format: 'csv', header: true }).entries).toEqual(['5.6.7.8']);
    expect(parseChunked('ip\n1.1.1.1\n', 3, { format: 'csv', header: false }).entries).toEqual(['ip', '1.1.1.1']);
    expect(parseChunked('a\tb\n', 2, { name: 'x.tsv', column: 1, header: false }).entries).toEqual(['b']);
    expect(looksLikeHeader(['ip', 'first seen'])).toBe(true);
    expect(looksLikeHeader(['evil.example'])).toBe(false);
    expect(parseChunked('a,"b,c",,"d""e"\n', 3, { format: 'csv', column: 3, header: false }).entries).toEqual(['d"e']);
  });

  it('frames rows in chunks as a whole-file CSV parse (d3-dsv) reads them: quoted delimiters, quotes and newlines', () => {
    let x = 11;
    const rand = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ['a', 'b.example', '10.0.0.1', ' x ', ',', '""', '\n', 'q'];
    const field = () => {
      const raw = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pieces[Math.floor(rand() * pieces.length)]!).join('');
      // A field needing quotes gets them (as any CSV writer does); others sometimes too.
      return /[",\n]/.test(raw) || rand() < 0.2 ? `"${raw.replace(/"/g, '""')}"` : raw;
    };
    const rows = Array.from({ length: 300 }, () => `z${Math.floor(rand() * 1000)},${field()},${field()}`);
    const csv = rows.join(rand() < 0.5 ? '\n' : '\r\n');
    for (const column of [0, 1, 2]) {
      const want = csvParseRows(csv)
        .map((r) => r[column]?.trim() ?? '')
        .filter((v) => v && !v.startsWith('#'));
      for (const size of [1, 7, 64, 100_000]) {
        expect(parseChunked(csv, size, { format: 'csv', column, header: false }).entries, `column ${column}, chunks of ${size}`).toEqual(want);
      }
    }
  });

  it('streams a Blob in batches, counting bytes', async () => {
    const lines = Array.from({ length: 12_345 }, (_, i) => `host-${i}.example`);
    const blob = new Blob([`# header comment\n${lines.join('\n')}\n`]);
    const seen: number[] = [];
    const batches: string[][] = [];
    const parser = new ListChunkParser({ format: 'text' });
    for await (const batch of readListFile(blob, parser, { batchSize: 5000, onBytes: (n) => seen.push(n) })) batches.push(batch);
    expect(batches.map((b) => b.length)).toEqual([5000, 5000, 2345]);
    expect(batches.flat()).toEqual(lines);
    expect(seen.at(-1)).toBe(blob.size);
    expect(parser.stats.skipped).toBe(1);
  });

  it('turns the form into options', () => {
    expect(columnOption('')).toBe(0);
    expect(columnOption('3')).toBe(2);
    expect(columnOption(' domain ')).toBe('domain');
    expect(headerOption('yes')).toBe(true);
    expect(headerOption('no')).toBe(false);
    expect(headerOption('detect')).toBe('auto');
    expect(uploadPercent({ bytesRead: 50, totalBytes: 100, entries: 0, done: false })).toBe(50);
    expect(uploadPercent({ bytesRead: 100, totalBytes: 100, entries: 0, done: false })).toBe(99);
    expect(uploadPercent({ bytesRead: 100, totalBytes: 100, entries: 0, done: true })).toBe(100);
  });
});

describe('top-N counter', () => {
  it('counts any field over a sliding minute; destinations and URLs from their usual fields', () => {
    let now = 0;
    const c = new TopCounter(destinationAddress, 60, () => now);
    c.add([{ destinationAddress: 'a' }, { destination: { ip: 'a' } }, { dst: 'b' }, { src: 'c' }]);
    now = 30_000;
    c.add([{ dst: 'b' }, { dst: 'b' }]);
    expect(c.top(5)).toEqual([{ address: 'b', count: 3 }, { address: 'a', count: 2 }]);
    expect(c.top(1)).toEqual([{ address: 'b', count: 3 }]);
    now = 61_000;
    expect(c.top(5)).toEqual([{ address: 'b', count: 2 }]);
    now = 200_000;
    expect(c.top(5)).toEqual([]);

    expect(eventUrl({ url: 'https://x/a' })).toBe('https://x/a');
    expect(eventUrl({ url: { full: 'https://x/b' } })).toBe('https://x/b');
    expect(eventUrl({ 'http.url': 'https://x/c' })).toBe('https://x/c');
    expect(eventUrl({ http: { url: 'https://x/d' } })).toBe('https://x/d');
    expect(eventUrl({ host: 'x.example', path: '/login' })).toBe('x.example/login');
    expect(eventUrl({ host: 'x.example' })).toBeUndefined();

    const tops = new TrafficTops(60, () => now);
    tops.add([{ sourceAddress: 's', destinationAddress: 'd', url: 'u' }, { src_ip: 's' }]);
    expect(tops.sources.top()).toEqual([{ address: 's', count: 2 }]);
    expect(tops.destinations.top()).toEqual([{ address: 'd', count: 1 }]);
    expect(tops.urls.top()).toEqual([{ address: 'u', count: 1 }]);
  });
});

describe('list uploads in the worker host', () => {
  const hosts: WorkerHost[] = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.dispose();
  });
  const makeHost = (store: MemoryStore) => {
    const host = new WorkerHost({
      createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
      openStore: async () => store,
      simulator: async () => simulatorLib,
      timer: new FakeTimer(),
    });
    hosts.push(host);
    return host;
  };

  it('keeps a small upload as entries and a large one as filter bytes, across a restart', async () => {
    const store = new MemoryStore();
    const host = makeHost(store);
    await host.init({ defaults: { ...DEFAULTS, simulatorRunning: false } });

    const small = await host.uploadList('ioc', 'feed', new Blob(['ip,seen\n10.0.0.1,x\n10.0.0.2,y\n10.0.0.1,z\n']), { fileName: 'feed.csv' });
    expect(small).toMatchObject({ count: 2, added: 2, format: 'csv', storage: 'entries', header: ['ip', 'seen'], done: true });
    expect(host.iocEntries('feed').sort()).toEqual(['10.0.0.1', '10.0.0.2']);

    const n = LARGE_LIST_ENTRIES + 5000;
    const text = Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n');
    const progress: ListUploadProgress[] = [];
    const big = await host.uploadList('ioc', 'big', new Blob([`# feed\n${text}\n10.0.0.0\n`]), {}, (p) => void progress.push(p));
    expect(big).toMatchObject({ count: n, added: n, storage: 'filter', bytesRead: big.totalBytes, done: true });
    expect(progress.at(-1)).toMatchObject({ done: true, entries: n + 1 });
    expect(host.iocLists().find((l) => l.name === 'big')).toMatchObject({ count: n, storage: 'filter' });
    expect(host.iocEntries('big')).toEqual([]);
    await expect(host.setIocList('big', ['x'])).rejects.toThrow(/kept as a filter/);
    expect(await host.editListEntries('ioc', 'big', { add: ['192.0.2.1'] })).toMatchObject({ count: n + 1, added: 1 });
    expect(await host.editListEntries('ioc', 'big', { remove: ['10.0.0.5'] })).toMatchObject({ count: n, removed: 1 });
    expect(await host.editListEntries('ioc', 'feed', { add: ['10.0.0.2', '10.0.0.3'] })).toMatchObject({ count: 3, added: 1 });
    expect(await host.uploadList('table', 'users', new Blob(['root\nadmin\n\nroot\n']))).toMatchObject({ count: 2, storage: 'entries' });

    const saved = (await store.read())!;
    const bigRecord = saved.iocs.find((l) => l.name === 'big')!;
    expect(bigRecord.entries).toEqual([]);
    expect(bigRecord.filter).toBeInstanceOf(Uint8Array);
    expect(bigRecord.count).toBe(n);
    host.dispose();

    const again = makeHost(store);
    await again.init({ defaults: DEFAULTS });
    expect(again.iocLists().find((l) => l.name === 'big')).toMatchObject({ count: n, storage: 'filter' });
    expect(again.iocEntries('feed').sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(again.tableEntries('users').sort()).toEqual(['admin', 'root']);
    const rule = await again.putRules('RULE "big hit"\nSOURCES kind = "x"\nIOC FILTERS in big(ip)\nSINK function (e) { return { ip: e.ip }; }');
    expect(rule.ok).toBe(true);
    again.push([{ kind: 'x', ip: '10.0.1.7' }, { kind: 'x', ip: '192.0.2.1' }, { kind: 'x', ip: '172.16.0.1' }]);
    expect(again.metrics().engine.alertsOut).toBe(2);
    expect(await again.checkpointNow()).toBeDefined();

    // Uploading with replace starts the list over.
    const replaced = await again.uploadList('ioc', 'big', new Blob(['1.1.1.1\n2.2.2.2\n']), { replace: true });
    expect(replaced).toMatchObject({ count: 2, storage: 'entries' });
    expect(again.iocEntries('big').sort()).toEqual(['1.1.1.1', '2.2.2.2']);
  });

  it('reads filter records back and signs them by their bytes', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(readListRecord({ name: 'a', filter: bytes, count: 9 })).toEqual(filterRecord('a', bytes, 9));
    const sig = (b: Uint8Array) => stateSignature({ rules: [], iocs: [filterRecord('a', b, 1)], tables: [] });
    expect(sig(bytes)).toBe(sig(new Uint8Array([1, 2, 3])));
    expect(sig(bytes)).not.toBe(sig(new Uint8Array([1, 2, 4])));
  });
});
