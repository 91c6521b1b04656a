/**
 * The lazy reader's scan in WebAssembly: build/json-scan.wasm (assembly/json-scan.ts, compiled by
 * asc at build time) behind JsonObjectScanner's interface. It validates each line and finds the
 * wanted fields' spans as the TypeScript scanner does — same grammar, same depth limit, same
 * kinds — about three times faster; values are then built from the spans by the TypeScript side
 * (value(), inherited). A line whose top-level key holds an escape or a non-ASCII character is
 * handed to the TypeScript scanner, which decodes such keys.
 *
 * Nothing here compiles WebAssembly: the caller passes a compiled module (on Node,
 * loadJsonScanModuleNode in src/wasm/load-node.ts); each scanner instantiates it once, so every
 * scanner has its own memory.
 */
import { MAX_EVENT_DEPTH } from './json-depth.js';
import { JsonObjectScanner, VALUE_INT, VALUE_NUMBER, VALUE_PLAIN_HASHED, VALUE_PLAIN_STRING } from './json-scan.js';
import { SPANS_COUNT, SPANS_FIELDS, SPANS_FROM, SPANS_HEADER, spanStride } from './line-spans.js';

/** The exports of build/json-scan.wasm. */
interface JsonScanExports {
  memory: WebAssembly.Memory;
  maxDepthSupported(): number;
  setWanted(table: number, count: number, kinds: number, spans: number): void;
  scan(ptr: number, length: number, maxDepth: number): number;
  scanLines(piece: number, length: number, from: number, count: number, maxDepth: number, table: number): number;
}

/** scan's answers (assembly/json-scan.ts). */
const INVALID = 0;
const FALLBACK = 2;
/** scanLines' `accepted` for a line scan answered FALLBACK. */
const LINE_FALLBACK = 2;

const PAGE = 65536;
/** The largest buffer copied whole with stableChunks (a read chunk is 1 MiB); lines of a bigger one are copied one by one. */
const MAX_CHUNK_COPY = 4 * 1024 * 1024;
/** The module's own data and static arrays live in its first page; the scanner's layout starts after it. */
const TABLE_AT = PAGE;

export class WasmJsonObjectScanner extends JsonObjectScanner {
  private readonly wasm: JsonScanExports;
  private readonly kindsAt: number;
  private readonly spansAt: number;
  /** Where a line is copied in to be scanned. */
  private readonly lineAt: number;
  private memoryBytes!: Uint8Array;
  private memoryInts!: Int32Array;
  /** The TypeScript scanner decides alone when the depth limit is beyond the module's stack. */
  private readonly inWasm: boolean;

  /** With stableChunks: the buffer whose bytes are in memory at lineAt (copied whole), and its length. */
  private chunk?: Uint8Array;

