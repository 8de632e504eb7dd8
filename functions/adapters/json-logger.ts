import type { LogFields, Logger } from '../core/ports.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/** One JSON object per line (CloudWatch Logs Insights reads the fields); debug only when asked. */
export function createJsonLogger(
  level: string | undefined,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const threshold = LEVELS[(level as Level) in LEVELS ? (level as Level) : 'info'];
  const log = (lvl: Level) => (message: string, fields?: LogFields) => {
    if (LEVELS[lvl] < threshold) return;
    write(JSON.stringify({ level: lvl, message, ...fields, timestamp: new Date().toISOString() }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
