/**
 * The size of an element of a component (the component itself unless `target` says otherwise),
 * kept up to date with a ResizeObserver; the component re-renders when it changes. Charts size
 * their SVG with it.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface ElementSizeOptions {
  /** Before the first measurement. */
  width: number;
  height: number;
  /** Never smaller than these, however small the box. */
  minWidth: number;
  minHeight: number;
  /** The element to measure, looked up after each render; default: the component. */
  target?: () => Element | null | undefined;
}

export class ElementSize implements ReactiveController {
  width: number;
  height: number;
  /**
   * Whether the target was measured yet: a chart may draw nothing before (it would be drawn at the
   * guessed size and at once again at the real one, both in the task that opens the view).
   */
  measured = false;
  private observed?: Element;
  private readonly observer = new ResizeObserver(([entry]) => {
    if (!entry) return;
    const width = Math.max(this.options.minWidth, Math.floor(entry.contentRect.width));
    const height = Math.max(this.options.minHeight, Math.floor(entry.contentRect.height));
    if (width === this.width && height === this.height && this.measured) return;
    this.measured = true;
    this.width = width;
    this.height = height;
    this.host.requestUpdate();
  });

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: ElementSizeOptions,
  ) {
    this.width = options.width;
    this.height = options.height;
    host.addController(this);
  }

  hostConnected(): void {
    // Reconnected: render once more so that hostUpdated observes again.
    if (!this.observed) this.host.requestUpdate();
  }

  /** After each render: the target may be a new element (a template whose branch changed). */
  hostUpdated(): void {
    const target = this.options.target ? this.options.target() : this.host;
    if (!target || target === this.observed) return;
    if (this.observed) this.observer.unobserve(this.observed);
    this.observed = target;
    this.observer.observe(target);
  }

  hostDisconnected(): void {
    this.observer.disconnect();
    this.observed = undefined;
  }
}
