import { describe, expect, it } from 'vitest';
import { namedPath } from '../../src/cli/io.js';
import { listEntries } from '../../src/io/list-entries.js';

describe('list files', () => {
  it('take one entry per line, trimmed, without blank lines and # comments', () => {
    expect(listEntries('# bad ips\n1.2.3.4\n  5.6.7.8 \r\n\n\t\n#x\nevil.example\n  # indented comment\nlast')).toEqual(['1.2.3.4', '5.6.7.8', 'evil.example', 'last']);
    expect(listEntries('')).toEqual([]);
  });

  it('are named name=path on the command line', () => {
    expect(namedPath('bad=x.txt', '--ioc', true)).toEqual({ name: 'bad', path: 'x.txt' });
    expect(namedPath('bad', '--ioc', false)).toEqual({ name: 'bad', path: undefined });
    expect(() => namedPath('=x', '--ioc', true)).toThrow(/--ioc takes name=path/);
  });
});
