/**
 * The retention rule as docs/OPERATIONS.md states it, written from that statement alone (no
 * production code): for each rule with a count N, the newest archive of each of the N most recent
 * periods that have one is kept (`last`: each archive is its own period; days and months in UTC;
 * weeks are ISO weeks); when the archives other than the oldest span fewer than N periods, the
 * oldest archive is kept too. An archive kept by any rule stays.
 */
export interface RuleCounts {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

const DAY = 86_400_000;

/** ISO week by counting from the Monday of week 1 (the week holding 4 January). */
export function isoWeekKey(at: Date): string {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const week1Monday = (year: number) => {
    const jan4 = Date.UTC(year, 0, 4);
    const sinceMonday = (new Date(jan4).getUTCDay() + 6) % 7;
    return jan4 - sinceMonday * DAY;
  };
  let year = at.getUTCFullYear() + 1;
  while (week1Monday(year) > day) year -= 1;
  const week = Math.floor((day - week1Monday(year)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function periodKey(rule: keyof RuleCounts, at: Date, id: string): string {
  const iso = at.toISOString();
  if (rule === 'daily') return iso.slice(0, 10);
  if (rule === 'monthly') return iso.slice(0, 7);
  if (rule === 'weekly') return isoWeekKey(at);
  return id;
}

/** The ids the rule keeps, with the rules keeping each. `archives` may come in any order. */
export function expectedKeep<T extends { id: string; createdAt: Date }>(
  archives: readonly T[],
  counts: RuleCounts,
): Map<string, string[]> {
  const newestFirst = [...archives].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const kept = new Map<string, string[]>();
  const add = (id: string, rule: string) => kept.set(id, [...(kept.get(id) ?? []), rule]);
  for (const rule of ['last', 'daily', 'weekly', 'monthly'] as const) {
    const n = counts[rule] ?? 0;
    if (n === 0) continue;
    const newestOfPeriod = new Map<string, T>();
    for (const archive of newestFirst) {
      const key = periodKey(rule, archive.createdAt, archive.id);
      if (!newestOfPeriod.has(key)) newestOfPeriod.set(key, archive);
    }
    const chosen = [...newestOfPeriod.values()].slice(0, n);
    for (const archive of chosen) add(archive.id, rule);
    const oldest = newestFirst.at(-1);
    if (!oldest || chosen.includes(oldest)) continue;
    const periodsOfTheRest = new Set(newestFirst.slice(0, -1).map((a) => periodKey(rule, a.createdAt, a.id)));
    if (periodsOfTheRest.size < n) add(oldest.id, rule);
  }
  return kept;
}
