/**
 * CEF (ArcSight Common Event Format) lines in, events out.
 *
 *   [syslog prefix ]CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
 *
 * Header fields escape `|` and `\` with a backslash; extension values escape `=`, `\`, and write
 * newlines as `\n` / `\r`. An extension value runs until the next ` key=`, so values may hold
 * spaces: the one whitespace character before a key separates, any other is the value's (a last
 * value loses its trailing whitespace, the line's end). Extension keys are renamed to their full
 * dictionary names (`src` → `sourceAddress`), as ArcSight does; keys outside the table keep their
 * name, `__proto__` and `constructor` included, as ordinary fields (as JSON.parse makes them). Port,
 * byte and count fields become numbers. A line that is not CEF is an error with a reason, never a
 * guess. The encoder is ./to-cef.ts.
 */

export type CefResult = { ok: true; event: Record<string, unknown> } | { ok: false; reason: string };

const HEADER_FIELDS = ['deviceVendor', 'deviceProduct', 'deviceVersion', 'deviceEventClassId', 'name', 'severity'] as const;

/** Short extension keys and their full names (the CEF dictionary, the common part). */
export const CEF_KEY_NAMES: Readonly<Record<string, string>> = {
  act: 'deviceAction',
  app: 'applicationProtocol',
  cat: 'deviceEventCategory',
  cnt: 'baseEventCount',
  dhost: 'destinationHostName',
  dmac: 'destinationMacAddress',
  dntdom: 'destinationNtDomain',
  dpid: 'destinationProcessId',
  dpriv: 'destinationUserPrivileges',
  dproc: 'destinationProcessName',
  dpt: 'destinationPort',
  dst: 'destinationAddress',
  duid: 'destinationUserId',
  duser: 'destinationUserName',
  dvc: 'deviceAddress',
  dvchost: 'deviceHostName',
  dvcpid: 'deviceProcessId',
  end: 'endTime',
  fname: 'fileName',
  fsize: 'fileSize',
  in: 'bytesIn',
  msg: 'message',
  out: 'bytesOut',
  proto: 'transportProtocol',
  rt: 'deviceReceiptTime',
  request: 'requestUrl',
  shost: 'sourceHostName',
  smac: 'sourceMacAddress',
  sntdom: 'sourceNtDomain',
  spid: 'sourceProcessId',
  spriv: 'sourceUserPrivileges',
  sproc: 'sourceProcessName',
  spt: 'sourcePort',
  src: 'sourceAddress',
  start: 'startTime',
  suid: 'sourceUserId',
  suser: 'sourceUserName',
};

export const CEF_HEADER_FIELDS: readonly string[] = ['cefVersion', ...HEADER_FIELDS, 'syslogPrefix'];

/** Full names whose digit-only values are read as numbers. */
export const CEF_NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'baseEventCount',
  'bytesIn',
  'bytesOut',
  'destinationPort',
  'destinationProcessId',
  'deviceProcessId',
  'fileSize',
  'sourcePort',
  'sourceProcessId',
]);

const EXTENSION_KEY = /(?:^|\s)([A-Za-z0-9_.[\]-]+)=/g;

/** Decodes one CEF line (an optional syslog prefix before `CEF:` is kept as `syslogPrefix`). */
export function parseCef(line: string): CefResult {
  const start = line.indexOf('CEF:');
  if (start < 0) return { ok: false, reason: 'not CEF: no "CEF:" marker' };
  const prefix = line.slice(0, start).trim();
  let at = start + 4;
  const header: string[] = [];
  let current = '';
  while (header.length < 7 && at < line.length) {
    const c = line[at];
    if (c === '\\' && (line[at + 1] === '|' || line[at + 1] === '\\')) {
      current += line[at + 1];
      at += 2;
    } else if (c === '|') {
      header.push(current);
      current = '';
      at++;
    } else {
      current += c;
      at++;
    }
  }
  if (header.length < 7) return { ok: false, reason: `CEF header has ${header.length + 1} of 8 fields` };
  const version = Number(header[0]);
  if (!/^\d+$/.test(header[0].trim())) return { ok: false, reason: `CEF version "${header[0]}" is not a number` };
  const event: Record<string, unknown> = { cefVersion: version };
  HEADER_FIELDS.forEach((field, i) => (event[field] = header[i + 1]));
  if (prefix) event.syslogPrefix = prefix;
  const extension = line.slice(at);
  const error = parseExtension(extension, event);
  return error ? { ok: false, reason: error } : { ok: true, event };
}

function parseExtension(text: string, into: Record<string, unknown>): string | undefined {
  // Find every unescaped ` key=`: a key is preceded by start or whitespace, and its `=` is not escaped.
  const keys: { key: string; keyStart: number; valueStart: number }[] = [];
  EXTENSION_KEY.lastIndex = 0;
  for (let m = EXTENSION_KEY.exec(text); m; m = EXTENSION_KEY.exec(text)) {
    const eq = m.index + m[0].length - 1;
    if (isEscaped(text, eq)) continue;
    keys.push({ key: m[1], keyStart: m.index + m[0].length - 1 - m[1].length, valueStart: eq + 1 });
  }
  if (!keys.length) {
    return text.trim() ? `CEF extension "${text.slice(0, 40)}" has no key=value pair` : undefined;
  }
  if (text.slice(0, keys[0].keyStart).trim()) return `CEF extension starts with "${text.slice(0, keys[0].keyStart).trim().slice(0, 40)}", not key=value`;
  for (let i = 0; i < keys.length; i++) {
    const end = i + 1 < keys.length ? keys[i + 1].keyStart : text.length;
    // Before a key, the whitespace character the key pattern matched separates; the last value
    // ends at the line's end, whose trailing whitespace is not part of it.
    const raw = i + 1 < keys.length ? text.slice(keys[i].valueStart, end - 1) : text.slice(keys[i].valueStart).replace(/\s+$/, '');
    // Own entries only: `constructor=` or `__proto__=` must not find Object.prototype's members.
    const name = Object.hasOwn(CEF_KEY_NAMES, keys[i].key) ? CEF_KEY_NAMES[keys[i].key]! : keys[i].key;
    const value = unescapeValue(raw);
    setField(into, name, CEF_NUMERIC_FIELDS.has(name) && /^-?\d+$/.test(value) ? Number(value) : value);
  }
  return undefined;
}

/** Sets an own field, `__proto__` too (an assignment would set the prototype or be ignored). */
function setField(into: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(into, name, { value, writable: true, enumerable: true, configurable: true });
  else into[name] = value;
}

function isEscaped(text: string, index: number): boolean {
  let slashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

function unescapeValue(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}
