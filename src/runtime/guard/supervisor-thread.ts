/**
 * The supervisor of the outer guard: a small thread that owns the engine thread. The main thread
 * blocks while the engine works, so it cannot hear a worker's `error` and `exit` events; this
 * thread can, and rings the shared doorbell with why the engine thread died (heap exhausted, or
 * crashed). On request it terminates the engine thread — which stops even a native infinite loop —
 * and starts a fresh one, handing its port to the main thread.
 */
import { MessageChannel, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { Death, Slot, type EngineThreadData, type SupervisorMessage, type SupervisorRequest } from './protocol.js';

const { engineThread, data, resourceLimits, control } = workerData as {
  engineThread: string;
  data: EngineThreadData;
  resourceLimits: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  control: MessagePort;
};
const slots = new Int32Array(data.control);
let current: Worker | undefined;

function ring(): void {
  Atomics.add(slots, Slot.doorbell, 1);
  Atomics.notify(slots, Slot.doorbell);
}

function start(): void {
  Atomics.store(slots, Slot.death, Death.none);
  Atomics.store(slots, Slot.ruleActive, 0);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL(engineThread), { workerData: { ...data, port: port2 }, transferList: [port2], resourceLimits });
  current = worker;
  const died = (death: number) => {
    if (current !== worker) return;
    current = undefined;
    Atomics.store(slots, Slot.death, death);
    ring();
  };
  worker.on('error', (error: Error & { code?: string }) => died(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? Death.memory : Death.crash));
  worker.on('exit', () => died(Death.crash));
  control.postMessage({ type: 'ready', port: port1 } satisfies SupervisorMessage, [port1]);
  ring();
}

async function stop(): Promise<void> {
  const worker = current;
  current = undefined;
  await worker?.terminate();
}

control.on('message', (request: SupervisorRequest) => {
  void (async () => {
    try {
      await stop();
      if (request.type === 'restart') start();
      else control.close();
    } catch (error) {
      control.postMessage({ type: 'failed', message: (error as Error).message } satisfies SupervisorMessage);
      ring();
    }
  })();
});

start();
