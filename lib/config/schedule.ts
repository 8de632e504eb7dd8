import { longestGapHours, ScheduleExpressionError } from '../schedule-gap.js';
import { type Fail, MAX_STALENESS_HOURS } from './types.js';

const EXPRESSION = /^(cron|rate)\(.+\)$/;

/** A schedule expression's text: `cron(...)` or `rate(...)`, else the message every field has used. */
export function scheduleExpression(raw: unknown, fallback: string, where: string, fail: Fail): string {
  const schedule = raw === undefined ? fallback : String(raw);
  if (!EXPRESSION.test(schedule)) fail(`${where} must be cron(...) or rate(...)`);
  return schedule;
}

/**
 * Refuses a schedule whose staleness alarm CloudWatch cannot hold: the alarm waits the schedule's
 * longest gap plus `slackHours`, and an alarm evaluates at most 7 days.
 */
export function checkWatchable(
  schedule: string,
  where: string,
  watch: { alarm: string; slackHours: number; otherwise?: string },
  fail: Fail,
): void {
  let gap: number;
  try {
    gap = longestGapHours(schedule);
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    fail(`${where} cannot be read: ${error.message}`);
  }
  if (gap + watch.slackHours <= MAX_STALENESS_HOURS) return;
  const longest = Number.isFinite(gap)
    ? `runs as far as ${Math.round(gap)} h apart`
    : 'runs at most once in two years';
  fail(
    `${where} ${longest}; ${watch.alarm} waits the longest gap plus ${watch.slackHours} h and CloudWatch watches at most ${MAX_STALENESS_HOURS} h: schedule it at least every ${MAX_STALENESS_HOURS - watch.slackHours} h${watch.otherwise ? `, ${watch.otherwise}` : ''}`,
  );
}

/** Hours a staleness alarm waits: the schedule's longest gap plus the slack (checkWatchable passed). */
export function stalenessHours(schedule: string, slackHours: number): number {
  return Math.min(MAX_STALENESS_HOURS, Math.ceil(longestGapHours(schedule) + slackHours));
}
