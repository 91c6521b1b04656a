/**
 * Lazy JSON lines: each line is scanned once over its bytes (json-scan.ts), which validates it
 * exactly and finds the few top-level fields the loaded rules route and filter on; the event handed
 * to the engine holds only those, and is built whole (TextDecoder + JSON.parse, as the eager path
 * builds every event) only when it passes a rule's predicates (src/engine/whole-event.ts). A line
 * the scanner does not accept — malformed, too deep, not an object, not UTF-8, or merely unusual
 * (a byte-order mark) — is read by the eager path, so every error is worded and numbered as before.
 *
 * Which fields, and whether lazily at all, comes from the rules (lazy-fields.ts). Set
 * VIGIL_EAGER_DECODE=1 to decode every line eagerly, for comparison.
 */
import { WHOLE_EVENT, type WholeEventSource } from '../engine/whole-event.js';
import type { RulePlan } from '../engine/rule-plan.js';
import { eventLineParser, type EventFormat, type EventLineParser, type LineResult } from './event-lines.js';
import type { LazyLineReader } from './from-jsonl.js';
import { JsonObjectScanner, VALUE_NONE } from './json-scan.js';
import { WasmJsonObjectScanner } from './json-scan-wasm.js';
import { lazyFieldsOf } from './lazy-fields.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });


/**
 * Lines read lazily between two looks at how many of them were built whole. Lazy reading pays
 * when few events match: a line built whole costs its scan on top of JSON.parse. When more than
 * MOST_BUILT of a stretch's events were built whole, the next EAGER_STRETCHES stretches are read
 * eagerly (the events are the same either way), then lazily again to look once more.
 */
const STRETCH_LINES = 4096;
const MOST_BUILT = 0.25;
const EAGER_STRETCHES = 16;

/** How lazy reading has been paying, shared by the readers of one field set (a threaded run has one per block). */
interface Payoff {
  lazyLines: number;
  built: number;
  eagerLinesLeft: number;
}

/** The line behind a partial event, decoded whole on demand (once). */
class LineSource implements WholeEventSource {
  private built?: Record<string, unknown>;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private readonly payoff: Payoff,
  ) {}
  whole(): Record<string, unknown> {
    if (this.built) return this.built;
    this.payoff.built++;
    // The scanner accepted the line: it is UTF-8 without a byte-order mark and a JSON object.
    return (this.built = JSON.parse(utf8.decode(this.bytes.subarray(this.start, this.end))) as Record<string, unknown>);
  }
}

/**
 * Partial events holding `fields` (top-level names). `parser` is the eager parser of the same
 * input: lines are read lazily only once it reads JSON lines (with format `auto`, after the line
 * that decided it), since a goflow2 or CEF line is no JSON event.
 *
 * The bytes a partial event came from are kept (not copied) until it is built or dropped: the
 * caller must not reuse a chunk's buffer after pushing it.
 */
export class LazyJsonLines implements LazyLineReader {
  private readonly scanner: JsonObjectScanner;
  private readonly payoff: Payoff;
  /** Names that objects inherit (`__proto__`, `constructor`…): set as own properties, as JSON.parse does. */
  private readonly inherited: boolean[];

  constructor(
    readonly fields: readonly string[],
    private readonly parser: Pick<EventLineParser, 'format'>,
  ) {
    ({ scanner: this.scanner, payoff: this.payoff } = scannerFor(fields));
    this.inherited = fields.map((name) => name in Object.prototype);
  }

  read(bytes: Uint8Array, start: number, end: number): LineResult | null {
    if (this.parser.format !== 'jsonl' || this.eagerNow()) return null;
    const scanner = this.scanner;
    if (!scanner.scan(bytes, start, end)) return blank(bytes, start, end) ? undefined : null;
    const event: Record<string | symbol, unknown> = {};
    const kinds = scanner.kinds;
    for (let k = 0; k < kinds.length; k++) {
      if (kinds[k] === VALUE_NONE) continue;
      this.set(event, k, scanner.value(bytes, k));
    }
    event[WHOLE_EVENT] = new LineSource(bytes, start, end, this.payoff);
    return { event: event as Record<string, unknown> };
  }

  /**
   * As `read`, for a line scanned elsewhere for these fields: its record in a span table
   * (line-spans.ts) at `table[at]`. The answer is read's answer for the same line.
   */
  readScanned(bytes: Uint8Array, start: number, end: number, table: Int32Array, at: number): LineResult | null {
    if (this.parser.format !== 'jsonl' || this.eagerNow()) return null;
    if (table[at] === 0) return blank(bytes, start, end) ? undefined : null;
    const event: Record<string | symbol, unknown> = {};
    const scanner = this.scanner;
    const count = this.fields.length;
    for (let k = 0, from = at + 1; k < count; k++, from += 4) {
      const kind = table[from]!;
      if (kind === VALUE_NONE) continue;
      this.set(event, k, scanner.valueOf(bytes, kind, table[from + 1]!, table[from + 2]!, table[from + 3]!));
    }
    event[WHOLE_EVENT] = new LineSource(bytes, start, end, this.payoff);
    return { event: event as Record<string, unknown> };
  }

