/**
 * The longest time between two runs of an EventBridge Scheduler expression (`rate(…)` or the six
 * field `cron(minutes hours day-of-month month day-of-week year)`, UTC), so that an alarm watching
 * "no successful run lately" waits one period and some slack, whatever the schedule.
 *
 * A cron expression is run forward, day by day, over two calendar years (2027–2028, a leap year
 * among them): every pattern of days, weeks and months repeats within that. The year field only
 * ends a schedule, so it is read but does not shape the gap.
 */
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const RATE_UNITS: Record<string, number> = { minute: 1 / 60, hour: 1, day: 24 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const SPAN_START = Date.UTC(2027, 0, 1);
const SPAN_DAYS = 731;

export class ScheduleExpressionError extends Error {}

type DayRule = (day: Date) => boolean;

function number(text: string, names: readonly string[] | undefined, offset: number): number {
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + offset;
  if (!/^\d+$/.test(text)) throw new ScheduleExpressionError(`"${text}" is not a number`);
  return Number(text);
}

/** `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n` and lists of them, as the set of values in [min, max]. */
function values(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : number(stepText, undefined, 0);
    let [from, to] = [min, max];
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = number(a, names, min);
      to = b === undefined ? (stepText === undefined ? from : max) : number(b, names, min);
    }
    if (step < 1 || from < min || to > max || from > to)
      throw new ScheduleExpressionError(`"${part}" is outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

const lastDayOf = (day: Date): number =>
  new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();

/** The weekday (Mon–Fri) of the month nearest to `target`, never leaving the month. */
function nearestWeekday(day: Date, target: number): number {
  const last = lastDayOf(day);
  const at = Math.min(target, last);
  const weekday = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), at)).getUTCDay();
  if (weekday === 6) return at === 1 ? 3 : at - 1;
  if (weekday === 0) return at === last ? at - 2 : at + 1;
  return at;
}

function dayOfMonthRule(field: string): DayRule {
  if (field === '?' || field === '*') return () => true;
  if (field === 'L') return (day) => day.getUTCDate() === lastDayOf(day);
  if (field === 'LW') return (day) => day.getUTCDate() === nearestWeekday(day, lastDayOf(day));
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) return (day) => day.getUTCDate() === nearestWeekday(day, Number(weekday[1]));
  const days = values(field, 1, 31);
  return (day) => days.has(day.getUTCDate());
}

function dayOfWeekRule(field: string): DayRule {
  if (field === '?' || field === '*') return () => true;
  const last = /^(\w+)L$/.exec(field);
  if (last)
    return (day) =>
      day.getUTCDay() + 1 === number(last[1] ?? '', WEEKDAYS, 1) && day.getUTCDate() + 7 > lastDayOf(day);
  const nth = /^(\w+)#([1-5])$/.exec(field);
  if (nth)
    return (day) =>
      day.getUTCDay() + 1 === number(nth[1] ?? '', WEEKDAYS, 1) &&
      Math.ceil(day.getUTCDate() / 7) === Number(nth[2]);
  const weekdays = values(field, 1, 7, WEEKDAYS);
  return (day) => weekdays.has(day.getUTCDay() + 1);
}

function cronGapHours(body: string): number {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleExpressionError(
      'a cron expression has six fields: minutes hours day-of-month month day-of-week year',
    );
  const [minuteField = '', hourField = '', domField = '', monthField = '', dowField = '', yearField = ''] =
    fields;
  if ((domField === '?') === (dowField === '?'))
    throw new ScheduleExpressionError('exactly one of day-of-month and day-of-week must be "?"');
  values(yearField, 1970, 2199);
  const minutes = [...values(minuteField, 0, 59)].sort((a, b) => a - b);
  const hours = [...values(hourField, 0, 23)].sort((a, b) => a - b);
  const months = values(monthField, 1, 12, MONTHS);
  const dayMatches = [dayOfMonthRule(domField), dayOfWeekRule(dowField)];
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < SPAN_DAYS; d++) {
    const day = new Date(SPAN_START + d * 24 * HOUR_MS);
    if (!months.has(day.getUTCMonth() + 1) || !dayMatches.every((matches) => matches(day))) continue;
    for (const hour of hours)
      for (const minute of minutes) {
        const at = day.getTime() + hour * HOUR_MS + minute * MINUTE_MS;
        if (previous !== undefined) longest = Math.max(longest, at - previous);
        previous = at;
      }
  }
  return longest === 0 ? Number.POSITIVE_INFINITY : longest / HOUR_MS;
}

/** Hours between the two runs furthest apart; Infinity for a schedule that runs once in two years or never. */
export function longestGapHours(expression: string): number {
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression);
  if (rate) return Number(rate[1]) * (RATE_UNITS[rate[2] ?? ''] ?? Number.NaN);
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError('expected rate(<n> minutes|hours|days) or cron(…)');
  return cronGapHours(cron[1] ?? '');
}
