/** The Node entry: the public API plus `createEngine`, which loads everything from the package. */
export * from './index.js';
export { createNodeEngine as createEngine } from './runtime/node.js';
export { DeadLetterFile } from './runtime/dead-letter-file.js';
