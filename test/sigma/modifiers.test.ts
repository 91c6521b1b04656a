/**
 * Every modifier of the appendix against examples worked by hand from the specification's text, and
 * against oracles written here (Node's Buffer for encodings, explicit permutations for windash, bit
 * strings for CIDR, plain string functions for the position modifiers).
 */
import { describe, expect, it } from 'vitest';
import { sigmaToVgl } from '../../src/sigma/to-vgl.js';
import { compile, errorsOf, fieldMatcher, rng, ruleText } from './helpers.js';

const ev = (fields: Record<string, unknown>) => fields;

describe('position modifiers and plain values (case-insensitive by default)', () => {
  it('the specification examples: whoami, startswith, endswith, contains', () => {
    const exact = fieldMatcher('Image', 'C:\\Windows\\System32\\whoami.exe');
    expect(exact(ev({ Image: 'C:\\Windows\\System32\\whoami.exe' }))).toBe(true);
    expect(exact(ev({ Image: 'c:\\windows\\system32\\WHOAMI.EXE' }))).toBe(true);
    expect(exact(ev({ Image: 'C:\\Windows\\System32\\whoami.exe.bak' }))).toBe(false);
    expect(exact(ev({}))).toBe(false);
    const ends = fieldMatcher('Image|endswith', '\\cmd.exe');
    expect(ends(ev({ Image: 'C:\\Windows\\System32\\cmd.exe' }))).toBe(true);
    expect(ends(ev({ Image: 'C:\\Windows\\System32\\xcmd.exe' }))).toBe(false);
    const starts = fieldMatcher('User|startswith', 'adm_');
    expect(starts(ev({ User: 'ADM_bob' }))).toBe(true);
    expect(starts(ev({ User: 'bob_adm_' }))).toBe(false);
    const contains = fieldMatcher('Description|contains', 'Test executable');
    expect(contains(ev({ Description: 'A test EXECUTABLE here' }))).toBe(true);
    expect(contains(ev({ Description: 'A test-executable' }))).toBe(false);
  });

  it('agree with plain string functions on random values (oracle)', () => {
    const random = rng(11);
    const word = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => 'aBc'[Math.floor(random() * 3)]).join('');
    for (let i = 0; i < 300; i++) {
      const value = word();
      const text = Array.from({ length: Math.floor(random() * 8) }, () => 'AbC'[Math.floor(random() * 3)]).join('');
      const v = value.toLowerCase();
      const t = text.toLowerCase();
      expect(fieldMatcher('F|contains', value)({ F: text })).toBe(t.includes(v));
      expect(fieldMatcher('F|startswith', value)({ F: text })).toBe(t.startsWith(v));
      expect(fieldMatcher('F|endswith', value)({ F: text })).toBe(t.endsWith(v));
      expect(fieldMatcher('F', value)({ F: text })).toBe(t === v);
    }
  });

  it('wildcards in values: prog?.exe and antivirus_V*.exe (specification examples)', () => {
    const one = fieldMatcher('Image', 'prog?.exe');
    expect(one({ Image: 'progA.exe' })).toBe(true);
    expect(one({ Image: 'prog.exe' })).toBe(false);
    expect(one({ Image: 'progAB.exe' })).toBe(false);
    const many = fieldMatcher('Image', 'antivirus_V*.exe');
    expect(many({ Image: 'antivirus_V1.exe' })).toBe(true);
    expect(many({ Image: 'antivirus_V21.2.1.exe' })).toBe(true);
    expect(many({ Image: 'antivirus_X1.exe' })).toBe(false);
    const escaped = fieldMatcher('F', 'what\\?');
    expect(escaped({ F: 'what?' })).toBe(true);
    expect(escaped({ F: 'whatX' })).toBe(false);
  });

  it('lists are OR, `all` makes them AND (including a keyword list under |all)', () => {
    const any = fieldMatcher('CommandLine|contains', ['-enc', '-nop']);
    expect(any({ CommandLine: 'powershell -nop' })).toBe(true);
    expect(any({ CommandLine: 'powershell' })).toBe(false);
    const all = fieldMatcher('CommandLine|contains|all', ['-enc', '-nop']);
    expect(all({ CommandLine: 'powershell -nop' })).toBe(false);
    expect(all({ CommandLine: 'powershell -NOP -Enc AAAA' })).toBe(true);
    const kw = compile(ruleText("    keywords_cmdlet:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '", 'keywords_cmdlet')).match;
    expect(kw({ msg: 'Set-OabVirtualDirectory -ExternalUrl http://x' })).toBe(true);
    expect(kw({ msg: 'Set-OabVirtualDirectory' })).toBe(false);
    expect(kw({ a: 'OabVirtualDirectory', nested: { b: ' -ExternalUrl ' } })).toBe(true);
  });

  it('`all` with a single value is refused, as the appendix says', () => {
    const errors = errorsOf(ruleText("    selection:\n        CommandLine|contains|all: 'x'"));
    expect(errors.map((e) => e.code)).toEqual(['sigma-modifier']);
  });

  it('`cased` matches case-sensitively', () => {
    const m = fieldMatcher('F|cased', 'CamelCase');
    expect(m({ F: 'CamelCase' })).toBe(true);
    expect(m({ F: 'camelcase' })).toBe(false);
    const c = fieldMatcher('F|contains|cased', 'Abc');
    expect(c({ F: 'xAbcx' })).toBe(true);
    expect(c({ F: 'xabcx' })).toBe(false);
  });
});

