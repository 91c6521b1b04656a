/** Hostile JSON lines shared by the lazy-decoding tests (test/io/lazy-jsonl.test.ts, test/cli/lazy-decode.test.ts). */

const bytesOf = (parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** Every malformed-line case of the existing suites, and the fuzz's hostile kinds, one per line. */
export function hostileCorpus(): Buffer {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  return bytesOf([
    '{"kind":"e","user":"u1","tag":"t","n":1}\n',
    '{"kind": "conn", \n',
    '[1,2]\n',
    '"text"\n',
    [0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a],
    `{"pad":"${'x'.repeat(1_100_000)}"}\n`,
    '\n',
    '{"kind":"e","user":"u2"}\r\n',
    '{ not json\n',
    '[1,2,3]\n',
    '"a string"\n',
    '{"groupName":"Group1","x":' + '{"a":'.repeat(200) + '1' + '}'.repeat(200) + '}\n',
    `{"kind":"e","user":"u1","deep":${deep(127)}}\n`,
    `{"kind":"e","user":"u1","deep":${deep(128)}}\n`,
    `{"kind":"e","user":"u2","deep":${deep(5000)}}\n`,
    `{"kind":"e","user":${deep(127)}}\n`,
    `{"kind":"e","user":"u0","deep":{"a":${deep(200)}}}\n`,
    '{"kind":"e","user":"__proto__","__proto__":{"polluted":true},"constructor":"c","prototype":{"x":1}}\n',
    `{"kind":"e","user":"u0","brackets":"${'[{'.repeat(3000)}"}\n`,
    '{"kind":"e","user":"a","user":"b"}\n',
    '{"kind":"e","n":-0,"tag":1e400,"user":123456789012345678901234567890}\n',
    '{"kind":"e","user":"\\ud800","tag":"\\udc00x"}\n',
    '{"kind":"e","user":"\\x41"}\n',
    '{"kind":"e","user":"truncated\n',
    '{"kind":"e","user":1,}\n',
    [0xef, 0xbb, 0xbf],
    '{"kind":"e","user":"bom"}\n',
    [0x7b, 0x22, 0x6b, 0x69, 0x6e, 0x64, 0x22, 0x3a, 0x22, 0x65, 0x22, 0x2c, 0x22, 0x75, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d, 0x0a],
    [0x7b, 0x22, 0x6b, 0x69, 0x6e, 0x64, 0x22, 0x3a, 0x22, 0x65, 0x22, 0x2c, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d, 0x0a],
    '{"kind":"e","user":"caf\u00e9 \u{1f600}","t\\u0061g":"escaped key"}\n',
    '  \t \r\n',
    '\u00a0\n',
    '{"kind":"e","user":"last line without newline"}',
  ]);
}
