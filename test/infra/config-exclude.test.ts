/**
 * `exclude` in an instance's config: the kinds its scheduled backup leaves out on purpose reach the
 * backup function's event, as the function reads it; lib/ keeps its own list of what may be left
 * out (it never imports functions/), held equal to the backup's here.
 */
import { describe, expect, it } from 'vitest';
import { EXCLUDABLE_RESOURCES } from '../../functions/core/kinds/index.js';
import { backupEventSchema } from '../../functions/handlers/events.js';
import { parseConfig } from '../../lib/config/index.js';
import { EXCLUDABLE_KINDS } from '../../lib/config/instance.js';
import { synthesize } from './support/synth.js';

describe('exclude in an instance config', () => {
  it("lib's list of kinds a backup may leave out is the backup's", () => {
    expect([...EXCLUDABLE_KINDS]).toEqual([...EXCLUDABLE_RESOURCES]);
  });

  it('reaches the nightly schedule as the event the backup function parses', () => {
    // Prepare
    const { template } = synthesize({
      instances: [{ name: 'prod', secretName: 'n8n-ark/prod', exclude: ['credentials', 'dataTables'] }],
    });

    // Act
    const inputs = Object.values(template.findResources('AWS::Scheduler::Schedule'))
      .map((s) => JSON.parse(String(s.Properties?.Target?.Input)) as Record<string, unknown>)
      .filter((input) => 'shrinkAlarmShare' in input);

    // Assess
    expect(inputs).toEqual([
      { instance: 'prod', exclude: ['credentials', 'dataTables'], shrinkAlarmShare: 0.2 },
    ]);
    expect(backupEventSchema.parse(inputs[0]).exclude).toEqual(['credentials', 'dataTables']);
  });

  it('refuses workflows, an unknown kind, an empty list, and exclude on an instance not backed up', () => {
    const one = (extra: Record<string, unknown>) => () =>
      parseConfig({ instances: [{ name: 'a', secretName: 's', ...extra }] });

    expect(one({ exclude: ['workflows'] })).toThrow(
      /instances\[0\] \("a"\)\.exclude must be a non-empty list of users, .*\(workflows cannot be left out\), not \["workflows"\]/,
    );
    expect(one({ exclude: ['credential'] })).toThrow(/\.exclude must be a non-empty list/);
    expect(one({ exclude: [] })).toThrow(/\.exclude must be a non-empty list/);
    expect(one({ exclude: ['tags'], backup: false })).toThrow(
      /"backup": false, so "exclude" would do nothing/,
    );
  });
});
