/**
 * The checkpoint container: a versioned binary envelope around a JSON document and binary blobs
 * (IOC filters travel as their own bytes, not as base64 inside JSON).
 *
 *   "VIGILCKP" | u32 format version | u32 JSON byte length | JSON (UTF-8) | blobs…
 *   each blob: u32 byte length | bytes          (the JSON refers to blobs by index)
 *
 * Integers are little-endian. A reader refuses a version it does not know, with a clear error.
 */

export const CHECKPOINT_MAGIC = 'VIGILCKP';
export const CHECKPOINT_VERSION = 1;

export class CheckpointError extends Error {}

export interface CheckpointContainer<T> {
  document: T;
  blobs: Uint8Array[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeCheckpoint<T>({ document, blobs }: CheckpointContainer<T>): Uint8Array {
  const json = encoder.encode(JSON.stringify(document));
  let size = 8 + 4 + 4 + json.length;
  for (const blob of blobs) size += 4 + blob.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode(CHECKPOINT_MAGIC), 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  bytes.set(json, 16);
  let at = 16 + json.length;
  for (const blob of blobs) {
    view.setUint32(at, blob.length, true);
    bytes.set(blob, at + 4);
    at += 4 + blob.length;
  }
  return bytes;
}

export function decodeCheckpoint<T>(bytes: Uint8Array): CheckpointContainer<T> {
  if (bytes.length < 16 || decoder.decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC) {
    throw new CheckpointError('not a Vigil checkpoint (the file does not start with VIGILCKP)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint format version ${version} is not supported (this Vigil reads version ${CHECKPOINT_VERSION})`);
  }
  const jsonLength = view.getUint32(12, true);
  if (16 + jsonLength > bytes.length) throw new CheckpointError('the checkpoint is truncated');
  let document: T;
  try {
    document = JSON.parse(decoder.decode(bytes.subarray(16, 16 + jsonLength))) as T;
  } catch (error) {
    throw new CheckpointError(`the checkpoint is corrupt: ${(error as Error).message}`);
  }
  const blobs: Uint8Array[] = [];
  let at = 16 + jsonLength;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new CheckpointError('the checkpoint is truncated');
    const length = view.getUint32(at, true);
    if (at + 4 + length > bytes.length) throw new CheckpointError('the checkpoint is truncated');
    blobs.push(bytes.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { document, blobs };
}