describe('numbers, booleans, null, empty and exists', () => {
  it('numbers match numbers and their text (EventID: 4688 vs 4688 and "4688")', () => {
    const m = fieldMatcher('EventID', [517, 1102]);
    expect(m({ EventID: 517 })).toBe(true);
    expect(m({ EventID: '1102' })).toBe(true);
    expect(m({ EventID: 5170 })).toBe(false);
    expect(m({ EventID: '517x' })).toBe(false);
    // Written as hex, unquoted: YAML reads 0x17 as 23; both forms match.
    const hex = fieldMatcher('TicketEncryption', 0x17 as unknown as string);
    expect(hex({ TicketEncryption: 23 })).toBe(true);
    const hexText = compile(ruleText('    selection:\n        TicketEncryption: 0x17')).match;
    expect(hexText({ TicketEncryption: '0x17' })).toBe(true);
    expect(hexText({ TicketEncryption: 23 })).toBe(true);
    expect(hexText({ TicketEncryption: '0x18' })).toBe(false);
    // Quoted: text.
    const quoted = fieldMatcher('TicketOptions', '0x40810000');
    expect(quoted({ TicketOptions: '0x40810000' })).toBe(true);
  });

  it('null matches an absent or null field; empty string matches empty text', () => {
    const rule = compile(ruleText("    selection:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null", 'selection and not filter')).match;
    expect(rule({ EventID: 4738, PasswordLastSet: '2024-01-01' })).toBe(true);
    expect(rule({ EventID: 4738 })).toBe(false);
    expect(rule({ EventID: 4738, PasswordLastSet: null })).toBe(false);
    const empty = fieldMatcher('FieldB', '');
    expect(empty({ FieldB: '' })).toBe(true);
    expect(empty({ FieldB: 'x' })).toBe(false);
    expect(empty({})).toBe(false);
  });

  it('null inside a list of values is refused (rules specification, "Special Field Values")', () => {
    const errors = errorsOf(ruleText("    selection:\n        FieldB:\n            - ''\n            - null"));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/null cannot be part of a list/);
  });

  it('exists: true / false', () => {
    const yes = compile(ruleText('    selection:\n        EventID: 4738\n        PasswordLastSet|exists: true')).match;
    expect(yes({ EventID: 4738, PasswordLastSet: '' })).toBe(true);
    expect(yes({ EventID: 4738, PasswordLastSet: null })).toBe(true);
    expect(yes({ EventID: 4738 })).toBe(false);
    const no = compile(ruleText('    selection:\n        PasswordLastSet|exists: false')).match;
    expect(no({})).toBe(true);
    expect(no({ PasswordLastSet: 'x' })).toBe(false);
    expect(errorsOf(ruleText("    selection:\n        F|exists: 'yes'"))[0].message).toMatch(/exists' takes true or false/);
  });

  it('multi-valued fields (arrays): one element matching is enough; `all` may use different elements', () => {
    expect(fieldMatcher('Tags|contains', 'evil')({ Tags: ['good', 'EVIL one'] })).toBe(true);
    expect(fieldMatcher('Tags|contains|all', ['a1', 'b2'])({ Tags: ['xa1', 'xb2'] })).toBe(true);
    expect(fieldMatcher('Tags|contains|all', ['a1', 'b2'])({ Tags: ['xa1', 'xc2'] })).toBe(false);
    expect(fieldMatcher('Obj', 'x')({ Obj: { x: 'x' } })).toBe(false);
  });
});