  /**
   * `stableChunks`: the caller never writes a buffer after scanning lines of it (the lazy reader's
   * own contract), so a buffer is copied into the module's memory once, whole, for all its lines,
   * rather than line by line.
   */
  constructor(
    module: WebAssembly.Module,
    names: readonly string[],
    maxDepth: number = MAX_EVENT_DEPTH,
    private readonly stableChunks = false,
  ) {
    super(names, maxDepth);
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: () => {
          throw new Error('json-scan.wasm aborted');
        },
      },
    });
    this.wasm = instance.exports as unknown as JsonScanExports;
    this.inWasm = maxDepth <= this.wasm.maxDepthSupported();
    // Layout after the first page: the names' [offset, length] table, their bytes, the result's kinds and spans ([start, end, extra] each), the line.
    const encoded = names.map((name) => new TextEncoder().encode(name));
    const namesAt = TABLE_AT + names.length * 8;
    let at = namesAt;
    for (const bytes of encoded) at += bytes.length;
    this.kindsAt = align8(at);
    this.spansAt = align8(this.kindsAt + names.length);
    this.lineAt = align8(this.spansAt + names.length * 12);
    this.ensure(this.lineAt + PAGE);
    let nameAt = namesAt;
    encoded.forEach((bytes, k) => {
      this.memoryInts[(TABLE_AT >> 2) + k * 2] = nameAt;
      this.memoryInts[(TABLE_AT >> 2) + k * 2 + 1] = bytes.length;
      this.memoryBytes.set(bytes, nameAt);
      nameAt += bytes.length;
    });
    this.wasm.setWanted(TABLE_AT, names.length, this.kindsAt, this.spansAt);
  }

  override scan(b: Uint8Array, start: number, end: number): boolean {
    if (!this.inWasm) return super.scan(b, start, end);
    const answer = this.scanInMemory(b, start, end);
    if (answer === FALLBACK) return super.scan(b, start, end);
    const { kinds, starts, ends, memoryBytes, memoryInts } = this;
    if (answer === INVALID) {
      kinds.fill(0);
      return false;
    }
    const spans = this.spansAt >> 2;
    for (let k = 0; k < kinds.length; k++) {
      // The kinds that carry a hash or a value are span-table kinds; scan answers the plain ones.
      const kind = memoryBytes[this.kindsAt + k]!;
      kinds[k] = kind === VALUE_PLAIN_HASHED ? VALUE_PLAIN_STRING : kind === VALUE_INT ? VALUE_NUMBER : kind;
      starts[k] = start + memoryInts[spans + k * 3]!;
      ends[k] = start + memoryInts[spans + k * 3 + 1]!;
    }
    return true;
  }

  /** As scan, with the answer written straight from the module's memory into the table (see JsonObjectScanner.scanInto). */
  override scanInto(b: Uint8Array, start: number, end: number, table: Int32Array, at: number): boolean {
    if (!this.inWasm) return super.scanInto(b, start, end, table, at);
    const answer = this.scanInMemory(b, start, end);
    if (answer === FALLBACK) return this.writeRecord(super.scan(b, start, end), table, at);
    if (answer === INVALID) {
      table[at] = 0;
      return false;
    }
    table[at] = 1;
    const { memoryBytes, memoryInts, kindsAt } = this;
    const count = this.kinds.length;
    for (let k = 0, spans = this.spansAt >> 2, to = at + 1; k < count; k++, spans += 3, to += 4) {
      table[to] = memoryBytes[kindsAt + k]!;
      table[to + 1] = start + memoryInts[spans]!;
      table[to + 2] = start + memoryInts[spans + 1]!;
      table[to + 3] = memoryInts[spans + 2]!;
    }
    return true;
  }

  /**
   * The lines' span table from one call into the module (assembly/json-scan.ts scanLines), for a
   * stable chunk that fits the copy limit; a line the module leaves to TypeScript (FALLBACK) is
   * scanned here. Undefined otherwise: line by line.
   */
  override scanLines(b: Uint8Array, from: number, count: number): Int32Array | undefined {
    if (!this.inWasm || !this.stableChunks || b.length > MAX_CHUNK_COPY) return undefined;
    const stride = spanStride(this.kinds.length);
    const tableAt = align8(this.lineAt + b.length);
    const tableBytes = count * stride * 4;
    if (tableAt + tableBytes > this.memoryBytes.length) {
      this.ensure(tableAt + tableBytes);
      this.chunk = undefined;
    }
    if (b !== this.chunk) {
      this.memoryBytes.set(b, this.lineAt);
      this.chunk = b;
    }
    if (this.wasm.scanLines(this.lineAt, b.length, from, count, this.maxDepth, tableAt) !== count) throw new RangeError(`scanLines: fewer than ${count} lines from byte ${from}`);
    const table = new Int32Array(SPANS_HEADER + count * stride);
    table[SPANS_FROM] = from;
    table[SPANS_COUNT] = count;
    table[SPANS_FIELDS] = this.kinds.length;
    table.set(this.memoryInts.subarray(tableAt >> 2, (tableAt >> 2) + count * stride), SPANS_HEADER);
    for (let i = 0, at = SPANS_HEADER, start = from; i < count; i++, at += stride) {
      const newline = table[at]!;
      if (table[at + 1] === LINE_FALLBACK) {
        const end = newline > start && b[newline - 1] === 0x0d ? newline - 1 : newline;
        this.writeRecord(super.scan(b, start, end), table, at + 1);
      }
      start = newline + 1;
    }
    return table;
  }

  /** Copies the line in (or its whole chunk, once) and scans it: INVALID, VALID (results in memory) or FALLBACK. */
  private scanInMemory(b: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let at: number;
    if (this.stableChunks && b.length <= MAX_CHUNK_COPY) {
      if (b !== this.chunk) {
        if (this.lineAt + b.length > this.memoryBytes.length) this.ensure(this.lineAt + b.length);
        this.memoryBytes.set(b, this.lineAt);
        this.chunk = b;
      }
      at = this.lineAt + start;
    } else {
      if (this.lineAt + length > this.memoryBytes.length) this.ensure(this.lineAt + length);
      this.memoryBytes.set(b.subarray(start, end), this.lineAt);
      // Memory at lineAt no longer holds a whole chunk.
      this.chunk = undefined;
      at = this.lineAt;
    }
    return this.wasm.scan(at, length, this.maxDepth);
  }

  /** Grows the module's memory to at least `bytes` and refreshes the views on it. */
  private ensure(bytes: number): void {
    const memory = this.wasm.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    this.memoryBytes = new Uint8Array(memory.buffer);
    this.memoryInts = new Int32Array(memory.buffer);
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
