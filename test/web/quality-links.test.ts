/** The Quality view's debugger links: the key a STATE MACHINE rule follows, built as the Alerts view builds it. */
import { describe, expect, it } from 'vitest';
import { debuggerLinks } from '../../web/components/quality/quality-api.js';
import { parseRoute } from '../../web/lib/router.js';

describe('debuggerLinks', () => {
  const machines = [
    { rule: 'protocol violation', keyFields: ['sourceAddress'] },
    { rule: 'login sequence', keyFields: ['user', 'server'] },
  ];

  it('one link per machine whose key fields the record holds (its own fields, or its `key` object)', () => {
    const event = { kind: 'packet', sourceAddress: '10.0.0.7', type: 'e' };
    const links = debuggerLinks(event, machines);
    expect(links.map((l) => [l.rule, l.key])).toEqual([['protocol violation', '10.0.0.7']]);
    expect(parseRoute(links[0]!.href)).toEqual({ view: 'debugger', item: 'protocol violation', params: { key: '10.0.0.7' } });
    // Several key fields: the debugger's JSON array of values.
    const alert = { rule: 'brute force', key: { user: 'root', server: 'srv-01' }, sourceAddress: '203.0.113.3' };
    expect(debuggerLinks(alert, machines).map((l) => [l.rule, l.key])).toEqual([
      ['protocol violation', '203.0.113.3'],
      ['login sequence', '["root","srv-01"]'],
    ]);
    expect(parseRoute(debuggerLinks(alert, machines)[1]!.href).params.key).toBe('["root","srv-01"]');
  });

  it('none for a record without the key fields, or without a record', () => {
    expect(debuggerLinks({ user: 'root' }, machines)).toEqual([]);
    expect(debuggerLinks(undefined, machines)).toEqual([]);
    expect(debuggerLinks({ sourceAddress: null }, machines)).toEqual([]);
  });
});
