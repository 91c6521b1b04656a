import { describe, expect, it } from 'vitest';
import { parseCef } from '../../src/io/from-cef.js';
import { decodeEvents } from '../../src/edge/decode-body.js';

describe('CEF decoder', () => {
  it('reads the header, escapes, full key names, numbers and a syslog prefix', () => {
    const line = String.raw`<134>Jan 01 10:00:00 fw1 CEF:0|Acme\|Corp|Fire wall|1.2|4625|Failed \\ login|7|src=10.0.0.1 spt=51515 dst=10.0.0.2 dpt=22 suser=bob msg=bad pass a\=b\nnext cs1Label=reason cs1=x y`;
    const result = parseCef(line);
    expect(result).toEqual({
      ok: true,
      event: {
        cefVersion: 0,
        deviceVendor: 'Acme|Corp',
        deviceProduct: 'Fire wall',
        deviceVersion: '1.2',
        deviceEventClassId: '4625',
        name: 'Failed \\ login',
        severity: '7',
        syslogPrefix: '<134>Jan 01 10:00:00 fw1',
        sourceAddress: '10.0.0.1',
        sourcePort: 51515,
        destinationAddress: '10.0.0.2',
        destinationPort: 22,
        sourceUserName: 'bob',
        message: 'bad pass a=b\nnext',
        cs1Label: 'reason',
        cs1: 'x y',
      },
    });
  });

  it('refuses what is not CEF, with a reason', () => {
    expect(parseCef('CEF:0|a|b|c')).toEqual({ ok: false, reason: 'CEF header has 4 of 8 fields' });
    expect(parseCef('CEF:x|a|b|c|d|e|f|')).toMatchObject({ ok: false });
    expect(parseCef('hello')).toMatchObject({ ok: false });
    expect(parseCef('CEF:0|a|b|c|d|e|f|')).toMatchObject({ ok: true });
  });

  it('decodes mixed bodies line by line', () => {
    const body = decodeEvents('{"a":1}\r\nCEF:0|a|b|c|d|e|1|src=1.2.3.4\n\n42\n');
    expect(body.events).toEqual([{ a: 1 }, expect.objectContaining({ sourceAddress: '1.2.3.4' })]);
    expect(body.lines).toEqual([1, 2]);
    expect(body.rejected).toEqual([{ line: 4, reason: 'neither a JSON object nor a CEF record' }]);
  });

  it("keeps the line decoder's limits in bodies: a line over 1 MiB and a line nested deeper than 128 are refused by number, the rest go on", () => {
    const long = `CEF:0|a|b|c|d|e|1|msg=${'x'.repeat(1024 * 1024)}`;
    const deep = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`;
    const body = decodeEvents(['CEF:0|a|b|c|d|e|1|src=1.2.3.4', long, deep, '{"__proto__":{"p":1},"b":2}', 'CEF:0|a|b|c|d|e|1|__proto__=x'].join('\n'));
    expect(body.lines).toEqual([1, 4, 5]);
    expect(body.rejected).toEqual([
      { line: 2, reason: `line is ${long.length} bytes, longer than the 1048576-byte limit; skipped` },
      { line: 3, reason: 'nested deeper than 128' },
    ]);
    for (const event of body.events.slice(1)) {
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(Object.hasOwn(event, '__proto__')).toBe(true);
    }
  });
});
