// The shared scratch buffer: the one place where the host writes batches of input (e.g. UTF-8
// keys plus a lengths array) and reads batches of output. Any hot path may use it for the
// duration of one call; nothing may keep data in it across calls.

let scratchPtr: usize = 0;
let scratchCap: usize = 0;

/**
 * Ensures the scratch buffer holds at least `bytes` bytes and returns its address.
 * May grow linear memory (host views must be re-created afterwards). Contents are not kept.
 */
export function scratch_reserve(bytes: usize): usize {
  if (bytes > scratchCap || scratchPtr == 0) {
    if (scratchPtr != 0) heap.free(scratchPtr);
    let cap: usize = 1 << 16;
    while (cap < bytes) cap <<= 1;
    scratchPtr = heap.alloc(cap);
    scratchCap = cap;
  }
  return scratchPtr;
}

/** Current capacity of the scratch buffer in bytes (0 before the first reserve). */
export function scratch_capacity(): usize {
  return scratchCap;
}
