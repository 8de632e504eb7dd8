import { describe, expect, it } from 'vitest';
import { calleesFirst } from '../../../functions/core/cutover/switch.js';
import type { FrozenWorkflow } from '../../../functions/core/cutover/types.js';

const frozen = (id: string, triggers: boolean, calls: string[] = []): FrozenWorkflow => ({
  id,
  name: id,
  versionId: `v-${id}`,
  draftDiffers: false,
  triggers,
  graph: id,
  calls,
  webhooks: [],
});

describe('the switch publishes', () => {
  it('every workflow after those it calls, a callee with a schedule of its own included', () => {
    // Prepare: the freeze's order, own triggers first: "caller" before "scheduled-callee"
    const order = [
      frozen('caller', true, ['scheduled-callee', 'worker']),
      frozen('scheduled-callee', true, ['worker']),
      frozen('alone', true),
      frozen('worker', false),
    ];

    // Act
    const published = calleesFirst(order).map((w) => w.id);

    // Assess
    expect(published).toHaveLength(4);
    expect(published.indexOf('worker')).toBeLessThan(published.indexOf('scheduled-callee'));
    expect(published.indexOf('scheduled-callee')).toBeLessThan(published.indexOf('caller'));
    expect(published[0]).toBe('worker');
  });

  it('each workflow once when two call each other', () => {
    expect(
      calleesFirst([frozen('a', true, ['b']), frozen('b', true, ['a'])])
        .map((w) => w.id)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});
