/**
 * `bruteforce`: logins against an authentication service — regular users succeeding and sometimes
 * failing, plus password-guessing attacks on one account of one server.
 */
import { BurstGenerator, MINUTE, type TimedEvent } from './burst-generator.js';
import { baseOptions, positive, type GeneratorOptions, type SimulatedEvent } from './generator.js';
import { hostNames, PRIVILEGED_USERS, userNames } from './names.js';

export interface BruteForceOptions extends GeneratorOptions {
  /** Regular users (default 200). */
  users?: number;
  /** Servers (default 20). */
  servers?: number;
}

/** Fewest failed attempts in an attack. */
export const ATTACK_MIN_FAILURES = 12;
/** Most failed attempts in an attack. */
export const ATTACK_MAX_FAILURES = 40;
/** Most failures regular traffic has for one user@server within any 60 s. */
export const REGULAR_MAX_FAILURES_PER_MINUTE = 3;
/** Probability that a regular login fails (before the cap above). */
const REGULAR_FAILURE_PROBABILITY = 0.05;
/** Probability that an attack ends with a successful login (the account is taken). */
const ATTACK_SUCCESS_PROBABILITY = 0.25;

/**
 * Regular traffic: a uniform user (from `users`) logs into a uniform server from the user's own
 * address (in 192.168.0.0/16); 5% fail, except that one user@server never has more than
 * {@link REGULAR_MAX_FAILURES_PER_MINUTE} failures in any 60 s (the excess become successes). So
 * no window of a minute or less ever holds 10 regular failures for one user@server.
 *
 * An attack: one external address (203.0.113.0/24 or 198.51.100.0/24) fails 12–40 times against
 * one user@server (half the time a privileged name such as `root`), at uniform times over 5–45 s;
 * a quarter of attacks end with one success. All of an attack's events are anomalies with truthKey
 * `user@server`, and all fall within one epoch-aligned minute (an attack that would cross the
 * minute is cut short in time, not in attempts), so a tumbling one-minute window — or any window
 * of at least a minute aligned to the minute — sees the whole attack.
 */
export class BruteForceGenerator extends BurstGenerator {
  readonly name = 'bruteforce';
  private readonly users: string[];
  private readonly servers: string[];
  /** Times of recent regular failures per user@server, to enforce the cap. */
  private readonly recentFailures = new Map<string, number[]>();

  constructor(options: BruteForceOptions = {}) {
    const { seed, rate, startTime } = baseOptions(options);
    const meanSize = (ATTACK_MIN_FAILURES + ATTACK_MAX_FAILURES) / 2 + ATTACK_SUCCESS_PROBABILITY;
    super(seed, rate, startTime, options.errorProbability ?? 0.01, meanSize);
    this.users = userNames(positive(options.users ?? 200, 'users'));
    this.servers = hostNames('srv', positive(options.servers ?? 20, 'servers'));
  }

  protected regular(time: number): SimulatedEvent {
    const random = this.random;
    const userIndex = random.int(this.users.length);
    const user = this.users[userIndex];
    const server = random.pick(this.servers);
    let outcome: 'success' | 'failure' = random.chance(REGULAR_FAILURE_PROBABILITY) ? 'failure' : 'success';
    if (outcome === 'failure') {
      const key = `${user}@${server}`;
      const recent = (this.recentFailures.get(key) ?? []).filter((t) => t > time - MINUTE);
      if (recent.length >= REGULAR_MAX_FAILURES_PER_MINUTE) outcome = 'success';
      else recent.push(time);
      if (recent.length) this.recentFailures.set(key, recent);
      else this.recentFailures.delete(key);
    }
    const sourceAddress = `192.168.${1 + Math.floor(userIndex / 254)}.${1 + (userIndex % 254)}`;
    return { event: { kind: 'auth', user, server, outcome, sourceAddress, timestamp: time }, anomaly: false };
  }

  protected burst(start: number, incident: number): TimedEvent[] {
    const random = this.random;
    const user = random.chance(0.5) ? random.pick(PRIVILEGED_USERS) : random.pick(this.users);
    const server = random.pick(this.servers);
    const sourceAddress = `${random.pick(['203.0.113', '198.51.100'])}.${random.between(1, 254)}`;
    const failures = random.between(ATTACK_MIN_FAILURES, ATTACK_MAX_FAILURES);
    const end = Math.min(start + random.between(5_000, 45_000), Math.floor(start / MINUTE) * MINUTE + MINUTE);
    const times: number[] = [];
    for (let i = 0; i < failures; i++) times.push(start + random.int(end - start));
    times.sort((a, b) => a - b);
    times[0] = start; // the attack begins when it starts, so `now` announced it truly
    const truthKey = `${user}@${server}`;
    const at = (time: number, outcome: 'success' | 'failure'): TimedEvent => ({
      time,
      item: { event: { kind: 'auth', user, server, outcome, sourceAddress, timestamp: time }, anomaly: true, truthKey, incident },
    });
    const out = times.map((t) => at(t, 'failure'));
    if (random.chance(ATTACK_SUCCESS_PROBABILITY)) out.push(at(times[times.length - 1], 'success'));
    return out;
  }
}