describe('re with i, m, s (linear time)', () => {
  it('is case-sensitive by default and unanchored; i, m, s as the appendix says', () => {
    const m = fieldMatcher('CommandLine|re', '-[Ee]nc(odedCommand)? [A-Za-z0-9+/=]{8,}');
    expect(m({ CommandLine: 'powershell -enc SQBFAFgAKAA=' })).toBe(true);
    expect(m({ CommandLine: 'powershell -ENC SQBFAFgAKAA=' })).toBe(false);
    const i = fieldMatcher('F|re|i', '^abc$');
    expect(i({ F: 'ABC' })).toBe(true);
    const noM = fieldMatcher('F|re', '^b$');
    const withM = fieldMatcher('F|re|m', '^b$');
    expect(noM({ F: 'a\nb\nc' })).toBe(false);
    expect(withM({ F: 'a\nb\nc' })).toBe(true);
    const noS = fieldMatcher('F|re', 'a.c');
    const withS = fieldMatcher('F|re|s', 'a.c');
    expect(noS({ F: 'a\nc' })).toBe(false);
    expect(withS({ F: 'a\nc' })).toBe(true);
  });

  it('takes a leading PCRE (?i) as the i flag', () => {
    expect(fieldMatcher('F|re', '(?i)^abc')({ F: 'ABCD' })).toBe(true);
  });

  it('a pattern no linear engine runs (a backreference) is a diagnostic, not a slow rule', () => {
    const errors = errorsOf(ruleText("    selection:\n        F|re: '(a+)+\\1'"));
    expect(errors.map((e) => e.code)).toEqual(['sigma-regex']);
    expect(errors[0].line).toBe(8);
  });

  it('a catastrophic-backtracking shape runs in linear time on a long input', () => {
    const m = fieldMatcher('F|re', '^(a+)+$');
    const text = `${'a'.repeat(100_000)}!`;
    const t0 = performance.now();
    expect(m({ F: text })).toBe(false);
    // Backtracking would need 2^100000 steps; the linear engine finishes in a pass or two.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('i/m/s without re are refused', () => {
    expect(errorsOf(ruleText("    selection:\n        F|contains|i: 'x'"))[0].message).toMatch(/sub-modifier of 're'/);
  });
});

