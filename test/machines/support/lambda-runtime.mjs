/**
 * One Lambda invocation in a process of its own (lambda-process.ts starts it): loads the bundle as
 * the Node.js runtime does (CommonJS, `index.handler`), hands it the event and a context whose
 * remaining time counts down to the deadline it is given, and answers over IPC as Lambda answers:
 * the result, or the error's type and message.
 */
import { createRequire } from 'node:module';

const [bundle] = process.argv.slice(2);
const require = createRequire(import.meta.url);

process.once('message', async ({ event, deadline, requestId }) => {
  const context = {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let answer;
  try {
    const { handler } = require(bundle);
    answer = { ok: true, result: (await handler(event, context)) ?? null };
  } catch (error) {
    answer = {
      ok: false,
      errorType: error?.name ?? 'Error',
      errorMessage: error?.message ?? String(error),
    };
  }
  answer.maxRssKb = process.resourceUsage().maxRSS;
  process.send(answer, () => process.exit(0));
});
