// The reference paper's evaluation workload (shared by bench/rules.mjs and bench/guard.mjs):
// events with four random 128-bit hex fields, a tag, an integer and a group; rules that each match
// one (group, integer, tag) combination through a regex, comparisons and an IOC list.
import { randomBytes } from 'node:crypto';
import { seededRandom } from './lib.mjs';

const hex128 = () => randomBytes(16).toString('hex');

/** `n` events, their group, tag and integer drawn from a PRNG seeded with `seed`. */
export function makeEvents(n, seed = 42) {
  const random = seededRandom(seed);
  const pick = (k) => Math.floor(random() * k);
  const events = new Array(n);
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    events[i] = {
      a: hex128(), b: hex128(), c: hex128(), d: hex128(),
      tag: `id_tag_${pick(51)}`,
      integer: pick(51),
      groupName: `Group${pick(6)}`,
      groupTag: 'Demo V01',
      timestamp: t0 + i,
    };
  }
  return events;
}

/** `perGroup` rules in each of the 6 groups: G{g}.id{i}, i = 0..perGroup-1. */
export function ruleSpecs(perGroup) {
  const specs = [];
  for (let g = 0; g < 6; g++) for (let i = 0; i < perGroup; i++) specs.push({ g, i });
  return specs;
}

export function vgl(specs) {
  return specs
    .map(({ g, i }) => `RULE "G${g}.id${i}"
SOURCES groupName = ['Group${g}']
FILTER function (event) { return utils.matches(event['groupTag'], '([A-Za-z]+) V[0-9]*') && event['integer'] == ${i} && event['tag'] == 'id_tag_' + ${i}; }
IOC FILTERS in id_list(tag)
SINK function (event) { return event; }
`)
    .join('\n');
}

/** The IOC list: the 51 tags the events use, then random entries up to `size`. */
export function iocEntries(size) {
  const entries = [];
  for (let i = 0; i <= 50; i++) entries.push(`id_tag_${i}`);
  while (entries.length < size) entries.push(hex128());
  return entries;
}