describe('windash', () => {
  const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
  /** The appendix's definition: every permutation of the dash characters. */
  function permutations(value: string): string[] {
    let out = [''];
    for (const ch of value) out = DASHES.includes(ch) ? out.flatMap((p) => DASHES.map((d) => p + d)) : out.map((p) => p + ch);
    return out;
  }

  it('matches every permutation of -, /, en dash, em dash, horizontal bar (oracle: the explicit permutations)', () => {
    const random = rng(5);
    const alphabet = ['a', 'b', ' ', ...DASHES];
    for (let i = 0; i < 200; i++) {
      const value = Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const text = Array.from({ length: Math.floor(random() * 7) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const want = permutations(value.toLowerCase()).some((p) => text.toLowerCase().includes(p));
      expect(fieldMatcher('CommandLine|windash|contains', value)({ CommandLine: text }), `${value} in ${text}`).toBe(want);
    }
  });

  it('the usual case: -s, /s and an en dash', () => {
    const m = fieldMatcher('CommandLine|windash|contains', ' -s ');
    expect(m({ CommandLine: 'psexec.exe /s cmd' })).toBe(true);
    expect(m({ CommandLine: 'psexec.exe \u2013s cmd' })).toBe(true);
    expect(m({ CommandLine: 'psexec.exe _s cmd' })).toBe(false);
  });
});

describe('encodings: base64, base64offset, utf16le/utf16be/wide/utf16', () => {
  it('base64 (oracle: Buffer)', () => {
    for (const value of ['http://', 'a', 'ab', 'abc', 'IEX (New-Object Net.WebClient)']) {
      const encoded = Buffer.from(value, 'utf8').toString('base64');
      const m = fieldMatcher('CommandLine|base64', value);
      expect(m({ CommandLine: encoded })).toBe(true);
      expect(m({ CommandLine: `${encoded}x` })).toBe(false);
    }
  });

  it('base64offset|contains: the three known forms of http:// and the defining property (oracle: Buffer)', () => {
    const m = fieldMatcher('CommandLine|base64offset|contains', 'http://');
    expect(m({ CommandLine: 'xx aHR0cDovL yy' })).toBe(true);
    expect(m({ CommandLine: 'xx h0dHA6Ly yy' })).toBe(true);
    expect(m({ CommandLine: 'xx odHRwOi8v yy' })).toBe(true);
    const random = rng(9);
    for (let i = 0; i < 100; i++) {
      const prefix = 'Z'.repeat(Math.floor(random() * 7));
      const suffix = 'Q'.repeat(Math.floor(random() * 7));
      const encoded = Buffer.from(`${prefix}http://${suffix}`, 'utf8').toString('base64');
      expect(m({ CommandLine: encoded }), `${prefix}http://${suffix}`).toBe(true);
    }
    expect(m({ CommandLine: Buffer.from('https:/ /', 'utf8').toString('base64') })).toBe(false);
  });

  it('utf16le / wide / utf16be / utf16: cmd > 63 00 6d 00 64 00 (appendix example)', () => {
    const latin1 = (bytes: number[]) => String.fromCharCode(...bytes);
    expect(fieldMatcher('F|utf16le', 'cmd')({ F: latin1([0x63, 0, 0x6d, 0, 0x64, 0]) })).toBe(true);
    expect(fieldMatcher('F|wide', 'cmd')({ F: latin1([0x63, 0, 0x6d, 0, 0x64, 0]) })).toBe(true);
    expect(fieldMatcher('F|utf16be', 'cmd')({ F: latin1([0, 0x63, 0, 0x6d, 0, 0x64]) })).toBe(true);
    expect(fieldMatcher('F|utf16', 'cmd')({ F: latin1([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]) })).toBe(true);
    expect(fieldMatcher('F|utf16le', 'cmd')({ F: 'cmd' })).toBe(false);
  });

  it('wide|base64offset|contains: PowerShell -EncodedCommand text (oracle: Buffer utf16le + base64)', () => {
    const m = fieldMatcher('CommandLine|wide|base64offset|contains', 'Invoke-Mimikatz');
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const encoded = Buffer.from(`${prefix}Invoke-Mimikatz -Command x`, 'utf16le').toString('base64');
      expect(m({ CommandLine: `powershell -enc ${encoded}` })).toBe(true);
    }
    expect(m({ CommandLine: `powershell -enc ${Buffer.from('Invoke-Mimikatz', 'utf8').toString('base64')}` })).toBe(false);
  });

  it('an encoding modifier on a value with wildcards is refused', () => {
    expect(errorsOf(ruleText("    selection:\n        F|base64: 'a*b'"))[0].code).toBe('sigma-value');
  });
});

describe('cidr (IPv4 and IPv6)', () => {
  const bits = (ip: string): string => {
    if (ip.includes(':')) {
      // Expand :: by hand for the oracle.
      const [head, tail] = ip.split('::');
      const h = head ? head.split(':') : [];
      const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
      const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
      return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
    }
    return ip.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  };

  it('matches addresses in the network (oracle: prefix of the bit strings)', () => {
    const random = rng(13);
    for (let i = 0; i < 200; i++) {
      const v6 = random() < 0.5;
      const net = v6 ? Array.from({ length: 8 }, () => Math.floor(random() * 4).toString(16)).join(':') : Array.from({ length: 4 }, () => Math.floor(random() * 4)).join('.');
      const prefix = Math.floor(random() * (v6 ? 129 : 33));
      const ip = v6 ? Array.from({ length: 8 }, () => Math.floor(random() * 4).toString(16)).join(':') : Array.from({ length: 4 }, () => Math.floor(random() * 4)).join('.');
      const want = bits(ip).slice(0, prefix) === bits(net).slice(0, prefix);
      expect(fieldMatcher('DestinationIp|cidr', `${net}/${prefix}`)({ DestinationIp: ip }), `${ip} in ${net}/${prefix}`).toBe(want);
    }
  });

  it('the appendix example 10.0.0.0/8, lists of networks, compressed IPv6, non-addresses', () => {
    const m = fieldMatcher('DestinationIp|cidr', ['10.0.0.0/8', '192.168.0.0/16', 'fe80::/10', '::1/128']);
    expect(m({ DestinationIp: '10.1.2.3' })).toBe(true);
    expect(m({ DestinationIp: '11.1.2.3' })).toBe(false);
    expect(m({ DestinationIp: '192.168.255.1' })).toBe(true);
    expect(m({ DestinationIp: 'fe80::1ff:fe23:4567:890a' })).toBe(true);
    expect(m({ DestinationIp: 'fec0::1' })).toBe(false);
    expect(m({ DestinationIp: '::1' })).toBe(true);
    expect(m({ DestinationIp: '::ffff:10.9.9.9' })).toBe(true);
    expect(m({ DestinationIp: 'not an ip' })).toBe(false);
    expect(m({ DestinationIp: '10.1.2.300' })).toBe(false);
    expect(errorsOf(ruleText("    selection:\n        DestinationIp|cidr: '10.0.0.0/33'"))[0].code).toBe('sigma-value');
  });
});

describe('lt, lte, gt, gte, neq and time modifiers', () => {
  it('compare numbers (and numeric text)', () => {
    const cases: [string, number, number, boolean][] = [
      ['lt', 5, 4, true], ['lt', 5, 5, false], ['lte', 5, 5, true], ['gt', 5, 6, true], ['gt', 5, 5, false], ['gte', 5, 5, true], ['gte', 5, 4, false],
    ];
    for (const [op, bound, value, want] of cases) {
      expect(fieldMatcher(`Count|${op}`, bound)({ Count: value }), `${value} ${op} ${bound}`).toBe(want);
      expect(fieldMatcher(`Count|${op}`, bound)({ Count: String(value) })).toBe(want);
    }
    expect(fieldMatcher('Count|gt', 5)({ Count: 'many' })).toBe(false);
    expect(fieldMatcher('Count|gt', 5)({})).toBe(false);
    expect(errorsOf(ruleText("    selection:\n        Count|gt: 'five'"))[0].code).toBe('sigma-value');
  });

  it('neq: the field differs from every value (an absent field included)', () => {
    const m = fieldMatcher('User|neq', ['root', 'admin']);
    expect(m({ User: 'bob' })).toBe(true);
    expect(m({ User: 'ROOT' })).toBe(false);
    expect(m({})).toBe(true);
  });

  it('hour, day, month, year, minute, week read a date in UTC', () => {
    const t = '2024-03-07T22:15:00Z';
    expect(fieldMatcher('UtcTime|hour', 22)({ UtcTime: t })).toBe(true);
    expect(fieldMatcher('UtcTime|hour|gte', 20)({ UtcTime: t })).toBe(true);
    expect(fieldMatcher('UtcTime|hour|lt', 6)({ UtcTime: t })).toBe(false);
    expect(fieldMatcher('UtcTime|minute', 15)({ UtcTime: '2024-03-07 22:15:00.123' })).toBe(true);
    expect(fieldMatcher('UtcTime|day', 7)({ UtcTime: t })).toBe(true);
    expect(fieldMatcher('UtcTime|month', 3)({ UtcTime: t })).toBe(true);
    expect(fieldMatcher('UtcTime|year', 2024)({ UtcTime: Date.parse(t) })).toBe(true);
    expect(fieldMatcher('UtcTime|week', 10)({ UtcTime: t })).toBe(true);
    expect(fieldMatcher('UtcTime|week', 1)({ UtcTime: '2021-01-04T00:00:00Z' })).toBe(true);
    expect(fieldMatcher('UtcTime|week', 53)({ UtcTime: '2021-01-03T00:00:00Z' })).toBe(true);
  });
});

describe('fieldref and expand', () => {
  it('fieldref compares with another field of the same event', () => {
    const m = fieldMatcher('SourceUser|fieldref', 'TargetUser');
    expect(m({ SourceUser: 'Bob', TargetUser: 'bob' })).toBe(true);
    expect(m({ SourceUser: 'Bob', TargetUser: 'alice' })).toBe(false);
    expect(m({ SourceUser: 'Bob' })).toBe(false);
    expect(fieldMatcher('A|fieldref|startswith', 'B')({ A: 'C:\\Windows\\x.exe', B: 'c:\\windows' })).toBe(true);
    expect(fieldMatcher('A|fieldref|cased', 'B')({ A: 'Bob', B: 'bob' })).toBe(false);
    expect(fieldMatcher('A|fieldref|neq', 'B')({ A: 'x', B: 'y' })).toBe(true);
  });

  it('expand replaces placeholders with every value of the table; \\% is a plain percent sign', () => {
    const options = { placeholders: { Servers: ['srv*', 'dc01'], Domain: ['corp'] } };
    const m = fieldMatcher('Computer|expand', '%Servers%.%Domain%', options);
    expect(m({ Computer: 'SRV42.corp' })).toBe(true);
    expect(m({ Computer: 'dc01.corp' })).toBe(true);
    expect(m({ Computer: 'ws01.corp' })).toBe(false);
    const literal = fieldMatcher('F', '%Servers%', options);
    expect(literal({ F: '%Servers%' })).toBe(true);
    const escaped = fieldMatcher('F|expand', '\\%plain%Domain%', options);
    expect(escaped({ F: '%plaincorp' })).toBe(true);
  });

  it('a placeholder without values refuses the rule (the specification requires it)', () => {
    const errors = errorsOf(ruleText("    selection:\n        Computer|expand: '%Servers%'"));
    expect(errors.map((e) => e.code)).toEqual(['sigma-placeholder']);
    expect(errors[0].line).toBe(8);
  });

  it("a placeholder named after Object's properties has no values (not Object's), in the compiler and in convert", () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const text = ruleText(`    selection:\n        Computer|expand: '%${name}%'`);
      expect(errorsOf(text).map((e) => e.code)).toEqual(['sigma-placeholder']);
      const converted = sigmaToVgl({ file: 'p.yml', text }, { pipeline: 'flat' });
      expect(converted.diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThan(0);
    }
  });
});

