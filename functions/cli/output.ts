import type { LogFields, Logger, Progress } from '../core/ports.js';
import { silentProgress } from '../core/ports.js';

export interface Output {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * A reader that stopped early (`n8n-ark inspect … | head`) closes the pipe: the rest of the output
 * goes nowhere, quietly, and the command ends with its own exit code (0 when it did its work)
 * instead of an unhandled EPIPE. Any other stream failure stays a failure.
 */
export function quietWhenReaderStops<S extends NodeJS.WritableStream>(stream: S): S {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  return stream;
}

export const processOutput: Output = {
  stdout: quietWhenReaderStops(process.stdout),
  stderr: quietWhenReaderStops(process.stderr),
};

export function printJson(out: Output, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Formats rows as an aligned text table; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A one-line progress display on a TTY (stderr), redrawn at most every 100 ms. Off a TTY, or with
 * --json, it is silent so pipes and logs stay clean.
 */
export function createProgress(out: Output, enabled: boolean): Progress {
  if (!enabled || !out.stderr.isTTY) return silentProgress;
  const counts = new Map<string, { n: number; total: number | undefined }>();
  let current = '';
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const state = counts.get(current);
    const amount = state ? (state.total ? `${state.n}/${state.total}` : `${state.n}`) : '';
    out.stderr.write(`\r\x1b[K${current} ${amount}`);
  };
  return {
    start(task, total) {
      current = task;
      counts.set(task, { n: 0, total });
      draw(true);
    },
    advance(task, by = 1) {
      const state = counts.get(task);
      if (state) state.n += by;
      current = task;
      draw();
    },
    done(task, summary) {
      out.stderr.write(`\r\x1b[K${summary ? `✔ ${task}: ${summary}\n` : ''}`);
    },
  };
}

/** Human log lines on stderr: warnings and errors always, info and debug with --verbose. */
export function createCliLogger(out: Output, verbose: boolean): Logger {
  const write = (level: string, message: string, fields?: LogFields) => {
    const detail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    out.stderr.write(`${level}: ${message}${detail}\n`);
  };
  return {
    debug: (m, f) => verbose && write('debug', m, f),
    info: (m, f) => verbose && write('info', m, f),
    warn: (m, f) => write('warning', m, f),
    error: (m, f) => write('error', m, f),
  };
}
