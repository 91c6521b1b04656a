/**
 * `network`: packets of many concurrent protocol sessions (see protocol.ts), one state machine per
 * source IP, with invalid transitions as the anomalies.
 */
import { Arrivals } from './arrivals.js';
import { BaseGenerator } from './base-generator.js';
import { baseOptions, checkCount, checkProbability, checkRate, positive, type GeneratorOptions, type SimulatedEvent } from './generator.js';
import { ipv4 } from './ipv4.js';
import { invalidTypes, PROTOCOL, type PacketType, type ProtocolState } from './protocol.js';
import { Random } from './random.js';

/** Where each network is: every source IP belongs to exactly one. */
export const NETWORK_LOCATIONS: Readonly<Record<1 | 2 | 3 | 4, { lat: number; lon: number }>> = {
  1: { lat: 37.386, lon: -122.084 },
  2: { lat: 40.713, lon: -74.006 },
  3: { lat: 51.507, lon: -0.128 },
  4: { lat: 35.709, lon: 139.732 },
};

export const DEFAULT_CAPACITY = 1000;

/** First and last source address handed out: 10.0.0.1 … 10.255.255.254. */
const FIRST_SOURCE = 0x0a000001;
const LAST_SOURCE = 0x0afffffe;

/**
 * The network a source IP belongs to: a fixed hash of the address (the same in every run and for
 * every seed), so an address keeps its network even if it is handed out again.
 */
export function networkOf(address: number): 1 | 2 | 3 | 4 {
  let h = address | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h & 3) + 1) as 1 | 2 | 3 | 4;
}

interface Machine {
  address: string;
  ip: number;
  destination: string;
  networkId: 1 | 2 | 3 | 4;
  state: ProtocolState;
}

/**
 * Each event is one step of one machine:
 * - with `live` machines alive and fewer than `capacity`, a new machine starts with probability
 *   1 − live/capacity (always when none is alive); otherwise a live machine is picked uniformly;
 * - the machine emits a valid event drawn from its state's transitions and moves; one that reaches
 *   TERM (after `g`) is gone;
 * - with probability `errorProbability`, or when injected, the event is instead a type with no
 *   transition from the machine's state (uniform among them), marked anomaly with truthKey = source
 *   IP; the state does not change.
 *
 * Source IPs are handed out sequentially from 10.0.0.1 (skipping .0 and .255), so an address is
 * reused only after 16 million machines, and never while its machine is alive. Each machine keeps
 * one destination, drawn from 172.16.0.0/16 when it starts.
 */
export class NetworkGenerator extends BaseGenerator {
  readonly name = 'network';
  readonly hasAnomalies = true;
  readonly capacity: number;
  private readonly random: Random;
  private readonly arrivals: Arrivals;
  private readonly errorProbability: number;
  private readonly live: Machine[] = [];
  private readonly liveIps = new Set<number>();
  private nextIp = FIRST_SOURCE;
  private forced = 0;
  private incidents = 0;

  constructor(options: GeneratorOptions = {}) {
    super();
    const { seed, rate, startTime } = baseOptions(options);
    this.capacity = positive(options.capacity ?? DEFAULT_CAPACITY, 'capacity');
    this.errorProbability = checkProbability(options.errorProbability ?? 0, 'errorProbability', true);
    this.random = new Random(seed);
    this.arrivals = new Arrivals(this.random, startTime, rate);
  }

  get now(): number {
    return this.arrivals.next;
  }

  get rate(): number {
    return this.arrivals.rate;
  }

  set rate(perSecond: number) {
    this.arrivals.rate = checkRate(perSecond);
  }

  /** Machines alive now. */
  get liveMachines(): number {
    return this.live.length;
  }

  /** The next n events are invalid transitions. */
  override inject(n: number): void {
    this.forced += checkCount(n, 'inject(n)');
  }

  protected step(): SimulatedEvent {
    const timestamp = this.arrivals.advance();
    const random = this.random;
    const live = this.live;
    const startNew = live.length === 0 || (live.length < this.capacity && random.next() >= live.length / this.capacity);
    const index = startNew ? this.start() : random.int(live.length);
    const machine = live[index];

    let invalid = false;
    if (this.forced > 0) {
      this.forced--;
      invalid = true;
    } else if (this.errorProbability > 0) {
      invalid = random.chance(this.errorProbability);
    }

    let type: PacketType;
    if (invalid) {
      type = random.pick(invalidTypes(machine.state));
    } else {
      const transition = random.weighted(PROTOCOL[machine.state].map((t) => [t, t.probability] as const));
      type = transition.type;
      machine.state = transition.to;
      if (machine.state === 'TERM') this.end(index);
    }

    const location = NETWORK_LOCATIONS[machine.networkId];
    const event = {
      kind: 'packet',
      type,
      sourceAddress: machine.address,
      destinationAddress: machine.destination,
      networkId: machine.networkId,
      location: { lat: location.lat, lon: location.lon },
      timestamp,
    };
    return invalid ? { event, anomaly: true, truthKey: machine.address, incident: this.incidents++ } : { event, anomaly: false };
  }

  /** Starts a machine and returns its index in `live`. */
  private start(): number {
    let ip = this.nextIp;
    while (this.liveIps.has(ip) || (ip & 255) === 0 || (ip & 255) === 255) ip = ip >= LAST_SOURCE ? FIRST_SOURCE : ip + 1;
    this.nextIp = ip >= LAST_SOURCE ? FIRST_SOURCE : ip + 1;
    this.liveIps.add(ip);
    const destination = `172.16.${this.random.int(256)}.${this.random.between(1, 254)}`;
    this.live.push({ address: ipv4(ip), ip, destination, networkId: networkOf(ip), state: 'INITIAL' });
    return this.live.length - 1;
  }

  private end(index: number): void {
    const live = this.live;
    this.liveIps.delete(live[index].ip);
    live[index] = live[live.length - 1];
    live.pop();
  }
}
