/**
 * StoreController: a store change renders its host at most once a frame, and with `minIntervalMs`
 * at most once per interval, never losing the last change (the oracle: a count of frames and of
 * intervals over a driven clock).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { StoreController } from '../../web/state/controller.js';
import type { AppStore, StoreTopic } from '../../web/state/store.js';

class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  /** Processing times (fake ms) of each render. */
  readonly renders: number[] = [];
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.renders.push(performance.now());
    // What lit does after a render.
    for (const c of this.controllers) c.hostUpdated?.();
  }
  get updateComplete(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

const FRAME_MS = 16;

function setup(minIntervalMs?: number) {
  const store = new EventTarget() as unknown as AppStore;
  const host = new FakeHost();
  const controller = new StoreController(host, ['metrics'], store, { minIntervalMs });
  for (const c of host.controllers) c.hostConnected?.();
  const emit = (topic: StoreTopic) => store.dispatchEvent(new CustomEvent('change', { detail: topic }));
  return { host, controller, emit };
}

describe('StoreController', () => {
  beforeEach(() => {
    globalThis.requestAnimationFrame ??= ((cb: FrameRequestCallback) => setTimeout(() => cb(performance.now()), FRAME_MS) as unknown as number) as typeof requestAnimationFrame;
    globalThis.cancelAnimationFrame ??= ((h: number) => clearTimeout(h)) as typeof cancelAnimationFrame;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'requestAnimationFrame', 'cancelAnimationFrame'] });
  });
  afterEach(() => vi.useRealTimers());

  it('renders once a frame without an interval, and ignores topics it does not follow', () => {
    const { host, emit } = setup();
    for (let i = 0; i < 10; i++) emit('metrics');
    emit('alerts');
    vi.advanceTimersByTime(FRAME_MS);
    expect(host.renders).toHaveLength(1);
    emit('alerts');
    vi.advanceTimersByTime(100);
    expect(host.renders).toHaveLength(1);
  });

  it('with minIntervalMs, a change every 250 ms for 5 s renders about once a second and shows the last change', () => {
    const { host, emit } = setup(1000);
    const seconds = 5;
    for (let t = 0; t < seconds * 1000; t += 250) {
      emit('metrics');
      vi.advanceTimersByTime(250);
    }
    vi.advanceTimersByTime(1000 + FRAME_MS);
    // Every change is followed by a render (the last change at 4,750 ms too)…
    expect(host.renders.at(-1)!).toBeGreaterThanOrEqual(4750);
    // …and renders are at least the interval apart: at most one per second plus the first.
    for (let i = 1; i < host.renders.length; i++) expect(host.renders[i]! - host.renders[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(host.renders.length).toBeLessThanOrEqual(seconds + 1);
    expect(host.renders.length).toBeGreaterThanOrEqual(seconds - 1);
  });

  it('forgets a pending render when the host leaves the page', () => {
    const { host, controller, emit } = setup(1000);
    emit('metrics');
    vi.advanceTimersByTime(FRAME_MS);
    expect(host.renders).toHaveLength(1);
    emit('metrics');
    controller.hostDisconnected();
    vi.advanceTimersByTime(5000);
    expect(host.renders).toHaveLength(1);
  });
});
