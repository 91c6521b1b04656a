/** The Node entry (the `node` export condition): the public API and the Node target (src/targets/node.ts). */
export * from './index.js';
export { createNodeEngine as createEngine } from './targets/node.js';
export { DeadLetterFile } from './runtime/dead-letter-file.js';
