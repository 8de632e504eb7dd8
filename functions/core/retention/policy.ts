/**
 * GFS retention with restic's `forget --keep-last/--keep-daily/--keep-weekly/--keep-monthly`
 * semantics (restic's internal/restic/snapshot_policy.go, ApplyPolicy), in UTC:
 *
 * - Archives are walked newest first. Each rule has a count and a period (`last`: every archive is
 *   a period of its own; `daily`: the UTC day; `weekly`: the ISO 8601 week, Monday to Sunday, with
 *   its ISO year; `monthly`: the UTC month).
 * - A rule keeps an archive whose period differs from the period of the last archive that rule
 *   kept, as long as its count lasts; each keep uses one count. So each rule keeps the newest
 *   archive of each of its N most recent periods that have one. Rules count independently: one
 *   archive may use a count of several rules.
 * - When a rule still has count left on reaching the oldest archive, it keeps that one too (restic
 *   keeps the oldest snapshot then, so the history kept reaches as far back as the archives go).
 * - An archive kept by any rule stays; every other archive goes.
 *
 * Unlike restic, which keeps everything when no rule is given, a policy without any count above 0
 * is refused: a prune that was meant to keep something must never delete everything.
 */
import { UsageError } from '../errors.js';
import { noRetentionRule } from './errors.js';

export const RETENTION_RULES = ['last', 'daily', 'weekly', 'monthly'] as const;
export type RetentionRule = (typeof RETENTION_RULES)[number];

/** How many periods each rule keeps; an absent rule keeps none. */
export type RetentionPolicy = Partial<Record<RetentionRule, number>>;

/** The largest count a rule takes (restic has none; this one keeps typos like 1e9 out). */
export const MAX_RULE_COUNT = 100_000;

export interface Dated {
  createdAt: Date;
}

export interface RetentionDecision<T extends Dated> {
  /** Kept archives, newest first, each with the rules that keep it. */
  keep: { archive: T; rules: RetentionRule[] }[];
  /** Archives no rule keeps, newest first. */
  remove: T[];
}

/**
 * Checks a policy: whole counts from 0 to MAX_RULE_COUNT, at least one above 0. `flagOf` names a
 * rule as the caller's user knows it (`--keep-daily`, `retention.daily`).
 */
export function checkRetentionPolicy(
  policy: RetentionPolicy,
  flagOf: (rule: RetentionRule) => string = (rule) => rule,
): Required<RetentionPolicy> {
  const checked = { last: 0, daily: 0, weekly: 0, monthly: 0 };
  for (const rule of RETENTION_RULES) {
    const count = policy[rule] ?? 0;
    if (!Number.isInteger(count) || count < 0 || count > MAX_RULE_COUNT)
      throw new UsageError(
        `${flagOf(rule)} must be a whole number from 0 to ${MAX_RULE_COUNT}, not ${count}`,
      );
    checked[rule] = count;
  }
  if (RETENTION_RULES.every((rule) => checked[rule] === 0))
    throw noRetentionRule(RETENTION_RULES.map(flagOf));
  return checked;
}

/** The rule's period of a moment, as a number that differs between periods (restic's bucketers). */
export function periodOf(rule: RetentionRule, at: Date, index: number): number {
  switch (rule) {
    case 'last':
      return index;
    case 'daily':
      return at.getUTCFullYear() * 10_000 + (at.getUTCMonth() + 1) * 100 + at.getUTCDate();
    case 'weekly': {
      const { year, week } = isoWeek(at);
      return year * 100 + week;
    }
    case 'monthly':
      return at.getUTCFullYear() * 100 + at.getUTCMonth() + 1;
  }
}

/** ISO 8601 week of a UTC moment: the week (Monday first) holding its Thursday names the year. */
export function isoWeek(at: Date): { year: number; week: number } {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { year, week };
}

/** Applies a checked policy to archives (any order); ties in time keep their given order. */
export function applyRetention<T extends Dated>(
  archives: readonly T[],
  policy: Required<RetentionPolicy>,
): RetentionDecision<T> {
  const sorted = archives
    .map((archive, order) => ({ archive, order }))
    .sort((a, b) => b.archive.createdAt.getTime() - a.archive.createdAt.getTime() || a.order - b.order)
    .map((entry) => entry.archive);
  const counts = { ...policy };
  const lastPeriod = new Map<RetentionRule, number>();
  const decision: RetentionDecision<T> = { keep: [], remove: [] };
  sorted.forEach((archive, index) => {
    const oldest = index === sorted.length - 1;
    const rules: RetentionRule[] = [];
    for (const rule of RETENTION_RULES) {
      if (counts[rule] <= 0) continue;
      const period = periodOf(rule, archive.createdAt, index);
      if (period === lastPeriod.get(rule) && !oldest) continue;
      lastPeriod.set(rule, period);
      counts[rule] -= 1;
      rules.push(rule);
    }
    if (rules.length > 0) decision.keep.push({ archive, rules });
    else decision.remove.push(archive);
  });
  return decision;
}
