/** `noise`: ordinary traffic of several kinds, with no anomalies — background for the others. */
import { Arrivals } from './arrivals.js';
import { BaseGenerator } from './base-generator.js';
import { baseOptions, checkRate, type GeneratorOptions, type SimulatedEvent } from './generator.js';
import { DOMAINS, hostNames, URL_PATHS, userNames } from './names.js';
import { Random } from './random.js';

const SERVERS = hostNames('srv', 20);
const USERS = userNames(200);
const WEB_SERVERS = ['10.2.0.10', '10.2.0.11', '10.2.0.12', '10.2.0.13'];

/**
 * Per event, one of (weights 5 : 3.5 : 1.5):
 * - `{ kind: 'dns', sourceAddress, query, qtype, rcode }` — rcode NOERROR, or NXDOMAIN 5% of the time;
 * - `{ kind: 'http', sourceAddress, destinationAddress, host, method, path, status, bytes }`;
 * - `{ kind: 'auth', user, server, outcome: 'success', sourceAddress }` — successes only, so noise
 *   never looks like a brute force;
 * each with `timestamp`. Sources are 10.1.0.0/16 hosts; users and servers are those of `bruteforce`.
 */
export class NoiseGenerator extends BaseGenerator {
  readonly name = 'noise';
  readonly hasAnomalies = false;
  private readonly random: Random;
  private readonly arrivals: Arrivals;

  constructor(options: GeneratorOptions = {}) {
    super();
    const { seed, rate, startTime } = baseOptions(options);
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

  protected step(): SimulatedEvent {
    const timestamp = this.arrivals.advance();
    const r = this.random;
    const sourceAddress = `10.1.${r.int(4)}.${r.between(1, 254)}`;
    const kind = r.weighted([['dns', 5], ['http', 3.5], ['auth', 1.5]] as const);
    let event: Record<string, unknown>;
    switch (kind) {
      case 'dns':
        event = { kind, sourceAddress, query: r.pick(DOMAINS), qtype: r.weighted([['A', 6], ['AAAA', 3], ['MX', 0.5], ['TXT', 0.5]] as const), rcode: r.chance(0.05) ? 'NXDOMAIN' : 'NOERROR', timestamp };
        break;
      case 'http': {
        const status = r.weighted([[200, 85], [304, 8], [404, 5], [500, 2]] as const);
        event = {
          kind,
          sourceAddress,
          destinationAddress: r.pick(WEB_SERVERS),
          host: r.pick(DOMAINS),
          method: r.weighted([['GET', 8], ['POST', 2]] as const),
          path: r.pick(URL_PATHS),
          status,
          bytes: status === 304 ? 0 : r.between(200, 60_000),
          timestamp,
        };
        break;
      }
      case 'auth':
        event = { kind, user: r.pick(USERS), server: r.pick(SERVERS), outcome: 'success', sourceAddress, timestamp };
        break;
    }
    return { event, anomaly: false };
  }
}
