/**
 * The Node target under its former path, for the importers that still use it (tests, bench/, and
 * bench/watermark.mjs, which loads an older build's dist/runtime/node.js as its baseline).
 * The factory itself is src/targets/node.ts.
 */
export { createNodeEngine, processCpuMs, threadCpuEstimateMs } from '../targets/node.js';
