/** The longest gap between runs of an EventBridge Scheduler expression (lib/schedule-gap.ts). */
import { describe, expect, it } from 'vitest';
import { longestGapHours, ScheduleExpressionError } from '../../lib/schedule-gap.js';

describe('longest gap of a schedule', () => {
  it.each([
    ['cron(0 2 * * ? *)', 24],
    ['cron(30 3 * * ? *)', 24],
    ['cron(0 */6 * * ? *)', 6],
    ['cron(0 2,14 * * ? *)', 12],
    ['cron(0 2 ? * MON-FRI *)', 72],
    ['cron(0 5 ? * 2,5 *)', 96],
    ['cron(0 5 ? * SUN *)', 168],
    ['rate(6 hours)', 6],
    ['rate(1 day)', 24],
    ['rate(30 minutes)', 0.5],
  ])('%s runs at most %d h apart', (expression, hours) => {
    expect(longestGapHours(expression)).toBe(hours);
  });

  it('reads month ends, nearest weekdays, last and nth weekdays of a month', () => {
    // 31 days (and 31 more) between two month ends, 2027–2028: the longest is 31 days.
    expect(longestGapHours('cron(0 2 L * ? *)')).toBe(31 * 24);
    // The weekday nearest the 15th moves by up to two days either way: 33 days at most.
    expect(longestGapHours('cron(0 4 15W * ? *)')).toBeLessThanOrEqual(33 * 24);
    // The third Friday: 5 weeks apart at most.
    expect(longestGapHours('cron(0 2 ? * 6#3 *)')).toBe(35 * 24);
    expect(longestGapHours('cron(15 10 ? * 6L 2022-2099)')).toBe(35 * 24);
  });

  it('is infinite for a schedule that runs once in two years or never', () => {
    expect(longestGapHours('cron(0 0 29 2 ? *)')).toBe(Number.POSITIVE_INFINITY);
    expect(longestGapHours('cron(0 0 31 2 ? *)')).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses what EventBridge Scheduler would refuse, saying why', () => {
    const refused = (expression: string) => () => longestGapHours(expression);
    expect(refused('cron(0 2 * * *)')).toThrow(ScheduleExpressionError);
    expect(refused('cron(0 2 * * *)')).toThrow('a cron expression has six fields');
    expect(refused('cron(0 2 * * MON *)')).toThrow('exactly one of day-of-month and day-of-week must be "?"');
    expect(refused('cron(0 25 * * ? *)')).toThrow('"25" is outside 0-23');
    expect(refused('nightly')).toThrow('expected rate(<n> minutes|hours|days) or cron(…)');
  });
});
