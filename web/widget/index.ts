/**
 * The widget's module (built by vite.widget.config.ts into web-dist/widget/vigil-detections.js).
 *
 * In a page it defines `<vigil-detections>`. The same module, started as a module Web Worker by
 * the element, serves the engine host there: one file for both, so the folder can be copied
 * anywhere and the page includes it with one script tag. The import order matters: the DOM
 * stand-ins for the worker come before lit and go after it.
 */
import { IN_WORKER } from './scope.js';
import './dom-shim.js';
import { VigilDetections, setModuleUrl } from './element.js';
import './dom-unshim.js';
import { serveWorker } from './host.js';

export { VigilDetections };
export type { AlertSummary, Counts } from './view.js';

if (IN_WORKER) {
  serveWorker(globalThis as unknown as Parameters<typeof serveWorker>[0]);
} else {
  setModuleUrl(import.meta.url);
  if (typeof customElements !== 'undefined' && !customElements.get('vigil-detections')) {
    customElements.define('vigil-detections', VigilDetections);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'vigil-detections': VigilDetections;
  }
}
