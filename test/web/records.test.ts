import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../web/worker/persistence.js';
import {
  appendHistory,
  listRecord,
  parseEntries,
  readHistoryRecord,
  readListRecord,
  readRuleRecord,
  readSettingsRecord,
  ruleRecords,
  STORE_FORMAT,
} from '../../web/worker/records.js';

describe('persistence serializers', () => {
  it('rule records keep order and enabled state', () => {
    expect(
      ruleRecords([
        { name: 'a', text: 'A', state: 'active' },
        { name: 'b', text: 'B', state: 'disabled' },
        { name: 'c', text: 'C', state: 'deactivated' },
      ]),
    ).toEqual([
      { name: 'a', text: 'A', enabled: true, order: 0 },
      { name: 'b', text: 'B', enabled: false, order: 1 },
      { name: 'c', text: 'C', enabled: true, order: 2 },
    ]);
  });

  it('history versions count up and the input record is not changed', () => {
    const first = appendHistory(undefined, 'r', { action: 'create', text: 'x', author: 'ann', time: 1 });
    const second = appendHistory(first, 'r', { action: 'replace', text: 'y', author: 'bob', time: 2 });
    expect(first.versions).toHaveLength(1);
    expect(second.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('lists are trimmed, deduplicated, without blanks and comments', () => {
    expect(listRecord('l', [' a ', 'a', '', '# note', 'b'])).toEqual({ name: 'l', entries: ['a', 'b'] });
    expect(parseEntries('1.2.3.4, 5.6.7.8\n# c\n\n9.9.9.9 1.2.3.4')).toEqual(['1.2.3.4', '5.6.7.8', '9.9.9.9']);
  });

  it('readers accept what was written and reject malformed data', () => {
    const rule = { name: 'r', text: 't', enabled: false, order: 3 };
    expect(readRuleRecord(structuredClone(rule))).toEqual(rule);
    expect(readRuleRecord({ name: 1 })).toBeUndefined();
    expect(readRuleRecord(null)).toBeUndefined();
    const history = appendHistory(undefined, 'r', { action: 'revert', text: 'x', author: 'a', time: 5, from: 1 });
    expect(readHistoryRecord(structuredClone(history))).toEqual(history);
    expect(readHistoryRecord({ name: 'r', versions: [{ bogus: true }] })).toEqual({ name: 'r', versions: [] });
    expect(readListRecord({ name: 'l', entries: ['a', 3, 'b'] })).toEqual({ name: 'l', entries: ['a', 'b'] });
    const settings = { format: STORE_FORMAT, simulator: { mix: [{ generator: 'noise', weight: 2 }], rate: 10, errorProbability: 0.1, seed: 3 }, simulatorRunning: false };
    expect(readSettingsRecord(structuredClone(settings))).toEqual(settings);
    expect(readSettingsRecord({ ...settings, format: STORE_FORMAT + 1 })).toBeUndefined();
  });

  it('the memory store applies write plans like IndexedDB would', async () => {
    const store = new MemoryStore();
    expect(await store.read()).toBeUndefined();
    const settings = { format: STORE_FORMAT, simulator: { mix: [], rate: 1, errorProbability: 0, seed: 1 }, simulatorRunning: true };
    await store.write({ rules: { put: [{ name: 'b', text: 'B', enabled: true, order: 1 }, { name: 'a', text: 'A', enabled: true, order: 0 }], delete: [] }, settings });
    await store.write({ rules: { put: [], delete: ['b'] }, iocs: { put: [listRecord('x', ['1'])], delete: [] } });
    const state = await store.read();
    expect(state!.rules.map((r) => r.name)).toEqual(['a']);
    expect(state!.iocs).toEqual([{ name: 'x', entries: ['1'] }]);
  });
});
