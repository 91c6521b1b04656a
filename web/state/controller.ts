/**
 * Re-renders a lit element when the store changes a topic it cares about: at most once a frame,
 * and for views with costly renders at most once per `minIntervalMs` (the worker sends a batch
 * every 250 ms; a table of thousands of alerts need not be redrawn that often). What the user does
 * (a click, typing) renders at once: that goes through the element's own properties, not here.
 *
 * While the host is in a hidden view (web/lib/view-visibility.ts) store changes do not render it:
 * they are parked, and the host renders once when its view shows again — in a task after the one
 * that shows it (the view shows at once as it was left, then catches up), with the attribute
 * `data-filling` until then (as Stages does; the rate e2e test waits for it).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { inHiddenView, onViewShown } from '../lib/view-visibility.js';
import { store, type AppStore, type StoreTopic } from './store.js';

export interface StoreControllerOptions {
  /** The least time between two renders caused by the store; 0: every frame. */
  minIntervalMs?: number;
}

export class StoreController implements ReactiveController {
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private frame: number | undefined;
  private lastRender = -Infinity;
  /** A change came while the host's view was hidden: render when it shows. */
  private parked = false;
  /** Woken from parked: `data-filling` is set until the next render. */
  private catchingUp = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private stopShown: (() => void) | undefined;
  private readonly minIntervalMs: number;
  private readonly listener = (e: Event) => {
    const topic = (e as CustomEvent<StoreTopic>).detail;
    if (this.topics.includes(topic) || topic === 'status') this.refresh();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly topics: readonly StoreTopic[],
    readonly store: AppStore = storeInstance(),
    options: StoreControllerOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 0;
    host.addController(this);
  }

  hostConnected(): void {
    this.store.addEventListener('change', this.listener);
    this.stopShown = onViewShown(() => {
      if (!this.parked || inHiddenView(this.host) || this.wakeTimer !== undefined) return;
      this.setCatchingUp(true);
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = undefined;
        this.parked = false;
        this.refresh();
      }, 0);
    });
  }

  hostDisconnected(): void {
    this.store.removeEventListener('change', this.listener);
    this.stopShown?.();
    this.stopShown = undefined;
    this.parked = false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.setCatchingUp(false);
    clearTimeout(this.timer);
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.scheduled = false;
    this.timer = this.frame = undefined;
  }

  hostUpdated(): void {
    this.lastRender = performance.now();
    this.setCatchingUp(false);
  }

  private setCatchingUp(on: boolean): void {
    if (this.catchingUp === on) return;
    this.catchingUp = on;
    if (typeof Element !== 'undefined' && this.host instanceof Element) this.host.toggleAttribute('data-filling', on);
  }

  /** Asks for a render, within the same limits as a store change (for other live sources). */
  refresh(): void {
    if (this.scheduled || this.parked) return;
    if (inHiddenView(this.host)) {
      this.parked = true;
      return;
    }
    this.scheduled = true;
    const wait = this.lastRender + this.minIntervalMs - performance.now();
    const render = () => {
      this.timer = undefined;
      this.frame = requestAnimationFrame(() => {
        this.frame = undefined;
        this.scheduled = false;
        // Hidden while the render waited: parked instead.
        if (inHiddenView(this.host)) {
          this.parked = true;
          this.setCatchingUp(false);
        } else this.host.requestUpdate();
      });
    };
    if (wait > 0) this.timer = setTimeout(render, wait);
    else render();
  }
}

function storeInstance(): AppStore {
  return store;
}