  /** Whether this line is read eagerly (a stretch after lazy reading did not pay), counting it either way. */
  private eagerNow(): boolean {
    const payoff = this.payoff;
    if (payoff.eagerLinesLeft > 0) {
      payoff.eagerLinesLeft--;
      return true;
    }
    if (++payoff.lazyLines >= STRETCH_LINES) {
      if (payoff.built > MOST_BUILT * payoff.lazyLines) payoff.eagerLinesLeft = EAGER_STRETCHES * STRETCH_LINES;
      payoff.lazyLines = 0;
      payoff.built = 0;
    }
    return false;
  }

  private set(event: Record<string | symbol, unknown>, k: number, value: unknown): void {
    if (this.inherited[k]) Object.defineProperty(event, this.fields[k]!, { value, enumerable: true, writable: true, configurable: true });
    else event[this.fields[k]!] = value;
  }
}

/**
 * How a JsonLinesDecoder reads one input's lines for these rules: `parse` always (the eager parser
 * of `format`), `lazy` too when the rules allow it and `eager` is not asked for.
 */
export function lineReading(format: EventFormat | undefined, rules: readonly RulePlan[], eager = false): { parse: EventLineParser['parse']; lazy?: LazyJsonLines } {
  const parser = eventLineParser(format);
  const use = eager || format === 'goflow2' || format === 'cef' ? undefined : lazyFieldsOf(rules);
  return { parse: parser.parse, lazy: use && 'fields' in use ? new LazyJsonLines(use.fields, parser) : undefined };
}

/** Whether VIGIL_EAGER_DECODE asks for eager decoding (read by the Node entries, which pass it on). */
export function eagerDecodeAsked(env: Record<string, string | undefined>): boolean {
  const value = env.VIGIL_EAGER_DECODE;
  return value !== undefined && value !== '' && value !== '0';
}

/**
 * Scanners by their fields, reused by the readers of later inputs and blocks (a reader uses its
 * scanner synchronously, one line at a time). A WebAssembly scanner copies each chunk in once
 * (stableChunks): the decoder's callers never reuse a chunk's buffer, as LazyJsonLines requires.
 */
const scanners = new Map<string, { scanner: JsonObjectScanner; payoff: Payoff }>();

/** The compiled build/json-scan.wasm, when the host loaded it (see useJsonScanModule). */
let jsonScanModule: WebAssembly.Module | undefined;

/**
 * Scans lines in WebAssembly from now on (json-scan-wasm.ts: the same acceptance and spans, about
 * three times faster), or again in TypeScript with undefined. The host compiles the module, where
 * compiling is allowed (src/wasm/load-node.ts on Node); readers made before keep their scanner.
 */
export function useJsonScanModule(module: WebAssembly.Module | undefined): void {
  if (module === jsonScanModule) return;
  jsonScanModule = module;
  scanners.clear();
}

/**
 * A new scanner for `fields`, scanning as this module's readers do (in WebAssembly once
 * useJsonScanModule gave the module), for lines scanned on another thread than the one that
 * reads them (line-spans.ts). Like the readers' scanners, it copies a chunk in once for all its
 * lines: the caller never writes a chunk after scanning lines of it.
 */
export function lineScanner(fields: readonly string[]): JsonObjectScanner {
  return jsonScanModule ? new WasmJsonObjectScanner(jsonScanModule, fields, undefined, true) : new JsonObjectScanner(fields);
}

/** Which scanner VIGIL_JSON_SCAN asks for: `ts` for the TypeScript one, anything else (or unset) WebAssembly. */
export function wasmScanAsked(env: Record<string, string | undefined>): boolean {
  return env.VIGIL_JSON_SCAN !== 'ts';
}

function scannerFor(fields: readonly string[]): { scanner: JsonObjectScanner; payoff: Payoff } {
  const key = fields.join('\u0000');
  let found = scanners.get(key);
  if (!found) {
    if (scanners.size >= 16) scanners.clear();
    scanners.set(key, (found = { scanner: jsonScanModule ? new WasmJsonObjectScanner(jsonScanModule, fields, undefined, true) : new JsonObjectScanner(fields), payoff: { lazyLines: 0, built: 0, eagerLinesLeft: 0 } }));
  }
  return found;
}

/** Only JSON whitespace (what the eager path's `trim()` leaves empty, among lines the scanner refuses). */
function blank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
