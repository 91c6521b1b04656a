/**
 * The benchmarks of src/bench the web app runs, at small sizes (they run in the engine worker, which
 * pauses meanwhile). Loaded on demand: a build without them shows an empty Benchmarks view.
 */
import type { BloomFiltersClasses } from '../../src/bench/ioc.js';
import type { BenchModule } from './services/benchmarks.js';

/** A CommonJS module's exports, whether the bundler hands over `module.exports` or its `default`. */
function commonJsDefault<T>(module: { default: unknown }): T {
  const exports = module.default as { default?: T } | T;
  return ((exports as { default?: T }).default ?? exports) as T;
}

/**
 * bloom-filters' two classes, or undefined where they do not load (the IOC benchmark then runs
 * without them). Imported file by file: the package's index also loads modules that touch Node's
 * Buffer as they load.
 */
async function loadBloomFilters(): Promise<BloomFiltersClasses | undefined> {
  try {
    const [bloom, cuckoo] = await Promise.all([import('bloom-filters/dist/bloom/bloom-filter.js'), import('bloom-filters/dist/cuckoo/cuckoo-filter.js')]);
    return { BloomFilter: commonJsDefault(bloom), CuckooFilter: commonJsDefault(cuckoo) };
  } catch {
    return undefined;
  }
}

export async function benchModules(): Promise<BenchModule[]> {
  const [statetable, windows, ioc, bloomFilters] = await Promise.all([
    import('../../src/bench/statetable.js'),
    import('../../src/bench/windows.js'),
    import('../../src/bench/ioc.js'),
    loadBloomFilters(),
  ]);
  return [
    {
      info: {
        name: 'statetable',
        title: 'Per-key state table',
        description: 'The network protocol state machine per source IP: Vigil’s WebAssembly state table (batched transitions) against a JavaScript Map. 20,000 live keys, 200,000 events, 3 runs.',
      },
      run: (hot, { progress }) => statetable.runStateTableBench(hot, { keys: 20_000, events: 200_000, reps: 3, ...(progress ? { progress } : {}) }),
    },
    {
      info: {
        name: 'windows',
        title: 'Sliding windows',
        description: 'Count and sum per key in 60 s windows sliding by 1 s: Vigil’s WebAssembly window buffers against a JavaScript array per window. 5,000 keys, 100,000 events, 3 runs.',
      },
      run: (hot, { progress }) => windows.runWindowsBench(hot, { keys: 5_000, events: 100_000, reps: 3, ...(progress ? { progress } : {}) }),
    },
    {
      info: {
        name: 'ioc',
        title: 'IOC sets',
        description: `Membership of random 128-bit hex keys and IPv4 addresses: Vigil’s WebAssembly cuckoo filter at four target false-positive rates against a JavaScript Set${bloomFilters ? ' and bloom-filters (10,000 keys)' : ''}. 200,000 keys, 50,000 look-ups, 3 runs.`,
      },
      run: (hot, { progress }) =>
        ioc.runIocBench(hot, {
          keys: 200_000,
          lookups: 50_000,
          extraAbsent: 200_000,
          reps: 3,
          ...(bloomFilters ? { peers: ioc.bloomFiltersPeers(bloomFilters), peerKeys: 10_000, peerLookups: 5_000 } : {}),
          ...(progress ? { progress } : {}),
        }),
    },
  ];
}
