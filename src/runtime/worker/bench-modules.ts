/**
 * The benchmarks of src/bench the web app runs, at small sizes (they run in the engine worker, which
 * pauses meanwhile). Loaded on demand: a build without them shows an empty Benchmarks view.
 */
import type { BenchModule } from './host.js';

export async function benchModules(): Promise<BenchModule[]> {
  const [statetable, windows] = await Promise.all([import('../../bench/statetable.js'), import('../../bench/windows.js')]);
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
  ];
}
