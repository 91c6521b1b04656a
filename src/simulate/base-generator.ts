/** What all generators share: `take` over a one-event step. */
import { checkCount, type Generator, type SimulatedEvent } from './generator.js';

export abstract class BaseGenerator implements Generator {
  abstract readonly name: string;
  abstract readonly hasAnomalies: boolean;
  abstract get now(): number;
  abstract get rate(): number;
  abstract set rate(perSecond: number);

  /** The next event. */
  protected abstract step(): SimulatedEvent;

  take(n: number): SimulatedEvent[] {
    checkCount(n, 'take(n)');
    const out: SimulatedEvent[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.step();
    return out;
  }

  /** Nothing is ever under way unless a subclass says so. */
  settle(): SimulatedEvent[] {
    return [];
  }

  inject(n: number): void {
    checkCount(n, 'inject(n)');
  }
}
