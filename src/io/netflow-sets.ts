/** NetFlow v9 and IPFIX datagrams: a header, then sets of templates, options templates and data. */
import { FlowDecodeError, type FlowEvent } from './flow-event.js';
import { decodeDataSet, makeTemplate, VARIABLE_LENGTH, type PacketTime, type SessionState, type TemplateField, type TemplateStore } from './netflow-templates.js';

export const V9_HEADER = 20;
export const IPFIX_HEADER = 16;

/** What one datagram left besides its flows. */
export interface SetsOutcome {
  error?: FlowDecodeError;
  /** Data sets skipped because their template is not known (yet). */
  missingTemplates: number[];
  /** Templates (and options templates) defined, refreshed or withdrawn. */
  templates: number;
}

/** Decodes a NetFlow v9 datagram. */
export function decodeV9(bytes: Uint8Array, observer: string, store: TemplateStore, out: FlowEvent[]): SetsOutcome {
  const outcome: SetsOutcome = { missingTemplates: [], templates: 0 };
  if (bytes.length < V9_HEADER) return { ...outcome, error: new FlowDecodeError('truncated', `NetFlow v9 header needs ${V9_HEADER} bytes, got ${bytes.length}`) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sysUptime = view.getUint32(4);
  const exportMs = view.getUint32(8) * 1000;
  const session = store.session(9, observer, view.getUint32(16));
  const time: PacketTime = { exportMs, bootMs: exportMs - sysUptime, sysUptime };
  outcome.error = walkSets(bytes, view, V9_HEADER, bytes.length, 'NetFlow v9', (id, start, end) => {
    if (id === 0) return templateSet(bytes, view, start, end, session, false, false, outcome);
    if (id === 1) return v9OptionsSet(bytes, view, start, end, session, outcome);
    if (id < 256) return undefined; // reserved: skipped
    return dataSet(bytes, id, start, end, session, time, observer, out, outcome, 'NetFlow v9');
  });
  return outcome;
}

/** Decodes an IPFIX message. */
export function decodeIpfix(bytes: Uint8Array, observer: string, store: TemplateStore, out: FlowEvent[]): SetsOutcome {
  const outcome: SetsOutcome = { missingTemplates: [], templates: 0 };
  if (bytes.length < IPFIX_HEADER) return { ...outcome, error: new FlowDecodeError('truncated', `IPFIX header needs ${IPFIX_HEADER} bytes, got ${bytes.length}`) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(2);
  if (length !== bytes.length) return { ...outcome, error: new FlowDecodeError('bad-length', `IPFIX message length ${length} differs from the datagram's ${bytes.length} bytes`) };
  const exportMs = view.getUint32(4) * 1000;
  const session = store.session(10, observer, view.getUint32(12));
  const time: PacketTime = { exportMs };
  outcome.error = walkSets(bytes, view, IPFIX_HEADER, length, 'IPFIX', (id, start, end) => {
    if (id === 2) return templateSet(bytes, view, start, end, session, false, true, outcome);
    if (id === 3) return templateSet(bytes, view, start, end, session, true, true, outcome);
    if (id < 256) return undefined;
    return dataSet(bytes, id, start, end, session, time, observer, out, outcome, 'IPFIX');
  });
  return outcome;
}

type SetHandler = (id: number, start: number, end: number) => FlowDecodeError | undefined;

function walkSets(bytes: Uint8Array, view: DataView, from: number, to: number, what: string, handle: SetHandler): FlowDecodeError | undefined {
  let o = from;
  while (o < to) {
    if (to - o < 4) return new FlowDecodeError('truncated', `${what}: ${to - o} stray bytes after the last set at offset ${o}`);
    const id = view.getUint16(o);
    const length = view.getUint16(o + 2);
    if (length < 4 || o + length > to) return new FlowDecodeError('bad-length', `${what}: set ${id} at offset ${o} has length ${length}, ${to - o} bytes left`);
    const error = handle(id, o + 4, o + length);
    if (error) return error;
    o += length;
  }
  return undefined;
}

/** Template set (v9 id 0, IPFIX 2) or IPFIX options template set (3). */
function templateSet(bytes: Uint8Array, view: DataView, start: number, end: number, session: SessionState, options: boolean, ipfix: boolean, outcome: SetsOutcome): FlowDecodeError | undefined {
  const what = ipfix ? 'IPFIX' : 'NetFlow v9';
  let o = start;
  const headerLength = options ? 6 : 4;
  while (end - o >= headerLength) {
    const id = view.getUint16(o);
    const count = view.getUint16(o + 2);
    if (ipfix && count === 0) {
      // withdrawal: of one template, or of all of this kind when id is the set id
      if (id === 2 || id === 3) {
        for (const [tid, t] of session.templates) if (t.options === (id === 3)) session.templates.delete(tid);
      } else session.templates.delete(id);
      outcome.templates++;
      o += 4;
      continue;
    }
    if (id < 256) return new FlowDecodeError('bad-template', `${what}: template id ${id} is below 256`);
    const scopeCount = options ? view.getUint16(o + 4) : 0;
    if (options && (scopeCount === 0 || scopeCount > count)) return new FlowDecodeError('bad-template', `${what}: options template ${id} has scope field count ${scopeCount} of ${count}`);
    o += headerLength;
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++) {
      if (o + 4 > end) return new FlowDecodeError('bad-template', `${what}: template ${id} runs past its set`);
      let fieldId = view.getUint16(o);
      const length = view.getUint16(o + 2);
      let enterprise = 0;
      o += 4;
      if (ipfix && fieldId & 0x8000) {
        if (o + 4 > end) return new FlowDecodeError('bad-template', `${what}: template ${id} runs past its set`);
        fieldId &= 0x7fff;
        enterprise = view.getUint32(o) || 1;
        o += 4;
      }
      if (!ipfix && length === VARIABLE_LENGTH) return new FlowDecodeError('bad-template', `${what}: template ${id} field ${fieldId} has variable length`);
      fields.push({ id: fieldId, length, enterprise });
    }
    const template = makeTemplate(id, fields, options, scopeCount);
    if (template.minLength === 0) return new FlowDecodeError('bad-template', `${what}: template ${id} describes empty records`);
    session.templates.set(id, template);
    outcome.templates++;
  }
  return undefined;
}

/** NetFlow v9 options template set: id, scope length, option length (in bytes), then (type, length) pairs. */
function v9OptionsSet(bytes: Uint8Array, view: DataView, start: number, end: number, session: SessionState, outcome: SetsOutcome): FlowDecodeError | undefined {
  let o = start;
  while (end - o >= 6) {
    const id = view.getUint16(o);
    const scopeBytes = view.getUint16(o + 2);
    const optionBytes = view.getUint16(o + 4);
    o += 6;
    if (id < 256) return new FlowDecodeError('bad-template', `NetFlow v9: options template id ${id} is below 256`);
    if (scopeBytes % 4 || optionBytes % 4 || o + scopeBytes + optionBytes > end) return new FlowDecodeError('bad-template', `NetFlow v9: options template ${id} has scope length ${scopeBytes} and option length ${optionBytes}`);
    const fields: TemplateField[] = [];
    for (let p = o; p < o + scopeBytes + optionBytes; p += 4) {
      // scope field types (system, interface…) share numbers with elements; keep them out of the way
      const scope = p < o + scopeBytes;
      fields.push({ id: view.getUint16(p), length: view.getUint16(p + 2), enterprise: scope ? 1 : 0 });
    }
    o += scopeBytes + optionBytes;
    const template = makeTemplate(id, fields, true, scopeBytes / 4);
    if (template.minLength === 0) return new FlowDecodeError('bad-template', `NetFlow v9: options template ${id} describes empty records`);
    session.templates.set(id, template);
    outcome.templates++;
  }
  return undefined;
}

function dataSet(
  bytes: Uint8Array,
  id: number,
  start: number,
  end: number,
  session: SessionState,
  time: PacketTime,
  observer: string,
  out: FlowEvent[],
  outcome: SetsOutcome,
  what: string,
): FlowDecodeError | undefined {
  const template = session.templates.get(id);
  if (!template) {
    outcome.missingTemplates.push(id);
    return undefined;
  }
  if (!decodeDataSet(bytes, start, end, template, session, time, observer, out)) {
    return new FlowDecodeError('bad-length', `${what}: a record of template ${id} runs past its data set`);
  }
  return undefined;
}
