/** NetFlow v9 and IPFIX datagrams: a header, then sets of templates, options templates and data. */
import { FlowDecodeError, type FlowEvent } from './flow-event.js';
import { decodeDataSet, makeTemplate, VARIABLE_LENGTH, type PacketTime, type TemplateField, type TemplateStore } from './netflow-templates.js';

export const V9_HEADER = 20;
export const IPFIX_HEADER = 16;

/** What one datagram left besides its flows. */
export interface SetsOutcome {
  error?: FlowDecodeError;
  /** Data sets skipped because their template is not known (yet). */
  missingTemplates: number[];
  /** Templates (and options templates) defined, refreshed or withdrawn. */
  templates: number;
  /** Data records decoded (flows and options data); undefined once a data set had no template (its records cannot be counted). */
  records: number | undefined;
  /** Of those, the records of (non-options) templates: flow records. */
  flowRecords: number | undefined;
  /** The header's source id / observation domain. */
  domain: number;
  /** The header's sequence number, once the header is read. */
  sequence?: number;
  /** NetFlow v9 sysUptime. */
  uptimeMs?: number;
  /** Export time, epoch ms. */
  exportMs: number;
}

/** Where a datagram's templates live. */
interface SessionRef {
  store: TemplateStore;
  version: number;
  exporter: string;
  domain: number;
}

/** Decodes a NetFlow v9 datagram. */
export function decodeV9(bytes: Uint8Array, observer: string, store: TemplateStore, out: FlowEvent[]): SetsOutcome {
  const outcome: SetsOutcome = { missingTemplates: [], templates: 0, records: 0, flowRecords: 0, domain: 0, exportMs: 0 };
  if (bytes.length < V9_HEADER) return { ...outcome, records: undefined, flowRecords: undefined, error: new FlowDecodeError('truncated', `NetFlow v9 header needs ${V9_HEADER} bytes, got ${bytes.length}`) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sysUptime = view.getUint32(4);
  const exportMs = view.getUint32(8) * 1000;
  Object.assign(outcome, { uptimeMs: sysUptime, exportMs, sequence: view.getUint32(12), domain: view.getUint32(16) });
  const ref: SessionRef = { store, version: 9, exporter: observer, domain: outcome.domain };
  const time: PacketTime = { exportMs, bootMs: exportMs - sysUptime, sysUptime };
  outcome.error = walkSets(bytes, view, V9_HEADER, bytes.length, 'NetFlow v9', (id, start, end) => {
    if (id === 0) return templateSet(bytes, view, start, end, ref, false, false, outcome);
    if (id === 1) return v9OptionsSet(bytes, view, start, end, ref, outcome);
    if (id < 256) return undefined; // reserved: skipped
    return dataSet(bytes, id, start, end, ref, time, observer, out, outcome, 'NetFlow v9');
  });
  return outcome;
}

/** Decodes an IPFIX message. */
export function decodeIpfix(bytes: Uint8Array, observer: string, store: TemplateStore, out: FlowEvent[]): SetsOutcome {
  const outcome: SetsOutcome = { missingTemplates: [], templates: 0, records: 0, flowRecords: 0, domain: 0, exportMs: 0 };
  if (bytes.length < IPFIX_HEADER) return { ...outcome, records: undefined, flowRecords: undefined, error: new FlowDecodeError('truncated', `IPFIX header needs ${IPFIX_HEADER} bytes, got ${bytes.length}`) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(2);
  if (length !== bytes.length) return { ...outcome, records: undefined, flowRecords: undefined, error: new FlowDecodeError('bad-length', `IPFIX message length ${length} differs from the datagram's ${bytes.length} bytes`) };
  const exportMs = view.getUint32(4) * 1000;
  Object.assign(outcome, { exportMs, sequence: view.getUint32(8), domain: view.getUint32(12) });
  const ref: SessionRef = { store, version: 10, exporter: observer, domain: outcome.domain };
  const time: PacketTime = { exportMs };
  outcome.error = walkSets(bytes, view, IPFIX_HEADER, length, 'IPFIX', (id, start, end) => {
    if (id === 2) return templateSet(bytes, view, start, end, ref, false, true, outcome);
    if (id === 3) return templateSet(bytes, view, start, end, ref, true, true, outcome);
    if (id < 256) return undefined;
    return dataSet(bytes, id, start, end, ref, time, observer, out, outcome, 'IPFIX');
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
function templateSet(bytes: Uint8Array, view: DataView, start: number, end: number, ref: SessionRef, options: boolean, ipfix: boolean, outcome: SetsOutcome): FlowDecodeError | undefined {
  const what = ipfix ? 'IPFIX' : 'NetFlow v9';
  let o = start;
  const headerLength = options ? 6 : 4;
  while (end - o >= headerLength) {
    const id = view.getUint16(o);
    const count = view.getUint16(o + 2);
    if (ipfix && count === 0) {
      // withdrawal: of one template, or of all of this kind when id is the set id
      const session = ref.store.find(ref.version, ref.exporter, ref.domain);
      if (id === 2 || id === 3) {
        for (const [tid, t] of session?.templates ?? []) if (t.options === (id === 3)) ref.store.withdraw(ref.version, ref.exporter, ref.domain, tid);
      } else ref.store.withdraw(ref.version, ref.exporter, ref.domain, id);
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
    ref.store.define(ref.version, ref.exporter, ref.domain, template);
    outcome.templates++;
  }
  return undefined;
}

/** NetFlow v9 options template set: id, scope length, option length (in bytes), then (type, length) pairs. */
function v9OptionsSet(bytes: Uint8Array, view: DataView, start: number, end: number, ref: SessionRef, outcome: SetsOutcome): FlowDecodeError | undefined {
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
    ref.store.define(ref.version, ref.exporter, ref.domain, template);
    outcome.templates++;
  }
  return undefined;
}

function dataSet(
  bytes: Uint8Array,
  id: number,
  start: number,
  end: number,
  ref: SessionRef,
  time: PacketTime,
  observer: string,
  out: FlowEvent[],
  outcome: SetsOutcome,
  what: string,
): FlowDecodeError | undefined {
  const template = ref.store.template(ref.version, ref.exporter, ref.domain, id);
  if (!template) {
    outcome.missingTemplates.push(id);
    outcome.records = outcome.flowRecords = undefined;
    return undefined;
  }
  const session = ref.store.find(ref.version, ref.exporter, ref.domain)!;
  const records = decodeDataSet(bytes, start, end, template, session, time, observer, out);
  if (records < 0) {
    outcome.records = outcome.flowRecords = undefined;
    return new FlowDecodeError('bad-length', `${what}: a record of template ${id} runs past its data set`);
  }
  if (outcome.records !== undefined) outcome.records += records;
  if (outcome.flowRecords !== undefined && !template.options) outcome.flowRecords += records;
  return undefined;
}