describe('unknown and conflicting modifiers are diagnostics at the key', () => {
  it('names the modifier and its line and column', () => {
    const text = ruleText("    selection:\n        Image|endswith: '\\x.exe'\n        CommandLine|contians: 'x'");
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'sigma-modifier', file: 'test.yml', line: 9, column: 9 });
    expect(errors[0].message).toMatch(/unknown modifier 'contians'/);
    expect(errors[0].excerpt).toContain('CommandLine|contians');
  });

  it.each([
    ['F|contains|startswith', /cannot be combined/],
    ['F|re|contains', /'re' takes only/],
    ['F|cidr|contains', /'cidr' stands alone/],
    ['F|gt|lt', /cannot be combined/],
    ['F|exists|contains', /'exists' stands alone/],
  ])('%s', (key, message) => {
    const errors = errorsOf(ruleText(`    selection:\n        ${key}: 1`));
    expect(errors[0].message).toMatch(message);
  });
});

describe('keyword lists with modifiers', () => {
  it('take position modifiers and refuse the others rather than ignore them', () => {
    const starts = compile(ruleText("    keywords:\n        '|startswith':\n            - 'evil'", 'keywords')).match;
    expect(starts({ a: 'EVIL thing' })).toBe(true);
    expect(starts({ a: 'an evil thing' })).toBe(false);
    expect(errorsOf(ruleText("    keywords:\n        '|base64':\n            - 'evil'", 'keywords'))[0].code).toBe('sigma-modifier');
    expect(errorsOf(ruleText("    keywords:\n        '|windash':\n            - '-evil'", 'keywords'))[0].code).toBe('sigma-modifier');
  });
});

describe('windash before an encoding, and the value limit', () => {
  it('windash|base64offset|contains expands the dash permutations before encoding (oracle: Buffer)', () => {
    const m = fieldMatcher('CommandLine|windash|base64offset|contains', 'x -enc y');
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      for (const prefix of ['', 'a', 'ab']) {
        expect(m({ CommandLine: Buffer.from(`${prefix}x ${dash}enc y`, 'utf8').toString('base64') }), `${prefix} ${dash}`).toBe(true);
      }
    }
    expect(m({ CommandLine: Buffer.from('x _enc y', 'utf8').toString('base64') })).toBe(false);
  });

  it('a field standing for more values than the limit is refused (expand products)', () => {
    const values = Array.from({ length: 200 }, (_, i) => `v${i}`);
    const errors = errorsOf(ruleText("    selection:\n        F|expand: '%A%%B%%C%'"), { placeholders: { A: values, B: values, C: values } });
    expect(errors.map((e) => e.code)).toEqual(['sigma-limit']);
  });
});
