import { describe, expect, it } from 'vitest';
import { UsageError } from '../../functions/core/errors.js';
import {
  applyRetention,
  checkRetentionPolicy,
  isoWeek,
  type RetentionPolicy,
} from '../../functions/core/retention/policy.js';
import { expectedKeep, isoWeekKey } from './support/retention-rule.js';

interface Archive {
  id: string;
  createdAt: Date;
}

const at = (iso: string): Archive => ({ id: iso, createdAt: new Date(iso) });

function keptIds(archives: Archive[], policy: RetentionPolicy): Map<string, string[]> {
  const decision = applyRetention(archives, checkRetentionPolicy(policy));
  return new Map(decision.keep.map(({ archive, rules }) => [archive.id, rules]));
}

describe('ISO weeks in UTC', () => {
  it('gives days around the turn of the year the ISO week and year that holds their Thursday', () => {
    // 2026-12-31 is a Thursday: week 53 of 2026 runs to Sunday 2027-01-03.
    expect(isoWeek(new Date('2026-12-31T12:00:00Z'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(new Date('2027-01-03T23:59:59Z'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(new Date('2027-01-04T00:00:00Z'))).toEqual({ year: 2027, week: 1 });
    // Monday 2024-12-30 already belongs to week 1 of 2025.
    expect(isoWeek(new Date('2024-12-29T23:59:59Z'))).toEqual({ year: 2024, week: 52 });
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toEqual({ year: 2025, week: 1 });
  });

  it('agrees with the test’s own week count on every day of 2020–2030', () => {
    for (let day = Date.UTC(2020, 0, 1); day < Date.UTC(2031, 0, 1); day += 86_400_000) {
      const { year, week } = isoWeek(new Date(day + 3_600_000));
      expect(`${year}-W${String(week).padStart(2, '0')}`).toBe(isoWeekKey(new Date(day)));
    }
  });

  it('keeps one archive for a week that spans New Year, not one per calendar year', () => {
    const archives = [
      '2024-12-28T02:00:00Z',
      '2024-12-30T02:00:00Z',
      '2025-01-05T02:00:00Z',
      '2025-01-06T02:00:00Z',
    ].map(at);

    const kept = keptIds(archives, { weekly: 2 });

    // 2025-W02 (01-06) and 2025-W01, whose newest is 01-05; 12-30 is in the same ISO week.
    expect([...kept.keys()]).toEqual(['2025-01-06T02:00:00Z', '2025-01-05T02:00:00Z']);
  });
});

describe('retention rules (restic forget semantics)', () => {
  it('keeps the newest archive of each day when there are several a day; keep-last counts archives', () => {
    const archives = ['01', '02', '03'].flatMap((d) =>
      ['01:00', '09:00', '17:00'].map((t) => at(`2026-11-${d}T${t}:00.000Z`)),
    );

    expect([...keptIds(archives, { daily: 2 }).keys()]).toEqual([
      '2026-11-03T17:00:00.000Z',
      '2026-11-02T17:00:00.000Z',
    ]);
    expect([...keptIds(archives, { last: 2 }).keys()]).toEqual([
      '2026-11-03T17:00:00.000Z',
      '2026-11-03T09:00:00.000Z',
    ]);
  });

  it('counts each rule on its own and names every rule that keeps an archive', () => {
    const archives = [
      '2026-11-30T02:00:00Z',
      '2026-11-29T02:00:00Z',
      '2026-11-22T02:00:00Z',
      '2026-10-31T02:00:00Z',
      '2026-10-01T02:00:00Z',
    ].map(at);

    const kept = keptIds(archives, { last: 1, daily: 2, weekly: 2, monthly: 2 });

    expect(Object.fromEntries(kept)).toEqual({
      '2026-11-30T02:00:00Z': ['last', 'daily', 'weekly', 'monthly'],
      '2026-11-29T02:00:00Z': ['daily', 'weekly'],
      '2026-10-31T02:00:00Z': ['monthly'],
    });
  });

  it('keeps the oldest archive too when a rule has count left on reaching it', () => {
    const archives = [
      '2026-11-03T10:00:00Z',
      '2026-11-02T10:00:00Z',
      '2026-11-01T18:00:00Z',
      '2026-11-01T06:00:00Z',
    ].map(at);

    const kept = keptIds(archives, { daily: 5 });

    expect([...kept.keys()]).toEqual([
      '2026-11-03T10:00:00Z',
      '2026-11-02T10:00:00Z',
      '2026-11-01T18:00:00Z',
      '2026-11-01T06:00:00Z',
    ]);
    // With the count used up before the oldest, the oldest of a kept day goes.
    expect(keptIds(archives, { daily: 3 }).has('2026-11-01T06:00:00Z')).toBe(false);
  });

  it('takes archives in any order and keeps what the documented rule keeps, on a seeded random set', () => {
    let seed = 20261129;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 25; round += 1) {
      const archives = Array.from({ length: 60 }, (_, i) => {
        const ms = Date.UTC(2025, 11, 1) + Math.floor(random() * 120 * 86_400_000);
        return { id: `a${i}`, createdAt: new Date(ms) };
      });
      const policy = {
        last: Math.floor(random() * 4),
        daily: Math.floor(random() * 10),
        weekly: Math.floor(random() * 6),
        monthly: 1 + Math.floor(random() * 6),
      };

      const decision = applyRetention(archives, checkRetentionPolicy(policy));

      const actual = new Map(decision.keep.map(({ archive, rules }) => [archive.id, rules]));
      expect(actual).toEqual(expectedKeep(archives, policy));
      expect(decision.keep.length + decision.remove.length).toBe(archives.length);
    }
  });
});

describe('policy checks', () => {
  it('refuses a policy without any rule above 0 instead of deleting everything', () => {
    for (const policy of [{}, { last: 0, daily: 0, weekly: 0, monthly: 0 }]) {
      expect(() => checkRetentionPolicy(policy, (rule) => `--keep-${rule}`)).toThrow(UsageError);
      expect(() => checkRetentionPolicy(policy, (rule) => `--keep-${rule}`)).toThrow(
        'give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0',
      );
    }
  });

  it('refuses negative, fractional and absurd counts, naming the rule', () => {
    expect(() => checkRetentionPolicy({ daily: -1 })).toThrow('daily must be a whole number');
    expect(() => checkRetentionPolicy({ weekly: 1.5 })).toThrow('weekly must be a whole number');
    expect(() => checkRetentionPolicy({ monthly: 1e9 }, (r) => `retention.${r}`)).toThrow(
      'retention.monthly must be a whole number from 0 to 100000, not 1000000000',
    );
    expect(checkRetentionPolicy({ daily: 7 })).toEqual({ last: 0, daily: 7, weekly: 0, monthly: 0 });
  });
});
