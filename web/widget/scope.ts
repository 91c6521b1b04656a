/** True in a Web Worker (the widget's engine worker is this same module). */
export const IN_WORKER =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' &&
  typeof document === 'undefined';
