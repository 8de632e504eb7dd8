/**
 * One line of an archive entry made a value, bounded before it is parsed. V8's `JSON.parse` does
 * not recurse (a line nested 10,000,000 deep parses), but what the restore does with a value does:
 * `JSON.stringify` overflows the stack from about 4,100 levels (Node 20) or 4,460 (Node 24) and
 * `structuredClone` from about 3,240 or 3,290, fewer when called deep in a stack. The deepest real
 * n8n workflow found is 14 levels (3,886 community and template workflows measured; docs/ARCHIVE-FORMAT.md),
 * so a line nested deeper than MAX_NESTING is refused before parsing, naming the entry and line.
 */
import { nestedTooDeep, notJson } from './errors.js';

/** The deepest nesting of arrays and objects an archive line may have: far above n8n's own, far below V8's stack. */
export const MAX_NESTING = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether `text` nests arrays and objects deeper than `limit`, in one pass without recursion: the
 * scan reads character codes outside strings and jumps over each string to its closing quote, so
 * pinned data (long strings) costs little. Text that is not JSON is left to the parser to refuse.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      at = closingQuote(text, at);
      if (at < 0) return false;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

/** The index of the quote closing the string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** Parses JSON text read from the archive; too deep or not JSON is an integrity error naming `where`. */
export function parseArchiveJson<T>(text: string, entry: string, where: string): T {
  if (nestedDeeperThan(text, MAX_NESTING)) throw nestedTooDeep(entry, where, MAX_NESTING);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw notJson(entry, where, error);
  }
}
