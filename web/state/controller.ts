/** Re-renders a lit element when the store changes a topic it cares about (at most once a frame). */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { store, type AppStore, type StoreTopic } from './store.js';

export class StoreController implements ReactiveController {
  private scheduled = false;
  private readonly listener = (e: Event) => {
    const topic = (e as CustomEvent<StoreTopic>).detail;
    if (this.topics.includes(topic) || topic === 'status') this.schedule();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly topics: readonly StoreTopic[],
    readonly store: AppStore = storeInstance(),
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.store.addEventListener('change', this.listener);
  }

  hostDisconnected(): void {
    this.store.removeEventListener('change', this.listener);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.host.requestUpdate();
    });
  }
}

function storeInstance(): AppStore {
  return store;
}
