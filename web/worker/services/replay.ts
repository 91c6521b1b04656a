/**
 * The replay service: runs the current rules and lists over a dropped JSON-lines file (../replay.ts
 * decodes it) in a fresh engine, so the live one is untouched, and returns the alerts raised.
 */
import type { Engine } from '../../../src/engine/engine.js';
import { MAX_REPLAY_ALERTS, type ReplayProgress, type ReplayResult } from '../../../src/runtime/worker/protocol.js';
import { readJsonLines } from '../replay.js';
import { messageOf, notifyPage, type HostContext } from './context.js';
import type { ListsService } from './lists.js';

/** Bad lines quoted in the result. */
const MAX_PROBLEMS = 20;

export class ReplayService {
  constructor(
    private readonly ctx: HostContext,
    private readonly lists: ListsService,
    private readonly createEngine: () => Promise<{ engine: Engine }>,
  ) {}

  async replay(file: Blob, name: string, onProgress?: (p: ReplayProgress) => void): Promise<ReplayResult> {
    const now = () => this.ctx.now();
    const started = now();
    const progress: ReplayProgress = { bytesRead: 0, totalBytes: file.size, events: 0, alerts: 0, badLines: 0, done: false };
    const envelopes: ReplayResult['envelopes'] = [];
    const byRule: Record<string, number> = {};
    const problems: string[] = [];
    const report = () => notifyPage(onProgress, { ...progress });
    const { engine } = await this.createEngine();
    try {
      // The same rules and lists as the live engine, none of its state.
      this.lists.copyInto(engine);
      for (const rule of this.ctx.engine.rules()) {
        const applied = engine.putRules(rule.text, { file: rule.file, author: 'replay' });
        if (applied.ok && rule.state === 'disabled') engine.setRuleEnabled(rule.name, false);
      }
      let nextId = 1;
      engine.onAlert((alert) => {
        progress.alerts++;
        byRule[alert.rule] = (byRule[alert.rule] ?? 0) + 1;
        if (envelopes.length < MAX_REPLAY_ALERTS) envelopes.push({ id: nextId++, at: now(), alert });
      });
      let lastReport = 0;
      for await (const batch of readJsonLines(file, { onBytes: (n) => (progress.bytesRead = n) })) {
        const events: Record<string, unknown>[] = [];
        for (const line of batch) {
          if ('error' in line) {
            progress.badLines++;
            if (problems.length < MAX_PROBLEMS) problems.push(`${line.line}: ${line.error}`);
          } else events.push(line.event);
        }
        if (events.length) engine.push(events, { source: name });
        progress.events += events.length;
        if (now() - lastReport > 100) {
          lastReport = now();
          report();
        }
        // Let the live engine and the page's requests in between batches.
        await new Promise((ok) => setTimeout(ok, 0));
      }
      engine.flush();
      progress.bytesRead = file.size;
      progress.done = true;
      report();
      return { ...progress, name, envelopes, byRule, ms: now() - started, problems };
    } catch (error) {
      progress.done = true;
      report();
      return { ...progress, name, envelopes, byRule, ms: now() - started, problems, error: messageOf(error) };
    } finally {
      engine.dispose();
    }
  }
}
