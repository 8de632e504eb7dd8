/**
 * How patiently n8n is waited for, declared once for both edges: `--max-retry-wait` and
 * `--retry-budget` on every command that talks to n8n, `maxRetryWait` and `retryBudget` in the
 * backup and restore Lambdas' events. Neither reaches the core: each edge builds its n8n client
 * with them (the retries themselves are the client's).
 */
import { z } from 'zod';
import { type OptionTable, quoted } from './table.js';
import { numberOrText } from './values.js';

/** The longest wait for n8n by default, and the retry budget of a call through an outage. */
export const DEFAULT_MAX_RETRY_WAIT_S = 60;
export const DEFAULT_RETRY_BUDGET_S = 120;
const MOST_SECONDS = 3600;

const seconds = (least: number) => {
  const problem = (issue: { input?: unknown }) =>
    `must be a whole number of seconds from ${least} to ${MOST_SECONDS}, not ${quoted(issue.input)}`;
  return z
    .number({ error: problem })
    .int({ error: problem })
    .min(least, { error: problem })
    .max(MOST_SECONDS, { error: problem });
};

export const RETRY_WAIT_OPTIONS = {
  maxRetryWait: {
    schema: seconds(1),
    event: true,
    flag: { value: '<seconds>', default: String(DEFAULT_MAX_RETRY_WAIT_S), fromText: numberOrText },
    help: 'longest wait before asking n8n again; n8n asking for a longer one (Retry-After) fails the command at once',
  },
  retryBudget: {
    schema: seconds(0),
    event: true,
    flag: { value: '<seconds>', default: String(DEFAULT_RETRY_BUDGET_S), fromText: numberOrText },
    help: 'how long one request keeps being asked again while n8n or its database is down (502, 503, 504, "Database is not ready!", a refused connection); each wait over 5 s is shown',
  },
} as const satisfies OptionTable;

/** The options as the n8n client takes them, in milliseconds; defaults where absent. */
export function retryWaitsMs(values: {
  maxRetryWait?: number | undefined;
  retryBudget?: number | undefined;
}): {
  maxRetryAfterMs: number;
  retryBudgetMs: number;
} {
  return {
    maxRetryAfterMs: (values.maxRetryWait ?? DEFAULT_MAX_RETRY_WAIT_S) * 1000,
    retryBudgetMs: (values.retryBudget ?? DEFAULT_RETRY_BUDGET_S) * 1000,
  };
}
